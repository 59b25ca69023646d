// Copyright 2026 The eventpersist Authors.
//
// Opening a database directory: its canonical path, RocksDB's lock, and
// the key layout version (directory.h).
#include "backends/rocksdb/directory.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/key_layout.h"
#include "backends/rocksdb/settings.h"

namespace persistence::rocksdb::internal {
namespace {

absl::Status PathError(const std::string& path, const std::string& what,
                       const std::error_code& ec) {
  const std::string message = absl::StrCat("RocksDB data path '", path,
                                           "': ", what, ": ", ec.message());
  switch (static_cast<std::errc>(ec.value())) {
    case std::errc::permission_denied:
    case std::errc::operation_not_permitted:
    case std::errc::read_only_file_system:
      return absl::PermissionDeniedError(message);
    case std::errc::no_such_file_or_directory:
      return absl::NotFoundError(message);
    case std::errc::not_a_directory:
    case std::errc::file_exists:
      return absl::FailedPreconditionError(message);
    case std::errc::no_space_on_device:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

absl::StatusOr<std::string> CanonicalDirectory(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return PathError(path, "cannot create the directory", ec);
  if (!fs::is_directory(path, ec)) {
    if (ec) return PathError(path, "cannot inspect the path", ec);
    return absl::FailedPreconditionError(absl::StrCat(
        "RocksDB data path '", path, "' exists and is not a directory"));
  }
  fs::path canonical = fs::canonical(path, ec);
  if (ec) return PathError(path, "cannot resolve the path", ec);
  return canonical.string();
}

bool IsLockConflict(const ::rocksdb::Status& status) {
  if (!status.IsIOError()) return false;
  const std::string text = status.ToString();
  return text.find("lock file") != std::string::npos ||
         text.find("lock hold") != std::string::npos ||
         text.find("LOCK") != std::string::npos;
}

absl::Status CheckLayout(::rocksdb::DB& db, const std::string& path) {
  std::string version;
  ::rocksdb::Status s =
      db.Get(::rocksdb::ReadOptions(), LayoutVersionKey(), &version);
  if (s.IsNotFound()) {
    ::rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocksDb(
        db.Put(sync, LayoutVersionKey(), kLayoutVersion),
        absl::StrCat("cannot initialize the RocksDB database at '", path, "'"));
  }
  if (!s.ok()) {
    return FromRocksDb(
        s, absl::StrCat("cannot read the RocksDB database at '", path, "'"));
  }
  if (version == kUpgradableLayoutVersion) {
    ::rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocksDb(
        db.Put(sync, LayoutVersionKey(), kLayoutVersion),
        absl::StrCat("cannot upgrade the RocksDB database at '", path,
                     "' from key layout version ", kUpgradableLayoutVersion));
  }
  if (version != kLayoutVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the RocksDB database at '", path, "' has key layout version '",
        version, "'; this build reads versions ", kUpgradableLayoutVersion,
        " and ", kLayoutVersion));
  }
  return absl::OkStatus();
}

}  // namespace persistence::rocksdb::internal
