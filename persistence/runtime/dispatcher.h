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
//   }
//
// Thread-safety: Execute, ScheduleOnce and Cancel may be called from any
// thread. Shutdown runs the tasks already queued, refuses new ones, and joins.
#ifndef PERSISTENCE_RUNTIME_DISPATCHER_H_
#define PERSISTENCE_RUNTIME_DISPATCHER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace persistence {

class Dispatcher {
 public:
  Dispatcher(std::string id, int threads, int throughput);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Execute(std::function<void()> task);
  void Shutdown();

  const std::string& id() const { return id_; }
  int throughput() const { return throughput_; }

 private:
  void Work();

  const std::string id_;
  const int throughput_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool shutdown_ = false;
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

  std::mutex mu_;
  std::condition_variable wake_;
  std::multimap<Clock::time_point, TimerId> by_time_;
  std::map<TimerId, std::pair<Clock::time_point, std::function<void()>>> timers_;
  TimerId next_id_ = 1;
  bool shutdown_ = false;
  std::thread thread_;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_DISPATCHER_H_
