// Copyright 2026 The eventpersist Authors.
//
// Crash safety of the RocksDB journal, with a real second process: the
// crash_writer helper persists atomic writes of 3 events to 4 ids and
// reports each acknowledgement on a pipe; this test kills it with SIGKILL
// at a random moment, many times, and after each kill reopens the database
// and checks that
//   - every acknowledged event is there (with fsync on and with fsync off:
//     a process kill never loses what the OS already has);
//   - no atomic write is half-present (each id holds 1..3k, no gap);
//   - the highest sequence number matches the events, and the next writer
//     resumes right after it.
// It also checks that a second process cannot open a database in use.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/rocksdb/rocksdb_journal.h"
#include "backends/rocksdb/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace persistence::rocksdb {
namespace {

using ::testing::HasSubstr;
using testing::JournalSection;
using testing::TempDir;

constexpr int kIds = 4;
constexpr int kGroup = 3;

std::string HelperPath() {
  const char* env = std::getenv("CRASH_WRITER");
  return env != nullptr && *env != '\0' ? env : "backends/rocksdb/crash_writer";
}

// Child: a running crash_writer whose stdout is a pipe to us.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    std::vector<std::string> argv_storage = {HelperPath()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
  }

  ~Child() {
    Kill();
    if (out_ >= 0) close(out_);
  }

  bool started() const { return pid_ > 0 && out_ >= 0; }

  // ReadLines reads what arrives until `deadline`, or until `stop` says so,
  // or until the child closes its end. Returns false at end of stream.
  template <typename Stop>
  bool ReadLines(std::chrono::steady_clock::time_point deadline, Stop stop) {
    char buffer[4096];
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      const int wait_ms =
          now >= deadline
              ? 0
              : static_cast<int>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - now)
                        .count());
      pollfd p{out_, POLLIN, 0};
      const int ready = poll(&p, 1, wait_ms);
      if (ready <= 0) return true;  // deadline
      const ssize_t n = read(out_, buffer, sizeof(buffer));
      if (n <= 0) return false;
      partial_.append(buffer, static_cast<size_t>(n));
      size_t newline;
      while ((newline = partial_.find('\n')) != std::string::npos) {
        lines_.push_back(partial_.substr(0, newline));
        partial_.erase(0, newline + 1);
      }
      if (stop(lines_)) return true;
    }
  }

  // Kill sends SIGKILL and reaps; returns the wait status.
  int Kill() {
    if (pid_ <= 0) return status_;
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }

  // Drain reads the rest of the pipe after the child is gone.
  void Drain() {
    while (ReadLines(std::chrono::steady_clock::now() + std::chrono::seconds(5),
                     [](const std::vector<std::string>&) { return false; })) {
    }
  }

  const std::vector<std::string>& lines() const { return lines_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int status_ = 0;
  std::string partial_;
  std::vector<std::string> lines_;
};

struct Verified {
  std::vector<int64_t> highest = std::vector<int64_t>(kIds, 0);
};

// Verify reopens the database in this process and checks every id.
void Verify(const std::string& path, const std::vector<int64_t>& acked,
            Verified* out, const std::string& round) {
  RocksDbJournal journal(JournalSection(path));
  absl::Status started = journal.Start();
  ASSERT_TRUE(started.ok()) << round << started;
  for (int i = 0; i < kIds; ++i) {
    const std::string id = absl::StrCat("crash-", i);
    absl::StatusOr<int64_t> highest =
        journal.AsyncReadHighestSequenceNr(id, 0).Get();
    ASSERT_TRUE(highest.ok()) << round << highest.status();
    int64_t expected_next = 1;
    bool in_order = true;
    absl::Status replayed =
        journal
            .AsyncReplayMessages(
                id, 1, kMaxSequenceNr, kMaxSequenceNr,
                [&](const PersistentRepr& e) {
                  const std::string* p = e.payload.As<std::string>();
                  if (e.sequence_nr != expected_next || p == nullptr ||
                      *p != absl::StrCat(id, ":", e.sequence_nr)) {
                    in_order = false;
                  }
                  ++expected_next;
                })
            .Get();
    ASSERT_TRUE(replayed.ok()) << round << replayed;
    const int64_t stored = expected_next - 1;
    EXPECT_TRUE(in_order) << round << id
                          << ": a gap, a duplicate or a wrong payload";
    EXPECT_EQ(stored % kGroup, 0)
        << round << id << ": an atomic write is half-present (" << stored
        << " events)";
    EXPECT_EQ(*highest, stored)
        << round << id << ": highest does not match the events";
    EXPECT_GE(stored, acked[i])
        << round << id << ": acknowledged events are missing";
    EXPECT_LE(stored, acked[i] + kGroup)
        << round << id << ": more than the one write in flight appeared";
    EXPECT_GE(stored, out->highest[i])
        << round << id << ": events that were there vanished";
    out->highest[i] = stored;
  }
}

void CrashRounds(const std::string& fsync, int rounds) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/db";
  const unsigned seed = static_cast<unsigned>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  std::cout << "crash rounds with fsync = " << fsync << ", seed " << seed
            << "\n";
  std::mt19937 random(seed);
  Verified verified;
  int64_t total_acked = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string where =
        absl::StrCat("round ", round, " (seed ", seed, "): ");
    // Mostly mid-stream kills; every fifth during start-up and recovery.
    const int kill_after_ms = round % 5 == 4
                                  ? static_cast<int>(random() % 15)
                                  : 20 + static_cast<int>(random() % 250);
    Child child({"--path=" + path, "--fsync=" + fsync,
                 absl::StrCat("--ids=", kIds),
                 absl::StrCat("--group=", kGroup)});
    ASSERT_TRUE(child.started()) << where << "cannot start " << HelperPath();
    const auto start = std::chrono::steady_clock::now();
    const auto never = [](const std::vector<std::string>&) { return false; };
    if (round % 5 == 4) {
      // Killed during start-up or recovery, maybe before any write.
      child.ReadLines(start + std::chrono::milliseconds(kill_after_ms), never);
    } else {
      // Killed mid-stream: the kill point counts from the first ack.
      bool writing = false;
      child.ReadLines(start + std::chrono::seconds(20),
                      [&](const std::vector<std::string>& l) {
                        for (const std::string& line : l)
                          writing = writing || line.rfind("ack", 0) == 0;
                        return writing;
                      });
      ASSERT_TRUE(writing) << where << "no write acknowledged within 20 s: "
                           << (child.lines().empty() ? ""
                                                     : child.lines().back());
      child.ReadLines(std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(kill_after_ms),
                      never);
    }
    const int status = child.Kill();
    child.Drain();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << where << "the writer ended on its own: "
        << (child.lines().empty() ? "" : child.lines().back());
    std::vector<int64_t> acked = verified.highest;
    for (const std::string& line : child.lines()) {
      std::istringstream in(line);
      std::string kind;
      int i;
      int64_t highest;
      in >> kind >> i >> highest;
      ASSERT_FALSE(kind == "error") << where << line;
      if (kind == "start") {
        EXPECT_EQ(highest, verified.highest[i])
            << where << "the writer must resume after the stored highest";
      } else if (kind == "ack") {
        ASSERT_GT(highest, acked[i]) << where << "acks go up";
        total_acked += highest - acked[i];
        acked[i] = highest;
      }
    }
    Verify(path, acked, &verified, where);
    if (::testing::Test::HasFailure()) return;
  }
  std::cout << "acknowledged events over all rounds: " << total_acked << "\n";
  EXPECT_GT(total_acked, 0) << "the writer never got to write";
}

TEST(CrashTest, KilledWriterLosesNothingAcknowledgedWithFsync) {
  CrashRounds("on", 20);
}

TEST(CrashTest, KilledWriterLosesNothingAcknowledgedWithoutFsync) {
  CrashRounds("off", 10);
}

TEST(CrashTest, SecondProcessIsRefusedWithThePath) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  Child holder({"--path=" + path, "--hold"});
  ASSERT_TRUE(holder.started());
  bool ready = false;
  holder.ReadLines(std::chrono::steady_clock::now() + std::chrono::seconds(20),
                   [&](const std::vector<std::string>& lines) {
                     for (const std::string& l : lines)
                       ready = ready || l == "ready";
                     return ready;
                   });
  ASSERT_TRUE(ready) << "the holder did not open the database: "
                     << (holder.lines().empty() ? "" : holder.lines().back());
  RocksDbJournal journal(JournalSection(path));
  absl::Status s = journal.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
  EXPECT_THAT(std::string(s.message()), HasSubstr("another process"));
  holder.Kill();
  // Once the other process is gone, the database opens.
  RocksDbJournal after(JournalSection(path));
  EXPECT_TRUE(after.Start().ok());
}

}  // namespace
}  // namespace persistence::rocksdb
