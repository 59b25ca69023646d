// Copyright 2026 The eventpersist Authors.
//
// journal_protocol.h: the requests a journal actor takes, and their replies.
//
// Each request carries its reply callbacks (the "reply-to" of the request);
// a persistent actor's callbacks post the reply into its own mailbox. The
// journal actor calls them from its own or the plugin's threads.
//
// Thread-safety: plain values; the callbacks must be safe to call from any
// thread.
#ifndef PERSISTENCE_RUNTIME_JOURNAL_PROTOCOL_H_
#define PERSISTENCE_RUNTIME_JOURNAL_PROTOCOL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "persistence/api/persistent_repr.h"

namespace persistence {

// WriteMessagesResult answers one WriteMessages.
struct WriteMessagesResult {
  // Not OK: the whole request failed (storage trouble or unknown outcome).
  absl::Status status;
  // The writes as sent (with their metadata), and when `status` is OK one
  // result per write: OK stored, else rejected (nothing of it stored).
  std::vector<AtomicWrite> writes;
  std::vector<absl::Status> results;
};

// Executor runs the closures it is given in its owner's context (a
// persistent actor posts them to its own mailbox).
using Executor = std::function<void(std::function<void()>)>;

struct WriteMessages {
  std::vector<AtomicWrite> writes;
  std::function<void(WriteMessagesResult)> reply;
  // Where the journal actor's work after the plugin's answer runs (the
  // circuit breaker's count, the replies in request order): in the
  // requester's context, one hand-off fewer than through the journal
  // actor's mailbox. A closure the executor drops unrun (its actor
  // stopped) runs in the journal actor's mailbox instead, so no later
  // reply waits for it. Empty: the journal actor's mailbox.
  Executor executor;
};

// kReplayBatch: replayed events travel in batches of up to this many.
inline constexpr size_t kReplayBatch = 64;
// kReplayPage: the smallest page. The journal actor asks a plugin, per
// AsyncReplayMessages call, for as many events as the requester's window
// has room for (ReplayStream::kCapacity at first), and asks for the next
// page once at least this many fit again (replay_stream.h).
inline constexpr size_t kReplayPage = 8192;

// ReplayMessages replays [from, to], at most `max` events, then answers
// `on_done` with the highest sequence number of the id (or an error).
struct ReplayMessages {
  std::string persistence_id;
  int64_t from_sequence_nr = 1;
  int64_t to_sequence_nr = kMaxSequenceNr;
  int64_t max = kMaxSequenceNr;
  // Receives the events in order, in batches, all before `on_done`. The
  // callee may move events out of the batch; what it leaves is freed after
  // the call, on the same thread.
  std::function<void(absl::Span<PersistentRepr>)> on_events;
  std::function<void(absl::StatusOr<int64_t>)> on_done;
  // Where on_events and on_done run: the executor is given a closure and
  // runs it in the requester's context (a persistent actor posts it to its
  // own mailbox); dropping it unrun cancels the replay. Empty: they run in
  // the journal actor's mailbox. See replay_stream.h.
  Executor executor;
};

struct DeleteMessagesTo {
  std::string persistence_id;
  int64_t to_sequence_nr = 0;
  std::function<void(absl::Status)> reply;
};

struct ReadHighestSequenceNr {
  std::string persistence_id;
  int64_t from_sequence_nr = 0;
  std::function<void(absl::StatusOr<int64_t>)> reply;
};

using JournalRequest = std::variant<WriteMessages, ReplayMessages,
                                    DeleteMessagesTo, ReadHighestSequenceNr>;

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_JOURNAL_PROTOCOL_H_
