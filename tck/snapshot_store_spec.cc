// Copyright 2026 The eventpersist Authors.
//
// The snapshot-store suite of the compatibility kit (docs/tck.md). Before each
// case, s-1..s-5 are saved at sequence numbers 11..15; what each save
// acknowledges is what later loads must return exactly.
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "persistence/runtime/persistence.h"
#include "tck/tck.h"
#include "tck/tck_support.h"

namespace persistence::tck {
namespace {

#define SKIP_UNLESS(flag)                      \
  if (!Settings().capabilities.flag)           \
  GTEST_SKIP() << "capability flag " #flag     \
                  " is off for this backend; " \
                  "the case does not apply"

class SnapshotStoreSpec : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    system_ = NewSystem("snapshot-tck").release();
    ASSERT_NE(system_, nullptr);
  }
  static void TearDownTestSuite() {
    delete system_;
    system_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(system_, nullptr);
    ASSERT_NO_FATAL_FAILURE(Connect());
    pid_ = UniqueId("s");
    for (int k = 1; k <= 5; ++k) {
      // Distinct timestamps (milliseconds) for the timestamp criteria.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      SnapshotMetadata m;
      m.persistence_id = pid_;
      m.sequence_nr = 10 + k;
      absl::StatusOr<SnapshotMetadata> saved =
          client_->Save(m, Payload::Of(absl::StrCat("s-", k)));
      ASSERT_TRUE(saved.ok()) << saved.status();
      saved_.push_back(*saved);
    }
  }

  void Connect() {
    absl::StatusOr<ActorRef<SnapshotRequest>> store =
        system_->Extension<Persistence>().SnapshotStore();
    ASSERT_TRUE(store.ok()) << store.status();
    client_ = std::make_unique<SnapshotClient>(*store);
  }

  // Restart stops the snapshot store plugin (with the whole actor system)
  // and starts a new instance over the same data.
  void Restart() {
    client_.reset();
    delete system_;
    system_ = NewSystem("snapshot-tck").release();
    ASSERT_NE(system_, nullptr) << "cannot build the actor system again";
    ASSERT_NO_FATAL_FAILURE(Connect());
  }

  const SnapshotMetadata& Md(int k) const { return saved_[k - 1]; }

  void ExpectNothing(const SnapshotSelectionCriteria& c,
                     const std::string& id = "") const {
    LoadResult r = client_->Load(id.empty() ? pid_ : id, c);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->has_value())
        << "found the snapshot at " << (*r)->metadata.sequence_nr;
  }

  void ExpectSnapshot(const SnapshotSelectionCriteria& c, int k,
                      const std::string& text = "") const {
    LoadResult r = client_->Load(pid_, c);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->has_value()) << "expected s-" << k;
    const SelectedSnapshot& s = **r;
    EXPECT_EQ(s.metadata.persistence_id, Md(k).persistence_id);
    EXPECT_EQ(s.metadata.sequence_nr, Md(k).sequence_nr);
    EXPECT_EQ(s.metadata.timestamp, Md(k).timestamp);
    ASSERT_NE(s.snapshot.As<std::string>(), nullptr);
    EXPECT_EQ(*s.snapshot.As<std::string>(),
              text.empty() ? absl::StrCat("s-", k) : text);
  }

  static SnapshotSelectionCriteria Upto(int64_t seq,
                                        int64_t ts = kMaxSequenceNr) {
    SnapshotSelectionCriteria c;
    c.max_sequence_nr = seq;
    c.max_timestamp = ts;
    return c;
  }

  static ActorSystem* system_;
  std::unique_ptr<SnapshotClient> client_;
  std::string pid_;
  std::vector<SnapshotMetadata> saved_;
};

ActorSystem* SnapshotStoreSpec::system_ = nullptr;

TEST_F(SnapshotStoreSpec, S01UnknownId) {
  ExpectNothing(SnapshotSelectionCriteria::Latest(), UniqueId("unknown"));
}

TEST_F(SnapshotStoreSpec, S02TimestampMatchesNothing) {
  ExpectNothing(Upto(kMaxSequenceNr, 100));
}

TEST_F(SnapshotStoreSpec, S03SequenceMatchesNothing) {
  ExpectNothing(Upto(7));
  LoadResult r = client_->Load(pid_, SnapshotSelectionCriteria::Latest(), 7);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->has_value());
}

TEST_F(SnapshotStoreSpec, S04MostRecent) {
  ExpectSnapshot(SnapshotSelectionCriteria::Latest(), 5);
}

TEST_F(SnapshotStoreSpec, S05UpperSequenceBound) {
  ExpectSnapshot(Upto(13), 3);
}

TEST_F(SnapshotStoreSpec, S06UpperSequenceAndTimestampBound) {
  ExpectSnapshot(Upto(13, Md(3).timestamp), 3);
}

TEST_F(SnapshotStoreSpec, S07DeleteOneByMetadata) {
  SnapshotMetadata m;
  m.persistence_id = pid_;
  m.sequence_nr = 13;  // timestamp 0: any
  ASSERT_TRUE(client_->Delete(m).ok());
  ExpectSnapshot(Upto(13), 2);
}

TEST_F(SnapshotStoreSpec, S08DeleteAllMatching) {
  ASSERT_TRUE(client_->Delete(pid_, Upto(13, Md(3).timestamp)).ok());
  ExpectNothing(Upto(13, Md(3).timestamp));
  ExpectSnapshot(Upto(14, Md(4).timestamp), 4);
}

TEST_F(SnapshotStoreSpec, S09DeleteWithTimestampBelowKeepsYounger) {
  ASSERT_TRUE(client_->Delete(pid_, Upto(14, Md(4).timestamp - 1)).ok());
  ExpectSnapshot(Upto(14), 4);
}

TEST_F(SnapshotStoreSpec, S10Overwrite) {
  SnapshotMetadata m;
  m.persistence_id = pid_;
  m.sequence_nr = 15;
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  absl::StatusOr<SnapshotMetadata> saved =
      client_->Save(m, Payload::Of(std::string("s-5-modified")));
  ASSERT_TRUE(saved.ok()) << saved.status();
  saved_[4] = *saved;
  ExpectSnapshot(SnapshotSelectionCriteria::Latest(), 5, "s-5-modified");
}

TEST_F(SnapshotStoreSpec, S11BigSnapshots) {
  for (size_t size : {size_t{10000}, size_t{16} << 20}) {
    const std::string big(size, 'b');
    SnapshotMetadata m;
    m.persistence_id = pid_;
    m.sequence_nr = 100 + static_cast<int64_t>(size % 97);
    ASSERT_TRUE(client_->Save(m, Payload::Of(big)).ok()) << size;
    LoadResult r = client_->Load(pid_, Upto(m.sequence_nr));
    ASSERT_TRUE(r.ok() && r->has_value()) << size;
    EXPECT_EQ((*r)->metadata.sequence_nr, m.sequence_nr);
    EXPECT_EQ(*(*r)->snapshot.As<std::string>(), big) << size;
  }
}

TEST_F(SnapshotStoreSpec, S12DeleteByOlderTimestampDeletesNothing) {
  SnapshotMetadata m = Md(3);
  m.timestamp = Md(3).timestamp - 1;
  ASSERT_TRUE(client_->Delete(m).ok());
  ExpectSnapshot(Upto(13), 3);
}

// Akka's "upper sequence bound": a load bounded by the recovery's
// toSequenceNr, not by the criteria, selects the same.
TEST_F(SnapshotStoreSpec, S13UpperBoundFromToSequenceNr) {
  LoadResult r =
      client_->Load(pid_, SnapshotSelectionCriteria::Latest(), /*to=*/13);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->metadata.sequence_nr, 13);
  EXPECT_EQ(*(*r)->snapshot.As<std::string>(), "s-3");
  r = client_->Load(pid_, Upto(kMaxSequenceNr, Md(3).timestamp), /*to=*/13);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->metadata.sequence_nr, 13);
}

// Akka.NET's SnapshotStoreSaveSnapshotSpec: several snapshots of one id,
// the youngest wins, each older one is still there for bounded loads.
TEST_F(SnapshotStoreSpec, S14SeveralSavesOfOneIdKeepEveryOne) {
  const std::string id = UniqueId("several");
  for (int k = 1; k <= 4; ++k) {
    SnapshotMetadata m;
    m.persistence_id = id;
    m.sequence_nr = 100 * k;
    ASSERT_TRUE(client_->Save(m, Payload::Of(absl::StrCat("v", k))).ok());
  }
  for (int k = 1; k <= 4; ++k) {
    LoadResult r = client_->Load(id, Upto(100 * k));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->has_value()) << "the snapshot at " << 100 * k;
    EXPECT_EQ((*r)->metadata.sequence_nr, 100 * k);
    EXPECT_EQ(*(*r)->snapshot.As<std::string>(), absl::StrCat("v", k));
  }
}

// The snapshot store's max-load-attempts, or nullopt when its section has
// none.
std::optional<int64_t> MaxLoadAttempts() {
  const Config& config = Settings().config;
  absl::StatusOr<std::string> path =
      config.GetString("persistence.snapshot-store.plugin");
  if (!path.ok()) return std::nullopt;
  absl::StatusOr<int64_t> n =
      config.GetInt(absl::StrCat(*path, ".max-load-attempts"));
  if (!n.ok()) return std::nullopt;
  return *n;
}

// A snapshot that cannot be decoded gives way to the next older one.
TEST_F(SnapshotStoreSpec, S15UndecodableSnapshotFallsBackToAnOlderOne) {
  const std::optional<int64_t> attempts = MaxLoadAttempts();
  if (!attempts.has_value() || *attempts < 2) {
    GTEST_SKIP() << "the snapshot store's section sets no max-load-attempts "
                    "of 2 or more";
  }
  SnapshotMetadata m;
  m.persistence_id = pid_;
  m.sequence_nr = 20;
  ASSERT_TRUE(client_->Save(m, Payload::Of(Unloadable{20})).ok());
  ExpectSnapshot(SnapshotSelectionCriteria::Latest(), 5);
}

// ... but only max-load-attempts times: then the load fails.
TEST_F(SnapshotStoreSpec, S16FallbackEndsAfterMaxLoadAttempts) {
  const std::optional<int64_t> attempts = MaxLoadAttempts();
  if (!attempts.has_value() || *attempts > 100) {
    GTEST_SKIP() << "the snapshot store's section sets no max-load-attempts "
                    "up to 100";
  }
  for (int64_t k = 0; k < *attempts; ++k) {
    SnapshotMetadata m;
    m.persistence_id = pid_;
    m.sequence_nr = 20 + k;
    ASSERT_TRUE(client_->Save(m, Payload::Of(Unloadable{20})).ok());
  }
  LoadResult r = client_->Load(pid_, SnapshotSelectionCriteria::Latest());
  EXPECT_FALSE(r.ok()) << "max-load-attempts = " << *attempts
                       << " undecodable snapshots, then the load gives up; "
                          "it found "
                       << (r.ok() && r->has_value()
                               ? absl::StrCat("s at ",
                                              (*r)->metadata.sequence_nr)
                               : std::string("nothing"));
}

TEST_F(SnapshotStoreSpec, RestartSnapshotsAndDeletesSurvive) {
  SKIP_UNLESS(survives_restart);
  ASSERT_TRUE(client_->Delete(Md(3)).ok());
  ASSERT_NO_FATAL_FAILURE(Restart());
  ExpectSnapshot(SnapshotSelectionCriteria::Latest(), 5);
  ExpectSnapshot(Upto(13), 2);
}

TEST_F(SnapshotStoreSpec, OptSerializationOfUserType) {
  SKIP_UNLESS(supports_serialization);
  SnapshotMetadata m;
  m.persistence_id = pid_;
  m.sequence_nr = 20;
  ASSERT_TRUE(client_->Save(m, Payload::Of(TckEvent{"state", 7})).ok());
  LoadResult r = client_->Load(pid_, SnapshotSelectionCriteria::Latest());
  ASSERT_TRUE(r.ok() && r->has_value());
  const TckEvent* back = (*r)->snapshot.As<TckEvent>();
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->text, "state");
  EXPECT_EQ(back->number, 7);
}

TEST_F(SnapshotStoreSpec, OptMetadata) {
  SKIP_UNLESS(supports_metadata);
  SnapshotMetadata m;
  m.persistence_id = pid_;
  m.sequence_nr = 20;
  m.metadata = Payload::Of(std::string("snapshot-meta"));
  ASSERT_TRUE(client_->Save(m, Payload::Of(std::string("s-20"))).ok());
  LoadResult r = client_->Load(pid_, SnapshotSelectionCriteria::Latest());
  ASSERT_TRUE(r.ok() && r->has_value());
  ASSERT_TRUE((*r)->metadata.metadata.has_value());
  EXPECT_EQ(*(*r)->metadata.metadata->As<std::string>(), "snapshot-meta");
}

}  // namespace
}  // namespace persistence::tck
