// Copyright 2026 The eventpersist Authors.
#include "persistence/api/journal.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "persistence/api/codec.h"

namespace persistence {

absl::Status ReplayCallback::Record(const std::string& persistence_id,
                                    int64_t sequence_nr,
                                    std::string_view record) const {
  if (on_record_) return on_record_(sequence_nr, record);
  absl::StatusOr<PersistentRepr> event =
      DecodeEvent(record, persistence_id, sequence_nr);
  if (!event.ok()) return event.status();
  on_event_(*std::move(event));
  return absl::OkStatus();
}

absl::Status CheckNotStale(const std::string& persistence_id,
                           int64_t lowest_sequence_nr, int64_t stored_highest) {
  if (lowest_sequence_nr > stored_highest) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "persistence id '", persistence_id, "': write of sequence number ",
      lowest_sequence_nr, " refused, ", stored_highest,
      " is already stored (is another incarnation of this actor writing?); "
      "nothing of the call was stored"));
}

}  // namespace persistence
