// Copyright 2026 The eventpersist Authors.
//
// The raw side of the RocksDB backend's perf table: RocksDB's own API on the
// journal's own database (the instance the journal of this process shares,
// so both sides meet the same memtable, the same flushes and compactions),
// with the journal's key layout and no journal in between. Its ids
// ("raw-...") are not the journal's.
//
// Each row at the engine's honest best:
//   WriteEach         one Put per record, each synced as the journal's
//                     `fsync` says, waiting for each;
//   WriteAsync        every record in one WriteBatch, one Write (and one
//                     sync when fsync is on): RocksDB's fastest way to
//                     store a known set of records;
//   WriteGroups       one WriteBatch per group, synced as `fsync` says;
//   Scan              one iterator over the id, bounded above, DecodeEvent
//                     on each record;
//   WriteEachDurable  one Put per record with sync = true.
#include "perf/raw_engine.h"

#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/database.h"
#include "backends/rocksdb/key_layout.h"
#include "backends/rocksdb/settings.h"
#include "persistence/api/codec.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/write_batch.h"

namespace persistence::rocksdb {
namespace {

class RocksDbRawEngine : public perf::RawEngine {
 public:
  absl::Status Open(const Config& journal_config) override {
    absl::StatusOr<JournalSettings> settings =
        JournalSettings::FromConfig(journal_config);
    if (!settings.ok()) return settings.status();
    fsync_ = settings->fsync;
    absl::StatusOr<std::shared_ptr<Database>> database =
        Database::Open(settings->database);
    if (!database.ok()) return database.status();
    database_ = *std::move(database);
    db_ = &database_->db();
    // As the journal's writer thread: no perf-context counting (the perf
    // harness calls this engine from the thread that opened it).
    ::rocksdb::SetPerfLevel(::rocksdb::PerfLevel::kDisable);
    return absl::OkStatus();
  }

  absl::Status WriteEach(const std::vector<perf::RawRecord>& records) override {
    return PutEach(records, fsync_);
  }

  absl::Status WriteEachDurable(
      const std::vector<perf::RawRecord>& records) override {
    return PutEach(records, true);
  }

  absl::Status WriteAsync(
      const std::vector<perf::RawRecord>& records) override {
    return WriteBatches(records, records.size());
  }

  absl::Status WriteGroups(const std::vector<perf::RawRecord>& records,
                           int group) override {
    return WriteBatches(records, static_cast<size_t>(group < 1 ? 1 : group));
  }

  absl::StatusOr<int64_t> Scan(const std::string& persistence_id) override {
    const std::string end = EventKeyEnd(persistence_id, kMaxSequenceNr);
    const ::rocksdb::Slice end_slice(end);
    ::rocksdb::ReadOptions options;
    options.iterate_upper_bound = &end_slice;
    options.prefix_same_as_start = true;
    options.fill_cache = false;  // a one-time scan, as the journal's replay
    std::unique_ptr<::rocksdb::Iterator> it(db_->NewIterator(options));
    const size_t prefix_size = IdPrefix(kEventTag, persistence_id).size();
    int64_t n = 0;
    for (it->Seek(EventKey(persistence_id, 1)); it->Valid(); it->Next()) {
      std::optional<int64_t> seq = SequenceNrOf(it->key(), prefix_size);
      if (!seq.has_value())
        return absl::DataLossError("raw engine: malformed key");
      const ::rocksdb::Slice value = it->value();
      absl::StatusOr<PersistentRepr> event = DecodeEvent(
          std::string_view(value.data(), value.size()), persistence_id, *seq);
      if (!event.ok()) return event.status();
      ++n;
    }
    if (!it->status().ok())
      return FromRocksDb(it->status(), "raw engine: scan");
    return n;
  }

 private:
  absl::Status PutEach(const std::vector<perf::RawRecord>& records, bool sync) {
    ::rocksdb::WriteOptions options;
    options.sync = sync;
    for (const perf::RawRecord& r : records) {
      ::rocksdb::Status s =
          db_->Put(options, EventKey(r.persistence_id, r.sequence_nr), r.bytes);
      if (!s.ok()) return FromRocksDb(s, "raw engine: put");
    }
    return absl::OkStatus();
  }

  absl::Status WriteBatches(const std::vector<perf::RawRecord>& records,
                            size_t group) {
    ::rocksdb::WriteOptions options;
    options.sync = fsync_;
    for (size_t start = 0; start < records.size(); start += group) {
      ::rocksdb::WriteBatch batch;
      const size_t end = std::min(records.size(), start + group);
      for (size_t i = start; i < end; ++i) {
        ::rocksdb::Status s = batch.Put(
            EventKey(records[i].persistence_id, records[i].sequence_nr),
            records[i].bytes);
        if (!s.ok()) return FromRocksDb(s, "raw engine: batch");
      }
      ::rocksdb::Status s = db_->Write(options, &batch);
      if (!s.ok()) return FromRocksDb(s, "raw engine: write");
    }
    return absl::OkStatus();
  }

  bool fsync_ = true;
  std::shared_ptr<Database> database_;
  ::rocksdb::DB* db_ = nullptr;  // database_'s
};

PERSISTENCE_REGISTER(perf::RawEngineRegistry, "rocksdb",
                     Construct<RocksDbRawEngine>);

}  // namespace
}  // namespace persistence::rocksdb
