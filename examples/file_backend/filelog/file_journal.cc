// Copyright 2026 The eventpersist Authors.
//
// The filelog journal (file_journal.h): an append-only log file per
// persistence id.
#include "filelog/file_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "persistence/api/codec.h"

namespace persistence::filelog {
namespace {

constexpr char kLogSuffix[] = ".log";
constexpr char kMarkerSuffix[] = ".del";

// Directory reads the `directory` key of a plugin section: a path, not
// empty, without trailing slashes.
absl::StatusOr<std::string> Directory(const Config& config) {
  absl::StatusOr<std::string> directory = config.GetString("directory");
  if (!directory.ok()) return directory.status();
  std::string d = *std::move(directory);
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (d.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", config.FullKey("directory"),
                     "' must name a directory, got \"\""));
  }
  return d;
}

// ReadCommon reads the keys both plugins' sections have.
template <typename Settings>
absl::Status ReadCommon(const Config& config, Settings& s) {
  absl::StatusOr<std::string> directory = Directory(config);
  if (!directory.ok()) return directory.status();
  s.directory = *std::move(directory);
  absl::StatusOr<bool> fsync = config.GetBool("fsync");
  if (!fsync.ok()) return fsync.status();
  s.fsync = *fsync;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<JournalSettings> JournalSettings::FromConfig(
    const Config& config) {
  JournalSettings s;
  if (absl::Status common = ReadCommon(config, s); !common.ok()) return common;
  absl::StatusOr<int64_t> open_files =
      config.GetIntAtLeast("max-open-files", 1);
  if (!open_files.ok()) return open_files.status();
  s.max_open_files = *open_files;
  return s;
}

absl::StatusOr<SnapshotStoreSettings> SnapshotStoreSettings::FromConfig(
    const Config& config) {
  SnapshotStoreSettings s;
  if (absl::Status common = ReadCommon(config, s); !common.ok()) return common;
  absl::StatusOr<int64_t> attempts =
      config.GetIntAtLeast("max-load-attempts", 1);
  if (!attempts.ok()) return attempts.status();
  s.max_load_attempts = *attempts;
  return s;
}

FileJournal::FileJournal(const Config& config)
    : settings_(JournalSettings::FromConfig(config)) {}

FileJournal::~FileJournal() {
  for (Log* log : open_) close(log->fd);
}

absl::Status FileJournal::Start() {
  if (!settings_.ok()) return settings_.status();
  absl::StatusOr<std::shared_ptr<DirectoryLock>> lock =
      DirectoryLock::Acquire(settings_->directory);
  if (!lock.ok()) return lock.status();
  lock_ = *std::move(lock);
  return absl::OkStatus();
}

absl::Status FileJournal::CheckStarted() const {
  if (lock_ != nullptr) return absl::OkStatus();
  if (!settings_.ok()) return settings_.status();
  return absl::FailedPreconditionError(
      "filelog journal: called before a successful Start()");
}

std::string FileJournal::LogPath(const Log& log) const {
  return absl::StrCat(settings_->directory, "/", log.name, kLogSuffix);
}

std::string FileJournal::MarkerPath(const Log& log) const {
  return absl::StrCat(settings_->directory, "/", log.name, kMarkerSuffix);
}

absl::StatusOr<FileJournal::Log*> FileJournal::Touch(
    const std::string& persistence_id) {
  auto it = logs_.find(persistence_id);
  if (it != logs_.end()) return &it->second;
  absl::StatusOr<Log> log = Load(persistence_id);
  if (!log.ok()) return log.status();
  return &logs_.emplace(persistence_id, *std::move(log)).first->second;
}

absl::StatusOr<FileJournal::Log> FileJournal::Load(
    const std::string& persistence_id) {
  const std::string& directory = settings_->directory;
  absl::StatusOr<ResolvedName> resolved = ResolveName(
      persistence_id,
      [&](const std::string& name)
          -> absl::StatusOr<std::optional<std::string>> {
        const std::string path = absl::StrCat(directory, "/", name, kLogSuffix);
        absl::StatusOr<ScopedFd> fd = ScopedFd::Open(path, O_RDONLY);
        if (absl::IsNotFound(fd.status())) return std::optional<std::string>();
        if (!fd.ok()) return fd.status();
        absl::StatusOr<FileHeader> header =
            ReadFileHeader(fd->get(), path, kLogMagic);
        if (!header.ok()) return header.status();
        return std::optional<std::string>(std::move(header->persistence_id));
      });
  if (!resolved.ok()) return resolved.status();
  Log log;
  log.name = resolved->name;
  if (!resolved->exists) return log;

  // Read the log through: every frame is checked, and a torn tail (a write
  // that a crash cut short, never acknowledged) is cut off.
  const std::string path = LogPath(log);
  absl::StatusOr<ScopedFd> fd = ScopedFd::Open(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<FileHeader> header =
      ReadFileHeader(fd->get(), path, kLogMagic);
  if (!header.ok()) return header.status();
  absl::StatusOr<uint64_t> size = FileSize(fd->get(), path);
  if (!size.ok()) return size.status();
  absl::StatusOr<LogScan> scan =
      ScanLog(fd->get(), path, persistence_id, header->size, *size,
              /*allow_torn_tail=*/true,
              [](const Frame&) -> absl::StatusOr<bool> { return true; });
  if (!scan.ok()) return scan.status();
  if (scan->torn_tail) {
    absl::StatusOr<ScopedFd> writable = ScopedFd::Open(path, O_WRONLY);
    if (!writable.ok()) return writable.status();
    if (ftruncate(writable->get(), static_cast<off_t>(scan->end)) != 0) {
      return IoError(
          errno,
          absl::StrCat("cut the torn tail (from offset ", scan->end, ") off"),
          path);
    }
    if (settings_->fsync) {
      absl::Status synced = SyncFile(writable->get(), path);
      if (!synced.ok()) return synced;
    }
  }
  log.exists = true;
  log.header_end = header->size;
  log.end = scan->end;
  log.highest = scan->last_sequence_nr;

  const std::string marker_path = MarkerPath(log);
  absl::StatusOr<std::string> marker = ReadWholeFile(marker_path);
  if (marker.ok()) {
    absl::StatusOr<FileHeader> marker_header =
        ParseFileHeader(*marker, marker_path, kDeletedMagic);
    if (!marker_header.ok()) return marker_header.status();
    if (marker_header->persistence_id != persistence_id) {
      return absl::DataLossError(absl::StrCat(
          "filelog: the delete marker '", marker_path, "' of persistence id ",
          Quoted(persistence_id), " holds persistence id ",
          Quoted(marker_header->persistence_id)));
    }
    absl::StatusOr<Frame> frame =
        ParseOnlyFrame(*marker, marker_header->size, marker_path);
    if (!frame.ok()) return frame.status();
    log.deleted_to = frame->sequence_nr;
  } else if (!absl::IsNotFound(marker.status())) {
    return marker.status();
  }
  // The highest never goes below a delete (after a crash with fsync = off
  // a log may have lost events that a delete marker already covers).
  log.highest = std::max(log.highest, log.deleted_to);
  return log;
}

absl::StatusOr<int> FileJournal::AppendFd(Log& log) {
  if (log.fd >= 0) {
    open_.splice(open_.begin(), open_, log.open_position);
    return log.fd;
  }
  while (!open_.empty() &&
         static_cast<int64_t>(open_.size()) >= settings_->max_open_files) {
    CloseFd(*open_.back());
  }
  absl::StatusOr<ScopedFd> fd =
      ScopedFd::Open(LogPath(log), O_WRONLY | O_APPEND);
  if (!fd.ok()) return fd.status();
  log.fd = fd->Release();
  open_.push_front(&log);
  log.open_position = open_.begin();
  return log.fd;
}

void FileJournal::CloseFd(Log& log) {
  if (log.fd < 0) return;
  close(log.fd);
  log.fd = -1;
  open_.erase(log.open_position);
}

void FileJournal::Forget(const std::string& persistence_id) {
  auto it = logs_.find(persistence_id);
  if (it == logs_.end()) return;
  CloseFd(it->second);
  logs_.erase(it);
}

absl::Status FileJournal::Append(const std::string& persistence_id, Log& log,
                                 std::string_view frames, int64_t highest) {
  const bool sync = settings_->fsync;
  if (!log.exists) {
    // The header appears with the file, whole: written aside, renamed in.
    std::string header;
    AppendFileHeader(kLogMagic, persistence_id, &header);
    absl::Status created = WriteFileAtomically(
        settings_->directory, absl::StrCat(log.name, kLogSuffix), header, sync);
    if (!created.ok()) {
      Forget(persistence_id);
      return created;
    }
    log.exists = true;
    log.header_end = header.size();
    log.end = header.size();
  }
  const std::string path = LogPath(log);
  absl::StatusOr<int> fd = AppendFd(log);
  if (!fd.ok()) {
    Forget(persistence_id);
    return fd.status();
  }
  absl::Status s = WriteAll(*fd, frames, path);
  if (s.ok() && sync) s = SyncFile(*fd, path);
  if (!s.ok()) {
    // Take back what reached the file, so that no later append follows a
    // torn frame; whatever happens, the next touch reloads the log.
    if (ftruncate(*fd, static_cast<off_t>(log.end)) == 0 && sync) {
      (void)fdatasync(*fd);
    }
    Forget(persistence_id);
    return s;
  }
  log.end += frames.size();
  log.highest = highest;
  return absl::OkStatus();
}

absl::StatusOr<WriteResults> FileJournal::WriteMessages(
    const std::vector<AtomicWrite>& writes) {
  if (absl::Status s = CheckStarted(); !s.ok()) return s;
  // Serialize everything first: a rejected write then leaves nothing.
  const EncodedRequest request = EncodeRequest(writes);

  // The ids of the call, each with its frames, in the order of the call.
  struct Pending {
    const std::string* persistence_id;
    Log* log;
    int64_t checked_to;  // highest of the stale-writer check so far
    int64_t highest;     // highest after the accepted writes
    std::string frames;
  };
  std::vector<Pending> pending;
  std::unordered_map<std::string_view, size_t> index;
  std::vector<size_t> slot(writes.size());
  // A stale writer (an older incarnation of the actor) fails the whole
  // call before anything is stored.
  for (size_t i = 0; i < writes.size(); ++i) {
    const std::string& id = writes[i].persistence_id();
    auto [it, fresh] = index.try_emplace(id, pending.size());
    if (fresh) {
      absl::StatusOr<Log*> log = Touch(id);
      if (!log.ok()) return log.status();
      pending.push_back(
          Pending{&id, *log, (*log)->highest, (*log)->highest, std::string()});
    }
    Pending& p = pending[it->second];
    absl::Status stale =
        CheckNotStale(id, writes[i].lowest_sequence_nr(), p.checked_to);
    if (!stale.ok()) return stale;
    p.checked_to = writes[i].highest_sequence_nr();
    slot[i] = it->second;
  }

  WriteResults results;
  results.reserve(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    const EncodedRequest::Write& w = request.writes[i];
    results.push_back(w.rejection);
    if (!w.rejection.ok()) continue;  // rejected: store nothing of it
    Pending& p = pending[slot[i]];
    const auto records = request.RecordsOf(w);
    for (size_t j = 0; j < records.size(); ++j) {
      AppendFrame(records[j].sequence_nr,
                  static_cast<uint32_t>(records.size() - 1 - j),
                  request.Bytes(records[j]), &p.frames);
    }
    if (!records.empty()) p.highest = records.back().sequence_nr;
  }

  // One write(2) and one sync per id. A failure fails the call: what was
  // stored of it is unknown to the caller.
  for (Pending& p : pending) {
    if (p.frames.empty()) continue;
    absl::Status s = Append(*p.persistence_id, *p.log, p.frames, p.highest);
    if (!s.ok()) return s;
  }
  return results;
}

absl::Status FileJournal::DeleteMessagesTo(const std::string& persistence_id,
                                           int64_t to_sequence_nr) {
  if (absl::Status s = CheckStarted(); !s.ok()) return s;
  absl::StatusOr<Log*> log = Touch(persistence_id);
  if (!log.ok()) return log.status();
  if (!(*log)->exists) return absl::OkStatus();
  // Only events that exist are deleted: events written later are not.
  const int64_t deleted_to = std::min(to_sequence_nr, (*log)->highest);
  if (deleted_to <= (*log)->deleted_to) return absl::OkStatus();
  std::string marker;
  AppendFileHeader(kDeletedMagic, persistence_id, &marker);
  AppendFrame(deleted_to, 0, std::string_view(), &marker);
  absl::Status s = WriteFileAtomically(
      settings_->directory, absl::StrCat((*log)->name, kMarkerSuffix), marker,
      settings_->fsync);
  if (!s.ok()) {
    Forget(persistence_id);  // the marker may or may not have been replaced
    return s;
  }
  (*log)->deleted_to = deleted_to;
  return absl::OkStatus();
}

absl::Status FileJournal::ReplayMessages(const std::string& persistence_id,
                                         int64_t from_sequence_nr,
                                         int64_t to_sequence_nr, int64_t max,
                                         const ReplayCallback& callback) {
  if (absl::Status s = CheckStarted(); !s.ok()) return s;
  absl::StatusOr<Log*> touched = Touch(persistence_id);
  if (!touched.ok()) return touched.status();
  const Log& log = **touched;
  if (max <= 0 || !log.exists) return absl::OkStatus();
  const int64_t first =
      std::max({from_sequence_nr, log.deleted_to + 1, int64_t{1}});
  const int64_t last = std::min(to_sequence_nr, log.highest);
  if (first > last) return absl::OkStatus();

  const std::string path = LogPath(log);
  absl::StatusOr<ScopedFd> fd = ScopedFd::Open(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  int64_t delivered = 0;
  // Only up to the end of the last complete atomic write: never part of
  // one, and never a torn tail.
  absl::StatusOr<LogScan> scan =
      ScanLog(fd->get(), path, persistence_id, log.header_end, log.end,
              /*allow_torn_tail=*/false,
              [&](const Frame& frame) -> absl::StatusOr<bool> {
                if (frame.sequence_nr < first) return true;
                if (frame.sequence_nr > last) return false;
                absl::Status handed = callback.Record(
                    persistence_id, frame.sequence_nr, frame.bytes);
                if (!handed.ok())
                  return handed;  // a bad record, or nobody listens
                return ++delivered < max;
              });
  return scan.status();
}

absl::StatusOr<int64_t> FileJournal::ReadHighestSequenceNr(
    const std::string& persistence_id, int64_t from_sequence_nr) {
  if (absl::Status s = CheckStarted(); !s.ok()) return s;
  absl::StatusOr<Log*> log = Touch(persistence_id);
  if (!log.ok()) return log.status();
  return (*log)->highest;
}

PERSISTENCE_REGISTER(JournalRegistry, "filelog.Journal",
                     Construct<FileJournal>);

}  // namespace persistence::filelog
