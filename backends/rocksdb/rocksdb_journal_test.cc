// Copyright 2026 The eventpersist Authors.
//
// The RocksDB journal and snapshot store, called directly (no runtime):
// storage layout faults, group commit, the stale-writer check, sharing of
// one database, corrupt records and bad data paths.
#include "backends/rocksdb/rocksdb_journal.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends/rocksdb/key_layout.h"
#include "backends/rocksdb/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/table_properties.h"

namespace persistence::rocksdb {
namespace {

using testing::Atomic;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::Event;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::JournalSection;
using testing::SnapshotStoreSection;
using testing::TempDir;

constexpr int64_t kInf = kMaxSequenceNr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

struct Replayed {
  absl::Status status;
  std::vector<int64_t> seqs;
  std::vector<std::string> payloads;
};

Replayed Replay(RocksDbJournal& journal, const std::string& id,
                int64_t from = 1, int64_t to = kInf, int64_t max = kInf) {
  Replayed r;
  r.status = journal
                 .AsyncReplayMessages(
                     id, from, to, max,
                     [&r](const PersistentRepr& e) {
                       r.seqs.push_back(e.sequence_nr);
                       const std::string* p = e.payload.As<std::string>();
                       r.payloads.push_back(p == nullptr ? "?" : *p);
                     })
                 .Get();
  return r;
}

absl::StatusOr<WriteResults> Write(RocksDbJournal& journal,
                                   std::vector<AtomicWrite> writes) {
  return journal.AsyncWriteMessages(std::move(writes)).Get();
}

int64_t Highest(RocksDbJournal& journal, const std::string& id) {
  return journal.AsyncReadHighestSequenceNr(id, 0).Get().value();
}

class RocksDbJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    path_ = dir_.path() + "/db";
    Open();
  }

  void Open(const std::string& overrides = "") {
    journal_ =
        std::make_unique<RocksDbJournal>(JournalSection(path_, overrides));
    absl::Status started = journal_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }
  void Close() { journal_.reset(); }

  // With the journal closed: RocksDB's own Put and Get on its database.
  void PutRaw(const std::string& key, const std::string& value) {
    std::unique_ptr<::rocksdb::DB> db = OpenRaw();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Put(::rocksdb::WriteOptions(), key, value).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  std::string GetRaw(const std::string& key) {
    std::unique_ptr<::rocksdb::DB> db = OpenRaw();
    std::string value;
    if (db == nullptr) return "(cannot open)";
    EXPECT_TRUE(db->Get(::rocksdb::ReadOptions(), key, &value).ok());
    EXPECT_TRUE(db->Close().ok());
    return value;
  }
  std::unique_ptr<::rocksdb::DB> OpenRaw() {
    ::rocksdb::DB* raw = nullptr;
    const DatabaseSettings settings =
        DatabaseSettings::FromConfig(JournalSection(path_)).value();
    ::rocksdb::Status s =
        ::rocksdb::DB::Open(MakeOptions(settings), path_, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::unique_ptr<::rocksdb::DB>(raw);
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<RocksDbJournal> journal_;
};

TEST_F(RocksDbJournalTest, IdsThatArePrefixesOfEachOtherDoNotCollide) {
  const std::vector<std::string> ids = {
      "a", "a:b", "ab", std::string("a\0b", 3), "\xff\xfe", "a:"};
  for (size_t i = 0; i < ids.size(); ++i) {
    absl::StatusOr<WriteResults> r =
        Write(*journal_, {Atomic(ids[i], 1, static_cast<int64_t>(i) + 1)});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    Replayed r = Replay(*journal_, ids[i]);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.seqs.size(), i + 1) << "id #" << i;
    for (const std::string& p : r.payloads)
      EXPECT_EQ(p.substr(0, p.rfind(':')), ids[i]);
    EXPECT_EQ(Highest(*journal_, ids[i]), static_cast<int64_t>(i) + 1);
  }
  // Deleting all of `a` leaves `a:b` and `ab` alone.
  ASSERT_TRUE(journal_->AsyncDeleteMessagesTo("a", kInf).Get().ok());
  EXPECT_THAT(Replay(*journal_, "a").seqs, IsEmpty());
  EXPECT_THAT(Replay(*journal_, "a:b").seqs, ElementsAre(1, 2));
  EXPECT_THAT(Replay(*journal_, "ab").seqs, ElementsAre(1, 2, 3));
}

TEST_F(RocksDbJournalTest, HighestSurvivesDeletionAndReopen) {
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 1, 3), Atomic("p", 4, 5)}).ok());
  ASSERT_TRUE(journal_->AsyncDeleteMessagesTo("p", 3).Get().ok());
  EXPECT_EQ(Highest(*journal_, "p"), 5);
  ASSERT_TRUE(journal_->AsyncDeleteMessagesTo("p", kInf).Get().ok());
  EXPECT_EQ(Highest(*journal_, "p"), 5);
  Close();
  Open();
  EXPECT_EQ(Highest(*journal_, "p"), 5);
  EXPECT_THAT(Replay(*journal_, "p").seqs, IsEmpty());
  // A writer that starts over at 1 is refused; 6 goes on.
  absl::StatusOr<WriteResults> stale = Write(*journal_, {Atomic("p", 1, 1)});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition)
      << stale.status();
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 6, 6)}).ok());
  EXPECT_THAT(Replay(*journal_, "p").seqs, ElementsAre(6));
  EXPECT_EQ(Highest(*journal_, "p"), 6);
}

TEST_F(RocksDbJournalTest, HighestIsTheLastEventOrTheHighestAtTheLastDelete) {
  // The 'h' key is written by deletes only: later events must still count.
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 1, 3)}).ok());
  ASSERT_TRUE(journal_->AsyncDeleteMessagesTo("p", 2).Get().ok());  // h = 3
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 4, 6)}).ok());
  Close();
  Open();  // no cache: read from the database
  EXPECT_EQ(Highest(*journal_, "p"), 6);
  EXPECT_EQ(Write(*journal_, {Atomic("p", 5, 5)}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // A write and a delete of everything, sent back to back (mostly one
  // group commit): the delete keeps the highest of the write before it.
  auto w = journal_->AsyncWriteMessages({Atomic("p", 7, 8)});
  auto d = journal_->AsyncDeleteMessagesTo("p", kInf);
  ASSERT_TRUE(w.Get().ok());
  ASSERT_TRUE(d.Get().ok());
  Close();
  Open();
  EXPECT_EQ(Highest(*journal_, "p"), 8);
  EXPECT_THAT(Replay(*journal_, "p").seqs, IsEmpty());
}

TEST_F(RocksDbJournalTest, ALayoutVersion1DatabaseIsUpgradedAnyOtherRefused) {
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 1, 2)}).ok());
  Close();
  PutRaw(LayoutVersionKey(), "1");
  Open();
  EXPECT_EQ(Highest(*journal_, "p"), 2);
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 3, 3)}).ok());
  Close();
  EXPECT_EQ(GetRaw(LayoutVersionKey()), kLayoutVersion);
  PutRaw(LayoutVersionKey(), "3");
  RocksDbJournal refused(JournalSection(path_, ""));
  absl::Status started = refused.Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(Message(started), HasSubstr("layout version '3'"));
}

TEST_F(RocksDbJournalTest, DeleteIsOneRangeTombstone) {
  std::vector<AtomicWrite> writes;
  for (int64_t seq = 1; seq <= 1000; ++seq)
    writes.push_back(Atomic("many", seq, seq));
  ASSERT_TRUE(Write(*journal_, std::move(writes)).ok());
  ASSERT_TRUE(journal_->AsyncDeleteMessagesTo("many", 990).Get().ok());
  EXPECT_THAT(Replay(*journal_, "many").seqs,
              ElementsAre(991, 992, 993, 994, 995, 996, 997, 998, 999, 1000));
  ::rocksdb::DB& db = journal_->database()->db();
  ASSERT_TRUE(db.Flush(::rocksdb::FlushOptions()).ok());
  ::rocksdb::TablePropertiesCollection tables;
  ASSERT_TRUE(db.GetPropertiesOfAllTables(&tables).ok());
  uint64_t range_deletions = 0, point_deletions = 0;
  for (const auto& [file, properties] : tables) {
    range_deletions += properties->num_range_deletions;
    point_deletions +=
        properties->num_deletions - properties->num_range_deletions;
  }
  EXPECT_EQ(range_deletions, 1u);
  EXPECT_EQ(point_deletions, 0u) << "no tombstone per event";
}

TEST_F(RocksDbJournalTest, ReplayOnlyLast) {
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 1, 3), Atomic("p", 4, 8)}).ok());
  EXPECT_THAT(Replay(*journal_, "p", -1, kInf, 1).seqs, ElementsAre(8));
  EXPECT_THAT(Replay(*journal_, "p", -1, kInf, 3).seqs, ElementsAre(6, 7, 8));
  EXPECT_THAT(Replay(*journal_, "p", -1, 5, 2).seqs, ElementsAre(4, 5));
  EXPECT_THAT(Replay(*journal_, "p", -1, kInf, 100).seqs,
              ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
  ASSERT_TRUE(journal_->AsyncDeleteMessagesTo("p", 6).Get().ok());
  EXPECT_THAT(Replay(*journal_, "p", -1, kInf, 5).seqs, ElementsAre(7, 8));
  EXPECT_THAT(Replay(*journal_, "p", -1, 6, 5).seqs, IsEmpty());
  EXPECT_THAT(Replay(*journal_, "never", -1, kInf, 5).seqs, IsEmpty());
}

// Unserializable is the atomic write of `id`'s events from..to whose event
// `bad` has a payload no serializer takes.
AtomicWrite Unserializable(const std::string& id, int64_t from, int64_t to,
                           int64_t bad) {
  struct NoSerializer {};
  std::vector<PersistentRepr> events;
  for (int64_t seq = from; seq <= to; ++seq) events.push_back(Event(id, seq));
  events[bad - from].payload = Payload::Of(NoSerializer{});
  return AtomicWrite::Make(std::move(events)).value();
}

TEST_F(RocksDbJournalTest, RejectedAtomicWriteLeavesNothing) {
  std::vector<AtomicWrite> writes;
  writes.push_back(Unserializable("p", 1, 3, 2));
  writes.push_back(Atomic("q", 1, 2));
  absl::StatusOr<WriteResults> r = Write(*journal_, std::move(writes));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE((*r)[1].ok());
  EXPECT_THAT(Replay(*journal_, "p").seqs, IsEmpty());
  EXPECT_EQ(Highest(*journal_, "p"), 0);
  EXPECT_THAT(Replay(*journal_, "q").seqs, ElementsAre(1, 2));
  // The rejected numbers are free again.
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 1, 3)}).ok());
  EXPECT_THAT(Replay(*journal_, "p").seqs, ElementsAre(1, 2, 3));
}

TEST_F(RocksDbJournalTest, RejectedWriteBetweenOthersLeavesTheirEventsIntact) {
  // The records of a request share one buffer: a rejected write in the
  // middle must leave the writes around it exactly as they were.
  std::vector<AtomicWrite> writes;
  writes.push_back(Atomic("a", 1, 2));
  writes.push_back(Atomic("a", 3, 3));
  writes.push_back(Unserializable("p", 1, 3, 3));
  writes.push_back(Atomic("a", 4, 5));
  absl::StatusOr<WriteResults> r = Write(*journal_, std::move(writes));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_TRUE((*r)[1].ok());
  EXPECT_EQ((*r)[2].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE((*r)[3].ok());
  Replayed a = Replay(*journal_, "a");
  EXPECT_THAT(a.seqs, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(a.payloads, ElementsAre("a:1", "a:2", "a:3", "a:4", "a:5"));
  EXPECT_THAT(Replay(*journal_, "p").seqs, IsEmpty());
}

TEST_F(RocksDbJournalTest, StaleWriterIsRefusedAndNothingOfItsCallIsStored) {
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 1, 3)}).ok());
  // One stale write fails the whole call, also its fresh write of `q`.
  absl::StatusOr<WriteResults> r =
      Write(*journal_, {Atomic("q", 1, 1), Atomic("p", 3, 4)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(r.status()), HasSubstr("'p'"));
  EXPECT_THAT(Replay(*journal_, "q").seqs, IsEmpty());
  EXPECT_THAT(Replay(*journal_, "p").seqs, ElementsAre(1, 2, 3));
  // Within one call, later writes count against earlier ones.
  r = Write(*journal_, {Atomic("p", 4, 5), Atomic("p", 5, 6)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Replay(*journal_, "p").seqs, ElementsAre(1, 2, 3));
  // Gaps are allowed (numbers of rejected writes are never stored).
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 5, 5), Atomic("p", 7, 7)}).ok());
  EXPECT_THAT(Replay(*journal_, "p").seqs, ElementsAre(1, 2, 3, 5, 7));
}

// Requests queued while the writer is busy share one group commit; a stale
// request in that group fails alone.
TEST_F(RocksDbJournalTest, OneGroupCommitRefusesOnlyTheStaleRequest) {
  ASSERT_TRUE(Write(*journal_, {Atomic("x", 1, 1)}).ok());
  const Database::CommitStats before = journal_->database()->Stats();
  // A large synced write keeps the writer busy while the others queue.
  std::vector<AtomicWrite> big;
  for (int64_t seq = 1; seq <= 64; ++seq) {
    big.push_back(
        AtomicWrite::Make({Event("big", seq, std::string(64 << 10, 'b'))})
            .value());
  }
  auto busy = journal_->AsyncWriteMessages(std::move(big));
  auto a = journal_->AsyncWriteMessages({Atomic("x", 2, 4)});
  auto b = journal_->AsyncWriteMessages({Atomic("x", 3, 3)});  // stale after a
  auto c = journal_->AsyncWriteMessages({Atomic("y", 1, 2)});
  auto d = journal_->AsyncWriteMessages({Atomic("x", 5, 5), Atomic("z", 1, 1)});
  ASSERT_TRUE(busy.Get().ok()) << busy.Get().status();
  ASSERT_TRUE(a.Get().ok()) << a.Get().status();
  EXPECT_EQ(b.Get().status().code(), absl::StatusCode::kFailedPrecondition)
      << b.Get().status();
  ASSERT_TRUE(c.Get().ok()) << c.Get().status();
  ASSERT_TRUE(d.Get().ok()) << d.Get().status();
  const Database::CommitStats after = journal_->database()->Stats();
  EXPECT_EQ(after.requests - before.requests, 5u);
  EXPECT_LE(after.group_commits - before.group_commits, 3u)
      << "the four small requests should have shared a commit";
  EXPECT_THAT(Replay(*journal_, "x").seqs, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(Replay(*journal_, "x").payloads[2], "x:3");
  EXPECT_THAT(Replay(*journal_, "y").seqs, ElementsAre(1, 2));
  EXPECT_THAT(Replay(*journal_, "z").seqs, ElementsAre(1));
  EXPECT_EQ(Highest(*journal_, "x"), 5);
}

TEST_F(RocksDbJournalTest, ManyConcurrentRequestsShareSyncs) {
  constexpr int kIds = 300;
  const Database::CommitStats before = journal_->database()->Stats();
  std::vector<Future<absl::StatusOr<WriteResults>>> pending;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kIds; ++i) {
      pending.push_back(journal_->AsyncWriteMessages(
          {Atomic(absl::StrCat("id-", i), round + 1, round + 1)}));
    }
  }
  for (auto& f : pending) ASSERT_TRUE(f.Get().ok()) << f.Get().status();
  const Database::CommitStats after = journal_->database()->Stats();
  EXPECT_EQ(after.requests - before.requests, 3u * kIds);
  EXPECT_LT(after.group_commits - before.group_commits, 3u * kIds / 2)
      << "writes that arrive together must share WAL syncs";
  for (int i = 0; i < kIds; i += 37) {
    EXPECT_THAT(Replay(*journal_, absl::StrCat("id-", i)).seqs,
                ElementsAre(1, 2, 3));
  }
}

TEST_F(RocksDbJournalTest, ACorruptRecordFailsOnlyItsIdAndNamesIt) {
  ASSERT_TRUE(
      Write(*journal_, {Atomic("good", 1, 3), Atomic("bad", 1, 3)}).ok());
  Close();
  PutRaw(EventKey("bad", 2), "\xff\xfe garbage");
  Open();
  Replayed bad = Replay(*journal_, "bad");
  EXPECT_EQ(bad.status.code(), absl::StatusCode::kDataLoss) << bad.status;
  EXPECT_THAT(Message(bad.status), HasSubstr("'bad'"));
  EXPECT_THAT(Message(bad.status), HasSubstr("sequence number 2"));
  EXPECT_THAT(bad.seqs, ElementsAre(1))
      << "events before the corrupt one still arrive";
  Replayed good = Replay(*journal_, "good");
  EXPECT_TRUE(good.status.ok()) << good.status;
  EXPECT_THAT(good.seqs, ElementsAre(1, 2, 3));
  EXPECT_EQ(Highest(*journal_, "bad"), 3);
}

TEST_F(RocksDbJournalTest, JournalAndSnapshotStoreShareOneDatabase) {
  const int open_before = Database::OpenDatabasesForTesting();
  RocksDbSnapshotStore store(SnapshotStoreSection(path_));
  ASSERT_TRUE(store.Start().ok());
  EXPECT_EQ(store.database(), journal_->database());
  EXPECT_EQ(Database::OpenDatabasesForTesting(), open_before);
  // Another spelling of the same directory is the same database.
  const std::string link = dir_.path() + "/link";
  std::filesystem::create_directory_symlink(path_, link);
  RocksDbJournal second(JournalSection(link + "/../db"));
  ASSERT_TRUE(second.Start().ok());
  EXPECT_EQ(second.database(), journal_->database());
  // A plugin that wants other database settings is refused, clearly.
  RocksDbJournal other(
      JournalSection(path_, "persistence.journal.rocksdb.compression = none"));
  absl::Status refused = other.Start();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(Message(refused), HasSubstr(journal_->database()->path()));
  // Written through one plugin, read through the other.
  ASSERT_TRUE(Write(second, {Atomic("shared", 1, 2)}).ok());
  EXPECT_THAT(Replay(*journal_, "shared").seqs, ElementsAre(1, 2));
}

TEST_F(RocksDbJournalTest, DatabaseClosesWithItsLastPlugin) {
  const int open = Database::OpenDatabasesForTesting();
  {
    RocksDbSnapshotStore store(SnapshotStoreSection(path_));
    ASSERT_TRUE(store.Start().ok());
    Close();
    EXPECT_EQ(Database::OpenDatabasesForTesting(), open)
        << "the store still holds it";
  }
  EXPECT_EQ(Database::OpenDatabasesForTesting(), open - 1);
  // The LOCK is free again: reopening in this process works.
  Open();
  EXPECT_EQ(Database::OpenDatabasesForTesting(), open);
}

TEST_F(RocksDbJournalTest, SnapshotsLiveBesideEvents) {
  RocksDbSnapshotStore store(SnapshotStoreSection(path_));
  ASSERT_TRUE(store.Start().ok());
  ASSERT_TRUE(Write(*journal_, {Atomic("p", 1, 3)}).ok());
  for (int64_t seq : {1, 2, 3}) {
    SnapshotMetadata m;
    m.persistence_id = "p";
    m.sequence_nr = seq;
    m.timestamp = 100 + seq;
    ASSERT_TRUE(store.Save(m, Payload::Of(absl::StrCat("s", seq))).ok());
  }
  // Another id with our id as a prefix has no effect on our snapshots.
  SnapshotMetadata other;
  other.persistence_id = "p:x";
  other.sequence_nr = 9;
  ASSERT_TRUE(store.Save(other, Payload::Of(std::string("other"))).ok());
  LoadResult latest = store.Load("p", SnapshotSelectionCriteria::Latest());
  ASSERT_TRUE(latest.ok() && latest->has_value()) << latest.status();
  EXPECT_EQ((*latest)->metadata.sequence_nr, 3);
  EXPECT_EQ(*(*latest)->snapshot.As<std::string>(), "s3");
  // Corrupt the youngest: the load falls back to the next older one.
  ASSERT_TRUE(journal_->database()
                  ->db()
                  .Put(::rocksdb::WriteOptions(), SnapshotKey("p", 3),
                       "\xff not a snapshot")
                  .ok());
  latest = store.Load("p", SnapshotSelectionCriteria::Latest());
  ASSERT_TRUE(latest.ok() && latest->has_value()) << latest.status();
  EXPECT_EQ((*latest)->metadata.sequence_nr, 2);
  // A delete by criteria cannot match a record it cannot read: the corrupt
  // one stays, and a load that finds only it fails, naming the id.
  ASSERT_TRUE(store.Delete("p", SnapshotSelectionCriteria::Latest()).ok());
  latest = store.Load("p", SnapshotSelectionCriteria::Latest());
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kDataLoss)
      << latest.status();
  EXPECT_THAT(Message(latest.status()), HasSubstr("'p'"));
  // A delete by metadata removes it.
  SnapshotMetadata corrupt;
  corrupt.persistence_id = "p";
  corrupt.sequence_nr = 3;
  ASSERT_TRUE(store.Delete(corrupt).ok());
  latest = store.Load("p", SnapshotSelectionCriteria::Latest());
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_FALSE(latest->has_value());
  // Events are untouched by snapshot deletes, and the other way round.
  EXPECT_THAT(Replay(*journal_, "p").seqs, ElementsAre(1, 2, 3));
  ASSERT_TRUE(journal_->AsyncDeleteMessagesTo("p:x", kInf).Get().ok());
  LoadResult kept = store.Load("p:x", SnapshotSelectionCriteria::Latest());
  ASSERT_TRUE(kept.ok() && kept->has_value());
}

// The runtime destroys plugins on its own thread. A plugin destroyed from
// one of its Futures' callbacks would close the database on the writer's
// thread, which cannot join itself: that aborts, saying so, instead of
// hanging or closing half-way.
TEST_F(RocksDbJournalTest, ClosingFromTheWritersOwnThreadAbortsSayingSo) {
  Close();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto journal = std::make_shared<RocksDbJournal>(JournalSection(path_));
        if (!journal->Start().ok()) std::abort();
        Future<absl::StatusOr<WriteResults>> done =
            journal->AsyncWriteMessages({Atomic("p", 1, 2)});
        done.OnComplete([keep = journal](const absl::StatusOr<WriteResults>&) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        });
        journal.reset();  // the callback above now holds the last reference
        done.Get();
        std::this_thread::sleep_for(std::chrono::seconds(5));
      },
      "closed from its own writer or completer thread");
}

TEST_F(RocksDbJournalTest, DestroyingTheJournalDuringAReplayEndsTheReplay) {
  std::vector<AtomicWrite> writes;
  for (int64_t seq = 1; seq <= 2000; ++seq)
    writes.push_back(Atomic("p", seq, seq));
  ASSERT_TRUE(Write(*journal_, writes).ok());
  std::atomic<int> seen{0};
  Future<absl::Status> done = journal_->AsyncReplayMessages(
      "p", 1, kInf, kInf, [&seen](const PersistentRepr&) {
        ++seen;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      });
  while (seen.load() == 0) std::this_thread::yield();
  Close();  // on this thread, while the replay runs on the journal's
  ASSERT_TRUE(done.WaitFor(std::chrono::seconds(20)));
  EXPECT_TRUE(absl::IsCancelled(done.Get())) << done.Get();
  EXPECT_LT(seen.load(), 2000);
  EXPECT_EQ(Database::OpenDatabasesForTesting(), 0);
  Open();
  EXPECT_EQ(Replay(*journal_, "p").seqs.size(), 2000u);
}

class StartFailureTest : public ::testing::Test {
 protected:
  static absl::Status StartAt(const std::string& path) {
    RocksDbJournal journal(JournalSection(path));
    return journal.Start();
  }
  TempDir dir_;
};

TEST_F(StartFailureTest, AFileWhereTheDirectoryShouldBe) {
  const std::string file = dir_.path() + "/a-file";
  std::ofstream(file) << "not a directory";
  absl::Status s = StartAt(file);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(Message(s), HasSubstr(file));

  s = StartAt(file + "/db");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr(file + "/db"));
}

TEST_F(StartFailureTest, APathThatCannotBeCreated) {
  absl::Status s = StartAt("/proc/nope");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("/proc/nope"));
}

TEST_F(StartFailureTest, ADirectoryThatIsNotADatabase) {
  // A file named CURRENT that RocksDB cannot follow.
  const std::string path = dir_.path() + "/broken";
  std::filesystem::create_directories(path);
  std::ofstream(path + "/CURRENT") << "MANIFEST-does-not-exist\n";
  absl::Status s = StartAt(path);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr(path));
}

TEST_F(StartFailureTest, ABadSettingFailsStartNamingTheKey) {
  RocksDbJournal journal(JournalSection(
      dir_.path() + "/db", "persistence.journal.rocksdb.compression = nope"));
  absl::Status s = journal.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(Message(s), HasSubstr("persistence.journal.rocksdb.compression"));
  // Calls on a journal that did not start fail; they do not crash.
  EXPECT_FALSE(journal.AsyncWriteMessages({Atomic("p", 1, 1)}).Get().ok());
  EXPECT_FALSE(journal.AsyncReadHighestSequenceNr("p", 0).Get().ok());
}

}  // namespace
}  // namespace persistence::rocksdb
