// Copyright 2026 The eventpersist Authors.
//
// journal.h: the journal plugin API.
//
// A journal plugin implements AsyncWriteJournal (writes and deletes) and
// the AsyncRecovery part (replay and highest sequence number). The runtime
// hosts each plugin instance as an actor on its `plugin-dispatcher`: it
// never calls one instance from two threads at once (a plugin whose writes
// never block may be called from other threads too, one call at a time;
// see NonBlockingWrites), and it wraps every
// call in the plugin's circuit breaker and timeouts. Results are Futures,
// so a plugin with an async client may complete them later, on any thread.
// A plugin whose client blocks derives from SyncWriteJournal instead and
// writes plain functions.
//
// Errors are values, never exceptions:
//   - a *rejected* atomic write (an event could not be serialized; nothing
//     of it was stored) is a non-OK entry in the per-write result vector;
//   - a *failed* call (storage trouble, or unknown whether anything was
//     stored) is a non-OK status for the whole call.
//
// Thread-safety: see above; a plugin needs no locking for its own calls.
//
// Example (a blocking backend):
//
//   class MyJournal : public SyncWriteJournal {
//    public:
//     explicit MyJournal(const Config& config);
//     absl::StatusOr<std::vector<absl::Status>> WriteMessages(
//         const std::vector<AtomicWrite>& writes) override;
//     absl::Status DeleteMessagesTo(const std::string& persistence_id,
//                                   int64_t to_sequence_nr) override;
//     absl::Status ReplayMessages(const std::string& persistence_id,
//                                 int64_t from, int64_t to, int64_t max,
//                                 const ReplayCallback& callback) override;
//     absl::StatusOr<int64_t> ReadHighestSequenceNr(
//         const std::string& persistence_id, int64_t from) override;
//   };
//   PERSISTENCE_REGISTER(JournalRegistry, "my.Journal", Construct<MyJournal>);
#ifndef PERSISTENCE_API_JOURNAL_H_
#define PERSISTENCE_API_JOURNAL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/future.h"
#include "persistence/api/persistent_repr.h"
#include "persistence/api/registry.h"

namespace persistence {

// ReplayCallback receives replayed events in sequence-number order, one at
// a time (never concurrently), before the replay's Future completes. A
// plugin hands each event over in one of two ways:
//
//   - a record stored in the event codec (EncodeEvent), as it was read:
//       absl::Status s = callback.Record(persistence_id, seq, bytes);
//       if (!s.ok()) return s;  // the replay ends with this error
//     The receiver decodes it. The runtime's receiver copies the bytes and
//     decodes them on the recovering actor's thread, so reading and
//     decoding run in parallel; a plain function receiver (a test, the kit)
//     gets them decoded at once. A record that does not decode fails the
//     replay with DataLoss naming the id and sequence number (Record
//     returns it, or the recovery fails with it). A non-OK Record also
//     means the receiver is gone (the recovering actor stopped): stop.
//   - an event the plugin decoded itself: `callback(*std::move(event))`.
//     The event is moved in, never copied; to hand over a copy,
//     `callback(PersistentRepr(e))`.
//
// Thread-safety: a ReplayCallback is called by one thread at a time. A copy
// copies its functions (the runtime's capture one shared pointer each).
//
// Example (a receiver of decoded events, as a test writes one):
//
//   std::vector<PersistentRepr> got;
//   journal.AsyncReplayMessages("id", 1, kMaxSequenceNr, kMaxSequenceNr,
//                               [&](PersistentRepr&& e) {
//                                 got.push_back(std::move(e));
//                               });
class ReplayCallback {
 public:
  using OnEvent = std::function<void(PersistentRepr&&)>;
  // Takes one stored record; returns non-OK to end the replay.
  using OnRecord =
      std::function<absl::Status(int64_t sequence_nr, std::string_view record)>;

  ReplayCallback() = default;
  // A receiver of decoded events: Record decodes before calling it.
  template <typename F, typename = std::enable_if_t<
                            std::is_invocable_v<F&, PersistentRepr&&> &&
                            !std::is_same_v<std::decay_t<F>, ReplayCallback>>>
  ReplayCallback(F on_event)  // NOLINT: implicit, so a lambda is a callback
      : on_event_(std::move(on_event)) {}
  // A receiver that takes stored records as they are and decodes them
  // itself (the runtime's replay stream).
  ReplayCallback(OnEvent on_event, OnRecord on_record)
      : on_event_(std::move(on_event)), on_record_(std::move(on_record)) {}

  // Hands over one decoded event.
  void operator()(PersistentRepr&& event) const { on_event_(std::move(event)); }

  // Hands over one record of the event codec, stored for
  // (persistence_id, sequence_nr). See above for what an error means.
  absl::Status Record(const std::string& persistence_id, int64_t sequence_nr,
                      std::string_view record) const;

 private:
  OnEvent on_event_;
  OnRecord on_record_;  // empty: Record decodes
};

// WriteResults: one status per atomic write of the request, in order.
using WriteResults = std::vector<absl::Status>;

// [START async-write-journal]
class AsyncWriteJournal {
 public:
  virtual ~AsyncWriteJournal() = default;

  // Start runs once, on the plugin dispatcher, before any other call. An
  // error here (say, a data path that cannot be opened) fails plugin start.
  virtual absl::Status Start() { return absl::OkStatus(); }

  // AsyncWriteMessages stores each atomic write entirely or not at all and
  // returns one result per write (rejections), or a failed status for the
  // whole call. A journal that prevents concurrent writers fails the call
  // when a write's first sequence number is not above the stored highest.
  // A call may come before the previous one completed; the writes of one
  // persistence id must be applied in call order. `writes` is valid during
  // the call only: serialize (or copy) what the plugin needs before it
  // returns. (The runtime keeps them to hand them back to the writer.)
  virtual Future<absl::StatusOr<WriteResults>> AsyncWriteMessages(
      const std::vector<AtomicWrite>& writes) = 0;

  // NonBlockingWrites says that AsyncWriteMessages returns at once: it
  // serializes, hands the work to the plugin's own threads or async client,
  // and never waits for storage. The runtime then calls it straight from
  // the writing actor's thread (still one call at a time, under a lock),
  // which saves a thread hand-off per write.
  virtual bool NonBlockingWrites() const { return false; }

  // AsyncDeleteMessagesTo deletes events up to `to_sequence_nr` (inclusive;
  // kMaxSequenceNr for all). The highest sequence number is kept.
  virtual Future<absl::Status> AsyncDeleteMessagesTo(
      const std::string& persistence_id, int64_t to_sequence_nr) = 0;

  // --- AsyncRecovery ---

  // AsyncReplayMessages calls `callback` for each stored event with
  // from <= sequence_nr <= to, at most `max` of them, in order, then
  // completes. Deleted events are not replayed.
  virtual Future<absl::Status> AsyncReplayMessages(
      const std::string& persistence_id, int64_t from_sequence_nr,
      int64_t to_sequence_nr, int64_t max, ReplayCallback callback) = 0;

  // AsyncReadHighestSequenceNr returns the highest sequence number ever
  // stored for the id (0 if none), also after its events were deleted.
  // `from_sequence_nr` is a hint: the answer is at least that.
  virtual Future<absl::StatusOr<int64_t>> AsyncReadHighestSequenceNr(
      const std::string& persistence_id, int64_t from_sequence_nr) = 0;
};
// [END async-write-journal]

// SyncWriteJournal: the variant for backends with blocking clients. The
// runtime calls these on the plugin dispatcher, so blocking is fine there
// and never starves actors on the default dispatcher.
// [START sync-write-journal]
class SyncWriteJournal : public AsyncWriteJournal {
 public:
  virtual absl::StatusOr<WriteResults> WriteMessages(
      const std::vector<AtomicWrite>& writes) = 0;
  virtual absl::Status DeleteMessagesTo(const std::string& persistence_id,
                                        int64_t to_sequence_nr) = 0;
  virtual absl::Status ReplayMessages(const std::string& persistence_id,
                                      int64_t from_sequence_nr,
                                      int64_t to_sequence_nr, int64_t max,
                                      const ReplayCallback& callback) = 0;
  virtual absl::StatusOr<int64_t> ReadHighestSequenceNr(
      const std::string& persistence_id, int64_t from_sequence_nr) = 0;
  // (The Async* overrides below are final: they call these.)
  // [END sync-write-journal]

  Future<absl::StatusOr<WriteResults>> AsyncWriteMessages(
      const std::vector<AtomicWrite>& writes) final {
    return MakeReadyFuture(WriteMessages(writes));
  }
  // A blocking client blocks: false. A journal whose WriteMessages never
  // waits (it only updates memory, as the in-memory journal does) may say
  // true, and is then called from the writing actor's thread.
  bool NonBlockingWrites() const override { return false; }
  Future<absl::Status> AsyncDeleteMessagesTo(const std::string& persistence_id,
                                             int64_t to_sequence_nr) final {
    return MakeReadyFuture(DeleteMessagesTo(persistence_id, to_sequence_nr));
  }
  Future<absl::Status> AsyncReplayMessages(const std::string& persistence_id,
                                           int64_t from_sequence_nr,
                                           int64_t to_sequence_nr, int64_t max,
                                           ReplayCallback callback) final {
    return MakeReadyFuture(ReplayMessages(persistence_id, from_sequence_nr,
                                          to_sequence_nr, max, callback));
  }
  Future<absl::StatusOr<int64_t>> AsyncReadHighestSequenceNr(
      const std::string& persistence_id, int64_t from_sequence_nr) final {
    return MakeReadyFuture(
        ReadHighestSequenceNr(persistence_id, from_sequence_nr));
  }
};

// CheckNotStale is the check of a journal that prevents concurrent
// writers: OK when a write's first sequence number is above the highest
// stored for its id, else FailedPrecondition naming both (an older
// incarnation of the actor is writing). The journal fails the whole call
// with it and stores nothing of the call.
absl::Status CheckNotStale(const std::string& persistence_id,
                           int64_t lowest_sequence_nr, int64_t stored_highest);

// JournalRegistry: journal classes by the name a config section's `class`
// gives (registry.h).
struct JournalClasses : FactoriesOf<AsyncWriteJournal> {
  static constexpr char kWhat[] = "journal class";
};
using JournalRegistry = Registry<JournalClasses>;

}  // namespace persistence

#endif  // PERSISTENCE_API_JOURNAL_H_
