// Copyright 2026 The eventpersist Authors.
//
// replay_filter.h: ReplayFilter, which detects (and can repair) an event log
// written by two actor incarnations at once: events of an old writer
// interleaved with a new writer's, or sequence numbers going backwards.
//
// It holds up to `window_size` events to look ahead, and remembers up to
// `max_old_writers` writer uuids it has seen replaced. Modes:
//   repair-by-discard-old: drop the old writer's events, warn;
//   fail:                  fail the replay with an error that says why;
//   warn:                  deliver everything, warn;
//   off:                   no filter (the journal passes events straight on).
//
// Thread-safety: one filter serves one replay; not thread-safe.
//
// Example:
//
//   ReplayFilter filter(settings, warn);
//   std::vector<PersistentRepr> out;        // what passes, in order
//   absl::Status s = filter.Add(std::move(event), &out);  // each event
//   if (s.ok()) s = filter.Finish(&out);    // flushes the window
#ifndef PERSISTENCE_RUNTIME_REPLAY_FILTER_H_
#define PERSISTENCE_RUNTIME_REPLAY_FILTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/config.h"
#include "persistence/api/persistent_repr.h"
#include "persistence/runtime/fifo.h"

namespace persistence {

struct ReplayFilterSettings {
  enum class Mode { kRepairByDiscardOld, kFail, kWarn, kOff };
  Mode mode = Mode::kRepairByDiscardOld;
  int window_size = 100;
  int max_old_writers = 10;

  // FromConfig reads `mode`, `window-size`, `max-old-writers`.
  static absl::StatusOr<ReplayFilterSettings> FromConfig(const Config& c);
};

class ReplayFilter {
 public:
  using Warn = std::function<void(const std::string&)>;

  ReplayFilter(ReplayFilterSettings settings, Warn warn);

  // Add takes the next replayed event; the events it lets pass, in order,
  // are appended to `out` (one of those before it, once the window is full).
  absl::Status Add(PersistentRepr&& event, std::vector<PersistentRepr>* out);
  // Finish appends the events still in the window.
  absl::Status Finish(std::vector<PersistentRepr>* out);

 private:
  // Issue handles one detected problem per the mode: OK to go on (after a
  // warning), or the error that fails the replay.
  absl::Status Issue(const std::string& message);

  const ReplayFilterSettings settings_;
  Warn warn_;
  Fifo<PersistentRepr> buffer_;
  std::deque<std::string> old_writers_;
  std::string writer_uuid_;
  int64_t sequence_nr_ = 0;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_REPLAY_FILTER_H_
