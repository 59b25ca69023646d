// Copyright 2026 The eventpersist Authors.
#include "persistence/api/burst.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "persistence/api/future.h"

namespace persistence {
namespace {

TEST(BurstTest, OutsideABurstDeferredWorkRunsAtOnce) {
  EXPECT_FALSE(InBurst());
  int ran = 0;
  DeferToBurstEnd([&] { ++ran; });
  EXPECT_EQ(ran, 1);
}

TEST(BurstTest, DeferredWorkRunsWhenTheBurstEndsInOrder) {
  std::thread([] {
    std::vector<int> ran;
    {
      BurstThread burst;
      EXPECT_TRUE(InBurst());
      DeferToBurstEnd([&] {
        ran.push_back(1);
        // Deferred by deferred work: same end, after the rest.
        DeferToBurstEnd([&] { ran.push_back(3); });
      });
      DeferToBurstEnd([&] { ran.push_back(2); });
      EXPECT_TRUE(ran.empty());
      BurstThread::EndBurst();
      EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
      DeferToBurstEnd([&] { ran.push_back(4); });
    }
    // The BurstThread's end ends the last burst.
    EXPECT_EQ(ran, (std::vector<int>{1, 2, 3, 4}));
    EXPECT_FALSE(InBurst());
  }).join();
}

TEST(BurstTest, ABurstEndsAfterItsMostTurns) {
  std::thread([] {
    BurstThread burst;
    int ran = 0;
    DeferToBurstEnd([&] { ++ran; });
    for (int turn = 0; turn < kMaxBurstTurns; ++turn) {
      BurstThread::MaybeEndBurst();
    }
    EXPECT_EQ(ran, 1);
  }).join();
}

TEST(BurstTest, ABurstEndsOnceItsOldestWorkWaitedTooLong) {
  std::thread([] {
    BurstThread burst;
    int ran = 0;
    DeferToBurstEnd([&] { ++ran; });
    std::this_thread::sleep_for(kMaxBurstDelay * 2);
    BurstThread::MaybeEndBurst();  // one turn only
    EXPECT_EQ(ran, 1);
  }).join();
}

TEST(BurstTest, WaitingForAFutureEndsTheBurstFirst) {
  std::thread([] {
    BurstThread burst;
    Promise<int> promise;
    // What the thread deferred is what it waits for: without the burst's
    // end, the wait would never return.
    DeferToBurstEnd([promise] { promise.Set(7); });
    Future<int> future = promise.GetFuture();
    ASSERT_TRUE(future.WaitFor(std::chrono::seconds(5)));
    Promise<int> second;
    DeferToBurstEnd([second] { second.Set(8); });
    EXPECT_EQ(second.GetFuture().Get(), 8);
  }).join();
}

}  // namespace
}  // namespace persistence
