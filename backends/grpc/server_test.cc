// Copyright 2026 The eventpersist Authors.
//
// The remote server and the grpc backend against each other, each in its
// own process, on the security and bad-input rules of docs/configuration.md
// and backends/grpc/README.md: a missing or wrong token, TLS the client
// does not trust, mutual TLS, a non-loopback address without TLS and token,
// malformed and oversize requests (nothing stored), the health service and
// a graceful stop.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/grpc/remote.grpc.pb.h"
#include "backends/grpc/server/remote_server.h"
#include "backends/grpc/testing/health.grpc.pb.h"
#include "backends/grpc/testing/server_process.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "persistence/api/codec.h"
#include "persistence/api/journal.h"
#include "persistence/api/reference_conf.h"
#include "tck/test_pki.h"

namespace persistence::grpc_backend {
namespace {

namespace v1 = ::eventpersist::remote::v1;
using ::testing::HasSubstr;
using testing::ServerProcess;

std::string TempDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t != nullptr ? t : "/tmp";
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string Lower(std::string s) { return absl::AsciiStrToLower(s); }

using Pki = ::persistence::tck::TestPki;

// StartJournal builds the grpc journal from `config` (HOCON over the
// defaults) and starts it.
absl::StatusOr<std::unique_ptr<AsyncWriteJournal>> StartJournal(
    const std::string& config) {
  absl::StatusOr<Config> loaded = LoadConfigFromString(config, "test");
  if (!loaded.ok()) return loaded.status();
  absl::StatusOr<Config> section =
      loaded->GetConfig("persistence.journal.grpc");
  if (!section.ok()) return section.status();
  absl::StatusOr<std::unique_ptr<AsyncWriteJournal>> journal =
      Create(JournalRegistry::Global(), "grpc.Journal", *section,
             "persistence.journal.grpc");
  if (!journal.ok()) return journal.status();
  absl::Status started = (*journal)->Start();
  if (!started.ok()) return started;
  return journal;
}

// A connection expected to work may take its time: on a loaded CI machine
// (four tests on two cores) a TLS connection has taken more than 2 s. One
// expected to fail waits out connect-timeout, so those tests add
// kConnectFailsSoon to stay short.
constexpr char kConnectFailsSoon[] =
    "persistence.journal.grpc.connect-timeout = 2s\n";

std::string ClientConfig(const ServerProcess& server,
                         const std::string& more = "") {
  return absl::StrCat("persistence.journal.grpc.address = \"", server.address(),
                      "\"\npersistence.journal.grpc.connect-timeout = 20s\n",
                      more);
}

AtomicWrite Events(const std::string& id, int64_t from, int n,
                   size_t size = 3) {
  std::vector<PersistentRepr> events;
  for (int i = 0; i < n; ++i) {
    PersistentRepr e;
    e.persistence_id = id;
    e.sequence_nr = from + i;
    e.payload = Payload::Of(std::string(size, 'x'));
    events.push_back(std::move(e));
  }
  return *AtomicWrite::Make(std::move(events));
}

// A round trip through a started journal: write one event, read highest.
void ExpectWorks(AsyncWriteJournal& journal, const std::string& id) {
  absl::StatusOr<WriteResults> written =
      journal.AsyncWriteMessages({Events(id, 1, 1)}).Get();
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_TRUE((*written)[0].ok()) << (*written)[0];
  absl::StatusOr<int64_t> highest =
      journal.AsyncReadHighestSequenceNr(id, 0).Get();
  ASSERT_TRUE(highest.ok()) << highest.status();
  EXPECT_EQ(*highest, 1);
}

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file_ = TempDir() + "/token";
    Write(token_file_, "s3cret-token\n");
    Write(TempDir() + "/wrong", "not-the-token");
    auto server = ServerProcess::Start(absl::StrCat(
        "persistence.remote-server.token-file = \"", token_file_, "\""));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  std::string token_file_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(TokenTest, AClientWithoutTheTokenIsRefusedAndToldWhy) {
  auto journal = StartJournal(ClientConfig(*server_));
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(journal.status().message(), HasSubstr("wants a bearer token"));
  EXPECT_THAT(journal.status().message(), HasSubstr("set token-file"));
  EXPECT_THAT(journal.status().message(), HasSubstr(server_->address()));
}

TEST_F(TokenTest, AWrongTokenIsRefused) {
  auto journal = StartJournal(ClientConfig(
      *server_, absl::StrCat("persistence.journal.grpc.token-file = \"",
                             TempDir(), "/wrong\"")));
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(journal.status().message(), HasSubstr("refused the token"));
}

TEST_F(TokenTest, TheRightTokenWorks) {
  auto journal = StartJournal(ClientConfig(
      *server_, absl::StrCat("persistence.journal.grpc.token-file = \"",
                             token_file_, "\"")));
  ASSERT_TRUE(journal.ok()) << journal.status();
  ExpectWorks(**journal, "token-ok");
}

TEST_F(TokenTest, EveryCallIsChecked) {
  // A bare client that skips Describe is refused on the call itself.
  auto channel = grpc::CreateChannel(server_->address(),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::Journal::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer s3cret-tokeN");
  v1::ReadHighestRequest request;
  request.set_persistence_id("x");
  v1::ReadHighestResponse response;
  grpc::Status s = stub->ReadHighestSequenceNr(&context, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

std::string TlsServerConfig(bool want_client_cert) {
  const Pki& pki = Pki::Get();
  return absl::StrCat(
      "persistence.remote-server.tls.cert-file = \"", pki.server_cert,
      "\"\npersistence.remote-server.tls.key-file = \"", pki.server_key, "\"\n",
      want_client_cert
          ? absl::StrCat("persistence.remote-server.tls.client-ca-file = \"",
                         pki.ca, "\"\n")
          : "");
}

std::string TlsClientConfig(const std::string& ca, bool with_cert) {
  const Pki& pki = Pki::Get();
  return absl::StrCat(
      "persistence.journal.grpc.tls { enabled = on, ca-file = \"", ca,
      "\", server-name = \"localhost\"",
      with_cert ? absl::StrCat(", cert-file = \"", pki.client_cert,
                               "\", key-file = \"", pki.client_key, "\"")
                : "",
      " }\n");
}

TEST(TlsTest, AClientThatTrustsTheServersCaWorks) {
  auto server = ServerProcess::Start(TlsServerConfig(false));
  ASSERT_TRUE(server.ok()) << server.status();
  auto journal = StartJournal(
      ClientConfig(**server, TlsClientConfig(Pki::Get().ca, false)));
  ASSERT_TRUE(journal.ok()) << journal.status();
  ExpectWorks(**journal, "tls-ok");
}

TEST(TlsTest, AClientThatDoesNotTrustTheServerFailsClearly) {
  auto server = ServerProcess::Start(TlsServerConfig(false));
  ASSERT_TRUE(server.ok()) << server.status();
  auto journal = StartJournal(ClientConfig(
      **server,
      TlsClientConfig(Pki::Get().other_ca, false) + kConnectFailsSoon));
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kUnavailable);
  const std::string message = Lower(std::string(journal.status().message()));
  EXPECT_THAT(message, HasSubstr("certificate is not trusted"));
  EXPECT_THAT(message, HasSubstr((*server)->address()));
}

TEST(TlsTest, APlainClientCannotTalkToATlsServer) {
  auto server = ServerProcess::Start(TlsServerConfig(false));
  ASSERT_TRUE(server.ok()) << server.status();
  auto journal = StartJournal(ClientConfig(**server, kConnectFailsSoon));
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), absl::StatusCode::kUnavailable);
}

// A client without a certificate and one with it each get a server of
// their own: the refused client's reconnect attempts never meet the other.
TEST(TlsTest, MutualTlsRefusesAClientWithoutACertificate) {
  auto server = ServerProcess::Start(TlsServerConfig(true));
  ASSERT_TRUE(server.ok()) << server.status();
  auto without = StartJournal(ClientConfig(
      **server, TlsClientConfig(Pki::Get().ca, false) + kConnectFailsSoon));
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(without.status().message(),
              HasSubstr("it may want a client certificate"));
}

TEST(TlsTest, MutualTlsAcceptsTheClientsCertificate) {
  auto server = ServerProcess::Start(TlsServerConfig(true));
  ASSERT_TRUE(server.ok()) << server.status();
  auto with = StartJournal(
      ClientConfig(**server, TlsClientConfig(Pki::Get().ca, true)));
  ASSERT_TRUE(with.ok()) << with.status() << "\nthe server's log:\n"
                         << (*server)->Output();
  ExpectWorks(**with, "mtls-ok");
}

TEST(ListenTest, ANonLoopbackAddressWithoutTlsAndTokenIsRefused) {
  auto server =
      ServerProcess::Start("persistence.remote-server.listen = \"0.0.0.0:0\"");
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("not a loopback address"));
  EXPECT_THAT(server.status().message(),
              HasSubstr("neither TLS (tls.cert-file) nor a token"));
  EXPECT_THAT(server.status().message(), HasSubstr("allow-insecure-remote"));
}

TEST(ListenTest, TlsWithoutATokenIsNotEnoughBeyondLoopback) {
  auto server = ServerProcess::Start(
      absl::StrCat(TlsServerConfig(false),
                   "persistence.remote-server.listen = \"0.0.0.0:0\""));
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(),
              HasSubstr("a token (token-file) is not configured"));
}

TEST(ListenTest, AllowInsecureRemoteListensAnyway) {
  auto server = ServerProcess::Start(
      "persistence.remote-server.listen = \"0.0.0.0:0\"\n"
      "persistence.remote-server.allow-insecure-remote = on");
  ASSERT_TRUE(server.ok()) << server.status();
  auto journal = StartJournal(ClientConfig(**server));
  ASSERT_TRUE(journal.ok()) << journal.status();
}

TEST(ListenTest, LoopbackAddressesAreRecognised) {
  EXPECT_TRUE(IsLoopback("127.0.0.1:1"));
  EXPECT_TRUE(IsLoopback("localhost:1"));
  EXPECT_TRUE(IsLoopback("[::1]:1"));
  EXPECT_TRUE(IsLoopback("unix:/tmp/x.sock"));
  EXPECT_FALSE(IsLoopback("0.0.0.0:1"));
  EXPECT_FALSE(IsLoopback("[::]:1"));
  EXPECT_FALSE(IsLoopback("10.1.2.3:1"));
  EXPECT_FALSE(IsLoopback("example.com:1"));
}

// Bad input, through the bare stubs: each is refused and stores nothing.
class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start(
        "persistence.remote-server.max-message-size = 64 KiB");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(1 << 20);
    channel_ = grpc::CreateCustomChannel(
        server_->address(), grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Journal::NewStub(channel_);
  }

  grpc::Status Write(const v1::WriteRequest& request) {
    grpc::ClientContext context;
    v1::WriteResponse response;
    return stub_->Write(&context, request, &response);
  }

  grpc::Status Replay(const std::string& id, int64_t from, int64_t to,
                      int64_t max) {
    grpc::ClientContext context;
    v1::ReplayRequest request;
    request.set_persistence_id(id);
    request.set_from_sequence_nr(from);
    request.set_to_sequence_nr(to);
    request.set_max(max);
    auto reader = stub_->Replay(&context, request);
    v1::ReplayChunk chunk;
    while (reader->Read(&chunk)) {
    }
    return reader->Finish();
  }

  int64_t Highest(const std::string& id) {
    grpc::ClientContext context;
    v1::ReadHighestRequest request;
    request.set_persistence_id(id);
    v1::ReadHighestResponse response;
    grpc::Status s = stub_->ReadHighestSequenceNr(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.highest_sequence_nr();
  }

  static v1::AtomicWrite* AddWrite(v1::WriteRequest& request,
                                   const std::string& id, int64_t from, int n,
                                   size_t size = 3) {
    v1::AtomicWrite* w = request.add_writes();
    w->set_persistence_id(id);
    for (int i = 0; i < n; ++i) {
      PersistentRepr e;
      e.persistence_id = id;
      e.sequence_nr = from + i;
      e.payload = Payload::Of(std::string(size, 'x'));
      v1::Event* out = w->add_events();
      out->set_sequence_nr(e.sequence_nr);
      *out->mutable_record() = *EncodeEvent(e);
    }
    return w;
  }

  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Journal::Stub> stub_;
};

TEST_F(BadInputTest, AnEmptyIdIsInvalidAndNothingIsStored) {
  v1::WriteRequest request;
  AddWrite(request, "good", 1, 2);
  AddWrite(request, "", 1, 1);
  grpc::Status s = Write(request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("empty persistence id"));
  EXPECT_EQ(Highest("good"), 0);
}

TEST_F(BadInputTest, SequenceNumbersThatAreNotConsecutiveAreInvalid) {
  v1::WriteRequest request;
  v1::AtomicWrite* w = AddWrite(request, "gap", 1, 3);
  w->mutable_events(2)->set_sequence_nr(7);
  grpc::Status s = Write(request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Highest("gap"), 0);
}

TEST_F(BadInputTest, ARecordThatDoesNotParseIsInvalid) {
  v1::WriteRequest request;
  v1::AtomicWrite* w = AddWrite(request, "garbage", 1, 1);
  w->mutable_events(0)->set_record("\xff\xff\xff not a StoredEvent");
  grpc::Status s = Write(request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("'garbage'"));
  EXPECT_EQ(Highest("garbage"), 0);
}

TEST_F(BadInputTest, AnOversizeWriteIsResourceExhaustedAndNothingIsStored) {
  v1::WriteRequest request;
  AddWrite(request, "big", 1, 1, 100 << 10);
  grpc::Status s = Write(request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Highest("big"), 0);
}

TEST_F(BadInputTest, ReplayBoundsAreChecked) {
  EXPECT_EQ(Replay("", 1, 10, 10).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Replay("r", 5, 2, 10).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Replay("r", 1, 10, -1).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Replay("r", 1, 10, 0).ok());
  EXPECT_TRUE(Replay("r", -1, 10, 1).ok());  // the last one: allowed
}

TEST_F(BadInputTest, TheClientRefusesAnOversizeWriteItself) {
  auto journal = StartJournal(ClientConfig(
      *server_, "persistence.journal.grpc.max-message-size = 64 KiB"));
  ASSERT_TRUE(journal.ok()) << journal.status();
  absl::StatusOr<WriteResults> written =
      (*journal)->AsyncWriteMessages({Events("big2", 1, 1, 100 << 10)}).Get();
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Highest("big2"), 0);
}

TEST(LifecycleTest, HealthSaysServingAndAGracefulStopKeepsTheData) {
  auto server = ServerProcess::Start("");
  ASSERT_TRUE(server.ok()) << server.status();
  {
    auto channel = grpc::CreateChannel((*server)->address(),
                                       grpc::InsecureChannelCredentials());
    auto health = ::grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    ::grpc::health::v1::HealthCheckRequest request;
    ::grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok());
    EXPECT_EQ(response.status(),
              ::grpc::health::v1::HealthCheckResponse::SERVING);
  }
  {
    auto journal = StartJournal(ClientConfig(**server));
    ASSERT_TRUE(journal.ok()) << journal.status();
    // Writes in flight when the server is told to stop still finish.
    std::vector<Future<absl::StatusOr<WriteResults>>> writes;
    for (int i = 0; i < 50; ++i) {
      writes.push_back((*journal)->AsyncWriteMessages(
          {Events(absl::StrCat("stop-", i), 1, 1)}));
    }
    for (auto& w : writes) {
      absl::StatusOr<WriteResults> r = w.Get();
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }
  absl::StatusOr<int> exit = (*server)->Terminate();
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(*exit, 0) << (*server)->Output();
  EXPECT_THAT((*server)->Output(), HasSubstr("draining"));
  ASSERT_TRUE((*server)->Restart().ok());
  auto journal = StartJournal(ClientConfig(**server));
  ASSERT_TRUE(journal.ok()) << journal.status();
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<int64_t> highest =
        (*journal)
            ->AsyncReadHighestSequenceNr(absl::StrCat("stop-", i), 0)
            .Get();
    ASSERT_TRUE(highest.ok()) << highest.status();
    EXPECT_EQ(*highest, 1);
  }
}

TEST(LifecycleTest, AServerThatGoesAwayFailsCallsWithinTheTimeout) {
  auto server = ServerProcess::Start("");
  ASSERT_TRUE(server.ok()) << server.status();
  auto journal = StartJournal(
      ClientConfig(**server, "persistence.journal.grpc.command-timeout = 1s"));
  ASSERT_TRUE(journal.ok()) << journal.status();
  ASSERT_TRUE((*server)->Kill().ok());
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<WriteResults> written =
      (*journal)->AsyncWriteMessages({Events("gone", 1, 1)}).Get();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(written.ok());
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  ASSERT_TRUE((*server)->Restart().ok());
  // Reconnected in the background (backoff up to 1s).
  absl::StatusOr<WriteResults> again;
  for (int i = 0; i < 50; ++i) {
    again = (*journal)->AsyncWriteMessages({Events("gone", 1, 1)}).Get();
    if (again.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(again.ok()) << again.status();
}

}  // namespace
}  // namespace persistence::grpc_backend
