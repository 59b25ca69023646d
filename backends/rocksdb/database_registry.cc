// Copyright 2026 The eventpersist Authors.
//
// The process-wide registry of open databases, and the life of a Database:
// open (or share), start its threads, shut down, close (database.h).
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/database.h"
#include "backends/rocksdb/directory.h"

namespace persistence::rocksdb {

using internal::CanonicalDirectory;
using internal::CheckLayout;
using internal::IsLockConflict;

// DatabaseRegistry: the process's open databases by canonical path, with
// the count of their users. An entry stays (marked closing) until its
// database is closed, so an Open of the same path waits for the LOCK.
class DatabaseRegistry {
 public:
  static DatabaseRegistry& Global() {
    static auto* registry = new DatabaseRegistry();
    return *registry;
  }

  absl::StatusOr<std::shared_ptr<Database>> Open(
      const DatabaseSettings& settings) {
    absl::StatusOr<std::string> path = CanonicalDirectory(settings.path);
    if (!path.ok()) return path.status();
    MutexLock lock(mu_);
    lock.Wait(closed_, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      auto it = entries_.find(*path);
      return it == entries_.end() || !it->second.closing;
    });
    auto it = entries_.find(*path);
    if (it != entries_.end()) {
      const std::string wanted = settings.Describe();
      const std::string opened = it->second.database->settings_.Describe();
      if (wanted != opened) {
        return absl::FailedPreconditionError(
            absl::StrCat("the RocksDB database at '", *path,
                         "' is already open in this process with {", opened,
                         "}; a plugin sharing it asks for {", wanted,
                         "}: give both plugins the same database settings"));
      }
      ++it->second.users;
      return Lease(*path, it->second.database);
    }
    ::rocksdb::DB* raw = nullptr;
    ::rocksdb::Status s =
        ::rocksdb::DB::Open(MakeOptions(settings), *path, &raw);
    if (!s.ok()) {
      if (IsLockConflict(s)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the RocksDB database at '", *path,
            "' is in use by another process (one process per database; "
            "stop the other one or give this one another path): ",
            s.ToString()));
      }
      return FromRocksDb(
          s, absl::StrCat("cannot open the RocksDB database at '", *path, "'"));
    }
    std::unique_ptr<::rocksdb::DB> db(raw);
    absl::Status layout = CheckLayout(*db, *path);
    if (!layout.ok()) return layout;
    Entry& entry = entries_[*path];
    entry.database = new Database(*path, settings, std::move(db));
    entry.users = 1;
    return Lease(*path, entry.database);
  }

  // Closed: the database at `path` is closed; the path may be opened again.
  void Closed(const std::string& path) {
    {
      MutexLock lock(mu_);
      entries_.erase(path);
    }
    closed_.notify_all();
  }

  int OpenCount() {
    MutexLock lock(mu_);
    return static_cast<int>(entries_.size());
  }

 private:
  struct Entry {
    Database* database = nullptr;  // deleted by Database::Shutdown
    int users = 0;
    bool closing = false;
  };

  // Lease hands out a shared_ptr whose release counts down the users.
  std::shared_ptr<Database> Lease(const std::string& path, Database* database) {
    return std::shared_ptr<Database>(
        database, [this, path](Database*) { Release(path); });
  }

  void Release(const std::string& path) {
    Database* last = nullptr;
    {
      MutexLock lock(mu_);
      auto it = entries_.find(path);
      if (it == entries_.end() || --it->second.users > 0) return;
      it->second.closing = true;
      last = it->second.database;
    }
    Database::Shutdown(last);
  }

  Mutex mu_;
  std::condition_variable closed_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::shared_ptr<Database>> Database::Open(
    const DatabaseSettings& settings) {
  return DatabaseRegistry::Global().Open(settings);
}

int Database::OpenDatabasesForTesting() {
  return DatabaseRegistry::Global().OpenCount();
}

Database::Database(std::string path, DatabaseSettings settings,
                   std::unique_ptr<::rocksdb::DB> db)
    : path_(std::move(path)),
      settings_(std::move(settings)),
      db_(std::move(db)) {
  writer_ = std::thread([this] { WriterLoop(); });
  completer_ = std::thread([this] { CompleterLoop(); });
}

void Database::Shutdown(Database* database) {
  // The last plugin lets go on a thread of its host (the runtime destroys
  // plugins on the thread that terminates the actor system), never from a
  // Future's callback on the writer or the completer: neither can join
  // itself.
  const std::thread::id self = std::this_thread::get_id();
  if (self == database->writer_.get_id() ||
      self == database->completer_.get_id()) {
    std::cerr << "FATAL: the RocksDB database at '" << database->path_
              << "' was closed from its own writer or completer thread: a "
                 "plugin must not be destroyed from one of its Futures' "
                 "callbacks\n";
    std::abort();
  }
  {
    MutexLock lock(database->mu_);
    database->stopping_ = true;
  }
  database->work_.notify_all();
  database->writer_.join();  // the writer writes what is queued first
  database->StopCompleter();
  database->completer_.join();
  CloseAndDelete(database);
}

void Database::StopCompleter() {
  {
    MutexLock lock(completions_mu_);
    writer_done_ = true;
  }
  completions_ready_.notify_all();
}

void Database::CloseAndDelete(Database* database) {
  // With fsync off, acknowledged writes may sit in the OS page cache; a
  // clean close makes them durable.
  database->db_->SyncWAL().PermitUncheckedError();
  database->db_->Close().PermitUncheckedError();
  const std::string path = database->path_;
  delete database;
  DatabaseRegistry::Global().Closed(path);
}

}  // namespace persistence::rocksdb
