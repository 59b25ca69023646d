// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/persistent_actor.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "persistence/runtime/persistence.h"

namespace persistence {
namespace {

// NewWriterUuid: 15 random base-32 digits (75 bits), unique enough to tell
// the incarnations of one persistence id apart, and short enough to live in
// std::string's inline buffer: every event carries a copy, which then costs
// no allocation.
std::string NewWriterUuid() {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuv";
  thread_local std::mt19937_64 random(std::random_device{}());
  uint64_t bits[2] = {random(), random()};
  std::string uuid(15, '0');
  for (int i = 0; i < 15; ++i) {
    uint64_t& word = bits[i < 12 ? 0 : 1];
    uuid[i] = kDigits[word & 31];
    word >>= 5;
  }
  return uuid;
}

}  // namespace

PersistentActorBase::PersistentActorBase() : writer_uuid_(NewWriterUuid()) {}

template <typename T, typename F>
std::function<void(T)> PersistentActorBase::InMailbox(F fn) {
  std::shared_ptr<ActorBase> self = shared_from_this();
  PersistentActorBase* me = this;
  return [self, me, fn = std::move(fn)](T value) {
    self->Post([me, fn, value = std::move(value)]() mutable {
      fn(me, std::move(value));
    });
  };
}

void PersistentActorBase::PreStart() {
  persistence_id_ = PersistenceId();
  Persistence& persistence = system().Extension<Persistence>();
  absl::StatusOr<std::shared_ptr<JournalActor>> journal =
      persistence.JournalActorAt(JournalPluginId());
  if (!journal.ok()) {
    FailRecovery(journal.status());
    return;
  }
  journal_actor_ = *journal;
  const Recovery recovery = GetRecovery();
  absl::StatusOr<ActorRef<SnapshotRequest>> store =
      persistence.SnapshotStore(SnapshotPluginId());
  if (store.ok()) {
    snapshot_store_ = *store;
  } else {
    // Without a snapshot store an actor still recovers from its events;
    // a SaveSnapshot reports this error.
    snapshot_store_error_ = store.status();
  }
  state_ = State::kLoadingSnapshot;
  if (!snapshot_store_.valid() || recovery.from_snapshot.max_sequence_nr == 0) {
    OnSnapshotLoaded(std::optional<SelectedSnapshot>());
    ActorRef<JournalRequest>(journal_actor_).Tell(NewReplay(recovery, 1));
    return;
  }
  // The snapshot store's reply asks the journal for the events after the
  // snapshot itself, and posts the snapshot to this mailbox first: the
  // snapshot is offered before any event arrives, and recovery waits for
  // one hop less.
  snapshot_store_.Tell(LoadSnapshot{
      persistence_id_, recovery.from_snapshot, recovery.to_sequence_nr,
      [self = shared_from_this(), me = this, journal = journal_actor_,
       replay = NewReplay(recovery, 1)](LoadResult result) mutable {
        const bool ok = result.ok();
        if (ok && result->has_value()) {
          replay.from_sequence_nr = (*result)->metadata.sequence_nr + 1;
        }
        self->Post([me, result = std::move(result)]() mutable {
          me->OnSnapshotLoaded(std::move(result));
        });
        if (ok) ActorRef<JournalRequest>(journal).Tell(std::move(replay));
      }});
}

ReplayMessages PersistentActorBase::NewReplay(const Recovery& recovery,
                                              int64_t from_sequence_nr) {
  ReplayMessages replay;
  replay.persistence_id = persistence_id_;
  replay.from_sequence_nr = from_sequence_nr;
  replay.to_sequence_nr = recovery.to_sequence_nr;
  replay.max = recovery.replay_max;
  // Both callbacks run in this actor's mailbox: the executor posts them.
  replay.executor = OwnMailbox();
  replay.on_events = [me = this](absl::Span<PersistentRepr> events) {
    for (const PersistentRepr& event : events) me->OnReplayed(event);
  };
  replay.on_done = [me = this](absl::StatusOr<int64_t> highest) {
    me->OnReplayDone(std::move(highest));
  };
  return replay;
}

void PersistentActorBase::OnSnapshotLoaded(LoadResult result) {
  if (!result.ok()) {
    FailRecovery(result.status());
    return;
  }
  if (result->has_value()) {
    const SelectedSnapshot& selected = **result;
    last_sequence_nr_ = selected.metadata.sequence_nr;
    snapshot_sequence_nr_ = last_sequence_nr_;
    OnSnapshotOffer(selected.metadata, selected.snapshot);
  }
  // The replay request is on its way (see PreStart).
  state_ = State::kReplaying;
}

void PersistentActorBase::OnReplayed(const PersistentRepr& event) {
  if (state_ != State::kReplaying) return;
  last_sequence_nr_ = event.sequence_nr;
  ReceiveRecover(event.payload);
}

void PersistentActorBase::OnReplayDone(absl::StatusOr<int64_t> highest) {
  if (state_ != State::kReplaying) return;
  if (!highest.ok()) {
    FailRecovery(highest.status());
    return;
  }
  sequence_nr_ = std::max(*highest, last_sequence_nr_);
  last_sequence_nr_ = sequence_nr_;
  state_ = State::kReady;
  OnRecoveryCompleted();
  AfterCommand();
  Unstash();
}

void PersistentActorBase::FailRecovery(const absl::Status& cause) {
  state_ = State::kLoadingSnapshot;
  OnRecoveryFailure(
      absl::Status(cause.code(),
                   absl::StrCat("recovery of persistence id '", persistence_id_,
                                "' failed: ", cause.message())));
  Stop();
}

int64_t PersistentActorBase::NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PersistentRepr PersistentActorBase::NewRepr(Payload payload,
                                            int64_t timestamp) {
  PersistentRepr repr;
  repr.payload = std::move(payload);
  repr.persistence_id = persistence_id_;
  repr.sequence_nr = ++sequence_nr_;
  repr.timestamp = timestamp;
  repr.writer_uuid = writer_uuid_;
  return repr;
}

void PersistentActorBase::AddWrite(std::vector<PersistentRepr> events,
                                   std::function<void(const Payload&)> handler,
                                   bool stashing) {
  if (events.empty()) return;
  Invocation invocation;
  invocation.handler = std::move(handler);
  invocation.stashing = stashing;
  pending_.push_back(std::move(invocation));
  if (stashing) ++stashing_pending_;
  journal_batch_events_ += events.size();
  // The actor numbers its own events, so Make cannot fail here.
  journal_batch_.push_back(*AtomicWrite::Make(std::move(events)));
}

void PersistentActorBase::AfterCommand() {
  if (journal_batch_.empty() || stopped()) return;
  // One request at a time while more messages wait (their events join the
  // next request), unless enough waits to be worth a second one
  // (max-message-batch-size): then writes overlap, and the journal actor
  // still replies in order. With the mailbox empty, waiting for the reply
  // would gain no events, only latency: the batch goes now.
  const size_t enough =
      static_cast<size_t>(journal_actor_->settings().max_message_batch_size);
  if (writes_in_flight_ > 0 && journal_batch_events_ < enough &&
      MessagesWaiting()) {
    return;
  }
  ++writes_in_flight_;
  journal_batch_events_ = 0;
  WriteMessages request;
  request.writes.swap(journal_batch_);
  request.reply = InMailbox<WriteMessagesResult>(
      [](PersistentActorBase* me, WriteMessagesResult r) {
        me->OnWriteResult(std::move(r));
      });
  // The journal's reply comes through here without a hop through the
  // journal actor's mailbox.
  request.executor = OwnMailbox();
  journal_actor_->Submit(std::move(request));
}

void PersistentActorBase::RunLeadingDeferred() {
  while (!pending_.empty() && pending_.front().deferred) {
    std::function<void()> deferred = std::move(pending_.front().deferred);
    pending_.pop_front();
    deferred();
  }
}

void PersistentActorBase::OnWriteResult(WriteMessagesResult result) {
  --writes_in_flight_;
  if (!result.status.ok()) {
    RunLeadingDeferred();
    OnPersistFailure(result.status, result.writes.empty()
                                        ? PersistentRepr()
                                        : result.writes.front().payload()[0]);
    pending_.clear();
    Stop();
    return;
  }
  // pending_ holds one invocation per atomic write, in the order sent, with
  // deferred handlers in between.
  for (size_t i = 0; i < result.writes.size(); ++i) {
    RunLeadingDeferred();
    Invocation invocation = std::move(pending_.front());
    pending_.pop_front();
    if (invocation.stashing) --stashing_pending_;
    const absl::Status& outcome = result.results[i];
    for (const PersistentRepr& event : result.writes[i].payload()) {
      if (outcome.ok()) {
        last_sequence_nr_ = event.sequence_nr;
        invocation.handler(event.payload);
      } else {
        OnPersistRejected(outcome, event);
      }
    }
  }
  RunLeadingDeferred();
  // Handlers may have persisted more; send it with what waited.
  AfterCommand();
  Unstash();
}

void PersistentActorBase::Unstash() {
  while (!stash_.empty() && state_ == State::kReady && stashing_pending_ == 0 &&
         !stopped()) {
    std::function<void()> command = std::move(stash_.front());
    stash_.pop_front();
    command();
    AfterCommand();
  }
}

void PersistentActorBase::SaveSnapshot(Payload snapshot) {
  if (!snapshot_store_.valid()) {
    OnSnapshotSaved(snapshot_store_error_);
    return;
  }
  SnapshotMetadata metadata;
  metadata.persistence_id = persistence_id_;
  metadata.sequence_nr = last_sequence_nr_;
  snapshot_store_.Tell(::persistence::SaveSnapshot{
      metadata, std::move(snapshot),
      InMailbox<absl::StatusOr<SnapshotMetadata>>(
          [](PersistentActorBase* me, absl::StatusOr<SnapshotMetadata> r) {
            me->OnSnapshotSaved(r);
          })});
}

void PersistentActorBase::DeleteMessages(int64_t to_sequence_nr) {
  if (to_sequence_nr != kMaxSequenceNr && to_sequence_nr > last_sequence_nr_) {
    OnMessagesDeleted(absl::InvalidArgumentError(absl::StrCat(
                          "cannot delete events of '", persistence_id_,
                          "' up to ", to_sequence_nr,
                          ": the last sequence number is ", last_sequence_nr_)),
                      to_sequence_nr);
    return;
  }
  ActorRef<JournalRequest>(journal_actor_)
      .Tell(DeleteMessagesTo{
          persistence_id_, to_sequence_nr,
          InMailbox<absl::Status>(
              [to_sequence_nr](PersistentActorBase* me, absl::Status s) {
                me->OnMessagesDeleted(s, to_sequence_nr);
              })});
}

void PersistentActorBase::DeleteSnapshots(
    const SnapshotSelectionCriteria& criteria) {
  if (!snapshot_store_.valid()) {
    OnSnapshotsDeleted(snapshot_store_error_);
    return;
  }
  snapshot_store_.Tell(::persistence::DeleteSnapshots{
      persistence_id_, criteria,
      InMailbox<absl::Status>([](PersistentActorBase* me, absl::Status s) {
        me->OnSnapshotsDeleted(s);
      })});
}

}  // namespace persistence
