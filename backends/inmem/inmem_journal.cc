// Copyright 2026 The eventpersist Authors.
//
// The in-memory journal and snapshot store: for tests and for running an
// application without storage. Nothing survives the process.
#include "backends/inmem/inmem_journal.h"

#include <map>
#include <string>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "persistence/api/codec.h"

namespace persistence::inmem {

// [START write-messages]
absl::StatusOr<WriteResults> InMemoryJournal::WriteMessages(
    const std::vector<AtomicWrite>& writes) {
  // Serialize everything first: a rejected write then leaves nothing.
  const EncodedRequest request = EncodeRequest(writes);
  // A stale writer (an old incarnation of the actor) is refused before
  // anything is stored, so the log stays clean.
  std::unordered_map<std::string, int64_t> highest;
  for (const AtomicWrite& write : writes) {
    const std::string& id = write.persistence_id();
    auto [it, fresh] = highest.try_emplace(id, 0);
    if (fresh) it->second = store_.Highest(id);
    absl::Status fresh_writer =
        CheckNotStale(id, write.lowest_sequence_nr(), it->second);
    if (!fresh_writer.ok()) return fresh_writer;
    it->second = write.highest_sequence_nr();
  }
  WriteResults results;
  results.reserve(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    const EncodedRequest::Write& write = request.writes[i];
    results.push_back(write.rejection);
    for (const EncodedRequest::Record& record : request.RecordsOf(write)) {
      store_.Append(writes[i].persistence_id(), record.sequence_nr,
                    std::string(request.Bytes(record)));
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
    : max_load_attempts_(config.GetIntAtLeast("max-load-attempts", 1)) {}

absl::Status InMemorySnapshotStore::Start() {
  return max_load_attempts_.status();
}

LoadResult InMemorySnapshotStore::Load(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria) {
  if (!max_load_attempts_.ok()) return max_load_attempts_.status();
  MutexLock lock(mu_);
  auto it = snapshots_.find(persistence_id);
  if (it == snapshots_.end()) return std::optional<SelectedSnapshot>();
  const auto& by_seq = it->second;
  auto r =
      std::make_reverse_iterator(by_seq.upper_bound(criteria.max_sequence_nr));
  return SelectSnapshot(persistence_id, criteria, *max_load_attempts_,
                        [&]() -> std::optional<std::string_view> {
                          if (r == by_seq.rend()) return std::nullopt;
                          return (r++)->second;
                        });
}

absl::Status InMemorySnapshotStore::Save(const SnapshotMetadata& metadata,
                                         const Payload& snapshot) {
  absl::StatusOr<std::string> record = EncodeSnapshot(metadata, snapshot);
  if (!record.ok()) return record.status();
  MutexLock lock(mu_);
  snapshots_[metadata.persistence_id][metadata.sequence_nr] =
      *std::move(record);
  return absl::OkStatus();
}

absl::Status InMemorySnapshotStore::Delete(const SnapshotMetadata& metadata) {
  MutexLock lock(mu_);
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
  MutexLock lock(mu_);
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
PERSISTENCE_REGISTER(JournalRegistry, "inmem.Journal",
                     Construct<InMemoryJournal>);
PERSISTENCE_REGISTER(SnapshotStoreRegistry, "inmem.SnapshotStore",
                     Construct<InMemorySnapshotStore>);
// [END register]

}  // namespace persistence::inmem
