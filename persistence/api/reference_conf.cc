// Copyright 2026 The eventpersist Authors.
#include "persistence/api/reference_conf.h"

namespace persistence {

absl::StatusOr<Config> ReferenceConfig() {
  Config merged;
  for (const auto& [origin, text] : ReferenceConfRegistry::Global().Entries()) {
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
