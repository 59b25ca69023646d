// Copyright 2026 The eventpersist Authors.
#include "backends/grpc/client.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "backends/grpc/remote.grpc.pb.h"
#include "backends/grpc/tls_probe.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace persistence::grpc_backend {

namespace v1 = ::eventpersist::remote::v1;

absl::StatusOr<std::string> ReadConfiguredFile(const Config& config,
                                               const std::string& key) {
  absl::StatusOr<std::string> path = config.GetString(key);
  if (!path.ok() || path->empty()) return path;
  std::ifstream in(*path, std::ios::binary);
  if (!in.is_open()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config key '", config.FullKey(key), "': cannot open '", *path, "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

absl::StatusOr<std::chrono::milliseconds> Millis(const Config& config,
                                                 const std::string& key) {
  absl::StatusOr<std::chrono::nanoseconds> d = config.GetDuration(key);
  if (!d.ok()) return d.status();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  if (ms.count() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config key '", config.FullKey(key), "' must be at least 1ms"));
  }
  return ms;
}

}  // namespace

absl::StatusOr<ClientSettings> ClientSettings::FromConfig(
    const Config& config) {
  ClientSettings s;
#define PERSISTENCE_GRPC_ASSIGN(lhs, expr)  \
  do {                                      \
    auto value = (expr);                    \
    if (!value.ok()) return value.status(); \
    lhs = *std::move(value);                \
  } while (false)
  PERSISTENCE_GRPC_ASSIGN(s.address, config.GetString("address"));
  if (s.address.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", config.FullKey("address"),
                     "' is empty: set it to the server's host:port"));
  }
  PERSISTENCE_GRPC_ASSIGN(s.token_file, config.GetString("token-file"));
  PERSISTENCE_GRPC_ASSIGN(s.token, ReadConfiguredFile(config, "token-file"));
  s.token = std::string(absl::StripAsciiWhitespace(s.token));
  if (!s.token_file.empty() && s.token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", config.FullKey("token-file"), "': '",
                     s.token_file, "' holds no token"));
  }
  PERSISTENCE_GRPC_ASSIGN(s.tls, config.GetBool("tls.enabled"));
  if (s.tls) {
    PERSISTENCE_GRPC_ASSIGN(s.ca_file,
                            ReadConfiguredFile(config, "tls.ca-file"));
    PERSISTENCE_GRPC_ASSIGN(s.cert_file,
                            ReadConfiguredFile(config, "tls.cert-file"));
    PERSISTENCE_GRPC_ASSIGN(s.key_file,
                            ReadConfiguredFile(config, "tls.key-file"));
    if (s.cert_file.empty() != s.key_file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config keys '", config.FullKey("tls.cert-file"),
                       "' and '", config.FullKey("tls.key-file"),
                       "': a client certificate needs both, or neither"));
    }
  }
  PERSISTENCE_GRPC_ASSIGN(s.server_name, config.GetString("tls.server-name"));
  PERSISTENCE_GRPC_ASSIGN(s.connect_timeout, Millis(config, "connect-timeout"));
  PERSISTENCE_GRPC_ASSIGN(s.command_timeout, Millis(config, "command-timeout"));
  PERSISTENCE_GRPC_ASSIGN(s.reconnect_max_backoff,
                          Millis(config, "reconnect-max-backoff"));
  PERSISTENCE_GRPC_ASSIGN(s.max_message_size,
                          config.GetBytes("max-message-size", 1024));
#undef PERSISTENCE_GRPC_ASSIGN
  if (s.max_message_size > INT32_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", config.FullKey("max-message-size"),
                     "' must be below 2 GiB"));
  }
  return s;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const ClientSettings& settings) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(static_cast<int>(settings.max_message_size));
  args.SetMaxReceiveMessageSize(static_cast<int>(settings.max_message_size));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              std::min<int>(50, settings.reconnect_max_backoff.count()));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
              std::min<int>(50, settings.reconnect_max_backoff.count()));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(settings.reconnect_max_backoff.count()));
  // A private channel: two plugins of one process do not share a
  // connection by accident (gRPC would otherwise pool equal channels).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (settings.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = settings.ca_file;
    ssl.pem_private_key = settings.key_file;
    ssl.pem_cert_chain = settings.cert_file;
    credentials = grpc::SslCredentials(ssl);
    if (!settings.server_name.empty()) {
      args.SetSslTargetNameOverride(settings.server_name);
    }
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  return grpc::CreateCustomChannel(settings.address, credentials, args);
}

absl::StatusOr<std::unique_ptr<RemoteClient>> RemoteClient::Connect(
    const ClientSettings& settings, const std::string& what) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannel(settings);
  if (!channel.ok()) return channel.status();
  std::unique_ptr<RemoteClient> client(
      new RemoteClient(settings, what, *channel));
  // Describe answers once the connection (and its TLS handshake) is up. A
  // server that is still starting may come up within connect-timeout, so
  // a refused connection is tried again until then; the last attempt's
  // error says why it failed (refused, or the handshake and its reason).
  const auto deadline =
      std::chrono::system_clock::now() + settings.connect_timeout;
  auto stub = v1::Journal::NewStub(*channel);
  grpc::Status status;
  for (;;) {
    grpc::ClientContext context;
    client->Prepare(context, deadline);
    v1::DescribeRequest request;
    v1::DescribeResponse response;
    status = stub->Describe(&context, request, &response);
    if (status.ok()) return client;
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
        std::chrono::system_clock::now() + std::chrono::milliseconds(50) >=
            deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  absl::Status failed = client->ToStatus(status, "Describe");
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    if (settings.tls) {
      // gRPC does not say why a handshake failed; OpenSSL does.
      absl::Status why = ProbeTls(settings, settings.connect_timeout);
      if (!why.ok()) {
        return absl::UnavailableError(absl::StrCat(
            "remote ", what, " at ", settings.address, ": ", why.message()));
      }
    }
    return absl::UnavailableError(absl::StrCat(
        failed.message(), " (no connection within connect-timeout, ",
        settings.connect_timeout.count(), " ms)"));
  }
  return failed;
}

void RemoteClient::Prepare(grpc::ClientContext& context) const {
  Prepare(context,
          std::chrono::system_clock::now() + settings_.command_timeout);
}

void RemoteClient::Prepare(
    grpc::ClientContext& context,
    std::chrono::system_clock::time_point deadline) const {
  context.set_deadline(deadline);
  Authorize(context);
}

void RemoteClient::Authorize(grpc::ClientContext& context) const {
  if (!settings_.token.empty()) {
    context.AddMetadata("authorization", "Bearer " + settings_.token);
  }
}

absl::Status RemoteClient::ToStatus(const grpc::Status& status,
                                    const char* call) const {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string message =
      absl::StrCat("remote ", what_, " at ", settings_.address, ": ", call,
                   ": ", status.error_message());
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    absl::StrAppend(&message, settings_.token_file.empty()
                                  ? " (the server wants a bearer token: set "
                                    "token-file)"
                                  : absl::StrCat(" (the server refused the "
                                                 "token in '",
                                                 settings_.token_file, "')"));
  }
  return absl::Status(code, message);
}

}  // namespace persistence::grpc_backend
