// Copyright 2026 The eventpersist Authors.
//
// file_journal.h: the filelog backend, a journal ("filelog.Journal") and a
// snapshot store ("filelog.SnapshotStore") that keep their data in plain
// files: one append-only log per persistence id, synced (fdatasync) on
// every write call when `fsync = on`. A small but real backend, written
// outside the eventpersist repository against its plugin API only.
//
// Journal. The log of an id is `<directory>/<name>.log` (files.h: file
// header, then one frame per event holding the event codec's record).
// A write call encodes every event first (EncodeRequest), refuses a stale
// writer before anything is stored (CheckNotStale: the whole call fails),
// then appends the frames of each id with one write(2) and syncs that file
// once. A delete is a marker, `<name>.del`, replaced atomically (write,
// sync, rename, sync the directory): events up to it are never replayed
// again and the highest sequence number is kept. Deleted events stay in
// the log; nothing is ever compacted.
//
// Snapshot store. The snapshots of an id live in `<directory>/<name>/`,
// one file `<sequence nr>.snap` each (written to a temporary file, synced,
// renamed over), with an `id` file that says whose directory it is.
//
// Recovery after a crash. The first call that touches an id reads its log
// through, checking every frame. A torn tail (the write that was going on
// when the machine or process died, never acknowledged) is cut off; any
// other damage is DataLoss naming the id, the file, the offset and the
// last good sequence number.
//
// Thread-safety: the runtime never calls one plugin instance from two
// threads at once, and a plugin instance holds no locks: do not share one
// between threads yourself. One process per directory: Start takes a lock
// file (flock) and fails with FailedPrecondition naming it when another
// process holds it. Plugins of one process must not name the same
// directory.
//
// Errors are absl::Status values that name the path (and the config key,
// for settings); nothing throws. A bad or missing setting fails Start.
//
// Example (application.conf):
//
//   persistence.journal.plugin = "persistence.journal.filelog"
//   persistence.snapshot-store.plugin = "persistence.snapshot-store.filelog"
//   persistence.journal.filelog.directory = "/var/lib/myapp/events"
#ifndef FILELOG_FILE_JOURNAL_H_
#define FILELOG_FILE_JOURNAL_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "filelog/files.h"
#include "persistence/api/config.h"
#include "persistence/api/journal.h"
#include "persistence/api/snapshot_store.h"

namespace persistence::filelog {

// JournalSettings: the journal's section (persistence.journal.filelog),
// every key read without a default (reference.conf has them).
struct JournalSettings {
  std::string directory;
  bool fsync = true;
  int64_t max_open_files = 0;

  static absl::StatusOr<JournalSettings> FromConfig(const Config& config);
};

// SnapshotStoreSettings: the snapshot store's section
// (persistence.snapshot-store.filelog).
struct SnapshotStoreSettings {
  std::string directory;
  bool fsync = true;
  int64_t max_load_attempts = 0;

  static absl::StatusOr<SnapshotStoreSettings> FromConfig(const Config& config);
};

class FileJournal : public SyncWriteJournal {
 public:
  // `config` is the plugin's section; its errors surface from Start.
  explicit FileJournal(const Config& config);
  ~FileJournal() override;
  FileJournal(const FileJournal&) = delete;
  FileJournal& operator=(const FileJournal&) = delete;

  // Start creates the directory and takes its lock.
  absl::Status Start() override;

  absl::StatusOr<WriteResults> WriteMessages(
      const std::vector<AtomicWrite>& writes) override;
  absl::Status DeleteMessagesTo(const std::string& persistence_id,
                                int64_t to_sequence_nr) override;
  absl::Status ReplayMessages(const std::string& persistence_id,
                              int64_t from_sequence_nr, int64_t to_sequence_nr,
                              int64_t max,
                              const ReplayCallback& callback) override;
  absl::StatusOr<int64_t> ReadHighestSequenceNr(
      const std::string& persistence_id, int64_t from_sequence_nr) override;

 private:
  // Log: what the journal knows of one id's files, loaded on first touch.
  struct Log {
    std::string name;         // file name without suffix (files.h)
    bool exists = false;      // the log file exists
    uint64_t header_end = 0;  // where the first frame starts
    uint64_t end = 0;         // where the next frame goes
    int64_t highest = 0;      // highest sequence number ever stored
    int64_t deleted_to = 0;   // events up to this one are deleted
    int fd = -1;              // append descriptor, or -1 (see open_)
    std::list<Log*>::iterator open_position;
  };

  absl::Status CheckStarted() const;
  std::string LogPath(const Log& log) const;
  std::string MarkerPath(const Log& log) const;
  // Touch returns the id's Log, loading it on first touch.
  absl::StatusOr<Log*> Touch(const std::string& persistence_id);
  absl::StatusOr<Log> Load(const std::string& persistence_id);
  // Append writes and (with fsync) syncs `frames` at the end of the log,
  // creating it first if need be. On failure it undoes what it can and
  // forgets the id (the next touch reloads it from disk).
  absl::Status Append(const std::string& persistence_id, Log& log,
                      std::string_view frames, int64_t highest);
  absl::StatusOr<int> AppendFd(Log& log);
  void CloseFd(Log& log);
  void Forget(const std::string& persistence_id);

  const absl::StatusOr<JournalSettings> settings_;
  std::shared_ptr<DirectoryLock> lock_;  // set by a successful Start
  std::unordered_map<std::string, Log> logs_;
  // Logs with an open append descriptor, most recently used first; at
  // most max-open-files of them.
  std::list<Log*> open_;
};

class FileSnapshotStore : public SyncSnapshotStore {
 public:
  explicit FileSnapshotStore(const Config& config);

  // Start creates the directory and takes its lock.
  absl::Status Start() override;

  LoadResult Load(const std::string& persistence_id,
                  const SnapshotSelectionCriteria& criteria) override;
  absl::Status Save(const SnapshotMetadata& metadata,
                    const Payload& snapshot) override;
  absl::Status Delete(const SnapshotMetadata& metadata) override;
  absl::Status Delete(const std::string& persistence_id,
                      const SnapshotSelectionCriteria& criteria) override;

 private:
  absl::Status CheckStarted() const;
  // IdDirectory returns the directory of the id's snapshots, creating it
  // when `create`; "" when it does not exist and !create.
  absl::StatusOr<std::string> IdDirectory(const std::string& persistence_id,
                                          bool create);
  // SequenceNrs lists the sequence numbers of the snapshots in `dir` within
  // [min, max], youngest first.
  absl::StatusOr<std::vector<int64_t>> SequenceNrs(const std::string& dir,
                                                   int64_t min, int64_t max);

  const absl::StatusOr<SnapshotStoreSettings> settings_;
  std::shared_ptr<DirectoryLock> lock_;
  std::unordered_map<std::string, std::string> directories_;  // id -> dir
};

}  // namespace persistence::filelog

#endif  // FILELOG_FILE_JOURNAL_H_
