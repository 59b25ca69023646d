// Copyright 2026 The eventpersist Authors.
//
// The in-memory journal and snapshot store: for tests and for running an
// application without storage. Nothing survives the process.
#include "backends/inmem/inmem_journal.h"

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "persistence/api/codec.h"
#include "persistence/api/plugin_registry.h"

namespace persistence::inmem {

// [START write-messages]
absl::StatusOr<WriteResults> InMemoryJournal::WriteMessages(
    const std::vector<AtomicWrite>& writes) {
  // Serialize everything first: a rejected write then leaves nothing.
  std::vector<EncodedWrite> encoded = EncodeAtomicWrites(writes);
  // A stale writer (an old incarnation of the actor) is refused before
  // anything is stored, so the log stays clean.
  std::unordered_map<std::string, int64_t> highest;
  for (size_t i = 0; i < writes.size(); ++i) {
    const std::string& id = writes[i].persistence_id();
    auto [it, fresh] = highest.try_emplace(id, 0);
    if (fresh) it->second = store_.Highest(id);
    if (writes[i].lowest_sequence_nr() <= it->second) {
      return absl::FailedPreconditionError(
          absl::StrCat("persistence id '", id, "': write of sequence number ",
                       writes[i].lowest_sequence_nr(), " refused, ", it->second,
                       " is already stored (is another incarnation of this "
                       "actor writing?)"));
    }
    it->second = writes[i].highest_sequence_nr();
  }
  WriteResults results;
  results.reserve(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    results.push_back(encoded[i].status);
    if (!encoded[i].status.ok()) continue;
    const auto& events = writes[i].payload();
    for (size_t j = 0; j < events.size(); ++j) {
      store_.Append(events[j].persistence_id, events[j].sequence_nr,
                    std::move(encoded[i].records[j]));
    }
  }
  return results;
}
// [END write-messages]

absl::Status InMemoryJournal::DeleteMessagesTo(
    const std::string& persistence_id, int64_t to_sequence_nr) {
  store_.DeleteTo(persistence_id, to_sequence_nr);
  return absl::OkStatus();
}

absl::Status InMemoryJournal::ReplayMessages(const std::string& persistence_id,
                                             int64_t from_sequence_nr,
                                             int64_t to_sequence_nr,
                                             int64_t max,
                                             const ReplayCallback& callback) {
  absl::Status status;
  store_.Scan(persistence_id, from_sequence_nr, to_sequence_nr, max,
              [&](int64_t seq, const std::string& record) {
                if (!status.ok()) return;
                status = callback.Record(persistence_id, seq, record);
              });
  return status;
}

absl::StatusOr<int64_t> InMemoryJournal::ReadHighestSequenceNr(
    const std::string& persistence_id, int64_t from_sequence_nr) {
  return store_.Highest(persistence_id);
}

InMemorySnapshotStore::InMemorySnapshotStore(const Config& config)
    : max_load_attempts_(config.GetIntOr("max-load-attempts", 3).value_or(3)) {}

LoadResult InMemorySnapshotStore::Load(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = snapshots_.find(persistence_id);
  if (it == snapshots_.end()) return std::optional<SelectedSnapshot>();
  const auto& by_seq = it->second;
  absl::Status last_error;
  int64_t attempts = 0;
  // Youngest first; a snapshot that cannot be decoded gives way to the
  // next older match, up to max-load-attempts.
  for (auto r = std::make_reverse_iterator(
           by_seq.upper_bound(criteria.max_sequence_nr));
       r != by_seq.rend(); ++r) {
    absl::StatusOr<SnapshotMetadata> metadata =
        DecodeSnapshotMetadata(r->second, persistence_id);
    if (metadata.ok() && !criteria.Matches(*metadata)) continue;
    absl::StatusOr<SelectedSnapshot> selected =
        DecodeSnapshot(r->second, persistence_id);
    if (selected.ok())
      return std::optional<SelectedSnapshot>(*std::move(selected));
    last_error = selected.status();
    if (++attempts >= max_load_attempts_) break;
  }
  if (!last_error.ok()) return last_error;
  return std::optional<SelectedSnapshot>();
}

absl::Status InMemorySnapshotStore::Save(const SnapshotMetadata& metadata,
                                         const Payload& snapshot) {
  absl::StatusOr<std::string> record = EncodeSnapshot(metadata, snapshot);
  if (!record.ok()) return record.status();
  std::lock_guard<std::mutex> lock(mu_);
  snapshots_[metadata.persistence_id][metadata.sequence_nr] =
      *std::move(record);
  return absl::OkStatus();
}

absl::Status InMemorySnapshotStore::Delete(const SnapshotMetadata& metadata) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = snapshots_.find(metadata.persistence_id);
  if (it == snapshots_.end()) return absl::OkStatus();
  auto s = it->second.find(metadata.sequence_nr);
  if (s == it->second.end()) return absl::OkStatus();
  absl::StatusOr<SnapshotMetadata> stored =
      DecodeSnapshotMetadata(s->second, metadata.persistence_id);
  if (!stored.ok() || DeleteByMetadataMatches(metadata, *stored)) {
    it->second.erase(s);
  }
  return absl::OkStatus();
}

absl::Status InMemorySnapshotStore::Delete(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = snapshots_.find(persistence_id);
  if (it == snapshots_.end()) return absl::OkStatus();
  for (auto s = it->second.begin(); s != it->second.end();) {
    absl::StatusOr<SnapshotMetadata> stored =
        DecodeSnapshotMetadata(s->second, persistence_id);
    if (stored.ok() && criteria.Matches(*stored)) {
      s = it->second.erase(s);
    } else {
      ++s;
    }
  }
  return absl::OkStatus();
}

// [START register]
PERSISTENCE_REGISTER_JOURNAL(InMemoryJournal, "inmem.Journal");
PERSISTENCE_REGISTER_SNAPSHOT_STORE(InMemorySnapshotStore,
                                    "inmem.SnapshotStore");
// [END register]

}  // namespace persistence::inmem
