// Copyright 2026 The eventpersist Authors.
//
// snapshot_actor.h: SnapshotActor hosts one snapshot store plugin instance,
// and the requests it takes.
//
// It calls the plugin from its own mailbox only, sets the timestamp of a
// snapshot being saved (when the caller left it 0), limits a load to the
// caller's `to_sequence_nr`, and wraps every call in a circuit breaker.
// As in JournalActor, what follows a plugin's Future runs in this actor's
// mailbox, and the Persistence extension owns the plugin.
//
// Thread-safety: an actor; talk to it with Tell. Reply callbacks run in its
// mailbox (or on the scheduler's thread, for a call that timed out).
#ifndef PERSISTENCE_RUNTIME_SNAPSHOT_ACTOR_H_
#define PERSISTENCE_RUNTIME_SNAPSHOT_ACTOR_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/snapshot_store.h"
#include "persistence/runtime/actor.h"
#include "persistence/runtime/circuit_breaker.h"

namespace persistence {

struct LoadSnapshot {
  std::string persistence_id;
  SnapshotSelectionCriteria criteria;
  int64_t to_sequence_nr = std::numeric_limits<int64_t>::max();
  std::function<void(LoadResult)> reply;
};

struct SaveSnapshot {
  SnapshotMetadata metadata;
  Payload snapshot;
  // The metadata as stored (with its timestamp), or the error.
  std::function<void(absl::StatusOr<SnapshotMetadata>)> reply;
};

struct DeleteSnapshot {
  SnapshotMetadata metadata;
  std::function<void(absl::Status)> reply;
};

struct DeleteSnapshots {
  std::string persistence_id;
  SnapshotSelectionCriteria criteria;
  std::function<void(absl::Status)> reply;
};

using SnapshotRequest =
    std::variant<LoadSnapshot, SaveSnapshot, DeleteSnapshot, DeleteSnapshots>;

class SnapshotActor : public Actor<SnapshotRequest> {
 public:
  // `plugin` must outlive the actor's messages (Persistence owns it).
  SnapshotActor(std::string plugin_id, SnapshotStore* plugin,
                CircuitBreakerSettings breaker);

  void Receive(SnapshotRequest request) override;
  absl::Status StartPlugin();

 private:
  void Handle(LoadSnapshot request);
  void Handle(SaveSnapshot request);
  void Handle(DeleteSnapshot request);
  void Handle(DeleteSnapshots request);

  const std::string plugin_id_;
  const CircuitBreakerSettings breaker_settings_;
  std::unique_ptr<CircuitBreaker> breaker_;
  SnapshotStore* const plugin_;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_SNAPSHOT_ACTOR_H_
