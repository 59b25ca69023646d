// Copyright 2026 The eventpersist Authors.
#include "backends/grpc/testing/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace persistence::grpc_backend::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TempRoot() {
  for (const char* var : {"TEST_TMPDIR", "TMPDIR"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  return "/tmp";
}

}  // namespace

std::string ServerBinary() {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* root = std::getenv(var);
    if (root == nullptr) continue;
    for (const char* repo : {"eventpersist", "__main__"}) {
      std::string path = absl::StrCat(root, "/", repo, "/backends/grpc/server");
      if (std::filesystem::exists(path)) return path;
    }
  }
  return "backends/grpc/server";
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& config, const std::string& binary) {
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->binary_ = binary.empty() ? ServerBinary() : binary;
  std::string pattern = TempRoot() + "/grpc-server-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  server->directory_ = pattern;
  server->config_path_ = server->directory_ + "/server.conf";
  server->user_config_ = config;
  if (absl::Status s = server->Launch(); !s.ok()) return s;
  return server;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
}

std::string ServerProcess::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string ServerProcess::Output() const {
  return ReadAll(directory_ + "/server.log");
}

absl::Status ServerProcess::Launch() {
  // The fixture's defaults first: later keys win, so the caller's config
  // may change any of them.
  std::ofstream(config_path_)
      << "persistence.remote-server.listen = \"127.0.0.1:" << port_ << "\"\n"
      << "persistence.journal.rocksdb.path = \"" << directory_ << "/rocksdb\"\n"
      << user_config_ << "\n";
  const std::string port_file = directory_ + "/port";
  std::filesystem::remove(port_file);
  const std::string log = directory_ + "/server.log";
  // posix_spawn, not fork: the test's process has gRPC's threads, and a
  // forked child that runs code of its own before exec can block on a lock
  // one of them held. The server's stdout and stderr go to its log.
  std::string config_arg = "--config=" + config_path_;
  std::string port_arg = "--port-file=" + port_file;
  char* argv[] = {binary_.data(), config_arg.data(), port_arg.data(), nullptr};
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "BUILD_WORKING_DIRECTORY=")) continue;
    env.push_back(*e);
  }
  env.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&files, 1, 2);
  pid_t pid = -1;
  const int spawned =
      posix_spawn(&pid, binary_.c_str(), &files, nullptr, argv, env.data());
  posix_spawn_file_actions_destroy(&files);
  if (spawned != 0) {
    return absl::InternalError(absl::StrCat("cannot run the server ", binary_,
                                            ": ", std::strerror(spawned)));
  }
  pid_ = pid;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::FailedPreconditionError(
          absl::StrCat("the server (", binary_, ") exited (status ", status,
                       ") before it listened; its log:\n", Output()));
    }
    const std::string port = ReadAll(port_file);
    if (!port.empty()) {
      port_ = std::atoi(port.c_str());
      return absl::OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // A server that neither listens nor exits is of no use to the caller,
  // and must not hold the port for the next attempt.
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return absl::DeadlineExceededError(
      absl::StrCat("the server (", binary_, ", pid ", pid,
                   ") ran for 30 s without listening on port ", port_,
                   "; it was killed. Its log:\n", Output()));
}

absl::Status ServerProcess::Kill() {
  if (pid_ <= 0)
    return absl::FailedPreconditionError("the server is not running");
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status ServerProcess::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("the server is running");
  return Launch();
}

absl::StatusOr<int> ServerProcess::Terminate() {
  if (pid_ <= 0)
    return absl::FailedPreconditionError("the server is not running");
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace persistence::grpc_backend::testing
