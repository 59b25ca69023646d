// Copyright 2026 The eventpersist Authors.
//
// inmem_journal.h: the in-memory journal ("inmem.Journal") and snapshot
// store ("inmem.SnapshotStore"). For tests, and for running an application
// with nothing to set up; nothing survives the process.
//
// The journal refuses a stale writer: a write whose first sequence number
// is not above the stored highest fails the call, and nothing is stored.
//
// Thread-safety: hosted as actors by the runtime; the stores underneath
// are also safe for direct concurrent use.
//
// Example (application.conf):
//
//   persistence.journal.plugin = "persistence.journal.inmem"
//   persistence.snapshot-store.plugin = "persistence.snapshot-store.inmem"
#ifndef BACKENDS_INMEM_INMEM_JOURNAL_H_
#define BACKENDS_INMEM_INMEM_JOURNAL_H_

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/inmem/inmem_store.h"
#include "persistence/api/config.h"
#include "persistence/api/journal.h"
#include "persistence/api/mutex.h"
#include "persistence/api/snapshot_store.h"

namespace persistence::inmem {

class InMemoryJournal : public SyncWriteJournal {
 public:
  InMemoryJournal() = default;

  absl::StatusOr<WriteResults> WriteMessages(
      const std::vector<AtomicWrite>& writes) override;
  // Writes only update memory: the runtime calls them from the writing
  // actor's thread, with no hop through the journal actor.
  bool NonBlockingWrites() const override { return true; }
  absl::Status DeleteMessagesTo(const std::string& persistence_id,
                                int64_t to_sequence_nr) override;
  absl::Status ReplayMessages(const std::string& persistence_id,
                              int64_t from_sequence_nr, int64_t to_sequence_nr,
                              int64_t max,
                              const ReplayCallback& callback) override;
  absl::StatusOr<int64_t> ReadHighestSequenceNr(
      const std::string& persistence_id, int64_t from_sequence_nr) override;

 protected:
  InMemoryEventStore& store() { return store_; }

 private:
  InMemoryEventStore store_;
};

class InMemorySnapshotStore : public SyncSnapshotStore {
 public:
  explicit InMemorySnapshotStore(const Config& config);

  // Start fails when the section's max-load-attempts is bad.
  absl::Status Start() override;

  LoadResult Load(const std::string& persistence_id,
                  const SnapshotSelectionCriteria& criteria) override;
  absl::Status Save(const SnapshotMetadata& metadata,
                    const Payload& snapshot) override;
  absl::Status Delete(const SnapshotMetadata& metadata) override;
  absl::Status Delete(const std::string& persistence_id,
                      const SnapshotSelectionCriteria& criteria) override;

 private:
  const absl::StatusOr<int64_t> max_load_attempts_;
  Mutex mu_;
  std::unordered_map<std::string, std::map<int64_t, std::string>> snapshots_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace persistence::inmem

#endif  // BACKENDS_INMEM_INMEM_JOURNAL_H_
