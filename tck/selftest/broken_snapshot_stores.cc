// Copyright 2026 The eventpersist Authors.
//
// Snapshot stores broken on purpose, each with one bug of a kind seen in
// public plugins. The kit's self-test (kit_catches_broken_plugins_test.sh)
// runs the snapshot-store suite against each and requires the named cases
// to fail.
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "persistence/api/codec.h"
#include "persistence/api/snapshot_store.h"

namespace persistence::tck {
namespace {

enum class Bug {
  kReturnsTheOldest,       // a load picks the oldest match, not the youngest
  kIgnoresTimestamps,      // criteria match on sequence numbers only
  kDeletesMoreThanAsked,   // a delete of one also deletes the older ones
  kKeepsTheFirstOnResave,  // a save at a taken sequence number is dropped
  kDropsMetadata,          // snapshot metadata is not stored
  kTriesEveryOne,          // a load ignores max-load-attempts
};

// BrokenSnapshotStore is a plain in-memory snapshot store of records of
// the snapshot codec, with the one bug `kBug`.
template <Bug kBug>
class BrokenSnapshotStore : public SyncSnapshotStore {
 public:
  explicit BrokenSnapshotStore(const Config& config)
      : max_load_attempts_(config.GetInt("max-load-attempts").value_or(3)) {}

  LoadResult Load(const std::string& persistence_id,
                  const SnapshotSelectionCriteria& criteria) override {
    std::lock_guard<std::mutex> lock(mu_);
    const std::map<int64_t, std::string>& by_seq = snapshots_[persistence_id];
    SnapshotSelectionCriteria matching = criteria;
    if (kBug == Bug::kIgnoresTimestamps) {
      matching.min_timestamp = 0;
      matching.max_timestamp = kMaxSequenceNr;
    }
    auto youngest = by_seq.rbegin();
    auto oldest = by_seq.begin();
    const int64_t attempts =
        kBug == Bug::kTriesEveryOne ? kMaxSequenceNr : max_load_attempts_;
    return SelectSnapshot(persistence_id, matching, attempts,
                          [&]() -> std::optional<std::string_view> {
                            if (kBug == Bug::kReturnsTheOldest) {
                              if (oldest == by_seq.end()) return std::nullopt;
                              return (oldest++)->second;
                            }
                            if (youngest == by_seq.rend()) return std::nullopt;
                            return (youngest++)->second;
                          });
  }

  absl::Status Save(const SnapshotMetadata& metadata,
                    const Payload& snapshot) override {
    SnapshotMetadata stored = metadata;
    if (kBug == Bug::kDropsMetadata) stored.metadata.reset();
    absl::StatusOr<std::string> record = EncodeSnapshot(stored, snapshot);
    if (!record.ok()) return record.status();
    std::lock_guard<std::mutex> lock(mu_);
    auto& by_seq = snapshots_[metadata.persistence_id];
    if (kBug == Bug::kKeepsTheFirstOnResave) {
      by_seq.emplace(metadata.sequence_nr, *std::move(record));
    } else {
      by_seq[metadata.sequence_nr] = *std::move(record);
    }
    return absl::OkStatus();
  }

  absl::Status Delete(const SnapshotMetadata& metadata) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto& by_seq = snapshots_[metadata.persistence_id];
    auto it = by_seq.find(metadata.sequence_nr);
    if (it == by_seq.end()) return absl::OkStatus();
    absl::StatusOr<SnapshotMetadata> stored =
        DecodeSnapshotMetadata(it->second, metadata.persistence_id);
    if (stored.ok() && !DeleteByMetadataMatches(metadata, *stored)) {
      return absl::OkStatus();
    }
    if (kBug == Bug::kDeletesMoreThanAsked) {
      by_seq.erase(by_seq.begin(), std::next(it));
    } else {
      by_seq.erase(it);
    }
    return absl::OkStatus();
  }

  absl::Status Delete(const std::string& persistence_id,
                      const SnapshotSelectionCriteria& criteria) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto& by_seq = snapshots_[persistence_id];
    for (auto it = by_seq.begin(); it != by_seq.end();) {
      absl::StatusOr<SnapshotMetadata> stored =
          DecodeSnapshotMetadata(it->second, persistence_id);
      it = stored.ok() && criteria.Matches(*stored) ? by_seq.erase(it)
                                                    : std::next(it);
    }
    return absl::OkStatus();
  }

 private:
  const int64_t max_load_attempts_;
  std::mutex mu_;
  std::unordered_map<std::string, std::map<int64_t, std::string>> snapshots_;
};

PERSISTENCE_REGISTER(SnapshotStoreRegistry, "broken.ReturnsTheOldest",
                     Construct<BrokenSnapshotStore<Bug::kReturnsTheOldest>>);
PERSISTENCE_REGISTER(SnapshotStoreRegistry, "broken.IgnoresTimestamps",
                     Construct<BrokenSnapshotStore<Bug::kIgnoresTimestamps>>);
PERSISTENCE_REGISTER(
    SnapshotStoreRegistry, "broken.DeletesMoreThanAsked",
    Construct<BrokenSnapshotStore<Bug::kDeletesMoreThanAsked>>);
PERSISTENCE_REGISTER(
    SnapshotStoreRegistry, "broken.KeepsTheFirstOnResave",
    Construct<BrokenSnapshotStore<Bug::kKeepsTheFirstOnResave>>);
PERSISTENCE_REGISTER(SnapshotStoreRegistry, "broken.TriesEveryOne",
                     Construct<BrokenSnapshotStore<Bug::kTriesEveryOne>>);
PERSISTENCE_REGISTER(SnapshotStoreRegistry, "broken.DropsSnapshotMetadata",
                     Construct<BrokenSnapshotStore<Bug::kDropsMetadata>>);

}  // namespace
}  // namespace persistence::tck
