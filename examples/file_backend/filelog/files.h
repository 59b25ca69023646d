// Copyright 2026 The eventpersist Authors.
//
// files.h: the on-disk format of the filelog backend and the POSIX file
// I/O under it, shared by the journal, the snapshot store and the perf
// target's raw engine.
//
// Every file starts with a file header, followed by frames:
//
//   file header  [8 bytes magic][u32 id length][u32 crc32c][id bytes]
//                The magic says what the file is (kLogMagic, ...); the
//                crc32c covers magic, length and id. The id is the whole
//                persistence id, so a file always says whose it is.
//   frame        [u32 length][u32 crc32c][i64 sequence nr][u32 rest][bytes]
//                `length` is the size of `bytes`; the crc32c covers the
//                other four fields; `rest` counts the frames of the same
//                atomic write that follow this one (0: the write is
//                complete with this frame).
//
// All integers are little-endian. A journal log is a file header followed
// by one frame per event (the bytes are the event codec's record, see
// persistence/api/codec.h); a delete marker and a snapshot are a file
// header and exactly one frame; a snapshot directory's id file is a file
// header alone.
//
// File names. A persistence id may be any bytes, so it is never used as a
// file name directly. NameCandidates maps it to names that are safe on any
// POSIX file system: bytes other than [A-Za-z0-9_-] are percent-encoded
// (so "a/b", "..", "" and ids with NUL bytes are all fine, and the mapping
// is injective); an encoding longer than kMaxReadableName is cut and given
// "~" and a 64-bit FNV-1a hash of the id, which keeps every name far below
// NAME_MAX (255) for ids of any length. Hashed names can collide, so the
// owner of a file is always read from its header: ResolveName walks the
// candidates of a hashed name ("~<hash>", "~<hash>~1", ...) to the first
// that belongs to the id or is free. This needs files never to be removed
// once created, which the backend guarantees (deletes are markers).
//
// Torn tails. Appends are not atomic: a crash can leave the last frames of
// a log cut off, or zero-filled. ScanLog tells such a torn tail (an
// incomplete frame at the end of the file, a bad last frame, a bad frame
// followed only by zero bytes, or an atomic write whose last frame is
// missing) from corruption in the middle (anything else), which is
// DataLoss naming the id, the file, the offset and the last good sequence
// number.
//
// Errors are absl::Status values that name the path; nothing throws.
//
// Thread-safety: free functions are safe from any thread; DirectoryLock is
// safe from any thread; a ScopedFd belongs to one thread at a time.
//
// Example (a log file with one atomic write of two events):
//
//   std::string file;
//   AppendFileHeader(kLogMagic, "account-17", &file);
//   AppendFrame(1, /*rest=*/1, record_1, &file);
//   AppendFrame(2, /*rest=*/0, record_2, &file);
#ifndef FILELOG_FILES_H_
#define FILELOG_FILES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace persistence::filelog {

// ToAbsl views a std::string_view as an absl::string_view (Debian's Abseil
// has its own string_view type, which absl::StrCat takes).
inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// --- Checksums ---

// Crc32c extends `crc` (the CRC-32C of the bytes before `data`, 0 for
// none) over `data`: Crc32c(b, Crc32c(a)) == Crc32c(a + b). It uses the
// SSE 4.2 instruction when the CPU has it.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

// --- Names ---

// Encodings longer than this are cut and hashed (see above).
inline constexpr size_t kMaxReadableName = 120;

// NameCandidates lists the names `persistence_id` may have: one for a
// readable name, several (tried in order) for a hashed one. None contains
// '.', so names with a '.' (suffixes, "filelog.lock") never collide with
// them.
std::vector<std::string> NameCandidates(const std::string& persistence_id);

struct ResolvedName {
  std::string name;
  bool exists = false;  // the name belongs to the id (else it is free)
};

// ResolveName returns the first candidate of `persistence_id` that belongs
// to it or is free. `owner_of(name)` returns the persistence id a name
// belongs to, nullopt when it is free, or an error (returned as is). A
// readable name that belongs to another id is DataLoss.
absl::StatusOr<ResolvedName> ResolveName(
    const std::string& persistence_id,
    absl::FunctionRef<
        absl::StatusOr<std::optional<std::string>>(const std::string& name)>
        owner_of);

// Quoted is an id for error messages: quoted, escaped, cut when long.
std::string Quoted(std::string_view persistence_id);

// --- Encoding ---

inline constexpr std::string_view kLogMagic = "FLOGJRN1";
inline constexpr std::string_view kDeletedMagic = "FLOGDEL1";
inline constexpr std::string_view kSnapshotIdMagic = "FLOGSID1";
inline constexpr std::string_view kSnapshotMagic = "FLOGSNP1";

inline constexpr size_t kFileHeaderFixedSize = 16;  // without the id
inline constexpr size_t kFrameHeaderSize = 20;

void AppendFileHeader(std::string_view magic, std::string_view persistence_id,
                      std::string* out);
void AppendFrame(int64_t sequence_nr, uint32_t rest, std::string_view bytes,
                 std::string* out);

// Frame: one frame as read; `bytes` points into the reader's buffer and is
// valid until the next frame is read.
struct Frame {
  int64_t sequence_nr = 0;
  uint32_t rest = 0;
  std::string_view bytes;
  uint64_t offset = 0;  // of the frame in its file
};

// --- Plain files ---

// IoError is the status of a failed system call: the errno's code and
// text, `what` was done and the path.
absl::Status IoError(int error_number, std::string_view what,
                     const std::string& path);

// ScopedFd closes its file descriptor when it goes away.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.Release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();

  // Open is open(2); a missing file is NotFound.
  static absl::StatusOr<ScopedFd> Open(const std::string& path, int flags,
                                       int mode = 0644);

  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// WriteAll writes all of `data` (retrying short writes and EINTR).
absl::Status WriteAll(int fd, std::string_view data, const std::string& path);
// SyncFile is fdatasync(2): data and the size, not the other metadata.
absl::Status SyncFile(int fd, const std::string& path);
// SyncDirectory makes the directory's entries (created, renamed, removed
// files) durable.
absl::Status SyncDirectory(const std::string& directory);
// CreateDirectories creates `path` and its missing parents.
absl::Status CreateDirectories(const std::string& path);
// FileSize is fstat(2)'s size.
absl::StatusOr<uint64_t> FileSize(int fd, const std::string& path);

// ReadWholeFile returns the file's bytes; a missing file is NotFound.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// WriteFileAtomically replaces `directory`/`name` with `contents`: it
// writes `name`.tmp, syncs it (when `sync`), renames it over `name` and
// syncs the directory (when `sync`). A reader sees the old file or the new
// one, never part of one.
absl::Status WriteFileAtomically(const std::string& directory,
                                 const std::string& name,
                                 std::string_view contents, bool sync);

// --- Reading the format ---

struct FileHeader {
  std::string persistence_id;
  uint64_t size = 0;  // bytes of the header; the first frame starts here
};

// ReadFileHeader reads the header at the start of the open file; a wrong
// magic, a short file or a bad checksum is DataLoss naming the path.
absl::StatusOr<FileHeader> ReadFileHeader(int fd, const std::string& path,
                                          std::string_view magic);
// ParseFileHeader is ReadFileHeader of a file read into memory.
absl::StatusOr<FileHeader> ParseFileHeader(std::string_view contents,
                                           const std::string& path,
                                           std::string_view magic);
// ParseOnlyFrame parses the one frame of a marker or snapshot file read
// into memory, at `offset` (after the header); it must end the file.
absl::StatusOr<Frame> ParseOnlyFrame(std::string_view contents, size_t offset,
                                     const std::string& path);

// LogScan: what ScanLog found.
struct LogScan {
  // Offset just after the last complete atomic write: where the next
  // append goes (after a torn tail is cut off).
  uint64_t end = 0;
  // Sequence number of the last frame before `end`; 0 when none.
  int64_t last_sequence_nr = 0;
  // Bytes after `end` are a write cut off by a crash (allow_torn_tail).
  bool torn_tail = false;
};

// ScanLog reads the frames of the log open as `fd` (of `persistence_id`,
// at `path`) from `begin` (the end of its header) up to `limit`, checks
// each one (checksum, increasing sequence numbers, complete atomic writes)
// and hands each to `on_frame` as it is read. `on_frame` returns true to
// go on, false to stop (ScanLog then returns at once; the LogScan then
// describes only what was read) or an error, which ScanLog returns.
//
// A caller that must not see part of an atomic write gives a `limit` that
// ends a complete one (a previous LogScan's `end`). With allow_torn_tail,
// a torn tail ends the scan with torn_tail set; without it, it is DataLoss.
// Corruption before the tail is always DataLoss naming the id, the path,
// the offset and the last good sequence number.
absl::StatusOr<LogScan> ScanLog(
    int fd, const std::string& path, const std::string& persistence_id,
    uint64_t begin, uint64_t limit, bool allow_torn_tail,
    absl::FunctionRef<absl::StatusOr<bool>(const Frame&)> on_frame);

// --- One process per directory ---

// DirectoryLock creates `directory` when missing and holds an exclusive
// flock(2) on `directory`/filelog.lock while any holder in this process
// keeps it: a second process that asks for the directory gets
// FailedPrecondition naming the lock file. Plugins of one process that
// name the same directory share the lock.
class DirectoryLock {
 public:
  static absl::StatusOr<std::shared_ptr<DirectoryLock>> Acquire(
      const std::string& directory);
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  DirectoryLock(std::string key, ScopedFd fd)
      : key_(std::move(key)), fd_(std::move(fd)) {}
  std::string key_;  // canonical path of the directory
  ScopedFd fd_;
};

}  // namespace persistence::filelog

#endif  // FILELOG_FILES_H_
