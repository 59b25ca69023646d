// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/dispatcher.h"

#include <utility>

namespace persistence {

Dispatcher::Dispatcher(std::string id, int threads, int throughput)
    : id_(std::move(id)), throughput_(throughput < 1 ? 1 : throughput) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

Dispatcher::~Dispatcher() { Shutdown(); }

void Dispatcher::Execute(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;  // dropped: the system is terminating
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void Dispatcher::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_ && threads_.empty()) return;
    shutdown_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads_.clear();
    dropped.swap(tasks_);
  }
  // Dropped outside the lock: their captures may run destructors that post.
}

void Dispatcher::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return shutdown_ || !tasks_.empty(); });
      // On shutdown, drain what is queued (stop messages, PostStop) first.
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

Scheduler::Scheduler() : thread_([this] { Run(); }) {}

Scheduler::~Scheduler() { Shutdown(); }

Scheduler::TimerId Scheduler::ScheduleOnce(std::chrono::nanoseconds delay,
                                           std::function<void()> task) {
  const Clock::time_point when =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(delay);
  TimerId id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    if (shutdown_) return id;
    by_time_.emplace(when, id);
    timers_.emplace(id, std::make_pair(when, std::move(task)));
  }
  wake_.notify_one();
  return id;
}

void Scheduler::Cancel(TimerId id) {
  std::function<void()> dropped;
  std::lock_guard<std::mutex> lock(mu_);
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
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  by_time_.clear();
  timers_.clear();
}

void Scheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!shutdown_) {
    if (by_time_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto first = by_time_.begin();
    if (first->first > Clock::now()) {
      // A copy: Cancel may erase the node while this waits (unlocked), and
      // wait_until reads the time point again when it wakes.
      const Clock::time_point when = first->first;
      wake_.wait_until(lock, when);
      continue;
    }
    TimerId id = first->second;
    by_time_.erase(first);
    auto it = timers_.find(id);
    std::function<void()> task = std::move(it->second.second);
    timers_.erase(it);
    lock.unlock();
    task();
    task = nullptr;
    lock.lock();
  }
}

}  // namespace persistence
