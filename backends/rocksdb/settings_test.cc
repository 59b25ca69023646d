// Copyright 2026 The eventpersist Authors.
#include "backends/rocksdb/settings.h"

#include "backends/rocksdb/test_util.h"
#include "gtest/gtest.h"

namespace persistence::rocksdb {
namespace {

using testing::FullConfig;
using testing::JournalSection;
using testing::SnapshotStoreSection;

// reference.conf holds every default, and the code has none of its own: a
// section that does not inherit reference.conf is an error naming a key.
TEST(Settings, EveryDefaultComesFromReferenceConf) {
  absl::StatusOr<JournalSettings> journal =
      JournalSettings::FromConfig(JournalSection("/x"));
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_TRUE(journal->fsync);
  EXPECT_EQ(journal->replay_threads, 4);
  EXPECT_EQ(journal->database.write_buffer_size, 64 << 20);
  EXPECT_EQ(journal->database.compression, "lz4");

  absl::StatusOr<SnapshotStoreSettings> store =
      SnapshotStoreSettings::FromConfig(SnapshotStoreSection("/x"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(store->database.path, "/x")
      << "the snapshot store follows the journal's path";
  EXPECT_EQ(store->database.Describe(), journal->database.Describe());
  EXPECT_EQ(store->max_load_attempts, 3);
  EXPECT_TRUE(store->fsync);

  absl::StatusOr<Config> bare = Config::ParseString("path = /x", "bare.conf");
  ASSERT_TRUE(bare.ok());
  absl::StatusOr<JournalSettings> no_defaults =
      JournalSettings::FromConfig(*bare);
  ASSERT_FALSE(no_defaults.ok());
  EXPECT_EQ(no_defaults.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(no_defaults.status().message().find("is missing"),
            absl::string_view::npos)
      << no_defaults.status();
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
}  // namespace persistence::rocksdb
