// Copyright 2026 The eventpersist Authors.
//
// dispatcher.h: Dispatcher, a fixed pool of threads that runs actors'
// mailboxes, and Scheduler, one timer thread for timeouts.
//
// Dispatchers are configured by path (see ActorSystem::Dispatcher):
//
//   persistence.dispatchers.default-plugin-dispatcher {
//     threads = 2       # pool size
//     throughput = 16   # messages an actor runs before yielding its thread
//     spin-time = 50us  # an idle thread polls up to this long, then sleeps
//   }
//
// Why spin: a persist is a round trip between an actor and its storage.
// Waking a sleeping thread costs a futex call and tens of microseconds of
// scheduling on each hop; one idle thread per pool that polls takes the
// next message in well under a microsecond. Only one thread of a pool
// spins at a time, and it yields the CPU while it does.
//
// How long: as long as the pool's recent idle pauses say work comes back,
// twice their running average, at least 50 us and at most `spin-time`. A
// pool whose pauses are longer than `spin-time` polls only the 50 us: a
// thread that would poll in vain sleeps at once.
//
// Thread-safety: Execute, ScheduleOnce and Cancel may be called from any
// thread. Shutdown runs the tasks already queued, refuses new ones, and joins.
#ifndef PERSISTENCE_RUNTIME_DISPATCHER_H_
#define PERSISTENCE_RUNTIME_DISPATCHER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persistence/api/mutex.h"

namespace persistence {

// Task: what a dispatcher runs. An actor is one (its RunTask runs a turn of
// its mailbox), so scheduling an actor allocates nothing.
class Task {
 public:
  virtual ~Task() = default;
  virtual void RunTask() = 0;
};

class Dispatcher {
 public:
  Dispatcher(std::string id, int threads, int throughput,
             std::chrono::nanoseconds spin_time = std::chrono::nanoseconds(0));
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Execute runs `task` on one of the pool's threads. The std::function
  // form wraps it in a Task (one allocation).
  void Execute(std::shared_ptr<Task> task);
  void Execute(std::function<void()> task);
  void Shutdown();

  const std::string& id() const { return id_; }
  int throughput() const { return throughput_; }

 private:
  void Work();
  // Spin polls for queued work (see "How long" above); true if some
  // arrived. `*spun` says whether this thread was the pool's spinner.
  bool Spin(bool* spun);
  // The poll time the recent idle pauses call for.
  std::chrono::nanoseconds SpinLimit() const;
  // RecordPause feeds the spinner's idle pause into the running average.
  void RecordPause(std::chrono::nanoseconds pause);

  const std::string id_;
  const int throughput_;
  const std::chrono::nanoseconds spin_time_;
  Mutex mu_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Task>> tasks_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  int sleepers_ ABSL_GUARDED_BY(mu_) = 0;  // threads waiting on wake_
  std::atomic<int> queued_{0};    // tasks_.size(), readable without mu_
  std::atomic<int> spinners_{0};  // threads polling queued_
  std::atomic<int64_t> average_pause_ns_{0};
  std::vector<std::thread> threads_;
};

class Scheduler {
 public:
  using TimerId = uint64_t;
  Scheduler();
  ~Scheduler();

  // ScheduleOnce runs `task` on the timer thread after `delay`; it must be
  // short (typically: complete a promise or post to an actor).
  TimerId ScheduleOnce(std::chrono::nanoseconds delay,
                       std::function<void()> task);
  // Cancel drops a timer that has not fired; a no-op otherwise.
  void Cancel(TimerId id);
  void Shutdown();

 private:
  using Clock = std::chrono::steady_clock;
  void Run();

  Mutex mu_;
  std::condition_variable wake_;
  std::multimap<Clock::time_point, TimerId> by_time_ ABSL_GUARDED_BY(mu_);
  std::map<TimerId, std::pair<Clock::time_point, std::function<void()>>> timers_
      ABSL_GUARDED_BY(mu_);
  TimerId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // When the timer thread plans to wake up next (max: not until notified).
  Clock::time_point wake_at_ ABSL_GUARDED_BY(mu_) = Clock::time_point::max();
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_DISPATCHER_H_
