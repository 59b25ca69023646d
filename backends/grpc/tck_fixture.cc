// Copyright 2026 The eventpersist Authors.
//
// The compatibility kit's fixture for the `grpc` backend: it starts the
// remote server (testing/server_process.h) with the kit's config file, so
// that one file says what the server hosts (persistence.remote-server.*)
// and how the client reaches it, and points the client at it. StopServer /
// StartServer kill the server and bring it back on the same port and data.
//
// With --target=host:port the kit runs against a server that is already
// running, in any language; the fixture starts nothing:
//
//   bazel run //backends/grpc:remote_kit -- --target=127.0.0.1:50051
//       --supports_metadata=true     (flags as the server supports)
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/grpc/testing/server_process.h"
#include "tck/tck.h"

namespace persistence::grpc_backend::testing {
namespace {

class GrpcTckFixture : public tck::TckFixture {
 public:
  absl::StatusOr<std::string> SetUp() override {
    const tck::TckSettings& settings = tck::Settings();
    // Under a sanitizer both processes run several times slower: the
    // client's timeouts (and its breaker's, which must stay above them)
    // grow with them.
    const std::string timeouts =
        tck::kSanitizerSlowdown == 1
            ? std::string()
            : absl::StrCat(
                  "persistence.journal.grpc.connect-timeout = ",
                  5 * tck::kSanitizerSlowdown, "s\n",
                  "persistence.journal.grpc.command-timeout = ",
                  5 * tck::kSanitizerSlowdown,
                  "s\npersistence.journal.grpc.circuit-breaker.call-timeout = ",
                  10 * tck::kSanitizerSlowdown, "s\n",
                  "persistence.snapshot-store.grpc.circuit-breaker.call-"
                  "timeout "
                  "= ",
                  10 * tck::kSanitizerSlowdown, "s\n");
    if (!settings.target.empty()) {
      return absl::StrCat("persistence.journal.grpc.address = \"",
                          settings.target, "\"\n", timeouts);
    }
    std::ifstream in(settings.config_path);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start(text.str());
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    return absl::StrCat("persistence.journal.grpc.address = \"",
                        server_->address(), "\"\n", timeouts);
  }

  void TearDown() override { server_.reset(); }

  absl::Status StopServer() override {
    if (server_ == nullptr) {
      return absl::UnimplementedError(
          "the kit runs against the server at --target, which is not the "
          "kit's to stop");
    }
    return server_->Kill();
  }

  absl::Status StartServer() override {
    if (server_ == nullptr) {
      return absl::UnimplementedError("no server of the kit's own");
    }
    return server_->Restart();
  }

 private:
  std::unique_ptr<ServerProcess> server_;
};

PERSISTENCE_REGISTER(tck::FixtureRegistry, "grpc", Construct<GrpcTckFixture>);

}  // namespace
}  // namespace persistence::grpc_backend::testing
