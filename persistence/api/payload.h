// Copyright 2026 The eventpersist Authors.
//
// payload.h: Payload, an immutable value of any type: an event, a snapshot,
// or event metadata. The journal serializes it through the Serialization
// registry (serialization.h) on the way in and rebuilds it on replay.
//
// Thread-safety: a Payload is immutable; copies share the value and may be
// used from any thread.
//
// Example:
//
//   Payload p = Payload::Of(std::string("deposited 10"));
//   if (const std::string* s = p.As<std::string>()) Use(*s);
//
//   Payload m = Payload::Of(my_proto_message);   // any protobuf Message
//   m.AsMessage();                               // non-null for protobufs
#ifndef PERSISTENCE_API_PAYLOAD_H_
#define PERSISTENCE_API_PAYLOAD_H_

#include <memory>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>

#include "google/protobuf/message.h"

namespace persistence {

class Payload {
 public:
  // An empty payload (no value).
  Payload() = default;

  // Of wraps a copy (or move) of `value`.
  template <typename T>
  static Payload Of(T value) {
    using V = std::decay_t<T>;
    Payload payload;
    auto shared = std::make_shared<const V>(std::move(value));
    if constexpr (std::is_base_of_v<google::protobuf::Message, V>) {
      payload.message_ = shared.get();
    }
    payload.value_ = std::move(shared);
    payload.type_ = std::type_index(typeid(V));
    return payload;
  }

  // FromShared wraps an existing shared value of type T (no copy).
  template <typename T>
  static Payload FromShared(std::shared_ptr<const T> value) {
    Payload payload;
    if constexpr (std::is_base_of_v<google::protobuf::Message, T>) {
      payload.message_ = value.get();
    }
    payload.value_ = std::move(value);
    payload.type_ = std::type_index(typeid(T));
    return payload;
  }

  bool empty() const { return value_ == nullptr; }
  std::type_index type() const { return type_; }

  // As returns the value if it is exactly a T, else nullptr.
  // For protobuf types, any payload holding that message type matches (a
  // replayed protobuf is rebuilt from the descriptor pool).
  template <typename T>
  const T* As() const {
    if constexpr (std::is_base_of_v<google::protobuf::Message, T>) {
      return message_ == nullptr ? nullptr : dynamic_cast<const T*>(message_);
    } else {
      if (empty() || type_ != std::type_index(typeid(T))) return nullptr;
      return static_cast<const T*>(value_.get());
    }
  }

  // AsMessage returns the value as a protobuf message, or nullptr.
  const google::protobuf::Message* AsMessage() const { return message_; }

 private:
  std::shared_ptr<const void> value_;
  std::type_index type_ = std::type_index(typeid(void));
  const google::protobuf::Message* message_ = nullptr;
};

}  // namespace persistence

#endif  // PERSISTENCE_API_PAYLOAD_H_
