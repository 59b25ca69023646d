// Copyright 2026 The eventpersist Authors.
//
// journal_driver.h: JournalDriver, a test's handle on a journal actor of
// the runtime: it sends requests and waits for the replies, never longer
// than kDriverHang (a longer wait is a hang, and fails the test). And two
// helpers for tests that call a journal plugin directly: OneEvent and
// ReplayAll.
//
// Thread-safety: const methods; use from any thread.
//
// Example:
//
//   JournalDriver driver(*system->Extension<Persistence>().Journal());
//   absl::Status s = driver.Write({write});
//   absl::StatusOr<std::vector<int64_t>> seqs = driver.Replay("p-1");
#ifndef BACKENDS_REDIS_TESTING_JOURNAL_DRIVER_H_
#define BACKENDS_REDIS_TESTING_JOURNAL_DRIVER_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "persistence/api/future.h"
#include "persistence/api/journal.h"
#include "persistence/runtime/actor.h"
#include "persistence/runtime/journal_protocol.h"

namespace persistence::redis::testing {

constexpr std::chrono::seconds kDriverHang(20);

// OneEvent is an atomic write of event `seq` of `id` alone (payload
// "event-<seq>", writer "writer").
inline AtomicWrite OneEvent(const std::string& id, int64_t seq) {
  PersistentRepr e;
  e.persistence_id = id;
  e.sequence_nr = seq;
  e.payload = Payload::Of(absl::StrCat("event-", seq));
  e.writer_uuid = "writer";
  return *AtomicWrite::Make({std::move(e)});
}

// ReplayAll is the sequence numbers the plugin replays of `id`, all of
// them, in the order it replays them.
inline absl::StatusOr<std::vector<int64_t>> ReplayAll(
    AsyncWriteJournal& journal, const std::string& id) {
  auto seqs = std::make_shared<std::vector<int64_t>>();
  absl::Status s =
      journal
          .AsyncReplayMessages(id, 1, kMaxSequenceNr, kMaxSequenceNr,
                               ReplayCallback([seqs](const PersistentRepr& e) {
                                 seqs->push_back(e.sequence_nr);
                               }))
          .Get();
  if (!s.ok()) return s;
  return *seqs;
}

// kFailFastJournal selects the Redis journal with short timeouts and a
// circuit breaker that opens after 3 failures and tries again after 1 s:
// the config of the tests that take servers away under the runtime.
constexpr char kFailFastJournal[] =
    "persistence.journal.plugin = \"persistence.journal.redis\"\n"
    "persistence.journal.redis {\n"
    "  command-timeout = 1s\n"
    "  reconnect-max-backoff = 200ms\n"
    "  circuit-breaker { max-failures = 3, call-timeout = 2s, "
    "reset-timeout = 1s }\n"
    "}\n";

// Sends requests to a journal actor and waits for the replies, never
// longer than kDriverHang.
class JournalDriver {
 public:
  explicit JournalDriver(ActorRef<JournalRequest> journal)
      : journal_(journal) {}

  Future<WriteMessagesResult> WriteAsync(
      std::vector<AtomicWrite> writes) const {
    Promise<WriteMessagesResult> done;
    journal_.Tell(WriteMessages{
        std::move(writes),
        [done](WriteMessagesResult r) { done.Set(std::move(r)); }});
    return done.GetFuture();
  }

  // Write: the call's status (a timeout here is a hang: the test fails).
  absl::Status Write(std::vector<AtomicWrite> writes) const {
    Future<WriteMessagesResult> f = WriteAsync(std::move(writes));
    if (!f.WaitFor(kDriverHang)) {
      ADD_FAILURE() << "a write did not complete within " << kDriverHang.count()
                    << "s";
      return absl::DeadlineExceededError("hang");
    }
    const WriteMessagesResult& r = f.Get();
    if (!r.status.ok()) return r.status;
    for (const absl::Status& s : r.results) {
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<int64_t>> Replay(const std::string& id) const {
    auto seqs = std::make_shared<std::vector<int64_t>>();
    auto mu = std::make_shared<std::mutex>();
    Promise<absl::StatusOr<int64_t>> done;
    ReplayMessages request;
    request.persistence_id = id;
    request.on_events = [seqs, mu](absl::Span<PersistentRepr> events) {
      std::lock_guard<std::mutex> lock(*mu);
      for (const PersistentRepr& e : events) seqs->push_back(e.sequence_nr);
    };
    request.on_done = [done](absl::StatusOr<int64_t> h) { done.Set(h); };
    journal_.Tell(std::move(request));
    Future<absl::StatusOr<int64_t>> f = done.GetFuture();
    if (!f.WaitFor(kDriverHang))
      return absl::DeadlineExceededError("replay hangs");
    if (!f.Get().ok()) return f.Get().status();
    std::lock_guard<std::mutex> lock(*mu);
    return *seqs;
  }

 private:
  ActorRef<JournalRequest> journal_;
};

}  // namespace persistence::redis::testing

#endif  // BACKENDS_REDIS_TESTING_JOURNAL_DRIVER_H_
