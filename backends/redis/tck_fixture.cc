// Copyright 2026 The eventpersist Authors.
//
// The compatibility kit's fixture for the Redis backend: it starts a
// redis-server of its own (testing/redis_server.h) before the suites, points
// the plugins at it, and stops it afterwards. StopServer / StartServer let
// the kit's fault cases take the server away and bring it back on the same
// port and directory. On a machine with two or more CPUs the server is
// pinned to the last one (LastCpuIfSeveral).
//
// To run the kit or the perf target against a server you already have, set
// PERSISTENCE_REDIS_ADDRESS=host:port (the fixture then starts nothing and
// the cases that stop the server skip):
//
//   PERSISTENCE_REDIS_ADDRESS=127.0.0.1:6379 bazel run -c opt
//   //backends/redis:perf
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "backends/redis/testing/redis_server.h"
#include "tck/tck.h"

namespace persistence::redis::testing {
namespace {

constexpr char kAddressVariable[] = "PERSISTENCE_REDIS_ADDRESS";

class RedisTckFixture : public tck::TckFixture {
 public:
  absl::StatusOr<std::string> SetUp() override {
    const char* given = std::getenv(kAddressVariable);
    if (given != nullptr && *given != '\0') {
      const std::string address = given;
      const size_t colon = address.rfind(':');
      int port = 0;
      if (colon == std::string::npos ||
          !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
        return absl::InvalidArgumentError(absl::StrCat(
            kAddressVariable, "='", address, "': expected host:port"));
      }
      return absl::StrCat("persistence.journal.redis.host = \"",
                          address.substr(0, colon),
                          "\"\npersistence.journal.redis.port = ", port, "\n");
    }
    // The server on a CPU of its own (when there are several): the kit
    // does not care, and the perf table then measures the journal, not
    // where the scheduler happened to wake the server.
    RedisServerOptions options;
    options.cpu = LastCpuIfSeveral();
    absl::StatusOr<std::unique_ptr<RedisServer>> server =
        RedisServer::Start(options);
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    return server_->HoconOverlay();
  }

  void TearDown() override { server_.reset(); }

  absl::Status StopServer() override {
    if (server_ == nullptr) {
      return absl::UnimplementedError(
          absl::StrCat("the kit runs against the server in ", kAddressVariable,
                       ", which is not the kit's to stop"));
    }
    return server_->Stop();
  }

  absl::Status StartServer() override {
    if (server_ == nullptr)
      return absl::UnimplementedError("no server of the kit's own");
    return server_->Restart();
  }

 private:
  std::unique_ptr<RedisServer> server_;
};

PERSISTENCE_REGISTER(tck::FixtureRegistry, "redis", Construct<RedisTckFixture>);

}  // namespace
}  // namespace persistence::redis::testing
