// Copyright 2026 The eventpersist Authors.
#include "backends/rocksdb/settings.h"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/key_layout.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace persistence::rocksdb_backend {
namespace {

const std::map<std::string, rocksdb::CompressionType>& Compressions() {
  static const auto* compressions =
      new std::map<std::string, rocksdb::CompressionType>{
          {"none", rocksdb::kNoCompression},
          {"snappy", rocksdb::kSnappyCompression},
          {"zlib", rocksdb::kZlibCompression},
          {"bzip2", rocksdb::kBZip2Compression},
          {"lz4", rocksdb::kLZ4Compression},
          {"lz4hc", rocksdb::kLZ4HCCompression},
          {"zstd", rocksdb::kZSTD},
      };
  return *compressions;
}

absl::Status KeyError(const Config& section, const std::string& key,
                      const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("config key '", section.FullKey(key), "': ", what));
}

// A size key: an integer, or a string such as "64 MiB".
absl::StatusOr<int64_t> GetSize(const Config& section, const std::string& key,
                                int64_t fallback, int64_t minimum) {
  if (!section.HasPath(key)) return fallback;
  int64_t value;
  absl::StatusOr<int64_t> number = section.GetInt(key);
  if (number.ok()) {
    value = *number;
  } else {
    absl::StatusOr<std::string> text = section.GetString(key);
    if (!text.ok()) return text.status();
    absl::StatusOr<int64_t> parsed = ParseByteSize(*text);
    if (!parsed.ok())
      return KeyError(section, key, std::string(parsed.status().message()));
    value = *parsed;
  }
  if (value < minimum) {
    return KeyError(
        section, key,
        absl::StrCat("must be at least ", minimum, ", got ", value));
  }
  return value;
}

absl::StatusOr<int64_t> GetCount(const Config& section, const std::string& key,
                                 int64_t fallback, int64_t minimum) {
  if (!section.HasPath(key)) return fallback;
  return section.GetIntAtLeast(key, minimum);
}

}  // namespace

absl::StatusOr<int64_t> ParseByteSize(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  const size_t digits = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  if (i == digits) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a size such as 64 MiB, got '", std::string(text), "'"));
  }
  const std::string number(text.substr(digits, i - digits));
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  std::string unit(text.substr(i));
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.back())))
    unit.pop_back();
  static const auto* units = new std::map<std::string, int64_t>{
      {"", 1},          {"B", 1},       {"b", 1},        {"byte", 1},
      {"bytes", 1},     {"K", 1 << 10}, {"k", 1 << 10},  {"Ki", 1 << 10},
      {"KiB", 1 << 10}, {"M", 1 << 20}, {"m", 1 << 20},  {"Mi", 1 << 20},
      {"MiB", 1 << 20}, {"G", 1 << 30}, {"g", 1 << 30},  {"Gi", 1 << 30},
      {"GiB", 1 << 30}, {"kB", 1000},   {"MB", 1000000}, {"GB", 1000000000},
  };
  auto u = units->find(unit);
  if (u == units->end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown size unit '", unit, "' in '", std::string(text),
                     "' (use B, KiB, MiB, GiB, kB, MB or GB)"));
  }
  errno = 0;
  const unsigned long long n = std::strtoull(number.c_str(), nullptr, 10);
  if (errno != 0 || n > static_cast<unsigned long long>(
                            std::numeric_limits<int64_t>::max() / u->second)) {
    return absl::InvalidArgumentError(
        absl::StrCat("size '", std::string(text), "' is too large"));
  }
  return static_cast<int64_t>(n) * u->second;
}

absl::StatusOr<DatabaseSettings> DatabaseSettings::FromConfig(
    const Config& section) {
  DatabaseSettings s;
  absl::StatusOr<std::string> path = section.GetString("path");
  if (!path.ok()) return path.status();
  if (path->empty()) return KeyError(section, "path", "must name a directory");
  s.path = *path;
  absl::StatusOr<int64_t> v =
      GetSize(section, "write-buffer-size", s.write_buffer_size, 64 << 10);
  if (!v.ok()) return v.status();
  s.write_buffer_size = *v;
  v = GetSize(section, "block-cache-size", s.block_cache_size, 0);
  if (!v.ok()) return v.status();
  s.block_cache_size = *v;
  v = GetCount(section, "bloom-bits-per-key", s.bloom_bits_per_key, 0);
  if (!v.ok()) return v.status();
  s.bloom_bits_per_key = *v;
  v = GetCount(section, "max-background-jobs", s.max_background_jobs, 1);
  if (!v.ok()) return v.status();
  s.max_background_jobs = *v;
  v = GetSize(section, "max-group-commit-bytes", s.max_group_commit_bytes, 1);
  if (!v.ok()) return v.status();
  s.max_group_commit_bytes = *v;
  v = GetCount(section, "highest-cache-size", s.highest_cache_size, 1);
  if (!v.ok()) return v.status();
  s.highest_cache_size = *v;
  if (section.HasPath("writer-spin-time")) {
    absl::StatusOr<std::chrono::nanoseconds> spin =
        section.GetDuration("writer-spin-time");
    if (!spin.ok()) return spin.status();
    if (spin->count() < 0 || *spin > std::chrono::seconds(1)) {
      return KeyError(section, "writer-spin-time", "must be between 0 and 1s");
    }
    s.writer_spin_time_us =
        std::chrono::duration_cast<std::chrono::microseconds>(*spin).count();
  }
  absl::StatusOr<std::string> compression =
      section.GetStringOr("compression", s.compression);
  if (!compression.ok()) return compression.status();
  auto c = Compressions().find(*compression);
  if (c == Compressions().end()) {
    return KeyError(
        section, "compression",
        absl::StrCat("unknown compression '", *compression,
                     "' (none, snappy, lz4, lz4hc, zstd, zlib or bzip2)"));
  }
  if (c->second != rocksdb::kNoCompression) {
    bool supported = false;
    for (rocksdb::CompressionType t : rocksdb::GetSupportedCompressions()) {
      supported = supported || t == c->second;
    }
    if (!supported) {
      return KeyError(section, "compression",
                      absl::StrCat("this RocksDB library was built without '",
                                   *compression, "'"));
    }
  }
  s.compression = *compression;
  return s;
}

std::string DatabaseSettings::Describe() const {
  return absl::StrCat("write-buffer-size = ", write_buffer_size,
                      ", block-cache-size = ", block_cache_size,
                      ", compression = ", compression,
                      ", bloom-bits-per-key = ", bloom_bits_per_key,
                      ", max-background-jobs = ", max_background_jobs,
                      ", max-group-commit-bytes = ", max_group_commit_bytes,
                      ", highest-cache-size = ", highest_cache_size,
                      ", writer-spin-time = ", writer_spin_time_us, "us");
}

absl::StatusOr<JournalSettings> JournalSettings::FromConfig(
    const Config& section) {
  JournalSettings s;
  absl::StatusOr<DatabaseSettings> database =
      DatabaseSettings::FromConfig(section);
  if (!database.ok()) return database.status();
  s.database = *std::move(database);
  absl::StatusOr<bool> fsync = section.GetBoolOr("fsync", s.fsync);
  if (!fsync.ok()) return fsync.status();
  s.fsync = *fsync;
  absl::StatusOr<int64_t> v =
      GetCount(section, "replay-threads", s.replay_threads, 1);
  if (!v.ok()) return v.status();
  s.replay_threads = *v;
  return s;
}

absl::StatusOr<SnapshotStoreSettings> SnapshotStoreSettings::FromConfig(
    const Config& section) {
  SnapshotStoreSettings s;
  absl::StatusOr<DatabaseSettings> database =
      DatabaseSettings::FromConfig(section);
  if (!database.ok()) return database.status();
  s.database = *std::move(database);
  absl::StatusOr<bool> fsync = section.GetBoolOr("fsync", s.fsync);
  if (!fsync.ok()) return fsync.status();
  s.fsync = *fsync;
  absl::StatusOr<int64_t> v =
      GetCount(section, "max-load-attempts", s.max_load_attempts, 1);
  if (!v.ok()) return v.status();
  s.max_load_attempts = *v;
  return s;
}

rocksdb::Options MakeOptions(const DatabaseSettings& settings) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = static_cast<size_t>(settings.write_buffer_size);
  options.max_background_jobs = static_cast<int>(settings.max_background_jobs);
  options.compression = Compressions().at(settings.compression);
  // A torn tail of the write-ahead log (a crash in the middle of a write)
  // is cut off; everything before it is recovered. Each group commit is one
  // WAL record with a checksum, so it is recovered entirely or not at all.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  options.keep_log_file_num = 10;
  options.prefix_extractor = std::make_shared<IdPrefixExtractor>();
  options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<EventInsertHintExtractor>();

  rocksdb::BlockBasedTableOptions table;
  table.block_cache =
      settings.block_cache_size > 0
          ? rocksdb::NewLRUCache(static_cast<size_t>(settings.block_cache_size))
          : nullptr;
  table.no_block_cache = settings.block_cache_size == 0;
  if (settings.bloom_bits_per_key > 0) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(
        static_cast<double>(settings.bloom_bits_per_key)));
    // Whole keys for the point lookups of highest sequence numbers and
    // snapshots; prefixes (the extractor) for replays.
    table.whole_key_filtering = true;
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

absl::Status FromRocksDb(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message =
      absl::StrCat(std::string(what), ": ", status.ToString());
  if (status.IsNotFound() || status.IsPathNotFound())
    return absl::NotFoundError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (status.IsNotSupported()) return absl::UnimplementedError(message);
  if (status.IsNoSpace() || status.IsMemoryLimit())
    return absl::ResourceExhaustedError(message);
  if (status.IsTimedOut()) return absl::DeadlineExceededError(message);
  if (status.IsAborted()) return absl::AbortedError(message);
  if (status.IsBusy() || status.IsTryAgain() || status.IsIncomplete()) {
    return absl::UnavailableError(message);
  }
  if (status.IsShutdownInProgress()) return absl::CancelledError(message);
  if (status.IsIOError()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

}  // namespace persistence::rocksdb_backend
