// Copyright 2026 The eventpersist Authors.
//
// The filelog format and its POSIX I/O (files.h).
#include "filelog/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace persistence::filelog {
namespace {

// --- Little-endian integers ---

void PutU32(uint32_t v, char* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutU64(uint64_t v, char* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// --- CRC-32C (Castagnoli) ---

constexpr uint32_t kCrc32cPolynomial = 0x82F63B78;  // reflected

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c >> 1) ^ ((c & 1) ? kCrc32cPolynomial : 0);
    table[i] = c;
  }
  return table;
}

uint32_t Crc32cSoftware(uint32_t c, const char* p, size_t n) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  for (size_t i = 0; i < n; ++i) {
    c = table[(c ^ static_cast<unsigned char>(p[i])) & 0xff] ^ (c >> 8);
  }
  return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t c,
                                                          const char* p,
                                                          size_t n) {
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c64 = _mm_crc32_u64(c64, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c64);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, static_cast<unsigned char>(*p));
    ++p;
    --n;
  }
  return c32;
}

bool HasSse42() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
  }();
  return has;
}
#endif

// --- Names ---

bool Readable(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Escaped: [A-Za-z0-9_-] as they are, every other byte as %XX; the empty
// id as "%" (no other id gives a lone '%').
std::string Escaped(std::string_view id) {
  if (id.empty()) return "%";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(id.size());
  for (char ch : id) {
    const auto c = static_cast<unsigned char>(ch);
    if (Readable(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Candidates of a hashed name: one per probe.
constexpr int kHashedCandidates = 8;
// Bytes of the escaped id kept at the start of a hashed name.
constexpr size_t kHashedPrefix = 64;

absl::Status Corrupt(const std::string& path, std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("filelog: '", path, "' is corrupt: ", ToAbsl(why)));
}

// ParseHeaderFields checks the 16 fixed bytes and returns the id length.
absl::StatusOr<uint32_t> ParseHeaderFields(std::string_view fixed,
                                           const std::string& path,
                                           std::string_view magic) {
  if (fixed.substr(0, 8) != magic) {
    return Corrupt(path, absl::StrCat("it does not start with '", ToAbsl(magic),
                                      "' (not a filelog file of this kind)"));
  }
  const uint32_t length = GetU32(fixed.data() + 8);
  if (length > (1u << 30)) {
    return Corrupt(
        path, absl::StrCat("its header claims an id of ", length, " bytes"));
  }
  return length;
}

absl::Status CheckHeaderCrc(std::string_view fixed, std::string_view id,
                            const std::string& path) {
  uint32_t crc = Crc32c(fixed.substr(0, 12));
  crc = Crc32c(id, crc);
  if (crc != GetU32(fixed.data() + 12)) {
    return Corrupt(path, "the checksum of its header does not match");
  }
  return absl::OkStatus();
}

// FrameCrc is the checksum of a frame: its header without the crc field,
// then its bytes.
uint32_t FrameCrc(const char* header, std::string_view bytes) {
  uint32_t crc = Crc32c(std::string_view(header, 4));
  crc = Crc32c(std::string_view(header + 8, kFrameHeaderSize - 8), crc);
  return Crc32c(bytes, crc);
}

absl::Status PreadAll(int fd, char* out, size_t n, uint64_t offset,
                      const std::string& path, size_t* got) {
  *got = 0;
  while (*got < n) {
    const ssize_t r =
        pread(fd, out + *got, n - *got, static_cast<off_t>(offset + *got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError(errno, "read", path);
    }
    if (r == 0) break;  // end of file
    *got += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

// ChunkReader reads [begin, limit) of a file in large chunks and keeps the
// bytes not yet consumed in one buffer.
class ChunkReader {
 public:
  static constexpr size_t kChunk = 1 << 20;

  ChunkReader(int fd, const std::string& path, uint64_t begin, uint64_t limit)
      : fd_(fd),
        path_(path),
        next_read_(begin),
        offset_(begin),
        limit_(limit) {}

  // Fill buffers at least `n` bytes from the current offset, if the file
  // has them before the limit; returns how many are buffered.
  absl::StatusOr<size_t> Fill(size_t n) {
    if (buffered() >= n) return buffered();
    // Move what is left to the front, then read after it.
    buffer_.erase(0, pos_);
    pos_ = 0;
    while (buffer_.size() < n && next_read_ < limit_) {
      const uint64_t want_total = std::max<uint64_t>(n, kChunk);
      const uint64_t want =
          std::min<uint64_t>(want_total - buffer_.size(), limit_ - next_read_);
      const size_t old = buffer_.size();
      buffer_.resize(old + want);
      size_t got = 0;
      absl::Status s =
          PreadAll(fd_, buffer_.data() + old, want, next_read_, path_, &got);
      buffer_.resize(old + got);
      if (!s.ok()) return s;
      next_read_ += got;
      if (got < want) {
        limit_ = next_read_;  // the file is shorter than the limit
        break;
      }
    }
    return buffered();
  }

  const char* data() const { return buffer_.data() + pos_; }
  void Skip(size_t n) {
    pos_ += n;
    offset_ += n;
  }
  uint64_t offset() const { return offset_; }
  uint64_t limit() const { return limit_; }

 private:
  size_t buffered() const { return buffer_.size() - pos_; }

  const int fd_;
  const std::string& path_;
  std::string buffer_;
  size_t pos_ = 0;      // first unconsumed byte of buffer_
  uint64_t next_read_;  // file offset of buffer_.end()
  uint64_t offset_;     // file offset of data()
  uint64_t limit_;
};

// ZerosFrom: whether every byte of [offset, limit) is zero.
absl::StatusOr<bool> ZerosFrom(int fd, const std::string& path, uint64_t offset,
                               uint64_t limit) {
  std::string buffer(std::min<uint64_t>(limit - offset, 1 << 20), '\0');
  while (offset < limit) {
    const size_t want = std::min<uint64_t>(buffer.size(), limit - offset);
    size_t got = 0;
    absl::Status s = PreadAll(fd, buffer.data(), want, offset, path, &got);
    if (!s.ok()) return s;
    if (got == 0) return true;
    for (size_t i = 0; i < got; ++i) {
      if (buffer[i] != '\0') return false;
    }
    offset += got;
  }
  return true;
}

}  // namespace

// --- Checksums ---

uint32_t Crc32c(std::string_view data, uint32_t crc) {
  uint32_t c = ~crc;
#if defined(__x86_64__)
  if (HasSse42()) return ~Crc32cHardware(c, data.data(), data.size());
#endif
  return ~Crc32cSoftware(c, data.data(), data.size());
}

// --- Names ---

std::vector<std::string> NameCandidates(const std::string& persistence_id) {
  std::string escaped = Escaped(persistence_id);
  if (escaped.size() <= kMaxReadableName) return {std::move(escaped)};
  // Cut at a whole character of the encoding, never inside a %XX.
  size_t cut = kHashedPrefix;
  if (escaped[cut - 1] == '%') {
    cut -= 1;
  } else if (escaped[cut - 2] == '%') {
    cut -= 2;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t h = Fnv1a64(persistence_id);
  std::string base = escaped.substr(0, cut);
  base.push_back('~');
  for (int shift = 60; shift >= 0; shift -= 4)
    base.push_back(kHex[(h >> shift) & 0xf]);
  std::vector<std::string> names;
  names.push_back(base);
  for (int i = 1; i < kHashedCandidates; ++i) {
    names.push_back(absl::StrCat(base, "~", i));
  }
  return names;
}

absl::StatusOr<ResolvedName> ResolveName(
    const std::string& persistence_id,
    absl::FunctionRef<
        absl::StatusOr<std::optional<std::string>>(const std::string& name)>
        owner_of) {
  const std::vector<std::string> names = NameCandidates(persistence_id);
  for (const std::string& name : names) {
    absl::StatusOr<std::optional<std::string>> owner = owner_of(name);
    if (!owner.ok()) return owner.status();
    if (!owner->has_value()) return ResolvedName{name, false};
    if (**owner == persistence_id) return ResolvedName{name, true};
    if (names.size() == 1) {
      return absl::DataLossError(absl::StrCat(
          "filelog: the files named '", name, "' belong to persistence id ",
          Quoted(persistence_id), " but hold persistence id ", Quoted(**owner),
          " (were files moved or renamed?)"));
    }
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "filelog: all ", names.size(), " file names of ", "persistence id ",
      Quoted(persistence_id), " are taken by other ids with the same hash"));
}

std::string Quoted(std::string_view persistence_id) {
  constexpr size_t kShown = 200;
  if (persistence_id.size() <= kShown) {
    return absl::StrCat("'", absl::CHexEscape(ToAbsl(persistence_id)), "'");
  }
  return absl::StrCat(
      "'", absl::CHexEscape(ToAbsl(persistence_id.substr(0, kShown))), "...' (",
      persistence_id.size(), " bytes)");
}

// --- Encoding ---

void AppendFileHeader(std::string_view magic, std::string_view persistence_id,
                      std::string* out) {
  char fixed[kFileHeaderFixedSize];
  std::memcpy(fixed, magic.data(), 8);
  PutU32(static_cast<uint32_t>(persistence_id.size()), fixed + 8);
  uint32_t crc = Crc32c(std::string_view(fixed, 12));
  crc = Crc32c(persistence_id, crc);
  PutU32(crc, fixed + 12);
  out->append(fixed, sizeof(fixed));
  out->append(persistence_id);
}

void AppendFrame(int64_t sequence_nr, uint32_t rest, std::string_view bytes,
                 std::string* out) {
  char header[kFrameHeaderSize];
  PutU32(static_cast<uint32_t>(bytes.size()), header);
  PutU64(static_cast<uint64_t>(sequence_nr), header + 8);
  PutU32(rest, header + 16);
  PutU32(FrameCrc(header, bytes), header + 4);
  out->append(header, sizeof(header));
  out->append(bytes);
}

// --- Plain files ---

absl::Status IoError(int error_number, std::string_view what,
                     const std::string& path) {
  return absl::ErrnoToStatus(
      error_number,
      absl::StrCat("filelog: cannot ", ToAbsl(what), " '", path, "'"));
}

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<ScopedFd> ScopedFd::Open(const std::string& path, int flags,
                                        int mode) {
  for (;;) {
    const int fd = open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return ScopedFd(fd);
    if (errno == EINTR) continue;
    return IoError(errno, "open", path);
  }
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t w = write(fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError(errno, "write to", path);
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return absl::OkStatus();
}

absl::Status SyncFile(int fd, const std::string& path) {
  while (fdatasync(fd) != 0) {
    if (errno != EINTR) return IoError(errno, "sync (fdatasync)", path);
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& directory) {
  absl::StatusOr<ScopedFd> fd =
      ScopedFd::Open(directory, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  while (fsync(fd->get()) != 0) {
    if (errno != EINTR) return IoError(errno, "sync the directory", directory);
  }
  return absl::OkStatus();
}

absl::Status CreateDirectories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return IoError(ec.value(), "create the directory", path);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0) return IoError(errno, "stat", path);
  return static_cast<uint64_t>(st.st_size);
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  absl::StatusOr<ScopedFd> fd = ScopedFd::Open(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<uint64_t> size = FileSize(fd->get(), path);
  if (!size.ok()) return size.status();
  std::string contents(*size, '\0');
  size_t got = 0;
  absl::Status s = PreadAll(fd->get(), contents.data(), *size, 0, path, &got);
  if (!s.ok()) return s;
  contents.resize(got);
  return contents;
}

absl::Status WriteFileAtomically(const std::string& directory,
                                 const std::string& name,
                                 std::string_view contents, bool sync) {
  const std::string path = absl::StrCat(directory, "/", name);
  const std::string temp = absl::StrCat(path, ".tmp");
  {
    absl::StatusOr<ScopedFd> fd =
        ScopedFd::Open(temp, O_WRONLY | O_CREAT | O_TRUNC);
    if (!fd.ok()) return fd.status();
    absl::Status s = WriteAll(fd->get(), contents, temp);
    if (s.ok() && sync) s = SyncFile(fd->get(), temp);
    if (!s.ok()) {
      unlink(temp.c_str());
      return s;
    }
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(temp.c_str());
    return IoError(err, absl::StrCat("rename '", temp, "' to"), path);
  }
  return sync ? SyncDirectory(directory) : absl::OkStatus();
}

// --- Reading the format ---

absl::StatusOr<FileHeader> ReadFileHeader(int fd, const std::string& path,
                                          std::string_view magic) {
  char fixed[kFileHeaderFixedSize];
  size_t got = 0;
  absl::Status s = PreadAll(fd, fixed, sizeof(fixed), 0, path, &got);
  if (!s.ok()) return s;
  if (got < sizeof(fixed)) {
    return Corrupt(
        path, absl::StrCat("it has ", got, " bytes, fewer than a file header"));
  }
  const std::string_view fixed_view(fixed, sizeof(fixed));
  absl::StatusOr<uint32_t> length = ParseHeaderFields(fixed_view, path, magic);
  if (!length.ok()) return length.status();
  FileHeader header;
  header.persistence_id.resize(*length);
  s = PreadAll(fd, header.persistence_id.data(), *length, sizeof(fixed), path,
               &got);
  if (!s.ok()) return s;
  if (got < *length) return Corrupt(path, "its header is cut off");
  s = CheckHeaderCrc(fixed_view, header.persistence_id, path);
  if (!s.ok()) return s;
  header.size = sizeof(fixed) + *length;
  return header;
}

absl::StatusOr<FileHeader> ParseFileHeader(std::string_view contents,
                                           const std::string& path,
                                           std::string_view magic) {
  if (contents.size() < kFileHeaderFixedSize) {
    return Corrupt(path, absl::StrCat("it has ", contents.size(),
                                      " bytes, fewer than a file header"));
  }
  const std::string_view fixed = contents.substr(0, kFileHeaderFixedSize);
  absl::StatusOr<uint32_t> length = ParseHeaderFields(fixed, path, magic);
  if (!length.ok()) return length.status();
  if (contents.size() - kFileHeaderFixedSize < *length) {
    return Corrupt(path, "its header is cut off");
  }
  const std::string_view id = contents.substr(kFileHeaderFixedSize, *length);
  absl::Status s = CheckHeaderCrc(fixed, id, path);
  if (!s.ok()) return s;
  return FileHeader{std::string(id), kFileHeaderFixedSize + *length};
}

absl::StatusOr<Frame> ParseOnlyFrame(std::string_view contents, size_t offset,
                                     const std::string& path) {
  if (contents.size() < offset || contents.size() - offset < kFrameHeaderSize) {
    return Corrupt(path, "its frame is cut off");
  }
  const char* header = contents.data() + offset;
  const uint32_t length = GetU32(header);
  if (contents.size() - offset - kFrameHeaderSize != length) {
    return Corrupt(
        path,
        absl::StrCat("its frame claims ", length, " bytes, the file holds ",
                     contents.size() - offset - kFrameHeaderSize));
  }
  Frame frame;
  frame.offset = offset;
  frame.sequence_nr = static_cast<int64_t>(GetU64(header + 8));
  frame.rest = GetU32(header + 16);
  frame.bytes = contents.substr(offset + kFrameHeaderSize, length);
  if (FrameCrc(header, frame.bytes) != GetU32(header + 4)) {
    return Corrupt(path, "the checksum of its frame does not match");
  }
  return frame;
}

absl::StatusOr<LogScan> ScanLog(
    int fd, const std::string& path, const std::string& persistence_id,
    uint64_t begin, uint64_t limit, bool allow_torn_tail,
    absl::FunctionRef<absl::StatusOr<bool>(const Frame&)> on_frame) {
  LogScan scan;
  scan.end = begin;
  ChunkReader reader(fd, path, begin, limit);
  bool have_previous = false;
  int64_t previous = 0;  // sequence number of the previous frame
  uint32_t rest = 0;     // frames still due of the current atomic write

  auto corrupt = [&](uint64_t offset, std::string_view why) {
    return absl::DataLossError(absl::StrCat(
        "filelog: the log of persistence id ", Quoted(persistence_id), " ('",
        path, "') is corrupt at offset ", offset, ": ", ToAbsl(why),
        "; the last good sequence number is ", scan.last_sequence_nr));
  };
  // A torn tail: with allow_torn_tail the scan ends before it.
  auto torn = [&](uint64_t offset,
                  std::string_view why) -> absl::StatusOr<LogScan> {
    if (!allow_torn_tail) return corrupt(offset, why);
    scan.torn_tail = true;
    return scan;
  };

  for (;;) {
    const uint64_t offset = reader.offset();
    absl::StatusOr<size_t> buffered = reader.Fill(kFrameHeaderSize);
    if (!buffered.ok()) return buffered.status();
    if (*buffered == 0) break;
    if (*buffered < kFrameHeaderSize) {
      return torn(offset, "a frame header is cut off at the end of the file");
    }
    const uint32_t length = GetU32(reader.data());
    if (length > reader.limit() - offset - kFrameHeaderSize) {
      return torn(offset, absl::StrCat("a frame of ", length,
                                       " bytes runs past the end of the file"));
    }
    buffered = reader.Fill(kFrameHeaderSize + length);
    if (!buffered.ok()) return buffered.status();
    if (*buffered < kFrameHeaderSize + length) {
      return torn(offset, "a frame is cut off at the end of the file");
    }
    const char* header = reader.data();
    Frame frame;
    frame.offset = offset;
    frame.sequence_nr = static_cast<int64_t>(GetU64(header + 8));
    frame.rest = GetU32(header + 16);
    frame.bytes = std::string_view(header + kFrameHeaderSize, length);
    if (FrameCrc(header, frame.bytes) != GetU32(header + 4)) {
      const uint64_t frame_end = offset + kFrameHeaderSize + length;
      if (frame_end == reader.limit()) {
        return torn(offset, "the checksum of the last frame does not match");
      }
      absl::StatusOr<bool> zeros = ZerosFrom(fd, path, offset, reader.limit());
      if (!zeros.ok()) return zeros.status();
      if (*zeros) return torn(offset, "the file ends in zero bytes");
      return corrupt(offset, absl::StrCat("the checksum of the frame of ",
                                          length, " bytes does not match"));
    }
    if (rest > 0) {
      if (frame.sequence_nr != previous + 1 || frame.rest != rest - 1) {
        return corrupt(
            offset,
            absl::StrCat("frame of sequence number ", frame.sequence_nr, " (",
                         frame.rest, " more) where sequence number ",
                         previous + 1, " (", rest - 1,
                         " more) of an atomic write was due"));
      }
    } else if (have_previous && frame.sequence_nr <= previous) {
      return corrupt(offset,
                     absl::StrCat("sequence number ", frame.sequence_nr,
                                  " follows sequence number ", previous));
    }
    have_previous = true;
    previous = frame.sequence_nr;
    rest = frame.rest;
    absl::StatusOr<bool> go_on = on_frame(frame);
    if (!go_on.ok()) return go_on.status();
    reader.Skip(kFrameHeaderSize + length);
    if (rest == 0) {
      scan.end = reader.offset();
      scan.last_sequence_nr = frame.sequence_nr;
    }
    if (!*go_on) return scan;
  }
  if (rest > 0) {
    return torn(
        scan.end,
        absl::StrCat("an atomic write ends after sequence number ", previous,
                     " with ", rest, " of its frames missing"));
  }
  return scan;
}

// --- One process per directory ---

namespace {

// The locks this process holds, by canonical directory. An entry whose
// lock is being destroyed (expired, its flock not yet released) makes
// Acquire wait, so that a lock let go and taken again at once never looks
// like another process's.
struct LockRegistry {
  std::mutex mu;
  std::condition_variable released;
  std::map<std::string, std::weak_ptr<DirectoryLock>> locks;
};

LockRegistry& Locks() {
  static auto* registry = new LockRegistry();
  return *registry;
}

}  // namespace

absl::StatusOr<std::shared_ptr<DirectoryLock>> DirectoryLock::Acquire(
    const std::string& directory) {
  absl::Status created = CreateDirectories(directory);
  if (!created.ok()) return created;
  std::error_code ec;
  const std::string key =
      std::filesystem::weakly_canonical(directory, ec).string();
  if (ec) return IoError(ec.value(), "resolve the directory", directory);
  LockRegistry& registry = Locks();
  std::unique_lock<std::mutex> lock(registry.mu);
  for (;;) {
    auto it = registry.locks.find(key);
    if (it == registry.locks.end()) break;
    if (std::shared_ptr<DirectoryLock> held = it->second.lock()) return held;
    registry.released.wait(lock);
  }
  const std::string path = absl::StrCat(key, "/filelog.lock");
  absl::StatusOr<ScopedFd> fd = ScopedFd::Open(path, O_RDWR | O_CREAT);
  if (!fd.ok()) return fd.status();
  while (flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("filelog: the directory '", directory,
                       "' is in use by another process (it holds the lock on '",
                       path, "'); one process per directory"));
    }
    return IoError(errno, "lock", path);
  }
  std::shared_ptr<DirectoryLock> held(new DirectoryLock(key, *std::move(fd)));
  registry.locks[key] = held;
  return held;
}

DirectoryLock::~DirectoryLock() {
  LockRegistry& registry = Locks();
  std::lock_guard<std::mutex> lock(registry.mu);
  fd_ = ScopedFd();  // releases the flock
  registry.locks.erase(key_);
  registry.released.notify_all();
}

}  // namespace persistence::filelog
