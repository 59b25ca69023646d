// Copyright 2026 The eventpersist Authors.
//
// plugin_benchmark: the rows of the perf table with the journal plugin
// called directly (no actor runtime), next to RocksDB's own API, in one
// process. Set beside `:perf` (journal through the runtime vs raw), it
// shows how much of the gap is the plugin and how much the runtime.
//
//   bazel run -c opt //backends/rocksdb:plugin_benchmark -- --events=10000
//   ... -- --fsync=0    # both sides without WAL syncs: CPU cost only
//
// Rows (N events of 100 bytes, like PERF.md):
//   persist           N writes of one event, each waits (plugin) | N synced
//   Puts persist-async     N one-event writes issued at once, then wait all
//                     (plugin; the writer groups them) | one WriteBatch
//   persist-all(100)  N/100 writes of 100 events, each waits | N/100 batches
//   recover           ReplayMessages on this thread | iterator + DecodeEvent
//   many-ids          1000 ids x 100 events, one write in flight per id
//                     (plugin) | the synced single-writer Put rate
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/key_layout.h"
#include "backends/rocksdb/rocksdb_journal.h"
#include "backends/rocksdb/test_util.h"
#include "persistence/api/codec.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/write_batch.h"

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
  e.writer_uuid = "bench-writer-uuid-00000000000000";
  e.timestamp = 1;
  return e;
}

AtomicWrite Group(const std::string& id, int64_t from, int n) {
  std::vector<PersistentRepr> events;
  for (int i = 0; i < n; ++i) events.push_back(Repr(id, from + i));
  return AtomicWrite::Make(std::move(events)).value();
}

double Rate(int64_t events, Clock::duration took) {
  return events / std::chrono::duration<double>(took).count();
}

template <typename F>
double Measure(int64_t events, F work) {
  const auto start = Clock::now();
  work();
  return Rate(events, Clock::now() - start);
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark failed: %s\n", what);
    std::exit(1);
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int Flag(int argc, char** argv, const char* name, int fallback) {
  const std::string prefix = absl::StrCat("--", name, "=");
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      return std::atoi(argv[i] + prefix.size());
    }
  }
  return fallback;
}

int Main(int argc, char** argv) {
  const int n = Flag(argc, argv, "events", 10000);
  const int iterations = Flag(argc, argv, "iterations", 5);
  const int ids = Flag(argc, argv, "ids", 1000);
  const int per_id = Flag(argc, argv, "events_per_id", 100);
  const bool fsync = Flag(argc, argv, "fsync", 1) != 0;
  testing::TempDir dir;
  const std::string path = dir.path() + "/db";
  RocksDbJournal journal(testing::JournalSection(
      path, absl::StrCat("persistence.journal.rocksdb.fsync = ",
                         fsync ? "on" : "off")));
  Check(journal.Start().ok(), "journal start");
  DatabaseSettings settings;
  settings.path = dir.path() + "/raw";
  rocksdb::DB* raw_db = nullptr;
  Check(rocksdb::DB::Open(MakeOptions(settings), settings.path, &raw_db).ok(),
        "raw open");
  std::unique_ptr<rocksdb::DB> raw(raw_db);
  rocksdb::WriteOptions synced;  // as the journal's fsync says
  synced.sync = fsync;
  rocksdb::WriteOptions durable;
  durable.sync = true;

  struct Row {
    const char* name;
    std::vector<double> plugin, raw;
  };
  std::vector<Row> rows = {{"persist"},
                           {"persist-async"},
                           {"persist-all(100)"},
                           {"recover"},
                           {"many-ids"}};
  for (int it = 0; it <= iterations; ++it) {
    const std::string tag = absl::StrCat("-", it);
    auto records = [&](const std::string& id, int count) {
      std::vector<std::pair<std::string, std::string>> out;
      for (int i = 1; i <= count; ++i) {
        out.emplace_back(EventKey(id, i), EncodeEvent(Repr(id, i)).value());
      }
      return out;
    };
    std::vector<double> plugin(rows.size()), base(rows.size());
    // persist
    {
      auto recs = records("raw-persist" + tag, n);
      base[0] = Measure(n, [&] {
        for (auto& [k, v] : recs) Check(raw->Put(synced, k, v).ok(), "raw put");
      });
      const std::string id = "persist" + tag;
      plugin[0] = Measure(n, [&] {
        for (int i = 1; i <= n; ++i) {
          Check(journal.AsyncWriteMessages({Group(id, i, 1)}).Get().ok(),
                "persist");
        }
      });
    }
    // persist-async
    const std::string async_id = "async" + tag;
    {
      auto recs = records("raw-async" + tag, n);
      base[1] = Measure(n, [&] {
        rocksdb::WriteBatch batch;
        for (auto& [k, v] : recs) Check(batch.Put(k, v).ok(), "batch");
        Check(raw->Write(synced, &batch).ok(), "raw write");
      });
      plugin[1] = Measure(n, [&] {
        std::vector<Future<absl::StatusOr<WriteResults>>> pending;
        pending.reserve(n);
        for (int i = 1; i <= n; ++i) {
          pending.push_back(
              journal.AsyncWriteMessages({Group(async_id, i, 1)}));
        }
        for (auto& f : pending) Check(f.Get().ok(), "persist-async");
      });
    }
    // persist-all(100)
    {
      auto recs = records("raw-all" + tag, n);
      base[2] = Measure(n, [&] {
        for (size_t s = 0; s < recs.size(); s += 100) {
          rocksdb::WriteBatch batch;
          for (size_t i = s; i < std::min(recs.size(), s + 100); ++i) {
            Check(batch.Put(recs[i].first, recs[i].second).ok(), "batch");
          }
          Check(raw->Write(synced, &batch).ok(), "raw write");
        }
      });
      const std::string id = "all" + tag;
      plugin[2] = Measure(n, [&] {
        for (int i = 1; i <= n; i += 100) {
          Check(journal.AsyncWriteMessages({Group(id, i, 100)}).Get().ok(),
                "persist-all");
        }
      });
    }
    // recover
    {
      const std::string raw_id = "raw-async" + tag;
      base[3] = Measure(n, [&] {
        const std::string end = EventKeyEnd(raw_id, kMaxSequenceNr);
        const rocksdb::Slice end_slice(end);
        rocksdb::ReadOptions options;
        options.iterate_upper_bound = &end_slice;
        std::unique_ptr<rocksdb::Iterator> iter(raw->NewIterator(options));
        const size_t prefix = IdPrefix(kEventTag, raw_id).size();
        int count = 0;
        for (iter->Seek(EventKey(raw_id, 1)); iter->Valid(); iter->Next()) {
          const rocksdb::Slice v = iter->value();
          Check(DecodeEvent(std::string_view(v.data(), v.size()), raw_id,
                            *SequenceNrOf(iter->key(), prefix))
                    .ok(),
                "decode");
          ++count;
        }
        Check(count == n, "raw scan count");
      });
      plugin[3] = Measure(n, [&] {
        int count = 0;
        Check(journal
                  .ReplayMessages(async_id, 1, kMaxSequenceNr, kMaxSequenceNr,
                                  [&](const PersistentRepr&) { ++count; })
                  .ok(),
              "replay");
        Check(count == n, "replay count");
      });
    }
    // many ids, durable
    {
      const int durable_n = std::min(n, 2000);
      auto recs = records("raw-durable" + tag, durable_n);
      base[4] = Measure(durable_n, [&] {
        for (auto& [k, v] : recs)
          Check(raw->Put(durable, k, v).ok(), "raw put");
      });
      plugin[4] = Measure(static_cast<int64_t>(ids) * per_id, [&] {
        for (int round = 1; round <= per_id; ++round) {
          std::vector<Future<absl::StatusOr<WriteResults>>> pending;
          for (int i = 0; i < ids; ++i) {
            pending.push_back(journal.AsyncWriteMessages(
                {Group(absl::StrCat("many", tag, "-", i), round, 1)}));
          }
          for (auto& f : pending) Check(f.Get().ok(), "many-ids");
        }
      });
    }
    for (size_t r = 0; r < rows.size(); ++r) {
      std::printf("  %-17s %s plugin %10.0f ev/s   raw %10.0f ev/s\n",
                  rows[r].name,
                  it == 0 ? "warm-up" : absl::StrCat("iter ", it).c_str(),
                  plugin[r], base[r]);
      if (it > 0) {
        rows[r].plugin.push_back(plugin[r]);
        rows[r].raw.push_back(base[r]);
      }
    }
    std::fflush(stdout);
  }
  std::printf("\n");
  for (const Row& row : rows) {
    const double p = Median(row.plugin), r = Median(row.raw);
    std::printf("%s: plugin %.0f ev/s, raw %.0f ev/s, ratio %.2f\n", row.name,
                p, r, p / r);
  }
  return 0;
}

}  // namespace
}  // namespace persistence::rocksdb_backend

int main(int argc, char** argv) {
  return persistence::rocksdb_backend::Main(argc, argv);
}
