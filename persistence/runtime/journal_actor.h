// Copyright 2026 The eventpersist Authors.
//
// journal_actor.h: JournalActor hosts one journal plugin instance.
//
// It calls the plugin from its own mailbox (one call at a time, on the
// plugin dispatcher); writes to a plugin whose writes never block
// (NonBlockingWrites) go in straight from the writer's thread, under the
// same one-call-at-a-time lock (Submit).
//
// Control flows one way. What follows a plugin's Future (the circuit
// breaker's count, the reply order, the replies) runs in this actor's
// mailbox (InMailbox), or for a write in the requester's context when it
// names one (WriteMessages::executor: a persistent actor's mailbox, which
// saves a hand-off per write); never on the thread that completed the
// Future: a plugin's thread only completes. The actor does not own the plugin:
// the Persistence extension does, and destroys it on the thread that terminates
// the actor system, after the dispatchers have stopped.
//
// It adds what every journal needs and no backend should write again:
//   - replies to writes in request order, also when the plugin completes
//     its futures out of order;
//   - a replay or highest-sequence-number read of an id waits for that id's
//     writes in flight, so a sequence number is never handed out twice;
//   - a circuit breaker around writes, deletes and highest reads;
//   - a replay is read a page at a time, each as large as the requester's
//     window has room for, the next asked for only when at least
//     kReplayPage events fit again: memory stays bounded and no plugin
//     thread waits for a slow requester;
//   - a replay that makes no progress within `recovery-event-timeout` fails;
//   - the replay filter (replay_filter.h), run on the requester's side of
//     the replay stream (replay_stream.h).
//
// Thread-safety: an actor; talk to it with Tell, or Submit for writes.
#ifndef PERSISTENCE_RUNTIME_JOURNAL_ACTOR_H_
#define PERSISTENCE_RUNTIME_JOURNAL_ACTOR_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "persistence/api/config.h"
#include "persistence/api/journal.h"
#include "persistence/api/mutex.h"
#include "persistence/runtime/actor.h"
#include "persistence/runtime/circuit_breaker.h"
#include "persistence/runtime/journal_protocol.h"
#include "persistence/runtime/replay_filter.h"

namespace persistence {

struct JournalSettings {
  CircuitBreakerSettings circuit_breaker;
  ReplayFilterSettings replay_filter;
  std::chrono::nanoseconds recovery_event_timeout = std::chrono::seconds(30);
  int max_message_batch_size = 200;

  // FromConfig reads a journal plugin's section (fallback merged in).
  static absl::StatusOr<JournalSettings> FromConfig(const Config& c);
};

class JournalActor : public Actor<JournalRequest> {
 public:
  // `plugin` must outlive the actor's messages (Persistence owns it).
  JournalActor(std::string plugin_id, AsyncWriteJournal* plugin,
               JournalSettings settings);

  void Receive(JournalRequest request) override;

  const JournalSettings& settings() const { return settings_; }

  // StartPlugin runs the plugin's Start; post it as the first message.
  absl::Status StartPlugin();

  // Submit sends a write: on the calling thread when the plugin's writes
  // never block, else as a message. Replies come as for a Tell. Any thread,
  // after StartPlugin succeeded.
  void Submit(WriteMessages request);

 private:
  void Write(WriteMessages request);
  void Handle(WriteMessages request) { Write(std::move(request)); }
  void Handle(ReplayMessages request);
  void Handle(DeleteMessagesTo request);
  void Handle(ReadHighestSequenceNr request);

  // A read of `persistence_id` runs now, or after its in-flight writes.
  void RunAfterWrites(const std::string& persistence_id,
                      std::function<void()> read);
  void OnWriteDone(uint64_t write_id,
                   const absl::StatusOr<WriteResults>& outcome);
  // Under order_mu_: whether a write of the id waits for its reply; and,
  // for the ids of writes just replied, the reads no write holds back now.
  bool WritesInFlight(const std::string& persistence_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(order_mu_);
  void ReleaseReads(const std::vector<AtomicWrite>& replied,
                    std::vector<std::function<void()>>& released)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(order_mu_);
  // Through returns a Future that completes with `future`'s value in
  // `executor`'s context (see WriteMessages::executor), else as InMailbox.
  template <typename T>
  Future<T> Through(const Executor& executor, Future<T> future);
  // Locked runs `call` (a call into the plugin) under plugin_mu_ and returns
  // its Future; callbacks attached to it run without the lock.
  template <typename F>
  auto Locked(F call) {
    MutexLock lock(plugin_mu_);
    return call();
  }
  struct Replay;
  void StartReplay(std::shared_ptr<Replay> replay);
  // ReadPage asks the plugin for the replay's next page.
  void ReadPage(std::shared_ptr<Replay> replay);
  // Locate finds where the last `max` events begin (a negative `from` with
  // more than a page to replay), then pages from there.
  void Locate(std::shared_ptr<Replay> replay);

  const std::string plugin_id_;
  const JournalSettings settings_;
  std::unique_ptr<CircuitBreaker> breaker_;

  // Resequencing: write ids are issued in request order and replied in it.
  // pending_writes_[i] is write next_reply_id_ + i: every write not yet
  // replied, holding its events (the plugin reads them during its call;
  // the reply hands them back). Reads of an id wait while one of its
  // writes is in there. Guarded by order_mu_, since plugins complete
  // writes on their threads.
  Mutex order_mu_;
  uint64_t next_reply_id_ ABSL_GUARDED_BY(order_mu_) = 0;
  struct PendingWrite {
    std::vector<AtomicWrite> writes;
    std::function<void(WriteMessagesResult)> reply;
    std::optional<WriteMessagesResult> result;
  };
  std::deque<PendingWrite> pending_writes_ ABSL_GUARDED_BY(order_mu_);
  std::unordered_map<std::string, std::deque<std::function<void()>>>
      reads_waiting_ ABSL_GUARDED_BY(order_mu_);

  // Held for every call into the plugin: one call at a time, also when
  // Submit calls it from a writer's thread.
  Mutex plugin_mu_;
  bool inline_writes_ = false;  // set by StartPlugin

  AsyncWriteJournal* const plugin_;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_JOURNAL_ACTOR_H_
