// Copyright 2026 The eventpersist Authors.
//
// plugin_client.h: PluginClient, what each Redis plugin (journal, snapshot
// store) holds: its settings read from its config section, the key space,
// the Lua scripts, and, once started, its router: the pipelined
// connections to one server, or the Redis Cluster client when
// `cluster-nodes` lists seeds.
//
// A bad config section does not throw in the plugin's constructor: the
// error is kept and Start returns it, so plugin start fails with the key
// and the file. A call before a successful Start gets NotStarted().
//
// Thread-safety: Start before anything else; then every method may be
// called from any thread (the connections are thread-safe).
//
// Example:
//
//   PluginClient client(config, "journal", "persistence.journal.redis",
//                       "eventpersist-journal");
//   absl::Status s = client.Start();  // config error, or cannot connect
//   if (!client.started()) return client.NotStarted();
//   client.For(id).Send(HighestCommand(client.keys(), id), handler);
#ifndef BACKENDS_REDIS_INTERNAL_PLUGIN_CLIENT_H_
#define BACKENDS_REDIS_INTERNAL_PLUGIN_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "backends/redis/internal/data_model.h"
#include "backends/redis/internal/router.h"
#include "backends/redis/internal/settings.h"
#include "persistence/api/config.h"

namespace persistence::redis::internal {

class PluginClient {
 public:
  // `kind` names the plugin in errors ("journal"); `client_name` is what
  // CLIENT LIST shows for its connections.
  PluginClient(const Config& config, std::string kind, std::string config_path,
               std::string client_name);

  // Start opens the connections; the config error, if the section had one.
  absl::Status Start();
  bool started() const { return router_ != nullptr; }
  // NotStarted is the error of a call made before a successful Start.
  absl::Status NotStarted() const;

  const RedisSettings& settings() const { return settings_; }
  const KeySpace& keys() const { return keys_; }
  Scripts& scripts() { return scripts_; }
  // The requests of a persistence id go through the router, in order.
  // Only after a successful Start.
  Router& router() { return *router_; }
  Route For(std::string_view persistence_id) {
    return Route(*router_, persistence_id);
  }

 private:
  const std::string kind_;
  const std::string config_path_;
  absl::Status config_status_;
  RedisSettings settings_;
  KeySpace keys_;
  Scripts scripts_;
  // Last: destroyed first, so no reply handler outlives what it uses.
  std::unique_ptr<Router> router_;
};

}  // namespace persistence::redis::internal

#endif  // BACKENDS_REDIS_INTERNAL_PLUGIN_CLIENT_H_
