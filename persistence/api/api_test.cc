// Copyright 2026 The eventpersist Authors.
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "persistence/api/codec.h"
#include "persistence/api/config.h"
#include "persistence/api/future.h"
#include "persistence/api/journal.h"
#include "persistence/api/persistent_repr.h"
#include "persistence/api/serialization.h"
#include "persistence/api/stored.pb.h"

namespace persistence {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

TEST(ConfigTest, AValueBelowItsMinimumNamesKeyOriginAndBound) {
  absl::StatusOr<Config> config = Config::ParseString("n = 0", "my.conf");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<int64_t> n = config->GetIntAtLeast("n", 1);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("'n'"));
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("my.conf"));
  EXPECT_THAT(std::string(n.status().message()), HasSubstr("at least 1"));
  EXPECT_EQ(*config->GetIntAtLeast("n", 0), 0);
}

// One byte-size syntax for every backend's sizes.
TEST(ConfigTest, ByteSizesTakeOneSyntax) {
  absl::StatusOr<Config> c = Config::ParseString(
      "plain = 123, mib = 64 MiB, m = 64m, gib = \"2 GiB\", kb = 3kB, "
      "kib = 1 KiB, b = 7 B, unitless = MiB, parsecs = 12 parsecs, "
      "huge = 99999999999999999999 GiB, small = 512",
      "sizes.conf");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c->GetBytes("plain"), 123);
  EXPECT_EQ(*c->GetBytes("mib"), 64 << 20);
  EXPECT_EQ(*c->GetBytes("m"), 64 << 20);
  EXPECT_EQ(*c->GetBytes("gib"), int64_t{2} << 30);
  EXPECT_EQ(*c->GetBytes("kb"), 3000);
  EXPECT_EQ(*c->GetBytes("kib"), 1024);
  EXPECT_EQ(*c->GetBytes("b"), 7);
  for (const char* bad : {"unitless", "parsecs", "huge"}) {
    absl::StatusOr<int64_t> v = c->GetBytes(bad);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(v.status().message()),
                HasSubstr(absl::StrCat("'", bad, "'")));
    EXPECT_THAT(std::string(v.status().message()), HasSubstr("sizes.conf"));
  }
  absl::StatusOr<int64_t> small = c->GetBytes("small", 1024);
  EXPECT_EQ(small.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(small.status().message()),
              HasSubstr("at least 1024"));
  EXPECT_EQ(c->GetBytes("missing").status().code(),
            absl::StatusCode::kNotFound);
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
  EXPECT_THAT(std::string(AtomicWrite::Make({Event("", 1)}).status().message()),
              HasSubstr("needs a persistence id"));
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

// Tagged<N>: one type per N, for a registry with many bindings.
template <int N>
struct Tagged {
  std::string value;
};

template <int N>
class TaggedSerializer : public Serializer {
 public:
  int32_t Identifier() const override { return 1000 + N; }
  absl::StatusOr<std::string> ToBinary(const Payload& p) const override {
    return p.As<Tagged<N>>()->value;
  }
  absl::StatusOr<Payload> FromBinary(std::string_view bytes,
                                     std::string_view) const override {
    return Payload::Of(Tagged<N>{std::string(bytes)});
  }
};

template <int... N>
void RoundTripEachTagged(Serialization& serialization,
                         std::integer_sequence<int, N...>) {
  const std::vector<absl::Status> registered = {
      serialization.Register<Tagged<N>>(
          std::make_shared<TaggedSerializer<N>>())...};
  for (const absl::Status& s : registered) ASSERT_TRUE(s.ok()) << s;
  // The same class again keeps the first instance; another class on a
  // taken id is refused.
  EXPECT_TRUE(
      serialization.Register<Tagged<0>>(std::make_shared<TaggedSerializer<0>>())
          .ok());
  EXPECT_EQ(
      serialization.Register<Tagged<0>>(std::make_shared<TaggedSerializer<1>>())
          .code(),
      absl::StatusCode::kAlreadyExists);
  auto round_trip = [&](auto tagged) {
    using T = decltype(tagged);
    auto bytes = serialization.Serialize(Payload::Of(tagged));
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto back = serialization.Deserialize(bytes->serializer_id, bytes->manifest,
                                          bytes->bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_NE(back->template As<T>(), nullptr);
    EXPECT_EQ(back->template As<T>()->value, tagged.value);
  };
  (round_trip(Tagged<N>{absl::StrCat("v", N)}), ...);
}

// More bindings than the lock-free tables hold: the rest are found in the
// maps, and strings and protobufs still work.
TEST(SerializationTest, ManySerializersAllRoundTrip) {
  Serialization serialization;
  RoundTripEachTagged(serialization, std::make_integer_sequence<int, 40>());
  auto s = serialization.Serialize(Payload::Of(std::string("hi")));
  ASSERT_TRUE(s.ok());
  google::protobuf::Int64Value v;
  v.set_value(1);
  EXPECT_TRUE(serialization.Serialize(Payload::Of(v)).ok());
  EXPECT_EQ(serialization.Deserialize(999, "", "").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(SerializationTest, KeptPayloadsSerializeToTheSameBytes) {
  // What a process that stores others' events does (the remote server):
  // bytes of a serializer it does not have come back byte for byte.
  Serialization serialization;
  EXPECT_TRUE(
      absl::IsNotFound(serialization.Deserialize(4711, "m", "b").status()));
  serialization.KeepSerialized();
  absl::StatusOr<Payload> kept = serialization.Deserialize(4711, "m", "bytes");
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_NE(kept->As<SerializedPayload>(), nullptr);
  absl::StatusOr<SerializedPayload> again = serialization.Serialize(*kept);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->serializer_id, 4711);
  EXPECT_EQ(again->manifest, "m");
  EXPECT_EQ(again->bytes, "bytes");
}

TEST(CodecTest, RejectedWriteHasNoRecordsAndCorruptionNamesIdAndSeq) {
  PersistentRepr bad = Event("p", 2);
  bad.payload = Payload::Of(NoSerializer{});
  std::vector<AtomicWrite> writes;
  writes.push_back(*AtomicWrite::Make({Event("p", 1)}));
  writes.push_back(*AtomicWrite::Make({bad, Event("p", 3)}));
  writes.push_back(*AtomicWrite::Make({Event("p", 4), Event("p", 5)}));
  EncodedRequest encoded = EncodeRequest(writes);
  ASSERT_EQ(encoded.writes.size(), 3u);
  EXPECT_TRUE(encoded.writes[0].rejection.ok());
  ASSERT_EQ(encoded.RecordsOf(encoded.writes[0]).size(), 1u);
  EXPECT_FALSE(encoded.writes[1].rejection.ok());
  EXPECT_TRUE(encoded.RecordsOf(encoded.writes[1]).empty());
  // The rejected write leaves no bytes: the records of the others sit back
  // to back, each exactly EncodeEvent's.
  ASSERT_EQ(encoded.RecordsOf(encoded.writes[2]).size(), 2u);
  EXPECT_EQ(encoded.buffer, *EncodeEvent(Event("p", 1)) +
                                *EncodeEvent(Event("p", 4)) +
                                *EncodeEvent(Event("p", 5)));
  EXPECT_EQ(encoded.RecordsOf(encoded.writes[2])[1].sequence_nr, 5);
  encoded.Reject(2, absl::InvalidArgumentError("refused by the backend"));
  EXPECT_TRUE(encoded.RecordsOf(encoded.writes[2]).empty());

  auto decoded = DecodeEvent(
      encoded.Bytes(encoded.RecordsOf(encoded.writes[0])[0]), "p", 1);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded->payload.As<std::string>(), "e-1");
  auto corrupt = DecodeEvent("\xff\xff\xff garbage", "p", 9);
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(corrupt.status().message()), HasSubstr("'p'"));
  EXPECT_THAT(std::string(corrupt.status().message()),
              HasSubstr("sequence number 9"));
}

TEST(CodecTest, AppendedRecordsAreEncodeEventBackToBack) {
  std::string buffer = "head";
  ASSERT_TRUE(AppendEncodedEvent(Event("p", 1), &buffer).ok());
  ASSERT_TRUE(AppendEncodedEvent(Event("p", 2), &buffer).ok());
  EXPECT_EQ(buffer,
            "head" + *EncodeEvent(Event("p", 1)) + *EncodeEvent(Event("p", 2)));
  // A failure leaves the buffer as it was.
  PersistentRepr bad = Event("p", 3);
  bad.payload = Payload::Of(NoSerializer{});
  const std::string before = buffer;
  absl::Status s = AppendEncodedEvent(bad, &buffer);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("sequence number 3"));
  EXPECT_EQ(buffer, before);
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

// DecodeEvent reads the wire format by hand; it must read what the
// generated code reads (unknown fields skipped, the last of a repeated
// scalar, repeated submessages merged) and reject what it rejects.
TEST(CodecTest, HandWrittenDecodingReadsWhatTheGeneratedCodeReads) {
  stored::StoredEvent first;
  first.set_sequence_nr(5);
  first.mutable_payload()->set_serializer_id(-3);  // a 10-byte varint
  first.mutable_payload()->set_bytes("old");
  first.set_writer_uuid("w-1");
  first.set_timestamp(11);
  stored::StoredEvent second;
  second.set_sequence_nr(7);
  second.mutable_payload()->set_serializer_id(kStringSerializerId);
  second.set_writer_uuid("w-2");
  second.mutable_metadata()->set_serializer_id(kStringSerializerId);
  // Unknown fields 9 (varint), 10 (fixed64), 11 (bytes), 12 (fixed32).
  const std::string unknown = std::string("\x48\x96\x01", 3) +
                              std::string("\x51", 1) + std::string(8, '\x01') +
                              std::string("\x5a\x02hi", 4) +
                              std::string("\x65", 1) + std::string(4, '\x02');
  // Concatenated messages merge: payload.bytes stays "old", the rest is
  // second's.
  const std::string record =
      first.SerializeAsString() + unknown + second.SerializeAsString();
  stored::StoredEvent generated;
  ASSERT_TRUE(generated.ParseFromString(record));
  ASSERT_EQ(generated.payload().bytes(), "old");

  auto decoded = DecodeEvent(record, "p", 7);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded->payload.As<std::string>(), generated.payload().bytes());
  EXPECT_EQ(decoded->writer_uuid, generated.writer_uuid());
  EXPECT_EQ(decoded->timestamp, generated.timestamp());
  ASSERT_TRUE(decoded->metadata.has_value());
  EXPECT_EQ(*decoded->metadata->As<std::string>(), "");

  // Every truncation that the generated code rejects is rejected too.
  for (size_t n = 0; n < record.size(); ++n) {
    const std::string prefix = record.substr(0, n);
    auto d = DecodeEvent(prefix, "p", 7);
    if (!stored::StoredEvent().ParseFromString(prefix)) {
      ASSERT_FALSE(d.ok()) << "prefix of " << n << " bytes";
      EXPECT_THAT(std::string(d.status().message()),
                  HasSubstr("does not parse"))
          << n;
    } else if (!d.ok()) {
      EXPECT_THAT(std::string(d.status().message()),
                  Not(HasSubstr("does not parse")))
          << n;
    }
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
PERSISTENCE_REGISTER(JournalRegistry, "test.ShapeA", Construct<ShapeA>);
PERSISTENCE_REGISTER(JournalRegistry, "test.ShapeB", Construct<ShapeB>);
PERSISTENCE_REGISTER(JournalRegistry, "test.ShapeC", Construct<ShapeC>);
PERSISTENCE_REGISTER(JournalRegistry, "test.Twice", Construct<ShapeC>);
PERSISTENCE_REGISTER(JournalRegistry, "test.Twice", Construct<ShapeB>);

TEST(RegistryTest, ThreeConstructorShapes) {
  auto& registry = JournalRegistry::Global();
  auto a = Create(registry, "test.ShapeA", Config(), "journal-a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(static_cast<ShapeA*>(a->get())->path_, "journal-a");
  auto b = Create(registry, "test.ShapeB", Config(), "x");
  EXPECT_EQ(static_cast<ShapeA*>(b->get())->path_, "b");
  auto c = Create(registry, "test.ShapeC", Config(), "x");
  EXPECT_EQ(static_cast<ShapeA*>(c->get())->path_, "c");
}

TEST(RegistryTest, UnknownAndDuplicateNamesAreErrors) {
  auto& registry = JournalRegistry::Global();
  auto unknown = Create(registry, "nope", Config(), "my-journal",
                        "config key 'my-journal.class'");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("unknown journal class 'nope'"));
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("my-journal.class"));
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("test.ShapeA"));
  EXPECT_EQ(Create(registry, "test.Twice", Config(), "x").status().code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace persistence
