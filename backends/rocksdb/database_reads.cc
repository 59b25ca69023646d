// Copyright 2026 The eventpersist Authors.
//
// Reads of a Database that need no ordering with the writer: where the
// last events of an id begin, and its highest sequence number (database.h).
#include <memory>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/database.h"
#include "backends/rocksdb/key_layout.h"
#include "rocksdb/iterator.h"

namespace persistence::rocksdb {

absl::StatusOr<int64_t> Database::FirstOfLast(const std::string& persistence_id,
                                              int64_t to, int64_t max) {
  const std::string lower = EventKey(persistence_id, 0);
  const std::string last = EventKey(persistence_id, to);
  const ::rocksdb::Slice lower_slice(lower);
  ::rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_slice;
  // Backwards from `to`, within the id's prefix: the prefix bloom filters
  // skip every file without the id, where a total-order seek would
  // position an iterator in each of them.
  options.prefix_same_as_start = true;
  std::unique_ptr<::rocksdb::Iterator> it(db_->NewIterator(options));
  const size_t prefix_size = IdPrefix(kEventTag, persistence_id).size();
  int64_t first = 0;
  int64_t seen = 0;
  for (it->SeekForPrev(last); it->Valid() && seen < max; it->Prev(), ++seen) {
    std::optional<int64_t> seq = SequenceNrOf(it->key(), prefix_size);
    if (!seq.has_value()) {
      return absl::DataLossError(
          absl::StrCat("persistence id '", persistence_id,
                       "': malformed event key in '", path_, "'"));
    }
    first = *seq;
  }
  if (!it->status().ok()) {
    return FromRocksDb(it->status(),
                       absl::StrCat("reading the events of persistence id '",
                                    persistence_id, "' in '", path_, "'"));
  }
  return first;
}

absl::StatusOr<int64_t> Database::ReadHighest(
    const std::string& persistence_id) {
  const auto failed = [&](const ::rocksdb::Status& s) {
    return FromRocksDb(
        s, absl::StrCat("cannot read the highest sequence number of '",
                        persistence_id, "' in '", path_, "'"));
  };
  // The 'h' key: the highest when events of the id were last deleted.
  int64_t at_delete = 0;
  std::string value;
  ::rocksdb::Status s =
      db_->Get(::rocksdb::ReadOptions(), HighestKey(persistence_id), &value);
  if (!s.ok() && !s.IsNotFound()) return failed(s);
  if (s.ok()) {
    std::optional<uint64_t> stored = DecodeUint64(value);
    if (!stored.has_value() ||
        *stored > static_cast<uint64_t>(kMaxSequenceNr)) {
      return absl::DataLossError(absl::StrCat(
          "the highest sequence number of persistence id '", persistence_id,
          "' in '", path_, "' is not a valid 8-byte number"));
    }
    at_delete = static_cast<int64_t>(*stored);
  }
  absl::StatusOr<int64_t> last_event =
      FirstOfLast(persistence_id, kMaxSequenceNr, 1);
  if (!last_event.ok()) return last_event.status();
  return std::max(at_delete, *last_event);
}

}  // namespace persistence::rocksdb
