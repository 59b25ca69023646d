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
// The filter keeps the events itself: those it holds back and those it has
// cleared, which the caller takes with Ready() and hands back with
// Delivered(). An event is moved once, into the filter; clearing and
// delivering move nothing (a replay applies hundreds of thousands of
// events a second, and an event is ~200 bytes).
//
// Thread-safety: one filter serves one replay; not thread-safe.
//
// Example:
//
//   ReplayFilter filter(settings, warn);
//   absl::Status s = filter.Add(std::move(event));  // for each event
//   for (PersistentRepr& e : filter.Ready()) Apply(e);
//   filter.Delivered();
//   ...
//   if (s.ok()) s = filter.Finish();  // clears the window: Ready() again
#ifndef PERSISTENCE_RUNTIME_REPLAY_FILTER_H_
#define PERSISTENCE_RUNTIME_REPLAY_FILTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "persistence/api/config.h"
#include "persistence/api/persistent_repr.h"

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

  // Add takes the next replayed event. Once the window is full, each event
  // added clears the oldest one held.
  absl::Status Add(PersistentRepr&& event);
  // Finish clears the events still held (the end of the replay).
  absl::Status Finish();

  // Ready: the events cleared and not yet delivered, in order. The caller
  // may move them out.
  absl::Span<PersistentRepr> Ready() {
    return absl::MakeSpan(events_.data() + delivered_, cleared_ - delivered_);
  }
  // Delivered tells that the events of Ready() are handled; they are freed
  // (at the latest when a few hundred have been delivered).
  void Delivered();
  // Clear drops every event the filter keeps (the replay ended early).
  void Clear() {
    events_ = std::vector<PersistentRepr>();
    delivered_ = cleared_ = 0;
  }

 private:
  // Issue handles one detected problem per the mode: OK to go on (after a
  // warning), or the error that fails the replay.
  absl::Status Issue(const std::string& message);

  const ReplayFilterSettings settings_;
  Warn warn_;
  // events_: [delivered, not yet freed | cleared | held: the window].
  std::vector<PersistentRepr> events_;
  size_t delivered_ = 0;
  size_t cleared_ = 0;
  std::deque<std::string> old_writers_;
  std::string writer_uuid_;
  int64_t sequence_nr_ = 0;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_REPLAY_FILTER_H_
