// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/persistence.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "persistence/runtime/journal_actor.h"

namespace persistence {
namespace {

constexpr char kJournalDefault[] = "persistence.journal.plugin";
constexpr char kJournalFallback[] = "persistence.journal-plugin-fallback";
constexpr char kSnapshotDefault[] = "persistence.snapshot-store.plugin";
constexpr char kSnapshotFallback[] =
    "persistence.snapshot-store-plugin-fallback";

// Start runs the plugin's Start in the actor (on its dispatcher) and waits.
template <typename A>
absl::Status StartOnDispatcher(const std::shared_ptr<A>& actor) {
  Promise<absl::Status> started;
  actor->Post([actor, started] { started.Set(actor->StartPlugin()); });
  absl::Status status = started.GetFuture().Get();
  if (!status.ok()) actor->Stop();
  return status;
}

absl::Status WithContext(const absl::Status& s, const std::string& what) {
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

}  // namespace

Persistence::Persistence(ActorSystem& system) : system_(system) {}

Persistence::~Persistence() {
  // Plugins first: completing what they still hold, they may post to their
  // (stopped) actors, which drop it.
  std::vector<std::unique_ptr<AsyncWriteJournal>> journals;
  std::vector<std::unique_ptr<persistence::SnapshotStore>> snapshot_stores;
  {
    MutexLock lock(mu_);
    journals.swap(journal_plugins_);
    snapshot_stores.swap(snapshot_plugins_);
  }
  journals.clear();
  snapshot_stores.clear();
}

absl::StatusOr<std::string> Persistence::ResolveId(
    const std::string& plugin_id, const std::string& default_key,
    const char* kind) const {
  if (!plugin_id.empty()) return plugin_id;
  absl::StatusOr<std::string> id = system_.config().GetString(default_key);
  if (!id.ok()) return id.status();
  if (id->empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no ", kind, " plugin configured: set '", default_key,
                     "' to the config path of a ", kind, " plugin section"));
  }
  return *id;
}

absl::StatusOr<Config> Persistence::PluginConfig(
    const std::string& plugin_id, const std::string& fallback_path) const {
  const Config& config = system_.config();
  if (!config.HasPath(plugin_id)) {
    return absl::NotFoundError(
        absl::StrCat("plugin config path '", plugin_id,
                     "' is missing from the configuration"));
  }
  absl::StatusOr<Config> section = config.GetConfig(plugin_id);
  if (!section.ok()) return section.status();
  absl::StatusOr<Config> fallback = config.GetConfig(fallback_path);
  if (!fallback.ok()) return fallback.status();
  return section->WithFallback(*fallback);
}

absl::StatusOr<ActorRef<JournalRequest>> Persistence::Journal(
    const std::string& plugin_id) {
  absl::StatusOr<std::shared_ptr<JournalActor>> actor =
      JournalActorAt(plugin_id);
  if (!actor.ok()) return actor.status();
  return ActorRef<JournalRequest>(*std::move(actor));
}

absl::StatusOr<std::shared_ptr<JournalActor>> Persistence::JournalActorAt(
    const std::string& plugin_id) {
  absl::StatusOr<std::string> id =
      ResolveId(plugin_id, kJournalDefault, "journal");
  if (!id.ok()) return id.status();
  MutexLock lock(mu_);
  auto cached = journals_.find(*id);
  if (cached != journals_.end()) return cached->second;

  const std::string what = absl::StrCat("journal plugin '", *id, "'");
  absl::StatusOr<Config> section = PluginConfig(*id, kJournalFallback);
  if (!section.ok()) return section.status();
  absl::StatusOr<std::string> class_name = section->GetString("class");
  if (!class_name.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        class_name.status().message(), "; registered journal classes: [",
        absl::StrJoin(JournalRegistry::Global().Names(), ", "), "]"));
  }
  absl::StatusOr<std::string> dispatcher =
      section->GetString("plugin-dispatcher");
  if (!dispatcher.ok()) return dispatcher.status();
  absl::StatusOr<JournalSettings> settings =
      JournalSettings::FromConfig(*section);
  if (!settings.ok()) return settings.status();
  absl::StatusOr<std::unique_ptr<AsyncWriteJournal>> plugin =
      Create(JournalRegistry::Global(), *class_name, *section, *id,
             absl::StrCat("config key '", section->FullKey("class"), "'"));
  if (!plugin.ok()) return plugin.status();
  absl::StatusOr<std::shared_ptr<JournalActor>> actor =
      system_.SpawnOn<JournalActor>(*dispatcher, *id, plugin->get(), *settings);
  if (!actor.ok()) return WithContext(actor.status(), what);
  // A plugin that failed to start is destroyed here, when this returns: its
  // actor has stopped, and its Start has returned.
  absl::Status started = StartOnDispatcher(*actor);
  if (!started.ok()) {
    return WithContext(started, absl::StrCat(what, " failed to start"));
  }
  journal_plugins_.push_back(*std::move(plugin));
  journals_.emplace(*id, *actor);
  return *actor;
}

absl::StatusOr<ActorRef<SnapshotRequest>> Persistence::SnapshotStore(
    const std::string& plugin_id) {
  absl::StatusOr<std::string> id =
      ResolveId(plugin_id, kSnapshotDefault, "snapshot store");
  if (!id.ok()) return id.status();
  MutexLock lock(mu_);
  auto cached = snapshot_stores_.find(*id);
  if (cached != snapshot_stores_.end()) return cached->second;

  const std::string what = absl::StrCat("snapshot store plugin '", *id, "'");
  absl::StatusOr<Config> section = PluginConfig(*id, kSnapshotFallback);
  if (!section.ok()) return section.status();
  absl::StatusOr<std::string> class_name = section->GetString("class");
  if (!class_name.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        class_name.status().message(), "; registered snapshot store classes: [",
        absl::StrJoin(SnapshotStoreRegistry::Global().Names(), ", "), "]"));
  }
  absl::StatusOr<std::string> dispatcher =
      section->GetString("plugin-dispatcher");
  if (!dispatcher.ok()) return dispatcher.status();
  absl::StatusOr<Config> breaker_config = section->GetConfig("circuit-breaker");
  if (!breaker_config.ok()) return breaker_config.status();
  absl::StatusOr<CircuitBreakerSettings> breaker =
      CircuitBreakerSettings::FromConfig(*breaker_config);
  if (!breaker.ok()) return breaker.status();
  absl::StatusOr<std::unique_ptr<persistence::SnapshotStore>> plugin =
      Create(SnapshotStoreRegistry::Global(), *class_name, *section, *id,
             absl::StrCat("config key '", section->FullKey("class"), "'"));
  if (!plugin.ok()) return plugin.status();
  absl::StatusOr<std::shared_ptr<SnapshotActor>> actor =
      system_.SpawnOn<SnapshotActor>(*dispatcher, *id, plugin->get(), *breaker);
  if (!actor.ok()) return WithContext(actor.status(), what);
  absl::Status started = StartOnDispatcher(*actor);
  if (!started.ok()) {
    return WithContext(started, absl::StrCat(what, " failed to start"));
  }
  snapshot_plugins_.push_back(*std::move(plugin));
  ActorRef<SnapshotRequest> ref(*actor);
  snapshot_stores_.emplace(*id, ref);
  return ref;
}

}  // namespace persistence
