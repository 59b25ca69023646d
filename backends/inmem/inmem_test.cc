// Copyright 2026 The eventpersist Authors.
//
// The in-memory backend's own checks (the kit covers its behaviour).
#include <string>

#include "backends/inmem/inmem_journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/api/reference_conf.h"

namespace persistence::inmem {
namespace {

using ::testing::HasSubstr;

Config SnapshotStoreSection(const std::string& application) {
  return LoadConfigFromString(application, "application.conf")
      ->GetConfig("persistence.snapshot-store.inmem")
      .value();
}

TEST(InMemorySnapshotStore, ABadMaxLoadAttemptsFailsStartNamingKeyAndFile) {
  InMemorySnapshotStore store(SnapshotStoreSection(
      "persistence.snapshot-store.inmem.max-load-attempts = 0"));
  absl::Status started = store.Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(started.message()),
              HasSubstr("persistence.snapshot-store.inmem.max-load-attempts"));
  EXPECT_THAT(std::string(started.message()), HasSubstr("application.conf"));
  EXPECT_THAT(std::string(started.message()), HasSubstr("at least 1"));
}

TEST(InMemorySnapshotStore, TheDefaultComesFromReferenceConf) {
  InMemorySnapshotStore store(SnapshotStoreSection(""));
  EXPECT_TRUE(store.Start().ok());
}

}  // namespace
}  // namespace persistence::inmem
