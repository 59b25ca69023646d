// Copyright 2026 The eventpersist Authors.
#include "backends/redis/internal/plugin_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/redis/internal/cluster.h"
#include "backends/redis/internal/connection.h"

namespace persistence::redis::internal {

PluginClient::PluginClient(const Config& config, std::string kind,
                           std::string config_path, std::string client_name)
    : kind_(std::move(kind)), config_path_(std::move(config_path)), keys_("") {
  absl::StatusOr<RedisSettings> settings = RedisSettings::FromConfig(
      config, kind_ == "journal" ? RedisSettings::Plugin::kJournal
                                 : RedisSettings::Plugin::kSnapshotStore);
  if (!settings.ok()) {
    config_status_ = settings.status();
    return;
  }
  settings_ = *std::move(settings);
  settings_.client_name = std::move(client_name);
  keys_ = KeySpace(settings_.key_prefix);
}

absl::Status PluginClient::Start() {
  if (!config_status_.ok()) return config_status_;
  if (settings_.cluster()) {
    absl::StatusOr<std::unique_ptr<ClusterRouter>> cluster =
        ClusterRouter::Open(settings_, &scripts_);
    if (!cluster.ok()) return cluster.status();
    router_ = *std::move(cluster);
  } else {
    absl::StatusOr<std::unique_ptr<ConnectionPool>> pool =
        ConnectionPool::Open(settings_, &scripts_);
    if (!pool.ok()) return pool.status();
    router_ = *std::move(pool);
  }
  return absl::OkStatus();
}

absl::Status PluginClient::NotStarted() const {
  return absl::FailedPreconditionError(absl::StrCat(
      "redis ", kind_, " '", config_path_,
      "' is not started (Start failed or was not called)",
      config_status_.ok() ? "" : absl::StrCat(": ", config_status_.message())));
}

}  // namespace persistence::redis::internal
