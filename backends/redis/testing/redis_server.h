// Copyright 2026 The eventpersist Authors.
//
// redis_server.h: RedisServer, a throw-away redis-server for tests, the
// compatibility kit's fixture and the perf target.
//
// Start runs `redis-server` from PATH as a child process, on a free
// loopback port (and, if asked, a unix socket), in a fresh directory made
// with mkdtemp under $TEST_TMPDIR (or /tmp), and waits until it answers.
// Nothing outside the test is assumed to run, and nothing is left behind:
// the destructor stops the server and removes the directory, and the child
// dies with the process that started it (PR_SET_PDEATHSIG), so a crashed
// test leaves no stray server.
//
// Stop / Kill / Restart take the server away (SIGTERM, or SIGKILL as a
// crash) and bring it back on the same port and directory, so with
// `append_only` its data survives; Pause / Resume (SIGSTOP / SIGCONT) make
// it a server that accepts connections and never answers.
//
// Thread-safety: not thread-safe; use one RedisServer from one thread (the
// one that started it: the child's death signal follows that thread).
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<RedisServer>> server =
//       RedisServer::Start({.append_only = true});
//   ASSERT_TRUE(server.ok()) << server.status();
//   std::string conf = (*server)->HoconOverlay();  // "... port = 41234 ..."
//   ASSERT_TRUE((*server)->Kill().ok());
//   ASSERT_TRUE((*server)->Restart().ok());
#ifndef BACKENDS_REDIS_TESTING_REDIS_SERVER_H_
#define BACKENDS_REDIS_TESTING_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct redisContext;  // hiredis

namespace persistence::redis::testing {

// TLS for a test server: it listens on a TLS port (tls_port()) with these
// PEM files, beside its plain port, which stays for the test's own clients
// (RawRedisClient, redis-cli). See tck/test_pki.h for the files.
struct RedisTlsOptions {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  // tls-auth-clients yes: a client without a certificate is refused.
  bool auth_clients = false;
  // tls-cluster yes and tls-replication yes (cluster nodes).
  bool cluster = false;
  // The client side that HoconOverlay writes: it trusts `client_ca_file`
  // ("" = ca_file) and shows this certificate when set.
  std::string client_ca_file;
  std::string client_cert_file;
  std::string client_key_file;
};

// TlsHoconOverlay is the `tls` block of the Redis journal for `tls`.
std::string TlsHoconOverlay(const RedisTlsOptions& tls);

struct RedisServerOptions {
  // appendonly yes + appendfsync always: every acknowledged write is on
  // disk, and survives Kill + Restart.
  bool append_only = false;
  // requirepass.
  std::string password;
  // Number of databases (`databases`).
  int databases = 16;
  // Also listen on a unix socket (its path is unix_socket()).
  bool unix_socket = false;
  // More redis.conf lines.
  std::vector<std::string> extra_config;
  // Pin the server process to this CPU (-1: run it wherever the scheduler
  // likes). See LastCpuIfSeveral().
  int cpu = -1;
  // A Redis Cluster node (cluster-enabled yes, its bus on a second free
  // port) with this cluster-node-timeout; see redis_cluster.h.
  bool cluster = false;
  int cluster_node_timeout_ms = 1000;
  // TLS on a second port; HoconOverlay then points the journal at it.
  std::optional<RedisTlsOptions> tls;
};

// LastCpuIfSeveral is the last CPU this process may run on, when it may run
// on two or more; else -1. The perf target pins its server there: on a
// small machine an unpinned server keeps being woken on the core of the
// client thread that just wrote to it and runs its scripts slower there
// (backends/redis/README.md, "Performance").
int LastCpuIfSeveral();

class RedisServer {
 public:
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(
      RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  const std::string& unix_socket() const { return unix_socket_; }
  const std::string& dir() const { return dir_; }
  const std::string& password() const { return options_.password; }
  // "127.0.0.1:port".
  std::string address() const;
  // The TLS port (0 without TLS), and the address the backend is given:
  // the TLS one when there is one.
  int tls_port() const { return tls_port_; }
  std::string client_address() const;
  bool running() const { return pid_ > 0; }

  // Stop: SIGTERM and wait (a clean shutdown).
  absl::Status Stop();
  // Kill: SIGKILL and wait (a crash).
  absl::Status Kill();
  // Restart starts it again on the same port and directory.
  absl::Status Restart();
  // Pause / Resume: SIGSTOP / SIGCONT.
  absl::Status Pause();
  absl::Status Resume();

  // HoconOverlay points the Redis journal (and, through reference.conf, the
  // snapshot store) at this server (at its TLS port, with the client side
  // of RedisTlsOptions, when it has one).
  std::string HoconOverlay() const;

 private:
  explicit RedisServer(RedisServerOptions options)
      : options_(std::move(options)) {}
  absl::Status Launch();
  absl::Status WaitUntilReady();
  absl::Status Signal(int signal, bool wait);

  RedisServerOptions options_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  int bus_port_ = 0;  // cluster nodes only
  int tls_port_ = 0;  // with TLS only
  std::string dir_;
  std::string socket_dir_;  // a short path for the socket, when asked
  std::string unix_socket_;
  std::string config_path_;
  std::string executable_;
  pid_t pid_ = -1;
};

// RawRedisClient: a blocking hiredis connection for tests that look at (or
// damage) what the backend stored, behind its back.
//
//   RawRedisClient client(*server);
//   absl::StatusOr<std::string> v = client.Run({"GET", key});
class RawRedisClient {
 public:
  explicit RawRedisClient(const RedisServer& server);
  ~RawRedisClient();
  RawRedisClient(const RawRedisClient&) = delete;
  RawRedisClient& operator=(const RawRedisClient&) = delete;

  // Run sends one command. Its reply as text: a string or status as is, an
  // integer in decimal, nil as "(nil)", an array as its elements joined by
  // "\n"; an error reply (or a dead connection) is an error.
  absl::StatusOr<std::string> Run(const std::vector<std::string>& argv);
  // Strings runs a command whose reply is an array of strings.
  absl::StatusOr<std::vector<std::string>> Strings(
      const std::vector<std::string>& argv);

 private:
  redisContext* context_ = nullptr;
};

}  // namespace persistence::redis::testing

#endif  // BACKENDS_REDIS_TESTING_REDIS_SERVER_H_
