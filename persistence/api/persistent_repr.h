// Copyright 2026 The eventpersist Authors.
//
// persistent_repr.h: the journal's data types. PersistentRepr is one event
// as the journal stores and replays it; AtomicWrite is the unit that is
// stored entirely or not at all.
//
// Thread-safety: plain values.
//
// Example:
//
//   PersistentRepr e;
//   e.persistence_id = "account-17";
//   e.sequence_nr = 6;
//   e.payload = Payload::Of(std::string("deposited 10"));
//   absl::StatusOr<AtomicWrite> w = AtomicWrite::Make({e});
#ifndef PERSISTENCE_API_PERSISTENT_REPR_H_
#define PERSISTENCE_API_PERSISTENT_REPR_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "persistence/api/payload.h"

namespace persistence {

// kMaxSequenceNr: "no upper bound" in replays and deletes.
inline constexpr int64_t kMaxSequenceNr = std::numeric_limits<int64_t>::max();

// PersistentRepr is one event of one persistence id.
struct PersistentRepr {
  Payload payload;
  // The event adapter's manifest; empty unless the application sets one.
  // (The serializer's own manifest is stored separately by the journal.)
  std::string manifest;
  std::string persistence_id;
  int64_t sequence_nr = 0;
  // Milliseconds since the Unix epoch; 0 when not set.
  int64_t timestamp = 0;
  // Identifies the actor incarnation that wrote the event (replay filter).
  std::string writer_uuid;
  // Optional metadata stored with the event (supports_metadata).
  std::optional<Payload> metadata;
  // True only for events a journal marks deleted instead of removing them.
  bool deleted = false;
};

// AtomicWrite: events of one persistence id with contiguous sequence
// numbers, stored entirely or not at all. Immutable; copies share the events.
class AtomicWrite {
 public:
  // Make checks the invariants: non-empty, one non-empty persistence id,
  // contiguous increasing sequence numbers. A violation is InvalidArgument
  // naming it.
  static absl::StatusOr<AtomicWrite> Make(std::vector<PersistentRepr> events);

  const std::vector<PersistentRepr>& payload() const { return *events_; }
  const std::string& persistence_id() const {
    return events_->front().persistence_id;
  }
  int64_t lowest_sequence_nr() const { return events_->front().sequence_nr; }
  int64_t highest_sequence_nr() const { return events_->back().sequence_nr; }
  size_t size() const { return events_->size(); }

 private:
  explicit AtomicWrite(std::vector<PersistentRepr> events)
      : events_(std::make_shared<const std::vector<PersistentRepr>>(
            std::move(events))) {}
  // Shared: the journal actor keeps the writes for its reply while the
  // plugin holds them, without copying every event.
  std::shared_ptr<const std::vector<PersistentRepr>> events_;
};

}  // namespace persistence

#endif  // PERSISTENCE_API_PERSISTENT_REPR_H_
