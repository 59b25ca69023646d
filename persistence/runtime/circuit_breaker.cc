// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/circuit_breaker.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace persistence {

absl::StatusOr<CircuitBreakerSettings> CircuitBreakerSettings::FromConfig(
    const Config& c) {
  CircuitBreakerSettings s;
  absl::StatusOr<int64_t> max_failures = c.GetInt("max-failures");
  if (!max_failures.ok()) return max_failures.status();
  absl::StatusOr<std::chrono::nanoseconds> call = c.GetDuration("call-timeout");
  if (!call.ok()) return call.status();
  absl::StatusOr<std::chrono::nanoseconds> reset =
      c.GetDuration("reset-timeout");
  if (!reset.ok()) return reset.status();
  s.max_failures = static_cast<int>(*max_failures);
  s.call_timeout = *call;
  s.reset_timeout = *reset;
  return s;
}

CircuitBreaker::CircuitBreaker(Scheduler& scheduler,
                               CircuitBreakerSettings settings,
                               std::string name)
    : core_(std::make_shared<Core>(scheduler, settings, std::move(name))) {}

CircuitBreaker::State CircuitBreaker::state() const {
  MutexLock lock(core_->mu);
  return core_->state;
}

absl::Status CircuitBreaker::Core::Admit(
    const std::shared_ptr<PendingCall>& call) {
  MutexLock lock(mu);
  bool pass = false;
  switch (state) {
    case State::kClosed:
      pass = true;
      break;
    case State::kOpen:
      if (std::chrono::steady_clock::now() - opened_at <
          settings.reset_timeout) {
        break;
      }
      state = State::kHalfOpen;
      trial_in_flight = true;
      pass = true;
      break;
    case State::kHalfOpen:
      if (!trial_in_flight) {
        trial_in_flight = true;
        pass = true;
      }
      break;
  }
  if (!pass) {
    return absl::UnavailableError(absl::StrCat(
        name, ": circuit breaker is open after ", settings.max_failures,
        " failures in a row; calls fail fast until reset-timeout passes"));
  }
  call->deadline = std::chrono::steady_clock::now() + settings.call_timeout;
  call->self = call;
  call->prev = newest;
  call->next = nullptr;
  if (newest != nullptr) {
    newest->next = call.get();
  } else {
    oldest = call.get();
  }
  newest = call.get();
  if (!timer_armed) ArmTimer();
  return absl::OkStatus();
}

CircuitBreaker::Core::~Core() {
  while (oldest != nullptr) {
    PendingCall& call = *oldest;
    Unlink(call);
    std::shared_ptr<PendingCall> self = std::move(call.self);
  }
}

void CircuitBreaker::Core::Unlink(PendingCall& call) {
  (call.prev != nullptr ? call.prev->next : oldest) = call.next;
  (call.next != nullptr ? call.next->prev : newest) = call.prev;
  call.prev = call.next = nullptr;
}

void CircuitBreaker::Core::ArmTimer() {
  timer_armed = true;
  const auto delay = oldest->deadline - std::chrono::steady_clock::now();
  scheduler.ScheduleOnce(
      std::max(delay, std::chrono::steady_clock::duration::zero()),
      [core = shared_from_this()] { core->Expire(); });
}

bool CircuitBreaker::Core::Finish(PendingCall& call, bool success) {
  std::shared_ptr<PendingCall> self;  // released after the lock
  MutexLock lock(mu);
  if (call.self == nullptr) return false;  // timed out already
  Unlink(call);
  self = std::move(call.self);
  Count(success);
  return true;
}

void CircuitBreaker::Core::Expire() {
  std::vector<std::shared_ptr<PendingCall>> expired;
  {
    MutexLock lock(mu);
    timer_armed = false;
    const auto now = std::chrono::steady_clock::now();
    while (oldest != nullptr && oldest->deadline <= now) {
      PendingCall& call = *oldest;
      Unlink(call);
      expired.push_back(std::move(call.self));
      Count(false);
    }
    if (oldest != nullptr) ArmTimer();
  }
  const absl::Status timeout = absl::DeadlineExceededError(
      absl::StrCat(name, ": call did not complete within ",
                   std::chrono::duration_cast<std::chrono::milliseconds>(
                       settings.call_timeout)
                       .count(),
                   " ms (call-timeout)"));
  for (const auto& call : expired) call->TimedOut(timeout);
}

void CircuitBreaker::Core::Count(bool success) {
  if (success) {
    failures = 0;
    state = State::kClosed;
    trial_in_flight = false;
    return;
  }
  ++failures;
  if (state == State::kHalfOpen || failures >= settings.max_failures) {
    state = State::kOpen;
    trial_in_flight = false;
    opened_at = std::chrono::steady_clock::now();
  }
}

}  // namespace persistence
