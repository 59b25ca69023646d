// Copyright 2026 The eventpersist Authors.
//
// The raw side of the filelog backend's perf table: the same work as the
// journal with plain POSIX file I/O and no journal in between. The records
// go, in the journal's own framing (files.h), so the same bytes move, into
// one append-only file per persistence id in a sibling of the journal's
// directory, `<directory>-raw` (the journal of the same process holds its
// own directory). That directory is the perf run's scratch space: a file
// the engine meets again is started afresh.
//
// Each row at the engine's honest best:
//   WriteEach         one write(2) per record, each synced (fdatasync) as
//                     the journal's `fsync` says, waiting for each;
//   WriteAsync        all records framed into one buffer per file, one
//                     write(2) and one sync per file;
//   WriteGroups       one write(2) and one sync per group (its records
//                     framed as one atomic write, as persist-all stores);
//   Scan              the file read in large chunks, every frame checked
//                     and DecodeEvent on each record;
//   WriteEachDurable  WriteEach with an fdatasync per record always.
//
// Thread-safety: the perf harness calls an engine from one thread.
#include "perf/raw_engine.h"

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "filelog/file_journal.h"
#include "filelog/files.h"
#include "persistence/api/codec.h"

namespace persistence::filelog {
namespace {

class FileLogRawEngine : public perf::RawEngine {
 public:
  absl::Status Open(const Config& journal_config) override {
    absl::StatusOr<JournalSettings> settings =
        JournalSettings::FromConfig(journal_config);
    if (!settings.ok()) return settings.status();
    fsync_ = settings->fsync;
    directory_ = absl::StrCat(settings->directory, "-raw");
    return CreateDirectories(directory_);
  }

  absl::Status WriteEach(const std::vector<perf::RawRecord>& records) override {
    return AppendEach(records, fsync_);
  }

  absl::Status WriteEachDurable(
      const std::vector<perf::RawRecord>& records) override {
    return AppendEach(records, true);
  }

  absl::Status WriteAsync(
      const std::vector<perf::RawRecord>& records) override {
    // Every record its own atomic write, as persist-async stores them.
    std::map<std::string, std::string> frames;  // id -> its frames
    for (const perf::RawRecord& r : records) {
      AppendFrame(r.sequence_nr, 0, r.bytes, &frames[r.persistence_id]);
    }
    for (const auto& [id, buffer] : frames) {
      absl::Status s = AppendAndSync(id, buffer, fsync_);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status WriteGroups(const std::vector<perf::RawRecord>& records,
                           int group) override {
    const size_t size = static_cast<size_t>(group < 1 ? 1 : group);
    std::string buffer;
    for (size_t start = 0; start < records.size(); start += size) {
      const size_t end = std::min(records.size(), start + size);
      // A group goes to its first record's id, as one atomic write does.
      const std::string& id = records[start].persistence_id;
      buffer.clear();
      for (size_t i = start; i < end; ++i) {
        AppendFrame(records[i].sequence_nr, static_cast<uint32_t>(end - 1 - i),
                    records[i].bytes, &buffer);
      }
      absl::Status s = AppendAndSync(id, buffer, fsync_);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> Scan(const std::string& persistence_id) override {
    const std::string path = PathOf(persistence_id);
    absl::StatusOr<ScopedFd> fd = ScopedFd::Open(path, O_RDONLY);
    if (absl::IsNotFound(fd.status())) return 0;
    if (!fd.ok()) return fd.status();
    absl::StatusOr<FileHeader> header =
        ReadFileHeader(fd->get(), path, kLogMagic);
    if (!header.ok()) return header.status();
    absl::StatusOr<uint64_t> size = FileSize(fd->get(), path);
    if (!size.ok()) return size.status();
    int64_t n = 0;
    absl::StatusOr<LogScan> scan =
        ScanLog(fd->get(), path, persistence_id, header->size, *size,
                /*allow_torn_tail=*/false,
                [&](const Frame& frame) -> absl::StatusOr<bool> {
                  absl::StatusOr<PersistentRepr> event = DecodeEvent(
                      frame.bytes, persistence_id, frame.sequence_nr);
                  if (!event.ok()) return event.status();
                  ++n;
                  return true;
                });
    if (!scan.ok()) return scan.status();
    return n;
  }

 private:
  std::string PathOf(const std::string& persistence_id) const {
    // Perf ids are short: their one readable name.
    return absl::StrCat(directory_, "/", NameCandidates(persistence_id)[0],
                        ".log");
  }

  // OpenFile: an append descriptor and the path it names.
  struct OpenFile {
    ScopedFd fd;
    std::string path;
  };

  // File returns the id's open file. The first use in this run creates it
  // afresh, with its header; a later one (after too many files were open)
  // reopens it for appending.
  absl::StatusOr<OpenFile*> File(const std::string& persistence_id) {
    auto it = files_.find(persistence_id);
    if (it != files_.end()) return &it->second;
    if (files_.size() >= kMaxOpenFiles) files_.clear();
    OpenFile file;
    file.path = PathOf(persistence_id);
    const bool fresh = created_.insert(persistence_id).second;
    absl::StatusOr<ScopedFd> fd = ScopedFd::Open(
        file.path, O_WRONLY | O_APPEND | (fresh ? O_CREAT | O_TRUNC : 0));
    if (!fd.ok()) return fd.status();
    file.fd = *std::move(fd);
    if (fresh) {
      std::string header;
      AppendFileHeader(kLogMagic, persistence_id, &header);
      absl::Status s = WriteAll(file.fd.get(), header, file.path);
      if (s.ok() && fsync_) s = SyncFile(file.fd.get(), file.path);
      if (s.ok() && fsync_) s = SyncDirectory(directory_);
      if (!s.ok()) return s;
    }
    return &files_.emplace(persistence_id, std::move(file)).first->second;
  }

  absl::Status AppendAndSync(const std::string& persistence_id,
                             std::string_view frames, bool sync) {
    absl::StatusOr<OpenFile*> file = File(persistence_id);
    if (!file.ok()) return file.status();
    absl::Status s = WriteAll((*file)->fd.get(), frames, (*file)->path);
    if (s.ok() && sync) s = SyncFile((*file)->fd.get(), (*file)->path);
    return s;
  }

  absl::Status AppendEach(const std::vector<perf::RawRecord>& records,
                          bool sync) {
    std::string frame;
    for (const perf::RawRecord& r : records) {
      frame.clear();
      AppendFrame(r.sequence_nr, 0, r.bytes, &frame);
      absl::Status s = AppendAndSync(r.persistence_id, frame, sync);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  static constexpr size_t kMaxOpenFiles = 64;

  bool fsync_ = true;
  std::string directory_;
  std::map<std::string, OpenFile> files_;  // open files by id
  std::set<std::string> created_;          // ids whose file this run made
};

PERSISTENCE_REGISTER(perf::RawEngineRegistry, "filelog",
                     Construct<FileLogRawEngine>);

}  // namespace
}  // namespace persistence::filelog
