// Copyright 2026 The eventpersist Authors.
//
// One actor recovers 10 ms per event while 100 others persist, all on one
// Redis connection: the others' persists must not wait for it. (Before the
// replay was pulled a page at a time, the connection's reader thread waited
// for the slow requester, and the others' p99 went from under 1 ms to
// 800 ms.) The bound asserted is generous; slow_recovery_bench reports the
// figures.
#include "backends/redis/testing/slow_recovery.h"

#include <iostream>

#include "gtest/gtest.h"

namespace persistence::redis::testing {
namespace {

TEST(SlowRecoveryTest, OthersPersistWhileOneActorRecoversSlowly) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<LatencyReport> r = MeasurePersistLatency(
      **server, {.actors = 100,
                 .duration = std::chrono::milliseconds(3000),
                 .slow_events = 6000,
                 .per_event = std::chrono::microseconds(10000),
                 .connections = 1});
  ASSERT_TRUE(r.ok()) << r.status();
  std::cout << "persists " << r->persists << ", p50 " << r->p50_ms
            << " ms, p99 " << r->p99_ms << " ms, max " << r->max_ms
            << " ms; the slow actor recovered " << r->slow_recovered
            << " events\n";
  // It was recovering the whole time, so the persists were measured
  // beside it.
  EXPECT_TRUE(r->slow_still_recovering);
  EXPECT_GT(r->slow_recovered, 0);
  EXPECT_GT(r->persists, 1000);
  EXPECT_LT(r->p99_ms, 200.0);
  EXPECT_LT(r->max_ms, 700.0);
}

}  // namespace
}  // namespace persistence::redis::testing
