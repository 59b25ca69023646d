// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/replay_stream.h"

#include <chrono>
#include <iostream>
#include <utility>

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
      filter_(
          filter,
          [this](PersistentRepr e) { filtered_.push_back(std::move(e)); },
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

void ReplayStream::Add(PersistentRepr&& event) {
  if (!live_.load(std::memory_order_relaxed)) return;
  progress_.fetch_add(1, std::memory_order_relaxed);
  // Reserved at the first event: most recoveries of new actors have none.
  if (batch_.capacity() == 0) batch_.reserve(kReplayBatch);
  batch_.push_back(std::move(event));
  if (batch_.size() >= kReplayBatch) Publish();
}

void ReplayStream::Publish() {
  if (batch_.empty()) return;
  bool schedule = false;
  std::vector<std::vector<PersistentRepr>> returned;
  {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait_for(lock, std::chrono::seconds(1),
                    [this] { return ended_ || waiting_events_ < kCapacity; });
    if (!ended_) {
      waiting_events_ += batch_.size();
      waiting_.push_back(std::move(batch_));
      schedule = !drain_scheduled_;
      drain_scheduled_ = true;
    }
    returned.swap(recycled_);
  }
  // The next batch reuses a returned vector; the returned events are freed
  // here, on the thread that allocated them.
  if (!returned.empty()) {
    batch_ = std::move(returned.back());
    returned.pop_back();
    batch_.clear();
  } else {
    batch_ = std::vector<PersistentRepr>();
    batch_.reserve(kReplayBatch);
  }
  returned.clear();
  if (schedule) ScheduleDrain();
}

void ReplayStream::Complete(absl::StatusOr<int64_t> result) {
  if (result.ok()) Publish();
  // The producer is done: its next batch will never fill.
  batch_ = std::vector<PersistentRepr>();
  End(std::move(result), /*drop=*/!result.ok());
}

void ReplayStream::Fail(const absl::Status& cause) { End(cause, true); }

void ReplayStream::End(absl::StatusOr<int64_t> result, bool drop) {
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    live_.store(false, std::memory_order_release);
    result_ = std::move(result);
    if (drop) {
      waiting_.clear();
      waiting_events_ = 0;
    }
    schedule = !drain_scheduled_;
    drain_scheduled_ = true;
  }
  space_.notify_all();
  if (schedule) ScheduleDrain();
}

void ReplayStream::ScheduleDrain() {
  std::shared_ptr<const std::function<void(std::function<void()>)>> executor;
  {
    std::lock_guard<std::mutex> lock(mu_);
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
  std::lock_guard<std::mutex> consumer(drain_mu_);
  for (;;) {
    std::vector<std::vector<PersistentRepr>> taken;
    bool ended;
    absl::StatusOr<int64_t> result;
    {
      std::lock_guard<std::mutex> lock(mu_);
      taken.swap(waiting_);
      waiting_events_ = 0;
      ended = ended_;
      if (ended) result = result_;
      if (taken.empty() && !ended) {
        drain_scheduled_ = false;
        return;
      }
    }
    space_.notify_all();
    if (delivered_) return;
    absl::Status filtered = absl::OkStatus();
    for (std::vector<PersistentRepr>& events : taken) {
      for (PersistentRepr& event : events) {
        filtered = filter_.Add(std::move(event));
        if (!filtered.ok()) break;
      }
      if (!filtered.ok()) break;
    }
    if (filtered.ok() && ended && result.ok()) filtered = filter_.Finish();
    if (!filtered_.empty()) on_events_(filtered_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (std::vector<PersistentRepr>& events : taken) {
        recycled_.push_back(std::move(events));
      }
      if (!filtered_.empty()) recycled_.push_back(std::move(filtered_));
    }
    filtered_ = std::vector<PersistentRepr>();
    if (!filtered.ok()) {
      End(filtered, true);  // stops the producer; a drain is scheduled
      result = filtered;
      ended = true;
    }
    if (ended) {
      Finish(std::move(result));
      return;
    }
  }
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
  std::vector<std::vector<PersistentRepr>> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    executor_.reset();
    events.swap(recycled_);
    for (auto& waiting : waiting_) events.push_back(std::move(waiting));
    waiting_.clear();
    waiting_events_ = 0;
  }
}

void ReplayStream::Cancel() {
  End(absl::CancelledError("the replay's requester is gone"), true);
  std::lock_guard<std::mutex> consumer(drain_mu_);
  delivered_ = true;
  on_done_ = nullptr;
  on_events_ = nullptr;
  ReleaseShared();
}

}  // namespace persistence
