// Copyright 2026 The eventpersist Authors.
//
// reference_conf.h: defaults compiled into the binary.
//
// Each library that has settings ships a `reference.conf` next to its BUILD
// file and wraps it with the `embedded_reference_conf` Bazel macro
// (bazel/defs.bzl), which registers the text at static-initialization time.
// LoadConfig stacks the user's configuration over all of them, so a user
// overrides a default by naming the same key in application.conf.
//
// Thread-safety: registration happens during static initialization; the
// functions here are safe to call from any thread after main() starts.
//
// Example:
//
//   absl::StatusOr<Config> app = Config::ParseFile("application.conf");
//   absl::StatusOr<Config> config = LoadConfig(*app);  // app over defaults
#ifndef PERSISTENCE_API_REFERENCE_CONF_H_
#define PERSISTENCE_API_REFERENCE_CONF_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "persistence/api/config.h"
#include "persistence/api/registry.h"

namespace persistence {

// ReferenceConfRegistry: the text of every embedded reference.conf, by its
// source path (registry.h). The generated file of `embedded_reference_conf`
// registers one; nothing else needs to.
struct ReferenceConfTexts {
  using Value = std::string;
  static constexpr char kWhat[] = "reference.conf";
};
using ReferenceConfRegistry = Registry<ReferenceConfTexts>;

// ReferenceConfig merges all registered reference.conf files (unresolved).
absl::StatusOr<Config> ReferenceConfig();

// LoadConfig returns `application` over every reference.conf, resolved.
absl::StatusOr<Config> LoadConfig(const Config& application);

// LoadConfigFromString is LoadConfig of HOCON text (tests, examples).
absl::StatusOr<Config> LoadConfigFromString(const std::string& application,
                                            const std::string& origin);

}  // namespace persistence

#endif  // PERSISTENCE_API_REFERENCE_CONF_H_
