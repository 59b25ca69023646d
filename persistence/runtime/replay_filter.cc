// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/replay_filter.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace persistence {

absl::StatusOr<ReplayFilterSettings> ReplayFilterSettings::FromConfig(
    const Config& c) {
  ReplayFilterSettings s;
  absl::StatusOr<std::string> mode = c.GetString("mode");
  if (!mode.ok()) return mode.status();
  if (*mode == "repair-by-discard-old") {
    s.mode = Mode::kRepairByDiscardOld;
  } else if (*mode == "fail") {
    s.mode = Mode::kFail;
  } else if (*mode == "warn") {
    s.mode = Mode::kWarn;
  } else if (*mode == "off") {
    s.mode = Mode::kOff;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", c.FullKey("mode"), "': unknown mode '",
                     *mode, "'; use repair-by-discard-old, fail, warn or off"));
  }
  absl::StatusOr<int64_t> window = c.GetIntAtLeast("window-size", 1);
  if (!window.ok()) return window.status();
  absl::StatusOr<int64_t> old_writers = c.GetInt("max-old-writers");
  if (!old_writers.ok()) return old_writers.status();
  s.window_size = static_cast<int>(*window);
  s.max_old_writers = static_cast<int>(*old_writers);
  return s;
}

ReplayFilter::ReplayFilter(ReplayFilterSettings settings, Warn warn)
    : settings_(settings), warn_(std::move(warn)) {}

absl::Status ReplayFilter::Issue(const std::string& message) {
  if (settings_.mode == ReplayFilterSettings::Mode::kFail) {
    return absl::FailedPreconditionError(message);
  }
  warn_(message);
  return absl::OkStatus();
}

absl::Status ReplayFilter::Add(PersistentRepr&& event) {
  using Mode = ReplayFilterSettings::Mode;
  if (settings_.mode == Mode::kOff) {
    events_.push_back(std::move(event));
    cleared_ = events_.size();
    return absl::OkStatus();
  }
  if (events_.size() - cleared_ >= static_cast<size_t>(settings_.window_size)) {
    ++cleared_;  // the oldest held event leaves the window
  }
  const bool repair = settings_.mode == Mode::kRepairByDiscardOld;

  if (event.writer_uuid == writer_uuid_) {
    // The current writer: its sequence numbers must not go backwards.
    if (event.sequence_nr < sequence_nr_) {
      absl::Status s = Issue(absl::StrCat(
          "invalid replayed event [sequence number ", event.sequence_nr,
          ", writer ", event.writer_uuid, "] of persistence id '",
          event.persistence_id,
          "': the same writer already wrote sequence "
          "number ",
          sequence_nr_,
          "; were events written out of order, or does one persistence id "
          "serve two entities?"));
      if (!s.ok()) return s;
      if (!repair) events_.push_back(std::move(event));
    } else {
      sequence_nr_ = event.sequence_nr;
      events_.push_back(std::move(event));
    }
    return absl::OkStatus();
  }

  if (std::find(old_writers_.begin(), old_writers_.end(), event.writer_uuid) !=
      old_writers_.end()) {
    // A writer that a newer one has replaced kept writing.
    absl::Status s = Issue(absl::StrCat(
        "invalid replayed event [sequence number ", event.sequence_nr,
        ", writer ", event.writer_uuid, "] of persistence id '",
        event.persistence_id, "': a newer writer (", writer_uuid_,
        ") already wrote sequence number ", sequence_nr_,
        "; did the old incarnation keep writing after the new one started?"));
    if (!s.ok()) return s;
    if (!repair) events_.push_back(std::move(event));
    return absl::OkStatus();
  }

  // A new writer: the one before it becomes an old writer, and held events
  // of others at or above its first sequence number are suspect.
  if (!writer_uuid_.empty()) {
    old_writers_.push_back(writer_uuid_);
    if (static_cast<int>(old_writers_.size()) > settings_.max_old_writers) {
      old_writers_.pop_front();
    }
  }
  writer_uuid_ = event.writer_uuid;
  sequence_nr_ = event.sequence_nr;
  for (size_t i = cleared_; i < events_.size();) {
    const PersistentRepr& held = events_[i];
    if (held.sequence_nr >= sequence_nr_) {
      absl::Status s = Issue(absl::StrCat(
          "invalid replayed event [sequence number ", held.sequence_nr,
          ", writer ", held.writer_uuid, "] of persistence id '",
          held.persistence_id, "': a new writer (", writer_uuid_,
          ") starts at sequence number ", sequence_nr_,
          ", at or below it; two incarnations wrote at once"));
      if (!s.ok()) return s;
      if (repair) {
        events_.erase(events_.begin() + static_cast<ptrdiff_t>(i));
        continue;
      }
    }
    ++i;
  }
  events_.push_back(std::move(event));
  return absl::OkStatus();
}

absl::Status ReplayFilter::Finish() {
  cleared_ = events_.size();
  return absl::OkStatus();
}

void ReplayFilter::Delivered() {
  delivered_ = cleared_;
  // Free the delivered events once a few hundred wait (or none is held):
  // the held ones then move to the front, at most window-size of them.
  constexpr size_t kFreeAfter = 256;
  if (delivered_ == events_.size() || delivered_ >= kFreeAfter) {
    events_.erase(events_.begin(),
                  events_.begin() + static_cast<ptrdiff_t>(delivered_));
    cleared_ -= delivered_;
    delivered_ = 0;
  }
}

}  // namespace persistence
