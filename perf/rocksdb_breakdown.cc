// Copyright 2026 The eventpersist Authors.
//
// runtime_breakdown: where the time of the perf rows goes, layer by layer,
// for the RocksDB journal. Each row is measured four ways, back to back in
// one process:
//
//   raw      RocksDB's own API on a sibling database (what :perf's raw
//            side does)
//   plugin   the journal plugin called directly (RocksDbJournal)
//   actor    the runtime's journal actor (Tell WriteMessages / Replay),
//            no persistent actor
//   full     a PersistentActor, as the perf target measures it
//
//   bazel run -c opt //perf:rocksdb_breakdown -- --events=10000
//
// Rows: persist (one event at a time, each waits; min(N, 2000) events),
// persist-all(100) (groups of 100, each waits), persist-async (N one-event
// writes without waiting, then wait for all; raw: one WriteBatch), recover
// (replay of N events; raw: iterator + DecodeEvent), and the fixed cost of
// recovering an id with no events. The runtime is not part of the :rocksdb
// library; only this tool and the tests use it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/key_layout.h"
#include "backends/rocksdb/rocksdb_journal.h"
#include "backends/rocksdb/test_util.h"
#include "persistence/api/codec.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/persistence.h"
#include "persistence/runtime/persistent_actor.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"

namespace persistence::rocksdb {
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

AtomicWrite Group(const std::string& id, int64_t from, int size) {
  std::vector<PersistentRepr> events;
  for (int i = 0; i < size; ++i) events.push_back(Repr(id, from + i));
  return AtomicWrite::Make(std::move(events)).value();
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
  int group = 0;  // > 0: PersistAll of this many events; 0: PersistAsync
};

// Writer persists one event per command without waiting (PersistAsync),
// or a group of events per command, atomically, stashing commands until
// it is stored (PersistAll; a group of 1 is Persist).
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

class Breakdown {
 public:
  Breakdown(ActorSystem& system, ActorRef<JournalRequest> journal_actor,
            RocksDbJournal& plugin, ::rocksdb::DB& raw, bool fsync)
      : system_(system),
        journal_actor_(journal_actor),
        plugin_(plugin),
        raw_(raw) {
    sync_.sync = fsync;
  }

  // Groups of `size` one after the other, each waiting for its ack.
  std::vector<double> Sequential(const std::string& tag, int n, int size) {
    std::vector<double> r(4);
    {
      const std::string id = "raw-" + tag;
      std::vector<std::pair<std::string, std::string>> records;
      for (int i = 1; i <= n; ++i) {
        records.emplace_back(EventKey(id, i), EncodeEvent(Repr(id, i)).value());
      }
      const auto start = Clock::now();
      for (int i = 0; i < n; i += size) {
        ::rocksdb::WriteBatch batch;
        for (int j = i; j < std::min(n, i + size); ++j) {
          Check(batch.Put(records[j].first, records[j].second).ok(), "batch");
        }
        Check(raw_.Write(sync_, &batch).ok(), "raw write");
      }
      r[0] = Rate(n, start);
    }
    {
      const std::string id = "plugin-" + tag;
      const auto start = Clock::now();
      for (int i = 1; i <= n; i += size) {
        Check(plugin_.AsyncWriteMessages({Group(id, i, size)}).Get().ok(),
              "plugin write");
      }
      r[1] = Rate(n, start);
    }
    {
      const std::string id = "actor-" + tag;
      const auto start = Clock::now();
      for (int i = 1; i <= n; i += size) {
        Promise<absl::Status> done;
        journal_actor_.Tell(WriteMessages{
            {Group(id, i, size)},
            [done](WriteMessagesResult w) { done.Set(w.status); }});
        Check(done.GetFuture().Get().ok(), "actor write");
      }
      r[2] = Rate(n, start);
    }
    r[3] = Full("full-" + tag, n, size);
    return r;
  }

  // N one-event writes without waiting; leaves the plugin's events under
  // `id` for the recover row.
  std::vector<double> Async(const std::string& tag, const std::string& id,
                            int n) {
    std::vector<double> r(4);
    {
      const std::string raw_id = "raw-" + tag;
      std::vector<std::pair<std::string, std::string>> records;
      for (int i = 1; i <= n; ++i) {
        records.emplace_back(EventKey(raw_id, i),
                             EncodeEvent(Repr(raw_id, i)).value());
      }
      const auto start = Clock::now();
      ::rocksdb::WriteBatch batch;
      for (auto& [k, v] : records) Check(batch.Put(k, v).ok(), "batch");
      Check(raw_.Write(sync_, &batch).ok(), "raw write");
      r[0] = Rate(n, start);
      raw_id_ = raw_id;
    }
    {
      const auto start = Clock::now();
      std::vector<Future<absl::StatusOr<WriteResults>>> pending;
      pending.reserve(n);
      for (int i = 1; i <= n; ++i) {
        pending.push_back(plugin_.AsyncWriteMessages({Group(id, i, 1)}));
      }
      for (auto& f : pending) Check(f.Get().ok(), "plugin write");
      r[1] = Rate(n, start);
    }
    {
      const std::string actor_id = "actor-" + tag;
      const auto start = Clock::now();
      std::vector<Future<absl::Status>> pending;
      pending.reserve(n);
      for (int i = 1; i <= n; ++i) {
        Promise<absl::Status> done;
        pending.push_back(done.GetFuture());
        journal_actor_.Tell(WriteMessages{
            {Group(actor_id, i, 1)},
            [done](WriteMessagesResult w) { done.Set(w.status); }});
      }
      for (auto& f : pending) Check(f.Get().ok(), "actor write");
      r[2] = Rate(n, start);
    }
    r[3] = Full("full-" + tag, n, 0);
    return r;
  }

  std::vector<double> Recover(const std::string& id, int n) {
    std::vector<double> r(4);
    {
      const auto start = Clock::now();
      const std::string end = EventKeyEnd(raw_id_, kMaxSequenceNr);
      const ::rocksdb::Slice end_slice(end);
      ::rocksdb::ReadOptions options;
      options.iterate_upper_bound = &end_slice;
      std::unique_ptr<::rocksdb::Iterator> it(raw_.NewIterator(options));
      const size_t prefix = IdPrefix(kEventTag, raw_id_).size();
      int count = 0;
      for (it->Seek(EventKey(raw_id_, 1)); it->Valid(); it->Next()) {
        const ::rocksdb::Slice v = it->value();
        Check(DecodeEvent(std::string_view(v.data(), v.size()), raw_id_,
                          *SequenceNrOf(it->key(), prefix))
                  .ok(),
              "decode");
        ++count;
      }
      Check(count == n, "raw scan count");
      r[0] = Rate(n, start);
    }
    {
      const auto start = Clock::now();
      int64_t count = 0;
      Check(plugin_
                .ReplayMessages(id, 1, kMaxSequenceNr, kMaxSequenceNr,
                                [&](const PersistentRepr&) { ++count; })
                .ok(),
            "plugin replay");
      Check(count == n, "plugin replay count");
      r[1] = Rate(n, start);
    }
    {
      const auto start = Clock::now();
      auto count = std::make_shared<std::atomic<int64_t>>(0);
      Promise<absl::StatusOr<int64_t>> done;
      journal_actor_.Tell(
          ReplayMessages{id, 1, kMaxSequenceNr, kMaxSequenceNr,
                         [count](absl::Span<PersistentRepr> events) {
                           *count += static_cast<int64_t>(events.size());
                         },
                         [done](absl::StatusOr<int64_t> h) { done.Set(h); }});
      Check(done.GetFuture().Get().ok(), "actor replay");
      Check(count->load() == n, "actor replay count");
      r[2] = Rate(n, start);
    }
    {
      const auto start = Clock::now();
      Promise<absl::StatusOr<int64_t>> recovered;
      auto actor = system_.Spawn<Writer>(id, recovered);
      absl::StatusOr<int64_t> got = recovered.GetFuture().Get();
      Check(got.ok() && *got == n, "full recovery");
      r[3] = Rate(n, start);
      actor->Stop();
    }
    return r;
  }

  // The fixed cost of a recovery, in microseconds: an id with no events.
  double EmptyRecovery(const std::string& id) {
    const auto start = Clock::now();
    Promise<absl::StatusOr<int64_t>> recovered;
    auto actor = system_.Spawn<Writer>(id, recovered);
    Check(recovered.GetFuture().Get().ok(), "empty recovery");
    const double us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    actor->Stop();
    return us;
  }

 private:
  double Full(const std::string& id, int n, int group) {
    Promise<absl::StatusOr<int64_t>> recovered;
    auto actor = system_.Spawn<Writer>(id, recovered);
    Check(recovered.GetFuture().Get().ok(), "recovery");
    const auto start = Clock::now();
    ActorRef<Command> ref(actor);
    for (int i = 0; i < n; i += std::max(group, 1)) {
      ref.Tell(Command{false, {}, group});
    }
    Promise<absl::Status> done;
    ref.Tell(Command{true, done});
    Check(done.GetFuture().Get().ok(), "full write");
    const double rate = Rate(n, start);
    actor->Stop();
    return rate;
  }

  ActorSystem& system_;
  ActorRef<JournalRequest> journal_actor_;
  RocksDbJournal& plugin_;
  ::rocksdb::DB& raw_;
  ::rocksdb::WriteOptions sync_;
  std::string raw_id_;
};

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
  DatabaseSettings raw_settings =
      DatabaseSettings::FromConfig(
          *config->GetConfig("persistence.journal.rocksdb"))
          .value();
  raw_settings.path = path + "-raw";
  ::rocksdb::DB* raw_db = nullptr;
  Check(
      ::rocksdb::DB::Open(MakeOptions(raw_settings), raw_settings.path, &raw_db)
          .ok(),
      "raw open");
  std::unique_ptr<::rocksdb::DB> raw(raw_db);

  Breakdown breakdown(**system, *journal_actor, plugin, *raw, fsync);
  const char* rows[] = {"persist", "persist-all(100)", "persist-async",
                        "recover"};
  const char* layers[] = {"raw", "plugin", "actor", "full"};
  std::vector<std::vector<std::vector<double>>> rates(
      4, std::vector<std::vector<double>>(4));
  std::vector<double> empty;
  const int persist_n = std::min(n, 2000);
  for (int it = 0; it <= iterations; ++it) {
    const std::string tag = absl::StrCat(it);
    const std::string async_id = "async-plugin-" + tag;
    std::vector<std::vector<double>> r = {
        breakdown.Sequential("persist-" + tag, persist_n, 1),
        breakdown.Sequential("all-" + tag, n, 100),
        breakdown.Async("async-" + tag, async_id, n),
        breakdown.Recover(async_id, n)};
    const double empty_us = breakdown.EmptyRecovery("empty-" + tag);
    for (size_t row = 0; row < r.size(); ++row) {
      std::printf("  %-17s %s", rows[row],
                  it == 0 ? "warm-up" : absl::StrCat("iter ", it).c_str());
      for (size_t l = 0; l < 4; ++l) {
        std::printf("  %s %9.0f", layers[l], r[row][l]);
        if (it > 0) rates[row][l].push_back(r[row][l]);
      }
      std::printf(" ev/s\n");
    }
    std::printf("  empty recovery    %s  %.0f us\n",
                it == 0 ? "warm-up" : absl::StrCat("iter ", it).c_str(),
                empty_us);
    if (it > 0) empty.push_back(empty_us);
    std::fflush(stdout);
  }
  std::printf("\nmedians, ev/s (fsync = %s, N = %d; persist N = %d)\n",
              fsync ? "on" : "off", n, persist_n);
  std::printf("%-17s %10s %10s %10s %10s   %s\n", "row", "raw", "plugin",
              "actor", "full", "plugin/raw full/raw");
  for (size_t row = 0; row < 4; ++row) {
    const double raw_rate = Median(rates[row][0]);
    std::printf("%-17s", rows[row]);
    for (size_t l = 0; l < 4; ++l) {
      std::printf(" %10.0f", Median(rates[row][l]));
    }
    std::printf("   %10.2f %8.2f\n", Median(rates[row][1]) / raw_rate,
                Median(rates[row][3]) / raw_rate);
  }
  std::printf("empty recovery (fixed cost of one recovery): %.0f us\n",
              Median(empty));
  return 0;
}

}  // namespace
}  // namespace persistence::rocksdb

int main(int argc, char** argv) {
  return persistence::rocksdb::Main(argc, argv);
}
