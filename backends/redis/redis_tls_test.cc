// Copyright 2026 The eventpersist Authors.
//
// The Redis backend over TLS, against real TLS redis-servers (and a TLS
// Redis Cluster) that the tests start, with certificates made by openssl
// at test time (tck/test_pki.h). The kit runs over TLS as well
// (tls_journal_tck_test); these tests cover what the kit cannot: the
// set-up commands over TLS (AUTH, SELECT, SCRIPT LOAD), a cluster whose
// nodes and bus speak TLS only, and each way a TLS connection is refused,
// with the message a user gets.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/redis/redis_journal.h"
#include "backends/redis/testing/journal_driver.h"
#include "backends/redis/testing/redis_cluster.h"
#include "backends/redis/testing/redis_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "persistence/api/reference_conf.h"
#include "tck/test_pki.h"

namespace persistence::redis {
namespace {

using tck::TestPki;
using ::testing::HasSubstr;
using testing::OneEvent;
using testing::RedisCluster;
using testing::RedisClusterOptions;
using testing::RedisServer;
using testing::RedisServerOptions;
using testing::RedisTlsOptions;
using testing::ReplayAll;

std::unique_ptr<RedisJournal> Journal(const std::string& text) {
  absl::StatusOr<Config> config = LoadConfigFromString(text, "tls-test");
  EXPECT_TRUE(config.ok()) << config.status();
  absl::StatusOr<Config> section =
      config->GetConfig("persistence.journal.redis");
  EXPECT_TRUE(section.ok()) << section.status();
  return std::make_unique<RedisJournal>(*section, "persistence.journal.redis");
}

RedisTlsOptions ServerTls() {
  const TestPki& pki = TestPki::Get();
  return RedisTlsOptions{.cert_file = pki.server_cert,
                         .key_file = pki.server_key,
                         .ca_file = pki.ca};
}

absl::StatusOr<std::unique_ptr<RedisServer>> TlsServer(
    RedisTlsOptions tls, std::string password = "") {
  RedisServerOptions options;
  options.tls = std::move(tls);
  options.password = std::move(password);
  return RedisServer::Start(options);
}

// Writes `events` events of `id` and reads them back.
void WriteAndReplay(RedisJournal& journal, const std::string& id, int events) {
  std::vector<AtomicWrite> writes;
  for (int seq = 1; seq <= events; ++seq) writes.push_back(OneEvent(id, seq));
  absl::StatusOr<std::vector<absl::Status>> results =
      journal.AsyncWriteMessages(std::move(writes)).Get();
  ASSERT_TRUE(results.ok()) << results.status();
  for (const absl::Status& r : *results) ASSERT_TRUE(r.ok()) << r;
  absl::StatusOr<std::vector<int64_t>> seqs = ReplayAll(journal, id);
  ASSERT_TRUE(seqs.ok()) << seqs.status();
  ASSERT_EQ(seqs->size(), static_cast<size_t>(events));
  for (int i = 0; i < events; ++i) EXPECT_EQ((*seqs)[i], i + 1);
}

TEST(RedisTlsTest, AuthSelectAndScriptsGoOverTls) {
  auto server = TlsServer(ServerTls(), "s3cret");
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<RedisJournal> journal = Journal(absl::StrCat(
      (*server)->HoconOverlay(), "persistence.journal.redis.database = 3\n"));
  ASSERT_TRUE(journal->Start().ok());
  WriteAndReplay(*journal, "tls-account", 300);
  // The events are in database 3 of that server: AUTH and SELECT went over
  // the TLS connection, and so did the scripts that wrote them.
  testing::RawRedisClient raw(**server);
  ASSERT_TRUE(raw.Run({"AUTH", "s3cret"}).ok());
  ASSERT_TRUE(raw.Run({"SELECT", "3"}).ok());
  absl::StatusOr<std::vector<std::string>> keys =
      raw.Strings({"KEYS", "*tls-account*"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_FALSE(keys->empty());
}

TEST(RedisTlsTest, UntrustedServerCertificateFailsStartSayingSo) {
  auto server = TlsServer(ServerTls());
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<RedisJournal> journal = Journal(absl::StrCat(
      (*server)->HoconOverlay(), "persistence.journal.redis.tls.ca-file = \"",
      TestPki::Get().other_ca, "\"\n"));
  absl::Status s = journal->Start();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("not trusted"));
  EXPECT_THAT(std::string(s.message()), HasSubstr(TestPki::Get().other_ca));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr(absl::StrCat(":", (*server)->tls_port())));
}

TEST(RedisTlsTest, CertificateForAnotherNameFailsStart) {
  auto server = TlsServer(ServerTls());
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<RedisJournal> journal =
      Journal(absl::StrCat((*server)->HoconOverlay(),
                           "persistence.journal.redis.tls.server-name = "
                           "\"redis.example.com\"\n"));
  absl::Status s = journal->Start();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("not for 'redis.example.com'"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("tls.server-name"));
}

TEST(RedisTlsTest, MissingClientCertificateIsRefusedClearly) {
  RedisTlsOptions tls = ServerTls();
  tls.auth_clients = true;
  auto server = TlsServer(tls);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<RedisJournal> journal = Journal((*server)->HoconOverlay());
  absl::Status s = journal->Start();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("tls.cert-file"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr(absl::StrCat(":", (*server)->tls_port())));
}

TEST(RedisTlsTest, ClientCertificateTheServerRequiresIsShown) {
  RedisTlsOptions tls = ServerTls();
  tls.auth_clients = true;
  tls.client_cert_file = TestPki::Get().client_cert;
  tls.client_key_file = TestPki::Get().client_key;
  auto server = TlsServer(tls);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<RedisJournal> journal = Journal((*server)->HoconOverlay());
  ASSERT_TRUE(journal->Start().ok());
  WriteAndReplay(*journal, "with-client-cert", 20);
}

TEST(RedisTlsTest, TlsToAPlainPortSaysSo) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<RedisJournal> journal = Journal(absl::StrCat(
      (*server)->HoconOverlay(), "persistence.journal.redis.tls {\n",
      "enabled = on\nca-file = \"", TestPki::Get().ca, "\"\n}\n"));
  absl::Status s = journal->Start();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("TLS handshake failed"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("tls.enabled"));
}

TEST(RedisTlsTest, BadTlsConfigNamesTheKeyAndTheFile) {
  std::unique_ptr<RedisJournal> journal = Journal(
      "persistence.journal.redis.tls { enabled = on, ca-file = "
      "\"/nonexistent/ca.pem\" }\n");
  absl::Status s = journal->Start();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("persistence.journal.redis.tls.ca-file"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("/nonexistent/ca.pem"));

  journal = Journal(absl::StrCat(
      "persistence.journal.redis.tls { enabled = on, cert-file = \"",
      TestPki::Get().client_cert, "\", key-file = \"",
      TestPki::Get().server_key, "\" }\n"));
  s = journal->Start();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("persistence.journal.redis.tls.key-file"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("does not belong"));
}

// A cluster whose nodes serve TLS, and whose bus and replication are TLS
// too: the client reads the slot map over TLS and reaches every master on
// its TLS port (a plain connection to one would fail the handshake).
TEST(RedisTlsClusterTest, EveryMasterIsReachedOverTls) {
  RedisClusterOptions options;
  options.tls = ServerTls();
  auto cluster = RedisCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  std::unique_ptr<RedisJournal> journal = Journal((*cluster)->HoconOverlay());
  absl::Status started = journal->Start();
  ASSERT_TRUE(started.ok()) << started;
  // Ids over all the slots, so every master serves some.
  for (int n = 0; n < 30; ++n) {
    WriteAndReplay(*journal, absl::StrCat("tls-cluster-", n), 10);
  }
  for (RedisServer* master : (*cluster)->Masters()) {
    testing::RawRedisClient raw(*master);
    absl::StatusOr<std::string> size = raw.Run({"DBSIZE"});
    ASSERT_TRUE(size.ok()) << size.status();
    EXPECT_NE(*size, "0") << master->address() << " got no events";
  }
}

}  // namespace
}  // namespace persistence::redis
