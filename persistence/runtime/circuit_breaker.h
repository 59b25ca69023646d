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
    absl::Status refused = core_->Admit();
    if (!refused.ok()) return MakeReadyFuture<T>(T(refused));
    Promise<T> result;
    // The body's completion and the timeout race; the first to claim the
    // call counts it (before completing, so a caller sees the new state).
    auto claimed = std::make_shared<std::atomic<bool>>(false);
    const auto timeout = core_->settings.call_timeout;
    Scheduler::TimerId timer = scheduler_.ScheduleOnce(
        timeout, [core = core_, result, timeout, claimed] {
          if (claimed->exchange(true)) return;
          core->OnResult(false);
          result.Set(T(absl::DeadlineExceededError(absl::StrCat(
              core->name, ": call did not complete within ",
              std::chrono::duration_cast<std::chrono::milliseconds>(timeout)
                  .count(),
              " ms (call-timeout)"))));
        });
    body().OnComplete([core = core_, scheduler = &scheduler_, result, timer,
                       claimed](const T& value) {
      if (claimed->exchange(true)) return;
      scheduler->Cancel(timer);
      core->OnResult(value.ok());
      result.Set(value);
    });
    return result.GetFuture();
  }

  State state() const;

 private:
  // Core: the state, shared with the callbacks of calls in flight.
  struct Core {
    Core(CircuitBreakerSettings s, std::string n)
        : settings(s), name(std::move(n)) {}
    absl::Status Admit();
    void OnResult(bool success);

    const CircuitBreakerSettings settings;
    const std::string name;
    mutable std::mutex mu;
    State state = State::kClosed;
    int failures = 0;
    bool trial_in_flight = false;
    std::chrono::steady_clock::time_point opened_at;
  };

  Scheduler& scheduler_;  // outlives the breaker (the actor system's)
  std::shared_ptr<Core> core_;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_CIRCUIT_BREAKER_H_
