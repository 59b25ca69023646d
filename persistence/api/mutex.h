// Copyright 2026 The eventpersist Authors.
//
// mutex.h: Mutex and MutexLock, a std::mutex and its scoped lock with the
// annotations that clang's -Wthread-safety checks (`--config=clang`), so a
// lock rule is written where the compiler reads it, not only in prose:
//
//   class Counter {
//    public:
//     void Add() {
//       MutexLock lock(mu_);
//       ++n_;                        // checked: mu_ is held
//     }
//    private:
//     Mutex mu_;
//     int n_ ABSL_GUARDED_BY(mu_) = 0;
//   };
//
// It is std::mutex underneath (not absl::Mutex), so ThreadSanitizer sees
// it: Debian's Abseil is not built with -fsanitize=thread.
//
// Thread-safety: a Mutex is what makes other state thread-safe; a
// MutexLock belongs to the thread that made it.
#ifndef PERSISTENCE_API_MUTEX_H_
#define PERSISTENCE_API_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace persistence {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// MutexLock holds a Mutex for its scope. Wait and WaitFor wait on a
// condition variable, with the mutex released while they wait and held
// again when they return (a predicate that reads guarded state is written
// `[&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { ... }`).
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : lock_(mu.mu_) {}
  ~MutexLock() ABSL_UNLOCK_FUNCTION() = default;
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Unlock and Lock let go of the mutex and take it again within the
  // scope; the destructor releases it only when held.
  void Unlock() ABSL_UNLOCK_FUNCTION() { lock_.unlock(); }
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { lock_.lock(); }

  void Wait(std::condition_variable& cv) { cv.wait(lock_); }
  template <typename Predicate>
  void Wait(std::condition_variable& cv, Predicate ready) {
    cv.wait(lock_, ready);
  }
  template <typename Clock, typename Duration>
  void WaitUntil(std::condition_variable& cv,
                 std::chrono::time_point<Clock, Duration> deadline) {
    cv.wait_until(lock_, deadline);
  }
  template <typename Rep, typename Period, typename Predicate>
  bool WaitFor(std::condition_variable& cv,
               std::chrono::duration<Rep, Period> timeout, Predicate ready) {
    return cv.wait_for(lock_, timeout, ready);
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace persistence

#endif  // PERSISTENCE_API_MUTEX_H_
