// Copyright 2026 The eventpersist Authors.
//
// The bank on Redis beyond one plain server, chosen by --config alone, as
// examples/bank/README.md shows: on a Redis Cluster (3 masters, 3
// replicas), and over TLS. Each case runs the bank binary twice, the
// second run recovering the first one's accounts, against real servers
// started on free loopback ports.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/redis/testing/redis_cluster.h"
#include "backends/redis/testing/redis_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tck/test_pki.h"

namespace {

using persistence::redis::testing::RedisCluster;
using persistence::redis::testing::RedisServer;
using persistence::redis::testing::RedisServerOptions;
using persistence::redis::testing::RedisTlsOptions;
using ::testing::HasSubstr;

constexpr char kRedisPlugins[] =
    "persistence.journal.plugin = \"persistence.journal.redis\"\n"
    "persistence.snapshot-store.plugin = "
    "\"persistence.snapshot-store.redis\"\n";

std::string TempDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t != nullptr ? t : "/tmp";
}

std::string BankPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".", "/",
                      workspace != nullptr ? workspace : "eventpersist",
                      "/examples/bank/bank");
}

// WriteConfig writes `text` to a file of its own and returns its path.
std::string WriteConfig(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(TempDir(), "/", name, ".conf");
  std::ofstream(path) << text;
  return path;
}

// Bank runs the bank with `args`: its exit status and output (both
// streams).
std::pair<int, std::string> Bank(const std::string& args) {
  const std::string command = absl::StrCat(BankPath(), " ", args, " 2>&1");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// OpenAndRecover: one run opens accounts and moves money, a second run
// recovers them; the summary names where the data is.
void OpenAndRecover(const std::string& config, const std::string& where) {
  auto [rc, out] =
      Bank(absl::StrCat("--config=", config,
                        " open alice Alice deposit alice 100 withdraw alice 30"
                        " open bob Bob deposit bob 5"));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("withdraw alice 30: balance 70"));
  EXPECT_THAT(out, HasSubstr(where));
  auto [rc2, out2] =
      Bank(absl::StrCat("--config=", config, " show alice show bob"));
  ASSERT_EQ(rc2, 0) << out2;
  EXPECT_THAT(out2, HasSubstr("alice: recovered balance 70 (Alice)"));
  EXPECT_THAT(out2, HasSubstr("bob: recovered balance 5 (Bob)"));
}

TEST(BankOnRedisTest, RunsOnAClusterThroughConfigAlone) {
  absl::StatusOr<std::unique_ptr<RedisCluster>> cluster = RedisCluster::Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string config = WriteConfig(
      "cluster", absl::StrCat(kRedisPlugins, (*cluster)->HoconOverlay()));
  OpenAndRecover(config, "data: the Redis Cluster at 127.0.0.1:");
}

TEST(BankOnRedisTest, RunsOverTlsThroughConfigAlone) {
  const persistence::tck::TestPki& pki = persistence::tck::TestPki::Get();
  RedisServerOptions options;
  options.tls = RedisTlsOptions{.cert_file = pki.server_cert,
                                .key_file = pki.server_key,
                                .ca_file = pki.ca};
  absl::StatusOr<std::unique_ptr<RedisServer>> server =
      RedisServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string config = WriteConfig(
      "tls", absl::StrCat(kRedisPlugins, (*server)->HoconOverlay()));
  OpenAndRecover(config,
                 absl::StrCat("data: Redis at ", (*server)->client_address(),
                              " over TLS"));
}

}  // namespace
