// Copyright 2026 The eventpersist Authors.
//
// persistence.h: the Persistence extension, which finds plugins by config.
//
// `persistence.journal.plugin` and `persistence.snapshot-store.plugin` name
// the config sections of the default plugins; an actor may name another
// section instead. A section's `class` names a registered plugin class
// (registry.h). Each plugin is built lazily, once per config path,
// with its section over `persistence.journal-plugin-fallback` (or
// `snapshot-store-plugin-fallback`), started, and hosted as an actor on its
// `plugin-dispatcher`.
//
// The extension owns the plugins. It destroys them when the actor system
// terminates, on the terminating thread, after every dispatcher has
// stopped: a plugin is never destroyed on one of its own threads, so it may
// simply join them in its destructor.
//
// Thread-safety: all methods may be called from any thread, but not from
// a thread of a plugin dispatcher (they wait for the plugin's Start there).
//
// Example:
//
//   Persistence& persistence = system->Extension<Persistence>();
//   absl::StatusOr<ActorRef<JournalRequest>> journal = persistence.Journal();
//   if (!journal.ok()) Die(journal.status());  // names the config path
#ifndef PERSISTENCE_RUNTIME_PERSISTENCE_H_
#define PERSISTENCE_RUNTIME_PERSISTENCE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "persistence/api/mutex.h"
#include "persistence/runtime/actor.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/journal_actor.h"
#include "persistence/runtime/journal_protocol.h"
#include "persistence/runtime/snapshot_actor.h"

namespace persistence {

class Persistence {
 public:
  explicit Persistence(ActorSystem& system);
  // Destroys the plugins (see above), then lets go of their actors.
  ~Persistence();

  // Journal returns the journal at config path `plugin_id`; "" is the
  // default, `persistence.journal.plugin`.
  absl::StatusOr<ActorRef<JournalRequest>> Journal(
      const std::string& plugin_id = "");
  // JournalActorAt is the journal actor itself, for Submit.
  absl::StatusOr<std::shared_ptr<JournalActor>> JournalActorAt(
      const std::string& plugin_id = "");
  // SnapshotStore is the same for snapshot stores.
  absl::StatusOr<ActorRef<SnapshotRequest>> SnapshotStore(
      const std::string& plugin_id = "");

  // PluginConfig is the section a plugin at `plugin_id` receives.
  absl::StatusOr<Config> PluginConfig(const std::string& plugin_id,
                                      const std::string& fallback_path) const;

 private:
  absl::StatusOr<std::string> ResolveId(const std::string& plugin_id,
                                        const std::string& default_key,
                                        const char* kind) const;

  ActorSystem& system_;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<JournalActor>> journals_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, ActorRef<SnapshotRequest>> snapshot_stores_
      ABSL_GUARDED_BY(mu_);
  // The plugins of the actors above, in the order they started.
  std::vector<std::unique_ptr<AsyncWriteJournal>> journal_plugins_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<persistence::SnapshotStore>> snapshot_plugins_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_PERSISTENCE_H_
