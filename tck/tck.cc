// Copyright 2026 The eventpersist Authors.
#include "tck/tck.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "persistence/api/reference_conf.h"

namespace persistence::tck {
namespace {

std::string HoconQuoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// NewFixture builds the one registered fixture, or one that does nothing.
absl::StatusOr<std::unique_ptr<TckFixture>> NewFixture() {
  const std::vector<std::string> names = FixtureRegistry::Global().Names();
  if (names.empty()) return std::make_unique<TckFixture>();
  if (names.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("a kit binary links one backend fixture; this one has [",
                     absl::StrJoin(names, ", "), "]"));
  }
  return Create(FixtureRegistry::Global(), names[0], Config(), "");
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

TemporaryDirectoryFixture::TemporaryDirectoryFixture(std::string key)
    : key_(std::move(key)) {}

absl::StatusOr<std::string> TemporaryDirectoryFixture::SetUp() {
  const char* base = std::getenv("TEST_TMPDIR");
  if (base == nullptr || *base == '\0') base = std::getenv("TMPDIR");
  if (base == nullptr || *base == '\0') base = "/tmp";
  std::string pattern = absl::StrCat(base, "/eventpersist-kit-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create a temporary directory from '", pattern, "'"));
  }
  directory_ = buffer.data();
  return absl::StrCat(key_, " = ", HoconQuoted(directory_ + "/data"), "\n");
}

void TemporaryDirectoryFixture::TearDown() {
  if (directory_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
  directory_.clear();
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
      {"survives_restart", &c.survives_restart},
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
    } else if (name == "target") {
      s.target = value;
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
  absl::StatusOr<std::unique_ptr<TckFixture>> fixture = NewFixture();
  if (!fixture.ok()) return fixture.status();
  FixtureInstance() = *std::move(fixture);
  absl::StatusOr<std::string> overlay = FixtureInstance()->SetUp();
  if (!overlay.ok()) {
    return absl::Status(overlay.status().code(),
                        absl::StrCat("backend fixture set-up failed: ",
                                     overlay.status().message()));
  }
  s.fixture = FixtureInstance().get();
  absl::StatusOr<Config> file = Config::ParseFile(s.config_path);
  if (!file.ok()) return file.status();
  // The kit checks what the journal stores and replays, so no replay
  // filter stands between them (docs/tck.md).
  absl::StatusOr<Config> extra = Config::ParseString(
      absl::StrCat(*overlay,
                   "\npersistence.journal-plugin-fallback.replay-filter.mode "
                   "= off\n"),
      "backend fixture");
  if (!extra.ok()) return extra.status();
  absl::StatusOr<Config> loaded = LoadConfig(extra->WithFallback(*file));
  if (!loaded.ok()) return loaded.status();
  s.config = *loaded;
  return absl::OkStatus();
}

namespace {

bool flags_held = true;

// GatingFlag: the capability flag that decides whether a case runs, for
// the cases one flag gates; nullptr for the others.
const bool* GatingFlag(const std::string& name) {
  const Capabilities& c = Settings().capabilities;
  static const auto* gated = new std::map<std::string, const bool*>{
      {"JournalSpec.OptRejectNonSerializable",
       &c.supports_rejecting_non_serializable_objects},
      {"JournalSpec.OptSerializationOfUserType", &c.supports_serialization},
      {"JournalSpec.OptMetadata", &c.supports_metadata},
      {"JournalSpec.OptReplayOnlyLast", &c.supports_replay_only_last},
      {"JournalSpec.XPartialBatchAtomicity",
       &c.supports_atomic_persist_all_of_several_events},
      {"JournalSpec.RestartEventsSurvive", &c.survives_restart},
      {"JournalSpec.RestartDeletesAndHighestSurvive", &c.survives_restart},
      {"JournalSpec.RestartWritesGoOnAtTheNextSequenceNr", &c.survives_restart},
      {"SnapshotStoreSpec.OptSerializationOfUserType",
       &c.supports_serialization},
      {"SnapshotStoreSpec.OptMetadata", &c.supports_metadata},
      {"SnapshotStoreSpec.RestartSnapshotsAndDeletesSurvive",
       &c.survives_restart},
  };
  auto it = gated->find(name);
  return it == gated->end() ? nullptr : it->second;
}

class KitSummary : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo& test) override {
    const ::testing::TestResult& result = *test.result();
    const std::string name =
        absl::StrCat(test.test_suite_name(), ".", test.name());
    // A case its flag gates runs exactly when the backend declares it.
    if (const bool* flag = GatingFlag(name); flag != nullptr) {
      if (*flag && result.Skipped()) {
        violations_.push_back(
            absl::StrCat(name, " skipped although its flag is on"));
      } else if (!*flag && !result.Skipped()) {
        violations_.push_back(
            absl::StrCat(name, " ran although its flag is off"));
      }
    }
    if (result.Skipped()) {
      std::string reason;
      for (int i = 0; i < result.total_part_count(); ++i) {
        const ::testing::TestPartResult& part = result.GetTestPartResult(i);
        if (part.skipped()) reason = part.message();
      }
      skipped_.push_back(absl::StrCat(name, ": ", reason));
    } else if (result.Passed()) {
      ++passed_;
    } else {
      ++failed_;
    }
  }

  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    std::cout << "kit: " << passed_ << " passed, " << skipped_.size()
              << " skipped"
              << (failed_ > 0 ? absl::StrCat(", ", failed_, " failed") : "")
              << "\n";
    for (const std::string& s : skipped_)
      std::cout << "  skipped " << s << "\n";
    for (const std::string& v : violations_) {
      std::cout << "kit: FAILED: " << v << "\n";
      flags_held = false;
    }
  }

 private:
  std::vector<std::string> violations_;
  int passed_ = 0;
  int failed_ = 0;
  std::vector<std::string> skipped_;
};

}  // namespace

bool KitFlagsHeld() { return flags_held; }

void InstallKitSummary() {
  ::testing::UnitTest::GetInstance()->listeners().Append(new KitSummary());
}

void ShutdownTck() {
  if (FixtureInstance() != nullptr) FixtureInstance()->TearDown();
  FixtureInstance().reset();
  Settings().fixture = nullptr;
}

}  // namespace persistence::tck
