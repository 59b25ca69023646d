// Copyright 2026 The eventpersist Authors.
//
// registry.h: Registry, the one mechanism by which code registers itself by
// name at static-initialization time, and PERSISTENCE_REGISTER, its one
// macro.
//
// Four things register themselves this way, each in its own registry:
//
//   registry                    name                 value
//   JournalRegistry             "rocksdb.Journal"    a journal factory
//   SnapshotStoreRegistry       "rocksdb.Snapshot.." a snapshot store factory
//   ReferenceConfRegistry       "backends/x/reference.conf"   its HOCON text
//   tck::FixtureRegistry        "rocksdb"            a kit fixture factory
//   perf::RawEngineRegistry     "rocksdb"            a raw engine factory
//
// A registry maps a name to a value. A name registered twice is remembered
// and Find refuses it (AlreadyExists: two libraries claim it); an unknown
// name is NotFound and lists the registered ones.
//
// A factory builds an instance from the plugin's config section and its
// path. `Construct<T>` is the factory of any class with one of the three
// constructor shapes of the plugin contract, found at compile time, in
// this order:
//   T(const Config& config, const std::string& config_path)
//   T(const Config& config)
//   T()
// `config` is the plugin's own section (with the plugin fallback merged in)
// and `config_path` its path, e.g. "persistence.journal.rocksdb".
//
// Thread-safety: registration happens during static initialization;
// lookups are safe from any thread.
//
// Example (in a backend's .cc, whose cc_library is alwayslink):
//
//   PERSISTENCE_REGISTER(JournalRegistry, "my.Journal", Construct<MyJournal>);
#ifndef PERSISTENCE_API_REGISTRY_H_
#define PERSISTENCE_API_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "persistence/api/config.h"
#include "persistence/api/mutex.h"

namespace persistence {

// Factory<Interface> builds an instance of a registered class.
template <typename Interface>
using Factory = std::function<std::unique_ptr<Interface>(
    const Config& config, const std::string& config_path)>;

// Construct calls whichever of the three constructor shapes T has.
// [START constructor-shapes]
template <typename T>
std::unique_ptr<T> Construct(const Config& config,
                             const std::string& config_path) {
  if constexpr (std::is_constructible_v<T, const Config&, const std::string&>) {
    return std::make_unique<T>(config, config_path);
  } else if constexpr (std::is_constructible_v<T, const Config&>) {
    return std::make_unique<T>(config);
  } else {
    static_assert(std::is_default_constructible_v<T>,
                  "a registered class needs a constructor (const Config&, "
                  "const std::string&), (const Config&) or ()");
    return std::make_unique<T>();
  }
}
// [END constructor-shapes]

// Registry<Kind>: names to values of `Kind::Value`; `Kind::kWhat` names
// an entry in error messages ("journal class").
template <typename Kind>
class Registry {
 public:
  using Value = typename Kind::Value;

  static Registry& Global() {
    static auto* registry = new Registry();
    return *registry;
  }

  // Register binds `name` to `value`; a second binding of the name makes
  // Find refuse it. Returns true, for the static initializer.
  bool Register(const std::string& name, Value value) {
    MutexLock lock(mu_);
    if (!entries_.emplace(name, std::move(value)).second) {
      duplicates_.insert(name);
    }
    return true;
  }

  // Find returns the value bound to `name`. `where` says where the name
  // came from, for the error ("config key 'x.class'").
  absl::StatusOr<Value> Find(const std::string& name,
                             const std::string& where = "") const {
    const std::string from =
        where.empty() ? "" : absl::StrCat(" (", where, ")");
    MutexLock lock(mu_);
    if (duplicates_.count(name) > 0) {
      return absl::AlreadyExistsError(
          absl::StrCat(Kind::kWhat, " '", name, "'", from,
                       " is registered twice; two libraries claim that name"));
    }
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      std::vector<std::string> names;
      for (const auto& entry : entries_) names.push_back(entry.first);
      return absl::NotFoundError(absl::StrCat(
          "unknown ", Kind::kWhat, " '", name, "'", from, "; registered: [",
          absl::StrJoin(names, ", "), "] (is its library linked in?)"));
    }
    return it->second;
  }

  // Names lists the registered names, sorted.
  std::vector<std::string> Names() const {
    MutexLock lock(mu_);
    std::vector<std::string> names;
    for (const auto& entry : entries_) names.push_back(entry.first);
    return names;
  }

  // Entries lists every (name, value), sorted by name.
  std::vector<std::pair<std::string, Value>> Entries() const {
    MutexLock lock(mu_);
    return {entries_.begin(), entries_.end()};
  }

 private:
  Registry() = default;

  mutable Mutex mu_;
  std::map<std::string, Value> entries_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> duplicates_ ABSL_GUARDED_BY(mu_);
};

// FactoriesOf<Interface>: the base of a kind whose values are factories.
// A kind adds `kWhat`:
//
//   struct JournalClasses : FactoriesOf<AsyncWriteJournal> {
//     static constexpr char kWhat[] = "journal class";
//   };
//   using JournalRegistry = Registry<JournalClasses>;
template <typename Interface>
struct FactoriesOf {
  using Value = Factory<Interface>;
  using Product = Interface;
};

// Create finds the factory of `name` in `registry` and builds an instance.
template <typename Kind>
absl::StatusOr<std::unique_ptr<typename Kind::Product>> Create(
    const Registry<Kind>& registry, const std::string& name,
    const Config& config, const std::string& config_path,
    const std::string& where = "") {
  absl::StatusOr<typename Kind::Value> factory = registry.Find(name, where);
  if (!factory.ok()) return factory.status();
  return (*factory)(config, config_path);
}

}  // namespace persistence

#define PERSISTENCE_REGISTRY_CONCAT_INNER(a, b) a##b
#define PERSISTENCE_REGISTRY_CONCAT(a, b) \
  PERSISTENCE_REGISTRY_CONCAT_INNER(a, b)

// PERSISTENCE_REGISTER(RegistryType, "name", value) binds `name` to `value`
// in RegistryType::Global() when the program starts.
#define PERSISTENCE_REGISTER(RegistryType, name, value)                  \
  static const bool PERSISTENCE_REGISTRY_CONCAT(persistence_registered_, \
                                                __COUNTER__) =           \
      RegistryType::Global().Register(name, value)

#endif  // PERSISTENCE_API_REGISTRY_H_
