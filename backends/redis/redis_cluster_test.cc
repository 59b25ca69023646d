// Copyright 2026 The eventpersist Authors.
//
// The Redis backend against real local Redis Clusters (3 masters, 3
// replicas, testing/redis_cluster.h): start-up errors that name the nodes,
// a slot moved while its id keeps writing (nothing lost, doubled or
// reordered), a master killed while its ids write (every request ends
// within its timeout, the circuit breaker opens and closes, writes go on
// on the new master within a bound), and wait-replicas keeping every
// acknowledged event through a fail-over.
#include "backends/redis/testing/redis_cluster.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "backends/redis/internal/cluster.h"
#include "backends/redis/redis_journal.h"
#include "backends/redis/testing/journal_driver.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/api/reference_conf.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/persistence.h"

namespace persistence::redis {
namespace {

using internal::SlotOf;
using ::testing::HasSubstr;
using testing::JournalDriver;
using testing::OneEvent;
using testing::RedisCluster;
using testing::RedisServer;
using testing::RedisServerOptions;
using testing::ReplayAll;
using Clock = std::chrono::steady_clock;

Config Section(const std::string& text) {
  absl::StatusOr<Config> config = LoadConfigFromString(text, "cluster-test");
  EXPECT_TRUE(config.ok()) << config.status();
  return *config->GetConfig("persistence.journal.redis");
}

absl::Status StartStatus(const std::string& text) {
  RedisJournal journal(Section(text), "persistence.journal.redis");
  return journal.Start();
}

// IdsServedBy finds `count` ids "<stem>-N" whose slots `master` serves.
std::vector<std::string> IdsServedBy(RedisCluster& cluster, RedisServer* master,
                                     const std::string& stem, int count) {
  std::vector<std::string> ids;
  std::map<uint16_t, bool> served;
  for (int n = 0; static_cast<int>(ids.size()) < count && n < 100000; ++n) {
    std::string id = absl::StrCat(stem, "-", n);
    const uint16_t slot = SlotOf(id);
    if (!served.count(slot)) {
      absl::StatusOr<RedisServer*> owner = cluster.MasterOf(slot);
      served[slot] = owner.ok() && *owner == master;
    }
    if (served[slot]) ids.push_back(std::move(id));
  }
  return ids;
}

// WaitForNewMaster waits until the nodes name a master for `slot` other
// than `old`.
absl::StatusOr<RedisServer*> WaitForNewMaster(RedisCluster& cluster,
                                              uint16_t slot, RedisServer* old,
                                              std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    absl::StatusOr<RedisServer*> owner = cluster.MasterOf(slot);
    if (owner.ok() && *owner != old) return owner;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError("no replica took over");
}

// --- Bad input gets a clear error naming the nodes ---

TEST(RedisClusterStartTest, NoSeedReachableNamesEverySeed) {
  absl::Status s = StartStatus(
      "persistence.journal.redis { cluster-nodes = [\"127.0.0.1:1\", "
      "\"127.0.0.1:2\"], connect-timeout = 500ms }\n");
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("cluster-nodes"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("127.0.0.1:2"));
}

TEST(RedisClusterStartTest, SeedNotInClusterModeSaysSo) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::Status s =
      StartStatus(absl::StrCat("persistence.journal.redis.cluster-nodes = [\"",
                               (*server)->address(), "\"]\n"));
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr((*server)->address()));
  EXPECT_THAT(std::string(s.message()), HasSubstr("not in cluster mode"));
}

TEST(RedisClusterStartTest, ClusterStateFailNamesTheNode) {
  // A cluster node that belongs to no cluster yet serves no slot.
  RedisServerOptions options;
  options.cluster = true;
  auto node = RedisServer::Start(options);
  ASSERT_TRUE(node.ok()) << node.status();
  absl::Status s =
      StartStatus(absl::StrCat("persistence.journal.redis.cluster-nodes = [\"",
                               (*node)->address(), "\"]\n"));
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()),
              HasSubstr(absl::StrCat((*node)->address(),
                                     " reports cluster_state:fail")));
}

TEST(RedisClusterStartTest, BadClusterConfigNamesTheKey) {
  const std::string seeds =
      "persistence.journal.redis.cluster-nodes = [\"127.0.0.1:7000\"]\n";
  absl::Status prefix =
      StartStatus(seeds + "persistence.journal.redis.key-prefix = \"a{b\"\n");
  EXPECT_THAT(std::string(prefix.message()),
              HasSubstr("persistence.journal.redis.key-prefix"));
  absl::Status database =
      StartStatus(seeds + "persistence.journal.redis.database = 2\n");
  EXPECT_THAT(std::string(database.message()),
              HasSubstr("persistence.journal.redis.database"));
  absl::Status node =
      StartStatus("persistence.journal.redis.cluster-nodes = [\"no-port\"]\n");
  EXPECT_THAT(std::string(node.message()),
              HasSubstr("persistence.journal.redis.cluster-nodes"));
  absl::Status wait =
      StartStatus(seeds +
                  "persistence.journal.redis { wait-replicas = 1, wait-timeout "
                  "= 10s, command-timeout = 5s }\n");
  EXPECT_THAT(std::string(wait.message()),
              HasSubstr("persistence.journal.redis.wait-timeout"));
}

// --- Resharding while an id writes ---

TEST(RedisClusterReshardTest,
     MovingTheSlotOfAWritingIdLosesAndReordersNothing) {
  auto started = RedisCluster::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  RedisCluster& cluster = **started;
  RedisJournal journal(Section(cluster.HoconOverlay()),
                       "persistence.journal.redis");
  ASSERT_TRUE(journal.Start().ok());

  const std::string id = "resharded-account";
  const uint16_t slot = SlotOf(id);
  absl::StatusOr<RedisServer*> from = cluster.MasterOf(slot);
  ASSERT_TRUE(from.ok()) << from.status();
  RedisServer* to = nullptr;
  for (RedisServer* m : cluster.Masters()) {
    if (m != *from) to = m;
  }
  ASSERT_NE(to, nullptr);

  // The writer keeps four writes of the id in flight, one event each.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> written{0};
  std::vector<std::string> errors;
  std::thread writer([&] {
    std::deque<std::pair<int64_t, Future<absl::StatusOr<WriteResults>>>>
        inflight;
    int64_t next = 1;
    while (!stop.load() || !inflight.empty()) {
      while (!stop.load() && inflight.size() < 4) {
        inflight.emplace_back(next,
                              journal.AsyncWriteMessages({OneEvent(id, next)}));
        ++next;
      }
      auto& [seq, f] = inflight.front();
      if (!f.WaitFor(std::chrono::seconds(20))) {
        errors.push_back(absl::StrCat("write ", seq, " hangs"));
        return;
      }
      const absl::StatusOr<WriteResults>& r = f.Get();
      if (!r.ok() || !(*r)[0].ok()) {
        errors.push_back(absl::StrCat(
            "write ", seq, ": ", (r.ok() ? (*r)[0] : r.status()).ToString()));
      } else {
        written.store(seq);
      }
      inflight.pop_front();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // One key per MIGRATE, 300 ms apart: the writes meet the slot with some
  // of the id's keys moved (TRYAGAIN), all moved (ASK), then reassigned
  // (MOVED).
  absl::Status moved = cluster.MoveSlot(slot, to, 1, [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop.store(true);
  writer.join();
  ASSERT_TRUE(moved.ok()) << moved;
  EXPECT_THAT(errors, ::testing::IsEmpty());
  absl::StatusOr<RedisServer*> now = cluster.MasterOf(slot);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(*now, to) << "the slot did not move";

  absl::StatusOr<std::vector<int64_t>> replayed = ReplayAll(journal, id);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  ASSERT_EQ(static_cast<int64_t>(replayed->size()), written.load());
  for (size_t i = 0; i < replayed->size(); ++i) {
    ASSERT_EQ((*replayed)[i], static_cast<int64_t>(i) + 1)
        << "lost, doubled or reordered at " << i;
  }
  // The client really was redirected: the new master ran ASKING.
  absl::StatusOr<std::string> stats = cluster.Run(to, {"INFO", "commandstats"});
  ASSERT_TRUE(stats.ok());
  EXPECT_THAT(*stats, HasSubstr("cmdstat_asking:calls="));
  std::cout << "events written across the move: " << written.load() << "\n";
}

// --- A master dies while its ids write, through the runtime ---

TEST(RedisClusterFailoverTest,
     KilledMasterFailsRequestsInTimeBreakerOpensAndClosesWritesGoOn) {
  auto started = RedisCluster::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  RedisCluster& cluster = **started;
  absl::StatusOr<Config> config =
      LoadConfigFromString(cluster.HoconOverlay() + testing::kFailFastJournal,
                           "cluster-failover-test");
  ASSERT_TRUE(config.ok()) << config.status();
  auto system = ActorSystem::Create("failover", *config);
  ASSERT_TRUE(system.ok()) << system.status();
  absl::StatusOr<ActorRef<JournalRequest>> journal =
      (*system)->Extension<Persistence>().Journal();
  ASSERT_TRUE(journal.ok()) << journal.status();
  JournalDriver driver(*journal);

  std::vector<RedisServer*> masters = cluster.Masters();
  ASSERT_EQ(masters.size(), 3u);
  RedisServer* victim = masters[0];
  const std::vector<std::string> ids =
      IdsServedBy(cluster, victim, "failover", 200);
  ASSERT_EQ(ids.size(), 200u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(driver.Write({OneEvent(ids[i], 1)}).ok());
  }

  ASSERT_TRUE(victim->Kill().ok());
  const auto killed = Clock::now();
  // Fresh ids of the dead master's slots, one write each, until one is
  // stored on the new master. Every request ends within its deadline.
  bool breaker_opened = false;
  std::chrono::milliseconds slowest{0};
  Clock::duration resumed{};
  bool stored = false;
  for (size_t i = 10; i < ids.size() && !stored; ++i) {
    const auto start = Clock::now();
    absl::Status s = driver.Write({OneEvent(ids[i], 1)});
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        Clock::now() - start);
    slowest = std::max(slowest, took);
    EXPECT_LT(took, std::chrono::milliseconds(2500))
        << "a request outlived command-timeout and call-timeout: " << s;
    if (s.ok()) {
      stored = true;
      resumed = Clock::now() - killed;
    } else {
      breaker_opened =
          breaker_opened ||
          absl::StrContains(s.message(), "circuit breaker is open");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (Clock::now() - killed > std::chrono::seconds(30)) break;
  }
  ASSERT_TRUE(stored) << "no write succeeded within 30 s of the kill";
  EXPECT_TRUE(breaker_opened) << "the circuit breaker never opened";
  const auto resumed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(resumed).count();
  // cluster-node-timeout is 1 s: the replica takes over within a few, and
  // the breaker lets a trial through every reset-timeout (1 s).
  EXPECT_LT(resumed_ms, 10000)
      << "writes resumed only after " << resumed_ms << " ms";
  // The breaker is closed again: writes of the dead master's slots go on.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(driver.Write({OneEvent(ids[i], 2)}).ok());
  }
  absl::StatusOr<RedisServer*> now = cluster.MasterOf(SlotOf(ids[0]));
  ASSERT_TRUE(now.ok());
  EXPECT_NE(*now, victim);
  std::cout << "fail-over: writes resumed " << resumed_ms
            << " ms after the kill; the slowest request took "
            << slowest.count() << " ms\n";
}

// --- wait-replicas: no acknowledged event is lost in a fail-over ---

TEST(RedisClusterFailoverTest, WaitReplicasKeepsEveryAcknowledgedEvent) {
  auto started = RedisCluster::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  RedisCluster& cluster = **started;
  RedisJournal journal(
      Section(cluster.HoconOverlay() +
              "persistence.journal.redis { wait-replicas = 1, wait-timeout = "
              "300ms, command-timeout = 1s }\n"),
      "persistence.journal.redis");
  ASSERT_TRUE(journal.Start().ok());
  RedisServer* victim = cluster.Masters()[0];
  const std::vector<std::string> ids =
      IdsServedBy(cluster, victim, "waited", 8);
  ASSERT_EQ(ids.size(), 8u);

  std::map<std::string, int64_t> acknowledged;
  std::map<std::string, bool> unknown;
  std::thread killer([victim] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(victim->Kill().ok());
  });
  for (int round = 0; round < 100000; ++round) {
    std::vector<std::pair<std::string, Future<absl::StatusOr<WriteResults>>>>
        inflight;
    for (const std::string& id : ids) {
      if (unknown[id]) continue;
      inflight.emplace_back(
          id, journal.AsyncWriteMessages({OneEvent(id, acknowledged[id] + 1)}));
    }
    if (inflight.empty()) break;
    for (auto& [id, f] : inflight) {
      ASSERT_TRUE(f.WaitFor(std::chrono::seconds(20))) << "a write hangs";
      const absl::StatusOr<WriteResults>& r = f.Get();
      if (r.ok() && (*r)[0].ok()) {
        ++acknowledged[id];
      } else {
        unknown[id] = true;
      }
    }
  }
  killer.join();
  absl::StatusOr<RedisServer*> promoted = WaitForNewMaster(
      cluster, SlotOf(ids[0]), victim, std::chrono::seconds(20));
  ASSERT_TRUE(promoted.ok()) << promoted.status();

  int64_t total = 0;
  for (const std::string& id : ids) {
    total += acknowledged[id];
    absl::StatusOr<std::vector<int64_t>> replayed;
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    do {  // the client learns the new master within a refresh or two
      replayed = ReplayAll(journal, id);
    } while (!replayed.ok() && Clock::now() < deadline);
    ASSERT_TRUE(replayed.ok()) << replayed.status();
    ASSERT_GE(static_cast<int64_t>(replayed->size()), acknowledged[id])
        << id << ": an acknowledged event is missing after the fail-over";
    for (size_t i = 0; i < replayed->size(); ++i) {
      ASSERT_EQ((*replayed)[i], static_cast<int64_t>(i) + 1) << id;
    }
  }
  EXPECT_GT(total, 0) << "nothing was acknowledged before the kill";

  // The new master has no replica: a write is stored there but cannot be
  // confirmed, and says so instead of succeeding.
  const std::vector<std::string> lone_id =
      IdsServedBy(cluster, *promoted, "lone", 1);
  ASSERT_EQ(lone_id.size(), 1u);
  absl::StatusOr<WriteResults> lone =
      journal.AsyncWriteMessages({OneEvent(lone_id[0], 1)}).Get();
  absl::Status lone_status = lone.ok() ? (*lone)[0] : lone.status();
  EXPECT_FALSE(lone_status.ok());
  EXPECT_THAT(std::string(lone_status.message()), HasSubstr("wait-replicas"));
  std::cout << "acknowledged with wait-replicas = 1 before the kill: " << total
            << " events, all replayed after the fail-over\n";
}

}  // namespace
}  // namespace persistence::redis
