// Copyright 2026 The eventpersist Authors.
//
// serialization.h: Serializer and the Serialization registry that turns a
// Payload into bytes and back.
//
// A stored payload carries (serializer id, manifest, bytes); the id picks
// the serializer on replay and the manifest tells it what to rebuild. Two
// serializers are built in: std::string (id 1) and every protobuf message
// (id 2, manifest = the message's full name), so protobuf events work with
// no registration. A user type joins by registering a Serializer. A payload
// of a type with no serializer fails Serialize with InvalidArgument: that is
// the error a journal turns into a rejected write.
//
// Thread-safety: the registry is safe for concurrent Serialize/Deserialize
// and Register calls. Serializers must be safe to call from many threads.
// Serialize and Deserialize run for every event written or replayed, so
// they find the serializer without a lock: a registered serializer is never
// replaced or removed (registering the same class again keeps the first
// instance), and the first kFastEntries registrations are also kept in
// append-only tables that readers scan.
//
// Example:
//
//   class MoneySerializer : public Serializer {
//    public:
//     int32_t Identifier() const override { return 1000; }
//     absl::StatusOr<std::string> ToBinary(const Payload& p) const override;
//     absl::StatusOr<Payload> FromBinary(std::string_view bytes,
//                                        std::string_view manifest) const
//                                        override;
//   };
//   Serialization::Global().Register<Money>(std::make_shared<MoneySerializer>());
#ifndef PERSISTENCE_API_SERIALIZATION_H_
#define PERSISTENCE_API_SERIALIZATION_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/payload.h"

namespace persistence {

// Serializer ids below 100 are reserved for the built-in serializers.
inline constexpr int32_t kStringSerializerId = 1;
inline constexpr int32_t kProtobufSerializerId = 2;

// SerializedPayload is what a journal stores for one payload.
struct SerializedPayload {
  int32_t serializer_id = 0;
  std::string manifest;
  std::string bytes;
};

// Serializer turns payloads of some types into bytes and back.
class Serializer {
 public:
  virtual ~Serializer() = default;
  // Identifier is stored with every payload; it must never change.
  virtual int32_t Identifier() const = 0;
  // Manifest tells FromBinary what to build; empty when there is one type.
  virtual std::string Manifest(const Payload& payload) const { return ""; }
  virtual absl::StatusOr<std::string> ToBinary(
      const Payload& payload) const = 0;
  virtual absl::StatusOr<Payload> FromBinary(
      std::string_view bytes, std::string_view manifest) const = 0;
};

class Serialization {
 public:
  Serialization();

  // Global is the process-wide registry that journals use.
  static Serialization& Global();

  // Register binds `type` to `serializer`. A type or an id bound twice to
  // different serializers is AlreadyExists.
  absl::Status Register(std::type_index type,
                        std::shared_ptr<const Serializer> serializer);
  template <typename T>
  absl::Status Register(std::shared_ptr<const Serializer> serializer) {
    return Register(std::type_index(typeid(T)), std::move(serializer));
  }

  // Serialize finds the serializer of the payload's type. A payload that
  // holds a SerializedPayload is already serialized: it comes back as it
  // is, serializer id and manifest included.
  absl::StatusOr<SerializedPayload> Serialize(const Payload& payload) const;
  // Deserialize rebuilds a payload with the serializer of that id; after
  // KeepSerialized, it returns the bytes as a SerializedPayload instead.
  absl::StatusOr<Payload> Deserialize(int32_t serializer_id,
                                      std::string_view manifest,
                                      std::string_view bytes) const;

  // KeepSerialized makes Deserialize hand back every payload as the
  // SerializedPayload it was stored as, whatever its serializer id, so
  // that it serializes to the same bytes again. For a process that stores
  // other processes' events without knowing their types: the remote
  // journal server (backends/grpc) calls it once, at start-up, on Global.
  void KeepSerialized() { keep_serialized_.store(true); }

 private:
  const Serializer* FindFor(const Payload& payload) const;
  const Serializer* FindById(int32_t serializer_id) const;
  // Add binds `type` and the serializer's id, unless bound already (the
  // first binding stays), in the maps and the fast tables; mu_ held.
  void Add(std::type_index type, std::shared_ptr<const Serializer> serializer);
  void AddId(std::shared_ptr<const Serializer> serializer);

  // Append-only copies of the first bindings: an entry is written before
  // the count that covers it is published (release), so a reader that
  // loads the count (acquire) reads complete entries without mu_.
  static constexpr size_t kFastEntries = 32;
  struct FastType {
    std::type_index type = std::type_index(typeid(void));
    const Serializer* serializer = nullptr;
  };
  struct FastId {
    int32_t id = 0;
    const Serializer* serializer = nullptr;
  };
  std::array<FastType, kFastEntries> fast_types_;
  std::atomic<size_t> fast_type_count_{0};
  std::array<FastId, kFastEntries> fast_ids_;
  std::atomic<size_t> fast_id_count_{0};

  mutable std::shared_mutex mu_;
  std::unordered_map<std::type_index, std::shared_ptr<const Serializer>>
      by_type_;
  std::map<int32_t, std::shared_ptr<const Serializer>> by_id_;
  std::shared_ptr<const Serializer> protobuf_;
  std::atomic<bool> keep_serialized_{false};
};

}  // namespace persistence

#endif  // PERSISTENCE_API_SERIALIZATION_H_
