// Copyright 2026 The eventpersist Authors.
#include "persistence/api/persistent_repr.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace persistence {

absl::StatusOr<AtomicWrite> AtomicWrite::Make(
    std::vector<PersistentRepr> events) {
  if (events.empty()) {
    return absl::InvalidArgumentError("an atomic write must not be empty");
  }
  const PersistentRepr& first = events.front();
  if (first.persistence_id.empty()) {
    return absl::InvalidArgumentError(
        "an atomic write needs a persistence id; this one is empty");
  }
  if (first.sequence_nr < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "atomic write for persistence id '", first.persistence_id,
        "': sequence numbers start at 1, got ", first.sequence_nr));
  }
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i].persistence_id != first.persistence_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "an atomic write holds one persistence id, got '",
          first.persistence_id, "' and '", events[i].persistence_id, "'"));
    }
    if (events[i].sequence_nr != events[i - 1].sequence_nr + 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "atomic write for persistence id '", first.persistence_id,
          "': sequence numbers must be contiguous, got ",
          events[i - 1].sequence_nr, " then ", events[i].sequence_nr));
    }
  }
  return AtomicWrite(std::move(events));
}

}  // namespace persistence
