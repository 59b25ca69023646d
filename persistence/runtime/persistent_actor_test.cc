// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/persistent_actor.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/runtime/persistence.h"
#include "persistence/runtime/runtime_test_util.h"

namespace persistence {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Log: what the actors did, shared with the test thread.
class Log {
 public:
  void Add(std::string entry) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(std::move(entry));
    changed_.notify_all();
  }
  // WaitForPrefix waits until an entry starting with `prefix` is logged;
  // returns everything logged.
  std::vector<std::string> WaitForPrefix(const std::string& prefix) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] {
      return std::any_of(
          entries_.begin(), entries_.end(),
          [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
    });
    return entries_;
  }
  // WaitFor waits until `entry` is logged; returns everything logged.
  std::vector<std::string> WaitFor(const std::string& entry) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] {
      return std::find(entries_.begin(), entries_.end(), entry) !=
             entries_.end();
    });
    return entries_;
  }
  std::vector<std::string> Entries() {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> entries_;
};

struct NotSerializable {};

struct Cmd {
  std::string op;  // persist, persist-all, async, defer, fail-event, snapshot,
                   // delete, log, bad
  std::string arg;
};

class Recorder : public PersistentActor<Cmd> {
 public:
  Recorder(std::string id, Log* log, Recovery recovery = Recovery(),
           std::string journal = "")
      : id_(std::move(id)),
        log_(log),
        recovery_(recovery),
        journal_(std::move(journal)) {}

  std::string PersistenceId() const override { return id_; }
  std::string JournalPluginId() const override { return journal_; }
  Recovery GetRecovery() const override { return recovery_; }

  void OnSnapshotOffer(const SnapshotMetadata& m, const Payload& s) override {
    state_ = *s.As<std::string>();
    log_->Add(absl::StrCat("snapshot@", m.sequence_nr, "=", state_));
  }
  void ReceiveRecover(const Payload& event) override {
    state_ += *event.As<std::string>();
    log_->Add(absl::StrCat("replayed ", *event.As<std::string>(), "@",
                           LastSequenceNr()));
  }
  void OnRecoveryCompleted() override {
    log_->Add(
        absl::StrCat("recovered state=", state_, " last=", LastSequenceNr()));
  }
  void OnRecoveryFailure(const absl::Status& cause) override {
    log_->Add(absl::StrCat("recovery failed: ", cause.message()));
  }
  void OnPersistFailure(const absl::Status& cause,
                        const PersistentRepr& e) override {
    log_->Add(absl::StrCat("persist failed @", e.sequence_nr));
  }
  void OnPersistRejected(const absl::Status& cause,
                         const PersistentRepr& e) override {
    log_->Add(absl::StrCat("rejected @", e.sequence_nr));
  }
  void OnSnapshotSaved(const absl::StatusOr<SnapshotMetadata>& r) override {
    log_->Add(r.ok() ? absl::StrCat("snapshot saved @", r->sequence_nr)
                     : absl::StrCat("snapshot failed: ", r.status().message()));
  }
  void OnMessagesDeleted(const absl::Status& s, int64_t to) override {
    log_->Add(absl::StrCat("deleted to ", to, s.ok() ? "" : " failed"));
  }
  void PostStop() override { log_->Add("stopped"); }

  void ReceiveCommand(Cmd c) override {
    log_->Add("cmd " + c.op + " " + c.arg);
    auto apply = [this](const std::string& e) {
      state_ += e;
      log_->Add(absl::StrCat("handled ", e, "@", LastSequenceNr()));
    };
    if (c.op == "persist") {
      Persist<std::string>(c.arg, apply);
    } else if (c.op == "persist-all") {
      PersistAll<std::string>({c.arg + "1", c.arg + "2"}, apply);
    } else if (c.op == "async") {
      PersistAsync<std::string>(c.arg, apply);
    } else if (c.op == "defer") {
      DeferAsync<std::string>(
          c.arg, [this](const std::string& e) { log_->Add("deferred " + e); });
    } else if (c.op == "bad") {
      Persist<NotSerializable>(
          NotSerializable{},
          [this](const NotSerializable&) { log_->Add("handled bad"); });
    } else if (c.op == "snapshot") {
      SaveSnapshot(Payload::Of(state_));
    } else if (c.op == "delete") {
      DeleteMessages(std::stoll(c.arg));
    }
  }

 private:
  std::string id_;
  Log* log_;
  Recovery recovery_;
  std::string journal_;
  std::string state_;
};

// The README's example, compiled here (docs_test keeps the README's copy
// equal to it).
// [START readme-counter]
class Counter : public persistence::PersistentActor<int> {
 public:
  std::string PersistenceId() const override { return "counter-1"; }
  void ReceiveRecover(const persistence::Payload& e) override {
    total_ += std::stoi(*e.As<std::string>());
  }
  void ReceiveCommand(int add) override {
    Persist<std::string>(std::to_string(add), [this](const std::string& e) {
      total_ += std::stoi(e);
    });
  }

 private:
  int total_ = 0;
};
// [END readme-counter]

class PersistentActorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    system_ =
        testing::NewTestSystem(std::string(testing::kInMemoryPlugins) + R"(
      failing-journal { class = "test.FailingJournal" }
      stuck-journal { class = "test.StuckJournal", recovery-event-timeout = 200ms }
      broken-start-journal { class = "test.BrokenStartJournal" }
      gated-journal { class = "test.GatedJournal" }
      classless-journal { }
      small-batch-journal = ${persistence.journal.inmem} {
        max-message-batch-size = 3
      }
    )");
    ASSERT_NE(system_, nullptr);
  }

  ActorRef<Cmd> Start(const std::string& id, Log* log, Recovery r = Recovery(),
                      const std::string& journal = "") {
    return ActorRef<Cmd>(system_->Spawn<Recorder>(id, log, r, journal));
  }

  Log& NewLog() { return logs_.emplace_back(); }

  // Logs outlive the system: actors log from PostStop when it terminates.
  std::deque<Log> logs_;
  std::unique_ptr<ActorSystem> system_;
};

TEST_F(PersistentActorTest, TheReadmeCounterPersistsItsEvents) {
  ActorRef<int> counter(system_->Spawn<Counter>());
  counter.Tell(3);
  counter.Tell(4);
  // A recorder on the counter's id replays what the counter stored.
  std::vector<std::string> seen;
  for (int attempt = 0; attempt < 200; ++attempt) {
    Log& log = NewLog();
    Start("counter-1", &log);
    seen = log.WaitForPrefix("recovered");
    if (!seen.empty() && seen.back() == "recovered state=34 last=2") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_THAT(seen, ElementsAre("replayed 3@1", "replayed 4@2",
                                "recovered state=34 last=2"));
}

TEST_F(PersistentActorTest, PersistThenRecoverInANewIncarnation) {
  Log& log = NewLog();
  auto a = Start("acc-1", &log);
  a.Tell({"persist", "a"});
  a.Tell({"persist", "b"});
  a.Tell({"persist-all", "c"});
  log.WaitFor("handled c2@4");
  Log& second = NewLog();
  Start("acc-1", &second);
  EXPECT_THAT(second.WaitFor("recovered state=abc1c2 last=4"),
              ElementsAre("replayed a@1", "replayed b@2", "replayed c1@3",
                          "replayed c2@4", "recovered state=abc1c2 last=4"));
}

TEST_F(PersistentActorTest, CommandsAreStashedWhilePersisting) {
  Log& log = NewLog();
  auto a = Start("stash-1", &log);
  a.Tell({"persist-all", "x"});
  a.Tell({"log", "next"});
  auto entries = log.WaitFor("cmd log next");
  EXPECT_THAT(entries,
              ElementsAre("recovered state= last=0", "cmd persist-all x",
                          "handled x1@1", "handled x2@2", "cmd log next"));
}

TEST_F(PersistentActorTest, PersistAsyncDoesNotStashAndDeferRunsInOrder) {
  Log& log = NewLog();
  auto a = Start("async-1", &log);
  a.Tell({"async", "a"});
  a.Tell({"defer", "d"});
  a.Tell({"async", "b"});
  auto entries = log.WaitFor("handled b@2");
  std::vector<std::string> tail(entries.begin() + 1, entries.end());
  // Commands are not held back; handlers and the deferred one keep order.
  auto pos = [&](const std::string& s) {
    return std::find(tail.begin(), tail.end(), s) - tail.begin();
  };
  EXPECT_LT(pos("cmd async b"), pos("handled a@1"))
      << ::testing::PrintToString(tail);
  EXPECT_LT(pos("handled a@1"), pos("deferred d"));
  EXPECT_LT(pos("deferred d"), pos("handled b@2"));
}

TEST_F(PersistentActorTest, OverlappingWritesKeepHandlersInOrder) {
  // With max-message-batch-size = 3, a run of persist-async sends a new
  // request every 3 events while earlier ones are in flight; handlers and
  // deferred handlers still run in order, and recovery sees every event.
  Log& log = NewLog();
  auto a = Start("overlap-1", &log, Recovery(), "small-batch-journal");
  constexpr int kEvents = 60;
  for (int i = 1; i <= kEvents; ++i) {
    a.Tell({"async", absl::StrCat("e", i)});
    if (i % 7 == 0) a.Tell({"defer", absl::StrCat("d", i)});
  }
  const std::string last = absl::StrCat("handled e", kEvents, "@", kEvents);
  std::vector<std::string> order;
  for (const std::string& entry : log.WaitFor(last)) {
    if (entry.rfind("handled", 0) == 0 || entry.rfind("deferred", 0) == 0) {
      order.push_back(entry);
    }
  }
  std::vector<std::string> expected;
  for (int i = 1; i <= kEvents; ++i) {
    expected.push_back(absl::StrCat("handled e", i, "@", i));
    if (i % 7 == 0) expected.push_back(absl::StrCat("deferred d", i));
  }
  EXPECT_EQ(order, expected);
  Log& second = NewLog();
  Start("overlap-1", &second, Recovery(), "small-batch-journal");
  auto recovered =
      second.WaitFor(absl::StrCat("replayed e", kEvents, "@", kEvents));
  EXPECT_EQ(std::count_if(recovered.begin(), recovered.end(),
                          [](const std::string& e) {
                            return e.rfind("replayed", 0) == 0;
                          }),
            kEvents);
}

TEST_F(PersistentActorTest, SnapshotThenRecoverFromItAndTheEventsAfter) {
  Log& log = NewLog();
  auto a = Start("snap-1", &log);
  a.Tell({"persist", "a"});
  a.Tell({"persist", "b"});
  a.Tell({"snapshot", ""});
  log.WaitFor("snapshot saved @2");
  a.Tell({"persist", "c"});
  log.WaitFor("handled c@3");
  Log& second = NewLog();
  Start("snap-1", &second);
  EXPECT_THAT(second.WaitFor("recovered state=abc last=3"),
              ElementsAre("snapshot@2=ab", "replayed c@3",
                          "recovered state=abc last=3"));
}

TEST_F(PersistentActorTest, RecoveryBoundsAndDeletesKeepTheSequence) {
  Log& log = NewLog();
  auto a = Start("bounds-1", &log);
  for (const char* e : {"a", "b", "c", "d"}) a.Tell({"persist", e});
  log.WaitFor("handled d@4");
  a.Tell({"delete", "2"});
  log.WaitFor("deleted to 2");
  Recovery up_to_3;
  up_to_3.to_sequence_nr = 3;
  Log& second = NewLog();
  auto b = Start("bounds-1", &second, up_to_3);
  // Events 1, 2 are deleted; only 3 replays; numbering goes on after 4.
  EXPECT_THAT(second.WaitFor("recovered state=c last=4"),
              ElementsAre("replayed c@3", "recovered state=c last=4"));
  b.Tell({"persist", "e"});
  second.WaitFor("handled e@5");
}

TEST_F(PersistentActorTest, RejectedEventIsReportedAndTheActorGoesOn) {
  Log& log = NewLog();
  auto a = Start("reject-1", &log);
  a.Tell({"bad", ""});
  a.Tell({"persist", "ok"});
  auto entries = log.WaitFor("handled ok@2");
  EXPECT_THAT(entries, ::testing::Contains("rejected @1"));
  EXPECT_THAT(entries, ::testing::Not(::testing::Contains("handled bad")));
}

// --- Plugins that misbehave on purpose ---

class FailingJournal : public SyncWriteJournal {
 public:
  absl::StatusOr<WriteResults> WriteMessages(
      const std::vector<AtomicWrite>&) override {
    return absl::UnavailableError("disk on fire");
  }
  absl::Status DeleteMessagesTo(const std::string&, int64_t) override {
    return absl::OkStatus();
  }
  absl::Status ReplayMessages(const std::string&, int64_t, int64_t, int64_t,
                              const ReplayCallback&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> ReadHighestSequenceNr(const std::string&,
                                                int64_t) override {
    return 0;
  }
};
PERSISTENCE_REGISTER(JournalRegistry, "test.FailingJournal",
                     Construct<FailingJournal>);

// StuckJournal never finishes a replay.
class StuckJournal : public FailingJournal {
 public:
  absl::StatusOr<int64_t> ReadHighestSequenceNr(const std::string&,
                                                int64_t) override {
    return 3;
  }
};
class StuckAsync : public AsyncWriteJournal {
 public:
  Future<absl::StatusOr<WriteResults>> AsyncWriteMessages(
      const std::vector<AtomicWrite>&) override {
    return MakeReadyFuture(absl::StatusOr<WriteResults>(WriteResults{}));
  }
  Future<absl::Status> AsyncDeleteMessagesTo(const std::string&,
                                             int64_t) override {
    return MakeReadyFuture(absl::OkStatus());
  }
  Future<absl::Status> AsyncReplayMessages(const std::string&, int64_t, int64_t,
                                           int64_t, ReplayCallback) override {
    return never_.GetFuture();
  }
  Future<absl::StatusOr<int64_t>> AsyncReadHighestSequenceNr(const std::string&,
                                                             int64_t) override {
    return MakeReadyFuture(absl::StatusOr<int64_t>(3));
  }
  Promise<absl::Status> never_;
};
PERSISTENCE_REGISTER(JournalRegistry, "test.StuckJournal",
                     Construct<StuckAsync>);

// EmptyLogJournal: a journal whose tests are about writes only; every id
// reads as empty and deletes succeed.
class EmptyLogJournal : public AsyncWriteJournal {
 public:
  Future<absl::Status> AsyncDeleteMessagesTo(const std::string&,
                                             int64_t) override {
    return MakeReadyFuture(absl::OkStatus());
  }
  Future<absl::Status> AsyncReplayMessages(const std::string&, int64_t, int64_t,
                                           int64_t, ReplayCallback) override {
    return MakeReadyFuture(absl::OkStatus());
  }
  Future<absl::StatusOr<int64_t>> AsyncReadHighestSequenceNr(const std::string&,
                                                             int64_t) override {
    return MakeReadyFuture(absl::StatusOr<int64_t>(0));
  }
};

// GatedJournal holds every write until the test opens the gate, and
// counts the requests it was given.
struct Gate {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<std::pair<Promise<absl::StatusOr<WriteResults>>, size_t>> held;

  // WaitForRequests waits up to 2 s for `n` held requests; returns how
  // many there are.
  size_t WaitForRequests(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    changed.wait_for(lock, std::chrono::seconds(2),
                     [&] { return held.size() >= n; });
    return held.size();
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [promise, writes] : held) {
      promise.Set(WriteResults(writes, absl::OkStatus()));
    }
    held.clear();
  }
};
Gate& TheGate() {
  static Gate* gate = new Gate;
  return *gate;
}
class GatedJournal : public EmptyLogJournal {
 public:
  Future<absl::StatusOr<WriteResults>> AsyncWriteMessages(
      const std::vector<AtomicWrite>& writes) override {
    Gate& gate = TheGate();
    std::lock_guard<std::mutex> lock(gate.mu);
    gate.held.emplace_back(Promise<absl::StatusOr<WriteResults>>(),
                           writes.size());
    gate.changed.notify_all();
    return gate.held.back().first.GetFuture();
  }
};
PERSISTENCE_REGISTER(JournalRegistry, "test.GatedJournal",
                     Construct<GatedJournal>);

TEST_F(PersistentActorTest, AnEventGoesAtOnceWhenNothingElseWaits) {
  // The first write is held in the journal. A PersistAsync that arrives
  // alone must not wait for it (the mailbox is empty, so waiting would
  // gather no more events): a second request reaches the journal before
  // the first completes, and the handlers still run in order.
  Log& log = NewLog();
  auto a = Start("gated-1", &log, Recovery(), "gated-journal");
  log.WaitForPrefix("recovered");
  a.Tell({"async", "a"});
  ASSERT_EQ(TheGate().WaitForRequests(1), 1u);
  a.Tell({"async", "b"});
  EXPECT_EQ(TheGate().WaitForRequests(2), 2u)
      << "the second event waited for the first write's reply";
  TheGate().Open();
  auto entries = log.WaitFor("handled b@2");
  std::vector<std::string> handled;
  for (const std::string& e : entries) {
    if (e.rfind("handled", 0) == 0) handled.push_back(e);
  }
  EXPECT_THAT(handled, ElementsAre("handled a@1", "handled b@2"));
}

class BrokenStartJournal : public FailingJournal {
 public:
  absl::Status Start() override {
    return absl::PermissionDeniedError("cannot open /nope/data");
  }
};
PERSISTENCE_REGISTER(JournalRegistry, "test.BrokenStartJournal",
                     Construct<BrokenStartJournal>);

TEST_F(PersistentActorTest, PersistFailureStopsTheActor) {
  Log& log = NewLog();
  auto a = Start("fail-1", &log, Recovery(), "failing-journal");
  a.Tell({"persist", "a"});
  a.Tell({"persist", "never-run"});
  auto entries = log.WaitFor("stopped");
  EXPECT_THAT(entries, ::testing::Contains("persist failed @1"));
  EXPECT_THAT(entries,
              ::testing::Not(::testing::Contains("cmd persist never-run")));
}

TEST_F(PersistentActorTest, ReplayWithoutProgressFailsRecoveryWithinTimeout) {
  Log& log = NewLog();
  auto start = std::chrono::steady_clock::now();
  Start("stuck-1", &log, Recovery(), "stuck-journal");
  auto entries = log.WaitFor("stopped");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_GE(entries.size(), 2u);
  EXPECT_THAT(entries[0], HasSubstr("recovery failed"));
  EXPECT_THAT(entries[0], HasSubstr("recovery-event-timeout"));
}

TEST_F(PersistentActorTest, PluginErrorsNameTheConfigPath) {
  Persistence& p = system_->Extension<Persistence>();
  auto unknown = p.Journal("classless-journal");
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("classless-journal.class"));
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("inmem.Journal"));
  auto missing = p.Journal("no-such-journal");
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("no-such-journal"));
  auto broken = p.Journal("broken-start-journal");
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(broken.status().message()),
              HasSubstr("broken-start-journal"));
  EXPECT_THAT(std::string(broken.status().message()), HasSubstr("/nope/data"));
}

TEST(PersistenceTest, NoPluginConfiguredSaysWhichKeyToSet) {
  auto system = testing::NewTestSystem("");
  auto journal = system->Extension<Persistence>().Journal();
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(journal.status().message()),
              HasSubstr("persistence.journal.plugin"));
}

// A plugin that completes writes out of order: the journal actor must
// still reply in request order.
class ReversingJournal : public EmptyLogJournal {
 public:
  ~ReversingJournal() override {
    if (worker_.joinable()) worker_.join();
  }
  Future<absl::StatusOr<WriteResults>> AsyncWriteMessages(
      const std::vector<AtomicWrite>& writes) override {
    Promise<absl::StatusOr<WriteResults>> p;
    held_.push_back({p, writes.size()});
    if (held_.size() == 3) {
      auto held = std::move(held_);
      held_.clear();
      if (worker_.joinable()) worker_.join();
      worker_ = std::thread([held] {
        for (auto it = held.rbegin(); it != held.rend(); ++it) {
          it->first.Set(WriteResults(it->second, absl::OkStatus()));
        }
      });
    }
    return p.GetFuture();
  }

 private:
  std::vector<std::pair<Promise<absl::StatusOr<WriteResults>>, size_t>> held_;
  std::thread worker_;
};
PERSISTENCE_REGISTER(JournalRegistry, "test.ReversingJournal",
                     Construct<ReversingJournal>);

TEST(JournalActorTest, RepliesInRequestOrderWhenThePluginCompletesOutOfOrder) {
  auto system = testing::NewTestSystem(
      R"(reversing { class = "test.ReversingJournal" })");
  auto journal = system->Extension<Persistence>().Journal("reversing");
  ASSERT_TRUE(journal.ok()) << journal.status();
  std::mutex mu;
  std::vector<int> order;
  std::vector<Future<absl::Status>> done;
  for (int i = 0; i < 3; ++i) {
    PersistentRepr e;
    e.persistence_id = absl::StrCat("id-", i);
    e.sequence_nr = 1;
    e.payload = Payload::Of(std::string("x"));
    Promise<absl::Status> p;
    done.push_back(p.GetFuture());
    journal->Tell(WriteMessages{{*AtomicWrite::Make({e})},
                                [&, i, p](WriteMessagesResult r) {
                                  {
                                    std::lock_guard<std::mutex> lock(mu);
                                    order.push_back(i);
                                  }
                                  p.Set(r.status);
                                }});
  }
  for (auto& f : done) {
    ASSERT_TRUE(f.WaitFor(std::chrono::seconds(5)));
    EXPECT_TRUE(f.Get().ok());
  }
  EXPECT_THAT(order, ElementsAre(0, 1, 2));
}

}  // namespace
}  // namespace persistence
