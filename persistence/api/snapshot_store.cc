// Copyright 2026 The eventpersist Authors.
#include "persistence/api/snapshot_store.h"

#include <utility>

#include "persistence/api/codec.h"

namespace persistence {

LoadResult SelectSnapshot(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria, int64_t max_load_attempts,
    absl::FunctionRef<std::optional<std::string_view>()> next_youngest) {
  absl::Status last_error;
  int64_t attempts = 0;
  for (std::optional<std::string_view> record = next_youngest();
       record.has_value() && attempts < max_load_attempts;
       record = next_youngest()) {
    // The metadata alone decides the match; a record whose metadata does
    // not decode counts as a match that fails to load.
    absl::StatusOr<SnapshotMetadata> metadata =
        DecodeSnapshotMetadata(*record, persistence_id);
    if (metadata.ok() && !criteria.Matches(*metadata)) continue;
    absl::StatusOr<SelectedSnapshot> selected =
        DecodeSnapshot(*record, persistence_id);
    if (selected.ok()) {
      return std::optional<SelectedSnapshot>(*std::move(selected));
    }
    last_error = selected.status();
    ++attempts;
  }
  if (!last_error.ok()) return last_error;
  return std::optional<SelectedSnapshot>();
}

}  // namespace persistence
