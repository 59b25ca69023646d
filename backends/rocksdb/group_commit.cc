// Copyright 2026 The eventpersist Authors.
//
// The group-commit writer of a Database: requests are encoded on the
// caller's thread, queued, written by one writer thread in one WriteBatch
// per group, and acknowledged by the completer (database.h).
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/database.h"
#include "backends/rocksdb/key_layout.h"
#include "persistence/api/codec.h"
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
    MutexLock lock(mu_);
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
      MutexLock lock(mu_);
      writer_sleeping_ = true;
      lock.Wait(work_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      });
      writer_sleeping_ = false;
      if (queue_.empty()) return;  // stopping, and nothing left to write
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
      MutexLock lock(completions_mu_);
      lock.Wait(completions_ready_,
                [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(completions_mu_) {
                  return !completions_.empty() || writer_done_;
                });
      if (completions_.empty()) {  // the writer is done and so are we
        completer_busy_ = false;
        return;
      }
      ready.swap(completions_);
      completer_busy_ = true;
    }
    // One WAL sync makes every group written so far durable: the groups
    // taken here, and any that the writer wrote meanwhile (the next sync
    // then finds those on disk already).
    if (std::any_of(ready.begin(), ready.end(),
                    [](const Completion& c) { return c.unsynced; })) {
      const absl::Status synced = FromRocksDb(
          db_->SyncWAL(),
          absl::StrCat("cannot sync the write-ahead log of the RocksDB "
                       "database at '",
                       path_, "'"));
      for (Completion& completion : ready) {
        if (completion.unsynced && !synced.ok()) completion.written = synced;
      }
    }
    for (Completion& completion : ready) Acknowledge(completion);
    MutexLock lock(completions_mu_);
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
  // A group of a request or two (one actor persisting and waiting) is
  // synced and acknowledged right here: a hand-off to another thread would
  // cost more than its callbacks, and its next write cannot arrive before
  // the ack. A larger group is written without waiting for the disk and
  // goes to the completer, which syncs the WAL once for all the groups
  // that reached it and then completes their Futures (the runtime's reply
  // work), while this thread already writes the next groups.
  // Acknowledgements stay in commit order: inline only when the completer
  // has nothing left to do, and only this thread gives it work.
  bool inline_ack;
  {
    MutexLock lock(completions_mu_);
    inline_ack = group.size() <= kInlineAcknowledgement &&
                 completions_.empty() && !completer_busy_;
  }
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
  const bool wrote = written.ok() && batch.Count() > 0;
  if (wrote) {
    ::rocksdb::WriteOptions options;
    options.sync = sync && inline_ack;
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
  completion.unsynced = wrote && sync && !inline_ack && completion.written.ok();
  if (inline_ack) {
    Acknowledge(completion);
    return;
  }
  {
    MutexLock lock(completions_mu_);
    completions_.push_back(std::move(completion));
    completer_busy_ = true;
  }
  completions_ready_.notify_one();
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
