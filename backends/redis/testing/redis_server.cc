// Copyright 2026 The eventpersist Authors.
#include "backends/redis/testing/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace persistence::redis::testing {
namespace {

using Clock = std::chrono::steady_clock;

absl::StatusOr<std::string> FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  const std::string dirs =
      path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(dirs, ':')) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("'", name, "' is not on PATH (", dirs,
                   "); install the Debian package redis-server (bazelw does)"));
}

absl::StatusOr<std::string> MakeTempDir(const std::string& base,
                                        const std::string& stem) {
  std::string pattern = absl::StrCat(base, "/", stem, "-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp(", pattern, ") failed: ", std::strerror(errno)));
  }
  return pattern;
}

absl::StatusOr<int> FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::InternalError(
        absl::StrCat("binding a loopback port: ", std::strerror(error)));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string LogTail(const std::string& dir) {
  std::ifstream log(dir + "/redis.log");
  std::stringstream all;
  all << log.rdbuf();
  std::string text = all.str();
  if (text.size() > 1500) text = "..." + text.substr(text.size() - 1500);
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    RedisServerOptions options) {
  std::unique_ptr<RedisServer> server(new RedisServer(std::move(options)));
  absl::StatusOr<std::string> executable = FindOnPath("redis-server");
  if (!executable.ok()) return executable.status();
  server->executable_ = *executable;
  const char* tmp = std::getenv("TEST_TMPDIR");
  absl::StatusOr<std::string> dir =
      MakeTempDir(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "redis");
  if (!dir.ok()) return dir.status();
  server->dir_ = *dir;
  if (server->options_.unix_socket) {
    std::string socket = server->dir_ + "/redis.sock";
    if (socket.size() >= 100) {  // sun_path holds 108 bytes
      absl::StatusOr<std::string> short_dir = MakeTempDir("/tmp", "rs");
      if (!short_dir.ok()) return short_dir.status();
      server->socket_dir_ = *short_dir;
      socket = server->socket_dir_ + "/redis.sock";
    }
    server->unix_socket_ = socket;
  }
  // Another process may take the free port before redis binds it: try a
  // few ports.
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    if (server->options_.cluster) {
      absl::StatusOr<int> bus = FreeLoopbackPort();
      if (!bus.ok()) return bus.status();
      server->bus_port_ = *bus;
    }
    if (server->options_.tls) {
      absl::StatusOr<int> tls = FreeLoopbackPort();
      if (!tls.ok()) return tls.status();
      server->tls_port_ = *tls;
    }
    last = server->Launch();
    if (last.ok()) last = server->WaitUntilReady();
    if (last.ok()) return server;
    (void)server->Signal(SIGKILL, true);
  }
  return last;
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
    if (!Stop().ok()) (void)Kill();
  }
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  if (!socket_dir_.empty()) std::filesystem::remove_all(socket_dir_, ignored);
}

absl::Status RedisServer::Launch() {
  config_path_ = dir_ + "/redis.conf";
  {
    std::ofstream conf(config_path_, std::ios::trunc);
    conf << "bind 127.0.0.1\n"
         << "port " << port_ << "\n"
         << "dir " << Quote(dir_) << "\n"
         << "logfile " << Quote(dir_ + "/redis.log") << "\n"
         << "daemonize no\n"
         << "save \"\"\n"
         << "databases " << options_.databases << "\n";
    if (options_.append_only) {
      conf << "appendonly yes\nappendfsync always\n";
    } else {
      conf << "appendonly no\n";
    }
    if (!options_.password.empty())
      conf << "requirepass " << Quote(options_.password) << "\n";
    if (!unix_socket_.empty()) {
      conf << "unixsocket " << Quote(unix_socket_) << "\nunixsocketperm 700\n";
    }
    if (options_.cluster) {
      // A replica that has not finished its first sync cannot take over;
      // diskless sync without delay makes that quick.
      conf << "cluster-enabled yes\n"
           << "cluster-config-file nodes.conf\n"
           << "cluster-port " << bus_port_ << "\n"
           << "cluster-node-timeout " << options_.cluster_node_timeout_ms
           << "\n"
           << "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n";
      if (!options_.password.empty())
        conf << "masterauth " << Quote(options_.password) << "\n";
    }
    if (const std::optional<RedisTlsOptions>& tls = options_.tls) {
      conf << "tls-port " << tls_port_ << "\n"
           << "tls-cert-file " << Quote(tls->cert_file) << "\n"
           << "tls-key-file " << Quote(tls->key_file) << "\n"
           << "tls-ca-cert-file " << Quote(tls->ca_file) << "\n"
           << "tls-auth-clients " << (tls->auth_clients ? "yes" : "no") << "\n";
      if (tls->cluster) conf << "tls-cluster yes\ntls-replication yes\n";
    }
    for (const std::string& line : options_.extra_config) conf << line << "\n";
    if (!conf) {
      return absl::InternalError(absl::StrCat("cannot write ", config_path_));
    }
  }
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::string arg0 = executable_;
  std::string arg1 = config_path_;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (options_.cpu >= 0) CPU_SET(options_.cpu, &cpus);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0)
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    if (options_.cpu >= 0) ::sched_setaffinity(0, sizeof(cpus), &cpus);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  pid_ = pid;
  return absl::OkStatus();
}

absl::Status RedisServer::WaitUntilReady() {
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  std::string last = "no attempt yet";
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(absl::StrCat(
          "redis-server on port ", port_, " exited at start (status ", status,
          "); its log:\n", LogTail(dir_)));
    }
    const timeval timeout{0, 200000};
    redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, timeout);
    if (c != nullptr && c->err == 0) {
      redisSetTimeout(c, timeout);
      if (!options_.password.empty()) {
        void* auth = redisCommand(c, "AUTH %s", options_.password.c_str());
        if (auth != nullptr) freeReplyObject(auth);
      }
      auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
      const bool ready = reply != nullptr &&
                         reply->type == REDIS_REPLY_STATUS &&
                         std::string(reply->str, reply->len) == "PONG";
      if (reply != nullptr) {
        last = std::string(reply->str != nullptr ? reply->str : "", reply->len);
        freeReplyObject(reply);
      }
      redisFree(c);
      if (ready) return absl::OkStatus();
    } else {
      if (c != nullptr) {
        last = c->errstr;
        redisFree(c);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "redis-server on port ", port_, " did not answer PING within 15s (last: ",
      last, "); its log:\n", LogTail(dir_)));
}

absl::Status RedisServer::Signal(int signal, bool wait) {
  if (pid_ <= 0)
    return absl::FailedPreconditionError("redis-server is not running");
  if (::kill(pid_, signal) != 0) {
    return absl::InternalError(
        absl::StrCat("kill(", pid_, ", ", signal, "): ", std::strerror(errno)));
  }
  if (!wait) return absl::OkStatus();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("redis-server (pid ", pid_,
                   ") did not exit within 10s of signal ", signal));
}

absl::Status RedisServer::Stop() { return Signal(SIGTERM, true); }

absl::Status RedisServer::Kill() { return Signal(SIGKILL, true); }

absl::Status RedisServer::Restart() {
  if (pid_ > 0)
    return absl::FailedPreconditionError("redis-server is still running");
  absl::Status launched = Launch();
  if (!launched.ok()) return launched;
  return WaitUntilReady();
}

absl::Status RedisServer::Pause() { return Signal(SIGSTOP, false); }

absl::Status RedisServer::Resume() { return Signal(SIGCONT, false); }

std::string RedisServer::address() const {
  return absl::StrCat(host_, ":", port_);
}

std::string RedisServer::client_address() const {
  return absl::StrCat(host_, ":", options_.tls ? tls_port_ : port_);
}

std::string TlsHoconOverlay(const RedisTlsOptions& tls) {
  std::string overlay = absl::StrCat(
      "persistence.journal.redis.tls {\n  enabled = on\n  ca-file = ",
      Quote(tls.client_ca_file.empty() ? tls.ca_file : tls.client_ca_file),
      "\n");
  if (!tls.client_cert_file.empty()) {
    absl::StrAppend(&overlay, "  cert-file = ", Quote(tls.client_cert_file),
                    "\n  key-file = ", Quote(tls.client_key_file), "\n");
  }
  absl::StrAppend(&overlay, "}\n");
  return overlay;
}

std::string RedisServer::HoconOverlay() const {
  std::string overlay = absl::StrCat(
      "persistence.journal.redis.host = ", Quote(host_),
      "\npersistence.journal.redis.port = ", options_.tls ? tls_port_ : port_,
      "\n");
  if (options_.tls) absl::StrAppend(&overlay, TlsHoconOverlay(*options_.tls));
  if (!options_.password.empty()) {
    absl::StrAppend(&overlay, "persistence.journal.redis.password = ",
                    Quote(options_.password), "\n");
  }
  return overlay;
}

RawRedisClient::RawRedisClient(const RedisServer& server) {
  const timeval timeout{5, 0};
  context_ =
      redisConnectWithTimeout(server.host().c_str(), server.port(), timeout);
  if (context_ != nullptr && context_->err == 0) {
    redisSetTimeout(context_, timeout);
    if (!server.password().empty()) (void)Run({"AUTH", server.password()});
  }
}

RawRedisClient::~RawRedisClient() {
  if (context_ != nullptr) redisFree(context_);
}

namespace {

std::string ReplyAsText(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      return absl::StrCat(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out += "\n";
        out += ReplyAsText(r->element[i]);
      }
      return out;
    }
    default:
      return std::string(r->str != nullptr ? r->str : "", r->len);
  }
}

}  // namespace

absl::StatusOr<std::string> RawRedisClient::Run(
    const std::vector<std::string>& argv) {
  if (context_ == nullptr || context_->err != 0) {
    return absl::UnavailableError(absl::StrCat(
        "raw client: ", context_ == nullptr ? "no context" : context_->errstr));
  }
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(
      context_, static_cast<int>(args.size()), args.data(), lengths.data()));
  if (reply == nullptr)
    return absl::UnavailableError(
        absl::StrCat("raw client: ", context_->errstr));
  const bool error = reply->type == REDIS_REPLY_ERROR;
  std::string text = ReplyAsText(reply);
  freeReplyObject(reply);
  if (error) return absl::InternalError(text);
  return text;
}

absl::StatusOr<std::vector<std::string>> RawRedisClient::Strings(
    const std::vector<std::string>& argv) {
  if (context_ == nullptr || context_->err != 0)
    return absl::UnavailableError("raw client");
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(
      context_, static_cast<int>(args.size()), args.data(), lengths.data()));
  if (reply == nullptr)
    return absl::UnavailableError(
        absl::StrCat("raw client: ", context_->errstr));
  std::vector<std::string> out;
  absl::Status status;
  if (reply->type != REDIS_REPLY_ARRAY) {
    status =
        absl::InternalError(absl::StrCat("not an array: ", ReplyAsText(reply)));
  } else {
    for (size_t i = 0; i < reply->elements; ++i)
      out.push_back(ReplyAsText(reply->element[i]));
  }
  freeReplyObject(reply);
  if (!status.ok()) return status;
  return out;
}

int LastCpuIfSeveral() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return -1;
  if (CPU_COUNT(&allowed) < 2) return -1;
  for (int cpu = CPU_SETSIZE - 1; cpu >= 0; --cpu) {
    if (CPU_ISSET(cpu, &allowed)) return cpu;
  }
  return -1;
}

}  // namespace persistence::redis::testing
