// Copyright 2026 The eventpersist Authors.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/circuit_breaker.h"
#include "persistence/runtime/fifo.h"
#include "persistence/runtime/replay_filter.h"
#include "persistence/runtime/runtime_test_util.h"

namespace persistence {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Add {
  int n = 0;
};
struct Get {
  Promise<absl::StatusOr<int>> reply;
};
using CounterMessage = std::variant<Add, Get>;

// Counter checks that messages run one at a time: it counts concurrent
// entries, which must never exceed one.
class Counter : public Actor<CounterMessage> {
 public:
  explicit Counter(std::atomic<int>* max_concurrent) : max_(max_concurrent) {}
  void Receive(CounterMessage m) override {
    int now = ++inside_;
    if (now > max_->load()) max_->store(now);
    if (auto* add = std::get_if<Add>(&m)) total_ += add->n;
    if (auto* get = std::get_if<Get>(&m)) get->reply.Set(total_);
    --inside_;
  }

 private:
  std::atomic<int>* max_;
  std::atomic<int> inside_{0};
  int total_ = 0;
};

TEST(FifoTest, FirstInFirstOutAndBoundedWhileNeverEmpty) {
  Fifo<std::unique_ptr<int>> fifo;
  EXPECT_TRUE(fifo.empty());
  int next_in = 0, next_out = 0;
  // Never empty: two in, one out, for a long time; order holds, and the
  // consumed slots are reclaimed (the size stays what is queued).
  for (int round = 0; round < 10000; ++round) {
    fifo.push_back(std::make_unique<int>(next_in++));
    fifo.push_back(std::make_unique<int>(next_in++));
    ASSERT_EQ(*fifo.front(), next_out++);
    fifo.pop_front();
    ASSERT_EQ(fifo.size(), static_cast<size_t>(next_in - next_out));
    ASSERT_LE(fifo.slots(), 2 * fifo.size() + 2);
  }
  while (!fifo.empty()) {
    ASSERT_EQ(*fifo.front(), next_out++);
    fifo.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
  Fifo<std::unique_ptr<int>> other;
  other.push_back(std::make_unique<int>(7));
  fifo.swap(other);
  EXPECT_EQ(*fifo.front(), 7);
  EXPECT_TRUE(other.empty());
}

TEST(ActorTest, MessagesRunOneAtATimeFromManySenders) {
  auto system = testing::NewTestSystem("");
  ASSERT_NE(system, nullptr);
  std::atomic<int> max_concurrent{0};
  ActorRef<CounterMessage> counter(system->Spawn<Counter>(&max_concurrent));
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) counter.Tell(Add{1});
    });
  }
  for (auto& t : senders) t.join();
  auto total = Ask<int>(*system, counter, std::chrono::seconds(5),
                        [](Promise<absl::StatusOr<int>> p) { return Get{p}; })
                   .Get();
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(*total, 4000);
  EXPECT_EQ(max_concurrent.load(), 1);
}

class Silent : public Actor<Get> {
 public:
  void Receive(Get) override {}  // never replies
};

TEST(ActorTest, AskTimesOut) {
  auto system = testing::NewTestSystem("");
  ActorRef<Get> silent(system->Spawn<Silent>());
  auto start = std::chrono::steady_clock::now();
  auto r = Ask<int>(*system, silent, std::chrono::milliseconds(50),
                    [](Promise<absl::StatusOr<int>> p) { return Get{p}; })
               .Get();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(ActorSystemTest, DispatchersComeFromConfigAndErrorsNameThePath) {
  auto system = testing::NewTestSystem(
      "my-pool { threads = 2 }\nbad-pool { threads = 0 }");
  ASSERT_NE(system, nullptr);
  EXPECT_TRUE(system->GetDispatcher("my-pool").ok());
  auto missing = system->GetDispatcher("no-such-pool");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("no-such-pool"));
  auto bad = system->GetDispatcher("bad-pool");
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("bad-pool.threads"));
}

TEST(CircuitBreakerTest, OpensAfterMaxFailuresAndClosesAfterReset) {
  Scheduler scheduler;
  CircuitBreaker breaker(
      scheduler, {2, std::chrono::seconds(5), std::chrono::milliseconds(100)},
      "test");
  auto fail = [] { return MakeReadyFuture(absl::UnavailableError("down")); };
  auto succeed = [] { return MakeReadyFuture(absl::OkStatus()); };
  EXPECT_FALSE(breaker.Call<absl::Status>(fail).Get().ok());
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::kClosed);
  EXPECT_FALSE(breaker.Call<absl::Status>(fail).Get().ok());
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::kOpen);
  // Open: fails fast without calling the body.
  bool called = false;
  absl::Status fast = breaker
                          .Call<absl::Status>([&] {
                            called = true;
                            return MakeReadyFuture(absl::OkStatus());
                          })
                          .Get();
  EXPECT_FALSE(called);
  EXPECT_THAT(std::string(fast.message()),
              HasSubstr("circuit breaker is open"));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  // Half-open: one trial; its success closes the breaker.
  EXPECT_TRUE(breaker.Call<absl::Status>(succeed).Get().ok());
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::kClosed);
}

TEST(CircuitBreakerTest, CallTimeoutCountsAsFailure) {
  Scheduler scheduler;
  CircuitBreaker breaker(
      scheduler, {1, std::chrono::milliseconds(30), std::chrono::seconds(30)},
      "slow");
  Promise<absl::Status> never;
  absl::Status s =
      breaker.Call<absl::Status>([&] { return never.GetFuture(); }).Get();
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(s.message()), HasSubstr("call-timeout"));
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::kOpen);
  never.Set(absl::OkStatus());  // a late completion changes nothing
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::kOpen);
}

TEST(CircuitBreakerTest, OnlyCallsPastTheirDeadlineTimeOut) {
  Scheduler scheduler;
  CircuitBreaker breaker(
      scheduler, {100, std::chrono::milliseconds(40), std::chrono::seconds(30)},
      "mixed");
  Promise<absl::Status> never_a, never_c, late;
  Future<absl::Status> a =
      breaker.Call<absl::Status>([&] { return never_a.GetFuture(); });
  Future<absl::Status> b = breaker.Call<absl::Status>(
      [] { return MakeReadyFuture(absl::OkStatus()); });
  Future<absl::Status> c =
      breaker.Call<absl::Status>([&] { return never_c.GetFuture(); });
  Future<absl::Status> d =
      breaker.Call<absl::Status>([&] { return late.GetFuture(); });
  EXPECT_TRUE(b.Get().ok());
  late.Set(absl::InternalError("done in time, but failed"));
  EXPECT_EQ(d.Get().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(a.Get().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(c.Get().code(), absl::StatusCode::kDeadlineExceeded);
  never_a.Set(absl::OkStatus());  // too late: a stays timed out
  EXPECT_EQ(a.Get().code(), absl::StatusCode::kDeadlineExceeded);
  // A call after the others timed out gets a fresh deadline.
  Promise<absl::Status> slow;
  Future<absl::Status> e =
      breaker.Call<absl::Status>([&] { return slow.GetFuture(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  slow.Set(absl::OkStatus());
  EXPECT_TRUE(e.Get().ok());
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::kClosed);
}

TEST(CircuitBreakerTest, ACallNobodyCompletesIsReleasedWithTheBreaker) {
  // Its body's promise is dropped and the scheduler shuts down before the
  // timeout: nothing will ever complete the call. It must not leak (the
  // AddressSanitizer run checks).
  Future<absl::Status> pending;
  {
    Scheduler scheduler;
    CircuitBreaker breaker(
        scheduler, {1, std::chrono::seconds(60), std::chrono::seconds(60)},
        "abandoned");
    {
      Promise<absl::Status> dropped;
      pending = breaker.Call<absl::Status>([&] { return dropped.GetFuture(); });
    }
    scheduler.Shutdown();
  }
  EXPECT_FALSE(pending.IsReady());
}

PersistentRepr E(int64_t seq, const std::string& writer) {
  PersistentRepr e;
  e.persistence_id = "p";
  e.sequence_nr = seq;
  e.writer_uuid = writer;
  return e;
}

struct FilterRun {
  std::vector<std::string> delivered;  // "seq/writer"
  std::vector<std::string> warnings;
  absl::Status status;
};

FilterRun RunFilter(ReplayFilterSettings::Mode mode,
                    const std::vector<PersistentRepr>& events,
                    int window = 100) {
  FilterRun run;
  ReplayFilterSettings settings;
  settings.mode = mode;
  settings.window_size = window;
  ReplayFilter filter(settings,
                      [&](const std::string& w) { run.warnings.push_back(w); });
  // Takes what the filter cleared, as the replay stream does.
  auto take = [&] {
    for (const PersistentRepr& e : filter.Ready()) {
      run.delivered.push_back(absl::StrCat(e.sequence_nr, "/", e.writer_uuid));
    }
    filter.Delivered();
  };
  for (const auto& e : events) {
    run.status = filter.Add(PersistentRepr(e));
    if (!run.status.ok()) return run;
    take();
  }
  run.status = filter.Finish();
  take();
  return run;
}

// The log of two incarnations: A wrote 1..3, B recovered at 2 and wrote
// 3, 4 while A still wrote 4.
const std::vector<PersistentRepr> kTwoWriters = {
    E(1, "A"), E(2, "A"), E(3, "A"), E(3, "B"), E(4, "A"), E(4, "B")};

TEST(ReplayFilterTest, RepairDiscardsTheOldWriter) {
  FilterRun run =
      RunFilter(ReplayFilterSettings::Mode::kRepairByDiscardOld, kTwoWriters);
  ASSERT_TRUE(run.status.ok());
  EXPECT_THAT(run.delivered, ElementsAre("1/A", "2/A", "3/B", "4/B"));
  EXPECT_FALSE(run.warnings.empty());
}

TEST(ReplayFilterTest, FailModeFails) {
  FilterRun run = RunFilter(ReplayFilterSettings::Mode::kFail, kTwoWriters);
  EXPECT_EQ(run.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status.message()),
              HasSubstr("persistence id 'p'"));
}

TEST(ReplayFilterTest, WarnAndOffDeliverEverything) {
  FilterRun warn = RunFilter(ReplayFilterSettings::Mode::kWarn, kTwoWriters);
  ASSERT_TRUE(warn.status.ok());
  EXPECT_EQ(warn.delivered.size(), kTwoWriters.size());
  EXPECT_FALSE(warn.warnings.empty());
  FilterRun off = RunFilter(ReplayFilterSettings::Mode::kOff, kTwoWriters);
  EXPECT_EQ(off.delivered.size(), kTwoWriters.size());
  EXPECT_TRUE(off.warnings.empty());
}

TEST(ReplayFilterTest, CleanLogPassesUnchangedWithSmallWindow) {
  std::vector<PersistentRepr> clean;
  for (int i = 1; i <= 10; ++i) clean.push_back(E(i, i < 6 ? "A" : "B"));
  FilterRun run = RunFilter(ReplayFilterSettings::Mode::kFail, clean, 2);
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(run.delivered.size(), 10u);
}

}  // namespace
}  // namespace persistence
