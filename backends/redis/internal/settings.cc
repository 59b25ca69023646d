// Copyright 2026 The eventpersist Authors.
#include "backends/redis/internal/settings.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "backends/redis/internal/transport.h"

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
  PERSISTENCE_REDIS_ASSIGN(s.cluster_nodes,
                           config.GetStringList("cluster-nodes"));
  PERSISTENCE_REDIS_ASSIGN(s.cluster_refresh_interval,
                           Duration(config, "cluster-refresh-interval"));
  PERSISTENCE_REDIS_ASSIGN(s.wait_replicas,
                           IntIn(config, "wait-replicas", 0, 64));
  PERSISTENCE_REDIS_ASSIGN(s.wait_timeout, Duration(config, "wait-timeout"));
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
  TlsSettings tls;
  PERSISTENCE_REDIS_ASSIGN(tls.enabled, config.GetBool("tls.enabled"));
  PERSISTENCE_REDIS_ASSIGN(tls.ca_file, config.GetString("tls.ca-file"));
  PERSISTENCE_REDIS_ASSIGN(tls.cert_file, config.GetString("tls.cert-file"));
  PERSISTENCE_REDIS_ASSIGN(tls.key_file, config.GetString("tls.key-file"));
  PERSISTENCE_REDIS_ASSIGN(tls.server_name,
                           config.GetString("tls.server-name"));
  PERSISTENCE_REDIS_ASSIGN(tls.verify_peer, config.GetBool("tls.verify-peer"));
  if (tls.enabled) {
    if (!s.unix_socket.empty() && s.cluster_nodes.empty()) {
      return OutOfRange(config, "tls.enabled",
                        "is on, but unix-socket is set: TLS goes over TCP "
                        "(host and port) only");
    }
    PERSISTENCE_REDIS_ASSIGN(s.tls, TlsContext::Create(tls, config));
  }
#undef PERSISTENCE_REDIS_ASSIGN
  if (s.key_prefix.find_first_of("{}") != std::string::npos) {
    return OutOfRange(
        config, "key-prefix",
        absl::StrCat("must not contain '{' or '}' (each key's hash "
                     "tag holds its persistence id), got '",
                     s.key_prefix, "'"));
  }
  for (const std::string& node : s.cluster_nodes) {
    std::string host;
    int port = 0;
    if (!SplitHostPort(node, &host, &port)) {
      return OutOfRange(
          config, "cluster-nodes",
          absl::StrCat("must list \"host:port\" entries, got '", node, "'"));
    }
  }
  if (s.cluster() && s.database != 0) {
    return OutOfRange(config, "database",
                      absl::StrCat("must be 0 with cluster-nodes (Redis "
                                   "Cluster has database 0 only), got ",
                                   s.database));
  }
  if (s.wait_replicas > 0 && s.wait_timeout >= s.command_timeout) {
    return OutOfRange(config, "wait-timeout",
                      absl::StrCat("must be below command-timeout (",
                                   s.command_timeout.count(), " ms), got ",
                                   s.wait_timeout.count(), " ms"));
  }
  if (s.unix_socket.empty() && s.host.empty()) {
    return OutOfRange(config, "host", "is empty and no unix-socket is set");
  }
  return s;
}

bool SplitHostPort(std::string_view address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  int value = 0;
  if (!absl::SimpleAtoi(absl::string_view(address.data() + colon + 1,
                                          address.size() - colon - 1),
                        &value) ||
      value < 1 || value > 65535) {
    return false;
  }
  std::string_view name = address.substr(0, colon);
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);  // [::1]:7000
  }
  *host = std::string(name);
  *port = value;
  return true;
}

RedisSettings RedisSettings::ForNode(const std::string& node_host,
                                     int node_port) const {
  RedisSettings s = *this;
  s.host = node_host;
  s.port = node_port;
  s.unix_socket.clear();
  return s;
}

std::string RedisSettings::Describe() const {
  if (!unix_socket.empty()) {
    return absl::StrCat("redis at unix:", unix_socket, " database ", database);
  }
  return absl::StrCat("redis at ", host, ":", port, tls ? " (TLS)" : "",
                      " database ", database);
}

}  // namespace persistence::redis::internal
