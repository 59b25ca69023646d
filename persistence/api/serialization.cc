// Copyright 2026 The eventpersist Authors.
#include "persistence/api/serialization.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace persistence {
namespace {

class StringSerializer : public Serializer {
 public:
  int32_t Identifier() const override { return kStringSerializerId; }
  absl::StatusOr<std::string> ToBinary(const Payload& payload) const override {
    const std::string* s = payload.As<std::string>();
    if (s == nullptr) return absl::InvalidArgumentError("not a std::string");
    return *s;
  }
  absl::StatusOr<Payload> FromBinary(std::string_view bytes,
                                     std::string_view) const override {
    return Payload::Of(std::string(bytes));
  }
};

// Any generated protobuf message, found on replay by its full name in the
// generated descriptor pool (the message's code must be linked in).
class ProtobufSerializer : public Serializer {
 public:
  int32_t Identifier() const override { return kProtobufSerializerId; }
  std::string Manifest(const Payload& payload) const override {
    const google::protobuf::Message* m = payload.AsMessage();
    return m == nullptr ? "" : m->GetDescriptor()->full_name();
  }
  absl::StatusOr<std::string> ToBinary(const Payload& payload) const override {
    const google::protobuf::Message* m = payload.AsMessage();
    if (m == nullptr) return absl::InvalidArgumentError("not a protobuf");
    std::string out;
    if (!m->SerializeToString(&out)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "protobuf ", m->GetDescriptor()->full_name(), " does not serialize"));
    }
    return out;
  }
  absl::StatusOr<Payload> FromBinary(std::string_view bytes,
                                     std::string_view manifest) const override {
    const std::string name(manifest);
    const google::protobuf::Descriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()
            ->FindMessageTypeByName(name);
    if (descriptor == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("protobuf type '", name, "' is not linked in"));
    }
    const google::protobuf::Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(
            descriptor);
    std::shared_ptr<google::protobuf::Message> message(prototype->New());
    if (!message->ParseFromArray(bytes.data(),
                                 static_cast<int>(bytes.size()))) {
      return absl::DataLossError(
          absl::StrCat("bytes do not parse as protobuf '", name, "'"));
    }
    // The concrete type is only known at run time; the payload's type index
    // is that of the generated class, found through its prototype.
    return PayloadOfMessage(std::move(message));
  }

 private:
  static Payload PayloadOfMessage(
      std::shared_ptr<google::protobuf::Message> message) {
    return Payload::FromShared<google::protobuf::Message>(std::move(message));
  }
};

}  // namespace

Serialization::Serialization()
    : protobuf_(std::make_shared<ProtobufSerializer>()) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  Add(std::type_index(typeid(std::string)),
      std::make_shared<StringSerializer>());
  // Protobuf messages are matched by AsMessage (FindFor), not by type.
  AddId(protobuf_);
}

void Serialization::AddId(std::shared_ptr<const Serializer> serializer) {
  const int32_t id = serializer->Identifier();
  if (by_id_.count(id) > 0) return;
  const size_t n = fast_id_count_.load(std::memory_order_relaxed);
  if (n < kFastEntries) {
    fast_ids_[n] = {id, serializer.get()};
    fast_id_count_.store(n + 1, std::memory_order_release);
  }
  by_id_[id] = std::move(serializer);
}

void Serialization::Add(std::type_index type,
                        std::shared_ptr<const Serializer> serializer) {
  const int32_t id = serializer->Identifier();
  AddId(std::move(serializer));
  if (by_type_.count(type) == 0) {
    // The id's first instance serves the type too (never replaced).
    const Serializer* kept = by_id_[id].get();
    by_type_[type] = by_id_[id];
    const size_t n = fast_type_count_.load(std::memory_order_relaxed);
    if (n < kFastEntries) {
      fast_types_[n] = {type, kept};
      fast_type_count_.store(n + 1, std::memory_order_release);
    }
  }
}

Serialization& Serialization::Global() {
  static Serialization* global = new Serialization();
  return *global;
}

namespace {

bool SameClass(const Serializer& a, const Serializer& b) {
  return typeid(a) == typeid(b);
}

}  // namespace

absl::Status Serialization::Register(
    std::type_index type, std::shared_ptr<const Serializer> serializer) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  const int32_t id = serializer->Identifier();
  const Serializer& given = *serializer;
  auto by_id = by_id_.find(id);
  if (by_id != by_id_.end() && !SameClass(*by_id->second, given)) {
    return absl::AlreadyExistsError(
        absl::StrCat("serializer id ", id, " is already taken"));
  }
  auto by_type = by_type_.find(type);
  if (by_type != by_type_.end() && !SameClass(*by_type->second, given)) {
    return absl::AlreadyExistsError(
        absl::StrCat("type ", type.name(), " already has a serializer (id ",
                     by_type->second->Identifier(), ")"));
  }
  // The same class again (say, a second Register at start-up) keeps the
  // instance registered first: readers hold plain pointers to it.
  Add(type, std::move(serializer));
  return absl::OkStatus();
}

const Serializer* Serialization::FindFor(const Payload& payload) const {
  const size_t n = fast_type_count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    if (fast_types_[i].type == payload.type()) return fast_types_[i].serializer;
  }
  if (n == kFastEntries) {  // more bindings than the table holds
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = by_type_.find(payload.type());
    if (it != by_type_.end()) return it->second.get();
  }
  if (payload.AsMessage() != nullptr) return protobuf_.get();
  return nullptr;
}

const Serializer* Serialization::FindById(int32_t serializer_id) const {
  const size_t n = fast_id_count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    if (fast_ids_[i].id == serializer_id) return fast_ids_[i].serializer;
  }
  if (n < kFastEntries) return nullptr;  // the table holds every id
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = by_id_.find(serializer_id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

absl::StatusOr<SerializedPayload> Serialization::Serialize(
    const Payload& payload) const {
  if (payload.empty()) return absl::InvalidArgumentError("empty payload");
  if (const SerializedPayload* kept = payload.As<SerializedPayload>()) {
    return *kept;
  }
  const Serializer* serializer = FindFor(payload);
  if (serializer == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no serializer registered for type ", payload.type().name()));
  }
  absl::StatusOr<std::string> bytes = serializer->ToBinary(payload);
  if (!bytes.ok()) return bytes.status();
  return SerializedPayload{serializer->Identifier(),
                           serializer->Manifest(payload), *std::move(bytes)};
}

absl::StatusOr<Payload> Serialization::Deserialize(
    int32_t serializer_id, std::string_view manifest,
    std::string_view bytes) const {
  if (keep_serialized_.load(std::memory_order_relaxed)) {
    return Payload::Of(SerializedPayload{serializer_id, std::string(manifest),
                                         std::string(bytes)});
  }
  const Serializer* serializer = FindById(serializer_id);
  if (serializer == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no serializer with id ", serializer_id));
  }
  return serializer->FromBinary(bytes, manifest);
}

}  // namespace persistence
