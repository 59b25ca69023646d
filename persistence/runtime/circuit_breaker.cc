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
    : scheduler_(scheduler), settings_(settings), name_(std::move(name)) {}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

absl::Status CircuitBreaker::Admit() {
  std::lock_guard<std::mutex> lock(mu_);
  switch (state_) {
    case State::kClosed:
      return absl::OkStatus();
    case State::kOpen:
      if (std::chrono::steady_clock::now() - opened_at_ <
          settings_.reset_timeout) {
        break;
      }
      state_ = State::kHalfOpen;
      trial_in_flight_ = true;
      return absl::OkStatus();
    case State::kHalfOpen:
      if (!trial_in_flight_) {
        trial_in_flight_ = true;
        return absl::OkStatus();
      }
      break;
  }
  return absl::UnavailableError(absl::StrCat(
      name_, ": circuit breaker is open after ", settings_.max_failures,
      " failures in a row; calls fail fast until reset-timeout passes"));
}

void CircuitBreaker::OnResult(bool success) {
  std::lock_guard<std::mutex> lock(mu_);
  if (success) {
    failures_ = 0;
    state_ = State::kClosed;
    trial_in_flight_ = false;
    return;
  }
  ++failures_;
  if (state_ == State::kHalfOpen || failures_ >= settings_.max_failures) {
    state_ = State::kOpen;
    trial_in_flight_ = false;
    opened_at_ = std::chrono::steady_clock::now();
  }
}

}  // namespace persistence
