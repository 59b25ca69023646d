// Copyright 2026 The eventpersist Authors.
//
// Faults: the server crashes mid-stream and comes back, stops answering,
// refuses the credentials or the database, is not there at all, or holds
// data the backend did not write. Requests must fail within their timeout
// (never hang), the runtime's circuit breaker must open and close again,
// the client must reconnect by itself, every acknowledged event must
// survive a crash (appendonly + appendfsync always), no atomic write may be
// half-present, and bad data must give an error naming the persistence id
// and sequence number, never a crash.
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/redis/internal/data_model.h"
#include "backends/redis/redis_journal.h"
#include "backends/redis/testing/journal_driver.h"
#include "backends/redis/testing/redis_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/api/reference_conf.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/journal_protocol.h"
#include "persistence/runtime/persistence.h"

namespace persistence::redis {
namespace {

using internal::KeySpace;
using ::testing::HasSubstr;
using testing::JournalDriver;
using testing::RawRedisClient;
using testing::RedisServer;
using testing::RedisServerOptions;
using Clock = std::chrono::steady_clock;

constexpr int64_t kInf = kMaxSequenceNr;
constexpr std::chrono::seconds kHang(20);  // anything slower is a hang

PersistentRepr Event(const std::string& id, int64_t seq) {
  PersistentRepr e;
  e.persistence_id = id;
  e.sequence_nr = seq;
  e.payload = Payload::Of(absl::StrCat("event-", seq));
  e.writer_uuid = "writer";
  return e;
}

AtomicWrite Write(const std::string& id, int64_t first, int64_t count) {
  std::vector<PersistentRepr> events;
  for (int64_t s = first; s < first + count; ++s)
    events.push_back(Event(id, s));
  return *AtomicWrite::Make(std::move(events));
}

Config Section(const RedisServer& server, const std::string& extra,
               const std::string& path = "persistence.journal.redis") {
  absl::StatusOr<Config> config =
      LoadConfigFromString(server.HoconOverlay() + extra, "fault-test");
  EXPECT_TRUE(config.ok()) << config.status();
  return *config->GetConfig(path);
}

// --- Start-up failures say which ---

TEST(RedisStartTest, WrongPasswordFailsStart) {
  auto server = RedisServer::Start({.password = "right"});
  ASSERT_TRUE(server.ok()) << server.status();
  RedisJournal journal(
      Section(**server, "persistence.journal.redis.password = wrong\n"), "j");
  absl::Status s = journal.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_THAT(s.message(), HasSubstr("refused the password"));
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat((*server)->port())));
}

TEST(RedisStartTest, MissingPasswordFailsStart) {
  auto server = RedisServer::Start({.password = "right"});
  ASSERT_TRUE(server.ok()) << server.status();
  // The overlay carries the password; take it away again.
  RedisJournal journal(
      Section(**server, "persistence.journal.redis.password = \"\"\n"), "j");
  absl::Status s = journal.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_THAT(s.message(), HasSubstr("requires a password"));
}

TEST(RedisStartTest, RightPasswordWorks) {
  auto server = RedisServer::Start({.password = "right"});
  ASSERT_TRUE(server.ok()) << server.status();
  RedisJournal journal(Section(**server, ""), "j");
  ASSERT_TRUE(journal.Start().ok());
  EXPECT_TRUE(journal.AsyncWriteMessages({Write("pw", 1, 1)}).Get().ok());
}

TEST(RedisStartTest, MissingDatabaseFailsStart) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  RedisSnapshotStore store(
      Section(**server, "persistence.journal.redis.database = 99\n",
              "persistence.snapshot-store.redis"),
      "s");
  absl::Status s = store.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("cannot select database 99"));
}

TEST(RedisStartTest, UnreachableServerFailsStartThroughTheRuntime) {
  int port;
  {
    auto server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    port = (*server)->port();
  }  // gone: nothing listens there now
  absl::StatusOr<Config> config = LoadConfigFromString(
      absl::StrCat(
          "persistence.journal.plugin = \"persistence.journal.redis\"\n",
          "persistence.journal.redis { port = ", port,
          ", connect-timeout = 500ms }\n"),
      "fault-test");
  ASSERT_TRUE(config.ok()) << config.status();
  auto system = ActorSystem::Create("unreachable", *config);
  ASSERT_TRUE(system.ok()) << system.status();
  const auto start = Clock::now();
  absl::StatusOr<ActorRef<JournalRequest>> journal =
      (*system)->Extension<Persistence>().Journal();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kUnavailable)
      << journal.status();
  EXPECT_THAT(journal.status().message(), HasSubstr("failed to start"));
  EXPECT_THAT(journal.status().message(),
              HasSubstr("cannot connect to redis at 127.0.0.1:"));
}

// --- Crash mid-stream, through the runtime ---

TEST(RedisCrashTest,
     KillMidStreamLosesNoAcknowledgedEventAndHalvesNoAtomicWrite) {
  auto started = RedisServer::Start({.append_only = true});
  ASSERT_TRUE(started.ok()) << started.status();
  RedisServer& server = **started;
  absl::StatusOr<Config> config = LoadConfigFromString(
      server.HoconOverlay() + testing::kFailFastJournal, "fault-test");
  ASSERT_TRUE(config.ok()) << config.status();
  auto system = ActorSystem::Create("crash", *config);
  ASSERT_TRUE(system.ok()) << system.status();
  absl::StatusOr<ActorRef<JournalRequest>> journal =
      (*system)->Extension<Persistence>().Journal();
  ASSERT_TRUE(journal.ok()) << journal.status();
  JournalDriver driver(*journal);

  // Eight ids write atomic writes of three events each, all at once, round
  // after round, while the server is killed under them.
  constexpr int kIds = 8;
  constexpr int64_t kPerWrite = 3;
  std::vector<std::string> ids;
  for (int i = 0; i < kIds; ++i) ids.push_back(absl::StrCat("crash-", i));
  std::map<std::string, int64_t> acknowledged;  // id -> highest acknowledged
  std::map<std::string, bool> unknown;  // a write failed: outcome unknown
  std::thread killer([&server] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(server.Kill().ok());
  });
  int failed_rounds = 0;
  for (int round = 0; round < 1000 && failed_rounds < 3; ++round) {
    std::vector<std::pair<std::string, Future<WriteMessagesResult>>> inflight;
    for (const std::string& id : ids) {
      if (unknown[id]) continue;
      inflight.emplace_back(
          id, driver.WriteAsync({Write(id, acknowledged[id] + 1, kPerWrite)}));
    }
    bool any_failed = false;
    for (auto& [id, f] : inflight) {
      ASSERT_TRUE(f.WaitFor(kHang)) << "a write hangs after the crash";
      const WriteMessagesResult& r = f.Get();
      if (r.status.ok() && r.results.size() == 1 && r.results[0].ok()) {
        acknowledged[id] += kPerWrite;
      } else {
        unknown[id] = true;
        any_failed = true;
      }
    }
    if (any_failed) ++failed_rounds;
    if (inflight.empty()) break;
  }
  killer.join();
  int64_t total = 0;
  for (auto& [id, highest] : acknowledged) total += highest;
  EXPECT_GT(total, 0) << "nothing was written before the crash";
  std::cout << "acknowledged before the crash: " << total << " events of "
            << kIds << " ids\n";

  // The server is down: requests fail quickly, and after max-failures the
  // breaker opens and fails them at once.
  bool breaker_opened = false;
  for (int i = 0; i < 20 && !breaker_opened; ++i) {
    const auto start = Clock::now();
    absl::Status s =
        driver.Write({Write(absl::StrCat("probe-down-", i), 1, 1)});
    EXPECT_FALSE(s.ok());
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(3)) << s;
    breaker_opened = absl::StrContains(s.message(), "circuit breaker is open");
  }
  EXPECT_TRUE(breaker_opened) << "the circuit breaker never opened";

  // Back again: the connection comes back by itself and the breaker closes
  // after reset-timeout (its half-open trial succeeds).
  ASSERT_TRUE(server.Restart().ok());
  const auto back = Clock::now();
  absl::Status last;
  for (int i = 0; Clock::now() - back < std::chrono::seconds(15); ++i) {
    last = driver.Write({Write(absl::StrCat("probe-up-", i), 1, 1)});
    if (last.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(last.ok()) << "no write succeeded after the restart: " << last;
  EXPECT_TRUE(driver.Write({Write("probe-after", 1, 1)}).ok())
      << "the breaker is closed again";

  // Every acknowledged event is there, and every stored atomic write is
  // whole: three events, starting at 1 + 3k.
  RawRedisClient raw(server);
  const KeySpace keys("persistence:");
  for (const std::string& id : ids) {
    absl::StatusOr<std::vector<std::string>> stored = raw.Strings(
        {"ZRANGEBYSCORE", keys.Events(id), "-inf", "+inf", "WITHSCORES"});
    ASSERT_TRUE(stored.ok()) << stored.status();
    std::vector<int64_t> seqs;
    for (size_t i = 1; i < stored->size(); i += 2)
      seqs.push_back(std::stoll((*stored)[i]));
    ASSERT_GE(static_cast<int64_t>(seqs.size()), acknowledged[id])
        << id << " lost events";
    for (size_t i = 0; i < seqs.size(); ++i) {
      ASSERT_EQ(seqs[i], static_cast<int64_t>(i) + 1)
          << id << ": a gap or a duplicate";
    }
    EXPECT_EQ(seqs.size() % kPerWrite, 0u)
        << id << ": an atomic write is half-present";
    EXPECT_LE(static_cast<int64_t>(seqs.size()), acknowledged[id] + kPerWrite)
        << id << ": more than the one unacknowledged write";
    EXPECT_EQ(raw.Run({"GET", keys.Highest(id)}).value(),
              absl::StrCat(seqs.size()));
    // And the journal replays exactly that.
    absl::StatusOr<std::vector<int64_t>> replayed = driver.Replay(id);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    EXPECT_EQ(*replayed, seqs);
  }
}

// --- A server that stops answering ---

TEST(RedisHangTest, PausedServerFailsRequestsWithinTheTimeoutAndRecovers) {
  auto started = RedisServer::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  RedisServer& server = **started;
  RedisJournal journal(
      Section(server,
              "persistence.journal.redis { command-timeout = 300ms, "
              "reconnect-max-backoff = 100ms, connections = 1 }\n"),
      "j");
  ASSERT_TRUE(journal.Start().ok());
  ASSERT_TRUE(journal.AsyncWriteMessages({Write("hang", 1, 1)}).Get().ok());

  ASSERT_TRUE(server.Pause().ok());
  // Several requests in flight at once: the oldest times out, the rest fail
  // with it (their outcome is unknown), all within the timeout.
  const auto start = Clock::now();
  auto write = journal.AsyncWriteMessages({Write("hang", 2, 1)});
  auto highest = journal.AsyncReadHighestSequenceNr("hang", 0);
  auto replay = journal.AsyncReplayMessages("hang", 1, kInf, kInf,
                                            [](const PersistentRepr&) {});
  ASSERT_TRUE(write.WaitFor(std::chrono::seconds(5)));
  ASSERT_TRUE(highest.WaitFor(std::chrono::seconds(5)));
  ASSERT_TRUE(replay.WaitFor(std::chrono::seconds(5)));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(write.Get().status().code(), absl::StatusCode::kDeadlineExceeded)
      << write.Get().status();
  EXPECT_THAT(write.Get().status().message(), HasSubstr("command-timeout"));
  EXPECT_THAT(write.Get().status().message(),
              HasSubstr("persistence id 'hang'"));
  EXPECT_FALSE(highest.Get().ok());
  EXPECT_FALSE(replay.Get().ok());
  EXPECT_THAT(replay.Get().message(),
              HasSubstr("persistence id 'hang' at sequence number 1"));
  // While it reconnects, requests fail at once.
  const auto fast = Clock::now();
  EXPECT_FALSE(journal.AsyncReadHighestSequenceNr("hang", 0).Get().ok());
  EXPECT_LT(Clock::now() - fast, std::chrono::seconds(1));

  ASSERT_TRUE(server.Resume().ok());
  absl::StatusOr<int64_t> h;
  for (int i = 0; i < 100; ++i) {
    h = journal.AsyncReadHighestSequenceNr("hang", 0).Get();
    if (h.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(h.ok()) << "never reconnected: " << h.status();
  // The timed-out write may or may not have been applied (the server ran
  // it after SIGCONT); either way the log is whole.
  EXPECT_GE(*h, 1);
  EXPECT_LE(*h, 2);
}

TEST(RedisHangTest, StoppingThePluginCancelsRequestsInFlight) {
  auto started = RedisServer::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  auto journal = std::make_unique<RedisJournal>(
      Section(**started, "persistence.journal.redis.command-timeout = 30s\n"),
      "j");
  ASSERT_TRUE(journal->Start().ok());
  ASSERT_TRUE((*started)->Pause().ok());
  auto write = journal->AsyncWriteMessages({Write("cancel", 1, 1)});
  journal.reset();
  ASSERT_TRUE(write.IsReady());
  EXPECT_EQ(write.Get().status().code(), absl::StatusCode::kCancelled)
      << write.Get().status();
  ASSERT_TRUE((*started)->Resume().ok());
}

// --- Data the backend did not write ---

class RedisBadDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = RedisServer::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    journal_ = std::make_unique<RedisJournal>(Section(*server_, ""), "j");
    ASSERT_TRUE(journal_->Start().ok());
    raw_ = std::make_unique<RawRedisClient>(*server_);
  }

  absl::Status Replay(const std::string& id, std::vector<int64_t>* seqs) {
    return journal_
        ->AsyncReplayMessages(
            id, 1, kInf, kInf,
            [seqs](const PersistentRepr& e) { seqs->push_back(e.sequence_nr); })
        .Get();
  }

  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<RedisJournal> journal_;
  std::unique_ptr<RawRedisClient> raw_;
  const KeySpace keys_{"persistence:"};
};

TEST_F(RedisBadDataTest, GarbageEventNamesIdAndSequenceNumber) {
  ASSERT_TRUE(journal_->AsyncWriteMessages({Write("bad", 1, 5)}).Get().ok());
  ASSERT_TRUE(
      raw_->Run({"ZREMRANGEBYSCORE", keys_.Events("bad"), "3", "3"}).ok());
  ASSERT_TRUE(raw_->Run({"ZADD", keys_.Events("bad"), "3", "garbage"}).ok());
  std::vector<int64_t> seqs;
  absl::Status s = Replay("bad", &seqs);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(),
              HasSubstr("persistence id 'bad' at sequence number 3"));
  EXPECT_EQ(seqs, (std::vector<int64_t>{1, 2}))
      << "events before the bad one arrive";
}

TEST_F(RedisBadDataTest, ScoreThatIsNotASequenceNumber) {
  ASSERT_TRUE(journal_->AsyncWriteMessages({Write("score", 1, 2)}).Get().ok());
  ASSERT_TRUE(
      raw_->Run({"ZADD", keys_.Events("score"), "2.5", "intruder"}).ok());
  std::vector<int64_t> seqs;
  absl::Status s = Replay("score", &seqs);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), HasSubstr("persistence id 'score'"));
  EXPECT_THAT(s.message(), HasSubstr("after sequence number 2"));
}

TEST_F(RedisBadDataTest, KeyOfTheWrongType) {
  ASSERT_TRUE(raw_->Run({"SET", keys_.Events("wrongtype"),
                         "a string, not a sorted set"})
                  .ok());
  std::vector<int64_t> seqs;
  absl::Status s = Replay("wrongtype", &seqs);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(),
              HasSubstr("persistence id 'wrongtype' at sequence number 1"));
  EXPECT_THAT(s.message(), HasSubstr("WRONGTYPE"));
  // A write fails too, and stores nothing (not even the highest).
  absl::StatusOr<WriteResults> w =
      journal_->AsyncWriteMessages({Write("wrongtype", 1, 2)}).Get();
  EXPECT_EQ(w.status().code(), absl::StatusCode::kFailedPrecondition)
      << w.status();
  EXPECT_THAT(w.status().message(),
              HasSubstr("persistence id 'wrongtype', sequence numbers 1..2"));
  EXPECT_EQ(raw_->Run({"EXISTS", keys_.Highest("wrongtype")}).value(), "0");
}

TEST_F(RedisBadDataTest, HighestThatIsNotANumber) {
  ASSERT_TRUE(raw_->Run({"SET", keys_.Highest("nan"), "twelve"}).ok());
  absl::StatusOr<int64_t> h =
      journal_->AsyncReadHighestSequenceNr("nan", 0).Get();
  EXPECT_EQ(h.status().code(), absl::StatusCode::kDataLoss) << h.status();
  EXPECT_THAT(h.status().message(), HasSubstr("persistence id 'nan'"));
  absl::StatusOr<WriteResults> w =
      journal_->AsyncWriteMessages({Write("nan", 1, 1)}).Get();
  EXPECT_EQ(w.status().code(), absl::StatusCode::kDataLoss) << w.status();
  EXPECT_THAT(w.status().message(),
              HasSubstr("persistence id 'nan', sequence numbers 1..1"));
  ASSERT_TRUE(raw_->Run({"DEL", keys_.Highest("nan")}).ok());
  ASSERT_TRUE(raw_->Run({"RPUSH", keys_.Highest("nan"), "x"}).ok());
  h = journal_->AsyncReadHighestSequenceNr("nan", 0).Get();
  EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition)
      << h.status();
  EXPECT_THAT(h.status().message(), HasSubstr("persistence id 'nan'"));
}

}  // namespace
}  // namespace persistence::redis
