// Copyright 2026 The eventpersist Authors.
#include "persistence/api/journal.h"

#include <utility>

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

}  // namespace persistence
