// Copyright 2026 The eventpersist Authors.
//
// settings.h: RedisSettings, the connection settings that the journal and
// the snapshot store read from their config sections (see
// backends/redis/reference.conf for every key and its default).
//
// Thread-safety: a plain value.
//
// Example:
//
//   absl::StatusOr<RedisSettings> s = RedisSettings::FromConfig(section);
//   if (!s.ok()) return s.status();  // names the key, e.g. 'x.port'
//   s->Describe();                   // "redis at 127.0.0.1:6379 database 0"
#ifndef BACKENDS_REDIS_INTERNAL_SETTINGS_H_
#define BACKENDS_REDIS_INTERNAL_SETTINGS_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "persistence/api/config.h"

namespace persistence::redis::internal {

class TlsContext;  // transport.h

struct RedisSettings {
  std::string host;
  int port = 0;
  // When set, the server is reached through this unix socket instead.
  std::string unix_socket;
  // AUTH: a password, and a user name for Redis 6+ ACLs ("" = default user).
  std::string username;
  std::string password;
  int database = 0;
  // Every key starts with this; it must not contain '{' or '}' (the hash
  // tag of each key belongs to its persistence id).
  std::string key_prefix;
  std::chrono::milliseconds connect_timeout{0};
  std::chrono::milliseconds command_timeout{0};
  // Connections (each with its own reader thread); a persistence id always
  // uses the same one, so its requests stay in order.
  int connections = 0;
  // Longest wait between two reconnection attempts (they back off from
  // 50 ms up to this).
  std::chrono::milliseconds reconnect_max_backoff{0};
  // Replay pages: at most this many events per page, and fewer when events
  // are big, aiming at `replay_page_bytes` per page.
  int replay_page_size = 0;
  int64_t replay_page_bytes = 0;
  // Snapshot store only: how many of the youngest matching snapshots a
  // load tries when one cannot be decoded.
  int max_load_attempts = 0;
  // Redis Cluster: the seed nodes, "host:port" each. Empty: one server
  // (host / port / unix-socket). In cluster mode host and port are not
  // used, `connections` is per master, and the slot map is read again
  // every `cluster_refresh_interval` and whenever a reply says it changed.
  std::vector<std::string> cluster_nodes;
  std::chrono::milliseconds cluster_refresh_interval{0};
  // WAIT: with wait_replicas > 0 every write is acknowledged only once
  // that many replicas confirmed it, within wait_timeout; fewer is an
  // error (whether the write survives a fail-over is then unknown).
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{0};
  // TLS (`tls { enabled = on, ... }`): the context every connection of the
  // plugin shares; null when TLS is off.
  std::shared_ptr<const TlsContext> tls;
  // Shown in CLIENT LIST, e.g. "eventpersist-journal".
  std::string client_name = "eventpersist";

  // FromConfig reads a plugin section. Every default lives in
  // reference.conf: a missing or bad key is an error naming it.
  // The journal's section has the replay keys, the snapshot store's
  // max-load-attempts.
  enum class Plugin { kJournal, kSnapshotStore };
  static absl::StatusOr<RedisSettings> FromConfig(const Config& config,
                                                  Plugin plugin);

  // Describe names the server for error messages.
  std::string Describe() const;
  bool cluster() const { return !cluster_nodes.empty(); }
  // ForNode is a copy of these settings pointed at one node (cluster mode).
  RedisSettings ForNode(const std::string& host, int port) const;
};

// SplitHostPort reads "host:port" (or "[v6]:port"); false when it is not.
bool SplitHostPort(std::string_view address, std::string* host, int* port);

}  // namespace persistence::redis::internal

#endif  // BACKENDS_REDIS_INTERNAL_SETTINGS_H_
