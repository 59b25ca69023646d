// Copyright 2026 The eventpersist Authors.
//
// The perf suite (docs/perf.md): the kit's journal cases, then each row of the
// perf table, journal side and raw side back to back in one process, with
// min / median / max events per second and the ratio journal / raw.
//
//   bazel run -c opt //backends/<name>:perf
//   bazel run -c opt //backends/<name>:perf -- --perf_events=100000
//   bazel run -c opt //backends/<name>:perf -- --perf_rows=persist,recover
//
// After the table come the memory rows of docs/perf.md (`memory` in
// --perf_rows; sizes by --perf_memory_events / --perf_memory_actors).
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "perf/caf_anchor.h"
#include "perf/raw_engine.h"
#include "persistence/api/codec.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/persistence.h"
#include "persistence/runtime/persistent_actor.h"
#include "tck/tck.h"

namespace persistence::perf {
namespace {

using Clock = std::chrono::steady_clock;

// The sequential anchor's round trips per iteration.
constexpr int kSequentialRoundTrips = 100000;

const std::string& EventPayload() {
  static const std::string* payload = new std::string(100, 'p');
  return *payload;
}

// A command is what an application would send: small and cheap to build.
// Only kDone carries a Promise (a Promise allocates its shared state, so
// one per persist command would charge the journal side for the harness).
struct PerfCommand {
  enum class Kind { kPersist, kPersistAsync, kPersistAll, kDone };
  Kind kind = Kind::kPersist;
  int group = 1;
  std::optional<Promise<absl::Status>> done;
};

// PerfActor persists the fixed payload as its commands say.
class PerfActor : public PersistentActor<PerfCommand> {
 public:
  PerfActor(std::string id, Promise<absl::StatusOr<int64_t>> recovered)
      : id_(std::move(id)), recovered_(recovered) {}

  std::string PersistenceId() const override { return id_; }
  void ReceiveRecover(const Payload&) override { ++replayed_; }
  void OnRecoveryCompleted() override { recovered_.Set(replayed_); }
  void OnRecoveryFailure(const absl::Status& cause) override {
    recovered_.Set(cause);
  }
  void OnPersistFailure(const absl::Status& cause,
                        const PersistentRepr&) override {
    failure_ = cause;
  }
  void PostStop() override {
    if (!failure_.ok()) {
      for (auto& d : waiting_) d.Set(failure_);
    }
  }

  void ReceiveCommand(PerfCommand c) override {
    static const auto noop = [](const std::string&) {};
    switch (c.kind) {
      case PerfCommand::Kind::kPersist:
        Persist<std::string>(EventPayload(), noop);
        break;
      case PerfCommand::Kind::kPersistAsync:
        if (c.group == 1) {
          PersistAsync<std::string>(EventPayload(), noop);
        } else {
          PersistAllAsync<std::string>(
              std::vector<std::string>(c.group, EventPayload()), noop);
        }
        break;
      case PerfCommand::Kind::kPersistAll:
        PersistAll<std::string>(
            std::vector<std::string>(c.group, EventPayload()), noop);
        break;
      case PerfCommand::Kind::kDone:
        waiting_.push_back(*c.done);
        DeferAsync<int>(
            0, [done = *c.done](const int&) { done.Set(absl::OkStatus()); });
        break;
    }
  }

 private:
  std::string id_;
  Promise<absl::StatusOr<int64_t>> recovered_;
  int64_t replayed_ = 0;
  absl::Status failure_;
  std::vector<Promise<absl::Status>> waiting_;
};

struct Spawned {
  std::shared_ptr<PerfActor> actor;
  Future<absl::StatusOr<int64_t>> recovered;
};

Spawned SpawnPerfActor(ActorSystem& system, const std::string& id) {
  Promise<absl::StatusOr<int64_t>> recovered;
  auto actor = system.Spawn<PerfActor>(id, recovered);
  return {actor, recovered.GetFuture()};
}

absl::Status Check(const absl::Status& s, const std::string& what) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

std::string RunId() {
  return absl::StrCat(std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
}

// One row of the table: events per second of each iteration, both sides.
struct Row {
  std::string work;
  std::vector<double> journal;
  std::vector<double> raw;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void PrintStats(const char* side, const std::vector<double>& v) {
  if (v.empty()) return;
  std::printf("    %-8s min %10.0f  median %10.0f  max %10.0f ev/s\n", side,
              *std::min_element(v.begin(), v.end()), Median(v),
              *std::max_element(v.begin(), v.end()));
}

// StatusKb reads a "<field>: <n> kB" line of /proc/self/status; -1 if none.
int64_t StatusKb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtoll(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

// ResetPeakRss makes VmHWM start again from the current RSS.
void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

double Rate(int64_t events, Clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  return seconds <= 0 ? 0 : static_cast<double>(events) / seconds;
}

class PerfSuite {
 public:
  PerfSuite(ActorSystem& system, RawEngine& raw, const tck::TckSettings& s)
      : system_(system), raw_(raw), settings_(s), run_(RunId()) {}

  // Journal side of persist / persist-async / persist-all; returns ev/s and
  // leaves `id` holding n events (the recover row reads them back).
  absl::StatusOr<double> JournalWrite(const std::string& id,
                                      PerfCommand::Kind kind, int group) {
    return JournalWrite(id, kind, group, settings_.perf_events);
  }
  absl::StatusOr<double> JournalWrite(const std::string& id,
                                      PerfCommand::Kind kind, int group,
                                      int n) {
    Spawned s = SpawnPerfActor(system_, id);
    absl::StatusOr<int64_t> recovered = s.recovered.Get();
    if (!recovered.ok()) return recovered.status();
    Promise<absl::Status> done;
    ActorRef<PerfCommand> ref(s.actor);
    const auto start = Clock::now();
    for (int sent = 0; sent < n; sent += group) {
      ref.Tell(PerfCommand{kind, group, std::nullopt});
    }
    ref.Tell(PerfCommand{PerfCommand::Kind::kDone, 0, done});
    absl::Status st = done.GetFuture().Get();
    const auto took = Clock::now() - start;
    s.actor->Stop();
    if (!st.ok()) return st;
    return Rate(n, took);
  }

  absl::StatusOr<double> JournalRecover(const std::string& id) {
    return JournalRecover(id, settings_.perf_events);
  }
  absl::StatusOr<double> JournalRecover(const std::string& id, int64_t n) {
    const auto start = Clock::now();
    Spawned s = SpawnPerfActor(system_, id);
    absl::StatusOr<int64_t> recovered = s.recovered.Get();
    const auto took = Clock::now() - start;
    s.actor->Stop();
    if (!recovered.ok()) return recovered.status();
    if (*recovered != n) {
      return absl::DataLossError(
          absl::StrCat("recovered ", *recovered, " of ", n, " events"));
    }
    return Rate(*recovered, took);
  }

  absl::StatusOr<double> JournalManyActors(const std::string& prefix) {
    std::vector<Spawned> actors;
    for (int a = 0; a < settings_.perf_actors; ++a) {
      actors.push_back(SpawnPerfActor(system_, absl::StrCat(prefix, "-", a)));
    }
    for (Spawned& s : actors) {
      absl::StatusOr<int64_t> r = s.recovered.Get();
      if (!r.ok()) return r.status();
    }
    std::vector<Future<absl::Status>> done;
    const auto start = Clock::now();
    for (Spawned& s : actors) {
      ActorRef<PerfCommand> ref(s.actor);
      for (int i = 0; i < settings_.perf_events_per_actor; ++i) {
        ref.Tell(PerfCommand{PerfCommand::Kind::kPersist, 1, std::nullopt});
      }
      Promise<absl::Status> p;
      ref.Tell(PerfCommand{PerfCommand::Kind::kDone, 0, p});
      done.push_back(p.GetFuture());
    }
    for (auto& f : done) {
      if (!f.Get().ok()) return f.Get();
    }
    const auto took = Clock::now() - start;
    for (Spawned& s : actors) s.actor->Stop();
    return Rate(static_cast<int64_t>(settings_.perf_actors) *
                    settings_.perf_events_per_actor,
                took);
  }

  RawRecord Record(const std::string& id, int64_t sequence_nr) const {
    PersistentRepr e;
    e.persistence_id = id;
    e.sequence_nr = sequence_nr;
    e.payload = Payload::Of(EventPayload());
    e.writer_uuid = "raw-writer-uuid-0000000000000000";
    e.timestamp = 1;
    return {id, sequence_nr, EncodeEvent(e).value()};
  }

  std::vector<RawRecord> Records(const std::string& id, int n) const {
    std::vector<RawRecord> records;
    records.reserve(n);
    for (int i = 1; i <= n; ++i) records.push_back(Record(id, i));
    return records;
  }

  // BothSides runs the raw and the journal side of a row back to back, in
  // turns first (raw first on even iterations): what the first leaves
  // behind (a memtable flush, a compaction in the background) then meets
  // each side equally often. Returns {raw, journal}.
  template <typename R, typename J>
  static std::pair<absl::StatusOr<double>, absl::StatusOr<double>> BothSides(
      int iteration, R raw, J journal) {
    if (iteration % 2 == 0) {
      absl::StatusOr<double> r = raw();
      return {r, journal()};
    }
    absl::StatusOr<double> j = journal();
    return {raw(), j};
  }

  template <typename F>
  absl::StatusOr<double> Raw(int64_t events, F work) {
    const auto start = Clock::now();
    absl::Status s = work();
    const auto took = Clock::now() - start;
    if (!s.ok()) return s;
    return Rate(events, took);
  }

  absl::Status Run() {
    const int n = settings_.perf_events;
    const int iterations = settings_.perf_iterations;
    std::vector<Row> rows = {{"persist"},         {"persist-async"},
                             {"persist-all(10)"}, {"persist-all(100)"},
                             {"recover"},         {"many-actors"}};
    std::set<std::string> wanted;
    for (absl::string_view w :
         absl::StrSplit(settings_.perf_rows, ',', absl::SkipEmpty())) {
      auto known = std::find_if(rows.begin(), rows.end(),
                                [&](const Row& r) { return r.work == w; });
      if (known == rows.end() && w != "memory" && w != "anchors") {
        return absl::InvalidArgumentError(absl::StrCat(
            "--perf_rows: unknown row '", w,
            "' (rows: persist, persist-async, persist-all(10), "
            "persist-all(100), recover, many-actors, anchors, memory)"));
      }
      wanted.insert(std::string(w));
    }
    auto want = [&](const Row& row) {
      return wanted.empty() || wanted.count(row.work) > 0;
    };
    const bool anchors = wanted.empty() || wanted.count("anchors") > 0;
    std::vector<double> caf_many, caf_sequential;
    std::printf(
        "perf: N = %d events of %zu bytes, %d measured iterations after "
        "one warm-up\n",
        n, EventPayload().size(), iterations);
    for (int it = 0; it <= iterations; ++it) {
      const bool warmup = it == 0;
      const std::string tag = absl::StrCat(run_, "-", it);
      // The anchor rows (caf_anchor.h): CAF's round trips, in the same
      // iteration as the rows they are compared with.
      if (anchors) {
        const double many = CafManyActorsRate(settings_.perf_actors,
                                              settings_.perf_events_per_actor);
        const double sequential = CafSequentialRate(kSequentialRoundTrips);
        std::printf(
            "  %-17s %s caf many-actors %10.0f rt/s   sequential "
            "%10.0f rt/s\n",
            "anchors",
            warmup ? "warm-up" : absl::StrFormat("iter %2d", it).c_str(), many,
            sequential);
        if (!warmup) {
          caf_many.push_back(many);
          caf_sequential.push_back(sequential);
        }
      }
      auto record = [&](Row& row, absl::StatusOr<double> journal,
                        absl::StatusOr<double> raw) -> absl::Status {
        if (!journal.ok())
          return Check(journal.status(), row.work + " (journal)");
        if (!raw.ok()) return Check(raw.status(), row.work + " (raw)");
        if (!want(row)) return absl::OkStatus();
        std::printf(
            "  %-17s %s journal %10.0f ev/s   raw %10.0f ev/s\n",
            row.work.c_str(),
            warmup ? "warm-up" : absl::StrFormat("iter %2d", it).c_str(),
            *journal, *raw);
        std::fflush(stdout);
        if (!warmup) {
          row.journal.push_back(*journal);
          row.raw.push_back(*raw);
        }
        return absl::OkStatus();
      };
      // persist
      if (want(rows[0])) {
        auto records = Records("raw-persist-" + tag, n);
        auto [raw, journal] = BothSides(
            it, [&] { return Raw(n, [&] { return raw_.WriteEach(records); }); },
            [&] {
              return JournalWrite("persist-" + tag, PerfCommand::Kind::kPersist,
                                  1);
            });
        if (auto s = record(rows[0], journal, raw); !s.ok()) return s;
      }
      // persist-async (its events are what the recover row reads back)
      const std::string async_id = "async-" + tag;
      const std::string raw_async_id = "raw-async-" + tag;
      if (want(rows[1]) || want(rows[4])) {
        auto records = Records(raw_async_id, n);
        auto [raw, journal] = BothSides(
            it,
            [&] { return Raw(n, [&] { return raw_.WriteAsync(records); }); },
            [&] {
              return JournalWrite(async_id, PerfCommand::Kind::kPersistAsync,
                                  1);
            });
        if (auto s = record(rows[1], journal, raw); !s.ok()) return s;
      }
      // persist-all
      for (int row_index : {2, 3}) {
        if (!want(rows[row_index])) continue;
        const int group = row_index == 2 ? 10 : 100;
        auto records = Records(absl::StrCat("raw-all", group, "-", tag), n);
        auto [raw, journal] = BothSides(
            it,
            [&] {
              return Raw(n, [&] { return raw_.WriteGroups(records, group); });
            },
            [&] {
              return JournalWrite(absl::StrCat("all", group, "-", tag),
                                  PerfCommand::Kind::kPersistAll, group);
            });
        if (auto s = record(rows[row_index], journal, raw); !s.ok()) return s;
      }
      // recover
      if (want(rows[4])) {
        auto [raw, journal] = BothSides(
            it,
            [&]() -> absl::StatusOr<double> {
              int64_t scanned = 0;
              auto rate = Raw(n, [&]() -> absl::Status {
                absl::StatusOr<int64_t> r = raw_.Scan(raw_async_id);
                if (!r.ok()) return r.status();
                scanned = *r;
                return absl::OkStatus();
              });
              if (rate.ok() && scanned != n) {
                return absl::DataLossError(
                    absl::StrCat("raw scan read ", scanned, " of ", n));
              }
              return rate;
            },
            [&] { return JournalRecover(async_id); });
        if (auto s = record(rows[4], journal, raw); !s.ok()) return s;
      }
      // many actors, against the engine's WriteManyActors rate (by default
      // its durable single-writer rate)
      if (want(rows[5])) {
        const int actors = std::max(1, settings_.perf_actors);
        const int per_id = std::max(1, std::min(n, 2000) / actors);
        std::vector<RawRecord> records;
        for (int i = 1; i <= per_id; ++i) {
          for (int a = 0; a < actors; ++a) {
            records.push_back(
                Record(absl::StrCat("raw-many-", tag, "-", a), i));
          }
        }
        const int durable_n = static_cast<int>(records.size());
        auto [raw, journal] = BothSides(
            it,
            [&] {
              return Raw(durable_n,
                         [&] { return raw_.WriteManyActors(records); });
            },
            [&] { return JournalManyActors("many-" + tag); });
        if (auto s = record(rows[5], journal, raw); !s.ok()) return s;
      }
    }
    std::printf("\nsummary (medians of %d iterations; ratio = journal / raw)\n",
                iterations);
    for (const Row& row : rows) {
      if (!want(row)) continue;
      std::printf("  %s\n", row.work.c_str());
      PrintStats("journal", row.journal);
      PrintStats("raw", row.raw);
    }
    std::printf("\n");
    for (const Row& row : rows) {
      if (!want(row)) continue;
      const double j = Median(row.journal), r = Median(row.raw);
      std::printf(
          "%s: journal %.0f ev/s, raw %.0f ev/s, ratio %.2f%s\n",
          row.work.c_str(), j, r, r > 0 ? j / r : 0.0,
          row.work == "many-actors"
              ? absl::StrCat(" (raw = ", raw_.ManyActorsRaw(), ")").c_str()
              : "");
    }
    if (anchors) {
      const double many = Median(caf_many), sequential = Median(caf_sequential);
      std::printf(
          "anchor caf many-actors: %.0f round trips/s (%d actors x %d)\n"
          "anchor caf sequential: %.0f round trips/s\n",
          many, settings_.perf_actors, settings_.perf_events_per_actor,
          sequential);
      if (want(rows[0]) && sequential > 0) {
        std::printf("persist / caf sequential: %.2f (in-memory target 0.25)\n",
                    Median(rows[0].journal) / sequential);
      }
      if (want(rows[5]) && many > 0) {
        std::printf(
            "many-actors / caf many-actors: %.2f (in-memory target 0.5)\n",
            Median(rows[5].journal) / many);
      }
    }
    return wanted.empty() || wanted.count("memory") > 0 ? Memory()
                                                        : absl::OkStatus();
  }

  // Memory: the two memory targets of docs/perf.md, measured as resident set
  // growth (/proc/self/status), after malloc_trim so that memory freed
  // earlier cannot hide new growth.
  absl::Status Memory() {
    if (const int n = settings_.perf_memory_events; n > 0) {
      const std::string id = "memory-" + run_;
      // Written in groups of 1,000 with persist-all-async.
      const int group = std::min(n, 1000);
      absl::StatusOr<double> wrote = JournalWrite(
          id, PerfCommand::Kind::kPersistAsync, group, n / group * group);
      if (!wrote.ok()) return Check(wrote.status(), "memory (writing)");
      // Twice: the first recovery also fills the engine's own caches (a
      // RocksDB block cache grows to its configured size); the second shows
      // what the runtime and the plugin need on top.
      for (const char* pass : {"first", "again"}) {
        malloc_trim(0);
        ResetPeakRss();
        const int64_t before = StatusKb("VmRSS");
        absl::StatusOr<double> recovered =
            JournalRecover(id, n / group * group);
        if (!recovered.ok()) {
          return Check(recovered.status(), "memory (recover)");
        }
        const int64_t growth = StatusKb("VmHWM") - before;
        std::printf(
            "memory recover(%d), %s: peak RSS +%.1f MiB (%.0f ev/s; target "
            "< 64 MiB for 1,000,000)\n",
            n / group * group, pass, growth / 1024.0, *recovered);
      }
    }
    if (const int m = settings_.perf_memory_actors; m > 0) {
      malloc_trim(0);
      const int64_t before = StatusKb("VmRSS");
      std::vector<Spawned> actors;
      actors.reserve(m);
      for (int a = 0; a < m; ++a) {
        actors.push_back(
            SpawnPerfActor(system_, absl::StrCat("idle-", run_, "-", a)));
      }
      for (Spawned& s : actors) {
        absl::StatusOr<int64_t> r = s.recovered.Get();
        if (!r.ok()) return Check(r.status(), "memory (idle actors)");
      }
      const int64_t growth = StatusKb("VmRSS") - before;
      std::printf(
          "memory idle-actors(%d): RSS +%.2f KiB per recovered idle actor "
          "(target < 4 KiB)\n",
          m, static_cast<double>(growth) / m);
      for (Spawned& s : actors) s.actor->Stop();
    }
    return absl::OkStatus();
  }

 private:
  ActorSystem& system_;
  RawEngine& raw_;
  const tck::TckSettings& settings_;
  const std::string run_;
};

}  // namespace
}  // namespace persistence::perf

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  persistence::tck::InstallKitSummary();
  absl::Status init = persistence::tck::InitTck(argc, argv);
  if (!init.ok()) {
    std::cerr << "perf set-up failed: " << init << "\n";
    persistence::tck::ShutdownTck();
    return 2;
  }
  const persistence::tck::TckSettings& settings = persistence::tck::Settings();
  int result = 0;
  if (settings.perf_run_kit) {
    result = RUN_ALL_TESTS();
    if (!persistence::tck::KitFlagsHeld()) result = 1;
    if (result != 0) {
      std::cerr << "the kit failed; no perf run\n";
      persistence::tck::ShutdownTck();
      return result;
    }
  }
  absl::StatusOr<std::unique_ptr<persistence::perf::RawEngine>> raw_engine =
      persistence::perf::NewRawEngine();
  if (!raw_engine.ok()) {
    std::cerr << raw_engine.status() << "\n";
    persistence::tck::ShutdownTck();
    return 2;
  }
  std::unique_ptr<persistence::perf::RawEngine> raw = *std::move(raw_engine);
  absl::StatusOr<std::string> journal_path =
      settings.config.GetString("persistence.journal.plugin");
  absl::StatusOr<persistence::Config> journal_config =
      journal_path.ok()
          ? settings.config.GetConfig(*journal_path)
          : absl::StatusOr<persistence::Config>(journal_path.status());
  absl::Status opened = journal_config.ok() ? raw->Open(*journal_config)
                                            : journal_config.status();
  if (!opened.ok()) {
    std::cerr << "raw engine: " << opened << "\n";
    persistence::tck::ShutdownTck();
    return 2;
  }
  {
    auto system = persistence::ActorSystem::Create("perf", settings.config);
    if (!system.ok()) {
      std::cerr << system.status() << "\n";
      persistence::tck::ShutdownTck();
      return 2;
    }
    persistence::perf::PerfSuite suite(**system, *raw, settings);
    absl::Status s = suite.Run();
    if (!s.ok()) {
      std::cerr << "perf failed: " << s << "\n";
      result = 1;
    }
  }
  raw.reset();
  persistence::tck::ShutdownTck();
  return result;
}
