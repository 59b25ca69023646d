// Copyright 2026 The eventpersist Authors.
//
// The RocksDB snapshot store: snapshots live in the journal's database
// under their own key prefix ('s', see key_layout.h), one key per
// (persistence id, sequence number). Snapshot traffic is light, so the
// store writes directly (RocksDB orders it with the journal's writer).
#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/key_layout.h"
#include "backends/rocksdb/rocksdb_journal.h"
#include "persistence/api/codec.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"

namespace persistence::rocksdb {
namespace {

std::string_view View(const ::rocksdb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace

RocksDbSnapshotStore::RocksDbSnapshotStore(const Config& config)
    : settings_(SnapshotStoreSettings::FromConfig(config)) {}

absl::Status RocksDbSnapshotStore::Start() {
  if (!settings_.ok()) return settings_.status();
  absl::StatusOr<std::shared_ptr<Database>> database =
      Database::Open(settings_->database);
  if (!database.ok()) return database.status();
  database_ = *std::move(database);
  return absl::OkStatus();
}

absl::Status RocksDbSnapshotStore::NotStarted() const {
  if (!settings_.ok()) return settings_.status();
  return absl::FailedPreconditionError(
      "the RocksDB snapshot store was not started");
}

LoadResult RocksDbSnapshotStore::Load(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria) {
  if (database_ == nullptr) return NotStarted();
  if (criteria.max_sequence_nr < 0 ||
      criteria.max_sequence_nr < criteria.min_sequence_nr) {
    return std::optional<SelectedSnapshot>();
  }
  const std::string lower = SnapshotKey(
      persistence_id, std::max<int64_t>(0, criteria.min_sequence_nr));
  const std::string last =
      SnapshotKey(persistence_id, criteria.max_sequence_nr);
  const ::rocksdb::Slice lower_slice(lower);
  ::rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_slice;
  // Backwards from the youngest that may match, within the id's prefix:
  // the prefix bloom filters skip every file without the id.
  options.prefix_same_as_start = true;
  std::unique_ptr<::rocksdb::Iterator> it(database_->db().NewIterator(options));
  // Youngest first (the keys order by sequence number).
  bool first = true;
  LoadResult selected =
      SelectSnapshot(persistence_id, criteria, settings_->max_load_attempts,
                     [&]() -> std::optional<std::string_view> {
                       if (first) {
                         it->SeekForPrev(last);
                         first = false;
                       } else {
                         it->Prev();
                       }
                       if (!it->Valid()) return std::nullopt;
                       return View(it->value());
                     });
  if (!it->status().ok()) {
    return FromRocksDb(it->status(), absl::StrCat("cannot load a snapshot of '",
                                                  persistence_id, "' from '",
                                                  database_->path(), "'"));
  }
  return selected;
}

absl::Status RocksDbSnapshotStore::Save(const SnapshotMetadata& metadata,
                                        const Payload& snapshot) {
  if (database_ == nullptr) return NotStarted();
  if (metadata.sequence_nr < 0 || !IsValidId(metadata.persistence_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot of persistence id '", metadata.persistence_id,
                     "' at sequence number ", metadata.sequence_nr,
                     ": invalid id or sequence number"));
  }
  absl::StatusOr<std::string> record = EncodeSnapshot(metadata, snapshot);
  if (!record.ok()) return record.status();
  ::rocksdb::WriteOptions options;
  options.sync = settings_->fsync;
  return FromRocksDb(
      database_->db().Put(
          options, SnapshotKey(metadata.persistence_id, metadata.sequence_nr),
          *record),
      absl::StrCat("cannot save the snapshot of '", metadata.persistence_id,
                   "' at ", metadata.sequence_nr, " in '", database_->path(),
                   "'"));
}

absl::Status RocksDbSnapshotStore::Delete(const SnapshotMetadata& metadata) {
  if (database_ == nullptr) return NotStarted();
  if (metadata.sequence_nr < 0) return absl::OkStatus();
  const std::string key =
      SnapshotKey(metadata.persistence_id, metadata.sequence_nr);
  std::string value;
  ::rocksdb::Status s =
      database_->db().Get(::rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return absl::OkStatus();
  const std::string what = absl::StrCat(
      "cannot delete the snapshot of '", metadata.persistence_id, "' at ",
      metadata.sequence_nr, " in '", database_->path(), "'");
  if (!s.ok()) return FromRocksDb(s, what);
  absl::StatusOr<SnapshotMetadata> stored =
      DecodeSnapshotMetadata(value, metadata.persistence_id);
  // A record that does not decode is deleted: nobody can load it anyway.
  if (stored.ok() && !DeleteByMetadataMatches(metadata, *stored))
    return absl::OkStatus();
  ::rocksdb::WriteOptions options;
  options.sync = settings_->fsync;
  return FromRocksDb(database_->db().Delete(options, key), what);
}

absl::Status RocksDbSnapshotStore::Delete(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria) {
  if (database_ == nullptr) return NotStarted();
  if (criteria.max_sequence_nr < 0 ||
      criteria.max_sequence_nr < criteria.min_sequence_nr) {
    return absl::OkStatus();
  }
  const std::string lower = SnapshotKey(
      persistence_id, std::max<int64_t>(0, criteria.min_sequence_nr));
  const std::string upper =
      SnapshotKeyEnd(persistence_id, criteria.max_sequence_nr);
  const ::rocksdb::Slice upper_slice(upper);
  ::rocksdb::ReadOptions read;
  read.iterate_upper_bound = &upper_slice;
  read.prefix_same_as_start = true;
  std::unique_ptr<::rocksdb::Iterator> it(database_->db().NewIterator(read));
  ::rocksdb::WriteBatch batch;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    absl::StatusOr<SnapshotMetadata> stored =
        DecodeSnapshotMetadata(View(it->value()), persistence_id);
    if (stored.ok() && criteria.Matches(*stored)) {
      ::rocksdb::Status s = batch.Delete(it->key());
      if (!s.ok()) return FromRocksDb(s, "cannot build the write batch");
    }
  }
  const std::string what =
      absl::StrCat("cannot delete snapshots of '", persistence_id, "' in '",
                   database_->path(), "'");
  if (!it->status().ok()) return FromRocksDb(it->status(), what);
  if (batch.Count() == 0) return absl::OkStatus();
  ::rocksdb::WriteOptions options;
  options.sync = settings_->fsync;
  return FromRocksDb(database_->db().Write(options, &batch), what);
}

PERSISTENCE_REGISTER(SnapshotStoreRegistry, "rocksdb.SnapshotStore",
                     Construct<RocksDbSnapshotStore>);

}  // namespace persistence::rocksdb
