// Copyright 2026 The eventpersist Authors.
//
// plugin_registry.h: plugin classes registered by name.
//
// A backend registers its journal and snapshot store classes from its own
// .cc file (its cc_library is alwayslink), and a config section names one
// with `class = "..."`. The registry accepts the three constructor shapes of
// the plugin contract, detected at compile time, in this order:
//   MyJournal(const Config& config, const std::string& config_path)
//   MyJournal(const Config& config)
//   MyJournal()
// `config` is the plugin's own section (with the plugin fallback merged in)
// and `config_path` its path, e.g. "my-journal".
//
// Thread-safety: registration happens during static initialization;
// lookups are safe from any thread.
//
// Example (in the backend's .cc):
//
//   PERSISTENCE_REGISTER_JOURNAL(RocksDbJournal, "rocksdb.Journal");
#ifndef PERSISTENCE_API_PLUGIN_REGISTRY_H_
#define PERSISTENCE_API_PLUGIN_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "persistence/api/config.h"
#include "persistence/api/journal.h"
#include "persistence/api/snapshot_store.h"

namespace persistence {

template <typename Plugin>
using PluginFactory = std::function<std::unique_ptr<Plugin>(
    const Config& config, const std::string& config_path)>;

// PluginRegistry maps class names to factories, one registry per kind.
template <typename Plugin>
class PluginRegistry {
 public:
  static PluginRegistry& Global();

  // Register binds `class_name`; a name registered twice is remembered and
  // reported by Create, which then refuses it.
  bool Register(const std::string& class_name, PluginFactory<Plugin> factory);

  // Create builds an instance; an unknown class is NotFound and lists the
  // registered ones.
  absl::StatusOr<std::unique_ptr<Plugin>> Create(
      const std::string& class_name, const Config& config,
      const std::string& config_path) const;

  std::vector<std::string> ClassNames() const;
};

using JournalRegistry = PluginRegistry<AsyncWriteJournal>;
using SnapshotStoreRegistry = PluginRegistry<SnapshotStore>;

// ConstructPlugin calls whichever of the three constructor shapes T has.
// [START constructor-shapes]
template <typename T>
std::unique_ptr<T> ConstructPlugin(const Config& config,
                                   const std::string& config_path) {
  if constexpr (std::is_constructible_v<T, const Config&, const std::string&>) {
    return std::make_unique<T>(config, config_path);
  } else if constexpr (std::is_constructible_v<T, const Config&>) {
    return std::make_unique<T>(config);
  } else {
    static_assert(std::is_default_constructible_v<T>,
                  "a plugin needs a constructor (const Config&, const "
                  "std::string&), (const Config&) or ()");
    return std::make_unique<T>();
  }
}
// [END constructor-shapes]

}  // namespace persistence

#define PERSISTENCE_PLUGIN_CONCAT_INNER(a, b) a##b
#define PERSISTENCE_PLUGIN_CONCAT(a, b) PERSISTENCE_PLUGIN_CONCAT_INNER(a, b)

// PERSISTENCE_REGISTER_JOURNAL(Class, "name") registers a journal class.
#define PERSISTENCE_REGISTER_JOURNAL(Class, name)                          \
  static const bool PERSISTENCE_PLUGIN_CONCAT(persistence_journal_,        \
                                              __COUNTER__) =               \
      ::persistence::JournalRegistry::Global().Register(                   \
          name, [](const ::persistence::Config& c, const std::string& p) { \
            return std::unique_ptr<::persistence::AsyncWriteJournal>(      \
                ::persistence::ConstructPlugin<Class>(c, p));              \
          })

// PERSISTENCE_REGISTER_SNAPSHOT_STORE(Class, "name") registers a store.
#define PERSISTENCE_REGISTER_SNAPSHOT_STORE(Class, name)                   \
  static const bool PERSISTENCE_PLUGIN_CONCAT(persistence_snapshot_store_, \
                                              __COUNTER__) =               \
      ::persistence::SnapshotStoreRegistry::Global().Register(             \
          name, [](const ::persistence::Config& c, const std::string& p) { \
            return std::unique_ptr<::persistence::SnapshotStore>(          \
                ::persistence::ConstructPlugin<Class>(c, p));              \
          })

#endif  // PERSISTENCE_API_PLUGIN_REGISTRY_H_
