// Copyright 2026 The eventpersist Authors.
#include "backends/rocksdb/settings.h"

#include "backends/rocksdb/test_util.h"
#include "gtest/gtest.h"

namespace persistence::rocksdb_backend {
namespace {

using testing::FullConfig;
using testing::JournalSection;
using testing::SnapshotStoreSection;

TEST(ParseByteSize, Units) {
  EXPECT_EQ(ParseByteSize("123").value(), 123);
  EXPECT_EQ(ParseByteSize("64 MiB").value(), 64 << 20);
  EXPECT_EQ(ParseByteSize("64m").value(), 64 << 20);
  EXPECT_EQ(ParseByteSize("2 GiB").value(), int64_t{2} << 30);
  EXPECT_EQ(ParseByteSize("3kB").value(), 3000);
  EXPECT_EQ(ParseByteSize("1 KiB").value(), 1024);
  EXPECT_EQ(ParseByteSize("7 B").value(), 7);
  EXPECT_FALSE(ParseByteSize("MiB").ok());
  EXPECT_FALSE(ParseByteSize("12 parsecs").ok());
  EXPECT_FALSE(ParseByteSize("99999999999999999999 GiB").ok());
}

// reference.conf holds every default; the code's fallbacks (for a section
// that does not inherit reference.conf) must say the same.
TEST(Settings, ReferenceConfMatchesTheCodeDefaults) {
  absl::StatusOr<JournalSettings> journal =
      JournalSettings::FromConfig(JournalSection("/x"));
  ASSERT_TRUE(journal.ok()) << journal.status();
  JournalSettings defaults;
  EXPECT_EQ(journal->fsync, defaults.fsync);
  EXPECT_EQ(journal->replay_threads, defaults.replay_threads);
  defaults.database.path = "/x";
  EXPECT_EQ(journal->database.Describe(), defaults.database.Describe());

  absl::StatusOr<SnapshotStoreSettings> store =
      SnapshotStoreSettings::FromConfig(SnapshotStoreSection("/x"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->database.path, "/x")
      << "the snapshot store follows the journal's path";
  EXPECT_EQ(store->database.Describe(), journal->database.Describe());
  EXPECT_EQ(store->max_load_attempts,
            SnapshotStoreSettings().max_load_attempts);
  EXPECT_TRUE(store->fsync);
}

TEST(Settings, SnapshotStoreFollowsJournalOverrides) {
  absl::StatusOr<SnapshotStoreSettings> store =
      SnapshotStoreSettings::FromConfig(SnapshotStoreSection(
          "/y",
          "persistence.journal.rocksdb { fsync = off\n"
          "write-buffer-size = 8 MiB\ncompression = none }"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->database.path, "/y");
  EXPECT_FALSE(store->fsync);
  EXPECT_EQ(store->database.write_buffer_size, 8 << 20);
  EXPECT_EQ(store->database.compression, "none");
}

TEST(Settings, ErrorsNameTheKey) {
  absl::StatusOr<JournalSettings> bad = JournalSettings::FromConfig(
      JournalSection("/x", "persistence.journal.rocksdb.compression = brotli"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(
      bad.status().message().find("persistence.journal.rocksdb.compression"),
      absl::string_view::npos)
      << bad.status();

  bad = JournalSettings::FromConfig(JournalSection(
      "/x", "persistence.journal.rocksdb.write-buffer-size = lots"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "persistence.journal.rocksdb.write-buffer-size"),
            absl::string_view::npos)
      << bad.status();

  bad = JournalSettings::FromConfig(
      JournalSection("/x", "persistence.journal.rocksdb.replay-threads = 0"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("replay-threads"),
            absl::string_view::npos);

  Config empty_path = JournalSection("", "");
  bad = JournalSettings::FromConfig(empty_path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("persistence.journal.rocksdb.path"),
            absl::string_view::npos)
      << bad.status();
}

}  // namespace
}  // namespace persistence::rocksdb_backend
