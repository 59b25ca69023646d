// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/dispatcher.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "persistence/api/burst.h"

namespace persistence {

Dispatcher::Dispatcher(std::string id, int threads, int throughput,
                       std::chrono::nanoseconds spin_time)
    : id_(std::move(id)),
      throughput_(throughput < 1 ? 1 : throughput),
      spin_time_(spin_time) {
  if (threads < 1) threads = 1;
  // Threads carry the last part of the dispatcher's path as their name
  // (at most 15 characters), so a profiler or top shows whose they are.
  std::string name = id_.substr(id_.rfind('.') + 1).substr(0, 15);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, name] {
      pthread_setname_np(pthread_self(), name.c_str());
      Work();
    });
  }
}

Dispatcher::~Dispatcher() { Shutdown(); }

namespace {
class FunctionTask : public Task {
 public:
  explicit FunctionTask(std::function<void()> f) : f_(std::move(f)) {}
  void RunTask() override { f_(); }

 private:
  std::function<void()> f_;
};
}  // namespace

void Dispatcher::Execute(std::function<void()> task) {
  Execute(std::make_shared<FunctionTask>(std::move(task)));
}

void Dispatcher::Execute(std::shared_ptr<Task> task) {
  bool wake;
  {
    MutexLock lock(mu_);
    if (shutdown_) return;  // dropped: the system is terminating
    tasks_.push_back(std::move(task));
    const int queued = queued_.fetch_add(1, std::memory_order_release) + 1;
    // A spinning thread takes one task; wake a sleeper for any more.
    wake = sleepers_ > 0 &&
           (spinners_.load(std::memory_order_acquire) == 0 || queued > 1);
  }
  if (wake) wake_.notify_one();
}

void Dispatcher::Shutdown() {
  {
    MutexLock lock(mu_);
    if (shutdown_ && threads_.empty()) return;
    shutdown_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::deque<std::shared_ptr<Task>> dropped;
  {
    MutexLock lock(mu_);
    threads_.clear();
    dropped.swap(tasks_);
  }
  // Dropped outside the lock: their captures may run destructors that post.
}

namespace {
constexpr std::chrono::nanoseconds kMinSpin = std::chrono::microseconds(50);
}  // namespace

std::chrono::nanoseconds Dispatcher::SpinLimit() const {
  const std::chrono::nanoseconds floor = std::min(spin_time_, kMinSpin);
  const std::chrono::nanoseconds twice_average(
      2 * average_pause_ns_.load(std::memory_order_relaxed));
  if (twice_average > spin_time_) return floor;  // polling would be in vain
  return std::max(floor, twice_average);
}

void Dispatcher::RecordPause(std::chrono::nanoseconds pause) {
  // A running average over the last few pauses. A pause longer than
  // spin-time only needs to say "too long to poll for": capped there, so
  // that a few short pauses after a long idle time bring polling back.
  // (A lost update between two threads only makes it a little less exact.)
  const int64_t sample = std::min(pause.count(), spin_time_.count());
  const int64_t average = average_pause_ns_.load(std::memory_order_relaxed);
  average_pause_ns_.store(average + (sample - average) / 4,
                          std::memory_order_relaxed);
}

bool Dispatcher::Spin(bool* spun) {
  *spun = false;
  if (spin_time_.count() <= 0) return false;
  // One spinner per pool is enough to take the next task at once.
  if (spinners_.fetch_add(1, std::memory_order_acq_rel) > 0) {
    spinners_.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  *spun = true;
  const auto deadline = std::chrono::steady_clock::now() + SpinLimit();
  bool found = false;
  while (!(found = queued_.load(std::memory_order_acquire) > 0)) {
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::yield();
  }
  spinners_.fetch_sub(1, std::memory_order_acq_rel);
  return found;
}

void Dispatcher::Work() {
  // Turns run back to back form a burst (burst.h): what plugins deferred
  // goes out before the thread idles, or sooner (MaybeEndBurst).
  BurstThread burst;
  for (;;) {
    std::shared_ptr<Task> task;
    {
      MutexLock lock(mu_);
      if (tasks_.empty() && !shutdown_) {
        lock.Unlock();
        BurstThread::EndBurst();
        lock.Lock();
      }
      if (tasks_.empty() && !shutdown_) {
        lock.Unlock();
        // The spinner measures how long the pool stays idle, which sets
        // how long the next spinner polls.
        const auto idle_since = std::chrono::steady_clock::now();
        bool spun = false;
        Spin(&spun);
        lock.Lock();
        if (tasks_.empty() && !shutdown_) {
          ++sleepers_;
          lock.Wait(wake_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return shutdown_ || !tasks_.empty();
          });
          --sleepers_;
        }
        if (spun && !tasks_.empty()) {
          RecordPause(std::chrono::steady_clock::now() - idle_since);
        }
      }
      // On shutdown, drain what is queued (stop messages, PostStop) first.
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
      queued_.fetch_sub(1, std::memory_order_release);
    }
    task->RunTask();
    BurstThread::MaybeEndBurst();
  }
}

Scheduler::Scheduler() : thread_([this] { Run(); }) {}

Scheduler::~Scheduler() { Shutdown(); }

Scheduler::TimerId Scheduler::ScheduleOnce(std::chrono::nanoseconds delay,
                                           std::function<void()> task) {
  const Clock::time_point when =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(delay);
  TimerId id;
  bool earliest;
  {
    MutexLock lock(mu_);
    id = next_id_++;
    if (shutdown_) return id;
    // Most timers are timeouts that get cancelled before they fire; the
    // timer thread keeps sleeping until the deadline it planned (a
    // cancelled timer's, perhaps) and only needs waking for an earlier one.
    earliest = when < wake_at_;
    if (earliest) wake_at_ = when;
    by_time_.emplace(when, id);
    timers_.emplace(id, std::make_pair(when, std::move(task)));
  }
  if (earliest) wake_.notify_one();
  return id;
}

void Scheduler::Cancel(TimerId id) {
  std::function<void()> dropped;
  MutexLock lock(mu_);
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  auto range = by_time_.equal_range(it->second.first);
  for (auto t = range.first; t != range.second; ++t) {
    if (t->second == id) {
      by_time_.erase(t);
      break;
    }
  }
  dropped = std::move(it->second.second);
  timers_.erase(it);
}

void Scheduler::Shutdown() {
  {
    MutexLock lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  MutexLock lock(mu_);
  by_time_.clear();
  timers_.clear();
}

void Scheduler::Run() {
  MutexLock lock(mu_);
  while (!shutdown_) {
    if (by_time_.empty()) {
      wake_at_ = Clock::time_point::max();
      lock.Wait(wake_);
      continue;
    }
    auto first = by_time_.begin();
    // A copy: Cancel may erase the entry while this thread waits.
    const Clock::time_point due = first->first;
    if (due > Clock::now()) {
      wake_at_ = due;
      lock.WaitUntil(wake_, due);
      continue;
    }
    TimerId id = first->second;
    by_time_.erase(first);
    auto it = timers_.find(id);
    std::function<void()> task = std::move(it->second.second);
    timers_.erase(it);
    lock.Unlock();
    task();
    task = nullptr;
    lock.Lock();
  }
}

}  // namespace persistence
