// Copyright 2026 The eventpersist Authors.
//
// snapshot.h: the snapshot store's data types.
//
// Selection rule: a snapshot matches criteria when
//   min_sequence_nr <= sequence_nr <= max_sequence_nr  and
//   min_timestamp   <= timestamp   <= max_timestamp;
// the youngest match (highest sequence number) wins.
//
// Thread-safety: plain values.
//
// Example:
//
//   auto latest = SnapshotSelectionCriteria::Latest();
//   auto up_to_13 = SnapshotSelectionCriteria{.max_sequence_nr = 13};
#ifndef PERSISTENCE_API_SNAPSHOT_H_
#define PERSISTENCE_API_SNAPSHOT_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "persistence/api/payload.h"

namespace persistence {

struct SnapshotMetadata {
  std::string persistence_id;
  int64_t sequence_nr = 0;
  // Milliseconds since the Unix epoch, set by the snapshot actor on save.
  // In a delete by metadata, 0 matches any timestamp.
  int64_t timestamp = 0;
  // Optional metadata stored with the snapshot (supports_metadata).
  std::optional<Payload> metadata;
};

struct SnapshotSelectionCriteria {
  int64_t max_sequence_nr = std::numeric_limits<int64_t>::max();
  int64_t max_timestamp = std::numeric_limits<int64_t>::max();
  int64_t min_sequence_nr = 0;
  int64_t min_timestamp = 0;

  static SnapshotSelectionCriteria Latest() { return {}; }
  // None matches nothing (used to skip snapshots on recovery).
  static SnapshotSelectionCriteria None() { return {0, 0, 0, 0}; }

  bool Matches(const SnapshotMetadata& m) const {
    return min_sequence_nr <= m.sequence_nr &&
           m.sequence_nr <= max_sequence_nr && min_timestamp <= m.timestamp &&
           m.timestamp <= max_timestamp;
  }
};

// A delete by metadata removes the snapshot at that sequence number when
// the given timestamp is 0 or not older than the stored one.
inline bool DeleteByMetadataMatches(const SnapshotMetadata& request,
                                    const SnapshotMetadata& stored) {
  return request.persistence_id == stored.persistence_id &&
         request.sequence_nr == stored.sequence_nr &&
         (request.timestamp == 0 || stored.timestamp <= request.timestamp);
}

struct SelectedSnapshot {
  SnapshotMetadata metadata;
  Payload snapshot;
};

}  // namespace persistence

#endif  // PERSISTENCE_API_SNAPSHOT_H_
