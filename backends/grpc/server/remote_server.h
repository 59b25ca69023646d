// Copyright 2026 The eventpersist Authors.
//
// remote_server.h: RemoteServer serves a journal and a snapshot store over
// gRPC (eventpersist.remote.v1, backends/grpc/remote.proto), for clients in
// other processes and other languages.
//
// The plugins it serves are hosted by the runtime as in any application
// (the Persistence extension): each on its plugin dispatcher, behind its
// circuit breaker, with writes answered in request order. A call becomes
// one request to the journal or snapshot actor and its answer becomes the
// reply, with the status code unchanged. Payloads stay bytes: the process
// keeps every payload serialized (Serialization::KeepSerialized), so the
// server needs none of its clients' types.
//
// Security (ServerSettings): a bearer token compared in constant time,
// TLS with an optional client CA, message size limits, and no listening
// beyond loopback without TLS and a token unless allow-insecure-remote.
//
// Shutdown drains: new calls get UNAVAILABLE, the health service
// (grpc.health.v1) says NOT_SERVING, calls in flight finish (up to
// shutdown-timeout), then the plugins stop with the actor system.
//
// Thread-safety: Start, Shutdown and the destructor from one thread; the
// services run on gRPC's threads.
//
// Example (what server_main.cc does):
//
//   Serialization::Global().KeepSerialized();
//   auto system = ActorSystem::Create("remote-server", config);
//   auto server = RemoteServer::Start(**system);   // listens
//   ...                                            // until SIGTERM
//   (*server)->Shutdown();
#ifndef BACKENDS_GRPC_SERVER_REMOTE_SERVER_H_
#define BACKENDS_GRPC_SERVER_REMOTE_SERVER_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "persistence/api/config.h"
#include "persistence/runtime/actor_system.h"

namespace persistence::grpc_backend {

struct ServerSettings {
  std::string listen;
  std::string journal_plugin;
  std::string snapshot_store_plugin;
  std::string token;                 // from token-file; empty: none wanted
  std::string cert, key, client_ca;  // PEM text; cert empty: no TLS
  bool allow_insecure_remote = false;
  int64_t max_message_size = 64 << 20;
  std::chrono::milliseconds shutdown_timeout{10000};

  // FromConfig reads `persistence.remote-server` of a full config, and
  // refuses a non-loopback `listen` without TLS and a token (unless
  // allow-insecure-remote), saying why.
  static absl::StatusOr<ServerSettings> FromConfig(const Config& config);
};

// IsLoopback: whether a listen address ("host:port", "[::1]:port",
// "unix:...") only takes connections from this machine.
bool IsLoopback(const std::string& listen);

class RemoteServer {
 public:
  // Start hosts the configured plugins (starting them) and listens.
  static absl::StatusOr<std::unique_ptr<RemoteServer>> Start(
      ActorSystem& system, const ServerSettings& settings);
  ~RemoteServer();

  // The port it listens on (the one chosen, when `listen` asked for 0).
  int port() const { return port_; }

  // Shutdown drains (see above) and returns when the server stopped.
  // Idempotent.
  void Shutdown();

 private:
  class Services;
  RemoteServer() = default;

  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
  std::chrono::milliseconds shutdown_timeout_{0};
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace persistence::grpc_backend

#endif  // BACKENDS_GRPC_SERVER_REMOTE_SERVER_H_
