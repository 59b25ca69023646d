// Copyright 2026 The eventpersist Authors.
//
// persistent_actor.h: PersistentActor, an event-sourced actor.
//
// A persistent actor turns commands into events, persists them in its
// journal, and applies them to its state in the persist handler. When it
// starts it recovers: it loads the youngest matching snapshot (offered to
// OnSnapshotOffer) and replays the events after it (ReceiveRecover), then
// OnRecoveryCompleted runs and commands flow.
//
//   Persist(e, h):      store e, then run h(e); commands that arrive in
//                       between are stashed and run after h, in order.
//   PersistAll(es, h):  the same for several events, stored atomically.
//   PersistAsync(e, h): store e without stashing commands; h runs in order.
//   DeferAsync(e, h):   run h(e) after every persist handler before it,
//                       without storing e.
//
// Failures: a persist that fails (storage trouble) calls OnPersistFailure
// and stops the actor, since its state may now differ from the journal; a
// rejected event (it could not be serialized) calls OnPersistRejected and
// the actor goes on; a recovery that fails calls OnRecoveryFailure and
// stops the actor.
//
// Thread-safety: an actor. Its handlers run one at a time on its
// dispatcher; never call its members from other threads, Tell it commands.
//
// Example:
//
//   class Counter : public PersistentActor<int> {
//    public:
//     std::string PersistenceId() const override { return "counter-1"; }
//     void ReceiveRecover(const Payload& event) override {
//       total_ += std::stoi(*event.As<std::string>());
//     }
//     void ReceiveCommand(int add) override {
//       Persist<std::string>(std::to_string(add),
//                            [this](const std::string& e) {
//                              total_ += std::stoi(e);
//                            });
//     }
//    private:
//     int total_ = 0;
//   };
#ifndef PERSISTENCE_RUNTIME_PERSISTENT_ACTOR_H_
#define PERSISTENCE_RUNTIME_PERSISTENT_ACTOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/payload.h"
#include "persistence/api/persistent_repr.h"
#include "persistence/api/snapshot.h"
#include "persistence/runtime/actor.h"
#include "persistence/runtime/fifo.h"
#include "persistence/runtime/journal_actor.h"
#include "persistence/runtime/journal_protocol.h"
#include "persistence/runtime/snapshot_actor.h"

namespace persistence {

// Recovery says what a persistent actor recovers from.
struct Recovery {
  SnapshotSelectionCriteria from_snapshot = SnapshotSelectionCriteria::Latest();
  int64_t to_sequence_nr = kMaxSequenceNr;
  int64_t replay_max = kMaxSequenceNr;

  // None skips snapshots and events (the actor starts empty).
  static Recovery None() { return {SnapshotSelectionCriteria::None(), 0, 0}; }
};

// PersistentActorBase: everything but the command type.
class PersistentActorBase : public virtual ActorBase {
 public:
  int64_t LastSequenceNr() const { return last_sequence_nr_; }
  int64_t SnapshotSequenceNr() const { return snapshot_sequence_nr_; }
  bool RecoveryRunning() const { return state_ != State::kReady; }
  const std::string& WriterUuid() const { return writer_uuid_; }

 protected:
  PersistentActorBase();

  // --- What a persistent actor defines ---
  virtual std::string PersistenceId() const = 0;
  // The journal / snapshot store config paths; "" for the defaults.
  virtual std::string JournalPluginId() const { return ""; }
  virtual std::string SnapshotPluginId() const { return ""; }
  virtual Recovery GetRecovery() const { return Recovery(); }
  virtual void OnSnapshotOffer(const SnapshotMetadata& metadata,
                               const Payload& snapshot) {}
  virtual void ReceiveRecover(const Payload& event) = 0;
  virtual void OnRecoveryCompleted() {}
  virtual void OnRecoveryFailure(const absl::Status& cause) {}
  virtual void OnPersistFailure(const absl::Status& cause,
                                const PersistentRepr& event) {}
  virtual void OnPersistRejected(const absl::Status& cause,
                                 const PersistentRepr& event) {}
  virtual void OnSnapshotSaved(const absl::StatusOr<SnapshotMetadata>& result) {
  }
  virtual void OnMessagesDeleted(const absl::Status& result,
                                 int64_t to_sequence_nr) {}
  virtual void OnSnapshotsDeleted(const absl::Status& result) {}

  // --- What a command handler calls ---
  template <typename E>
  void Persist(E event, std::function<void(const E&)> handler) {
    AddWrite(OneEvent(std::move(event)), Typed(std::move(handler)),
             /*stashing=*/true);
  }
  template <typename E>
  void PersistAll(std::vector<E> events,
                  std::function<void(const E&)> handler) {
    AddWrite(Events(std::move(events)), Typed(std::move(handler)),
             /*stashing=*/true);
  }
  template <typename E>
  void PersistAsync(E event, std::function<void(const E&)> handler) {
    AddWrite(OneEvent(std::move(event)), Typed(std::move(handler)),
             /*stashing=*/false);
  }
  template <typename E>
  void PersistAllAsync(std::vector<E> events,
                       std::function<void(const E&)> handler) {
    AddWrite(Events(std::move(events)), Typed(std::move(handler)),
             /*stashing=*/false);
  }
  template <typename E>
  void DeferAsync(E event, std::function<void(const E&)> handler) {
    if (pending_.empty()) {
      handler(event);
      return;
    }
    Invocation deferred;
    deferred.deferred = [handler = std::move(handler),
                         event = std::move(event)] { handler(event); };
    pending_.push_back(std::move(deferred));
  }

  // SaveSnapshot stores `snapshot` at LastSequenceNr(); OnSnapshotSaved
  // tells how it went.
  void SaveSnapshot(Payload snapshot);
  // DeleteMessages deletes events up to `to_sequence_nr` (at most
  // LastSequenceNr(), or kMaxSequenceNr); OnMessagesDeleted tells.
  void DeleteMessages(int64_t to_sequence_nr);
  // DeleteSnapshots deletes the snapshots matching `criteria`.
  void DeleteSnapshots(const SnapshotSelectionCriteria& criteria);

  // What PersistentActor<C> calls for each command: run it now when
  // CanRunCommand(), then AfterCommand(); else Stash it, to run in order
  // once recovery and the stashing persists in flight are done.
  bool CanRunCommand() const {
    return state_ == State::kReady && stashing_pending_ == 0;
  }
  void Stash(std::function<void()> command) {
    stash_.push_back(std::move(command));
  }
  void AfterCommand();

  void PreStart() override;

 private:
  enum class State { kLoadingSnapshot, kReplaying, kReady };

  // Invocation: what waits for the journal, in order. Either a deferred
  // handler, or the persist handler of one atomic write (its events are in
  // the write result; the handler runs once per event).
  struct Invocation {
    std::function<void()> deferred;
    std::function<void(const Payload&)> handler;
    bool stashing = false;
  };

  template <typename E>
  static std::function<void(const Payload&)> Typed(
      std::function<void(const E&)> handler) {
    return [handler = std::move(handler)](const Payload& event) {
      handler(*event.As<E>());
    };
  }
  template <typename E>
  std::vector<PersistentRepr> OneEvent(E event) {
    std::vector<PersistentRepr> events;
    events.push_back(NewRepr(Payload::Of(std::move(event)), NowMillis()));
    return events;
  }
  template <typename E>
  std::vector<PersistentRepr> Events(std::vector<E> events) {
    std::vector<PersistentRepr> reprs;
    reprs.reserve(events.size());
    // One clock reading for the events of one call.
    const int64_t now = NowMillis();
    for (E& event : events) {
      reprs.push_back(NewRepr(Payload::Of(std::move(event)), now));
    }
    return reprs;
  }

  // AddWrite queues one atomic write; AfterCommand sends what is queued.
  void AddWrite(std::vector<PersistentRepr> events,
                std::function<void(const Payload&)> handler, bool stashing);
  PersistentRepr NewRepr(Payload payload, int64_t timestamp);
  static int64_t NowMillis();
  void OnWriteResult(WriteMessagesResult result);
  void RunLeadingDeferred();
  void Unstash();
  // NewReplay builds this actor's replay request (PreStart sends it).
  ReplayMessages NewReplay(const Recovery& recovery, int64_t from_sequence_nr);
  void OnSnapshotLoaded(LoadResult result);
  void OnReplayed(const PersistentRepr& event);
  void OnReplayDone(absl::StatusOr<int64_t> highest);
  void FailRecovery(const absl::Status& cause);
  // InMailbox builds a callback that runs `fn(this, value)` in this
  // actor's mailbox. `fn` is a small callable (a lambda capturing a number
  // at most), copied into each posted message as it is.
  template <typename T, typename F>
  std::function<void(T)> InMailbox(F fn);
  // OwnMailbox is an executor that posts what it is given to this actor.
  Executor OwnMailbox() {
    return [self = shared_from_this()](std::function<void()> run) {
      self->Post(std::move(run));
    };
  }

  State state_ = State::kLoadingSnapshot;
  std::string persistence_id_;
  std::string writer_uuid_;
  int64_t sequence_nr_ = 0;       // last number handed out
  int64_t last_sequence_nr_ = 0;  // last persisted or replayed
  int64_t snapshot_sequence_nr_ = 0;

  // Writes go in by Submit; the rest by Tell.
  std::shared_ptr<JournalActor> journal_actor_;
  ActorRef<SnapshotRequest> snapshot_store_;
  absl::Status snapshot_store_error_;

  std::vector<AtomicWrite> journal_batch_;  // waiting to go
  int writes_in_flight_ = 0;
  size_t journal_batch_events_ = 0;  // events in journal_batch_
  Fifo<Invocation> pending_;
  int stashing_pending_ = 0;
  Fifo<std::function<void()>> stash_;
};

// PersistentActor<C>: a persistent actor that takes commands of type C.
template <typename C>
class PersistentActor : public Actor<C>, public PersistentActorBase {
 public:
  void Receive(C command) final {
    if (CanRunCommand()) {
      ReceiveCommand(std::move(command));
      AfterCommand();
      return;
    }
    Stash([this, command = std::move(command)]() mutable {
      ReceiveCommand(std::move(command));
    });
  }

 protected:
  virtual void ReceiveCommand(C command) = 0;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_PERSISTENT_ACTOR_H_
