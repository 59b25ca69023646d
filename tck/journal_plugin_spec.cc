// Copyright 2026 The eventpersist Authors.
//
// The journal contract cases that a plugin must meet on its own: they call
// the plugin's API directly, with no journal actor in between, so the
// runtime cannot answer for the plugin (docs/tck.md, "Plugin contract
// cases"). The plugin is built from the backend's kit config as the
// runtime builds it: its section over persistence.journal-plugin-fallback.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/api/journal.h"
#include "tck/tck.h"
#include "tck/tck_support.h"

namespace persistence::tck {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kInf = kMaxSequenceNr;

class JournalPluginSpec : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const Config& config = Settings().config;
    absl::StatusOr<std::string> path =
        config.GetString("persistence.journal.plugin");
    ASSERT_TRUE(path.ok()) << path.status();
    absl::StatusOr<Config> own = config.GetConfig(*path);
    ASSERT_TRUE(own.ok()) << own.status();
    absl::StatusOr<Config> fallback =
        config.GetConfig("persistence.journal-plugin-fallback");
    ASSERT_TRUE(fallback.ok()) << fallback.status();
    const Config section = own->WithFallback(*fallback);
    absl::StatusOr<std::string> class_name = section.GetString("class");
    ASSERT_TRUE(class_name.ok()) << class_name.status();
    absl::StatusOr<std::unique_ptr<AsyncWriteJournal>> plugin =
        Create(JournalRegistry::Global(), *class_name, section, *path);
    ASSERT_TRUE(plugin.ok()) << plugin.status();
    absl::Status started = (*plugin)->Start();
    ASSERT_TRUE(started.ok()) << started;
    journal_ = plugin->release();
  }
  static void TearDownTestSuite() {
    delete journal_;
    journal_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(journal_, nullptr) << "the plugin did not start";
    pid_ = UniqueId("contract");
    writer_ = UniqueId("writer");
    std::vector<AtomicWrite> writes;
    for (int seq = 1; seq <= 5; ++seq) writes.push_back(One(pid_, seq));
    ASSERT_NO_FATAL_FAILURE(Write(writes, 5));
  }

  AtomicWrite One(const std::string& id, int64_t seq) const {
    return *AtomicWrite::Make(
        {Event(id, seq, absl::StrCat("c-", seq), writer_)});
  }

  // Write calls the plugin and waits; every write must succeed.
  void Write(const std::vector<AtomicWrite>& writes, size_t expected) const {
    absl::StatusOr<absl::StatusOr<WriteResults>> r =
        Await(journal_->AsyncWriteMessages(writes));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->ok()) << r->status();
    ASSERT_EQ((*r)->size(), expected);
    for (const absl::Status& s : **r) ASSERT_TRUE(s.ok()) << s;
  }

  struct Replayed {
    absl::Status status;
    std::vector<PersistentRepr> events;
  };
  Replayed Replay(const std::string& id, int64_t from, int64_t to,
                  int64_t max) const {
    Replayed out;
    absl::StatusOr<absl::Status> done = Await(journal_->AsyncReplayMessages(
        id, from, to, max,
        [&out](PersistentRepr&& e) { out.events.push_back(std::move(e)); }));
    out.status = done.ok() ? *done : done.status();
    return out;
  }

  static std::vector<int64_t> Seqs(const Replayed& r) {
    std::vector<int64_t> seqs;
    for (const PersistentRepr& e : r.events) seqs.push_back(e.sequence_nr);
    return seqs;
  }

  static AsyncWriteJournal* journal_;
  std::string pid_;
  std::string writer_;
};

AsyncWriteJournal* JournalPluginSpec::journal_ = nullptr;

TEST_F(JournalPluginSpec, P00AnIdNeverWrittenHasNothing) {
  const std::string never = UniqueId("contract-never");
  Replayed r = Replay(never, 1, kInf, kInf);
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.events, IsEmpty());
  absl::StatusOr<absl::StatusOr<int64_t>> h =
      Await(journal_->AsyncReadHighestSequenceNr(never, 0));
  ASSERT_TRUE(h.ok() && h->ok());
  EXPECT_EQ(**h, 0);
}

// No write of the empty id can be made, so none reaches a plugin; a
// replay of it finds nothing.
TEST_F(JournalPluginSpec, P08TheEmptyIdIsRefused) {
  absl::StatusOr<AtomicWrite> write =
      AtomicWrite::Make({Event("", 1, "c-1", writer_)});
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(write.status().message().find("persistence id"),
            absl::string_view::npos)
      << write.status();
  Replayed r = Replay("", 1, kInf, kInf);
  EXPECT_THAT(r.events, IsEmpty());
}

// A sequence number near the top of int64: the write is stored and
// replays exactly, or is rejected and leaves nothing behind.
TEST_F(JournalPluginSpec, P09ASequenceNumberNearTheTop) {
  const int64_t top = kInf - 10;
  absl::StatusOr<absl::StatusOr<WriteResults>> r =
      Await(journal_->AsyncWriteMessages({One(pid_, top)}));
  ASSERT_TRUE(r.ok()) << r.status();
  const bool stored = r->ok() && (*r)->size() == 1 && (**r)[0].ok();
  Replayed replay = Replay(pid_, 1, kInf, kInf);
  ASSERT_TRUE(replay.status.ok()) << replay.status;
  absl::StatusOr<absl::StatusOr<int64_t>> h =
      Await(journal_->AsyncReadHighestSequenceNr(pid_, 0));
  ASSERT_TRUE(h.ok() && h->ok());
  if (stored) {
    EXPECT_THAT(Seqs(replay), ElementsAre(1, 2, 3, 4, 5, top));
    EXPECT_EQ(**h, top);
  } else {
    EXPECT_THAT(Seqs(replay), ElementsAre(1, 2, 3, 4, 5))
        << "a rejected write stores nothing";
    EXPECT_EQ(**h, 5);
  }
}

TEST_F(JournalPluginSpec, P01MaxZeroOrBelowReplaysNothing) {
  for (int64_t max : {int64_t{0}, int64_t{-1}}) {
    Replayed r = Replay(pid_, 1, kInf, max);
    EXPECT_TRUE(r.status.ok()) << r.status;
    EXPECT_THAT(r.events, IsEmpty()) << "max = " << max;
  }
}

TEST_F(JournalPluginSpec, P02FromAboveToReplaysNothing) {
  Replayed r = Replay(pid_, 4, 2, kInf);
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(r.events, IsEmpty());
}

TEST_F(JournalPluginSpec, P03ToFarAboveTheHighestReplaysToTheEnd) {
  Replayed r = Replay(pid_, 2, kInf - 1, kInf);
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Seqs(r), ElementsAre(2, 3, 4, 5));
  absl::StatusOr<absl::StatusOr<int64_t>> h =
      Await(journal_->AsyncReadHighestSequenceNr(pid_, 0));
  ASSERT_TRUE(h.ok() && h->ok());
  EXPECT_EQ(**h, 5);
}

TEST_F(JournalPluginSpec, P04ReplayedEventsCarryTheirIdAndFields) {
  PersistentRepr e = Event(pid_, 6, "c-6", writer_);
  e.manifest = "adapter-v2";
  e.timestamp = 1234567;
  ASSERT_NO_FATAL_FAILURE(Write({*AtomicWrite::Make({e})}, 1));
  Replayed r = Replay(pid_, 5, 6, kInf);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.events.size(), 2u);
  for (const PersistentRepr& got : r.events) {
    EXPECT_EQ(got.persistence_id, pid_);
    EXPECT_EQ(got.writer_uuid, writer_);
    EXPECT_FALSE(got.deleted);
    EXPECT_FALSE(got.metadata.has_value()) << "an event without metadata";
    ASSERT_NE(got.payload.As<std::string>(), nullptr);
    EXPECT_EQ(*got.payload.As<std::string>(),
              absl::StrCat("c-", got.sequence_nr));
  }
  EXPECT_EQ(r.events[0].manifest, "");
  EXPECT_EQ(r.events[1].manifest, "adapter-v2") << "a non-empty manifest";
  EXPECT_EQ(r.events[1].timestamp, 1234567);
}

TEST_F(JournalPluginSpec, P05WritesOfOneIdApplyInCallOrder) {
  // Calls made before the previous ones completed.
  const std::string id = UniqueId("contract-order");
  std::vector<Future<absl::StatusOr<WriteResults>>> pending;
  for (int seq = 1; seq <= 50; ++seq) {
    pending.push_back(journal_->AsyncWriteMessages({One(id, seq)}));
  }
  for (auto& f : pending) {
    absl::StatusOr<absl::StatusOr<WriteResults>> r = Await(f);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->ok()) << r->status() << " (refused as stale?)";
  }
  Replayed r = Replay(id, 1, kInf, kInf);
  ASSERT_TRUE(r.status.ok()) << r.status;
  ASSERT_EQ(r.events.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(r.events[i].sequence_nr, i + 1);
}

TEST_F(JournalPluginSpec, P06AReplayStopsAtTheReceiversError) {
  int records = 0;
  ReplayCallback stop_after_two(
      [](PersistentRepr&&) {},
      [&records](int64_t, std::string_view) {
        return ++records < 2 ? absl::OkStatus()
                             : absl::CancelledError("the receiver is gone");
      });
  absl::StatusOr<absl::Status> done = Await(journal_->AsyncReplayMessages(
      pid_, 1, kInf, kInf, std::move(stop_after_two)));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->code(), absl::StatusCode::kCancelled)
      << "the replay ends with the receiver's error: " << *done;
  EXPECT_EQ(records, 2) << "the plugin stops reading at the error";
}

TEST_F(JournalPluginSpec, P07DeleteBeyondTheHighestThenWrite) {
  absl::StatusOr<absl::Status> deleted =
      Await(journal_->AsyncDeleteMessagesTo(pid_, 100));
  ASSERT_TRUE(deleted.ok() && deleted->ok());
  ASSERT_NO_FATAL_FAILURE(Write({One(pid_, 6)}, 1));
  Replayed r = Replay(pid_, 1, kInf, kInf);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_THAT(Seqs(r), ElementsAre(6)) << "the event written after the delete";
  absl::StatusOr<absl::StatusOr<int64_t>> h =
      Await(journal_->AsyncReadHighestSequenceNr(pid_, 0));
  ASSERT_TRUE(h.ok() && h->ok());
  EXPECT_EQ(**h, 6);
}

// ResidentBytes is this process's resident set size now.
int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// A replay of 1,000,000 events holds a bounded number of them: the plugin
// hands them over as it reads, it does not gather them first. (A fifth of
// that under a sanitizer, which makes each event several times dearer.)
TEST_F(JournalPluginSpec, P10AMillionEventReplayKeepsMemoryBounded) {
  constexpr int64_t kEvents = 1000000 / kSanitizerSlowdown;
  constexpr int64_t kPerCall = 1000;
  constexpr int64_t kBound = int64_t{64} << 20;
  const std::string id = UniqueId("contract-million");
  for (int64_t start = 1; start <= kEvents; start += kPerCall) {
    std::vector<AtomicWrite> writes;
    for (int64_t seq = start; seq < start + kPerCall; ++seq) {
      writes.push_back(One(id, seq));
    }
    ASSERT_NO_FATAL_FAILURE(Write(writes, kPerCall));
  }
  // On the heap: a replay that outlives the kit's wait must not write into
  // a test that has returned.
  struct Seen {
    int64_t before = ResidentBytes();
    int64_t peak = before;
    int64_t next = 1;
    bool in_order = true;
  };
  auto seen = std::make_shared<Seen>();
  absl::StatusOr<absl::Status> done = Await(journal_->AsyncReplayMessages(
      id, 1, kInf, kInf, [seen](PersistentRepr&& e) {
        seen->in_order = seen->in_order && e.sequence_nr == seen->next;
        if (++seen->next % 10000 == 0) {
          seen->peak = std::max(seen->peak, ResidentBytes());
        }
      }));
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_TRUE(done->ok()) << *done;
  EXPECT_EQ(seen->next - 1, kEvents);
  EXPECT_TRUE(seen->in_order);
  EXPECT_LT(seen->peak - seen->before, kBound)
      << "resident memory grew by " << (seen->peak - seen->before) / (1 << 20)
      << " MiB during the replay";
}

}  // namespace
}  // namespace persistence::tck
