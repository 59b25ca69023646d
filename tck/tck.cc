// Copyright 2026 The eventpersist Authors.
#include "tck/tck.h"

#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "persistence/api/reference_conf.h"

namespace persistence::tck {
namespace {

std::function<std::unique_ptr<TckFixture>()>& FixtureFactory() {
  static auto* factory = new std::function<std::unique_ptr<TckFixture>()>();
  return *factory;
}

std::unique_ptr<TckFixture>& FixtureInstance() {
  static auto* fixture = new std::unique_ptr<TckFixture>();
  return *fixture;
}

absl::StatusOr<bool> ParseBool(const std::string& flag, const std::string& v) {
  if (v == "true" || v == "1" || v == "on") return true;
  if (v == "false" || v == "0" || v == "off") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("flag --", flag, ": expected true or false, got '", v, "'"));
}

absl::StatusOr<int> ParseInt(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 0 || n > 1000000000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "flag --", flag, ": expected a non-negative integer, got '", v, "'"));
  }
  return static_cast<int>(n);
}

}  // namespace

bool RegisterTckFixture(std::function<std::unique_ptr<TckFixture>()> factory) {
  FixtureFactory() = std::move(factory);
  return true;
}

TckSettings& Settings() {
  static auto* settings = new TckSettings();
  return *settings;
}

absl::Status InitTck(int argc, char** argv) {
  TckSettings& s = Settings();
  Capabilities& c = s.capabilities;
  const std::map<std::string, bool*> bools = {
      {"supports_atomic_persist_all_of_several_events",
       &c.supports_atomic_persist_all_of_several_events},
      {"supports_rejecting_non_serializable_objects",
       &c.supports_rejecting_non_serializable_objects},
      {"supports_serialization", &c.supports_serialization},
      {"supports_metadata", &c.supports_metadata},
      {"supports_replay_only_last", &c.supports_replay_only_last},
      {"prevents_concurrent_writers", &c.prevents_concurrent_writers},
      {"perf_run_kit", &s.perf_run_kit},
  };
  const std::map<std::string, int*> ints = {
      {"perf_events", &s.perf_events},
      {"perf_iterations", &s.perf_iterations},
      {"perf_actors", &s.perf_actors},
      {"perf_events_per_actor", &s.perf_events_per_actor},
      {"perf_memory_events", &s.perf_memory_events},
      {"perf_memory_actors", &s.perf_memory_actors},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'"));
    }
    const size_t eq = arg.find('=');
    const std::string name =
        arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const std::string value =
        eq == std::string::npos ? "true" : arg.substr(eq + 1);
    if (name == "config") {
      s.config_path = value;
    } else if (name == "perf_rows") {
      s.perf_rows = value;
    } else if (auto b = bools.find(name); b != bools.end()) {
      absl::StatusOr<bool> v = ParseBool(name, value);
      if (!v.ok()) return v.status();
      *b->second = *v;
    } else if (auto n = ints.find(name); n != ints.end()) {
      absl::StatusOr<int> v = ParseInt(name, value);
      if (!v.ok()) return v.status();
      *n->second = *v;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  if (s.config_path.empty()) {
    return absl::InvalidArgumentError(
        "missing --config=<backend's HOCON file>");
  }
  std::string overlay;
  if (FixtureFactory()) {
    FixtureInstance() = FixtureFactory()();
    absl::StatusOr<std::string> extra = FixtureInstance()->SetUp();
    if (!extra.ok()) {
      return absl::Status(extra.status().code(),
                          absl::StrCat("backend fixture set-up failed: ",
                                       extra.status().message()));
    }
    overlay = *extra;
  } else {
    FixtureInstance() = std::make_unique<TckFixture>();
  }
  s.fixture = FixtureInstance().get();
  absl::StatusOr<Config> file = Config::ParseFile(s.config_path);
  if (!file.ok()) return file.status();
  absl::StatusOr<Config> extra =
      Config::ParseString(overlay, "backend fixture");
  if (!extra.ok()) return extra.status();
  absl::StatusOr<Config> loaded = LoadConfig(extra->WithFallback(*file));
  if (!loaded.ok()) return loaded.status();
  s.config = *loaded;
  return absl::OkStatus();
}

void ShutdownTck() {
  if (FixtureInstance() != nullptr) FixtureInstance()->TearDown();
  FixtureInstance().reset();
  Settings().fixture = nullptr;
}

}  // namespace persistence::tck
