// Copyright 2026 The eventpersist Authors.
//
// The remote journal server:
//
//   bazel run //backends/grpc:server -- --config=server.conf
//
// serves the journal and snapshot store configured under
// persistence.remote-server (RocksDB by default) until SIGTERM or SIGINT,
// then drains and exits 0. Relative paths (--config, the data directory)
// are relative to the directory `bazel run` was started in.
//
// Options:
//   --config=FILE      HOCON over the defaults (docs/configuration.md)
//   --port-file=FILE   once listening, write the port there (for scripts
//                      and tests that listen on port 0)
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/grpc/server/remote_server.h"
#include "persistence/api/reference_conf.h"
#include "persistence/api/serialization.h"

namespace {

int Fail(const std::string& message) {
  std::cerr << "remote-server: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using persistence::Config;
  std::string config_file;
  std::string port_file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--config=", 0) == 0) {
      config_file = a.substr(9);
    } else if (a.rfind("--port-file=", 0) == 0) {
      port_file = a.substr(12);
    } else {
      return Fail(absl::StrCat("unknown argument '", a,
                               "' (usage: server [--config=FILE] "
                               "[--port-file=FILE])"));
    }
  }
  if (const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY")) {
    if (chdir(cwd) != 0) return Fail(absl::StrCat("cannot enter ", cwd));
  }
  // The signals go to sigwait below, not to any thread gRPC starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The server stores its clients' events without knowing their types.
  persistence::Serialization::Global().KeepSerialized();

  Config user;
  if (!config_file.empty()) {
    absl::StatusOr<Config> parsed = Config::ParseFile(config_file);
    if (!parsed.ok()) return Fail(std::string(parsed.status().message()));
    user = *parsed;
  }
  absl::StatusOr<Config> config = persistence::LoadConfig(user);
  if (!config.ok()) return Fail(std::string(config.status().message()));
  absl::StatusOr<persistence::grpc_backend::ServerSettings> settings =
      persistence::grpc_backend::ServerSettings::FromConfig(*config);
  if (!settings.ok()) return Fail(std::string(settings.status().message()));
  absl::StatusOr<std::unique_ptr<persistence::ActorSystem>> system =
      persistence::ActorSystem::Create("remote-server", *config);
  if (!system.ok()) return Fail(std::string(system.status().message()));
  absl::StatusOr<std::unique_ptr<persistence::grpc_backend::RemoteServer>>
      server =
          persistence::grpc_backend::RemoteServer::Start(**system, *settings);
  if (!server.ok()) return Fail(std::string(server.status().message()));

  if (!port_file.empty()) {
    const std::string partial = port_file + ".partial";
    std::ofstream(partial) << (*server)->port() << "\n";
    if (std::rename(partial.c_str(), port_file.c_str()) != 0) {
      return Fail(absl::StrCat("cannot write --port-file ", port_file));
    }
  }
  std::cerr << "remote-server: serving " << settings->journal_plugin << " and "
            << settings->snapshot_store_plugin << " on " << settings->listen
            << " (port " << (*server)->port() << ")" << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  std::cerr << "remote-server: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT")
            << ": draining" << std::endl;
  (*server)->Shutdown();
  server->reset();
  (*system)->Terminate();
  std::cerr << "remote-server: stopped" << std::endl;
  return 0;
}
