// Copyright 2026 The eventpersist Authors.
//
// plugin_bench: where the time of the perf table goes. It runs the perf
// rows three ways against one throw-away redis-server:
//
//   raw      the perf raw engine (hiredis, no plugin; records pre-encoded)
//   plugin   the Redis journal plugin called directly from this thread,
//            no actor runtime: encoding + pipelined client + reader thread
//   encode   EncodeRequest alone (what the plugin does that raw does not)
//
// The perf target's journal side adds the actor runtime on top of
// "plugin"; comparing the three says which layer costs what.
//
//   bazel run -c opt //backends/redis:plugin_bench -- [events] [iterations]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/redis/redis_journal.h"
#include "backends/redis/testing/redis_server.h"
#include "perf/raw_engine.h"
#include "persistence/api/codec.h"
#include "persistence/api/reference_conf.h"

namespace persistence::redis {
namespace {

using Clock = std::chrono::steady_clock;

double Rate(int64_t n, Clock::duration d) {
  return static_cast<double>(n) / std::chrono::duration<double>(d).count();
}

PersistentRepr Event(const std::string& id, int64_t seq) {
  PersistentRepr e;
  e.persistence_id = id;
  e.sequence_nr = seq;
  e.payload = Payload::Of(std::string(100, 'p'));
  e.writer_uuid = "raw-writer-uuid-0000000000000000";
  e.timestamp = 1;
  return e;
}

std::vector<perf::RawRecord> Records(const std::string& id, int n) {
  std::vector<perf::RawRecord> records;
  for (int i = 1; i <= n; ++i)
    records.push_back({id, i, EncodeEvent(Event(id, i)).value()});
  return records;
}

std::vector<AtomicWrite> Groups(const std::string& id, int n, int group) {
  std::vector<AtomicWrite> writes;
  for (int start = 1; start <= n; start += group) {
    std::vector<PersistentRepr> events;
    for (int s = start; s < start + group && s <= n; ++s)
      events.push_back(Event(id, s));
    writes.push_back(*AtomicWrite::Make(std::move(events)));
  }
  return writes;
}

int Main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 5;
  auto server = testing::RedisServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 2;
  }
  absl::StatusOr<Config> config =
      LoadConfigFromString((*server)->HoconOverlay(), "bench");
  if (!config.ok()) return 2;
  Config section = config->GetConfig("persistence.journal.redis").value();
  RedisJournal journal(section, "persistence.journal.redis");
  if (absl::Status s = journal.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<perf::RawEngine>> raw_engine =
      perf::NewRawEngine();
  if (!raw_engine.ok()) {
    std::fprintf(stderr, "%s\n", raw_engine.status().ToString().c_str());
    return 2;
  }
  std::unique_ptr<perf::RawEngine> raw = *std::move(raw_engine);
  if (absl::Status s = raw->Open(section); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 2;
  }
  std::printf("N = %d, %d iterations, medians in events/s\n", n, iterations);
  std::vector<std::vector<double>> columns(12);
  for (int it = 0; it < iterations; ++it) {
    const std::string tag =
        absl::StrCat(it, "-", Clock::now().time_since_epoch().count());
    int c = 0;
    // persist: one event per call, each waiting for its reply.
    {
      auto records = Records("raw-each-" + tag, n);
      auto t = Clock::now();
      if (!raw->WriteEach(records).ok()) return 1;
      columns[c++].push_back(Rate(n, Clock::now() - t));
      auto writes = Groups("each-" + tag, n, 1);
      t = Clock::now();
      for (AtomicWrite& w : writes) {
        if (!journal.AsyncWriteMessages({w}).Get().ok()) return 1;
      }
      columns[c++].push_back(Rate(n, Clock::now() - t));
    }
    // persist-async: every call without waiting.
    {
      auto records = Records("raw-async-" + tag, n);
      auto t = Clock::now();
      if (!raw->WriteAsync(records).ok()) return 1;
      columns[c++].push_back(Rate(n, Clock::now() - t));
      auto writes = Groups("async-" + tag, n, 1);
      t = Clock::now();
      std::vector<Future<absl::StatusOr<WriteResults>>> futures;
      for (AtomicWrite& w : writes)
        futures.push_back(journal.AsyncWriteMessages({w}));
      for (auto& f : futures) {
        if (!f.Get().ok()) return 1;
      }
      columns[c++].push_back(Rate(n, Clock::now() - t));
    }
    // persist-all(100): one group per call, each waiting.
    {
      auto records = Records("raw-all-" + tag, n);
      auto t = Clock::now();
      if (!raw->WriteGroups(records, 100).ok()) return 1;
      columns[c++].push_back(Rate(n, Clock::now() - t));
      auto writes = Groups("all-" + tag, n, 100);
      t = Clock::now();
      for (AtomicWrite& w : writes) {
        if (!journal.AsyncWriteMessages({w}).Get().ok()) return 1;
      }
      columns[c++].push_back(Rate(n, Clock::now() - t));
      // What the plugin does that raw does not: encoding.
      t = Clock::now();
      size_t bytes = 0;
      for (int k = 0; k < 3; ++k) {
        bytes += EncodeRequest(writes).buffer.size();
      }
      columns[c++].push_back(Rate(3 * n, Clock::now() - t));
      (void)bytes;
    }
    // recover.
    {
      auto t = Clock::now();
      absl::StatusOr<int64_t> scanned = raw->Scan("raw-async-" + tag);
      if (!scanned.ok() || *scanned != n) return 1;
      columns[c++].push_back(Rate(n, Clock::now() - t));
      int64_t seen = 0;
      t = Clock::now();
      absl::Status s =
          journal
              .AsyncReplayMessages("async-" + tag, 1, kMaxSequenceNr,
                                   kMaxSequenceNr,
                                   [&seen](const PersistentRepr&) { ++seen; })
              .Get();
      if (!s.ok() || seen != n) return 1;
      columns[c++].push_back(Rate(n, Clock::now() - t));
      // Decoding alone.
      auto records = Records("decode-" + tag, n);
      t = Clock::now();
      for (const auto& r : records) {
        if (!DecodeEvent(r.bytes, r.persistence_id, r.sequence_nr).ok())
          return 1;
      }
      columns[c++].push_back(Rate(n, Clock::now() - t));
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const char* names[] = {"persist          raw",    "persist          plugin",
                         "persist-async    raw",    "persist-async    plugin",
                         "persist-all(100) raw",    "persist-all(100) plugin",
                         "encode alone        ",    "recover          raw",
                         "recover          plugin", "decode alone        "};
  for (int c = 0; c < 10; ++c) {
    std::printf("  %-26s %10.0f\n", names[c], median(columns[c]));
  }
  return 0;
}

}  // namespace
}  // namespace persistence::redis

int main(int argc, char** argv) { return persistence::redis::Main(argc, argv); }
