// Copyright 2026 The eventpersist Authors.
//
// runtime_test_util.h: helpers for the runtime's own tests: an actor system
// over a HOCON string, with the in-memory backend as the default plugins.
#ifndef PERSISTENCE_RUNTIME_RUNTIME_TEST_UTIL_H_
#define PERSISTENCE_RUNTIME_RUNTIME_TEST_UTIL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "persistence/api/reference_conf.h"
#include "persistence/runtime/actor_system.h"

namespace persistence::testing {

inline constexpr char kInMemoryPlugins[] = R"(
  persistence.journal.plugin = "persistence.journal.inmem"
  persistence.snapshot-store.plugin = "persistence.snapshot-store.inmem"
)";

inline std::unique_ptr<ActorSystem> NewTestSystem(const std::string& hocon) {
  absl::StatusOr<Config> config = LoadConfigFromString(hocon, "test config");
  if (!config.ok()) return nullptr;
  absl::StatusOr<std::unique_ptr<ActorSystem>> system =
      ActorSystem::Create("test", *config);
  return system.ok() ? *std::move(system) : nullptr;
}

}  // namespace persistence::testing

#endif  // PERSISTENCE_RUNTIME_RUNTIME_TEST_UTIL_H_
