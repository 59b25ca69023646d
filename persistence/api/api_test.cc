// Copyright 2026 The eventpersist Authors.
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "persistence/api/codec.h"
#include "persistence/api/config.h"
#include "persistence/api/future.h"
#include "persistence/api/persistent_repr.h"
#include "persistence/api/plugin_registry.h"
#include "persistence/api/serialization.h"
#include "persistence/api/stored.pb.h"

namespace persistence {
namespace {

using ::testing::HasSubstr;

TEST(FutureTest, CallbackRunsOnceWhenSetFromAnotherThread) {
  Promise<int> promise;
  Future<int> future = promise.GetFuture();
  int seen = 0;
  future.OnComplete([&](const int& v) { seen += v; });
  std::thread t([promise] { promise.Set(7); });
  EXPECT_EQ(future.Get(), 7);
  t.join();
  EXPECT_EQ(seen, 7);
  EXPECT_FALSE(promise.TrySet(8));
  EXPECT_EQ(future.Get(), 7);
}

TEST(FutureTest, CallbackOnReadyFutureRunsAtOnce) {
  bool ran = false;
  MakeReadyFuture(1).OnComplete([&](const int&) { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(ConfigTest, ErrorsNameTheFullKeyAndOrigin) {
  absl::StatusOr<Config> config =
      Config::ParseString("a { n = \"x\", t = 250ms }", "my.conf");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<Config> a = config->GetConfig("a");
  ASSERT_TRUE(a.ok());
  absl::StatusOr<int64_t> n = a->GetInt("n");
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("'a.n'"));
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("my.conf"));
  EXPECT_EQ(a->GetString("missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(a->GetString("missing").status().message()),
              HasSubstr("'a.missing'"));
  EXPECT_EQ(*a->GetDuration("t"), std::chrono::milliseconds(250));
}

TEST(ConfigTest, FallbackAndSubstitution) {
  auto user = Config::ParseString("x = 1, y = ${z}", "user");
  auto defaults = Config::ParseString("x = 2, z = 3, w = 4", "defaults");
  auto merged = user->WithFallback(*defaults).Resolve();
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(*merged->GetInt("x"), 1);
  EXPECT_EQ(*merged->GetInt("y"), 3);
  EXPECT_EQ(*merged->GetInt("w"), 4);
}

TEST(ConfigTest, UnparsableTextNamesTheOrigin) {
  auto bad = Config::ParseString("a = {", "broken.conf");
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("broken.conf"));
}

PersistentRepr Event(const std::string& id, int64_t seq) {
  PersistentRepr e;
  e.persistence_id = id;
  e.sequence_nr = seq;
  e.payload = Payload::Of(std::string("e-") + std::to_string(seq));
  return e;
}

TEST(AtomicWriteTest, ChecksInvariants) {
  EXPECT_TRUE(AtomicWrite::Make({Event("a", 1), Event("a", 2)}).ok());
  EXPECT_EQ(AtomicWrite::Make({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(
          AtomicWrite::Make({Event("a", 1), Event("b", 2)}).status().message()),
      HasSubstr("one persistence id"));
  EXPECT_THAT(
      std::string(
          AtomicWrite::Make({Event("a", 1), Event("a", 3)}).status().message()),
      HasSubstr("contiguous"));
}

struct NoSerializer {};

TEST(SerializationTest, StringsAndProtobufsWorkOutOfTheBox) {
  Serialization serialization;
  auto s = serialization.Serialize(Payload::Of(std::string("hi")));
  ASSERT_TRUE(s.ok());
  auto back =
      serialization.Deserialize(s->serializer_id, s->manifest, s->bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back->As<std::string>(), "hi");

  google::protobuf::Int64Value v;
  v.set_value(42);
  auto p = serialization.Serialize(Payload::Of(v));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->manifest, "google.protobuf.Int64Value");
  auto pb = serialization.Deserialize(p->serializer_id, p->manifest, p->bytes);
  ASSERT_TRUE(pb.ok()) << pb.status();
  ASSERT_NE(pb->As<google::protobuf::Int64Value>(), nullptr);
  EXPECT_EQ(pb->As<google::protobuf::Int64Value>()->value(), 42);
}

TEST(SerializationTest, UnknownTypeIsInvalidArgument) {
  Serialization serialization;
  auto s = serialization.Serialize(Payload::Of(NoSerializer{}));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("no serializer"));
}

TEST(CodecTest, RejectedWriteHasNoRecordsAndCorruptionNamesIdAndSeq) {
  PersistentRepr bad = Event("p", 2);
  bad.payload = Payload::Of(NoSerializer{});
  std::vector<AtomicWrite> writes;
  writes.push_back(*AtomicWrite::Make({Event("p", 1)}));
  writes.push_back(*AtomicWrite::Make({bad, Event("p", 3)}));
  auto encoded = EncodeAtomicWrites(writes);
  ASSERT_EQ(encoded.size(), 2u);
  EXPECT_TRUE(encoded[0].status.ok());
  EXPECT_EQ(encoded[0].records.size(), 1u);
  EXPECT_FALSE(encoded[1].status.ok());
  EXPECT_TRUE(encoded[1].records.empty());

  auto decoded = DecodeEvent(encoded[0].records[0], "p", 1);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded->payload.As<std::string>(), "e-1");
  auto corrupt = DecodeEvent("\xff\xff\xff garbage", "p", 9);
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(corrupt.status().message()), HasSubstr("'p'"));
  EXPECT_THAT(std::string(corrupt.status().message()),
              HasSubstr("sequence number 9"));
}

// EncodeEvent writes the wire format by hand; it must be exactly what the
// generated code of stored.proto writes, and decode back to the event.
TEST(CodecTest, HandWrittenEncodingMatchesTheGeneratedCode) {
  Serialization serialization;
  google::protobuf::Int64Value meta;
  meta.set_value(-7);
  for (int variant = 0; variant < 4; ++variant) {
    PersistentRepr e;
    e.persistence_id = "p";
    e.sequence_nr = variant == 0 ? 1 : (int64_t{1} << 53) + variant;
    e.payload = Payload::Of(std::string(variant == 1 ? 0 : 300, 'x'));
    e.manifest = variant == 2 ? "m-2" : "";
    e.timestamp = variant == 3 ? 0 : 1764300000000 + variant;
    e.writer_uuid = variant == 3 ? "" : "writer-uuid-0123456789";
    if (variant >= 2) e.metadata = Payload::Of(meta);
    if (variant == 3) e.metadata = Payload::Of(std::string());

    stored::StoredEvent expected;
    expected.set_sequence_nr(e.sequence_nr);
    auto payload = serialization.Serialize(e.payload);
    ASSERT_TRUE(payload.ok());
    expected.mutable_payload()->set_serializer_id(payload->serializer_id);
    expected.mutable_payload()->set_manifest(payload->manifest);
    expected.mutable_payload()->set_bytes(payload->bytes);
    expected.set_manifest(e.manifest);
    expected.set_timestamp(e.timestamp);
    expected.set_writer_uuid(e.writer_uuid);
    if (e.metadata.has_value()) {
      auto m = serialization.Serialize(*e.metadata);
      ASSERT_TRUE(m.ok());
      expected.mutable_metadata()->set_serializer_id(m->serializer_id);
      expected.mutable_metadata()->set_manifest(m->manifest);
      expected.mutable_metadata()->set_bytes(m->bytes);
    }

    absl::StatusOr<std::string> encoded = EncodeEvent(e);
    ASSERT_TRUE(encoded.ok()) << encoded.status();
    EXPECT_EQ(*encoded, expected.SerializeAsString()) << "variant " << variant;

    auto decoded = DecodeEvent(*encoded, "p", e.sequence_nr);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded->payload.As<std::string>(),
              *e.payload.As<std::string>());
    EXPECT_EQ(decoded->manifest, e.manifest);
    EXPECT_EQ(decoded->timestamp, e.timestamp);
    EXPECT_EQ(decoded->writer_uuid, e.writer_uuid);
    EXPECT_EQ(decoded->metadata.has_value(), e.metadata.has_value());
  }
}

// The three constructor shapes of the plugin contract.
class ShapeA : public SyncWriteJournal {
 public:
  ShapeA(const Config&, const std::string& path) : path_(path) {}
  std::string path_;
  absl::StatusOr<WriteResults> WriteMessages(
      const std::vector<AtomicWrite>&) override {
    return WriteResults{};
  }
  absl::Status DeleteMessagesTo(const std::string&, int64_t) override {
    return absl::OkStatus();
  }
  absl::Status ReplayMessages(const std::string&, int64_t, int64_t, int64_t,
                              const ReplayCallback&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> ReadHighestSequenceNr(const std::string&,
                                                int64_t) override {
    return 1;
  }
};
class ShapeB : public ShapeA {
 public:
  explicit ShapeB(const Config& c) : ShapeA(c, "b") {}
};
class ShapeC : public ShapeA {
 public:
  ShapeC() : ShapeA(Config(), "c") {}
};
PERSISTENCE_REGISTER_JOURNAL(ShapeA, "test.ShapeA");
PERSISTENCE_REGISTER_JOURNAL(ShapeB, "test.ShapeB");
PERSISTENCE_REGISTER_JOURNAL(ShapeC, "test.ShapeC");
PERSISTENCE_REGISTER_JOURNAL(ShapeC, "test.Twice");
PERSISTENCE_REGISTER_JOURNAL(ShapeB, "test.Twice");

TEST(PluginRegistryTest, ThreeConstructorShapes) {
  auto& registry = JournalRegistry::Global();
  auto a = registry.Create("test.ShapeA", Config(), "journal-a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(static_cast<ShapeA*>(a->get())->path_, "journal-a");
  auto b = registry.Create("test.ShapeB", Config(), "x");
  EXPECT_EQ(static_cast<ShapeA*>(b->get())->path_, "b");
  auto c = registry.Create("test.ShapeC", Config(), "x");
  EXPECT_EQ(static_cast<ShapeA*>(c->get())->path_, "c");
}

TEST(PluginRegistryTest, UnknownAndDuplicateClassesAreErrors) {
  auto& registry = JournalRegistry::Global();
  auto unknown = registry.Create("nope", Config(), "my-journal");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("my-journal.class"));
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("test.ShapeA"));
  EXPECT_EQ(registry.Create("test.Twice", Config(), "x").status().code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace persistence
