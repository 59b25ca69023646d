// Copyright 2026 The eventpersist Authors.
#include "backends/rocksdb/settings.h"

#include <chrono>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/key_layout.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"

namespace persistence::rocksdb {
namespace {

const std::map<std::string, ::rocksdb::CompressionType>& Compressions() {
  static const auto* compressions =
      new std::map<std::string, ::rocksdb::CompressionType>{
          {"none", ::rocksdb::kNoCompression},
          {"snappy", ::rocksdb::kSnappyCompression},
          {"zlib", ::rocksdb::kZlibCompression},
          {"bzip2", ::rocksdb::kBZip2Compression},
          {"lz4", ::rocksdb::kLZ4Compression},
          {"lz4hc", ::rocksdb::kLZ4HCCompression},
          {"zstd", ::rocksdb::kZSTD},
      };
  return *compressions;
}

absl::Status KeyError(const Config& section, const std::string& key,
                      const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("config key '", section.FullKey(key), "': ", what));
}

}  // namespace

absl::StatusOr<DatabaseSettings> DatabaseSettings::FromConfig(
    const Config& section) {
  DatabaseSettings s;
#define ROCKSDB_SETTING(field, expr)        \
  do {                                      \
    auto value = (expr);                    \
    if (!value.ok()) return value.status(); \
    s.field = *std::move(value);            \
  } while (false)
  ROCKSDB_SETTING(path, section.GetString("path"));
  if (s.path.empty()) return KeyError(section, "path", "must name a directory");
  ROCKSDB_SETTING(write_buffer_size,
                  section.GetBytes("write-buffer-size", 64 << 10));
  ROCKSDB_SETTING(block_cache_size, section.GetBytes("block-cache-size", 0));
  ROCKSDB_SETTING(bloom_bits_per_key,
                  section.GetIntAtLeast("bloom-bits-per-key", 0));
  ROCKSDB_SETTING(max_background_jobs,
                  section.GetIntAtLeast("max-background-jobs", 1));
  ROCKSDB_SETTING(max_group_commit_bytes,
                  section.GetBytes("max-group-commit-bytes", 1));
  ROCKSDB_SETTING(highest_cache_size,
                  section.GetIntAtLeast("highest-cache-size", 1));
  ROCKSDB_SETTING(compression, section.GetString("compression"));
#undef ROCKSDB_SETTING
  absl::StatusOr<std::chrono::nanoseconds> spin =
      section.GetDuration("writer-spin-time");
  if (!spin.ok()) return spin.status();
  if (spin->count() < 0 || *spin > std::chrono::seconds(1)) {
    return KeyError(section, "writer-spin-time", "must be between 0 and 1s");
  }
  s.writer_spin_time_us =
      std::chrono::duration_cast<std::chrono::microseconds>(*spin).count();
  auto c = Compressions().find(s.compression);
  if (c == Compressions().end()) {
    return KeyError(
        section, "compression",
        absl::StrCat("unknown compression '", s.compression,
                     "' (none, snappy, lz4, lz4hc, zstd, zlib or bzip2)"));
  }
  if (c->second != ::rocksdb::kNoCompression) {
    bool supported = false;
    for (::rocksdb::CompressionType t : ::rocksdb::GetSupportedCompressions()) {
      supported = supported || t == c->second;
    }
    if (!supported) {
      return KeyError(section, "compression",
                      absl::StrCat("this RocksDB library was built without '",
                                   s.compression, "'"));
    }
  }
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
  absl::StatusOr<bool> fsync = section.GetBool("fsync");
  if (!fsync.ok()) return fsync.status();
  s.fsync = *fsync;
  absl::StatusOr<int64_t> threads = section.GetIntAtLeast("replay-threads", 1);
  if (!threads.ok()) return threads.status();
  s.replay_threads = *threads;
  return s;
}

absl::StatusOr<SnapshotStoreSettings> SnapshotStoreSettings::FromConfig(
    const Config& section) {
  SnapshotStoreSettings s;
  absl::StatusOr<DatabaseSettings> database =
      DatabaseSettings::FromConfig(section);
  if (!database.ok()) return database.status();
  s.database = *std::move(database);
  absl::StatusOr<bool> fsync = section.GetBool("fsync");
  if (!fsync.ok()) return fsync.status();
  s.fsync = *fsync;
  absl::StatusOr<int64_t> attempts =
      section.GetIntAtLeast("max-load-attempts", 1);
  if (!attempts.ok()) return attempts.status();
  s.max_load_attempts = *attempts;
  return s;
}

::rocksdb::Options MakeOptions(const DatabaseSettings& settings) {
  ::rocksdb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = static_cast<size_t>(settings.write_buffer_size);
  options.max_background_jobs = static_cast<int>(settings.max_background_jobs);
  options.compression = Compressions().at(settings.compression);
  // A torn tail of the write-ahead log (a crash in the middle of a write)
  // is cut off; everything before it is recovered. Each group commit is one
  // WAL record with a checksum, so it is recovered entirely or not at all.
  options.wal_recovery_mode = ::rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  options.keep_log_file_num = 10;
  options.prefix_extractor = std::make_shared<IdPrefixExtractor>();
  options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<EventInsertHintExtractor>();

  ::rocksdb::BlockBasedTableOptions table;
  table.block_cache = settings.block_cache_size > 0
                          ? ::rocksdb::NewLRUCache(
                                static_cast<size_t>(settings.block_cache_size))
                          : nullptr;
  table.no_block_cache = settings.block_cache_size == 0;
  if (settings.bloom_bits_per_key > 0) {
    table.filter_policy.reset(::rocksdb::NewBloomFilterPolicy(
        static_cast<double>(settings.bloom_bits_per_key)));
    // Whole keys for the point lookups of highest sequence numbers and
    // snapshots; prefixes (the extractor) for replays.
    table.whole_key_filtering = true;
  }
  options.table_factory.reset(::rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

absl::Status FromRocksDb(const ::rocksdb::Status& status,
                         std::string_view what) {
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

}  // namespace persistence::rocksdb
