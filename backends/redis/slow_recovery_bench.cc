// Copyright 2026 The eventpersist Authors.
//
// slow_recovery_bench: the persist latency of 100 actors on one Redis
// connection, without and then with one actor that recovers 10 ms per
// event beside them (testing/slow_recovery.h).
//
//   bazel run -c opt //backends/redis:slow_recovery_bench
#include <iostream>

#include "backends/redis/testing/slow_recovery.h"

int main() {
  using namespace persistence::redis::testing;
  auto server = RedisServer::Start();
  if (!server.ok()) {
    std::cerr << server.status() << "\n";
    return 1;
  }
  for (bool slow : {false, true, false, true}) {
    absl::StatusOr<LatencyReport> r = MeasurePersistLatency(
        **server, {.actors = 100,
                   .duration = std::chrono::milliseconds(5000),
                   .slow_events = slow ? 10000 : 0});
    if (!r.ok()) {
      std::cerr << r.status() << "\n";
      return 1;
    }
    std::cout << (slow ? "with a slow recovery:    "
                       : "without a slow recovery: ")
              << "p50 " << r->p50_ms << " ms, p99 " << r->p99_ms << " ms, max "
              << r->max_ms << " ms (" << r->persists << " persists";
    if (slow) {
      std::cout << "; the slow actor recovered " << r->slow_recovered
                << (r->slow_still_recovering ? ", still recovering" : "");
    }
    std::cout << ")\n";
  }
  return 0;
}
