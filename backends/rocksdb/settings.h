// Copyright 2026 The eventpersist Authors.
//
// settings.h: the RocksDB backend's settings, read from its config
// sections (reference.conf holds every default), and the RocksDB options
// built from them.
//
// Two kinds of settings:
//   - DatabaseSettings belong to the database (one per directory, shared by
//     the journal and the snapshot store of one process). Two plugins that
//     share a directory must agree on them; the snapshot store's section
//     takes them from the journal's by substitution, so they agree unless a
//     user sets them apart on purpose, which is then an error at start.
//   - JournalSettings / SnapshotStoreSettings add the per-plugin keys
//     (fsync, replay threads, load attempts).
//
// Errors name the full config key (e.g. `persistence.journal.rocksdb.path`).
//
// Thread-safety: plain values.
//
// Example:
//
//   absl::StatusOr<JournalSettings> s = JournalSettings::FromConfig(section);
//   if (!s.ok()) return s.status();
//   ::rocksdb::Options options = MakeOptions(s->database);
#ifndef BACKENDS_ROCKSDB_SETTINGS_H_
#define BACKENDS_ROCKSDB_SETTINGS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/config.h"
#include "rocksdb/options.h"
#include "rocksdb/status.h"

namespace persistence::rocksdb {

// The settings of the backend's plugin sections. Their defaults live in
// reference.conf and nowhere else: FromConfig reads every key, and a
// missing or bad key is an error naming it and its file.

// DatabaseSettings: what the RocksDB database itself is opened with.
struct DatabaseSettings {
  // Directory of the database; created (with its parents) when missing.
  std::string path;
  // Size of one memtable before it is flushed to an SST file.
  int64_t write_buffer_size = 0;
  // LRU cache of uncompressed blocks, shared by all reads of the database.
  int64_t block_cache_size = 0;
  // Compression of SST files: none, snappy, lz4, zstd, zlib, bzip2, lz4hc.
  std::string compression;
  // Bits per key of the bloom filters (whole keys and id prefixes).
  int64_t bloom_bits_per_key = 0;
  // Background flush and compaction threads.
  int64_t max_background_jobs = 0;
  // A group commit takes queued requests until it holds this many bytes
  // (it always takes at least one request).
  int64_t max_group_commit_bytes = 0;
  // Persistence ids whose highest sequence number the writer keeps in
  // memory for the stale-writer check; others are read from the database.
  int64_t highest_cache_size = 0;
  // How long the idle writer polls its queue before it sleeps (0: never).
  int64_t writer_spin_time_us = 0;

  // FromConfig reads the database keys of a plugin section.
  static absl::StatusOr<DatabaseSettings> FromConfig(const Config& section);

  // Describe renders the settings that must agree between two plugins
  // sharing the directory (the path is not part of it).
  std::string Describe() const;
};

// JournalSettings: the journal plugin's section.
struct JournalSettings {
  DatabaseSettings database;
  // on: each group commit syncs the write-ahead log before any write of the
  // group is acknowledged. off: acknowledged once in the OS page cache.
  bool fsync = false;
  // Threads that run replays, so a long replay never holds up writes.
  int64_t replay_threads = 0;

  static absl::StatusOr<JournalSettings> FromConfig(const Config& section);
};

// SnapshotStoreSettings: the snapshot store plugin's section.
struct SnapshotStoreSettings {
  DatabaseSettings database;
  bool fsync = false;
  // A load that meets a snapshot it cannot decode tries this many of the
  // youngest matching snapshots before it fails.
  int64_t max_load_attempts = 0;

  static absl::StatusOr<SnapshotStoreSettings> FromConfig(
      const Config& section);
};

// MakeOptions builds the RocksDB options of a database. Every database of
// the backend (and the perf raw engine) is opened with these, so the key
// layout's prefix extractor and bloom filters are always in place.
::rocksdb::Options MakeOptions(const DatabaseSettings& settings);

// FromRocksDb turns a RocksDB status into an absl::Status with the most
// specific code, prefixed by `what` (which should name the path).
absl::Status FromRocksDb(const ::rocksdb::Status& status,
                         std::string_view what);

}  // namespace persistence::rocksdb

#endif  // BACKENDS_ROCKSDB_SETTINGS_H_
