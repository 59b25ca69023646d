// Copyright 2026 The eventpersist Authors.
#include "backends/rocksdb/key_layout.h"

#include <limits>

namespace persistence::rocksdb {
namespace {

constexpr size_t kTagSize = 1;
constexpr size_t kLengthSize = 4;
constexpr size_t kSequenceSize = 8;

void AppendUint32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

void AppendUint64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

uint64_t ReadUint64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint32_t ReadUint32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string KeyWithSequence(char tag, std::string_view id, int64_t seq) {
  std::string key = IdPrefix(tag, id);
  // Negative numbers never reach a key (callers clamp), but a cast of one
  // would sort after every real key, so clamp here too.
  AppendUint64(&key, seq < 0 ? 0 : static_cast<uint64_t>(seq));
  return key;
}

}  // namespace

bool IsValidId(std::string_view persistence_id) {
  return persistence_id.size() <= std::numeric_limits<uint32_t>::max();
}

std::string IdPrefix(char tag, std::string_view persistence_id) {
  std::string prefix;
  prefix.reserve(kTagSize + kLengthSize + persistence_id.size() +
                 kSequenceSize + 1);
  prefix.push_back(tag);
  AppendUint32(&prefix, static_cast<uint32_t>(persistence_id.size()));
  prefix.append(persistence_id.data(), persistence_id.size());
  return prefix;
}

std::string EventKey(std::string_view persistence_id, int64_t sequence_nr) {
  return KeyWithSequence(kEventTag, persistence_id, sequence_nr);
}

void SetEventKeyPrefix(std::string* key, std::string_view persistence_id) {
  key->clear();
  key->push_back(kEventTag);
  AppendUint32(key, static_cast<uint32_t>(persistence_id.size()));
  key->append(persistence_id.data(), persistence_id.size());
  key->append(kSequenceSize, '\0');
}

void SetEventKeySequenceNr(std::string* key, int64_t sequence_nr) {
  uint64_t v = sequence_nr < 0 ? 0 : static_cast<uint64_t>(sequence_nr);
  char* p = key->data() + key->size() - kSequenceSize;
  for (int i = static_cast<int>(kSequenceSize) - 1; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

std::string EventKeyEnd(std::string_view persistence_id, int64_t to) {
  std::string key = EventKey(persistence_id, to);
  key.push_back('\0');
  return key;
}

std::string HighestKey(std::string_view persistence_id) {
  return IdPrefix(kHighestTag, persistence_id);
}

std::string SnapshotKey(std::string_view persistence_id, int64_t sequence_nr) {
  return KeyWithSequence(kSnapshotTag, persistence_id, sequence_nr);
}

std::string SnapshotKeyEnd(std::string_view persistence_id, int64_t to) {
  std::string key = SnapshotKey(persistence_id, to);
  key.push_back('\0');
  return key;
}

std::string LayoutVersionKey() {
  return std::string(1, kMetadataTag) + "layout-version";
}

std::string EncodeUint64(uint64_t value) {
  std::string out;
  AppendUint64(&out, value);
  return out;
}

std::optional<uint64_t> DecodeUint64(std::string_view bytes) {
  if (bytes.size() != kSequenceSize) return std::nullopt;
  return ReadUint64(bytes.data());
}

std::optional<int64_t> SequenceNrOf(const ::rocksdb::Slice& key,
                                    size_t prefix_size) {
  if (key.size() != prefix_size + kSequenceSize) return std::nullopt;
  const uint64_t seq = ReadUint64(key.data() + prefix_size);
  if (seq > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<int64_t>(seq);
}

size_t IdPrefixExtractor::PrefixSize(const ::rocksdb::Slice& key) {
  if (key.size() < kTagSize + kLengthSize) return 0;
  const char tag = key[0];
  if (tag != kEventTag && tag != kHighestTag && tag != kSnapshotTag) return 0;
  const uint64_t size =
      kTagSize + kLengthSize + uint64_t{ReadUint32(key.data() + kTagSize)};
  return size <= key.size() ? static_cast<size_t>(size) : 0;
}

::rocksdb::Slice IdPrefixExtractor::Transform(
    const ::rocksdb::Slice& key) const {
  return ::rocksdb::Slice(key.data(), PrefixSize(key));
}

bool IdPrefixExtractor::InDomain(const ::rocksdb::Slice& key) const {
  return PrefixSize(key) > 0;
}

namespace {
// The id prefix of a key in the hint domain, or 0: an event key with a
// sequence number above 0, or a highest key.
size_t HintPrefixSize(const ::rocksdb::Slice& key) {
  if (key.size() < kTagSize + kLengthSize) return 0;
  const char tag = key[0];
  if (tag != kEventTag && tag != kHighestTag) return 0;
  const uint64_t size =
      kTagSize + kLengthSize + uint64_t{ReadUint32(key.data() + kTagSize)};
  if (size > key.size()) return 0;
  if (tag == kHighestTag) return static_cast<size_t>(size);
  if (size + kSequenceSize > key.size()) return 0;
  return ReadUint64(key.data() + size) > 0 ? static_cast<size_t>(size) : 0;
}
}  // namespace

::rocksdb::Slice EventInsertHintExtractor::Transform(
    const ::rocksdb::Slice& key) const {
  return ::rocksdb::Slice(key.data(), HintPrefixSize(key));
}

bool EventInsertHintExtractor::InDomain(const ::rocksdb::Slice& key) const {
  return HintPrefixSize(key) > 0;
}

}  // namespace persistence::rocksdb
