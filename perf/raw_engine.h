// Copyright 2026 The eventpersist Authors.
//
// raw_engine.h: RawEngine, the raw side of the perf table: the backend's
// engine doing the same work as the journal, with no journal in between
// (docs/perf.md). Each backend registers one, written with its engine's own API
// at its honest best (a WriteBatch, a pipeline), and the perf target runs
// it back to back with the journal, in one process.
//
// The records are the bytes the journal itself would store (the event
// codec of persistence/api/codec.h), so both sides move the same data.
//
// Thread-safety: the perf harness calls an engine from one thread.
//
// Example:
//
//   class RocksDbRawEngine : public RawEngine { ... };
//   PERSISTENCE_REGISTER(RawEngineRegistry, "rocksdb",
//                        Construct<RocksDbRawEngine>);
#ifndef PERSISTENCE_PERF_RAW_ENGINE_H_
#define PERSISTENCE_PERF_RAW_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/config.h"
#include "persistence/api/registry.h"

namespace persistence::perf {

// RawRecord: one encoded event and where it goes.
struct RawRecord {
  std::string persistence_id;
  int64_t sequence_nr = 0;
  std::string bytes;
};

class RawEngine {
 public:
  virtual ~RawEngine() = default;

  // Open prepares the engine; `journal_config` is the journal plugin's
  // section, so both sides use the same settings (path, fsync, server).
  // The journal runs in the same process: an engine that needs exclusive
  // storage (a RocksDB directory) opens a sibling of the journal's.
  virtual absl::Status Open(const Config& journal_config) = 0;

  // WriteEach: each record is one write that waits for its reply.
  virtual absl::Status WriteEach(const std::vector<RawRecord>& records) = 0;
  // WriteAsync: all records without waiting between them (pipelined or
  // batched as the engine allows), then wait for all.
  virtual absl::Status WriteAsync(const std::vector<RawRecord>& records) = 0;
  // WriteGroups: consecutive groups of `group` records, one engine batch each.
  virtual absl::Status WriteGroups(const std::vector<RawRecord>& records,
                                   int group) = 0;
  // Scan reads the records of `persistence_id` back in order, decodes each
  // with DecodeEvent, and returns how many it read.
  virtual absl::StatusOr<int64_t> Scan(const std::string& persistence_id) = 0;
  // WriteEachDurable: WriteEach with the engine's strongest durability
  // (an fsync per write); the many-actors row compares against its rate.
  virtual absl::Status WriteEachDurable(const std::vector<RawRecord>& records) {
    return WriteEach(records);
  }
  // WriteManyActors: the raw side of many-actors. `records` are single
  // events of many ids (the row's actor count), round-robin: every id's
  // first event, then every id's second. The default is WriteEachDurable
  // (one writer, so the ids do not matter); a networked engine whose
  // server serves many clients at once pipelines them instead.
  virtual absl::Status WriteManyActors(const std::vector<RawRecord>& records) {
    return WriteEachDurable(records);
  }
  // ManyActorsRaw names that raw side in the perf output.
  virtual std::string ManyActorsRaw() const { return "durable single writer"; }
};

// RawEngineRegistry: the backend's raw engine (registry.h); a perf binary
// links exactly one.
struct RawEngineClasses : FactoriesOf<RawEngine> {
  static constexpr char kWhat[] = "raw engine";
};
using RawEngineRegistry = Registry<RawEngineClasses>;

// NewRawEngine builds the one registered raw engine; none, or more than
// one, is FailedPrecondition naming them.
absl::StatusOr<std::unique_ptr<RawEngine>> NewRawEngine();

}  // namespace persistence::perf

#endif  // PERSISTENCE_PERF_RAW_ENGINE_H_
