// Copyright 2026 The eventpersist Authors.
#include "persistence/api/codec.h"

#include <algorithm>

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

// Wire writes the protobuf encoding of stored.proto directly. An event is
// encoded on every persist, and the generated message objects cost an
// allocation per string field and per submessage; this costs one, the
// output. Fields go out in field-number order and proto3 defaults (0, "")
// are left out, as the generated code does; a present submessage is
// written even when empty, so that has_metadata() holds on decode.
// WireReader below reads it back (api_test checks both against the
// generated code).
class Wire {
 public:
  static size_t VarintSize(uint64_t v) {
    size_t n = 1;
    for (; v >= 0x80; v >>= 7) ++n;
    return n;
  }
  static size_t IntSize(int field, int64_t v) {
    return v == 0
               ? 0
               : VarintSize(field << 3) + VarintSize(static_cast<uint64_t>(v));
  }
  static size_t BytesSize(int field, size_t n) {
    return n == 0 ? 0 : VarintSize(field << 3) + VarintSize(n) + n;
  }
  static size_t PayloadBodySize(const SerializedPayload& p) {
    return IntSize(1, p.serializer_id) + BytesSize(2, p.manifest.size()) +
           BytesSize(3, p.bytes.size());
  }
  static size_t PayloadSize(int field, const SerializedPayload& p) {
    const size_t body = PayloadBodySize(p);
    return VarintSize(field << 3) + VarintSize(body) + body;
  }

  explicit Wire(std::string* out) : out_(out) {}
  void Varint(uint64_t v) {
    for (; v >= 0x80; v >>= 7) out_->push_back(static_cast<char>(v | 0x80));
    out_->push_back(static_cast<char>(v));
  }
  void Int(int field, int64_t v) {
    if (v == 0) return;
    Varint(field << 3);  // wire type 0: varint
    Varint(static_cast<uint64_t>(v));
  }
  void Bytes(int field, std::string_view b) {
    if (b.empty()) return;
    Varint((field << 3) | 2);  // wire type 2: length-delimited
    Varint(b.size());
    out_->append(b.data(), b.size());
  }
  void Payload(int field, const SerializedPayload& p) {
    Varint((field << 3) | 2);
    Varint(PayloadBodySize(p));
    Int(1, p.serializer_id);
    Bytes(2, p.manifest);
    Bytes(3, p.bytes);
  }

 private:
  std::string* out_;
};

// WireReader and StoredEventView read stored.proto's wire format by hand,
// for the same reason as Wire: replay decodes every stored event, and the
// generated StoredEvent costs an allocation per string field and per
// submessage. The views point into the record; only the PersistentRepr that
// DecodeEvent builds owns memory. As the generated parser does, they skip
// unknown fields, let the last value of a repeated scalar win and merge a
// repeated submessage. Unlike it, they do not reject a string field that is
// not UTF-8: EncodeEvent stores any bytes, so any bytes read back.
class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}
  bool done() const { return in_.empty(); }

  // Tag reads a field's key: its number and wire type.
  bool Tag(uint64_t* field, int* type) {
    uint64_t tag;
    if (!Varint(&tag)) return false;
    *field = tag >> 3;
    *type = static_cast<int>(tag & 7);
    return true;
  }

  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      const uint8_t byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;  // more than 10 bytes
  }
  bool Bytes(std::string_view* out) {
    uint64_t n;
    if (!Varint(&n) || n > in_.size()) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  // Skip passes over a field of an unknown number.
  bool Skip(int wire_type) {
    uint64_t ignored;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case 0:
        return Varint(&ignored);
      case 1:
        return Advance(8);
      case 2:
        return Bytes(&ignored_bytes);
      case 5:
        return Advance(4);
      default:
        return false;  // groups (3, 4) are not in stored.proto
    }
  }

 private:
  bool Advance(size_t n) {
    if (n > in_.size()) return false;
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
};

// ParseFields calls `read(field, type, reader)` for each field of `in`, in
// order; `read` reads the field's value and returns kRead, or returns
// kUnknown (the field is skipped) or kBad (the record does not parse).
enum class FieldRead { kRead, kUnknown, kBad };
template <typename Read>
bool ParseFields(std::string_view in, Read read) {
  WireReader r(in);
  while (!r.done()) {
    uint64_t field;
    int type;
    if (!r.Tag(&field, &type) || field == 0) return false;
    const FieldRead got = read(field, type, r);
    if (got == FieldRead::kBad) return false;
    if (got == FieldRead::kUnknown && !r.Skip(type)) return false;
  }
  return true;
}

struct StoredPayloadView {
  int32_t serializer_id = 0;
  std::string_view manifest;
  std::string_view bytes;

  // Parse merges `in` into this view (so a repeated field merges).
  bool Parse(std::string_view in) {
    return ParseFields(in, [this](uint64_t field, int type, WireReader& r) {
      bool ok;
      if (field == 1 && type == 0) {
        uint64_t v;
        ok = r.Varint(&v);
        serializer_id = static_cast<int32_t>(v);
      } else if (field == 2 && type == 2) {
        ok = r.Bytes(&manifest);
      } else if (field == 3 && type == 2) {
        ok = r.Bytes(&bytes);
      } else {
        return FieldRead::kUnknown;
      }
      return ok ? FieldRead::kRead : FieldRead::kBad;
    });
  }
};

struct StoredEventView {
  int64_t sequence_nr = 0;
  StoredPayloadView payload;
  std::string_view manifest;
  int64_t timestamp = 0;
  std::string_view writer_uuid;
  bool has_metadata = false;
  StoredPayloadView metadata;

  bool Parse(std::string_view in) {
    return ParseFields(in, [this](uint64_t field, int type, WireReader& r) {
      bool ok;
      if ((field == 1 || field == 4) && type == 0) {
        uint64_t v;
        ok = r.Varint(&v);
        (field == 1 ? sequence_nr : timestamp) = static_cast<int64_t>(v);
      } else if ((field == 2 || field == 6) && type == 2) {
        std::string_view sub;
        if (field == 6) has_metadata = true;
        ok = r.Bytes(&sub) && (field == 2 ? payload : metadata).Parse(sub);
      } else if ((field == 3 || field == 5) && type == 2) {
        ok = r.Bytes(field == 3 ? &manifest : &writer_uuid);
      } else {
        return FieldRead::kUnknown;
      }
      return ok ? FieldRead::kRead : FieldRead::kBad;
    });
  }
};

absl::Status EventError(const std::string& persistence_id, int64_t sequence_nr,
                        const std::string& what) {
  return absl::DataLossError(absl::StrCat(
      "cannot decode the event of persistence id '", persistence_id,
      "' at sequence number ", sequence_nr, ": ", what));
}

}  // namespace

absl::Status AppendEncodedEvent(const PersistentRepr& event, std::string* out,
                                const Serialization& serialization) {
  absl::StatusOr<SerializedPayload> payload =
      serialization.Serialize(event.payload);
  if (!payload.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("event of persistence id '", event.persistence_id,
                     "' at sequence number ", event.sequence_nr,
                     " cannot be serialized: ", payload.status().message()));
  }
  absl::StatusOr<SerializedPayload> metadata;
  if (event.metadata.has_value()) {
    metadata = serialization.Serialize(*event.metadata);
    if (!metadata.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata of persistence id '", event.persistence_id,
                       "' at sequence number ", event.sequence_nr,
                       " cannot be serialized: ", metadata.status().message()));
    }
  }
  // StoredEvent: sequence_nr = 1, payload = 2, manifest = 3, timestamp = 4,
  // writer_uuid = 5, metadata = 6.
  const bool has_metadata = event.metadata.has_value();
  const size_t size = Wire::IntSize(1, event.sequence_nr) +
                      Wire::PayloadSize(2, *payload) +
                      Wire::BytesSize(3, event.manifest.size()) +
                      Wire::IntSize(4, event.timestamp) +
                      Wire::BytesSize(5, event.writer_uuid.size()) +
                      (has_metadata ? Wire::PayloadSize(6, *metadata) : 0);
  // Grow geometrically: a buffer that takes many records must not be
  // reallocated for each.
  if (out->capacity() < out->size() + size) {
    out->reserve(std::max(out->size() + size, 2 * out->capacity()));
  }
  Wire wire(out);
  wire.Int(1, event.sequence_nr);
  wire.Payload(2, *payload);
  wire.Bytes(3, event.manifest);
  wire.Int(4, event.timestamp);
  wire.Bytes(5, event.writer_uuid);
  if (has_metadata) wire.Payload(6, *metadata);
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodeEvent(const PersistentRepr& event,
                                        const Serialization& serialization) {
  std::string out;
  absl::Status s = AppendEncodedEvent(event, &out, serialization);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<PersistentRepr> DecodeEvent(std::string_view bytes,
                                           const std::string& persistence_id,
                                           int64_t sequence_nr,
                                           const Serialization& serialization) {
  StoredEventView record;
  if (!record.Parse(bytes)) {
    return EventError(persistence_id, sequence_nr, "the record does not parse");
  }
  if (record.sequence_nr != sequence_nr) {
    return EventError(
        persistence_id, sequence_nr,
        absl::StrCat("the record holds sequence number ", record.sequence_nr));
  }
  PersistentRepr event;
  absl::StatusOr<Payload> payload =
      serialization.Deserialize(record.payload.serializer_id,
                                record.payload.manifest, record.payload.bytes);
  if (!payload.ok()) {
    return EventError(persistence_id, sequence_nr,
                      std::string(payload.status().message()));
  }
  event.payload = *std::move(payload);
  if (record.has_metadata) {
    absl::StatusOr<Payload> metadata = serialization.Deserialize(
        record.metadata.serializer_id, record.metadata.manifest,
        record.metadata.bytes);
    if (!metadata.ok()) {
      return EventError(persistence_id, sequence_nr,
                        std::string(metadata.status().message()));
    }
    event.metadata = *std::move(metadata);
  }
  event.persistence_id = persistence_id;
  event.sequence_nr = sequence_nr;
  event.manifest = record.manifest;
  event.timestamp = record.timestamp;
  event.writer_uuid = record.writer_uuid;
  return event;
}

EncodedRequest EncodeRequest(const std::vector<AtomicWrite>& writes,
                             const Serialization& serialization) {
  EncodedRequest request;
  request.writes.resize(writes.size());
  size_t events = 0;
  for (const AtomicWrite& write : writes) events += write.size();
  request.records.reserve(events);
  for (size_t i = 0; i < writes.size(); ++i) {
    EncodedRequest::Write& w = request.writes[i];
    w.first_record = request.records.size();
    // Every event first: a write with one event that cannot be serialized
    // leaves no record (and no bytes) behind.
    const size_t buffer_start = request.buffer.size();
    for (const PersistentRepr& event : writes[i].payload()) {
      const size_t begin = request.buffer.size();
      absl::Status s =
          AppendEncodedEvent(event, &request.buffer, serialization);
      if (!s.ok()) {
        w.rejection = std::move(s);
        request.buffer.resize(buffer_start);
        request.records.resize(w.first_record);
        break;
      }
      request.records.push_back(
          {event.sequence_nr, begin, request.buffer.size() - begin});
    }
    w.end_record = request.records.size();
  }
  return request;
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
