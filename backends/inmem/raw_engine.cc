// Copyright 2026 The eventpersist Authors.
//
// The raw side of the in-memory backend's perf table: direct calls into
// the same store the journal uses, no actors in between.
#include "perf/raw_engine.h"

#include "absl/status/status.h"
#include "backends/inmem/inmem_store.h"
#include "persistence/api/codec.h"

namespace persistence::inmem {
namespace {

class InMemoryRawEngine : public perf::RawEngine {
 public:
  absl::Status Open(const Config&) override { return absl::OkStatus(); }

  absl::Status WriteEach(const std::vector<perf::RawRecord>& records) override {
    for (const auto& r : records)
      store_.Append(r.persistence_id, r.sequence_nr, r.bytes);
    return absl::OkStatus();
  }
  absl::Status WriteAsync(
      const std::vector<perf::RawRecord>& records) override {
    return WriteEach(records);
  }
  absl::Status WriteGroups(const std::vector<perf::RawRecord>& records,
                           int) override {
    return WriteEach(records);
  }
  absl::StatusOr<int64_t> Scan(const std::string& persistence_id) override {
    int64_t n = 0;
    absl::Status status;
    store_.Scan(persistence_id, 1, kMaxSequenceNr, kMaxSequenceNr,
                [&](int64_t seq, const std::string& bytes) {
                  absl::StatusOr<PersistentRepr> e =
                      DecodeEvent(bytes, persistence_id, seq);
                  if (!e.ok()) status = e.status();
                  ++n;
                });
    if (!status.ok()) return status;
    return n;
  }

 private:
  InMemoryEventStore store_;
};

PERSISTENCE_REGISTER(perf::RawEngineRegistry, "inmem",
                     Construct<InMemoryRawEngine>);

}  // namespace
}  // namespace persistence::inmem
