// Copyright 2026 The eventpersist Authors.
#include "backends/redis/internal/settings.h"

#include "absl/strings/str_cat.h"

namespace persistence::redis::internal {
namespace {

absl::Status OutOfRange(const Config& config, const std::string& key,
                        const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("config key '", config.FullKey(key), "' ", what));
}

absl::StatusOr<std::chrono::milliseconds> Duration(const Config& config,
                                                   const std::string& key) {
  absl::StatusOr<std::chrono::nanoseconds> d = config.GetDuration(key);
  if (!d.ok()) return d.status();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  if (ms.count() <= 0) return OutOfRange(config, key, "must be at least 1ms");
  return ms;
}

absl::StatusOr<int64_t> InRange(const Config& config, const std::string& key,
                                absl::StatusOr<int64_t> v, int64_t low,
                                int64_t high) {
  if (!v.ok()) return v.status();
  if (*v < low || *v > high) {
    return OutOfRange(
        config, key,
        absl::StrCat("must be in [", low, ", ", high, "], got ", *v));
  }
  return *v;
}

absl::StatusOr<int64_t> IntIn(const Config& config, const std::string& key,
                              int64_t low, int64_t high) {
  return InRange(config, key, config.GetInt(key), low, high);
}

}  // namespace

absl::StatusOr<RedisSettings> RedisSettings::FromConfig(const Config& config,
                                                        Plugin plugin) {
  RedisSettings s;
#define PERSISTENCE_REDIS_ASSIGN(lhs, expr) \
  do {                                      \
    auto value = (expr);                    \
    if (!value.ok()) return value.status(); \
    lhs = *value;                           \
  } while (false)
  PERSISTENCE_REDIS_ASSIGN(s.host, config.GetString("host"));
  PERSISTENCE_REDIS_ASSIGN(s.port, IntIn(config, "port", 1, 65535));
  PERSISTENCE_REDIS_ASSIGN(s.unix_socket, config.GetString("unix-socket"));
  PERSISTENCE_REDIS_ASSIGN(s.username, config.GetString("username"));
  PERSISTENCE_REDIS_ASSIGN(s.password, config.GetString("password"));
  PERSISTENCE_REDIS_ASSIGN(s.database, IntIn(config, "database", 0, 1 << 20));
  PERSISTENCE_REDIS_ASSIGN(s.key_prefix, config.GetString("key-prefix"));
  PERSISTENCE_REDIS_ASSIGN(s.connect_timeout,
                           Duration(config, "connect-timeout"));
  PERSISTENCE_REDIS_ASSIGN(s.command_timeout,
                           Duration(config, "command-timeout"));
  PERSISTENCE_REDIS_ASSIGN(s.connections, IntIn(config, "connections", 1, 64));
  PERSISTENCE_REDIS_ASSIGN(s.reconnect_max_backoff,
                           Duration(config, "reconnect-max-backoff"));
  if (plugin == Plugin::kJournal) {
    PERSISTENCE_REDIS_ASSIGN(s.replay_page_size,
                             IntIn(config, "replay-page-size", 1, 100000));
    PERSISTENCE_REDIS_ASSIGN(
        s.replay_page_bytes,
        InRange(config, "replay-page-bytes",
                config.GetBytes("replay-page-bytes"), 1024, int64_t{1} << 32));
  } else {
    PERSISTENCE_REDIS_ASSIGN(s.max_load_attempts,
                             IntIn(config, "max-load-attempts", 1, 1000));
  }
#undef PERSISTENCE_REDIS_ASSIGN
  if (s.key_prefix.find_first_of("{}") != std::string::npos) {
    return OutOfRange(
        config, "key-prefix",
        absl::StrCat("must not contain '{' or '}' (each key's hash "
                     "tag holds its persistence id), got '",
                     s.key_prefix, "'"));
  }
  if (s.unix_socket.empty() && s.host.empty()) {
    return OutOfRange(config, "host", "is empty and no unix-socket is set");
  }
  return s;
}

std::string RedisSettings::Describe() const {
  if (!unix_socket.empty()) {
    return absl::StrCat("redis at unix:", unix_socket, " database ", database);
  }
  return absl::StrCat("redis at ", host, ":", port, " database ", database);
}

}  // namespace persistence::redis::internal
