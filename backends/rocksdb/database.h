// Copyright 2026 The eventpersist Authors.
//
// database.h: Database, one open RocksDB database shared by every plugin of
// the process that names its directory, and its group-commit writer.
//
// Sharing. Database::Open keeps a process-wide registry of open databases
// keyed by canonical path (symlinks and `..` resolved), with a reference
// count: the journal and the snapshot store of one directory use one
// ::rocksdb::DB, and the database closes when the last plugin lets go. A
// second *process* cannot open the directory (RocksDB's LOCK file); its
// Open fails with FailedPrecondition naming the path.
//
// Group commit. Journal writes are not written by the caller. WriteEvents
// queues an already encoded request and returns a Future. One writer
// thread takes everything queued at that moment (up to
// max-group-commit-bytes) and builds ONE WriteBatch of it; requests that
// arrive meanwhile go into the next group, so many actors writing at once
// share syncs. Each request is checked on its own against the highest
// sequence number of its ids (the stale-writer check), so one refused
// request never fails the others of its group; a failed WriteBatch fails
// all of them.
//
// Syncs and acknowledgements. A group of one or two requests (an actor
// persisting and waiting for each ack) is written with a WAL sync and
// acknowledged by the writer itself: cheaper than a hand-off. A larger
// group is written without a sync and handed to a completer thread, which
// syncs the WAL once (SyncWAL) for every group that reached it, then
// completes their Futures in commit order; meanwhile the writer already
// writes the next groups. So no Future completes before its events are
// durable (with fsync on), and a failed sync fails every group it was to
// cover, with an unknown outcome: their events may be replayed later, as
// after any failed write. A written, unsynced event is readable before it
// is acknowledged; the journal reads an id only after its writes completed.
// An idle writer polls its queue for `writer-spin-time` before it sleeps,
// so the next write of an actor that just got its ack starts without a
// thread wake-up.
//
// Highest sequence numbers. The writer keeps the highest sequence number of
// recently written ids in memory (loaded from the database on first touch,
// updated only after a successful commit). In the database it is the larger
// of the id's last event and its highest key, which only a delete writes
// (key_layout.h): a write of events stores nothing else.
//
// Closing. When the last plugin lets go, the writer writes what is queued,
// the completer acknowledges it, both are joined and the database closes;
// until then an Open of the same path waits. The last plugin must not let
// go on the writer or completer thread (from a Future's callback): the
// runtime destroys plugins on its own thread, and a Database closed from
// its own thread aborts, saying so.
//
// The implementation has a file per job: database_registry.cc (sharing,
// opening, closing), directory.cc (paths and the key layout version),
// group_commit.cc (the writer and the completer), database_reads.cc.
//
// Thread-safety: every method is safe to call from any thread. Futures
// complete on the completer or the writer thread, in commit order;
// callbacks must not block.
//
// Example:
//
//   absl::StatusOr<std::shared_ptr<Database>> db = Database::Open(settings);
//   if (!db.ok()) return db.status();      // names the path
//   Future<absl::StatusOr<WriteResults>> done =
//       (*db)->WriteEvents(PrepareWrites(writes), /*sync=*/true);
#ifndef BACKENDS_ROCKSDB_DATABASE_H_
#define BACKENDS_ROCKSDB_DATABASE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/rocksdb/settings.h"
#include "persistence/api/codec.h"
#include "persistence/api/future.h"
#include "persistence/api/journal.h"
#include "persistence/api/mutex.h"
#include "rocksdb/db.h"

namespace persistence::rocksdb {

// PreparedWrites: the atomic writes of one request, encoded on the
// caller's thread before they reach the writer (EncodeRequest: every record
// in one buffer), with the ids and sequence-number ranges the writer checks.
// Consecutive writes of one id share its copy of the id.
struct PreparedWrites {
  struct Write {
    size_t id = 0;  // index into `ids`
    int64_t lowest_sequence_nr = 0;
    int64_t highest_sequence_nr = 0;
  };

  EncodedRequest encoded;  // encoded.writes[i] belongs to writes[i]
  std::vector<Write> writes;
  std::vector<std::string> ids;

  const std::string& id_of(size_t write) const { return ids[writes[write].id]; }
};

// PrepareWrites encodes every event of `writes`; a write whose id or
// sequence number the key layout cannot hold is rejected.
PreparedWrites PrepareWrites(const std::vector<AtomicWrite>& writes);

class Database {
 public:
  // Open returns the database at `settings.path`, opening it (and creating
  // the directory) unless a plugin of this process has it open already, in
  // which case the settings must agree with those it was opened with.
  static absl::StatusOr<std::shared_ptr<Database>> Open(
      const DatabaseSettings& settings);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // db is the open database, for reads and for writes that need no
  // ordering with the journal's (snapshots).
  ::rocksdb::DB& db() { return *db_; }
  // path is the canonical directory, as error messages name it.
  const std::string& path() const { return path_; }

  // WriteEvents stores each accepted atomic write of the request in the
  // next group commit. The call fails (FailedPrecondition, nothing stored)
  // when a write's first sequence number is not above the id's stored
  // highest; rejected writes come back as their rejection.
  Future<absl::StatusOr<WriteResults>> WriteEvents(PreparedWrites writes,
                                                   bool sync);

  // DeleteEvents removes the events of `persistence_id` up to `to`
  // (inclusive) with one range deletion in the next group commit.
  Future<absl::Status> DeleteEvents(const std::string& persistence_id,
                                    int64_t to, bool sync);

  // FirstOfLast finds where the last `max` stored events of the id up to
  // `to` begin (0 if there are none), walking back from the last.
  absl::StatusOr<int64_t> FirstOfLast(const std::string& persistence_id,
                                      int64_t to, int64_t max);

  // ReadHighest reads the stored highest sequence number (0 if none): the
  // larger of the id's last event and its highest key.
  absl::StatusOr<int64_t> ReadHighest(const std::string& persistence_id);

  // CommitStats counts the writer's work since the database was opened:
  // `requests` write and delete requests in `group_commits` WriteBatches.
  struct CommitStats {
    uint64_t group_commits = 0;
    uint64_t requests = 0;
  };
  CommitStats Stats() const;

  // OpenDatabasesForTesting: how many databases this process has open.
  static int OpenDatabasesForTesting();

 private:
  friend class DatabaseRegistry;

  struct EventWrite {
    PreparedWrites writes;
    bool sync = true;
    size_t bytes = 0;
    Promise<absl::StatusOr<WriteResults>> promise;
  };
  struct RangeDelete {
    std::string persistence_id;
    int64_t to = 0;
    bool sync = true;
    Promise<absl::Status> promise;
  };
  using Request = std::variant<EventWrite, RangeDelete>;

  Database(std::string path, DatabaseSettings settings,
           std::unique_ptr<::rocksdb::DB> db);
  ~Database() = default;

  // Shutdown stops the writer (after it has written what is queued) and the
  // completer (after it has acknowledged everything), closes the database,
  // tells the registry and deletes `database`.
  static void Shutdown(Database* database);
  // CloseAndDelete syncs and closes the database, deletes `database`, and
  // tells the registry the path is free.
  static void CloseAndDelete(Database* database);

  // Completion: a committed group on its way to the completer thread.
  struct Completion {
    std::vector<Request> group;
    std::vector<absl::Status> admitted;  // per request: refused or not
    absl::Status written;                // the WriteBatch's outcome
    // Written but not yet synced: the completer syncs the WAL before it
    // acknowledges the group, and a failed sync fails it.
    bool unsynced = false;
  };

  void Enqueue(Request request);
  void WriterLoop();
  void CompleterLoop();
  // StopCompleter tells the completer that the writer has exited.
  void StopCompleter();
  void Commit(std::vector<Request> group);
  void Acknowledge(Completion& completion);
  // Admit checks one request against the highest sequence numbers known so
  // far (this group's, the cache, the database) and, when accepted, records
  // the new highest of its ids in `group_highest`.
  absl::Status Admit(const EventWrite& request,
                     std::unordered_map<std::string, int64_t>& group_highest);
  absl::StatusOr<int64_t> CachedHighest(const std::string& persistence_id);
  void RememberHighest(const std::string& persistence_id, int64_t highest);

  const std::string path_;
  const DatabaseSettings settings_;
  std::unique_ptr<::rocksdb::DB> db_;
  std::string key_buffer_;  // the writer's, for building event keys

  Mutex mu_;
  std::condition_variable work_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool writer_sleeping_ ABSL_GUARDED_BY(mu_) = false;  // waiting on `work_`
  // The queue is not empty (read without the lock by the spinning writer).
  std::atomic<bool> queued_{false};

  // Committed groups waiting for their acknowledgements.
  Mutex completions_mu_;
  std::condition_variable completions_ready_;
  std::deque<Completion> completions_ ABSL_GUARDED_BY(completions_mu_);
  // The writer has exited: no more completions.
  bool writer_done_ ABSL_GUARDED_BY(completions_mu_) = false;
  // Acknowledging a batch taken from the queue.
  bool completer_busy_ ABSL_GUARDED_BY(completions_mu_) = false;

  std::atomic<uint64_t> group_commits_{0};
  std::atomic<uint64_t> requests_{0};

  // Writer thread only: id -> highest sequence number stored.
  std::unordered_map<std::string, int64_t> highest_cache_;

  std::thread writer_;
  std::thread completer_;
};

}  // namespace persistence::rocksdb

#endif  // BACKENDS_ROCKSDB_DATABASE_H_
