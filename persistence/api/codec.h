// Copyright 2026 The eventpersist Authors.
//
// codec.h: the stored form of events and snapshots, for backends that keep
// bytes. Encoding serializes the payload through the Serialization
// registry; decoding rebuilds it and names the persistence id and sequence
// number in every error, so a corrupt record can be found.
//
// EncodeRequest serializes every event of a write request before the
// backend touches storage, back to back into one buffer: a write whose
// event cannot be serialized comes back rejected with no record, and the
// backend stores none of it.
//
// Thread-safety: free functions; safe from any thread.
//
// Example:
//
//   EncodedRequest request = EncodeRequest(writes);
//   for (size_t i = 0; i < writes.size(); ++i) {
//     const EncodedRequest::Write& w = request.writes[i];
//     if (!w.rejection.ok()) continue;   // rejected: store nothing of it
//     for (const EncodedRequest::Record& r : request.RecordsOf(w)) {
//       Put(Key(writes[i].persistence_id(), r.sequence_nr), request.Bytes(r));
//     }
//   }
#ifndef PERSISTENCE_API_CODEC_H_
#define PERSISTENCE_API_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
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

// EncodedRequest: the atomic writes of one request, encoded. The records
// of all writes sit back to back in one buffer, so a request of many small
// events costs a few allocations, not one or two per event.
struct EncodedRequest {
  // One encoded event: bytes [begin, begin + size) of `buffer`.
  struct Record {
    int64_t sequence_nr = 0;
    size_t begin = 0;
    size_t size = 0;
  };
  // One atomic write (same index as in the request).
  struct Write {
    // Not OK: the write is rejected (an event could not be serialized, or
    // the backend refused it with Reject) and nothing of it is stored.
    absl::Status rejection;
    size_t first_record = 0;  // its records: [first_record, end_record)
    size_t end_record = 0;
  };

  std::vector<Write> writes;
  std::vector<Record> records;
  std::string buffer;

  std::string_view Bytes(const Record& r) const {
    return std::string_view(buffer).substr(r.begin, r.size);
  }
  absl::Span<const Record> RecordsOf(const Write& w) const {
    return absl::MakeConstSpan(records).subspan(w.first_record,
                                                w.end_record - w.first_record);
  }
  // Reject marks write `i` rejected (a backend's own check, such as an id
  // its storage cannot hold); its records stay in the buffer unused.
  void Reject(size_t i, absl::Status why) {
    writes[i].rejection = std::move(why);
    writes[i].end_record = writes[i].first_record;
  }
};

// EncodeRequest encodes every event of `writes`, in order.
EncodedRequest EncodeRequest(
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
