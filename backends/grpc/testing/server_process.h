// Copyright 2026 The eventpersist Authors.
//
// server_process.h: ServerProcess runs //backends/grpc:server as a child
// process for tests, the kit's fixture and perf: on a free loopback port,
// with its data in a fresh directory, and stops it when destroyed.
//
// It is a process of its own (not a server in the test's process) because
// the server keeps every payload serialized (Serialization::KeepSerialized),
// which a client in the same process must not.
//
// Thread-safety: one thread at a time.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<ServerProcess>> server =
//       ServerProcess::Start("persistence.remote-server.journal-plugin = "
//                            "\"persistence.journal.inmem\"");
//   std::string address = (*server)->address();   // 127.0.0.1:<port>
#ifndef BACKENDS_GRPC_TESTING_SERVER_PROCESS_H_
#define BACKENDS_GRPC_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace persistence::grpc_backend::testing {

class ServerProcess {
 public:
  // Start runs the server with `config` (HOCON) over this fixture's
  // defaults: listen on 127.0.0.1 port 0 (the port it chose is port()),
  // RocksDB under a fresh directory (directory()). It waits until the
  // server listens; a server that exits first fails Start with its
  // output. `binary` is the server's path ("" = the one in the runfiles).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& config, const std::string& binary = "");
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  std::string address() const;
  const std::string& directory() const { return directory_; }
  // What the server wrote to stderr so far.
  std::string Output() const;

  // Kill takes the server away at once (SIGKILL); Restart brings it back
  // on the same port over the same data. Terminate is a graceful stop
  // (SIGTERM) and returns the exit status.
  absl::Status Kill();
  absl::Status Restart();
  absl::StatusOr<int> Terminate();

 private:
  ServerProcess() = default;
  absl::Status Launch();

  std::string binary_;
  std::string directory_;
  std::string config_path_;
  std::string user_config_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// ServerBinary is the path of //backends/grpc:server in the runfiles.
std::string ServerBinary();

}  // namespace persistence::grpc_backend::testing

#endif  // BACKENDS_GRPC_TESTING_SERVER_PROCESS_H_
