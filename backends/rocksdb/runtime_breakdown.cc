// Copyright 2026 The eventpersist Authors.
//
// runtime_breakdown: where the time of the perf rows goes, layer by layer,
// for the RocksDB journal. Each row is measured three ways in one process,
// on one database:
//
//   plugin   the journal plugin called directly (RocksDbJournal)
//   actor    the runtime's journal actor (Tell WriteMessages / Replay),
//            no persistent actor
//   full     a PersistentActor, as the perf target measures it
//
//   bazel run -c opt //backends/rocksdb:runtime_breakdown -- --events=10000
//
// Rows: persist-async (N one-event writes without waiting, then wait all),
// recover (replay of those N events; and an empty id, the fixed cost of a
// recovery) and persist-all(100) (groups of 100, each waits). The runtime is
// not part of the :rocksdb library; only this tool and the tests use it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/rocksdb_journal.h"
#include "backends/rocksdb/test_util.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/persistence.h"
#include "persistence/runtime/persistent_actor.h"

namespace persistence::rocksdb_backend {
namespace {

using Clock = std::chrono::steady_clock;

const std::string& Payload100() {
  static const std::string* p = new std::string(100, 'p');
  return *p;
}

PersistentRepr Repr(const std::string& id, int64_t seq) {
  PersistentRepr e;
  e.persistence_id = id;
  e.sequence_nr = seq;
  e.payload = Payload::Of(Payload100());
  e.writer_uuid = "breakdown-writer-uuid-0000000000";
  e.timestamp = 1;
  return e;
}

void Check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "breakdown failed: %s\n", what.c_str());
    std::exit(1);
  }
}

double Rate(int64_t n, Clock::time_point start) {
  return n / std::chrono::duration<double>(Clock::now() - start).count();
}

struct Command {
  bool done = false;
  Promise<absl::Status> reply;
  int group = 0;  // > 0: PersistAll of this many events
};

// Writer persists one event per command without waiting (PersistAsync),
// or a group of events per command, atomically (PersistAll).
class Writer : public PersistentActor<Command> {
 public:
  Writer(std::string id, Promise<absl::StatusOr<int64_t>> recovered)
      : id_(std::move(id)), recovered_(recovered) {}
  std::string PersistenceId() const override { return id_; }
  void ReceiveRecover(const Payload&) override { ++replayed_; }
  void OnRecoveryCompleted() override { recovered_.Set(replayed_); }
  void OnRecoveryFailure(const absl::Status& s) override { recovered_.Set(s); }
  void ReceiveCommand(Command c) override {
    if (c.done) {
      DeferAsync<int>(
          0, [reply = c.reply](const int&) { reply.Set(absl::OkStatus()); });
    } else if (c.group > 0) {
      PersistAll<std::string>(std::vector<std::string>(c.group, Payload100()),
                              [](const std::string&) {});
    } else {
      PersistAsync<std::string>(Payload100(), [](const std::string&) {});
    }
  }

 private:
  std::string id_;
  Promise<absl::StatusOr<int64_t>> recovered_;
  int64_t replayed_ = 0;
};

int Flag(int argc, char** argv, const char* name, int fallback) {
  const std::string prefix = absl::StrCat("--", name, "=");
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      return std::atoi(argv[i] + prefix.size());
    }
  }
  return fallback;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int Main(int argc, char** argv) {
  const int n = Flag(argc, argv, "events", 10000);
  const int iterations = Flag(argc, argv, "iterations", 5);
  const bool fsync = Flag(argc, argv, "fsync", 1) != 0;
  testing::TempDir dir;
  const std::string path = dir.path() + "/db";
  absl::StatusOr<Config> config = testing::FullConfig(
      path,
      absl::StrCat(
          "persistence.journal.plugin = \"persistence.journal.rocksdb\"\n",
          "persistence.snapshot-store.plugin = ",
          "\"persistence.snapshot-store.rocksdb\"\n",
          "persistence.journal.rocksdb.fsync = ", fsync ? "on" : "off", "\n"));
  Check(config.ok(), "config");
  absl::StatusOr<std::unique_ptr<ActorSystem>> system =
      ActorSystem::Create("breakdown", *config);
  Check(system.ok(), "actor system");
  absl::StatusOr<ActorRef<JournalRequest>> journal_actor =
      (*system)->Extension<Persistence>().Journal();
  Check(journal_actor.ok(), "journal actor");
  // The plugin itself, sharing the journal actor's database.
  RocksDbJournal plugin(*config->GetConfig("persistence.journal.rocksdb"));
  Check(plugin.Start().ok(), "plugin start");

  const char* names[] = {"persist-async plugin",
                         "persist-async actor",
                         "persist-async full",
                         "recover plugin",
                         "recover actor",
                         "recover full",
                         "recover empty id (full, per actor)",
                         "persist-all(100) plugin",
                         "persist-all(100) actor",
                         "persist-all(100) full"};
  constexpr int kRows = 10;
  constexpr int kEmpty = 6;
  std::vector<std::vector<double>> rates(kRows);
  for (int it = 0; it <= iterations; ++it) {
    const std::string tag = absl::StrCat(it);
    std::vector<double> r(kRows);
    // persist-async, plugin: N one-event requests at once.
    {
      const std::string id = "p-" + tag;
      const auto start = Clock::now();
      std::vector<Future<absl::StatusOr<WriteResults>>> pending;
      pending.reserve(n);
      for (int i = 1; i <= n; ++i) {
        pending.push_back(plugin.AsyncWriteMessages(
            {AtomicWrite::Make({Repr(id, i)}).value()}));
      }
      for (auto& f : pending) Check(f.Get().ok(), "plugin write");
      r[0] = Rate(n, start);
    }
    // persist-async, journal actor: N one-event WriteMessages at once.
    {
      const std::string id = "a-" + tag;
      const auto start = Clock::now();
      std::vector<Future<absl::Status>> pending;
      pending.reserve(n);
      for (int i = 1; i <= n; ++i) {
        Promise<absl::Status> done;
        pending.push_back(done.GetFuture());
        journal_actor->Tell(WriteMessages{
            {AtomicWrite::Make({Repr(id, i)}).value()},
            [done](WriteMessagesResult w) { done.Set(w.status); }});
      }
      for (auto& f : pending) Check(f.Get().ok(), "actor write");
      r[1] = Rate(n, start);
    }
    // persist-async, persistent actor.
    const std::string full_id = "f-" + tag;
    {
      Promise<absl::StatusOr<int64_t>> recovered;
      auto writer = (*system)->Spawn<Writer>(full_id, recovered);
      Check(recovered.GetFuture().Get().ok(), "recovery");
      const auto start = Clock::now();
      ActorRef<Command> ref(writer);
      for (int i = 0; i < n; ++i) ref.Tell(Command{});
      Promise<absl::Status> done;
      ref.Tell(Command{true, done});
      Check(done.GetFuture().Get().ok(), "full write");
      r[2] = Rate(n, start);
      writer->Stop();
    }
    // recover, plugin: replay on this thread.
    {
      const auto start = Clock::now();
      int64_t count = 0;
      Check(plugin
                .ReplayMessages(full_id, 1, kMaxSequenceNr, kMaxSequenceNr,
                                [&](const PersistentRepr&) { ++count; })
                .ok(),
            "plugin replay");
      Check(count == n, "plugin replay count");
      r[3] = Rate(n, start);
    }
    // recover, journal actor: ReplayMessages with a counting callback.
    {
      const auto start = Clock::now();
      auto count = std::make_shared<std::atomic<int64_t>>(0);
      Promise<absl::StatusOr<int64_t>> done;
      journal_actor->Tell(
          ReplayMessages{full_id, 1, kMaxSequenceNr, kMaxSequenceNr,
                         [count](const PersistentRepr&) { ++*count; },
                         [done](absl::StatusOr<int64_t> h) { done.Set(h); }});
      Check(done.GetFuture().Get().ok(), "actor replay");
      Check(count->load() == n, "actor replay count");
      r[4] = Rate(n, start);
    }
    // recover, persistent actor (what the perf target's recover row times).
    {
      const auto start = Clock::now();
      Promise<absl::StatusOr<int64_t>> recovered;
      auto writer = (*system)->Spawn<Writer>(full_id, recovered);
      absl::StatusOr<int64_t> got = recovered.GetFuture().Get();
      Check(got.ok() && *got == n, "full recovery");
      r[5] = Rate(n, start);
      writer->Stop();
    }
    // A persistent actor with nothing to recover: the fixed cost.
    {
      const auto start = Clock::now();
      Promise<absl::StatusOr<int64_t>> recovered;
      auto writer = (*system)->Spawn<Writer>("empty-" + tag, recovered);
      Check(recovered.GetFuture().Get().ok(), "empty recovery");
      r[kEmpty] =
          std::chrono::duration<double, std::micro>(Clock::now() - start)
              .count();
      writer->Stop();
    }
    // persist-all(100): groups one after the other, each waits.
    auto group = [](const std::string& id, int64_t from) {
      std::vector<PersistentRepr> events;
      for (int i = 0; i < 100; ++i) events.push_back(Repr(id, from + i));
      return AtomicWrite::Make(std::move(events)).value();
    };
    {
      const std::string id = "pa-" + tag;
      const auto start = Clock::now();
      for (int i = 1; i <= n; i += 100) {
        Check(plugin.AsyncWriteMessages({group(id, i)}).Get().ok(),
              "plugin group");
      }
      r[7] = Rate(n, start);
    }
    {
      const std::string id = "aa-" + tag;
      const auto start = Clock::now();
      for (int i = 1; i <= n; i += 100) {
        Promise<absl::Status> done;
        journal_actor->Tell(WriteMessages{
            {group(id, i)},
            [done](WriteMessagesResult w) { done.Set(w.status); }});
        Check(done.GetFuture().Get().ok(), "actor group");
      }
      r[8] = Rate(n, start);
    }
    {
      Promise<absl::StatusOr<int64_t>> recovered;
      auto writer = (*system)->Spawn<Writer>("fa-" + tag, recovered);
      Check(recovered.GetFuture().Get().ok(), "recovery");
      const auto start = Clock::now();
      ActorRef<Command> ref(writer);
      for (int i = 0; i < n; i += 100) ref.Tell(Command{false, {}, 100});
      Promise<absl::Status> done;
      ref.Tell(Command{true, done});
      Check(done.GetFuture().Get().ok(), "full groups");
      r[9] = Rate(n, start);
      writer->Stop();
    }
    for (size_t i = 0; i < r.size(); ++i) {
      std::printf("  %-36s %s %12.0f %s\n", names[i],
                  it == 0 ? "warm-up" : absl::StrCat("iter ", it).c_str(), r[i],
                  i == kEmpty ? "us" : "ev/s");
      if (it > 0) rates[i].push_back(r[i]);
    }
    std::fflush(stdout);
  }
  std::printf("\nmedians (fsync = %s, N = %d)\n", fsync ? "on" : "off", n);
  for (size_t i = 0; i < rates.size(); ++i) {
    std::printf("%s: %.0f %s\n", names[i], Median(rates[i]),
                i == kEmpty ? "us" : "ev/s");
  }
  return 0;
}

}  // namespace
}  // namespace persistence::rocksdb_backend

int main(int argc, char** argv) {
  return persistence::rocksdb_backend::Main(argc, argv);
}
