// Copyright 2026 The eventpersist Authors.
//
// circuit_breaker.h: CircuitBreaker, which protects callers from a storage
// backend in trouble.
//
// Closed: calls pass; each failure (a non-OK result, or no result within
// `call_timeout`) counts, a success resets the count, and `max_failures` in
// a row open the breaker. Open: calls fail at once with Unavailable, for
// `reset_timeout`. Then half-open: one trial call passes; its success
// closes the breaker, its failure opens it again.
//
// Thread-safety: all methods may be called from any thread.
//
// Example:
//
//   CircuitBreaker breaker(scheduler, {.max_failures = 10,
//                                      .call_timeout = 10s,
//                                      .reset_timeout = 30s});
//   Future<absl::Status> f = breaker.Call<absl::Status>(
//       [&] { return journal->AsyncDeleteMessagesTo(id, 3); });
#ifndef PERSISTENCE_RUNTIME_CIRCUIT_BREAKER_H_
#define PERSISTENCE_RUNTIME_CIRCUIT_BREAKER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "persistence/api/config.h"
#include "persistence/api/future.h"
#include "persistence/api/mutex.h"
#include "persistence/runtime/dispatcher.h"

namespace persistence {

struct CircuitBreakerSettings {
  int max_failures = 10;
  std::chrono::nanoseconds call_timeout = std::chrono::seconds(10);
  std::chrono::nanoseconds reset_timeout = std::chrono::seconds(30);

  // FromConfig reads `max-failures`, `call-timeout`, `reset-timeout`.
  static absl::StatusOr<CircuitBreakerSettings> FromConfig(const Config& c);
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  CircuitBreaker(Scheduler& scheduler, CircuitBreakerSettings settings,
                 std::string name);

  // Call runs `body` unless the breaker is open. T is absl::Status or
  // absl::StatusOr<X>: anything built from a Status with an ok() method.
  // A call still running when the breaker is destroyed completes safely.
  template <typename T>
  Future<T> Call(const std::function<Future<T>()>& body) {
    auto call = std::make_shared<TimedCall<T>>();
    absl::Status refused = core_->Admit(call);
    if (!refused.ok()) return MakeReadyFuture<T>(T(refused));
    Future<T> result = call->promise.GetFuture();
    body().OnComplete([core = core_, call](const T& value) {
      // Finish claims the call unless its timeout did; it counts the
      // result before completing, so a caller sees the new state.
      if (core->Finish(*call, value.ok())) call->promise.Set(value);
    });
    return result;
  }

  State state() const;

 private:
  // Calls in flight wait in a list in deadline order (all of a breaker
  // have the same timeout, so that is call order). One scheduler timer,
  // armed for the oldest call, fails the calls whose deadline passed: a
  // call costs no timer of its own, only a link in and out of the list.
  struct PendingCall {
    virtual ~PendingCall() = default;
    virtual void TimedOut(absl::Status status) = 0;
    std::chrono::steady_clock::time_point deadline;
    // Links of the list, and the list's reference to the call, while in it
    // (guarded by Core::mu).
    PendingCall* prev = nullptr;
    PendingCall* next = nullptr;
    std::shared_ptr<PendingCall> self;
  };
  template <typename T>
  struct TimedCall : PendingCall {
    void TimedOut(absl::Status status) override { promise.Set(T(status)); }
    Promise<T> promise;
  };

  // Core: the state, shared with the callbacks of calls in flight.
  struct Core : std::enable_shared_from_this<Core> {
    Core(Scheduler& s, CircuitBreakerSettings settings, std::string n)
        : scheduler(s), settings(settings), name(std::move(n)) {}
    // Lets go of the calls still in the list (their bodies never completed
    // and no timer is left to fail them: the scheduler has shut down).
    ~Core();
    // Admit lets a call pass (and puts it in the list) or refuses it.
    absl::Status Admit(const std::shared_ptr<PendingCall>& call);
    // Finish takes a completed call out of the list and counts its
    // result; false when its timeout claimed it first.
    bool Finish(PendingCall& call, bool success);
    // Expire fails the calls whose deadline passed (the timer's task).
    void Expire();

    void Count(bool success) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
    void Unlink(PendingCall& call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
    // ArmTimer arms the one timer, for the oldest call.
    void ArmTimer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

    Scheduler& scheduler;  // outlives the breaker (the actor system's)
    const CircuitBreakerSettings settings;
    const std::string name;
    mutable Mutex mu;
    State state ABSL_GUARDED_BY(mu) = State::kClosed;
    int failures ABSL_GUARDED_BY(mu) = 0;
    bool trial_in_flight ABSL_GUARDED_BY(mu) = false;
    std::chrono::steady_clock::time_point opened_at ABSL_GUARDED_BY(mu);
    // The list: oldest ... newest.
    PendingCall* oldest ABSL_GUARDED_BY(mu) = nullptr;
    PendingCall* newest ABSL_GUARDED_BY(mu) = nullptr;
    bool timer_armed ABSL_GUARDED_BY(mu) = false;
  };

  std::shared_ptr<Core> core_;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_CIRCUIT_BREAKER_H_
