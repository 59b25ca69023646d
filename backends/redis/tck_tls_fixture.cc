// Copyright 2026 The eventpersist Authors.
//
// The compatibility kit's fixture for the Redis backend over TLS: it starts
// a redis-server of its own that serves TLS (a certificate from
// tck/test_pki.h, signed by a CA the client is given in `tls.ca-file`),
// and points the journal at the TLS port. The server's plain port is only
// for the perf table's raw side, which measures the engine without TLS.
#include <cstdlib>
#include <memory>
#include <string>

#include "backends/redis/testing/redis_server.h"
#include "tck/tck.h"
#include "tck/test_pki.h"

namespace persistence::redis::testing {
namespace {

class RedisTlsTckFixture : public tck::TckFixture {
 public:
  absl::StatusOr<std::string> SetUp() override {
    const tck::TestPki& pki = tck::TestPki::Get();
    RedisServerOptions options;
    options.cpu = LastCpuIfSeveral();
    options.tls = RedisTlsOptions{.cert_file = pki.server_cert,
                                  .key_file = pki.server_key,
                                  .ca_file = pki.ca};
    absl::StatusOr<std::unique_ptr<RedisServer>> server =
        RedisServer::Start(options);
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    // For the perf table's raw side (raw_engine.cc): hiredis has no TLS.
    setenv("PERSISTENCE_REDIS_RAW_PLAIN_PORT",
           std::to_string(server_->port()).c_str(), 1);
    return server_->HoconOverlay();
  }

  void TearDown() override { server_.reset(); }

  absl::Status StopServer() override { return server_->Stop(); }
  absl::Status StartServer() override { return server_->Restart(); }

 private:
  std::unique_ptr<RedisServer> server_;
};

PERSISTENCE_REGISTER(tck::FixtureRegistry, "redis-tls",
                     Construct<RedisTlsTckFixture>);

}  // namespace
}  // namespace persistence::redis::testing
