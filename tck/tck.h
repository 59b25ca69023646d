// Copyright 2026 The eventpersist Authors.
//
// tck.h: the compatibility kit's settings and its hooks for backends.
//
// A backend does not write a test main: the `persistence_backend` Bazel
// macro (tck/tck.bzl) links the kit's suites with the backend's plugin
// library and passes the backend's config file and capability flags as
// command-line arguments, which InitTck reads (docs/tck.md).
//
// A backend that needs a server (Redis) registers a TckFixture: its SetUp
// runs once before the suites, starts the server and returns extra HOCON
// (say, the port) that is laid over the backend's config; TearDown stops it.
// StopServer / StartServer let the kit's fault cases take the server away.
// A backend that keeps files needs only TemporaryDirectoryFixture.
//
// Thread-safety: settings are written once in main, before the tests run.
//
// Example (in a backend's fixture .cc):
//
//   class RedisFixture : public TckFixture {
//     absl::StatusOr<std::string> SetUp() override;   // "redis.port = 41234"
//     void TearDown() override;
//   };
//   PERSISTENCE_REGISTER(FixtureRegistry, "redis", Construct<RedisFixture>);
#ifndef PERSISTENCE_TCK_TCK_H_
#define PERSISTENCE_TCK_TCK_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/config.h"
#include "persistence/api/registry.h"

namespace persistence::tck {

// kSanitizerSlowdown: how much slower the kit's binary runs under
// ThreadSanitizer or AddressSanitizer (--config=tsan, --config=asan), as a
// factor for the kit's waits and for a fixture's timeouts (a server's
// command timeout, say). 1 in a normal build.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr int kSanitizerSlowdown = 5;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
inline constexpr int kSanitizerSlowdown = 5;
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif

// Capability flags: what a backend declares it supports. The defaults
// are those of docs/tck.md; a flag that is off makes its cases skip with the
// reason.
struct Capabilities {
  bool supports_atomic_persist_all_of_several_events = true;
  bool supports_rejecting_non_serializable_objects = false;
  bool supports_serialization = true;
  bool supports_metadata = false;
  bool supports_replay_only_last = false;
  bool prevents_concurrent_writers = false;
  // A new plugin instance over the same data (a directory, a server) sees
  // what the last one stored: the restart cases run.
  bool survives_restart = true;
};

// [START tck-fixture]
class TckFixture {
 public:
  virtual ~TckFixture() = default;
  // SetUp returns HOCON laid over the backend's config file.
  virtual absl::StatusOr<std::string> SetUp() { return std::string(); }
  virtual void TearDown() {}
  // StopServer / StartServer take the backend's server away and back; a
  // fixture without a server leaves them Unimplemented.
  virtual absl::Status StopServer() {
    return absl::UnimplementedError("this backend has no server to stop");
  }
  virtual absl::Status StartServer() {
    return absl::UnimplementedError("this backend has no server to start");
  }
};
// [END tck-fixture]

// FixtureRegistry: the backend's fixture (registry.h). A kit binary links
// at most one; with none, the kit uses a TckFixture that does nothing.
struct FixtureClasses : FactoriesOf<TckFixture> {
  static constexpr char kWhat[] = "kit fixture";
};
using FixtureRegistry = Registry<FixtureClasses>;

// TemporaryDirectoryFixture gives each run of a kit or perf binary a fresh
// directory (under $TEST_TMPDIR when Bazel sets it, else $TMPDIR or /tmp)
// and sets the config key `key` to a path inside it; TearDown removes it.
//
//   class MyFixture : public TemporaryDirectoryFixture {
//    public:
//     MyFixture() : TemporaryDirectoryFixture("persistence.journal.my.path") {}
//   };
//   PERSISTENCE_REGISTER(FixtureRegistry, "my", Construct<MyFixture>);
class TemporaryDirectoryFixture : public TckFixture {
 public:
  explicit TemporaryDirectoryFixture(std::string key);
  absl::StatusOr<std::string> SetUp() override;
  void TearDown() override;

 private:
  const std::string key_;
  std::string directory_;
};

struct TckSettings {
  Capabilities capabilities;
  std::string config_path;  // the backend's HOCON file
  // --target=host:port: a server that is already running. A fixture that
  // starts a server of its own uses this one instead (the kit's fault cases
  // that stop the server then skip).
  std::string target;
  Config config;  // loaded: fixture overlay, file, reference.conf
  TckFixture* fixture = nullptr;
  // Perf settings (perf target only).
  int perf_events = 10000;
  int perf_iterations = 10;
  int perf_actors = 1000;
  int perf_events_per_actor = 100;
  // The memory rows of docs/perf.md (0 skips one): RSS growth while one actor
  // recovers this many events, and RSS per recovered idle actor.
  int perf_memory_events = 1000000;
  int perf_memory_actors = 10000;
  bool perf_run_kit = true;
  // Rows of the perf table to run, comma-separated ("persist,recover");
  // empty runs them all.
  std::string perf_rows;
};

// Settings is the process-wide settings, filled by InitTck.
TckSettings& Settings();

// InitTck parses --config=, --target=, --supports_*=,
// --prevents_concurrent_writers=,
// --perf_*= (--perf_rows= takes a comma-separated list; after googletest has
// taken its own flags), runs the fixture's SetUp and loads the config. Errors
// name the flag or file.
absl::Status InitTck(int argc, char** argv);
void ShutdownTck();

// InstallKitSummary makes googletest print, at the end of the run,
// "kit: N passed, M skipped" and each skipped case with its reason, so a
// flag that is off shows in the test log (call after InitGoogleTest).
// It also checks the capability flags: a case one flag gates must run when
// the flag is on and skip when it is off; KitFlagsHeld is false after a
// run where one did not (the kit's main then fails).
void InstallKitSummary();
bool KitFlagsHeld();

}  // namespace persistence::tck

#endif  // PERSISTENCE_TCK_TCK_H_
