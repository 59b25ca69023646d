// Copyright 2026 The eventpersist Authors.
//
// rocksdb_journal.h: the RocksDB journal ("rocksdb.Journal") and snapshot
// store ("rocksdb.SnapshotStore"). Both keep their data in one RocksDB
// database (see key_layout.h for the keys, database.h for how the database
// is shared and how writes are group-committed). Select them with
//
//   persistence.journal.plugin = "persistence.journal.rocksdb"
//   persistence.snapshot-store.plugin = "persistence.snapshot-store.rocksdb"
//   persistence.journal.rocksdb.path = "/var/lib/myapp/events"
//
// and see reference.conf for every setting and its default.
//
// The journal
//   - serializes every event of a request on the caller's thread before
//     anything is queued, so a rejected atomic write stores nothing;
//   - hands the request to the database's writer thread, which merges all
//     queued requests into one WriteBatch and one WAL sync (group commit);
//     the database's completer thread (or, for a small group, the writer)
//     then completes the returned Future;
//   - refuses a stale writer: a write whose first sequence number is not
//     above the stored highest fails the call (FailedPrecondition, nothing
//     of that call stored), without failing other calls of the same group;
//   - replays on its own threads (`replay-threads`) with an iterator bounded
//     by `iterate_upper_bound`, one event at a time, never the whole id in
//     memory; a record that cannot be decoded fails that replay with
//     DataLoss naming the persistence id and sequence number;
//   - deletes a range of events with one range deletion; the highest
//     sequence number is kept in its own key and never goes down.
//
// Thread-safety: as the plugin API says, the runtime calls one instance from
// one thread at a time; Futures complete on the database's writer,
// completer or replay threads.
// Several instances (also journal and snapshot store) may share a database.
//
// Example (direct use, as the tests do; applications go through the
// runtime):
//
//   absl::StatusOr<Config> config = LoadConfigFromString(
//       "persistence.journal.rocksdb.path = \"/tmp/db\"", "example");
//   RocksDbJournal journal(*config->GetConfig("persistence.journal.rocksdb"));
//   absl::Status started = journal.Start();   // opens (or shares) the DB
//   auto done = journal.AsyncWriteMessages(std::move(writes));
//   absl::StatusOr<WriteResults> results = done.Get();
#ifndef BACKENDS_ROCKSDB_ROCKSDB_JOURNAL_H_
#define BACKENDS_ROCKSDB_ROCKSDB_JOURNAL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/rocksdb/database.h"
#include "backends/rocksdb/settings.h"
#include "backends/rocksdb/task_pool.h"
#include "persistence/api/config.h"
#include "persistence/api/journal.h"
#include "persistence/api/snapshot_store.h"

namespace persistence::rocksdb {

class RocksDbJournal : public AsyncWriteJournal {
 public:
  // The section is read here; its errors, and the database's, are
  // reported by Start.
  explicit RocksDbJournal(const Config& config);
  ~RocksDbJournal() override;

  absl::Status Start() override;

  Future<absl::StatusOr<WriteResults>> AsyncWriteMessages(
      const std::vector<AtomicWrite>& writes) override;
  // Writes serialize on the caller's thread and queue for the writer thread.
  bool NonBlockingWrites() const override { return true; }
  Future<absl::Status> AsyncDeleteMessagesTo(const std::string& persistence_id,
                                             int64_t to_sequence_nr) override;
  Future<absl::Status> AsyncReplayMessages(const std::string& persistence_id,
                                           int64_t from_sequence_nr,
                                           int64_t to_sequence_nr, int64_t max,
                                           ReplayCallback callback) override;
  Future<absl::StatusOr<int64_t>> AsyncReadHighestSequenceNr(
      const std::string& persistence_id, int64_t from_sequence_nr) override;

  // ReplayMessages is the replay itself, on the calling thread (the async
  // call runs it on a replay thread). A negative `from` replays only the
  // last `max` events up to `to`.
  absl::Status ReplayMessages(const std::string& persistence_id, int64_t from,
                              int64_t to, int64_t max,
                              const ReplayCallback& callback);

  // database is the shared database (after a successful Start).
  Database* database() { return database_.get(); }

 private:
  class Replayer;

  absl::Status NotStarted() const;

  absl::StatusOr<JournalSettings> settings_;
  std::shared_ptr<Database> database_;
  // What replays use; shared with the replay tasks, which may outlive this
  // journal by the task they are in.
  std::shared_ptr<Replayer> replayer_;
  // Declared last: destroyed (drained, joined) first.
  std::unique_ptr<TaskPool> replays_;
};

class RocksDbSnapshotStore : public SyncSnapshotStore {
 public:
  explicit RocksDbSnapshotStore(const Config& config);

  absl::Status Start() override;

  LoadResult Load(const std::string& persistence_id,
                  const SnapshotSelectionCriteria& criteria) override;
  absl::Status Save(const SnapshotMetadata& metadata,
                    const Payload& snapshot) override;
  absl::Status Delete(const SnapshotMetadata& metadata) override;
  absl::Status Delete(const std::string& persistence_id,
                      const SnapshotSelectionCriteria& criteria) override;

  Database* database() { return database_.get(); }

 private:
  absl::Status NotStarted() const;

  absl::StatusOr<SnapshotStoreSettings> settings_;
  std::shared_ptr<Database> database_;
};

}  // namespace persistence::rocksdb

#endif  // BACKENDS_ROCKSDB_ROCKSDB_JOURNAL_H_
