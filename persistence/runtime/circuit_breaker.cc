// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/circuit_breaker.h"

#include <utility>

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
    : scheduler_(scheduler),
      core_(std::make_shared<Core>(settings, std::move(name))) {}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard<std::mutex> lock(core_->mu);
  return core_->state;
}

absl::Status CircuitBreaker::Core::Admit() {
  std::lock_guard<std::mutex> lock(mu);
  switch (state) {
    case State::kClosed:
      return absl::OkStatus();
    case State::kOpen:
      if (std::chrono::steady_clock::now() - opened_at <
          settings.reset_timeout) {
        break;
      }
      state = State::kHalfOpen;
      trial_in_flight = true;
      return absl::OkStatus();
    case State::kHalfOpen:
      if (!trial_in_flight) {
        trial_in_flight = true;
        return absl::OkStatus();
      }
      break;
  }
  return absl::UnavailableError(absl::StrCat(
      name, ": circuit breaker is open after ", settings.max_failures,
      " failures in a row; calls fail fast until reset-timeout passes"));
}

void CircuitBreaker::Core::OnResult(bool success) {
  std::lock_guard<std::mutex> lock(mu);
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
