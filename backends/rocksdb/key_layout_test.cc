// Copyright 2026 The eventpersist Authors.
#include "backends/rocksdb/key_layout.h"

#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace persistence::rocksdb {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// InRange: is `key` inside the scan range of all events of `id`?
bool InRange(const std::string& key, const std::string& id) {
  return EventKey(id, 0) <= key && key < EventKeyEnd(id, kMax);
}

TEST(KeyLayout, NoIdsRangeHoldsAnotherIdsKeys) {
  const std::vector<std::string> ids = {"a",
                                        "a:b",
                                        "ab",
                                        "a\x01",
                                        std::string("a\0b", 3),
                                        std::string(1, '\0'),
                                        "",
                                        "b",
                                        "\xff\xff",
                                        "a\xff",
                                        std::string(300, 'x'),
                                        std::string(301, 'x')};
  for (const std::string& id : ids) {
    for (const std::string& other : ids) {
      if (id == other) continue;
      for (int64_t seq :
           {int64_t{0}, int64_t{1}, int64_t{255}, int64_t{256}, kMax}) {
        EXPECT_FALSE(InRange(EventKey(other, seq), id))
            << "event " << seq << " of '" << other
            << "' falls in the range of '" << id << "'";
        EXPECT_NE(HighestKey(other), HighestKey(id));
      }
    }
  }
}

TEST(KeyLayout, SequenceNumbersSortNumerically) {
  std::vector<int64_t> seqs = {
      0, 1, 2, 255, 256, 65535, 65536, int64_t{1} << 40, kMax - 1, kMax};
  for (size_t i = 1; i < seqs.size(); ++i) {
    EXPECT_LT(EventKey("id", seqs[i - 1]), EventKey("id", seqs[i]));
    EXPECT_LT(SnapshotKey("id", seqs[i - 1]), SnapshotKey("id", seqs[i]));
  }
  EXPECT_LT(EventKey("id", kMax), EventKeyEnd("id", kMax));
  EXPECT_LT(EventKey("id", 7), EventKeyEnd("id", 7));
  EXPECT_LT(EventKeyEnd("id", 7), EventKey("id", 8));
}

TEST(KeyLayout, KindsDoNotMix) {
  const std::string id = "p";
  EXPECT_NE(EventKey(id, 1).substr(0, 1), SnapshotKey(id, 1).substr(0, 1));
  EXPECT_NE(IdPrefix(kEventTag, id), IdPrefix(kSnapshotTag, id));
  EXPECT_NE(HighestKey(id).substr(0, 1), EventKey(id, 1).substr(0, 1));
}

TEST(KeyLayout, SequenceNrOfReadsTheSuffix) {
  const std::string id = "account-17";
  const size_t prefix = IdPrefix(kEventTag, id).size();
  for (int64_t seq : {int64_t{1}, int64_t{1234567}, kMax}) {
    std::optional<int64_t> back = SequenceNrOf(EventKey(id, seq), prefix);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, seq);
  }
  EXPECT_FALSE(SequenceNrOf(HighestKey(id), prefix).has_value());
  EXPECT_FALSE(SequenceNrOf(EventKeyEnd(id, 3), prefix).has_value());
}

TEST(KeyLayout, Uint64RoundTrips) {
  for (uint64_t v : {uint64_t{0}, uint64_t{5}, uint64_t{1} << 63}) {
    EXPECT_EQ(DecodeUint64(EncodeUint64(v)), v);
  }
  EXPECT_FALSE(DecodeUint64("short").has_value());
}

TEST(IdPrefixExtractor, PrefixIsTheIdPart) {
  IdPrefixExtractor extractor;
  const std::string id("a\0b", 3);
  for (const std::string& key : {EventKey(id, 9), EventKeyEnd(id, 9),
                                 HighestKey(id), SnapshotKey(id, 4)}) {
    ASSERT_TRUE(extractor.InDomain(key));
    EXPECT_EQ(extractor.Transform(key).ToString(),
              key.substr(0, 1 + 4 + id.size()));
  }
  EXPECT_EQ(extractor.Transform(EventKey(id, 1)),
            extractor.Transform(EventKeyEnd(id, kMax)));
  EXPECT_FALSE(extractor.InDomain(LayoutVersionKey()));
  EXPECT_FALSE(
      extractor.InDomain(std::string("e\0\0\0\x09"
                                     "abc",
                                     8)));  // too short
  EXPECT_FALSE(extractor.InDomain("e"));
}

TEST(KeyLayout, EventKeysBuiltInPlaceEqualEventKey) {
  std::string key = "left over from before";
  for (const std::string& id :
       {std::string("a"), std::string("x\0y", 3), std::string(300, 'z')}) {
    SetEventKeyPrefix(&key, id);
    for (int64_t seq : {int64_t{1}, int64_t{256}, kMax, int64_t{7}}) {
      SetEventKeySequenceNr(&key, seq);
      EXPECT_EQ(key, EventKey(id, seq));
    }
  }
}

TEST(EventInsertHintExtractor, EventKeysWithASequenceNumberAndHighestKeys) {
  EventInsertHintExtractor hint;
  const std::string id("a\0b", 3);
  const std::string prefix = IdPrefix(kEventTag, id);
  ASSERT_TRUE(hint.InDomain(EventKey(id, 7)));
  EXPECT_EQ(hint.Transform(EventKey(id, 7)).ToString(), prefix);
  EXPECT_EQ(hint.Transform(EventKey(id, 1)),
            hint.Transform(EventKey(id, kMax)));
  // A range delete starts at sequence number 0: never in the domain
  // (RocksDB 7.8 shares the hints with its range-tombstone table).
  EXPECT_FALSE(hint.InDomain(EventKey(id, 0)));
  ASSERT_TRUE(hint.InDomain(HighestKey(id)));
  EXPECT_EQ(hint.Transform(HighestKey(id)).ToString(),
            IdPrefix(kHighestTag, id));
  EXPECT_FALSE(hint.InDomain(SnapshotKey(id, 4)));
  EXPECT_FALSE(hint.InDomain(LayoutVersionKey()));
}

}  // namespace
}  // namespace persistence::rocksdb
