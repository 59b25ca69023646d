// Copyright 2026 The eventpersist Authors.
//
// codec.h: the stored form of events and snapshots, for backends that keep
// bytes. Encoding serializes the payload through the Serialization
// registry; decoding rebuilds it and names the persistence id and sequence
// number in every error, so a corrupt record can be found.
//
// EncodeAtomicWrites serializes every event of a request before the
// backend touches storage: a write whose event cannot be serialized comes
// back rejected with no record, and the backend stores none of it.
//
// Thread-safety: free functions; safe from any thread.
//
// Example:
//
//   for (EncodedWrite& w : EncodeAtomicWrites(writes)) {
//     if (!w.status.ok()) continue;   // rejected: store nothing of it
//     for (size_t i = 0; i < w.records.size(); ++i) Put(key(i), w.records[i]);
//   }
#ifndef PERSISTENCE_API_CODEC_H_
#define PERSISTENCE_API_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/persistent_repr.h"
#include "persistence/api/serialization.h"
#include "persistence/api/snapshot.h"

namespace persistence {

absl::StatusOr<std::string> EncodeEvent(
    const PersistentRepr& event,
    const Serialization& serialization = Serialization::Global());

// AppendEncodedEvent appends EncodeEvent(event) to `*out`, for a backend
// that keeps the records of a request in one buffer (growing it
// geometrically). On error `*out` is unchanged.
absl::Status AppendEncodedEvent(
    const PersistentRepr& event, std::string* out,
    const Serialization& serialization = Serialization::Global());

// DecodeEvent rebuilds the event stored for (persistence_id, sequence_nr).
// A record that does not parse, or holds another sequence number, is
// DataLoss naming both.
absl::StatusOr<PersistentRepr> DecodeEvent(
    std::string_view bytes, const std::string& persistence_id,
    int64_t sequence_nr,
    const Serialization& serialization = Serialization::Global());

// EncodedWrite: one atomic write, encoded or rejected.
struct EncodedWrite {
  absl::Status status;               // not OK: rejected, `records` empty
  std::vector<std::string> records;  // one per event, in order
};

std::vector<EncodedWrite> EncodeAtomicWrites(
    const std::vector<AtomicWrite>& writes,
    const Serialization& serialization = Serialization::Global());

absl::StatusOr<std::string> EncodeSnapshot(
    const SnapshotMetadata& metadata, const Payload& snapshot,
    const Serialization& serialization = Serialization::Global());

absl::StatusOr<SelectedSnapshot> DecodeSnapshot(
    std::string_view bytes, const std::string& persistence_id,
    const Serialization& serialization = Serialization::Global());

// DecodeSnapshotMetadata reads only the metadata (no payload decoding).
absl::StatusOr<SnapshotMetadata> DecodeSnapshotMetadata(
    std::string_view bytes, const std::string& persistence_id);

}  // namespace persistence

#endif  // PERSISTENCE_API_CODEC_H_
