// Copyright 2026 The eventpersist Authors.
//
// The RocksDB journal: writes go through the database's group-commit
// writer, replays run on the journal's replay threads.
#include "backends/rocksdb/rocksdb_journal.h"

#include <algorithm>
#include <atomic>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/key_layout.h"
#include "persistence/api/codec.h"
#include "rocksdb/iterator.h"

namespace persistence::rocksdb {

// Replayer runs replays against the database. Replay tasks hold it (not
// the journal), so a journal destroyed while a replay runs leaves the
// replay something valid to finish with.
class RocksDbJournal::Replayer {
 public:
  explicit Replayer(std::shared_ptr<Database> database)
      : database_(std::move(database)) {}

  // Stop makes running replays end at their next event, with Cancelled.
  void Stop() { stopping_.store(true, std::memory_order_relaxed); }

  absl::Status Replay(const std::string& persistence_id, int64_t from,
                      int64_t to, int64_t max, const ReplayCallback& callback);

 private:
  absl::Status IteratorError(const ::rocksdb::Status& s,
                             const std::string& persistence_id) const {
    return FromRocksDb(
        s, absl::StrCat("replay of persistence id '", persistence_id, "' in '",
                        database_->path(), "'"));
  }

  const std::shared_ptr<Database> database_;
  std::atomic<bool> stopping_{false};
};

absl::Status RocksDbJournal::Replayer::Replay(const std::string& persistence_id,
                                              int64_t from, int64_t to,
                                              int64_t max,
                                              const ReplayCallback& callback) {
  if (max <= 0 || to < 1) return absl::OkStatus();
  if (from < 0) {
    absl::StatusOr<int64_t> first =
        database_->FirstOfLast(persistence_id, to, max);
    if (!first.ok()) return first.status();
    if (*first == 0) return absl::OkStatus();
    from = *first;
  }
  from = std::max<int64_t>(from, 1);
  if (from > to) return absl::OkStatus();

  const std::string start = EventKey(persistence_id, from);
  const std::string end = EventKeyEnd(persistence_id, to);
  const ::rocksdb::Slice end_slice(end);
  ::rocksdb::ReadOptions options;
  // The bound stops the iterator at the end of the range instead of
  // reading on into the next id's blocks; the prefix bloom filters let
  // the seek skip SST files without this id.
  options.iterate_upper_bound = &end_slice;
  options.prefix_same_as_start = true;
  // A replay reads each block once: keep it out of the block cache, which
  // would otherwise fill up (and evict what other reads need) on every
  // long recovery.
  options.fill_cache = false;
  std::unique_ptr<::rocksdb::Iterator> it(database_->db().NewIterator(options));
  const size_t prefix_size = IdPrefix(kEventTag, persistence_id).size();
  int64_t replayed = 0;
  for (it->Seek(start); it->Valid() && replayed < max; it->Next()) {
    if (stopping_.load(std::memory_order_relaxed)) {
      return absl::CancelledError(
          absl::StrCat("replay of persistence id '", persistence_id,
                       "' stopped: the journal is shutting down"));
    }
    std::optional<int64_t> seq = SequenceNrOf(it->key(), prefix_size);
    if (!seq.has_value()) {
      return absl::DataLossError(
          absl::StrCat("persistence id '", persistence_id,
                       "': malformed event key after sequence number ",
                       from + replayed, " in '", database_->path(), "'"));
    }
    const ::rocksdb::Slice value = it->value();
    absl::Status handed = callback.Record(
        persistence_id, *seq, std::string_view(value.data(), value.size()));
    if (!handed.ok()) return handed;
    ++replayed;
  }
  if (!it->status().ok()) return IteratorError(it->status(), persistence_id);
  return absl::OkStatus();
}

RocksDbJournal::RocksDbJournal(const Config& config)
    : settings_(JournalSettings::FromConfig(config)) {}

RocksDbJournal::~RocksDbJournal() {
  // Replays still running end at their next event; queued ones end at once.
  if (replayer_ != nullptr) replayer_->Stop();
  replays_.reset();
}

absl::Status RocksDbJournal::Start() {
  if (!settings_.ok()) return settings_.status();
  absl::StatusOr<std::shared_ptr<Database>> database =
      Database::Open(settings_->database);
  if (!database.ok()) return database.status();
  database_ = *std::move(database);
  replayer_ = std::make_shared<Replayer>(database_);
  replays_ = std::make_unique<TaskPool>(
      static_cast<int>(settings_->replay_threads), "rocksdb-replay");
  return absl::OkStatus();
}

absl::Status RocksDbJournal::NotStarted() const {
  if (!settings_.ok()) return settings_.status();
  return absl::FailedPreconditionError("the RocksDB journal was not started");
}

Future<absl::StatusOr<WriteResults>> RocksDbJournal::AsyncWriteMessages(
    const std::vector<AtomicWrite>& writes) {
  if (database_ == nullptr) {
    return MakeReadyFuture(absl::StatusOr<WriteResults>(NotStarted()));
  }
  // Serialize everything here, before the writer sees the request: a
  // rejected atomic write then never reaches the WriteBatch.
  return database_->WriteEvents(PrepareWrites(writes), settings_->fsync);
}

Future<absl::Status> RocksDbJournal::AsyncDeleteMessagesTo(
    const std::string& persistence_id, int64_t to_sequence_nr) {
  if (database_ == nullptr) return MakeReadyFuture(NotStarted());
  if (to_sequence_nr < 1) return MakeReadyFuture(absl::OkStatus());
  return database_->DeleteEvents(persistence_id, to_sequence_nr,
                                 settings_->fsync);
}

Future<absl::StatusOr<int64_t>> RocksDbJournal::AsyncReadHighestSequenceNr(
    const std::string& persistence_id, int64_t from_sequence_nr) {
  if (database_ == nullptr) {
    return MakeReadyFuture(absl::StatusOr<int64_t>(NotStarted()));
  }
  // The runtime sends this only after the id's writes have completed, and
  // a write completes after its batch is in the database: a point read
  // sees it.
  return MakeReadyFuture(database_->ReadHighest(persistence_id));
}

Future<absl::Status> RocksDbJournal::AsyncReplayMessages(
    const std::string& persistence_id, int64_t from_sequence_nr,
    int64_t to_sequence_nr, int64_t max, ReplayCallback callback) {
  if (database_ == nullptr) return MakeReadyFuture(NotStarted());
  Promise<absl::Status> done;
  replays_->Execute([replayer = replayer_, done, persistence_id,
                     from_sequence_nr, to_sequence_nr, max,
                     callback = std::move(callback)] {
    done.Set(replayer->Replay(persistence_id, from_sequence_nr, to_sequence_nr,
                              max, callback));
  });
  return done.GetFuture();
}

absl::Status RocksDbJournal::ReplayMessages(const std::string& persistence_id,
                                            int64_t from, int64_t to,
                                            int64_t max,
                                            const ReplayCallback& callback) {
  if (database_ == nullptr) return NotStarted();
  return replayer_->Replay(persistence_id, from, to, max, callback);
}

PERSISTENCE_REGISTER(JournalRegistry, "rocksdb.Journal",
                     Construct<RocksDbJournal>);

}  // namespace persistence::rocksdb
