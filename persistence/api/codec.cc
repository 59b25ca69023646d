// Copyright 2026 The eventpersist Authors.
#include "persistence/api/codec.h"

#include "absl/strings/str_cat.h"
#include "persistence/api/stored.pb.h"

namespace persistence {
namespace {

absl::Status Serialize(const Payload& payload,
                       const Serialization& serialization,
                       stored::StoredPayload* out) {
  absl::StatusOr<SerializedPayload> serialized =
      serialization.Serialize(payload);
  if (!serialized.ok()) return serialized.status();
  out->set_serializer_id(serialized->serializer_id);
  out->set_manifest(std::move(serialized->manifest));
  out->set_bytes(std::move(serialized->bytes));
  return absl::OkStatus();
}

absl::StatusOr<Payload> Deserialize(const stored::StoredPayload& stored,
                                    const Serialization& serialization) {
  return serialization.Deserialize(stored.serializer_id(), stored.manifest(),
                                   stored.bytes());
}

absl::Status EventError(const std::string& persistence_id, int64_t sequence_nr,
                        const std::string& what) {
  return absl::DataLossError(absl::StrCat(
      "cannot decode the event of persistence id '", persistence_id,
      "' at sequence number ", sequence_nr, ": ", what));
}

}  // namespace

absl::StatusOr<std::string> EncodeEvent(const PersistentRepr& event,
                                        const Serialization& serialization) {
  stored::StoredEvent record;
  record.set_sequence_nr(event.sequence_nr);
  absl::Status s =
      Serialize(event.payload, serialization, record.mutable_payload());
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event of persistence id '", event.persistence_id,
                     "' at sequence number ", event.sequence_nr,
                     " cannot be serialized: ", s.message()));
  }
  if (event.metadata.has_value()) {
    s = Serialize(*event.metadata, serialization, record.mutable_metadata());
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata of persistence id '", event.persistence_id,
                       "' at sequence number ", event.sequence_nr,
                       " cannot be serialized: ", s.message()));
    }
  }
  record.set_manifest(event.manifest);
  record.set_timestamp(event.timestamp);
  record.set_writer_uuid(event.writer_uuid);
  return record.SerializeAsString();
}

absl::StatusOr<PersistentRepr> DecodeEvent(std::string_view bytes,
                                           const std::string& persistence_id,
                                           int64_t sequence_nr,
                                           const Serialization& serialization) {
  stored::StoredEvent record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return EventError(persistence_id, sequence_nr, "the record does not parse");
  }
  if (record.sequence_nr() != sequence_nr) {
    return EventError(persistence_id, sequence_nr,
                      absl::StrCat("the record holds sequence number ",
                                   record.sequence_nr()));
  }
  PersistentRepr event;
  absl::StatusOr<Payload> payload =
      Deserialize(record.payload(), serialization);
  if (!payload.ok()) {
    return EventError(persistence_id, sequence_nr,
                      std::string(payload.status().message()));
  }
  event.payload = *std::move(payload);
  if (record.has_metadata()) {
    absl::StatusOr<Payload> metadata =
        Deserialize(record.metadata(), serialization);
    if (!metadata.ok()) {
      return EventError(persistence_id, sequence_nr,
                        std::string(metadata.status().message()));
    }
    event.metadata = *std::move(metadata);
  }
  event.persistence_id = persistence_id;
  event.sequence_nr = sequence_nr;
  event.manifest = record.manifest();
  event.timestamp = record.timestamp();
  event.writer_uuid = record.writer_uuid();
  return event;
}

std::vector<EncodedWrite> EncodeAtomicWrites(
    const std::vector<AtomicWrite>& writes,
    const Serialization& serialization) {
  std::vector<EncodedWrite> encoded(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    encoded[i].records.reserve(writes[i].size());
    for (const PersistentRepr& event : writes[i].payload()) {
      absl::StatusOr<std::string> record = EncodeEvent(event, serialization);
      if (!record.ok()) {
        encoded[i].status = record.status();
        encoded[i].records.clear();
        break;
      }
      encoded[i].records.push_back(*std::move(record));
    }
  }
  return encoded;
}

absl::StatusOr<std::string> EncodeSnapshot(const SnapshotMetadata& metadata,
                                           const Payload& snapshot,
                                           const Serialization& serialization) {
  stored::StoredSnapshot record;
  record.set_sequence_nr(metadata.sequence_nr);
  record.set_timestamp(metadata.timestamp);
  absl::Status s =
      Serialize(snapshot, serialization, record.mutable_snapshot());
  if (s.ok() && metadata.metadata.has_value()) {
    s = Serialize(*metadata.metadata, serialization, record.mutable_metadata());
  }
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot of persistence id '", metadata.persistence_id,
                     "' at sequence number ", metadata.sequence_nr,
                     " cannot be serialized: ", s.message()));
  }
  return record.SerializeAsString();
}

namespace {

absl::StatusOr<stored::StoredSnapshot> ParseSnapshot(
    std::string_view bytes, const std::string& persistence_id) {
  stored::StoredSnapshot record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("cannot decode a snapshot of persistence id '",
                     persistence_id, "': the record does not parse"));
  }
  return record;
}

}  // namespace

absl::StatusOr<SnapshotMetadata> DecodeSnapshotMetadata(
    std::string_view bytes, const std::string& persistence_id) {
  absl::StatusOr<stored::StoredSnapshot> record =
      ParseSnapshot(bytes, persistence_id);
  if (!record.ok()) return record.status();
  SnapshotMetadata metadata;
  metadata.persistence_id = persistence_id;
  metadata.sequence_nr = record->sequence_nr();
  metadata.timestamp = record->timestamp();
  return metadata;
}

absl::StatusOr<SelectedSnapshot> DecodeSnapshot(
    std::string_view bytes, const std::string& persistence_id,
    const Serialization& serialization) {
  absl::StatusOr<stored::StoredSnapshot> record =
      ParseSnapshot(bytes, persistence_id);
  if (!record.ok()) return record.status();
  SelectedSnapshot selected;
  selected.metadata.persistence_id = persistence_id;
  selected.metadata.sequence_nr = record->sequence_nr();
  selected.metadata.timestamp = record->timestamp();
  auto fail = [&](const absl::Status& s) {
    return absl::DataLossError(absl::StrCat(
        "cannot decode the snapshot of persistence id '", persistence_id,
        "' at sequence number ", record->sequence_nr(), ": ", s.message()));
  };
  absl::StatusOr<Payload> snapshot =
      Deserialize(record->snapshot(), serialization);
  if (!snapshot.ok()) return fail(snapshot.status());
  selected.snapshot = *std::move(snapshot);
  if (record->has_metadata()) {
    absl::StatusOr<Payload> metadata =
        Deserialize(record->metadata(), serialization);
    if (!metadata.ok()) return fail(metadata.status());
    selected.metadata.metadata = *std::move(metadata);
  }
  return selected;
}

}  // namespace persistence
