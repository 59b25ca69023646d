// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/replay_stream.h"

#include <chrono>
#include <iostream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "persistence/api/codec.h"

namespace persistence {

// DrainTask is the closure an executor runs. Dropped unrun (the requester's
// actor stopped and threw its mailbox away), it cancels the stream, so the
// producer does not wait for a consumer that is gone.
struct ReplayStream::DrainTask {
  explicit DrainTask(std::shared_ptr<ReplayStream> stream)
      : stream(std::move(stream)) {}
  ~DrainTask() {
    if (!ran) stream->Cancel();
  }
  std::shared_ptr<ReplayStream> stream;
  bool ran = false;
};

ReplayStream::ReplayStream(std::string persistence_id,
                           ReplayFilterSettings filter, ReplayMessages& request)
    : persistence_id_(std::move(persistence_id)),
      filter_(filter,
              [id = persistence_id_](const std::string& warning) {
                std::cerr << "WARNING replay filter (" << id << "): " << warning
                          << "\n";
              }),
      on_events_(std::move(request.on_events)),
      on_done_(std::move(request.on_done)) {
  if (request.executor) {
    executor_ =
        std::make_shared<const std::function<void(std::function<void()>)>>(
            std::move(request.executor));
  }
}

ReplayCallback ReplayStream::Callback() {
  std::shared_ptr<ReplayStream> self = shared_from_this();
  return ReplayCallback(
      [self](PersistentRepr&& event) { self->Add(std::move(event)); },
      [self](int64_t sequence_nr, std::string_view record) {
        return self->AddRecord(sequence_nr, record);
      });
}

absl::Status ReplayStream::AddRecord(int64_t sequence_nr,
                                     std::string_view record) {
  if (!live_.load(std::memory_order_relaxed)) {
    return absl::CancelledError(absl::StrCat("the replay of persistence id '",
                                             persistence_id_, "' has ended"));
  }
  // One writer (the producer): a plain store, no read-modify-write.
  added_.store(added_.load(std::memory_order_relaxed) + 1,
               std::memory_order_relaxed);
  last_added_ = sequence_nr;
  if (!batch_.events.empty()) Publish();  // a batch holds one kind
  // Reserved at the first record: most recoveries of new actors have none.
  if (batch_.records.capacity() == 0) {
    batch_.records.reserve(kReplayBatch);
    batch_.bytes.reserve(kReplayBatch * (record.size() + 16));
  }
  batch_.bytes.append(record.data(), record.size());
  batch_.records.push_back({sequence_nr, batch_.bytes.size()});
  if (batch_.records.size() >= kReplayBatch) Publish();
  return absl::OkStatus();
}

void ReplayStream::Add(PersistentRepr&& event) {
  if (!live_.load(std::memory_order_relaxed)) return;
  // One writer (the producer): a plain store, no read-modify-write.
  added_.store(added_.load(std::memory_order_relaxed) + 1,
               std::memory_order_relaxed);
  last_added_ = event.sequence_nr;
  if (!batch_.records.empty()) Publish();  // a batch holds one kind
  if (batch_.events.capacity() == 0) batch_.events.reserve(kReplayBatch);
  batch_.events.push_back(std::move(event));
  if (batch_.events.size() >= kReplayBatch) Publish();
}

void ReplayStream::StandBy() {
  bool schedule;
  {
    MutexLock lock(mu_);
    if (executor_ == nullptr) return;  // would drain on this thread
    PollFor(kFirstBatchWait);
    schedule = !drain_scheduled_ && !ended_;
    drain_scheduled_ = true;
  }
  if (schedule) ScheduleDrain();
}

void ReplayStream::PollFor(std::chrono::microseconds wait) {
  poll_until_.store(
      (std::chrono::steady_clock::now() + wait).time_since_epoch().count(),
      std::memory_order_relaxed);
}

bool ReplayStream::PollsFor(
    std::chrono::steady_clock::time_point turn_ends) const {
  const auto now = std::chrono::steady_clock::now();
  return now < turn_ends && now.time_since_epoch().count() <
                                poll_until_.load(std::memory_order_relaxed);
}

void ReplayStream::Publish() {
  if (batch_.size() == 0) return;
  if (poll_until_.load(std::memory_order_relaxed) != 0) {
    PollFor(kNextBatchWait);
  }
  bool schedule = false;
  std::vector<Batch> returned;
  {
    // Never waits: the pages asked for bound what is outstanding.
    MutexLock lock(mu_);
    if (!ended_) {
      outstanding_ += batch_.size();
      waiting_.push_back(std::move(batch_));
      schedule = !drain_scheduled_;
      drain_scheduled_ = true;
    }
    returned.swap(recycled_);
  }
  // The next batch reuses a returned one (its buffers keep their capacity).
  batch_ = Batch();
  if (!returned.empty()) {
    batch_ = std::move(returned.back());
    returned.pop_back();
    batch_.events.clear();
    batch_.bytes.clear();
    batch_.records.clear();
  }
  returned.clear();
  if (schedule) ScheduleDrain();
}

void ReplayStream::Complete(absl::StatusOr<int64_t> result) {
  if (result.ok()) Publish();
  // The producer is done: its next batch will never fill.
  batch_ = Batch();
  End(std::move(result), /*drop=*/!result.ok());
}

void ReplayStream::Fail(const absl::Status& cause) { End(cause, true); }

size_t ReplayStream::Room() {
  MutexLock lock(mu_);
  return kCapacity - std::min(outstanding_, kCapacity);
}

bool ReplayStream::WhenRoom(std::function<void()> resume) {
  MutexLock lock(mu_);
  if (ended_ || outstanding_ + kReplayPage <= kCapacity) return true;
  resume_ = std::move(resume);
  return false;
}

std::function<void()> ReplayStream::Consumed(size_t events) {
  outstanding_ -= std::min(events, outstanding_);
  if (resume_ == nullptr ||
      (!ended_ && outstanding_ + kReplayPage > kCapacity)) {
    return nullptr;
  }
  return std::move(resume_);
}

void ReplayStream::End(absl::StatusOr<int64_t> result, bool drop) {
  bool schedule = false;
  std::function<void()> resume;
  {
    MutexLock lock(mu_);
    if (ended_) return;
    ended_ = true;
    live_.store(false, std::memory_order_release);
    result_ = std::move(result);
    size_t dropped = 0;
    if (drop) {
      for (const Batch& batch : waiting_) dropped += batch.size();
      waiting_.clear();
    }
    resume = Consumed(dropped);  // ended: a waiting resume runs now
    schedule = !drain_scheduled_;
    drain_scheduled_ = true;
  }
  if (resume) resume();
  if (schedule) ScheduleDrain();
}

void ReplayStream::ScheduleDrain() {
  std::shared_ptr<const std::function<void(std::function<void()>)>> executor;
  {
    MutexLock lock(mu_);
    executor = executor_;
  }
  if (executor == nullptr) {
    Drain();
    return;
  }
  auto task = std::make_shared<DrainTask>(shared_from_this());
  (*executor)([task] {
    task->ran = true;
    task->stream->Drain();
  });
}

void ReplayStream::Drain() {
  MutexLock consumer(drain_mu_);
  // A turn on the executor delivers batches for about kDrainTurn, then
  // comes back as a new task: an actor that recovers slowly still gets to
  // its other messages (a Stop) between turns.
  const auto turn_ends = std::chrono::steady_clock::now() + kDrainTurn;
  bool has_executor;
  for (;;) {
    Batch batch;
    bool took = false;
    bool ended;
    absl::StatusOr<int64_t> result;
    {
      MutexLock lock(mu_);
      has_executor = executor_ != nullptr;
      if (!waiting_.empty()) {
        batch = std::move(waiting_.front());
        waiting_.pop_front();
        took = true;
      }
      ended = ended_ && waiting_.empty();
      if (ended) result = result_;
      if (!took && !ended && !(has_executor && PollsFor(turn_ends))) {
        drain_scheduled_ = false;
        return;
      }
    }
    if (delivered_) return;
    if (!took && !ended) {  // standing by: the next batch is on its way
      std::this_thread::yield();
      continue;
    }
    absl::Status filtered = absl::OkStatus();
    if (took) {
      filtered = Filter(batch);
      if (filtered.ok()) Deliver();
    }
    if (filtered.ok() && ended && result.ok()) {
      filtered = filter_.Finish();
      Deliver();
    }
    if (took) {
      std::function<void()> resume;
      {
        MutexLock lock(mu_);
        const size_t events = batch.size();
        recycled_.push_back(std::move(batch));
        resume = Consumed(events);
      }
      // The producer's next page: the journal actor posts it to itself.
      if (resume) resume();
    }
    if (!filtered.ok()) {
      End(filtered, true);  // stops the producer
      result = filtered;
      ended = true;
    }
    if (ended) {
      Finish(std::move(result));
      return;
    }
    if (has_executor && std::chrono::steady_clock::now() >= turn_ends) {
      break;  // drain_scheduled_ stays set: the next turn is on its way
    }
  }
  consumer.Unlock();
  ScheduleDrain();
}

absl::Status ReplayStream::Filter(Batch& batch) {
  for (PersistentRepr& event : batch.events) {
    absl::Status s = filter_.Add(std::move(event));
    if (!s.ok()) return s;
  }
  size_t start = 0;
  for (const Batch::RecordEnd& record : batch.records) {
    absl::StatusOr<PersistentRepr> event = DecodeEvent(
        std::string_view(batch.bytes).substr(start, record.end - start),
        persistence_id_, record.sequence_nr);
    start = record.end;
    absl::Status s =
        event.ok() ? filter_.Add(*std::move(event)) : event.status();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void ReplayStream::Deliver() {
  absl::Span<PersistentRepr> ready = filter_.Ready();
  if (ready.empty()) return;
  on_events_(ready);
  // One writer (the consumer): a plain store, no read-modify-write.
  delivered_events_.store(delivered_events_.load(std::memory_order_relaxed) +
                              static_cast<int64_t>(ready.size()),
                          std::memory_order_relaxed);
  filter_.Delivered();
}

void ReplayStream::Finish(absl::StatusOr<int64_t> result) {
  delivered_ = true;
  std::function<void(absl::StatusOr<int64_t>)> done = std::move(on_done_);
  // The callbacks and the executor hold the requester: release them now,
  // not when the last reference to the stream (a watchdog timer) goes.
  on_done_ = nullptr;
  on_events_ = nullptr;
  ReleaseShared();
  if (done) done(std::move(result));
}

void ReplayStream::ReleaseShared() {
  // The watchdog may keep the stream for up to recovery-event-timeout: it
  // must not keep the replay's events as well.
  filter_.Clear();
  std::vector<Batch> events;
  std::function<void()> resume;
  {
    MutexLock lock(mu_);
    executor_.reset();
    events.swap(recycled_);
    for (auto& waiting : waiting_) events.push_back(std::move(waiting));
    waiting_.clear();
    resume = Consumed(outstanding_);
  }
  if (resume) resume();
}

void ReplayStream::Cancel() {
  End(absl::CancelledError("the replay's requester is gone"), true);
  MutexLock consumer(drain_mu_);
  delivered_ = true;
  on_done_ = nullptr;
  on_events_ = nullptr;
  ReleaseShared();
}

}  // namespace persistence
