// Copyright 2026 The eventpersist Authors.
#include "persistence/api/reference_conf.h"

#include <algorithm>
#include <mutex>

namespace persistence {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> confs;
};

Registry& GetRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace

bool RegisterReferenceConf(const char* origin, const char* text) {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  registry.confs.emplace_back(origin, text);
  return true;
}

std::vector<std::pair<std::string, std::string>> ReferenceConfs() {
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  auto confs = registry.confs;
  std::sort(confs.begin(), confs.end());
  return confs;
}

absl::StatusOr<Config> ReferenceConfig() {
  Config merged;
  for (const auto& [origin, text] : ReferenceConfs()) {
    absl::StatusOr<Config> one = Config::ParseString(text, origin);
    if (!one.ok()) return one.status();
    merged = merged.WithFallback(*one);
  }
  return merged;
}

absl::StatusOr<Config> LoadConfig(const Config& application) {
  absl::StatusOr<Config> reference = ReferenceConfig();
  if (!reference.ok()) return reference.status();
  return application.WithFallback(*reference).Resolve();
}

absl::StatusOr<Config> LoadConfigFromString(const std::string& application,
                                            const std::string& origin) {
  absl::StatusOr<Config> parsed = Config::ParseString(application, origin);
  if (!parsed.ok()) return parsed.status();
  return LoadConfig(*parsed);
}

}  // namespace persistence
