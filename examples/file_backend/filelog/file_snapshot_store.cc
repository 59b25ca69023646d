// Copyright 2026 The eventpersist Authors.
//
// The filelog snapshot store (file_journal.h): a directory per persistence
// id, a file per snapshot.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "filelog/file_journal.h"
#include "persistence/api/codec.h"

namespace persistence::filelog {
namespace {

// The file in an id's directory that says whose directory it is.
constexpr char kIdFile[] = "id";
constexpr std::string_view kSnapshotSuffix = ".snap";

// Handed to SelectSnapshot for a snapshot file that is damaged: not a
// record of the snapshot codec (a varint cut off), so it counts as a
// match that fails to load and the next older one is tried.
constexpr std::string_view kUndecodable("\xff", 1);

std::string SnapshotFileName(int64_t sequence_nr) {
  return absl::StrCat(sequence_nr, ToAbsl(kSnapshotSuffix));
}

// SnapshotFile: one snapshot file read into memory.
struct SnapshotFile {
  std::string contents;
  size_t begin = 0;  // the snapshot codec's record: [begin, begin + size)
  size_t size = 0;

  std::string_view record() const {
    return std::string_view(contents).substr(begin, size);
  }
};

// ReadSnapshotFile reads and checks the snapshot of (id, sequence_nr):
// NotFound when it does not exist, DataLoss naming the path when damaged.
absl::StatusOr<SnapshotFile> ReadSnapshotFile(const std::string& path,
                                              const std::string& persistence_id,
                                              int64_t sequence_nr) {
  absl::StatusOr<std::string> contents = ReadWholeFile(path);
  if (!contents.ok()) return contents.status();
  SnapshotFile file;
  file.contents = *std::move(contents);
  absl::StatusOr<FileHeader> header =
      ParseFileHeader(file.contents, path, kSnapshotMagic);
  if (!header.ok()) return header.status();
  if (header->persistence_id != persistence_id) {
    return absl::DataLossError(
        absl::StrCat("filelog: the snapshot '", path, "' of persistence id ",
                     Quoted(persistence_id), " holds persistence id ",
                     Quoted(header->persistence_id)));
  }
  absl::StatusOr<Frame> frame =
      ParseOnlyFrame(file.contents, header->size, path);
  if (!frame.ok()) return frame.status();
  if (frame->sequence_nr != sequence_nr) {
    return absl::DataLossError(absl::StrCat(
        "filelog: the snapshot '", path, "' holds sequence number ",
        frame->sequence_nr, ", not ", sequence_nr));
  }
  file.begin = header->size + kFrameHeaderSize;
  file.size = frame->bytes.size();
  return file;
}

// RemoveFile unlinks a snapshot; one that is gone already is fine.
absl::Status RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return IoError(errno, "remove", path);
  }
  return absl::OkStatus();
}

}  // namespace

FileSnapshotStore::FileSnapshotStore(const Config& config)
    : settings_(SnapshotStoreSettings::FromConfig(config)) {}

absl::Status FileSnapshotStore::Start() {
  if (!settings_.ok()) return settings_.status();
  absl::StatusOr<std::shared_ptr<DirectoryLock>> lock =
      DirectoryLock::Acquire(settings_->directory);
  if (!lock.ok()) return lock.status();
  lock_ = *std::move(lock);
  return absl::OkStatus();
}

absl::Status FileSnapshotStore::CheckStarted() const {
  if (lock_ != nullptr) return absl::OkStatus();
  if (!settings_.ok()) return settings_.status();
  return absl::FailedPreconditionError(
      "filelog snapshot store: called before a successful Start()");
}

absl::StatusOr<std::string> FileSnapshotStore::IdDirectory(
    const std::string& persistence_id, bool create) {
  auto cached = directories_.find(persistence_id);
  if (cached != directories_.end()) return cached->second;
  const std::string& root = settings_->directory;
  absl::StatusOr<ResolvedName> resolved = ResolveName(
      persistence_id,
      [&](const std::string& name)
          -> absl::StatusOr<std::optional<std::string>> {
        const std::string path = absl::StrCat(root, "/", name, "/", kIdFile);
        absl::StatusOr<std::string> contents = ReadWholeFile(path);
        // No directory, or one whose creation a crash cut short: free.
        if (absl::IsNotFound(contents.status())) {
          return std::optional<std::string>();
        }
        if (!contents.ok()) return contents.status();
        absl::StatusOr<FileHeader> header =
            ParseFileHeader(*contents, path, kSnapshotIdMagic);
        if (!header.ok()) return header.status();
        return std::optional<std::string>(std::move(header->persistence_id));
      });
  if (!resolved.ok()) return resolved.status();
  const std::string directory = absl::StrCat(root, "/", resolved->name);
  if (!resolved->exists) {
    if (!create) return std::string();
    if (mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST) {
      return IoError(errno, "create the directory", directory);
    }
    std::string id_file;
    AppendFileHeader(kSnapshotIdMagic, persistence_id, &id_file);
    absl::Status s =
        WriteFileAtomically(directory, kIdFile, id_file, settings_->fsync);
    if (s.ok() && settings_->fsync) s = SyncDirectory(root);
    if (!s.ok()) return s;
  }
  directories_.emplace(persistence_id, directory);
  return directory;
}

absl::StatusOr<std::vector<int64_t>> FileSnapshotStore::SequenceNrs(
    const std::string& dir, int64_t min, int64_t max) {
  std::vector<int64_t> sequence_nrs;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= kSnapshotSuffix.size() ||
        std::string_view(name).substr(name.size() - kSnapshotSuffix.size()) !=
            kSnapshotSuffix) {
      continue;  // the id file, a temporary file
    }
    const std::string number =
        name.substr(0, name.size() - kSnapshotSuffix.size());
    int64_t sequence_nr = 0;
    if (!absl::SimpleAtoi(number, &sequence_nr) ||
        absl::StrCat(sequence_nr) != number) {
      continue;  // not a name this store writes
    }
    if (sequence_nr < min || sequence_nr > max) continue;
    sequence_nrs.push_back(sequence_nr);
  }
  if (ec) return IoError(ec.value(), "list the directory", dir);
  std::sort(sequence_nrs.begin(), sequence_nrs.end(), std::greater<>());
  return sequence_nrs;
}

LoadResult FileSnapshotStore::Load(const std::string& persistence_id,
                                   const SnapshotSelectionCriteria& criteria) {
  if (absl::Status s = CheckStarted(); !s.ok()) return s;
  absl::StatusOr<std::string> dir = IdDirectory(persistence_id, false);
  if (!dir.ok()) return dir.status();
  if (dir->empty()) return std::optional<SelectedSnapshot>();
  absl::StatusOr<std::vector<int64_t>> sequence_nrs =
      SequenceNrs(*dir, criteria.min_sequence_nr, criteria.max_sequence_nr);
  if (!sequence_nrs.ok()) return sequence_nrs.status();

  size_t next = 0;
  SnapshotFile current;     // the record last handed over lives here
  absl::Status read_error;  // reading failed: the load fails with it
  absl::Status damaged;     // the last damaged file, for the error
  LoadResult result =
      SelectSnapshot(persistence_id, criteria, settings_->max_load_attempts,
                     [&]() -> std::optional<std::string_view> {
                       if (!read_error.ok() || next >= sequence_nrs->size()) {
                         return std::nullopt;
                       }
                       const int64_t sequence_nr = (*sequence_nrs)[next++];
                       const std::string path = absl::StrCat(
                           *dir, "/", SnapshotFileName(sequence_nr));
                       absl::StatusOr<SnapshotFile> file =
                           ReadSnapshotFile(path, persistence_id, sequence_nr);
                       if (file.ok()) {
                         current = *std::move(file);
                         return current.record();
                       }
                       if (absl::IsDataLoss(file.status())) {
                         damaged = file.status();
                         return kUndecodable;
                       }
                       read_error = file.status();
                       return std::nullopt;
                     });
  if (!read_error.ok()) return read_error;
  if (!result.ok() && !damaged.ok()) {
    return absl::DataLossError(
        absl::StrCat(result.status().message(), " (", damaged.message(), ")"));
  }
  return result;
}

absl::Status FileSnapshotStore::Save(const SnapshotMetadata& metadata,
                                     const Payload& snapshot) {
  if (absl::Status s = CheckStarted(); !s.ok()) return s;
  absl::StatusOr<std::string> record = EncodeSnapshot(metadata, snapshot);
  if (!record.ok()) return record.status();
  absl::StatusOr<std::string> dir = IdDirectory(metadata.persistence_id, true);
  if (!dir.ok()) return dir.status();
  std::string contents;
  contents.reserve(kFileHeaderFixedSize + metadata.persistence_id.size() +
                   kFrameHeaderSize + record->size());
  AppendFileHeader(kSnapshotMagic, metadata.persistence_id, &contents);
  AppendFrame(metadata.sequence_nr, 0, *record, &contents);
  // Written aside and renamed over: a save at the same sequence number
  // replaces the old snapshot whole, and a crash leaves one or the other.
  return WriteFileAtomically(*dir, SnapshotFileName(metadata.sequence_nr),
                             contents, settings_->fsync);
}

absl::Status FileSnapshotStore::Delete(const SnapshotMetadata& metadata) {
  if (absl::Status s = CheckStarted(); !s.ok()) return s;
  absl::StatusOr<std::string> dir = IdDirectory(metadata.persistence_id, false);
  if (!dir.ok()) return dir.status();
  if (dir->empty()) return absl::OkStatus();
  const std::string path =
      absl::StrCat(*dir, "/", SnapshotFileName(metadata.sequence_nr));
  absl::StatusOr<SnapshotFile> file =
      ReadSnapshotFile(path, metadata.persistence_id, metadata.sequence_nr);
  if (absl::IsNotFound(file.status())) return absl::OkStatus();
  bool remove = false;
  if (file.ok()) {
    absl::StatusOr<SnapshotMetadata> stored =
        DecodeSnapshotMetadata(file->record(), metadata.persistence_id);
    remove = !stored.ok() || DeleteByMetadataMatches(metadata, *stored);
  } else if (absl::IsDataLoss(file.status())) {
    remove = true;  // damaged, and named by its exact sequence number
  } else {
    return file.status();
  }
  if (!remove) return absl::OkStatus();
  absl::Status s = RemoveFile(path);
  if (s.ok() && settings_->fsync) s = SyncDirectory(*dir);
  return s;
}

absl::Status FileSnapshotStore::Delete(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria) {
  if (absl::Status s = CheckStarted(); !s.ok()) return s;
  absl::StatusOr<std::string> dir = IdDirectory(persistence_id, false);
  if (!dir.ok()) return dir.status();
  if (dir->empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<int64_t>> sequence_nrs =
      SequenceNrs(*dir, criteria.min_sequence_nr, criteria.max_sequence_nr);
  if (!sequence_nrs.ok()) return sequence_nrs.status();
  bool removed = false;
  for (int64_t sequence_nr : *sequence_nrs) {
    const std::string path =
        absl::StrCat(*dir, "/", SnapshotFileName(sequence_nr));
    absl::StatusOr<SnapshotFile> file =
        ReadSnapshotFile(path, persistence_id, sequence_nr);
    if (absl::IsDataLoss(file.status())) continue;  // its timestamp is unknown
    if (!file.ok()) return file.status();
    absl::StatusOr<SnapshotMetadata> stored =
        DecodeSnapshotMetadata(file->record(), persistence_id);
    if (!stored.ok() || !criteria.Matches(*stored)) continue;
    absl::Status s = RemoveFile(path);
    if (!s.ok()) return s;
    removed = true;
  }
  if (removed && settings_->fsync) return SyncDirectory(*dir);
  return absl::OkStatus();
}

PERSISTENCE_REGISTER(SnapshotStoreRegistry, "filelog.SnapshotStore",
                     Construct<FileSnapshotStore>);

}  // namespace persistence::filelog
