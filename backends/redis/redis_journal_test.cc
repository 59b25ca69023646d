// Copyright 2026 The eventpersist Authors.
//
// Tests of the Redis plugins beyond the compatibility kit, driven directly
// (no actor runtime) against a redis-server of their own: the key layout
// (hash tags, ids that must not collide), sequence numbers above 2^53,
// stale writers, paged replays, NOSCRIPT fallback, unix sockets, config,
// and the snapshot store's server-side selection and decode fallback.
#include "backends/redis/redis_journal.h"

#include <hiredis/hiredis.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/redis/internal/data_model.h"
#include "backends/redis/testing/redis_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/api/burst.h"
#include "persistence/api/codec.h"
#include "persistence/api/reference_conf.h"

namespace persistence::redis {
namespace {

using internal::HashTag;
using internal::KeySpace;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::RawRedisClient;
using testing::RedisServer;
using testing::RedisServerOptions;

constexpr int64_t kInf = kMaxSequenceNr;

// The part of `key` Redis Cluster hashes: between the first '{' and the
// first '}' after it, when that is not empty; else the whole key.
std::string ClusterHashPart(const std::string& key) {
  const size_t open = key.find('{');
  if (open == std::string::npos) return key;
  const size_t close = key.find('}', open + 1);
  if (close == std::string::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

PersistentRepr Event(const std::string& id, int64_t seq,
                     const std::string& payload) {
  PersistentRepr e;
  e.persistence_id = id;
  e.sequence_nr = seq;
  e.payload = Payload::Of(payload);
  e.writer_uuid = "writer";
  return e;
}

AtomicWrite Write(const std::string& id, int64_t first, int64_t count,
                  const std::string& tag = "e") {
  std::vector<PersistentRepr> events;
  for (int64_t s = first; s < first + count; ++s) {
    events.push_back(Event(id, s, absl::StrCat(tag, "-", s)));
  }
  return *AtomicWrite::Make(std::move(events));
}

std::vector<int64_t> Seqs(const std::vector<PersistentRepr>& events) {
  std::vector<int64_t> out;
  for (const PersistentRepr& e : events) out.push_back(e.sequence_nr);
  return out;
}

class RedisPluginTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<RedisServer>> server =
        RedisServer::Start({.unix_socket = true});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // Config loads the server's overlay, `extra` and every reference.conf.
  static Config Loaded(const std::string& extra) {
    absl::StatusOr<Config> config =
        LoadConfigFromString(server_->HoconOverlay() + extra, "test");
    EXPECT_TRUE(config.ok()) << config.status();
    return config.ok() ? *config : Config();
  }

  static std::unique_ptr<RedisJournal> StartJournal(
      const std::string& extra = "") {
    auto journal = std::make_unique<RedisJournal>(
        *Loaded(extra).GetConfig("persistence.journal.redis"),
        "persistence.journal.redis");
    absl::Status started = journal->Start();
    EXPECT_TRUE(started.ok()) << started;
    return journal;
  }

  static std::unique_ptr<RedisSnapshotStore> StartStore(
      const std::string& extra = "") {
    auto store = std::make_unique<RedisSnapshotStore>(
        *Loaded(extra).GetConfig("persistence.snapshot-store.redis"),
        "persistence.snapshot-store.redis");
    absl::Status started = store->Start();
    EXPECT_TRUE(started.ok()) << started;
    return store;
  }

  static absl::StatusOr<WriteResults> WriteAll(
      RedisJournal& journal, std::vector<AtomicWrite> writes) {
    return journal.AsyncWriteMessages(std::move(writes)).Get();
  }

  static std::vector<PersistentRepr> Replay(RedisJournal& journal,
                                            const std::string& id, int64_t from,
                                            int64_t to, int64_t max,
                                            absl::Status* status = nullptr) {
    std::vector<PersistentRepr> events;
    absl::Status s = journal
                         .AsyncReplayMessages(id, from, to, max,
                                              [&](const PersistentRepr& e) {
                                                events.push_back(e);
                                              })
                         .Get();
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s;
    }
    return events;
  }

  static std::string Id(const std::string& stem) {
    static int counter = 0;
    return absl::StrCat(
        stem, "-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-",
        ++counter);
  }

  static RedisServer* server_;
};

RedisServer* RedisPluginTest::server_ = nullptr;

TEST(HashTagTest, EveryKeyOfOneIdSharesOneTagAndIdsNeverShareOne) {
  const KeySpace keys("persistence:");
  const std::vector<std::string> ids = {"a",
                                        "a:b",
                                        "a}b",
                                        "{a}",
                                        "}",
                                        "{",
                                        "%",
                                        "%7D",
                                        "%25",
                                        "",
                                        std::string("x\0y", 3),
                                        "x",
                                        std::string("bin\0\xff\x01}", 7),
                                        "a:{b}:c"};
  std::set<std::string> tags;
  for (const std::string& id : ids) {
    const std::string tag = ClusterHashPart(keys.Events(id));
    EXPECT_FALSE(tag.empty());
    EXPECT_EQ(tag, HashTag(id)) << "the tag must be the whole escaped id";
    for (const std::string& key :
         {keys.Highest(id), keys.SnapshotIndex(id), keys.SnapshotRecords(id),
          keys.SnapshotTimestamps(id)}) {
      EXPECT_EQ(ClusterHashPart(key), tag) << "key of '" << id << "'";
    }
    EXPECT_TRUE(tags.insert(tag).second) << "two ids share the tag " << tag;
  }
}

TEST_F(RedisPluginTest, IdsThatLookAlikeNeverSeeEachOthersEvents) {
  auto journal = StartJournal();
  const std::string base = Id("look");
  const std::vector<std::string> ids = {base,
                                        base + ":b",
                                        base + "}b",
                                        "{" + base + "}",
                                        base + "%7D",
                                        base + "}",
                                        base + "%",
                                        base + "%25",
                                        base + std::string("\0z", 2),
                                        std::string("\xff\xfe", 2) + base};
  for (size_t i = 0; i < ids.size(); ++i) {
    absl::StatusOr<WriteResults> r = WriteAll(
        *journal,
        {Write(ids[i], 1, static_cast<int64_t>(i) + 1, absl::StrCat("id", i))});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    std::vector<PersistentRepr> events =
        Replay(*journal, ids[i], 1, kInf, kInf);
    ASSERT_EQ(events.size(), i + 1) << "id #" << i;
    for (const PersistentRepr& e : events) {
      EXPECT_EQ(e.persistence_id, ids[i]);
      EXPECT_EQ(*e.payload.As<std::string>(),
                absl::StrCat("id", i, "-", e.sequence_nr));
    }
    EXPECT_EQ(journal->AsyncReadHighestSequenceNr(ids[i], 0).Get().value(),
              static_cast<int64_t>(i) + 1);
  }
}

TEST_F(RedisPluginTest, SequenceNumbersAbove2To53AreRejectedNotRounded) {
  auto journal = StartJournal();
  const std::string id = Id("big");
  const int64_t top = internal::kMaxStoredSequenceNr;
  absl::StatusOr<WriteResults> r =
      WriteAll(*journal, {Write(id, top - 1, 2), Write(id, top + 1, 1)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)[0].ok()) << (*r)[0];
  EXPECT_EQ((*r)[1].code(), absl::StatusCode::kOutOfRange) << (*r)[1];
  EXPECT_THAT((*r)[1].message(), HasSubstr("2^53"));
  EXPECT_THAT(Seqs(Replay(*journal, id, 1, kInf, kInf)),
              ElementsAre(top - 1, top));
  EXPECT_EQ(journal->AsyncReadHighestSequenceNr(id, 0).Get().value(), top);
  // Bounds above 2^53 still work ("+inf").
  EXPECT_THAT(Seqs(Replay(*journal, id, top, kInf - 1, kInf)),
              ElementsAre(top));
}

TEST_F(RedisPluginTest, StaleWriterFailsTheCallAndStoresNothing) {
  auto journal = StartJournal();
  const std::string id = Id("stale");
  ASSERT_TRUE(WriteAll(*journal, {Write(id, 1, 5)}).ok());
  // A call whose first write is stale, with a fresh one after it.
  absl::StatusOr<WriteResults> r =
      WriteAll(*journal, {Write(id, 5, 2, "old"), Write(id, 7, 1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition)
      << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(id));
  EXPECT_THAT(r.status().message(), HasSubstr("5 is already stored"));
  EXPECT_THAT(Seqs(Replay(*journal, id, 1, kInf, kInf)),
              ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(journal->AsyncReadHighestSequenceNr(id, 0).Get().value(), 5);
  // Stale after a delete too: the highest survives it.
  ASSERT_TRUE(journal->AsyncDeleteMessagesTo(id, kInf).Get().ok());
  EXPECT_FALSE(WriteAll(*journal, {Write(id, 3, 1)}).ok());
  EXPECT_TRUE(WriteAll(*journal, {Write(id, 6, 1)}).ok());
  EXPECT_THAT(Seqs(Replay(*journal, id, 1, kInf, kInf)), ElementsAre(6));
}

TEST_F(RedisPluginTest, OutOfOrderWritesInOneCallAreRefusedBeforeSending) {
  auto journal = StartJournal();
  const std::string id = Id("order");
  absl::StatusOr<WriteResults> r =
      WriteAll(*journal, {Write(id, 3, 1), Write(id, 2, 1)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
      << r.status();
  EXPECT_THAT(Replay(*journal, id, 1, kInf, kInf), ::testing::IsEmpty());
}

TEST_F(RedisPluginTest, SeveralIdsInOneCall) {
  auto journal = StartJournal();
  const std::string a = Id("multi-a"), b = Id("multi-b");
  absl::StatusOr<WriteResults> r = WriteAll(
      *journal,
      {Write(a, 1, 2), Write(b, 1, 1), Write(a, 3, 1), Write(b, 2, 3)});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_THAT(Seqs(Replay(*journal, a, 1, kInf, kInf)), ElementsAre(1, 2, 3));
  EXPECT_THAT(Seqs(Replay(*journal, b, 1, kInf, kInf)),
              ElementsAre(1, 2, 3, 4));
}

TEST_F(RedisPluginTest, WritesOfABurstGoOutWhenItEnds) {
  auto journal = StartJournal();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(Id("burst"));
  std::vector<Future<absl::StatusOr<WriteResults>>> writes;
  std::thread dispatcher([&] {
    // As on a dispatcher thread of the runtime: the writes wait for the
    // burst's end, then go out together.
    BurstThread burst;
    for (const std::string& id : ids) {
      writes.push_back(journal->AsyncWriteMessages({Write(id, 1, 1)}));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (auto& w : writes) {
      EXPECT_FALSE(w.IsReady()) << "a write went out before the burst ended";
    }
    // A read is not deferred (a caller may wait for it on this thread),
    // and takes what waited with it.
    std::vector<PersistentRepr> read = Replay(*journal, ids[0], 1, kInf, kInf);
    EXPECT_THAT(Seqs(read), ElementsAre(1));
    BurstThread::EndBurst();
  });
  dispatcher.join();
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE(writes[i].Get().ok()) << writes[i].Get().status();
    EXPECT_THAT(Seqs(Replay(*journal, ids[i], 1, kInf, kInf)), ElementsAre(1));
  }
  // Outside a burst a write goes out at once.
  absl::StatusOr<WriteResults> at_once =
      WriteAll(*journal, {Write(ids[0], 2, 1)});
  EXPECT_TRUE(at_once.ok()) << at_once.status();
}

TEST_F(RedisPluginTest, ReplayPagesMatchAPlainModel) {
  // Tiny pages and a tiny byte budget, events of mixed sizes, and a
  // deleted prefix: every (from, to, max) must match the plain answer.
  auto journal = StartJournal(
      "persistence.journal.redis { replay-page-size = 7, replay-page-bytes = "
      "2048 }\n");
  const std::string id = Id("pages");
  std::vector<AtomicWrite> writes;
  for (int s = 1; s <= 120; ++s) {
    writes.push_back(*AtomicWrite::Make(
        {Event(id, s,
               std::string(s % 10 == 0 ? 3000 : 10,
                           static_cast<char>('a' + s % 26)))}));
  }
  ASSERT_TRUE(WriteAll(*journal, std::move(writes)).ok());
  ASSERT_TRUE(journal->AsyncDeleteMessagesTo(id, 9).Get().ok());
  for (int64_t from : std::vector<int64_t>{-1, 0, 1, 9, 10, 11, 50, 120, 121}) {
    for (int64_t to :
         std::vector<int64_t>{0, 10, 17, 64, 119, 120, 500, kInf}) {
      for (int64_t max : std::vector<int64_t>{0, 1, 6, 7, 8, 50, 1000, kInf}) {
        std::vector<int64_t> expected;
        if (from < 0) {
          for (int64_t s = std::min<int64_t>(to, 120);
               s >= 10 && static_cast<int64_t>(expected.size()) < max; --s) {
            expected.insert(expected.begin(), s);
          }
        } else {
          for (int64_t s = std::max<int64_t>(from, 10);
               s <= std::min<int64_t>(to, 120) &&
               static_cast<int64_t>(expected.size()) < max;
               ++s) {
            expected.push_back(s);
          }
        }
        std::vector<PersistentRepr> events =
            Replay(*journal, id, from, to, max);
        ASSERT_THAT(Seqs(events), ElementsAreArray(expected))
            << "from " << from << " to " << to << " max " << max;
      }
    }
  }
}

TEST_F(RedisPluginTest, ScriptCacheFlushFallsBackToEval) {
  auto journal = StartJournal();
  const std::string id = Id("noscript");
  ASSERT_TRUE(WriteAll(*journal, {Write(id, 1, 1)}).ok());
  RawRedisClient raw(*server_);
  ASSERT_TRUE(raw.Run({"SCRIPT", "FLUSH"}).ok());
  absl::StatusOr<WriteResults> r = WriteAll(*journal, {Write(id, 2, 2)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Seqs(Replay(*journal, id, 1, kInf, kInf)), ElementsAre(1, 2, 3));
  // The EVAL put the script back in the cache: EVALSHA works again.
  ASSERT_TRUE(WriteAll(*journal, {Write(id, 4, 1)}).ok());
}

TEST_F(RedisPluginTest, UnixSocket) {
  auto journal = StartJournal(absl::StrCat(
      "persistence.journal.redis.unix-socket = \"", server_->unix_socket(),
      "\"\n", "persistence.journal.redis.port = 1\n"));
  const std::string id = Id("unix");
  ASSERT_TRUE(WriteAll(*journal, {Write(id, 1, 3)}).ok());
  EXPECT_THAT(Seqs(Replay(*journal, id, 1, kInf, kInf)), ElementsAre(1, 2, 3));
}

TEST_F(RedisPluginTest, SnapshotStoreTakesTheJournalsConnectionSettings) {
  Config config = Loaded("persistence.journal.redis.database = 3\n");
  EXPECT_EQ(config.GetInt("persistence.snapshot-store.redis.port").value(),
            server_->port());
  EXPECT_EQ(config.GetInt("persistence.snapshot-store.redis.database").value(),
            3);
  // The store writes where the journal's settings say: database 3.
  auto store = StartStore("persistence.journal.redis.database = 3\n");
  SnapshotMetadata m;
  m.persistence_id = Id("db3");
  m.sequence_nr = 1;
  m.timestamp = 1;
  ASSERT_TRUE(store->SaveAsync(m, Payload::Of(std::string("s"))).Get().ok());
  RawRedisClient raw(*server_);
  ASSERT_TRUE(raw.Run({"SELECT", "3"}).ok());
  EXPECT_EQ(
      raw.Run({"EXISTS",
               KeySpace("persistence:").SnapshotRecords(m.persistence_id)})
          .value(),
      "1");
}

TEST_F(RedisPluginTest, BadConfigFailsStartNamingTheKey) {
  Config config = Loaded("persistence.journal.redis.key-prefix = \"a{b\"\n");
  RedisJournal journal(*config.GetConfig("persistence.journal.redis"),
                       "persistence.journal.redis");
  absl::Status s = journal.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("persistence.journal.redis.key-prefix"));
  // Calls before a successful start fail; they never crash.
  EXPECT_EQ(journal.AsyncReadHighestSequenceNr("x", 0).Get().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// --- Snapshot store ---

SnapshotMetadata Meta(const std::string& id, int64_t seq, int64_t ts) {
  SnapshotMetadata m;
  m.persistence_id = id;
  m.sequence_nr = seq;
  m.timestamp = ts;
  return m;
}

TEST_F(RedisPluginTest, SnapshotSelectionWalksManySnapshotsOnTheServer) {
  auto store = StartStore();
  const std::string id = Id("many-snapshots");
  // 300 snapshots; timestamps go down as sequence numbers go up past 100,
  // so a timestamp bound skips the youngest 200 (several script chunks).
  for (int64_t s = 1; s <= 300; ++s) {
    const int64_t ts = s <= 100 ? 1000 + s : 10000 - s;
    ASSERT_TRUE(
        store->SaveAsync(Meta(id, s, ts), Payload::Of(absl::StrCat("s", s)))
            .Get()
            .ok());
  }
  SnapshotSelectionCriteria c;
  c.max_timestamp = 1100;
  LoadResult r = store->LoadAsync(id, c).Get();
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status();
  EXPECT_EQ((*r)->metadata.sequence_nr, 100);
  EXPECT_EQ(*(*r)->snapshot.As<std::string>(), "s100");
  c.min_sequence_nr = 101;
  r = store->LoadAsync(id, c).Get();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  // Delete everything up to 299 with timestamps >= 9702 (seq <= 298): more
  // than one chunk of the delete script.
  SnapshotSelectionCriteria d;
  d.max_sequence_nr = 299;
  d.min_timestamp = 9702;
  ASSERT_TRUE(store->DeleteAsync(id, d).Get().ok());
  RawRedisClient raw(*server_);
  EXPECT_EQ(
      raw.Run({"ZCARD", KeySpace("persistence:").SnapshotIndex(id)}).value(),
      "102");
  r = store->LoadAsync(id, SnapshotSelectionCriteria::Latest()).Get();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->metadata.sequence_nr, 300);
  SnapshotSelectionCriteria below;
  below.max_sequence_nr = 299;
  r = store->LoadAsync(id, below).Get();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->metadata.sequence_nr, 299);
  below.max_sequence_nr = 298;
  r = store->LoadAsync(id, below).Get();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->metadata.sequence_nr, 100);
}

TEST_F(RedisPluginTest, UndecodableSnapshotGivesWayToTheNextOlder) {
  auto store = StartStore();
  const std::string id = Id("broken-snapshot");
  for (int64_t s = 1; s <= 3; ++s) {
    ASSERT_TRUE(
        store
            ->SaveAsync(Meta(id, s, 100 + s), Payload::Of(absl::StrCat("s", s)))
            .Get()
            .ok());
  }
  RawRedisClient raw(*server_);
  ASSERT_TRUE(raw.Run({"HSET", KeySpace("persistence:").SnapshotRecords(id),
                       "3", "garbage"})
                  .ok());
  LoadResult r =
      store->LoadAsync(id, SnapshotSelectionCriteria::Latest()).Get();
  ASSERT_TRUE(r.ok() && r->has_value()) << r.status();
  EXPECT_EQ((*r)->metadata.sequence_nr, 2);
  // With one attempt only, the load fails and names the id.
  auto strict =
      StartStore("persistence.snapshot-store.redis.max-load-attempts = 1\n");
  r = strict->LoadAsync(id, SnapshotSelectionCriteria::Latest()).Get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr(id));
}

TEST_F(RedisPluginTest, SnapshotSequenceNumbersAbove2To53AreRefused) {
  auto store = StartStore();
  absl::Status s =
      store
          ->SaveAsync(Meta(Id("big"), internal::kMaxStoredSequenceNr + 1, 1),
                      Payload::Of(std::string("x")))
          .Get();
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;
}

}  // namespace
}  // namespace persistence::redis
