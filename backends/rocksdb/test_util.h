// Copyright 2026 The eventpersist Authors.
//
// test_util.h: what the RocksDB backend's own tests share: a temporary
// directory that removes itself, the plugin sections for a path, and
// events with string payloads.
//
// Thread-safety: for test threads; nothing here is shared.
//
// Example:
//
//   TempDir dir;
//   RocksDbJournal journal(JournalSection(dir.path() + "/db"));
//   ASSERT_TRUE(journal.Start().ok());
#ifndef BACKENDS_ROCKSDB_TEST_UTIL_H_
#define BACKENDS_ROCKSDB_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "persistence/api/config.h"
#include "persistence/api/persistent_repr.h"
#include "persistence/api/reference_conf.h"

namespace persistence::rocksdb::testing {

// TempDir: a fresh directory under $TEST_TMPDIR (or /tmp), removed with
// everything in it when the TempDir goes away.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern =
        absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                     "/rocksdb-test-XXXXXX");
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) != nullptr) path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// FullConfig: reference.conf under `overrides` (HOCON), with the journal's
// path set to `path`, resolved.
inline absl::StatusOr<Config> FullConfig(const std::string& path,
                                         const std::string& overrides = "") {
  std::string quoted;
  for (char c : path) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return LoadConfigFromString(
      absl::StrCat("persistence.journal.rocksdb.path = \"", quoted, "\"\n",
                   overrides),
      "test");
}

inline Config JournalSection(const std::string& path,
                             const std::string& overrides = "") {
  return FullConfig(path, overrides)
      ->GetConfig("persistence.journal.rocksdb")
      .value();
}

inline Config SnapshotStoreSection(const std::string& path,
                                   const std::string& overrides = "") {
  return FullConfig(path, overrides)
      ->GetConfig("persistence.snapshot-store.rocksdb")
      .value();
}

inline PersistentRepr Event(const std::string& persistence_id,
                            int64_t sequence_nr,
                            const std::string& payload = "") {
  PersistentRepr e;
  e.persistence_id = persistence_id;
  e.sequence_nr = sequence_nr;
  e.payload = Payload::Of(payload.empty()
                              ? absl::StrCat(persistence_id, ":", sequence_nr)
                              : payload);
  e.writer_uuid = "test-writer";
  return e;
}

// Atomic: one atomic write of `persistence_id`, sequence numbers
// from..to.
inline AtomicWrite Atomic(const std::string& persistence_id, int64_t from,
                          int64_t to) {
  std::vector<PersistentRepr> events;
  for (int64_t seq = from; seq <= to; ++seq)
    events.push_back(Event(persistence_id, seq));
  return AtomicWrite::Make(std::move(events)).value();
}

}  // namespace persistence::rocksdb::testing

#endif  // BACKENDS_ROCKSDB_TEST_UTIL_H_
