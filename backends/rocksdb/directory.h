// Copyright 2026 The eventpersist Authors.
//
// directory.h: what opening a RocksDB database directory checks, for the
// registry of open databases (database_registry.cc).
//
// Thread-safety: free functions; safe from any thread.
//
// Example:
//
//   absl::StatusOr<std::string> path = CanonicalDirectory(settings.path);
//   if (!path.ok()) return path.status();   // names the path and why
#ifndef BACKENDS_ROCKSDB_DIRECTORY_H_
#define BACKENDS_ROCKSDB_DIRECTORY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace persistence::rocksdb::internal {

// CanonicalDirectory creates `path` (and its parents) when missing and
// returns its canonical form (symlinks and `..` resolved), the key of the
// registry of open databases.
absl::StatusOr<std::string> CanonicalDirectory(const std::string& path);

// IsLockConflict: RocksDB could not take the directory's LOCK (another
// process has the database open).
bool IsLockConflict(const ::rocksdb::Status& status);

// CheckLayout writes the key layout version into a new database, marks a
// version-1 database as version 2, and refuses any other version.
absl::Status CheckLayout(::rocksdb::DB& db, const std::string& path);

}  // namespace persistence::rocksdb::internal

#endif  // BACKENDS_ROCKSDB_DIRECTORY_H_
