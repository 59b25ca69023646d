// Copyright 2026 The eventpersist Authors.
//
// task_pool.h: TaskPool, a fixed set of threads running queued tasks in
// order of arrival. The journal runs replays on one, so that a long replay
// never holds up the journal actor (and the writes of every other id).
//
// Thread-safety: Execute may be called from any thread. The destructor
// runs what is still queued, then joins; tasks that must end early watch
// their own flag.
//
// Example:
//
//   TaskPool pool(2);
//   pool.Execute([] { ReplaySomething(); });
#ifndef BACKENDS_ROCKSDB_TASK_POOL_H_
#define BACKENDS_ROCKSDB_TASK_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace persistence::rocksdb_backend {

class TaskPool {
 public:
  explicit TaskPool(int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { Run(); });
    }
  }

  ~TaskPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void Execute(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace persistence::rocksdb_backend

#endif  // BACKENDS_ROCKSDB_TASK_POOL_H_
