// Copyright 2026 The eventpersist Authors.
//
// client.h: what the `grpc` backend's journal and snapshot store share: the
// settings of a plugin section, the channel to the server, and the mapping
// of gRPC statuses to the plugin API's.
//
// A RemoteClient holds one gRPC channel (one HTTP/2 connection, which gRPC
// re-establishes by itself, backing off up to `reconnect-max-backoff`) and
// makes the per-call context: the deadline from `command-timeout` and the
// bearer token from `token-file`. Calls fail fast while the server is away
// (no wait-for-ready), so the runtime's circuit breaker sees the failures.
//
// Thread-safety: immutable after Connect; every method may be called from
// any thread.
//
// Example:
//
//   absl::StatusOr<ClientSettings> settings = ClientSettings::FromConfig(c);
//   absl::StatusOr<std::unique_ptr<RemoteClient>> client =
//       RemoteClient::Connect(*settings, "journal");  // waits, checks token
//   auto stub =
//   eventpersist::remote::v1::Journal::NewStub((*client)->channel());
#ifndef BACKENDS_GRPC_CLIENT_H_
#define BACKENDS_GRPC_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "persistence/api/config.h"

namespace persistence::grpc_backend {

struct ClientSettings {
  std::string address;  // host:port, or any gRPC target ("unix:/path")
  std::string token_file;
  std::string token;  // read from token_file
  bool tls = false;
  std::string ca_file, cert_file, key_file, server_name;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds command_timeout{5000};
  std::chrono::milliseconds reconnect_max_backoff{1000};
  int64_t max_message_size = 64 << 20;

  // FromConfig reads a plugin section (persistence.journal.grpc, ...); a
  // bad key, or a token or certificate file that cannot be read, is an
  // error naming the key and the file.
  static absl::StatusOr<ClientSettings> FromConfig(const Config& config);
};

class RemoteClient {
 public:
  // Connect makes the channel, waits up to connect-timeout for the server
  // and asks it to Describe itself, so a wrong address, an untrusted
  // certificate or a refused token fails plugin start with a message that
  // says which. `what` names the plugin in messages ("journal").
  static absl::StatusOr<std::unique_ptr<RemoteClient>> Connect(
      const ClientSettings& settings, const std::string& what);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ClientSettings& settings() const { return settings_; }

  // Prepare sets a call's deadline (now + command-timeout, or the one
  // given) and its token; Authorize sets only the token.
  void Prepare(grpc::ClientContext& context) const;
  void Prepare(grpc::ClientContext& context,
               std::chrono::system_clock::time_point deadline) const;
  void Authorize(grpc::ClientContext& context) const;

  // ToStatus maps a call's gRPC status to the plugin API's, one to one,
  // with a message naming the server and the call.
  absl::Status ToStatus(const grpc::Status& status, const char* call) const;

 private:
  RemoteClient(ClientSettings settings, std::string what,
               std::shared_ptr<grpc::Channel> channel)
      : settings_(std::move(settings)),
        what_(std::move(what)),
        channel_(std::move(channel)) {}

  const ClientSettings settings_;
  const std::string what_;
  const std::shared_ptr<grpc::Channel> channel_;
};

// ReadConfiguredFile returns the text of the file that the config key
// `key` names ("" when the key is empty), or InvalidArgument naming the key
// and the file when it cannot be read. The token and certificate files of
// both sides are read with it.
absl::StatusOr<std::string> ReadConfiguredFile(const Config& config,
                                               const std::string& key);

// MakeChannel builds the channel that `settings` describe (TLS or not,
// message size limits, reconnect backoff), without connecting. Used by
// RemoteClient and by tools that talk to the server with the bare stubs.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientSettings& settings);

}  // namespace persistence::grpc_backend

#endif  // BACKENDS_GRPC_CLIENT_H_
