// Copyright 2026 The eventpersist Authors.
//
// The journal suite of the compatibility kit (docs/tck.md, "Journal suite").
// It talks to the backend through the runtime's journal actor, as a
// persistent actor does. Optional cases skip, with the reason, when the
// backend's capability flag is off.
#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/runtime/persistence.h"
#include "tck/tck.h"
#include "tck/tck_support.h"

namespace persistence::tck {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr int64_t kInf = kMaxSequenceNr;

std::vector<int64_t> Seqs(const std::vector<PersistentRepr>& events) {
  std::vector<int64_t> seqs;
  for (const PersistentRepr& e : events) seqs.push_back(e.sequence_nr);
  return seqs;
}

#define SKIP_UNLESS(flag)                      \
  if (!Settings().capabilities.flag)           \
  GTEST_SKIP() << "capability flag " #flag     \
                  " is off for this backend; " \
                  "the case does not apply"

class JournalSpec : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    system_ = NewSystem("journal-tck").release();
    ASSERT_NE(system_, nullptr) << "cannot build the actor system";
  }
  static void TearDownTestSuite() {
    delete system_;
    system_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(system_, nullptr);
    ASSERT_NO_FATAL_FAILURE(Connect());
    pid_ = UniqueId("p");
    writer_ = UniqueId("writer");
    WriteFive();
  }

  void Connect() {
    absl::StatusOr<ActorRef<JournalRequest>> journal =
        system_->Extension<Persistence>().Journal();
    ASSERT_TRUE(journal.ok()) << journal.status();
    absl::StatusOr<std::shared_ptr<JournalActor>> writer =
        system_->Extension<Persistence>().JournalActorAt();
    ASSERT_TRUE(writer.ok()) << writer.status();
    client_ = std::make_unique<JournalClient>(*journal, *writer);
  }

  // Restart stops the journal plugin (with the whole actor system) and
  // starts a new instance over the same data: the same directory, the
  // same server.
  void Restart() {
    client_.reset();
    delete system_;
    system_ = NewSystem("journal-tck").release();
    ASSERT_NE(system_, nullptr) << "cannot build the actor system again";
    ASSERT_NO_FATAL_FAILURE(Connect());
  }

  // The setup of docs/tck.md: a-1..a-5 as [1] [2] [3] [4,5], or five singles.
  void WriteFive() {
    std::vector<AtomicWrite> writes;
    if (Settings().capabilities.supports_atomic_persist_all_of_several_events) {
      for (int i = 1; i <= 3; ++i) writes.push_back(One(i));
      writes.push_back(*AtomicWrite::Make(
          {Event(pid_, 4, "a-4", writer_), Event(pid_, 5, "a-5", writer_)}));
    } else {
      for (int i = 1; i <= 5; ++i) writes.push_back(One(i));
    }
    WriteMessagesResult r = client_->Write(std::move(writes));
    ASSERT_TRUE(r.status.ok()) << r.status;
    for (const absl::Status& s : r.results) ASSERT_TRUE(s.ok()) << s;
  }

  AtomicWrite One(int64_t seq, const std::string& writer = "") const {
    return *AtomicWrite::Make({Event(pid_, seq, absl::StrCat("a-", seq),
                                     writer.empty() ? writer_ : writer)});
  }

  // ExpectReplay replays and checks the sequence numbers, each event's
  // fields, and the highest sequence number.
  void ExpectReplay(int64_t from, int64_t to, int64_t max,
                    std::vector<int64_t> expected, int64_t highest = 5) {
    ReplayOutcome r = client_->Replay(pid_, from, to, max);
    ASSERT_TRUE(r.highest.ok()) << r.highest.status();
    EXPECT_EQ(*r.highest, highest);
    EXPECT_THAT(Seqs(r.events), ElementsAreArray(expected));
    for (const PersistentRepr& e : r.events) {
      const std::string* payload = e.payload.As<std::string>();
      ASSERT_NE(payload, nullptr) << "event " << e.sequence_nr;
      EXPECT_EQ(*payload, absl::StrCat("a-", e.sequence_nr));
      EXPECT_EQ(e.persistence_id, pid_);
      EXPECT_EQ(e.manifest, "");
      EXPECT_EQ(e.writer_uuid, writer_);
      EXPECT_FALSE(e.deleted);
    }
  }

  static ActorSystem* system_;
  std::unique_ptr<JournalClient> client_;
  std::string pid_;
  std::string writer_;
};

ActorSystem* JournalSpec::system_ = nullptr;

// --- Mandatory cases ---

TEST_F(JournalSpec, C01ReplayAll) {
  ExpectReplay(1, kInf, kInf, {1, 2, 3, 4, 5});
}
TEST_F(JournalSpec, C02LowerBound) { ExpectReplay(3, kInf, kInf, {3, 4, 5}); }
TEST_F(JournalSpec, C03UpperBound) { ExpectReplay(1, 3, kInf, {1, 2, 3}); }
TEST_F(JournalSpec, C04CountLimit) { ExpectReplay(1, kInf, 3, {1, 2, 3}); }
TEST_F(JournalSpec, C05LowerAndUpper) { ExpectReplay(2, 3, kInf, {2, 3}); }
TEST_F(JournalSpec, C06LowerUpperAndLimit) { ExpectReplay(2, 5, 2, {2, 3}); }
TEST_F(JournalSpec, C07LowerEqualsUpper) { ExpectReplay(2, 2, kInf, {2}); }
TEST_F(JournalSpec, C08LimitOne) { ExpectReplay(2, 4, 1, {2}); }
TEST_F(JournalSpec, C09LimitZero) { ExpectReplay(2, 4, 0, {}); }
TEST_F(JournalSpec, C10LowerAboveUpper) { ExpectReplay(3, 2, kInf, {}); }

TEST_F(JournalSpec, C11IdNeverWritten) {
  ReplayOutcome r = client_->Replay(UniqueId("never"), 1, kInf, kInf);
  ASSERT_TRUE(r.highest.ok()) << r.highest.status();
  EXPECT_EQ(*r.highest, 0);
  EXPECT_THAT(r.events, IsEmpty());
}

TEST_F(JournalSpec, C12HighestOnly) { ExpectReplay(0, 0, 1, {}); }

TEST_F(JournalSpec, C13RangeDeletion) {
  ASSERT_TRUE(client_->Delete(pid_, 3).ok());
  ExpectReplay(1, kInf, kInf, {4, 5});
  // Nothing else arrives afterwards.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ExpectReplay(1, kInf, kInf, {4, 5});
}

TEST_F(JournalSpec, C14HighestKeptAfterDelete) {
  ASSERT_TRUE(client_->Delete(pid_, 3).ok());
  ExpectReplay(1, kInf, kInf, {4, 5}, 5);
  absl::StatusOr<int64_t> h = client_->Highest(pid_);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, 5);
}

TEST_F(JournalSpec, C15HighestKeptAfterFullCleanup) {
  ASSERT_TRUE(client_->Delete(pid_, kInf).ok());
  ExpectReplay(1, kInf, kInf, {}, 5);
  absl::StatusOr<int64_t> h = client_->Highest(pid_);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, 5);
}

TEST_F(JournalSpec, C16ReplayFromLastDeleted) {
  ASSERT_TRUE(client_->Delete(pid_, 3).ok());
  ExpectReplay(3, kInf, kInf, {4, 5});
}

TEST_F(JournalSpec, C17UpperBoundInsideDeletedPrefix) {
  ASSERT_TRUE(client_->Delete(pid_, 3).ok());
  ExpectReplay(1, 2, kInf, {});
}

TEST_F(JournalSpec, C18UpperBoundEqualsLastDeleted) {
  ASSERT_TRUE(client_->Delete(pid_, 3).ok());
  ExpectReplay(1, 3, kInf, {});
}

TEST_F(JournalSpec, C19LowerBoundIsFirstSurvivor) {
  ASSERT_TRUE(client_->Delete(pid_, 3).ok());
  ExpectReplay(4, kInf, kInf, {4, 5});
}

TEST_F(JournalSpec, C20WindowSpansDeletedPrefix) {
  ASSERT_TRUE(client_->Delete(pid_, 3).ok());
  ExpectReplay(1, 4, kInf, {4});
}

TEST_F(JournalSpec, C21WritesAreAcknowledgedInOrderWithTheirEvents) {
  std::vector<AtomicWrite> writes;
  for (int i = 6; i <= 8; ++i) writes.push_back(One(i));
  WriteMessagesResult r = client_->Write(std::move(writes));
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.results.size(), 3u);
  ASSERT_EQ(r.writes.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(r.results[i].ok());
    EXPECT_EQ(r.writes[i].lowest_sequence_nr(), 6 + i);
  }
  ExpectReplay(1, kInf, kInf, {1, 2, 3, 4, 5, 6, 7, 8}, 8);
}

// --- Optional cases ---

TEST_F(JournalSpec, OptRejectNonSerializable) {
  SKIP_UNLESS(supports_rejecting_non_serializable_objects);
  PersistentRepr bad = Event(pid_, 7, "", writer_);
  bad.payload = Payload::Of(NotSerializable{7});
  std::vector<AtomicWrite> writes;
  writes.push_back(One(6));
  writes.push_back(*AtomicWrite::Make({bad}));
  writes.push_back(One(8));
  WriteMessagesResult r = client_->Write(std::move(writes));
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_TRUE(r.results[0].ok());
  EXPECT_FALSE(r.results[1].ok()) << "event 7 cannot be serialized";
  EXPECT_TRUE(r.results[2].ok());
  ExpectReplay(1, kInf, kInf, {1, 2, 3, 4, 5, 6, 8}, 8);
}

TEST_F(JournalSpec, OptSerializationOfUserType) {
  SKIP_UNLESS(supports_serialization);
  PersistentRepr e = Event(pid_, 6, "", writer_);
  e.payload = Payload::Of(TckEvent{"user type", 42});
  WriteMessagesResult r = client_->Write({*AtomicWrite::Make({e})});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_TRUE(r.results[0].ok()) << r.results[0];
  ReplayOutcome replay = client_->Replay(pid_, 6, 6, 1);
  ASSERT_EQ(replay.events.size(), 1u);
  const TckEvent* back = replay.events[0].payload.As<TckEvent>();
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->text, "user type");
  EXPECT_EQ(back->number, 42);
}

TEST_F(JournalSpec, OptMetadata) {
  SKIP_UNLESS(supports_metadata);
  PersistentRepr e = Event(pid_, 6, "a-6", writer_);
  e.metadata = Payload::Of(std::string("meta-6"));
  WriteMessagesResult r = client_->Write({*AtomicWrite::Make({e})});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_TRUE(r.results[0].ok());
  const auto& acked = r.writes[0].payload()[0];
  ASSERT_TRUE(acked.metadata.has_value());
  EXPECT_EQ(*acked.metadata->As<std::string>(), "meta-6");
  ReplayOutcome replay = client_->Replay(pid_, 6, 6, 1);
  ASSERT_EQ(replay.events.size(), 1u);
  ASSERT_TRUE(replay.events[0].metadata.has_value());
  EXPECT_EQ(*replay.events[0].metadata->As<std::string>(), "meta-6");
}

TEST_F(JournalSpec, OptReplayOnlyLast) {
  SKIP_UNLESS(supports_replay_only_last);
  ExpectReplay(-1, kInf, 1, {5});
}

// --- Restart: a new plugin instance over the same data ---

TEST_F(JournalSpec, RestartEventsSurvive) {
  SKIP_UNLESS(survives_restart);
  ASSERT_NO_FATAL_FAILURE(Restart());
  ExpectReplay(1, kInf, kInf, {1, 2, 3, 4, 5});
}

TEST_F(JournalSpec, RestartDeletesAndHighestSurvive) {
  SKIP_UNLESS(survives_restart);
  ASSERT_TRUE(client_->Delete(pid_, 3).ok());
  ASSERT_NO_FATAL_FAILURE(Restart());
  ExpectReplay(1, kInf, kInf, {4, 5});
  ASSERT_TRUE(client_->Delete(pid_, kInf).ok());
  ASSERT_NO_FATAL_FAILURE(Restart());
  ExpectReplay(1, kInf, kInf, {}, 5);
  absl::StatusOr<int64_t> h = client_->Highest(pid_);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, 5) << "the highest sequence number outlives a full delete "
                      "and a restart";
}

TEST_F(JournalSpec, RestartWritesGoOnAtTheNextSequenceNr) {
  SKIP_UNLESS(survives_restart);
  ASSERT_NO_FATAL_FAILURE(Restart());
  WriteMessagesResult r = client_->Write({One(6)});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_TRUE(r.results[0].ok()) << r.results[0];
  if (Settings().capabilities.prevents_concurrent_writers) {
    WriteMessagesResult stale = client_->Write({One(5)});
    EXPECT_FALSE(stale.status.ok() && stale.results[0].ok())
        << "after a restart the journal still knows 6 is stored";
  }
  ExpectReplay(1, kInf, kInf, {1, 2, 3, 4, 5, 6}, 6);
}

// --- Beyond the reference kits ---

TEST_F(JournalSpec, XPartialBatchAtomicity) {
  SKIP_UNLESS(supports_atomic_persist_all_of_several_events);
  // An atomic write whose second event cannot be serialized stores none.
  PersistentRepr bad = Event(pid_, 7, "", writer_);
  bad.payload = Payload::Of(NotSerializable{7});
  WriteMessagesResult r = client_->Write(
      {*AtomicWrite::Make({Event(pid_, 6, "a-6", writer_), bad})});
  if (r.status.ok()) {
    ASSERT_EQ(r.results.size(), 1u);
    EXPECT_FALSE(r.results[0].ok()) << "the write must be rejected";
  }
  ReplayOutcome replay = client_->Replay(pid_, 1, kInf, kInf);
  ASSERT_TRUE(replay.highest.ok()) << replay.highest.status();
  EXPECT_THAT(Seqs(replay.events), ElementsAre(1, 2, 3, 4, 5))
      << "no event of the rejected atomic write may be stored";
}

TEST_F(JournalSpec, XRepliesInRequestOrder) {
  // Many writers at once; replies must come back in the order sent.
  constexpr int kWriters = 50;
  std::vector<std::string> ids;
  std::vector<Future<WriteMessagesResult>> futures;
  std::mutex mu;
  std::vector<int> order;
  for (int i = 0; i < kWriters; ++i) {
    ids.push_back(UniqueId("order"));
    // The order is taken in the journal's reply itself, as a requester
    // receives it.
    futures.push_back(client_->WriteAsync(
        {*AtomicWrite::Make({Event(ids.back(), 1, "x", writer_)})},
        [&mu, &order, i](const WriteMessagesResult&) {
          std::lock_guard<std::mutex> lock(mu);
          order.push_back(i);
        }));
  }
  for (auto& f : futures) {
    ASSERT_TRUE(f.WaitFor(kReplyTimeout));
    EXPECT_TRUE(f.Get().status.ok()) << f.Get().status;
  }
  std::lock_guard<std::mutex> lock(mu);
  for (int i = 0; i < kWriters; ++i) EXPECT_EQ(order[i], i);
}

TEST_F(JournalSpec, XOverlappingWritesOfOneIdApplyInOrder) {
  // A persistent actor may send its next write before the previous one is
  // acknowledged (max-message-batch-size); a journal applies the writes of
  // one id in call order, so none is refused as stale and replay sees all.
  const std::string id = UniqueId("overlap");
  constexpr int kWrites = 20;
  std::vector<Future<WriteMessagesResult>> futures;
  // Each request holds five events: one atomic write, or five when the
  // backend does not write several events atomically.
  const bool atomic =
      Settings().capabilities.supports_atomic_persist_all_of_several_events;
  for (int w = 0; w < kWrites; ++w) {
    std::vector<PersistentRepr> events;
    for (int e = 1; e <= 5; ++e)
      events.push_back(Event(id, w * 5 + e, "x", writer_));
    std::vector<AtomicWrite> writes;
    if (atomic) {
      writes.push_back(*AtomicWrite::Make(events));
    } else {
      for (PersistentRepr& e : events) {
        writes.push_back(*AtomicWrite::Make({std::move(e)}));
      }
    }
    futures.push_back(client_->WriteAsync(std::move(writes)));
  }
  for (auto& f : futures) {
    ASSERT_TRUE(f.WaitFor(kReplyTimeout));
    ASSERT_TRUE(f.Get().status.ok()) << f.Get().status;
    ASSERT_EQ(f.Get().results.size(), atomic ? 1u : 5u);
    for (const absl::Status& s : f.Get().results) EXPECT_TRUE(s.ok()) << s;
  }
  ReplayOutcome r = client_->Replay(id, 1, kInf, kInf);
  ASSERT_TRUE(r.highest.ok()) << r.highest.status();
  EXPECT_EQ(*r.highest, kWrites * 5);
  std::vector<int64_t> expected;
  for (int64_t s = 1; s <= kWrites * 5; ++s) expected.push_back(s);
  EXPECT_EQ(Seqs(r.events), expected);
}

TEST_F(JournalSpec, XHighestReadAfterInFlightWrites) {
  // A read sent right after a write must see it (no reuse of number 6).
  Future<WriteMessagesResult> write = client_->WriteAsync({One(6)});
  absl::StatusOr<int64_t> h = client_->Highest(pid_);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, 6);
  ASSERT_TRUE(write.WaitFor(kReplyTimeout));
  EXPECT_TRUE(write.Get().status.ok());
}

TEST_F(JournalSpec, XTwoWritersOnOneId) {
  // Writer B (a new incarnation) writes 6; then the stale writer A writes 6.
  const std::string writer_b = UniqueId("writer-b");
  WriteMessagesResult b = client_->Write({One(6, writer_b)});
  ASSERT_TRUE(b.status.ok()) << b.status;
  WriteMessagesResult a = client_->Write({One(6, writer_)});
  ReplayOutcome replay = client_->Replay(pid_, 1, kInf, kInf);
  ASSERT_TRUE(replay.highest.ok()) << replay.highest.status();
  if (Settings().capabilities.prevents_concurrent_writers) {
    EXPECT_FALSE(a.status.ok() && a.results[0].ok())
        << "a journal that prevents concurrent writers must refuse the stale "
           "write";
    ASSERT_THAT(Seqs(replay.events), ElementsAre(1, 2, 3, 4, 5, 6));
    EXPECT_EQ(replay.events.back().writer_uuid, writer_b)
        << "the log stays clean";
  } else {
    // Both writers' events come back as stored, for a replay filter to
    // decide (the kit runs with the filter off).
    EXPECT_TRUE(a.status.ok()) << a.status;
    ASSERT_THAT(Seqs(replay.events), ElementsAre(1, 2, 3, 4, 5, 6, 6));
    EXPECT_EQ(replay.events[5].writer_uuid, writer_b);
    EXPECT_EQ(replay.events[6].writer_uuid, writer_);
  }
}

// Ids that hold each backend's key separators, that are prefixes of one
// another, or that share their first kilobyte, are as many logs.
TEST_F(JournalSpec, XIdsAreIsolated) {
  const std::string base = UniqueId("iso");
  const std::string kib(1024, 'k');
  const std::vector<std::string> ids = {
      base,
      base + ":b",
      base + "|b",
      "{" + base + "}",
      base + std::string("\0b", 2),
      base + "\xc3\xa9",  // é
      base + kib + "a",
      base + kib + "b",
  };
  // Id i gets i + 1 events, all in one request.
  std::vector<AtomicWrite> writes;
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t seq = 1; seq <= i + 1; ++seq) {
      writes.push_back(*AtomicWrite::Make(
          {Event(ids[i], seq, absl::StrCat("id", i, "-", seq), writer_)}));
    }
  }
  WriteMessagesResult r = client_->Write(std::move(writes));
  ASSERT_TRUE(r.status.ok()) << r.status;
  for (const absl::Status& s : r.results) ASSERT_TRUE(s.ok()) << s;
  for (size_t i = 0; i < ids.size(); ++i) {
    ReplayOutcome replay = client_->Replay(ids[i], 1, kInf, kInf);
    ASSERT_TRUE(replay.highest.ok()) << replay.highest.status();
    EXPECT_EQ(*replay.highest, static_cast<int64_t>(i + 1)) << "id " << i;
    ASSERT_EQ(replay.events.size(), i + 1) << "id " << i;
    for (size_t k = 0; k <= i; ++k) {
      EXPECT_EQ(replay.events[k].persistence_id, ids[i]);
      EXPECT_EQ(*replay.events[k].payload.As<std::string>(),
                absl::StrCat("id", i, "-", k + 1));
    }
  }
}

TEST_F(JournalSpec, XLargePayload) {
  const std::string big(1 << 20, 'x');
  PersistentRepr e = Event(pid_, 6, big, writer_);
  WriteMessagesResult r = client_->Write({*AtomicWrite::Make({e})});
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_TRUE(r.results[0].ok()) << r.results[0];
  ReplayOutcome replay = client_->Replay(pid_, 6, 6, 1);
  ASSERT_EQ(replay.events.size(), 1u);
  EXPECT_EQ(*replay.events[0].payload.As<std::string>(), big);
}

TEST_F(JournalSpec, XManyEventsReplayInOrder) {
  constexpr int kEvents = 100000;
  constexpr int kPerRequest = 1000;
  const std::string id = UniqueId("many");
  std::vector<Future<WriteMessagesResult>> pending;
  for (int start = 1; start <= kEvents; start += kPerRequest) {
    std::vector<AtomicWrite> writes;
    for (int seq = start; seq < start + kPerRequest; ++seq) {
      writes.push_back(*AtomicWrite::Make(
          {Event(id, seq, absl::StrCat("e", seq), writer_)}));
    }
    pending.push_back(client_->WriteAsync(std::move(writes)));
  }
  for (auto& f : pending) {
    ASSERT_TRUE(f.WaitFor(kReplyTimeout));
    ASSERT_TRUE(f.Get().status.ok()) << f.Get().status;
  }
  ReplayOutcome replay = client_->Replay(id, 1, kInf, kInf);
  ASSERT_TRUE(replay.highest.ok()) << replay.highest.status();
  EXPECT_EQ(*replay.highest, kEvents);
  ASSERT_EQ(replay.events.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_EQ(replay.events[i].sequence_nr, i + 1) << "out of order at " << i;
  }
}

TEST_F(JournalSpec, XReplayFailsWithinTimeoutWhenServerIsGone) {
  TckFixture* fixture = Settings().fixture;
  absl::Status stopped = fixture->StopServer();
  if (absl::IsUnimplemented(stopped)) {
    GTEST_SKIP() << "the backend has no server to take away: "
                 << stopped.message();
  }
  ASSERT_TRUE(stopped.ok()) << stopped;
  const auto start = std::chrono::steady_clock::now();
  ReplayOutcome replay = client_->Replay(pid_, 1, kInf, kInf);
  const auto took = std::chrono::steady_clock::now() - start;
  const absl::Status restarted = fixture->StartServer();
  ASSERT_TRUE(restarted.ok()) << "bringing the server back: " << restarted;
  EXPECT_FALSE(replay.highest.ok()) << "a replay without a server must fail";
  EXPECT_LT(took, kReplyTimeout) << "and fail within its timeout";
}

}  // namespace
}  // namespace persistence::tck
