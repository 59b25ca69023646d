// Copyright 2026 The eventpersist Authors.
//
// The journal actor's side of the contract with a plugin that has its own
// thread, as RocksDB's writer and Redis' reader are: what follows a
// plugin's Future never runs on that thread, the plugin is destroyed on the
// thread that terminates the system, and a replay is pulled a page at a
// time, so that a slow requester never holds up the plugin's thread.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/api/codec.h"
#include "persistence/runtime/persistence.h"
#include "persistence/runtime/replay_stream.h"
#include "persistence/runtime/runtime_test_util.h"

namespace persistence {
namespace {

using namespace std::chrono_literals;

thread_local bool on_plugin_thread = false;

// What the plugin saw, kept past its destruction.
struct Observed {
  std::mutex mu;
  std::vector<int64_t> replay_maxes;  // `max` of each AsyncReplayMessages
  std::thread::id destroyed_on;
  std::atomic<int64_t> handed{0};     // records given to the runtime
  std::atomic<int64_t> delivered{0};  // events the requester got
  std::atomic<int64_t> most_outstanding{0};
  std::atomic<int64_t> slowest_record_us{0};
  // While set, the plugin's thread holds back the completion of writes.
  std::atomic<bool> hold_writes{false};
  std::atomic<int> writes_received{0};
};
Observed& Seen() {
  static auto* seen = new Observed();
  return *seen;
}

// ThreadedJournal keeps its events in memory and does all of its work,
// completions included, on one thread of its own.
class ThreadedJournal : public AsyncWriteJournal {
 public:
  ThreadedJournal() : thread_([this] { Run(); }) {}
  ~ThreadedJournal() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
    std::lock_guard<std::mutex> lock(Seen().mu);
    Seen().destroyed_on = std::this_thread::get_id();
  }

  bool NonBlockingWrites() const override { return true; }

  Future<absl::StatusOr<WriteResults>> AsyncWriteMessages(
      const std::vector<AtomicWrite>& writes) override {
    Promise<absl::StatusOr<WriteResults>> done;
    std::vector<std::pair<std::string, std::string>> records;
    std::vector<int64_t> seqs;
    for (const AtomicWrite& w : writes) {
      for (const PersistentRepr& e : w.payload()) {
        records.emplace_back(e.persistence_id, *EncodeEvent(e));
        seqs.push_back(e.sequence_nr);
      }
    }
    const size_t n = writes.size();
    ++Seen().writes_received;
    Run([this, done, records, seqs, n] {
      while (Seen().hold_writes.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      for (size_t i = 0; i < records.size(); ++i) {
        events_[records[i].first][seqs[i]] = records[i].second;
      }
      done.Set(WriteResults(n, absl::OkStatus()));
    });
    return done.GetFuture();
  }
  Future<absl::Status> AsyncDeleteMessagesTo(const std::string&,
                                             int64_t) override {
    Promise<absl::Status> done;
    Run([done] { done.Set(absl::OkStatus()); });
    return done.GetFuture();
  }
  Future<absl::Status> AsyncReplayMessages(const std::string& id, int64_t from,
                                           int64_t to, int64_t max,
                                           ReplayCallback callback) override {
    {
      std::lock_guard<std::mutex> lock(Seen().mu);
      Seen().replay_maxes.push_back(max);
    }
    Promise<absl::Status> done;
    Run([this, done, id, from, to, max, callback] {
      Observed& seen = Seen();
      auto& events = events_[id];
      auto first = events.lower_bound(from);
      if (from < 0) {  // the last `max` events up to `to`
        first = events.upper_bound(to);
        for (int64_t k = 0; k < max && first != events.begin(); ++k) --first;
      }
      int64_t n = 0;
      for (auto it = first; it != events.end() && it->first <= to && n < max;
           ++it, ++n) {
        const auto start = std::chrono::steady_clock::now();
        absl::Status s = callback.Record(id, it->first, it->second);
        const int64_t us =
            std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
        if (us > seen.slowest_record_us.load()) seen.slowest_record_us = us;
        const int64_t outstanding = ++seen.handed - seen.delivered.load();
        if (outstanding > seen.most_outstanding.load()) {
          seen.most_outstanding = outstanding;
        }
        if (!s.ok()) {
          done.Set(s);
          return;
        }
      }
      done.Set(absl::OkStatus());
    });
    return done.GetFuture();
  }
  Future<absl::StatusOr<int64_t>> AsyncReadHighestSequenceNr(
      const std::string& id, int64_t) override {
    Promise<absl::StatusOr<int64_t>> done;
    Run([this, done, id] {
      auto& events = events_[id];
      done.Set(events.empty() ? 0 : events.rbegin()->first);
    });
    return done.GetFuture();
  }

 private:
  void Run(std::function<void()> work) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      work_.push_back(std::move(work));
    }
    wake_.notify_all();
  }
  void Run() {
    on_plugin_thread = true;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return done_ || !work_.empty(); });
      if (work_.empty()) return;
      std::function<void()> work = std::move(work_.front());
      work_.pop_front();
      lock.unlock();
      work();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> work_;
  bool done_ = false;
  // The plugin thread's only.
  std::map<std::string, std::map<int64_t, std::string>> events_;
  std::thread thread_;
};
PERSISTENCE_REGISTER(JournalRegistry, "test.ThreadedJournal",
                     Construct<ThreadedJournal>);

constexpr char kConfig[] = R"(threaded { class = "test.ThreadedJournal" })";

PersistentRepr Event(const std::string& id, int64_t seq) {
  PersistentRepr e;
  e.persistence_id = id;
  e.sequence_nr = seq;
  e.payload = Payload::Of(absl::StrCat("e-", seq));
  return e;
}

// Write stores events 1..n of `id`, `per_write` to an atomic write.
void Write(const ActorRef<JournalRequest>& journal, const std::string& id,
           int64_t n, int64_t per_write = 1) {
  std::vector<AtomicWrite> writes;
  for (int64_t seq = 1; seq <= n; seq += per_write) {
    std::vector<PersistentRepr> events;
    for (int64_t s = seq; s < seq + per_write && s <= n; ++s) {
      events.push_back(Event(id, s));
    }
    writes.push_back(*AtomicWrite::Make(std::move(events)));
  }
  Promise<absl::Status> done;
  journal.Tell(WriteMessages{std::move(writes), [done](WriteMessagesResult r) {
                               done.Set(r.status);
                             }});
  ASSERT_TRUE(done.GetFuture().WaitFor(10s));
  ASSERT_TRUE(done.GetFuture().Get().ok());
}

// RequesterThread is a requester's context: its executor runs what it is
// given, in order, on a thread of its own.
class RequesterThread {
 public:
  RequesterThread() : thread_([this] { Run(); }) {}
  ~RequesterThread() { Stop(); }

  Executor executor() {
    return [this](std::function<void()> task) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        tasks_.push_back(std::move(task));
      }
      wake_.notify_all();
    };
  }
  // Until Stop.
  std::thread::id id() const { return thread_.get_id(); }
  // Stop runs what is queued, then joins the thread.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::thread thread_;
};

TEST(JournalActorThreadsTest, WhatFollowsAFutureRunsOffThePluginsThread) {
  auto system = testing::NewTestSystem(kConfig);
  absl::StatusOr<ActorRef<JournalRequest>> journal =
      system->Extension<Persistence>().Journal("threaded");
  ASSERT_TRUE(journal.ok()) << journal.status();
  std::atomic<int> on_plugin{0};
  std::atomic<int> replies{0};
  auto where = [&] {
    if (on_plugin_thread) ++on_plugin;
    ++replies;
  };
  Promise<bool> all;
  for (int i = 1; i <= 50; ++i) {
    journal->Tell(WriteMessages{{*AtomicWrite::Make({Event("a", i)})},
                                [&](WriteMessagesResult r) {
                                  EXPECT_TRUE(r.status.ok());
                                  where();
                                }});
  }
  journal->Tell(ReadHighestSequenceNr{"a", 0, [&](absl::StatusOr<int64_t> h) {
                                        EXPECT_EQ(*h, 50);
                                        where();
                                      }});
  journal->Tell(DeleteMessagesTo{"a", 3, [&](absl::Status s) {
                                   EXPECT_TRUE(s.ok());
                                   where();
                                 }});
  ReplayMessages replay;
  replay.persistence_id = "a";
  replay.on_events = [&](absl::Span<PersistentRepr>) { where(); };
  replay.on_done = [&, all](absl::StatusOr<int64_t> h) {
    EXPECT_EQ(*h, 50);
    where();
    all.Set(true);
  };
  journal->Tell(std::move(replay));
  ASSERT_TRUE(all.GetFuture().WaitFor(10s));
  EXPECT_GE(replies.load(), 53);
  EXPECT_EQ(on_plugin.load(), 0) << "replies ran on the plugin's thread";
}

TEST(JournalActorThreadsTest, AWriteCompletesThroughTheRequestersExecutor) {
  auto system = testing::NewTestSystem(kConfig);
  absl::StatusOr<ActorRef<JournalRequest>> journal =
      system->Extension<Persistence>().Journal("threaded");
  ASSERT_TRUE(journal.ok()) << journal.status();
  // The requester's executor runs what it is given on a thread of its own.
  RequesterThread requester;
  Executor posts = requester.executor();
  // An executor that drops what it is given, as a stopped actor does.
  std::atomic<int> dropped{0};
  Executor drops = [&](std::function<void()>) { ++dropped; };

  std::atomic<int> on_requester{0};
  std::vector<Promise<absl::Status>> replies(30);
  // Completions wait until every write has reached the plugin, so each
  // goes through its executor (not inline, as a ready one would).
  Seen().writes_received = 0;
  Seen().hold_writes = true;
  for (int i = 0; i < 30; ++i) {
    WriteMessages write{{*AtomicWrite::Make({Event("ex", i + 1)})},
                        [&, done = replies[i]](WriteMessagesResult r) {
                          EXPECT_FALSE(on_plugin_thread);
                          if (std::this_thread::get_id() == requester.id()) {
                            ++on_requester;
                          }
                          done.Set(r.status);
                        }};
    // Every third write's requester is gone: its reply, and every later
    // one, must still come (in the journal actor's mailbox).
    write.executor = i % 3 == 1 ? drops : posts;
    journal->Tell(std::move(write));
  }
  while (Seen().writes_received.load() < 30) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // The last one's continuation is attached right after the plugin call.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Seen().hold_writes = false;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(replies[i].GetFuture().WaitFor(10s)) << "write " << i;
    EXPECT_TRUE(replies[i].GetFuture().Get().ok());
  }
  requester.Stop();
  EXPECT_EQ(dropped.load(), 10);
  // The resequencing may deliver a reply on the thread that completed a
  // later write; the first write's, at the head, ran where it asked.
  EXPECT_GT(on_requester.load(), 0);
}

TEST(JournalActorThreadsTest, ThePluginIsDestroyedOnTheTerminatingThread) {
  auto system = testing::NewTestSystem(kConfig);
  absl::StatusOr<ActorRef<JournalRequest>> journal =
      system->Extension<Persistence>().Journal("threaded");
  ASSERT_TRUE(journal.ok()) << journal.status();
  // Writes still in flight when the system goes.
  for (int i = 1; i <= 200; ++i) {
    journal->Tell(WriteMessages{{*AtomicWrite::Make({Event("b", i)})},
                                [](WriteMessagesResult) {}});
  }
  system.reset();
  std::lock_guard<std::mutex> lock(Seen().mu);
  EXPECT_EQ(Seen().destroyed_on, std::this_thread::get_id());
}

TEST(JournalActorThreadsTest, ASlowRequesterPullsPagesAndNeverStallsThePlugin) {
  auto system = testing::NewTestSystem(kConfig);
  absl::StatusOr<ActorRef<JournalRequest>> journal =
      system->Extension<Persistence>().Journal("threaded");
  ASSERT_TRUE(journal.ok()) << journal.status();
  // More than the stream's window, so that a stream which made the plugin
  // wait for space would stall it.
  constexpr int64_t kEvents = 3 * kReplayPage + 17;
  Write(*journal, "slow", kEvents, 500);
  Observed& seen = Seen();
  {
    std::lock_guard<std::mutex> lock(seen.mu);
    seen.replay_maxes.clear();
  }
  seen.handed = 0;
  seen.delivered = 0;
  seen.most_outstanding = 0;
  seen.slowest_record_us = 0;

  // The requester takes 10 ms per batch (about 4 s in all); its executor is
  // its own thread.
  std::vector<int64_t> got;
  Promise<absl::StatusOr<int64_t>> done;
  RequesterThread requester;
  ReplayMessages replay;
  replay.persistence_id = "slow";
  replay.executor = requester.executor();
  replay.on_events = [&](absl::Span<PersistentRepr> events) {
    std::this_thread::sleep_for(10ms);
    for (const PersistentRepr& e : events) got.push_back(e.sequence_nr);
    seen.delivered += static_cast<int64_t>(events.size());
  };
  replay.on_done = [done](absl::StatusOr<int64_t> h) { done.Set(h); };
  // Meanwhile another id's writes go through the same plugin thread.
  std::atomic<bool> replaying{true};
  std::atomic<int64_t> slowest_write_us{0};
  std::thread writer([&] {
    for (int64_t seq = 1; replaying.load(); ++seq) {
      const auto start = std::chrono::steady_clock::now();
      Write(*journal, "fast", 1);
      Write(*journal, absl::StrCat("fast-", seq), 1);
      const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
      if (us > slowest_write_us.load()) slowest_write_us = us;
    }
  });
  journal->Tell(std::move(replay));
  ASSERT_TRUE(done.GetFuture().WaitFor(60s));
  replaying = false;
  writer.join();
  requester.Stop();

  ASSERT_TRUE(done.GetFuture().Get().ok()) << done.GetFuture().Get().status();
  EXPECT_EQ(*done.GetFuture().Get(), kEvents);
  ASSERT_EQ(got.size(), static_cast<size_t>(kEvents));
  for (int64_t i = 0; i < kEvents; ++i) ASSERT_EQ(got[i], i + 1);
  {
    std::lock_guard<std::mutex> lock(seen.mu);
    // Pages: the whole window first, then at least kReplayPage each.
    ASSERT_GE(seen.replay_maxes.size(), 2u);
    EXPECT_EQ(seen.replay_maxes.front(),
              static_cast<int64_t>(ReplayStream::kCapacity));
    for (int64_t max : seen.replay_maxes) {
      EXPECT_LE(max, static_cast<int64_t>(ReplayStream::kCapacity));
      EXPECT_GE(max, static_cast<int64_t>(kReplayPage));
    }
  }
  // Memory: what the plugin handed over and the requester has not yet
  // taken stays within the stream's window, plus the batch being filled
  // and the replay filter's window (reference.conf: window-size = 100).
  EXPECT_LE(seen.most_outstanding.load(),
            static_cast<int64_t>(ReplayStream::kCapacity + kReplayBatch + 100));
  // The plugin's thread never waited for the requester. A plugin that did
  // would hold its thread for the drain of a page (at least 128 batches,
  // 1.3 s), and the other ids' writes behind it. The bounds leave room for
  // a loaded 2-core machine (CI runs four tests at once; 0.24 s has been
  // seen there).
  EXPECT_LT(seen.slowest_record_us.load(), 100000);
  EXPECT_LT(slowest_write_us.load(), 600000);
}

TEST(JournalActorThreadsTest,
     TheLastEventsOfMoreThanAWindowAreLocatedThenPaged) {
  auto system = testing::NewTestSystem(kConfig);
  absl::StatusOr<ActorRef<JournalRequest>> journal =
      system->Extension<Persistence>().Journal("threaded");
  ASSERT_TRUE(journal.ok()) << journal.status();
  constexpr int64_t kStored = ReplayStream::kCapacity + 500;
  constexpr int64_t kLast = ReplayStream::kCapacity + 100;
  Write(*journal, "tail", kStored, 500);
  {
    std::lock_guard<std::mutex> lock(Seen().mu);
    Seen().replay_maxes.clear();
  }

  std::vector<int64_t> got;
  Promise<absl::StatusOr<int64_t>> done;
  ReplayMessages replay;
  replay.persistence_id = "tail";
  replay.from_sequence_nr = -1;  // the last `max` events
  replay.max = kLast;
  replay.on_events = [&](absl::Span<PersistentRepr> events) {
    for (const PersistentRepr& e : events) got.push_back(e.sequence_nr);
  };
  replay.on_done = [done](absl::StatusOr<int64_t> h) { done.Set(h); };
  journal->Tell(std::move(replay));
  ASSERT_TRUE(done.GetFuture().WaitFor(30s));

  ASSERT_TRUE(done.GetFuture().Get().ok()) << done.GetFuture().Get().status();
  EXPECT_EQ(*done.GetFuture().Get(), kStored);
  ASSERT_EQ(got.size(), static_cast<size_t>(kLast));
  for (int64_t i = 0; i < kLast; ++i) {
    ASSERT_EQ(got[i], kStored - kLast + 1 + i);
  }
  // Located (one call for all of them), then paged within the window.
  std::lock_guard<std::mutex> lock(Seen().mu);
  ASSERT_EQ(Seen().replay_maxes.size(), 3u);
  EXPECT_EQ(Seen().replay_maxes[0], kLast);
  EXPECT_EQ(Seen().replay_maxes[1],
            static_cast<int64_t>(ReplayStream::kCapacity));
  EXPECT_EQ(Seen().replay_maxes[2], kLast - ReplayStream::kCapacity);
}

}  // namespace
}  // namespace persistence
