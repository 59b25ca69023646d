// Copyright 2026 The eventpersist Authors.
//
// inmem_store.h: InMemoryEventStore and InMemorySnapshotStoreData, the
// storage of the in-memory backend, usable directly (the perf baseline
// calls it with no actors in between).
//
// Records are stored encoded (persistence/api/codec.h), so the in-memory
// backend exercises serialization exactly like a durable one.
//
// Thread-safety: every method is safe to call from any thread. A scan
// copies records out in pages and calls back without holding the lock.
//
// Example:
//
//   InMemoryEventStore store;
//   store.Append("a", 1, EncodeEvent(e).value());
//   store.Scan("a", 1, kMaxSequenceNr, kMaxSequenceNr,
//              [](int64_t seq, const std::string& bytes) { ... });
#ifndef BACKENDS_INMEM_INMEM_STORE_H_
#define BACKENDS_INMEM_INMEM_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "persistence/api/mutex.h"

namespace persistence::inmem {

class InMemoryEventStore {
 public:
  // Append stores one record; the highest sequence number only goes up.
  void Append(const std::string& persistence_id, int64_t sequence_nr,
              std::string record);
  // DeleteTo removes records up to `to` (inclusive); highest is kept.
  void DeleteTo(const std::string& persistence_id, int64_t to);
  int64_t Highest(const std::string& persistence_id) const;
  // Scan calls `fn` for records in [from, to], at most `max`, in order.
  // A negative `from` scans only the last `max` records up to `to`.
  void Scan(const std::string& persistence_id, int64_t from, int64_t to,
            int64_t max,
            const std::function<void(int64_t, const std::string&)>& fn) const;

 private:
  struct Record {
    int64_t sequence_nr;
    std::string bytes;
  };
  // A log's records in sequence order. The journal only appends above the
  // highest, so a deque (appends at the back, deletes at the front) does
  // what a tree would with one allocation fewer per record.
  struct Log {
    int64_t highest = 0;
    std::deque<Record> records;
    // First returns the first record with a sequence number >= `seq`.
    std::deque<Record>::const_iterator First(int64_t seq) const;
  };
  mutable Mutex mu_;
  std::unordered_map<std::string, Log> logs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace persistence::inmem

#endif  // BACKENDS_INMEM_INMEM_STORE_H_
