// Copyright 2026 The eventpersist Authors.
#include "persistence/api/plugin_registry.h"

#include <map>
#include <mutex>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace persistence {
namespace {

template <typename Plugin>
struct RegistryState {
  std::mutex mu;
  std::map<std::string, PluginFactory<Plugin>> factories;
  std::set<std::string> duplicates;
};

template <typename Plugin>
RegistryState<Plugin>& State() {
  static auto* state = new RegistryState<Plugin>();
  return *state;
}

}  // namespace

template <typename Plugin>
PluginRegistry<Plugin>& PluginRegistry<Plugin>::Global() {
  static auto* registry = new PluginRegistry<Plugin>();
  return *registry;
}

template <typename Plugin>
bool PluginRegistry<Plugin>::Register(const std::string& class_name,
                                      PluginFactory<Plugin> factory) {
  auto& state = State<Plugin>();
  std::lock_guard<std::mutex> lock(state.mu);
  if (!state.factories.emplace(class_name, std::move(factory)).second) {
    state.duplicates.insert(class_name);
  }
  return true;
}

template <typename Plugin>
absl::StatusOr<std::unique_ptr<Plugin>> PluginRegistry<Plugin>::Create(
    const std::string& class_name, const Config& config,
    const std::string& config_path) const {
  auto& state = State<Plugin>();
  PluginFactory<Plugin> factory;
  {
    std::lock_guard<std::mutex> lock(state.mu);
    if (state.duplicates.count(class_name) > 0) {
      return absl::AlreadyExistsError(absl::StrCat(
          "plugin class '", class_name, "' (", config_path,
          ".class) is registered twice; two libraries claim that name"));
    }
    auto it = state.factories.find(class_name);
    if (it != state.factories.end()) factory = it->second;
  }
  if (!factory) {
    return absl::NotFoundError(absl::StrCat(
        "unknown plugin class '", class_name, "' at config path '", config_path,
        ".class'; registered classes: [", absl::StrJoin(ClassNames(), ", "),
        "] (is the backend's library linked in?)"));
  }
  return factory(config, config_path);
}

template <typename Plugin>
std::vector<std::string> PluginRegistry<Plugin>::ClassNames() const {
  auto& state = State<Plugin>();
  std::lock_guard<std::mutex> lock(state.mu);
  std::vector<std::string> names;
  for (const auto& entry : state.factories) names.push_back(entry.first);
  return names;
}

template class PluginRegistry<AsyncWriteJournal>;
template class PluginRegistry<SnapshotStore>;

}  // namespace persistence
