// Copyright 2026 The eventpersist Authors.
#include "backends/rocksdb/database.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/key_layout.h"
#include "persistence/api/codec.h"
#include "rocksdb/iterator.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/write_batch.h"

namespace persistence::rocksdb {
namespace {

// Groups of at most this many requests are acknowledged by the writer.
constexpr size_t kInlineAcknowledgement = 2;

// CpuRelax tells the core that this is a spin-wait loop.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

absl::Status PathError(const std::string& path, const std::string& what,
                       const std::error_code& ec) {
  const std::string message = absl::StrCat("RocksDB data path '", path,
                                           "': ", what, ": ", ec.message());
  switch (static_cast<std::errc>(ec.value())) {
    case std::errc::permission_denied:
    case std::errc::operation_not_permitted:
    case std::errc::read_only_file_system:
      return absl::PermissionDeniedError(message);
    case std::errc::no_such_file_or_directory:
      return absl::NotFoundError(message);
    case std::errc::not_a_directory:
    case std::errc::file_exists:
      return absl::FailedPreconditionError(message);
    case std::errc::no_space_on_device:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// CanonicalDirectory creates `path` (and its parents) when missing and
// returns its canonical form, the key of the registry.
absl::StatusOr<std::string> CanonicalDirectory(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return PathError(path, "cannot create the directory", ec);
  if (!fs::is_directory(path, ec)) {
    if (ec) return PathError(path, "cannot inspect the path", ec);
    return absl::FailedPreconditionError(absl::StrCat(
        "RocksDB data path '", path, "' exists and is not a directory"));
  }
  fs::path canonical = fs::canonical(path, ec);
  if (ec) return PathError(path, "cannot resolve the path", ec);
  return canonical.string();
}

bool IsLockConflict(const ::rocksdb::Status& status) {
  if (!status.IsIOError()) return false;
  const std::string text = status.ToString();
  return text.find("lock file") != std::string::npos ||
         text.find("lock hold") != std::string::npos ||
         text.find("LOCK") != std::string::npos;
}

// CheckLayout writes the layout version into a new database and refuses a
// database written with another layout.
absl::Status CheckLayout(::rocksdb::DB& db, const std::string& path) {
  std::string version;
  ::rocksdb::Status s =
      db.Get(::rocksdb::ReadOptions(), LayoutVersionKey(), &version);
  if (s.IsNotFound()) {
    ::rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocksDb(
        db.Put(sync, LayoutVersionKey(), kLayoutVersion),
        absl::StrCat("cannot initialize the RocksDB database at '", path, "'"));
  }
  if (!s.ok()) {
    return FromRocksDb(
        s, absl::StrCat("cannot read the RocksDB database at '", path, "'"));
  }
  if (version == kUpgradableLayoutVersion) {
    ::rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocksDb(
        db.Put(sync, LayoutVersionKey(), kLayoutVersion),
        absl::StrCat("cannot upgrade the RocksDB database at '", path,
                     "' from key layout version ", kUpgradableLayoutVersion));
  }
  if (version != kLayoutVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the RocksDB database at '", path, "' has key layout version '",
        version, "'; this build reads versions ", kUpgradableLayoutVersion,
        " and ", kLayoutVersion));
  }
  return absl::OkStatus();
}

}  // namespace

PreparedWrites PrepareWrites(const std::vector<AtomicWrite>& writes) {
  PreparedWrites prepared;
  prepared.encoded = EncodeRequest(writes);
  prepared.writes.resize(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    const AtomicWrite& write = writes[i];
    PreparedWrites::Write& p = prepared.writes[i];
    const std::string& id = write.persistence_id();
    if (prepared.ids.empty() || prepared.ids.back() != id) {
      prepared.ids.push_back(id);
    }
    p.id = prepared.ids.size() - 1;
    p.lowest_sequence_nr = write.lowest_sequence_nr();
    p.highest_sequence_nr = write.highest_sequence_nr();
    if (!IsValidId(id)) {
      prepared.encoded.Reject(
          i, absl::InvalidArgumentError("persistence id longer than 4 GiB"));
    } else if (p.lowest_sequence_nr < 1) {
      prepared.encoded.Reject(
          i, absl::InvalidArgumentError(
                 absl::StrCat("persistence id '", id, "': sequence number ",
                              p.lowest_sequence_nr, " is below 1")));
    }
  }
  return prepared;
}

// DatabaseRegistry: the process's open databases by canonical path, with
// the count of their users. An entry stays (marked closing) until its
// database is closed, so an Open of the same path waits for the LOCK.
class DatabaseRegistry {
 public:
  static DatabaseRegistry& Global() {
    static auto* registry = new DatabaseRegistry();
    return *registry;
  }

  absl::StatusOr<std::shared_ptr<Database>> Open(
      const DatabaseSettings& settings) {
    // A database closing on its writer or completer thread must be closed
    // before the process tears down RocksDB's statics.
    static const bool wait_at_exit =
        std::atexit([] { Global().WaitForClosing(); }) == 0;
    (void)wait_at_exit;
    absl::StatusOr<std::string> path = CanonicalDirectory(settings.path);
    if (!path.ok()) return path.status();
    std::unique_lock<std::mutex> lock(mu_);
    closed_.wait(lock, [&] {
      auto it = entries_.find(*path);
      return it == entries_.end() || !it->second.closing;
    });
    auto it = entries_.find(*path);
    if (it != entries_.end()) {
      const std::string wanted = settings.Describe();
      const std::string opened = it->second.database->settings_.Describe();
      if (wanted != opened) {
        return absl::FailedPreconditionError(
            absl::StrCat("the RocksDB database at '", *path,
                         "' is already open in this process with {", opened,
                         "}; a plugin sharing it asks for {", wanted,
                         "}: give both plugins the same database settings"));
      }
      ++it->second.users;
      return Lease(*path, it->second.database);
    }
    ::rocksdb::DB* raw = nullptr;
    ::rocksdb::Status s =
        ::rocksdb::DB::Open(MakeOptions(settings), *path, &raw);
    if (!s.ok()) {
      if (IsLockConflict(s)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the RocksDB database at '", *path,
            "' is in use by another process (one process per database; "
            "stop the other one or give this one another path): ",
            s.ToString()));
      }
      return FromRocksDb(
          s, absl::StrCat("cannot open the RocksDB database at '", *path, "'"));
    }
    std::unique_ptr<::rocksdb::DB> db(raw);
    absl::Status layout = CheckLayout(*db, *path);
    if (!layout.ok()) return layout;
    Entry& entry = entries_[*path];
    entry.database = new Database(*path, settings, std::move(db));
    entry.users = 1;
    return Lease(*path, entry.database);
  }

  // Closed: the database at `path` is closed; the path may be opened again.
  void Closed(const std::string& path) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      entries_.erase(path);
    }
    closed_.notify_all();
  }

  // WaitForClosing waits (up to 30 s) until no database is closing.
  void WaitForClosing() {
    std::unique_lock<std::mutex> lock(mu_);
    closed_.wait_for(lock, std::chrono::seconds(30), [this] {
      for (const auto& [path, entry] : entries_) {
        if (entry.closing) return false;
      }
      return true;
    });
  }

  int OpenCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(entries_.size());
  }

 private:
  struct Entry {
    Database* database = nullptr;  // deleted by Database::Shutdown
    int users = 0;
    bool closing = false;
  };

  // Lease hands out a shared_ptr whose release counts down the users.
  std::shared_ptr<Database> Lease(const std::string& path, Database* database) {
    return std::shared_ptr<Database>(
        database, [this, path](Database*) { Release(path); });
  }

  void Release(const std::string& path) {
    Database* last = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(path);
      if (it == entries_.end() || --it->second.users > 0) return;
      it->second.closing = true;
      last = it->second.database;
    }
    Database::Shutdown(last);
  }

  std::mutex mu_;
  std::condition_variable closed_;
  std::map<std::string, Entry> entries_;
};

absl::StatusOr<std::shared_ptr<Database>> Database::Open(
    const DatabaseSettings& settings) {
  return DatabaseRegistry::Global().Open(settings);
}

int Database::OpenDatabasesForTesting() {
  return DatabaseRegistry::Global().OpenCount();
}

Database::Database(std::string path, DatabaseSettings settings,
                   std::unique_ptr<::rocksdb::DB> db)
    : path_(std::move(path)),
      settings_(std::move(settings)),
      db_(std::move(db)) {
  writer_ = std::thread([this] { WriterLoop(); });
  completer_ = std::thread([this] { CompleterLoop(); });
}

void Database::Shutdown(Database* database) {
  // Acknowledgements run on the completer thread, or for a small group on
  // the writer thread, so the last plugin may let go on either (a callback
  // that drops the last reference to it). Neither can join itself: the one
  // we are on closes the database as it exits.
  const std::thread::id self = std::this_thread::get_id();
  const bool on_writer = self == database->writer_.get_id();
  const bool on_completer = self == database->completer_.get_id();
  {
    std::lock_guard<std::mutex> lock(database->mu_);
    database->stopping_ = true;
    database->writer_closes_on_exit_ = on_writer;
  }
  database->work_.notify_all();
  if (on_writer) {
    database->writer_.detach();  // see WriterLoop's exit
    return;
  }
  database->writer_.join();  // the writer writes what is queued first
  database->StopCompleter(on_completer);
  if (on_completer) {
    database->completer_.detach();  // see CompleterLoop's exit
    return;
  }
  database->completer_.join();
  CloseAndDelete(database);
}

void Database::StopCompleter(bool completer_closes_on_exit) {
  {
    std::lock_guard<std::mutex> lock(completions_mu_);
    writer_done_ = true;
    completer_closes_on_exit_ = completer_closes_on_exit;
  }
  completions_ready_.notify_all();
}

void Database::CloseAndDelete(Database* database) {
  // With fsync off, acknowledged writes may sit in the OS page cache; a
  // clean close makes them durable.
  database->db_->SyncWAL().PermitUncheckedError();
  database->db_->Close().PermitUncheckedError();
  const std::string path = database->path_;
  delete database;
  DatabaseRegistry::Global().Closed(path);
}

Future<absl::StatusOr<WriteResults>> Database::WriteEvents(
    PreparedWrites writes, bool sync) {
  EventWrite request;
  request.bytes = writes.encoded.buffer.size();
  request.writes = std::move(writes);
  request.sync = sync;
  Future<absl::StatusOr<WriteResults>> future = request.promise.GetFuture();
  Enqueue(std::move(request));
  return future;
}

Future<absl::Status> Database::DeleteEvents(const std::string& persistence_id,
                                            int64_t to, bool sync) {
  RangeDelete request;
  request.persistence_id = persistence_id;
  request.to = to;
  request.sync = sync;
  Future<absl::Status> future = request.promise.GetFuture();
  Enqueue(std::move(request));
  return future;
}

void Database::Enqueue(Request request) {
  bool sleeping;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(request));
    queued_.store(true, std::memory_order_release);
    sleeping = writer_sleeping_;
  }
  // A spinning writer sees `queued_`; only a sleeping one needs a wake-up.
  if (sleeping) work_.notify_one();
}

Database::CommitStats Database::Stats() const {
  CommitStats stats;
  stats.group_commits = group_commits_.load(std::memory_order_relaxed);
  stats.requests = requests_.load(std::memory_order_relaxed);
  return stats;
}

absl::StatusOr<int64_t> Database::FirstOfLast(const std::string& persistence_id,
                                              int64_t to, int64_t max) {
  const std::string lower = EventKey(persistence_id, 0);
  const std::string upper = EventKeyEnd(persistence_id, to);
  const ::rocksdb::Slice lower_slice(lower), upper_slice(upper);
  ::rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower_slice;
  options.iterate_upper_bound = &upper_slice;
  options.total_order_seek = true;  // backwards; the bounds keep it in the id
  std::unique_ptr<::rocksdb::Iterator> it(db_->NewIterator(options));
  const size_t prefix_size = IdPrefix(kEventTag, persistence_id).size();
  int64_t first = 0;
  int64_t seen = 0;
  for (it->SeekToLast(); it->Valid() && seen < max; it->Prev(), ++seen) {
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

void Database::WriterLoop() {
  pthread_setname_np(pthread_self(), "rocksdb-writer");
  // RocksDB counts into a thread-local perf context by default; nobody
  // reads this thread's, and the count costs a TLS lookup per key.
  ::rocksdb::SetPerfLevel(::rocksdb::PerfLevel::kDisable);
  const size_t max_bytes =
      static_cast<size_t>(settings_.max_group_commit_bytes);
  // Poll for the next write before sleeping: an actor that waited for
  // this commit sends its next write soon, and a futex sleep and wake-up
  // costs tens of microseconds. How long: twice the running average of the
  // recent idle pauses, at least 50 us, at most writer-spin-time; when the
  // pauses are longer than that, only the 50 us (the runtime's dispatchers
  // poll the same way).
  using std::chrono::nanoseconds;
  const nanoseconds max_spin =
      std::chrono::microseconds(settings_.writer_spin_time_us);
  const nanoseconds floor =
      std::min<nanoseconds>(max_spin, std::chrono::microseconds(50));
  nanoseconds average_pause(0);
  for (;;) {
    std::vector<Request> group;
    const auto idle_since = std::chrono::steady_clock::now();
    const bool idle = !queued_.load(std::memory_order_acquire);
    if (max_spin.count() > 0 && idle) {
      const nanoseconds twice = 2 * average_pause;
      const auto deadline =
          idle_since + (twice > max_spin ? floor : std::max(floor, twice));
      for (int i = 1; !queued_.load(std::memory_order_acquire); ++i) {
        CpuRelax();
        if (i % 64 != 0) continue;
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::yield();
      }
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      writer_sleeping_ = true;
      work_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      writer_sleeping_ = false;
      if (queue_.empty()) {  // stopping, and nothing left to write
        if (!writer_closes_on_exit_) return;
        lock.unlock();
        // Shutdown ran on this thread (an inline acknowledgement let go of
        // the last plugin): stop the completer and close from here.
        StopCompleter(false);
        completer_.join();
        CloseAndDelete(this);  // `this` is gone after this line
        return;
      }
      size_t bytes = 0;
      while (!queue_.empty() && (group.empty() || bytes < max_bytes)) {
        if (const auto* w = std::get_if<EventWrite>(&queue_.front())) {
          if (!group.empty() && bytes + w->bytes > max_bytes) break;
          bytes += w->bytes;
        }
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_.store(!queue_.empty(), std::memory_order_release);
    }
    if (idle) {
      // A pause longer than max_spin only needs to say "too long".
      const nanoseconds pause = std::min<nanoseconds>(
          std::chrono::steady_clock::now() - idle_since, max_spin);
      average_pause += (pause - average_pause) / 4;
    }
    Commit(std::move(group));
  }
}

void Database::CompleterLoop() {
  pthread_setname_np(pthread_self(), "rocksdb-acks");
  for (;;) {
    std::deque<Completion> ready;
    {
      std::unique_lock<std::mutex> lock(completions_mu_);
      completions_ready_.wait(
          lock, [this] { return !completions_.empty() || writer_done_; });
      if (completions_.empty()) {  // the writer is done and so are we
        completer_busy_ = false;
        if (!completer_closes_on_exit_) return;
        lock.unlock();
        CloseAndDelete(this);  // `this` is gone after this line
        return;
      }
      ready.swap(completions_);
      completer_busy_ = true;
    }
    for (Completion& completion : ready) Acknowledge(completion);
    std::lock_guard<std::mutex> lock(completions_mu_);
    completer_busy_ = !completions_.empty();
  }
}

absl::StatusOr<int64_t> Database::CachedHighest(
    const std::string& persistence_id) {
  auto it = highest_cache_.find(persistence_id);
  if (it != highest_cache_.end()) return it->second;
  absl::StatusOr<int64_t> stored = ReadHighest(persistence_id);
  if (stored.ok()) RememberHighest(persistence_id, *stored);
  return stored;
}

void Database::RememberHighest(const std::string& persistence_id,
                               int64_t highest) {
  auto it = highest_cache_.find(persistence_id);
  if (it != highest_cache_.end()) {
    it->second = highest;
    return;
  }
  // Bounded: forget an arbitrary id (the database still has it).
  while (!highest_cache_.empty() &&
         static_cast<int64_t>(highest_cache_.size()) >=
             settings_.highest_cache_size) {
    highest_cache_.erase(highest_cache_.begin());
  }
  highest_cache_.emplace(persistence_id, highest);
}

absl::Status Database::Admit(
    const EventWrite& request,
    std::unordered_map<std::string, int64_t>& group_highest) {
  // This request's own view: its earlier writes count for its later ones.
  std::vector<std::pair<const std::string*, int64_t>> mine;
  const PreparedWrites& prepared = request.writes;
  for (size_t i = 0; i < prepared.writes.size(); ++i) {
    const PreparedWrites::Write& w = prepared.writes[i];
    const std::string& id = prepared.id_of(i);
    auto own = std::find_if(mine.begin(), mine.end(), [&](const auto& entry) {
      return *entry.first == id;
    });
    int64_t current;
    if (own != mine.end()) {
      current = own->second;
    } else if (auto g = group_highest.find(id); g != group_highest.end()) {
      current = g->second;
    } else {
      absl::StatusOr<int64_t> stored = CachedHighest(id);
      if (!stored.ok()) return stored.status();
      current = *stored;
    }
    absl::Status fresh_writer =
        CheckNotStale(id, w.lowest_sequence_nr, current);
    if (!fresh_writer.ok()) return fresh_writer;
    const int64_t next = prepared.encoded.writes[i].rejection.ok()
                             ? w.highest_sequence_nr
                             : current;
    if (own != mine.end()) {
      own->second = next;
    } else {
      mine.emplace_back(&id, next);
    }
  }
  for (const auto& [id, highest] : mine) {
    auto [it, inserted] = group_highest.try_emplace(*id, highest);
    if (!inserted) it->second = highest;
  }
  return absl::OkStatus();
}

void Database::Commit(std::vector<Request> group) {
  ::rocksdb::WriteBatch batch;
  std::string& key = key_buffer_;  // reused: no allocation per event
  std::unordered_map<std::string, int64_t> group_highest;
  // Per request: OK when it made it into the batch, else why it did not.
  std::vector<absl::Status> admitted(group.size());
  bool sync = false;
  absl::Status batch_error;
  for (size_t i = 0; i < group.size() && batch_error.ok(); ++i) {
    if (auto* w = std::get_if<EventWrite>(&group[i])) {
      admitted[i] = Admit(*w, group_highest);
      if (!admitted[i].ok()) continue;
      const PreparedWrites& prepared = w->writes;
      const EncodedRequest& encoded = prepared.encoded;
      for (size_t p = 0; p < prepared.writes.size(); ++p) {
        if (!encoded.writes[p].rejection.ok()) continue;
        SetEventKeyPrefix(&key, prepared.id_of(p));
        for (const EncodedRequest::Record& record :
             encoded.RecordsOf(encoded.writes[p])) {
          SetEventKeySequenceNr(&key, record.sequence_nr);
          const std::string_view value = encoded.Bytes(record);
          ::rocksdb::Status s =
              batch.Put(key, ::rocksdb::Slice(value.data(), value.size()));
          if (!s.ok())
            batch_error = FromRocksDb(s, "cannot build the write batch");
        }
      }
      sync = sync || w->sync;
    } else {
      auto& d = std::get<RangeDelete>(group[i]);
      // The highest so far (this group's earlier writes included) goes
      // into the 'h' key with the range deletion: it outlives the events.
      int64_t highest;
      if (auto g = group_highest.find(d.persistence_id);
          g != group_highest.end()) {
        highest = g->second;
      } else {
        absl::StatusOr<int64_t> stored = CachedHighest(d.persistence_id);
        if (!stored.ok()) {
          admitted[i] = stored.status();
          continue;
        }
        highest = *stored;
      }
      ::rocksdb::Status s = batch.DeleteRange(
          EventKey(d.persistence_id, 0), EventKeyEnd(d.persistence_id, d.to));
      if (s.ok()) {
        s = batch.Put(HighestKey(d.persistence_id),
                      EncodeUint64(static_cast<uint64_t>(highest)));
      }
      if (!s.ok()) batch_error = FromRocksDb(s, "cannot build the write batch");
      sync = sync || d.sync;
    }
  }

  group_commits_.fetch_add(1, std::memory_order_relaxed);
  requests_.fetch_add(group.size(), std::memory_order_relaxed);
  absl::Status written = batch_error;
  if (written.ok() && batch.Count() > 0) {
    ::rocksdb::WriteOptions options;
    options.sync = sync;
    written = FromRocksDb(
        db_->Write(options, &batch),
        absl::StrCat("cannot write to the RocksDB database at '", path_, "'"));
  }
  for (const auto& [id, highest] : group_highest) {
    if (written.ok()) {
      RememberHighest(id, highest);
    } else {
      // Unknown whether it was stored: read it again next time.
      highest_cache_.erase(id);
    }
  }

  Completion completion{std::move(group), std::move(admitted),
                        std::move(written)};
  // A group of a request or two (one actor persisting and waiting) is
  // acknowledged right here: a hand-off to another thread would cost more
  // than its callbacks, and its next write cannot arrive before the ack.
  // Larger groups go to the completer, whose callbacks (the runtime's
  // reply path) then run while this thread already syncs the next group.
  // Acknowledgements stay in commit order: inline only when the completer
  // has nothing left to do.
  bool inline_ack;
  {
    std::lock_guard<std::mutex> lock(completions_mu_);
    inline_ack = completion.group.size() <= kInlineAcknowledgement &&
                 completions_.empty() && !completer_busy_;
    if (!inline_ack) {
      completions_.push_back(std::move(completion));
      completer_busy_ = true;
    }
  }
  if (inline_ack) {
    Acknowledge(completion);
  } else {
    completions_ready_.notify_one();
  }
}

void Database::Acknowledge(Completion& completion) {
  for (size_t i = 0; i < completion.group.size(); ++i) {
    const absl::Status& admitted = completion.admitted[i];
    if (auto* w = std::get_if<EventWrite>(&completion.group[i])) {
      if (!admitted.ok()) {
        w->promise.Set(admitted);
      } else if (!completion.written.ok()) {
        w->promise.Set(completion.written);
      } else {
        WriteResults results;
        results.reserve(w->writes.encoded.writes.size());
        for (const EncodedRequest::Write& p : w->writes.encoded.writes) {
          results.push_back(p.rejection);
        }
        w->promise.Set(std::move(results));
      }
    } else {
      std::get<RangeDelete>(completion.group[i])
          .promise.Set(admitted.ok() ? completion.written : admitted);
    }
  }
}

}  // namespace persistence::rocksdb
