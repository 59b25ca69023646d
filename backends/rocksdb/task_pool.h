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
#include <memory>
#include <thread>
#include <vector>

#include "persistence/api/mutex.h"
#include "rocksdb/perf_level.h"

namespace persistence::rocksdb {

class TaskPool {
 public:
  // `name` names the threads (at most 15 characters), for debuggers and
  // profilers.
  TaskPool(int threads, const char* name) : state_(std::make_shared<State>()) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([state = state_, name] {
        pthread_setname_np(pthread_self(), name);
        // Its tasks call RocksDB: no thread-local perf counting (see
        // Database::WriterLoop).
        ::rocksdb::SetPerfLevel(::rocksdb::PerfLevel::kDisable);
        Run(*state);
      });
    }
  }

  ~TaskPool() {
    {
      MutexLock lock(state_->mu);
      state_->stopping = true;
    }
    state_->ready.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  void Execute(std::function<void()> task) {
    {
      MutexLock lock(state_->mu);
      state_->tasks.push_back(std::move(task));
    }
    state_->ready.notify_one();
  }

 private:
  struct State {
    Mutex mu;
    std::condition_variable ready;
    std::deque<std::function<void()>> tasks ABSL_GUARDED_BY(mu);
    bool stopping ABSL_GUARDED_BY(mu) = false;
  };

  static void Run(State& state) {
    for (;;) {
      std::function<void()> task;
      {
        MutexLock lock(state.mu);
        lock.Wait(state.ready,
                  [&state]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state.mu) {
                    return state.stopping || !state.tasks.empty();
                  });
        if (state.tasks.empty()) return;
        task = std::move(state.tasks.front());
        state.tasks.pop_front();
      }
      task();
    }
  }

  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace persistence::rocksdb

#endif  // BACKENDS_ROCKSDB_TASK_POOL_H_
