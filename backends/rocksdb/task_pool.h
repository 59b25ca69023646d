// Copyright 2026 The eventpersist Authors.
//
// task_pool.h: TaskPool, a fixed set of threads running queued tasks in
// order of arrival. The journal runs replays on one, so that a long replay
// never holds up the journal actor (and the writes of every other id).
//
// Thread-safety: Execute may be called from any thread. The destructor
// lets the queued tasks run, then joins the threads; it must not run on one
// of them (the journal that owns the pool is destroyed by the runtime, on
// its own thread). Tasks own what they use (capture shared_ptrs, not the
// journal), so that none holds the last reference to the pool's owner.
//
// Example:
//
//   TaskPool pool(2, "my-pool");
//   pool.Execute([state = shared_state] { state->DoSomething(); });
#ifndef BACKENDS_ROCKSDB_TASK_POOL_H_
#define BACKENDS_ROCKSDB_TASK_POOL_H_

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "persistence/api/mutex.h"
#include "rocksdb/perf_level.h"

namespace persistence::rocksdb {

class TaskPool {
 public:
  // `name` names the threads (at most 15 characters), for debuggers and
  // profilers.
  TaskPool(int threads, const char* name) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, name] {
        pthread_setname_np(pthread_self(), name);
        // Its tasks call RocksDB: no thread-local perf counting (see
        // Database::WriterLoop).
        ::rocksdb::SetPerfLevel(::rocksdb::PerfLevel::kDisable);
        Run();
      });
    }
  }

  ~TaskPool() {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void Execute(std::function<void()> task) {
    {
      MutexLock lock(mu_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> task;
      {
        MutexLock lock(mu_);
        lock.Wait(ready_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || !tasks_.empty();
        });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  Mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Last: the threads start once the members above exist.
  std::vector<std::thread> threads_;
};

}  // namespace persistence::rocksdb

#endif  // BACKENDS_ROCKSDB_TASK_POOL_H_
