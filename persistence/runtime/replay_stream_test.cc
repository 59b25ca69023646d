// Copyright 2026 The eventpersist Authors.
//
// ReplayStream on its own: a producer thread (the plugin's), a consumer
// executor on another thread (the requester's mailbox), and the ways a
// replay ends.
#include "persistence/runtime/replay_stream.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "persistence/api/codec.h"
#include "persistence/api/future.h"
#include "persistence/api/journal.h"

namespace persistence {
namespace {

using namespace std::chrono_literals;

// Executor runs closures on its own thread, in order, as an actor's
// mailbox would. Paused, it holds them; Drop throws away what it holds and
// what comes later (an actor that stopped).
class Executor {
 public:
  Executor() : thread_([this] { Run(); }) {}
  ~Executor() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  std::function<void(std::function<void()>)> AsFunction() {
    return [this](std::function<void()> task) { Post(std::move(task)); };
  }
  void Post(std::function<void()> task) {
    std::function<void()> dropped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (dropping_) {
        dropped = std::move(task);  // destroyed outside the lock
      } else {
        tasks_.push_back(std::move(task));
      }
    }
    wake_.notify_all();
  }
  void Pause(bool paused) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      paused_ = paused;
    }
    wake_.notify_all();
  }
  void Drop() {
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      dropping_ = true;
      dropped.swap(tasks_);
    }
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock,
                 [this] { return done_ || (!paused_ && !tasks_.empty()); });
      if (done_) return;
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      task = nullptr;
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool paused_ = false;
  bool dropping_ = false;
  bool done_ = false;
  std::thread thread_;
};

PersistentRepr Event(int64_t seq, const std::string& writer = "w") {
  PersistentRepr e;
  e.persistence_id = "p";
  e.sequence_nr = seq;
  e.writer_uuid = writer;
  e.payload = Payload::Of(absl::StrCat("e-", seq));
  return e;
}

// What the requester saw, and where.
struct Seen {
  std::mutex mu;
  std::vector<int64_t> seqs;
  bool wrong_thread = false;
  Promise<absl::StatusOr<int64_t>> done;
};

// NewStreamOn: a stream whose consumer runs on `executor` (none: on the
// producer's thread) and reports to `seen`.
std::shared_ptr<ReplayStream> NewStreamOn(
    const std::shared_ptr<Seen>& seen,
    std::function<void(std::function<void()>)> executor,
    ReplayFilterSettings::Mode mode = ReplayFilterSettings::Mode::kFail,
    std::thread::id* consumer = nullptr) {
  ReplayMessages request;
  request.on_events = [seen, consumer](absl::Span<PersistentRepr> events) {
    std::lock_guard<std::mutex> lock(seen->mu);
    if (consumer != nullptr && std::this_thread::get_id() != *consumer) {
      seen->wrong_thread = true;
    }
    for (const PersistentRepr& e : events) seen->seqs.push_back(e.sequence_nr);
  };
  request.on_done = [seen](absl::StatusOr<int64_t> h) { seen->done.Set(h); };
  request.executor = std::move(executor);
  ReplayFilterSettings filter;
  filter.mode = mode;
  filter.window_size = 10;
  return std::make_shared<ReplayStream>("p", filter, request);
}

std::shared_ptr<ReplayStream> NewStream(
    const std::shared_ptr<Seen>& seen, Executor* executor,
    ReplayFilterSettings::Mode mode = ReplayFilterSettings::Mode::kFail,
    std::thread::id* consumer = nullptr) {
  return NewStreamOn(seen,
                     executor == nullptr ? nullptr : executor->AsFunction(),
                     mode, consumer);
}

// ExpectEveryEventInOrder waits for the end of a replay of events 1..n and
// checks that it succeeded with n, and that every event came, in order, on
// the expected thread.
void ExpectEveryEventInOrder(Seen& seen, int n) {
  Future<absl::StatusOr<int64_t>> done = seen.done.GetFuture();
  ASSERT_TRUE(done.WaitFor(10s));
  ASSERT_TRUE(done.Get().ok()) << done.Get().status();
  EXPECT_EQ(*done.Get(), n);
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_FALSE(seen.wrong_thread);
  ASSERT_EQ(seen.seqs.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ASSERT_EQ(seen.seqs[i], i + 1);
}

TEST(ReplayStreamTest, DeliversEveryEventInOrderOnTheExecutorThenTheEnd) {
  Executor executor;
  std::thread::id consumer;
  executor.Post([&consumer] { consumer = std::this_thread::get_id(); });
  auto seen = std::make_shared<Seen>();
  auto stream =
      NewStream(seen, &executor,
                ReplayFilterSettings::Mode::kRepairByDiscardOld, &consumer);
  constexpr int kEvents = 10000;  // more than the stream holds at once
  std::thread producer([&] {
    for (int i = 1; i <= kEvents; ++i) stream->Add(Event(i));
    stream->Complete(kEvents);
  });
  producer.join();
  ExpectEveryEventInOrder(*seen, kEvents);
  EXPECT_EQ(stream->added(), kEvents);
  EXPECT_EQ(stream->last_added(), kEvents);
  EXPECT_EQ(stream->progress(), 2 * kEvents);  // added, then delivered
}

TEST(ReplayStreamTest, AProducerAheadOfTheConsumerNeverWaitsAndIsResumed) {
  Executor executor;
  executor.Pause(true);  // the requester is busy
  auto seen = std::make_shared<Seen>();
  auto stream = NewStream(seen, &executor);
  int next = 1;
  auto page = [&] {
    for (size_t i = 0; i < kReplayPage; ++i) stream->Add(Event(next++));
    stream->EndOfPage();
  };
  std::atomic<int> resumed{0};
  std::thread::id resumed_on;
  auto resume = [&] {
    resumed_on = std::this_thread::get_id();
    resumed.fetch_add(1);
  };
  // Two pages fit: the second is asked for at once, on this thread.
  page();
  EXPECT_TRUE(stream->WhenRoom(resume));
  resume();
  // A third does not, and nothing here waits for the busy requester: the
  // page went in without blocking, and the resume waits instead.
  const auto start = std::chrono::steady_clock::now();
  page();
  EXPECT_FALSE(stream->WhenRoom(resume));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(resumed.load(), 1);
  // The requester delivers; the consumer's thread resumes the producer.
  executor.Pause(false);
  for (int i = 0; i < 500 && resumed.load() < 2; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(resumed.load(), 2);
  EXPECT_NE(resumed_on, std::this_thread::get_id());
  page();
  stream->Complete(next - 1);
  ExpectEveryEventInOrder(*seen, 3 * static_cast<int>(kReplayPage));
}

TEST(ReplayStreamTest, TheEndOfAReplayRunsAWaitingResume) {
  Executor executor;
  executor.Pause(true);
  auto seen = std::make_shared<Seen>();
  auto stream = NewStream(seen, &executor);
  for (int i = 1; i <= 2 * static_cast<int>(kReplayPage); ++i) {
    stream->Add(Event(i));
  }
  stream->EndOfPage();
  bool resumed = false;
  EXPECT_FALSE(stream->WhenRoom([&] { resumed = true; }));
  EXPECT_FALSE(resumed);
  stream->Fail(absl::DeadlineExceededError("watchdog"));
  EXPECT_TRUE(resumed);  // the producer sees ended() and stops
  EXPECT_TRUE(stream->ended());
  executor.Pause(false);
}

TEST(ReplayStreamTest, AFilterErrorEndsTheReplayAndStopsTheProducer) {
  Executor executor;
  auto seen = std::make_shared<Seen>();
  auto stream = NewStream(seen, &executor, ReplayFilterSettings::Mode::kFail);
  // Writer A's sequence numbers go backwards: the filter fails the replay.
  std::vector<PersistentRepr> events = {Event(1, "A"), Event(2, "A"),
                                        Event(1, "A")};
  for (int i = 3; i <= 200; ++i) events.push_back(Event(i, "A"));
  for (PersistentRepr& e : events) stream->Add(std::move(e));
  stream->Complete(200);
  Future<absl::StatusOr<int64_t>> done = seen->done.GetFuture();
  ASSERT_TRUE(done.WaitFor(10s));
  EXPECT_EQ(done.Get().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(stream->ended());
}

TEST(ReplayStreamTest, FailFromAnotherThreadDropsWhatWaitsAndEndsOnce) {
  Executor executor;
  executor.Pause(true);
  auto seen = std::make_shared<Seen>();
  auto stream = NewStream(seen, &executor);
  for (int i = 1; i <= 3 * static_cast<int>(kReplayBatch); ++i) {
    stream->Add(Event(i));
  }
  std::thread watchdog(
      [&] { stream->Fail(absl::DeadlineExceededError("no progress")); });
  watchdog.join();
  stream->Complete(1000);  // the plugin completes later: ignored
  executor.Pause(false);
  Future<absl::StatusOr<int64_t>> done = seen->done.GetFuture();
  ASSERT_TRUE(done.WaitFor(10s));
  EXPECT_EQ(done.Get().status().code(), absl::StatusCode::kDeadlineExceeded);
  std::lock_guard<std::mutex> lock(seen->mu);
  EXPECT_TRUE(seen->seqs.empty());
}

TEST(ReplayStreamTest, ARequesterThatIsGoneCancelsTheReplay) {
  Executor executor;
  executor.Pause(true);
  auto seen = std::make_shared<Seen>();
  auto stream = NewStream(seen, &executor);
  std::atomic<bool> finished{false};
  std::thread producer([&] {
    // Far more than fits: without cancellation this would wait for space
    // a second at a time.
    for (int i = 1; i <= 20 * static_cast<int>(ReplayStream::kCapacity); ++i) {
      stream->Add(Event(i));
    }
    finished.store(true);
  });
  std::this_thread::sleep_for(100ms);
  executor.Drop();  // the actor stopped: its mailbox is thrown away
  producer.join();
  EXPECT_TRUE(finished.load());
  EXPECT_TRUE(stream->ended());
  EXPECT_FALSE(seen->done.GetFuture().WaitFor(50ms));  // nobody to tell
}

TEST(ReplayStreamTest, WithoutAnExecutorTheProducersThreadDelivers) {
  auto seen = std::make_shared<Seen>();
  std::thread::id producer_id;
  auto stream =
      NewStream(seen, nullptr, ReplayFilterSettings::Mode::kRepairByDiscardOld,
                &producer_id);
  std::thread producer([&] {
    producer_id = std::this_thread::get_id();
    for (int i = 1; i <= 100; ++i) stream->Add(Event(i));
    stream->Complete(100);
  });
  producer.join();
  Future<absl::StatusOr<int64_t>> done = seen->done.GetFuture();
  ASSERT_TRUE(done.WaitFor(1s));
  EXPECT_TRUE(done.Get().ok());
  std::lock_guard<std::mutex> lock(seen->mu);
  EXPECT_FALSE(seen->wrong_thread);
  EXPECT_EQ(seen->seqs.size(), 100u);
}

// Stored records, as RocksDB and Redis hand them over: the stream copies
// the bytes and the consumer decodes them, in order, on its executor.
TEST(ReplayStreamTest, RecordsAreDecodedOnTheExecutorInOrder) {
  Executor executor;
  std::thread::id consumer;
  executor.Post([&consumer] { consumer = std::this_thread::get_id(); });
  auto seen = std::make_shared<Seen>();
  auto stream =
      NewStream(seen, &executor,
                ReplayFilterSettings::Mode::kRepairByDiscardOld, &consumer);
  constexpr int kEvents = 5000;
  std::thread producer([&] {
    ReplayCallback callback = stream->Callback();
    for (int i = 1; i <= kEvents; ++i) {
      std::string record = EncodeEvent(Event(i)).value();
      ASSERT_TRUE(callback.Record("p", i, record).ok());
      record.assign(record.size(), '\0');  // the stream kept its own copy
    }
    stream->Complete(kEvents);
  });
  producer.join();
  ExpectEveryEventInOrder(*seen, kEvents);
}

// Turns counts the executor turns a stream takes, and says when one runs.
struct Turns {
  std::atomic<int> posted{0};
  std::atomic<bool> running{false};
  Promise<bool> first_started;  // set when the first turn starts
};
std::shared_ptr<ReplayStream> NewCountedStream(
    const std::shared_ptr<Seen>& seen, Executor& executor,
    const std::shared_ptr<Turns>& turns) {
  return NewStreamOn(seen, [&executor, turns](std::function<void()> task) {
    turns->posted.fetch_add(1);
    executor.Post([turns, task = std::move(task)] {
      turns->running.store(true);
      turns->first_started.Set(true);
      task();
      turns->running.store(false);
    });
  });
}

// A long replay's consumer stands by: its turn starts before the first
// record, and a batch that arrives while it polls needs no new turn.
TEST(ReplayStreamTest, AStandingByConsumerTakesBatchesWithoutANewTurn) {
  Executor executor;
  bool taken_in_the_same_turn = false;
  // Timing-based (a batch must come within kFirstBatchWait of the poll's
  // start): a loaded machine may miss it now and then, never every time.
  for (int attempt = 0; attempt < 5 && !taken_in_the_same_turn; ++attempt) {
    auto seen = std::make_shared<Seen>();
    auto turns = std::make_shared<Turns>();
    auto stream = NewCountedStream(seen, executor, turns);
    stream->StandBy();
    EXPECT_EQ(turns->posted.load(), 1) << "the turn is posted at once";
    ASSERT_TRUE(turns->first_started.GetFuture().WaitFor(5s));
    // Well within kFirstBatchWait, and long after a consumer that does not
    // stand by would have found nothing and ended its turn.
    std::this_thread::sleep_for(100us);
    for (int i = 1; i <= static_cast<int>(kReplayBatch); ++i) {
      stream->Add(Event(i));  // the last one publishes the batch
    }
    const int posted_after_batch = turns->posted.load();
    stream->Complete(kReplayBatch);
    ExpectEveryEventInOrder(*seen, kReplayBatch);
    taken_in_the_same_turn = posted_after_batch == 1;
  }
  EXPECT_TRUE(taken_in_the_same_turn)
      << "every batch of 5 attempts needed a turn of its own";
}

// Standing by ends: with no batch for kFirstBatchWait the turn ends, and
// the first batch then posts a turn of its own, as without standing by.
TEST(ReplayStreamTest, AStandingByConsumerGivesUpItsTurnWhenNothingComes) {
  Executor executor;
  auto seen = std::make_shared<Seen>();
  auto turns = std::make_shared<Turns>();
  auto stream = NewCountedStream(seen, executor, turns);
  stream->StandBy();
  ASSERT_TRUE(turns->first_started.GetFuture().WaitFor(5s));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (turns->running.load() && std::chrono::steady_clock::now() < deadline) {
  }
  ASSERT_FALSE(turns->running.load()) << "the turn never ended";
  for (int i = 1; i <= 3; ++i) stream->Add(Event(i));
  stream->Complete(3);
  ExpectEveryEventInOrder(*seen, 3);
  EXPECT_GE(turns->posted.load(), 2);
}

// Without an executor the producer's thread delivers, so there is nothing
// to stand by for.
TEST(ReplayStreamTest, StandingByWithoutAnExecutorDoesNothing) {
  auto seen = std::make_shared<Seen>();
  auto stream = NewStream(seen, nullptr);
  stream->StandBy();
  for (int i = 1; i <= 3; ++i) stream->Add(Event(i));
  stream->Complete(3);
  ExpectEveryEventInOrder(*seen, 3);
}

// A record that does not decode fails the replay with an error naming the
// id and sequence number; the plugin's next Record is refused, so it stops.
TEST(ReplayStreamTest, ACorruptRecordFailsTheReplayAndStopsThePlugin) {
  Executor executor;
  auto seen = std::make_shared<Seen>();
  auto stream = NewStream(seen, &executor);
  ReplayCallback callback = stream->Callback();
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(callback.Record("p", i, EncodeEvent(Event(i)).value()).ok());
  }
  ASSERT_TRUE(callback.Record("p", 11, "\xff\xff\xff not a record").ok());
  // (Once the consumer has seen the corrupt record, these are refused.)
  for (int i = 12; i <= 3 * static_cast<int>(kReplayBatch); ++i) {
    if (!callback.Record("p", i, EncodeEvent(Event(i)).value()).ok()) break;
  }
  Future<absl::StatusOr<int64_t>> done = seen->done.GetFuture();
  ASSERT_TRUE(done.WaitFor(10s));
  EXPECT_EQ(done.Get().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(done.Get().status().message().find("'p' at sequence number 11"),
            absl::string_view::npos)
      << done.Get().status();
  absl::Status next = callback.Record("p", 1000, EncodeEvent(Event(1)).value());
  EXPECT_EQ(next.code(), absl::StatusCode::kCancelled);
  stream->Complete(1000);  // the plugin's end comes after: ignored
  std::lock_guard<std::mutex> lock(seen->mu);
  for (int64_t seq : seen->seqs) EXPECT_LT(seq, 11);
}

// A plain function receives records decoded at once (a test, the kit).
TEST(ReplayCallbackTest, AFunctionOfEventsGetsRecordsDecoded) {
  std::vector<int64_t> seqs;
  ReplayCallback callback(
      [&](PersistentRepr&& e) { seqs.push_back(e.sequence_nr); });
  EXPECT_TRUE(callback.Record("p", 1, EncodeEvent(Event(1)).value()).ok());
  callback(Event(2));
  absl::Status corrupt = callback.Record("p", 3, "\xff\xff");
  EXPECT_EQ(corrupt.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(corrupt.message().find("sequence number 3"),
            absl::string_view::npos);
  EXPECT_EQ(seqs, (std::vector<int64_t>{1, 2}));
}

}  // namespace
}  // namespace persistence
