// Copyright 2026 The eventpersist Authors.
//
// The RocksDB backend's kit fixture: each run of a kit or perf binary gets
// a fresh database directory (under $TEST_TMPDIR when Bazel sets it, else
// under $TMPDIR or /tmp), removed again when the run ends.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tck/tck.h"

namespace persistence::rocksdb_backend {
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

class RocksDbTckFixture : public tck::TckFixture {
 public:
  absl::StatusOr<std::string> SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    if (base == nullptr || *base == '\0') base = std::getenv("TMPDIR");
    if (base == nullptr || *base == '\0') base = "/tmp";
    std::string pattern = absl::StrCat(base, "/rocksdb-tck-XXXXXX");
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      return absl::UnavailableError(absl::StrCat(
          "cannot create a temporary directory from '", pattern, "'"));
    }
    directory_ = buffer.data();
    return absl::StrCat("persistence.journal.rocksdb.path = ",
                        HoconQuoted(directory_ + "/db"), "\n");
  }

  void TearDown() override {
    if (directory_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

 private:
  std::string directory_;
};

PERSISTENCE_REGISTER_TCK_FIXTURE(RocksDbTckFixture);

}  // namespace
}  // namespace persistence::rocksdb_backend
