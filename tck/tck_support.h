// Copyright 2026 The eventpersist Authors.
//
// tck_support.h: what the kit's suites share: one actor system per suite
// built from the backend's config, a blocking client of the journal and
// snapshot store actors, and the event types the cases write.
//
// Thread-safety: a JournalClient / SnapshotClient is used by one test
// thread; replies arrive on plugin threads and are handed over through
// futures.
#ifndef PERSISTENCE_TCK_TCK_SUPPORT_H_
#define PERSISTENCE_TCK_TCK_SUPPORT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "persistence/api/persistent_repr.h"
#include "persistence/api/serialization.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/journal_actor.h"
#include "persistence/runtime/journal_protocol.h"
#include "persistence/runtime/snapshot_actor.h"
#include "tck/tck.h"

namespace persistence::tck {

// How long the kit waits for any one reply (longer under a sanitizer,
// kSanitizerSlowdown in tck.h).
inline constexpr std::chrono::seconds kReplyTimeout(20 * kSanitizerSlowdown);

// TckEvent: a user type with its own serializer (supports_serialization).
struct TckEvent {
  std::string text;
  int64_t number = 0;
};
inline constexpr int32_t kTckEventSerializerId = 9100;

// Unloadable: a type whose serializer stores it and never loads it back (a
// snapshot that cannot be decoded, for the max-load-attempts cases).
struct Unloadable {
  int value = 0;
};
inline constexpr int32_t kUnloadableSerializerId = 9101;

// NotSerializable: a type with no serializer (rejection cases).
struct NotSerializable {
  int value = 0;
};

// NewSystem builds an actor system from the kit's loaded config.
std::unique_ptr<ActorSystem> NewSystem(const std::string& name);

// UniqueId returns a persistence id no other case of this run uses.
std::string UniqueId(const std::string& prefix);

// Event builds an event of `persistence_id` with a string payload.
PersistentRepr Event(const std::string& persistence_id, int64_t sequence_nr,
                     const std::string& payload,
                     const std::string& writer_uuid);

struct ReplayOutcome {
  std::vector<PersistentRepr> events;
  absl::StatusOr<int64_t> highest = 0;
};

// JournalClient talks to the journal actor as a persistent actor does:
// writes go in by JournalActor::Submit (inline on the calling thread when
// the plugin's writes never block, the production path), everything else
// by Tell.
class JournalClient {
 public:
  JournalClient(ActorRef<JournalRequest> journal,
                std::shared_ptr<JournalActor> writer)
      : journal_(journal), writer_(std::move(writer)) {}

  // Write submits one WriteMessages and waits for its result.
  WriteMessagesResult Write(std::vector<AtomicWrite> writes) const;
  // WriteAsync sends it and returns the future result; `on_reply`, if
  // given, runs first, on the thread the journal replies from.
  Future<WriteMessagesResult> WriteAsync(
      std::vector<AtomicWrite> writes,
      std::function<void(const WriteMessagesResult&)> on_reply = nullptr) const;
  ReplayOutcome Replay(const std::string& persistence_id, int64_t from,
                       int64_t to, int64_t max) const;
  absl::Status Delete(const std::string& persistence_id, int64_t to) const;
  absl::StatusOr<int64_t> Highest(const std::string& persistence_id) const;

 private:
  ActorRef<JournalRequest> journal_;
  std::shared_ptr<JournalActor> writer_;
};

class SnapshotClient {
 public:
  explicit SnapshotClient(ActorRef<SnapshotRequest> store) : store_(store) {}

  absl::StatusOr<SnapshotMetadata> Save(const SnapshotMetadata& metadata,
                                        const Payload& snapshot) const;
  LoadResult Load(const std::string& persistence_id,
                  const SnapshotSelectionCriteria& criteria,
                  int64_t to_sequence_nr = kMaxSequenceNr) const;
  absl::Status Delete(const SnapshotMetadata& metadata) const;
  absl::Status Delete(const std::string& persistence_id,
                      const SnapshotSelectionCriteria& criteria) const;

 private:
  ActorRef<SnapshotRequest> store_;
};

// Await waits for `future` up to kReplyTimeout; a timeout is an error value.
template <typename T>
absl::StatusOr<T> Await(const Future<T>& future) {
  if (!future.WaitFor(kReplyTimeout)) {
    return absl::DeadlineExceededError("no reply within the kit's timeout");
  }
  return future.Get();
}

}  // namespace persistence::tck

#endif  // PERSISTENCE_TCK_TCK_SUPPORT_H_
