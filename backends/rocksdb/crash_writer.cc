// Copyright 2026 The eventpersist Authors.
//
// crash_writer: the child process of crash_test. It opens the RocksDB
// journal at --path and writes forever, in atomic writes of --group events,
// to --ids persistence ids at once (one write in flight per id, so the
// writes of all ids share group commits). On stdout it reports
//
//   start <id index> <highest>     the highest it found, before writing
//   ack <id index> <highest>       a write acknowledged up to <highest>
//
// each line with one write(2), as soon as it is true, so that whatever the
// parent has read when it kills this process with SIGKILL was acknowledged.
//
//   crash_writer --path=/tmp/db --fsync=on --ids=4 --group=3
//   crash_writer --path=/tmp/db --hold     # open, say "ready", wait
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/rocksdb_journal.h"
#include "backends/rocksdb/test_util.h"

namespace persistence::rocksdb {
namespace {

void Say(const std::string& line) {
  // One write per line: the parent never sees half a line from a kill.
  const std::string text = line + "\n";
  ssize_t ignored = ::write(STDOUT_FILENO, text.data(), text.size());
  (void)ignored;
}

std::string Flag(int argc, char** argv, const std::string& name,
                 const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      return argv[i] + prefix.size();
    }
    if (argv[i] == "--" + name) return "true";
  }
  return fallback;
}

int Main(int argc, char** argv) {
  const std::string path = Flag(argc, argv, "path", "");
  const std::string fsync = Flag(argc, argv, "fsync", "on");
  const bool hold = Flag(argc, argv, "hold", "false") == "true";
  const int ids = std::stoi(Flag(argc, argv, "ids", "4"));
  const int group = std::stoi(Flag(argc, argv, "group", "3"));
  if (path.empty()) {
    Say("error --path is required");
    return 2;
  }
  RocksDbJournal journal(testing::JournalSection(
      path, absl::StrCat("persistence.journal.rocksdb.fsync = ", fsync)));
  absl::Status started = journal.Start();
  if (!started.ok()) {
    Say(absl::StrCat("error ", started.ToString()));
    return 3;
  }
  if (hold) {
    Say("ready");
    for (;;) pause();
  }
  std::vector<int64_t> highest(ids);
  for (int i = 0; i < ids; ++i) {
    absl::StatusOr<int64_t> h =
        journal.AsyncReadHighestSequenceNr(absl::StrCat("crash-", i), 0).Get();
    if (!h.ok()) {
      Say(absl::StrCat("error ", h.status().ToString()));
      return 4;
    }
    highest[i] = *h;
    Say(absl::StrCat("start ", i, " ", *h));
  }
  for (;;) {
    std::vector<Future<absl::StatusOr<WriteResults>>> pending;
    for (int i = 0; i < ids; ++i) {
      const std::string id = absl::StrCat("crash-", i);
      const int64_t first = highest[i] + 1;
      const int64_t last = highest[i] + group;
      pending.push_back(
          journal.AsyncWriteMessages({testing::Atomic(id, first, last)}));
      pending.back().OnComplete(
          [i, last](const absl::StatusOr<WriteResults>& r) {
            if (r.ok() && (*r)[0].ok()) Say(absl::StrCat("ack ", i, " ", last));
          });
      highest[i] = last;
    }
    for (auto& f : pending) {
      const absl::StatusOr<WriteResults>& r = f.Get();
      if (!r.ok() || !(*r)[0].ok()) {
        Say(absl::StrCat("error ",
                         r.ok() ? (*r)[0].ToString() : r.status().ToString()));
        return 5;
      }
    }
  }
}

}  // namespace
}  // namespace persistence::rocksdb

int main(int argc, char** argv) {
  return persistence::rocksdb::Main(argc, argv);
}
