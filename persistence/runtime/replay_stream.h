// Copyright 2026 The eventpersist Authors.
//
// replay_stream.h: ReplayStream carries one replay from the plugin's thread
// to whoever asked for it.
//
// Two sides, two threads:
//   - the producer is the plugin's replay callback. AddRecord copies a
//     stored record (the event codec's bytes) into a batch and does nothing
//     else, so the plugin's thread only reads; Add takes an event that the
//     plugin decoded itself (a move into a batch);
//   - the consumer runs on the requester's executor (a persistent actor
//     posts to its own mailbox): it decodes the records, runs the replay
//     filter and hands the events on in batches, then the end of the
//     replay. Batches go back to the producer, which reuses their buffers;
//     the events are freed on the consumer's thread, which decoded them.
// So reading and decoding overlap on two cores, and a fast journal costs
// one executor hop per batch, not per event.
//
// Bounded by pulling, and the producer never waits. The journal actor asks
// the plugin for a page of as many events as there is Room for (the
// events published and not yet delivered, plus the page, are at most
// kCapacity), and asks for the next page only when WhenRoom says that at
// least kReplayPage fit again. So a requester that recovers slowly holds
// up only its own replay; the plugin's thread (a Redis connection's
// reader, say) goes on serving every other id. A replay that fits the
// window is one page: no round trip through the journal actor between
// two pages, which on a small machine can wait for a busy core.
//
// Standing by, for long replays. A consumer that finds nothing to deliver
// normally ends its turn, and the producer's next batch posts a new one,
// which wakes a dispatcher thread. On a small machine the scheduler may
// queue that thread behind the producer for milliseconds while another
// core idles, and then decoding starts only when reading is nearly done.
// So for a replay of at least kStandByEvents the journal actor calls
// StandBy before the plugin reads the first page: the consumer takes its
// turn at once and polls for the first batch (up to kFirstBatchWait) and
// then for each next one (up to kNextBatchWait after the last), within
// its kDrainTurn, so reading and decoding start together on two cores.
//
// Ends once: Complete (after the plugin's last event), Fail (the progress
// watchdog, from any thread), an error of the filter, or cancellation. A
// closure that the executor drops unrun (its actor stopped) cancels the
// stream: the producer stops at its next event and nothing more is
// delivered.
//
// Thread-safety: Add, AddRecord, EndOfPage, Complete and the producer's
// counters are the producer's (one thread at a time, in order, as the
// plugin API promises; the journal actor reads the counters after a page's
// Future completed). Fail, WhenRoom, progress and ended may be called from
// any thread. on_events and on_done run one at a time, in order, on the
// executor (or, without one, on the thread that produced them).
//
// Example (the journal actor's side, one page):
//
//   auto stream = std::make_shared<ReplayStream>(id, filter_settings,
//                                                std::move(request));
//   plugin->AsyncReplayMessages(id, from, to, stream->Room(),
//                               stream->Callback())
//       .OnComplete([stream](const absl::Status& s) {
//         if (!s.ok()) return stream->Complete(s);
//         stream->EndOfPage();
//         if (stream->WhenRoom(ask_for_next_page)) {
//           ask_for_next_page();
//         }
//       });
#ifndef PERSISTENCE_RUNTIME_REPLAY_STREAM_H_
#define PERSISTENCE_RUNTIME_REPLAY_STREAM_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/journal.h"
#include "persistence/api/mutex.h"
#include "persistence/api/persistent_repr.h"
#include "persistence/runtime/journal_protocol.h"
#include "persistence/runtime/replay_filter.h"

namespace persistence {

class ReplayStream : public std::enable_shared_from_this<ReplayStream> {
 public:
  // Events that may wait between producer and consumer.
  static constexpr size_t kCapacity = 2 * kReplayPage;
  // How long one turn of the consumer on the executor delivers.
  static constexpr std::chrono::microseconds kDrainTurn{2000};
  // Standing by (see the file comment): for replays of this many events or
  // more, how long the consumer polls for the first batch, and for the
  // next one after each batch.
  static constexpr int64_t kStandByEvents = 1024;
  static constexpr std::chrono::microseconds kFirstBatchWait{300};
  static constexpr std::chrono::microseconds kNextBatchWait{100};

  // Takes the requester's executor and callbacks out of `request`.
  ReplayStream(std::string persistence_id, ReplayFilterSettings filter,
               ReplayMessages& request);
  ReplayStream(const ReplayStream&) = delete;
  ReplayStream& operator=(const ReplayStream&) = delete;

  // --- Producer ---
  // AddRecord takes the next replayed event as stored (EncodeEvent's
  // bytes); the consumer decodes it. Non-OK once the replay has ended (the
  // plugin should stop reading).
  absl::Status AddRecord(int64_t sequence_nr, std::string_view record);
  // Add takes the next replayed event, decoded by the plugin.
  void Add(PersistentRepr&& event);
  // Callback is the plugin-side ReplayCallback that feeds this stream.
  ReplayCallback Callback();
  // StandBy starts the consumer's turn now, polling for the first batch
  // (call before the plugin reads; see the file comment). Without an
  // executor it does nothing.
  void StandBy();
  // EndOfPage hands over what the producer holds: the plugin's call ended.
  void EndOfPage() { Publish(); }
  // Complete ends the replay after the last Add: the highest sequence
  // number of the id, or the replay's error.
  void Complete(absl::StatusOr<int64_t> result);
  // Events added so far, and the sequence number of the last (0: none).
  int64_t added() const { return added_.load(std::memory_order_relaxed); }
  int64_t last_added() const { return last_added_; }

  // --- Any thread ---
  // Room: how many more events fit in the window now (kCapacity minus
  // those published and not yet delivered); the size of the next page.
  size_t Room();
  // WhenRoom is true when a page of at least kReplayPage events fits now
  // (see the file comment) or the replay has ended. Otherwise it keeps `resume`
  // and runs it once a page fits or the replay ends, on the consumer's
  // thread or the one that ends the replay. One resume at a time.
  bool WhenRoom(std::function<void()> resume);
  // Fail ends the replay with `cause`; events not yet delivered are dropped.
  void Fail(const absl::Status& cause);
  // Events added plus events delivered (the watchdog's measure of
  // progress: a slow requester still makes progress).
  int64_t progress() const {
    return added_.load(std::memory_order_relaxed) +
           delivered_events_.load(std::memory_order_relaxed);
  }
  bool ended() const { return !live_.load(std::memory_order_acquire); }

 private:
  // Batch: one hand-over unit, either events the plugin decoded or stored
  // records (back to back in `bytes`) for the consumer to decode.
  struct Batch {
    struct RecordEnd {
      int64_t sequence_nr;
      size_t end;  // offset in `bytes` just past the record
    };
    std::vector<PersistentRepr> events;
    std::string bytes;
    std::vector<RecordEnd> records;
    size_t size() const { return events.size() + records.size(); }
  };

  // Publish moves the producer's batch to the consumer side.
  void Publish();
  // Consumed counts `events` delivered or dropped and returns the resume
  // to run (outside mu_) when a page fits now.
  std::function<void()> Consumed(size_t events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // End records the outcome once; the consumer delivers it after the
  // events before it (or instead of them, when `drop` is set).
  void End(absl::StatusOr<int64_t> result, bool drop);
  // ScheduleDrain runs Drain on the executor; call without mu_ held.
  void ScheduleDrain();
  // Drain (consumer) filters and delivers what waits, and the end.
  void Drain();
  // PollFor lets a standing-by consumer poll for `wait` from now.
  void PollFor(std::chrono::microseconds wait);
  // PollsFor: whether a consumer that found nothing waiting stays in its
  // turn, polling for the producer's next batch (standing by).
  bool PollsFor(std::chrono::steady_clock::time_point turn_ends) const;
  // Cancel: the requester is gone.
  void Cancel();
  // The closure an executor runs (replay_stream.cc).
  struct DrainTask;
  // Filter decodes the records of `batch` and runs the replay filter over
  // its events; consumer side.
  absl::Status Filter(Batch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(drain_mu_);
  // Deliver hands the events the filter cleared to on_events_; consumer
  // side.
  void Deliver() ABSL_EXCLUSIVE_LOCKS_REQUIRED(drain_mu_);
  // Finish delivers the end; consumer side.
  void Finish(absl::StatusOr<int64_t> result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(drain_mu_);
  // ReleaseShared drops the executor and every event still held, once the
  // end is delivered or the requester is gone.
  void ReleaseShared() ABSL_EXCLUSIVE_LOCKS_REQUIRED(drain_mu_);

  const std::string persistence_id_;
  std::atomic<bool> live_{true};
  std::atomic<int64_t> added_{0};             // written by the producer only
  std::atomic<int64_t> delivered_events_{0};  // by the consumer only
  // While standing by: until when (steady_clock ticks) the consumer polls
  // for the next batch; 0 when not standing by. Set by StandBy and by each
  // Publish of a stream that stands by.
  std::atomic<int64_t> poll_until_{0};

  // Producer only.
  Batch batch_;
  int64_t last_added_ = 0;

  // Shared.
  Mutex mu_;
  std::deque<Batch> waiting_ ABSL_GUARDED_BY(mu_);
  // Published and not yet delivered or dropped (waiting_ and the batches
  // the consumer has taken).
  size_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  // WhenRoom's resume, waiting for room for a page.
  std::function<void()> resume_ ABSL_GUARDED_BY(mu_);
  // Delivered batches on their way back to the producer, which reuses
  // their buffers.
  std::vector<Batch> recycled_ ABSL_GUARDED_BY(mu_);
  bool drain_scheduled_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::StatusOr<int64_t> result_ ABSL_GUARDED_BY(mu_);
  // Empty: drain on the calling thread. Released once the end is delivered.
  std::shared_ptr<const std::function<void(std::function<void()>)>> executor_
      ABSL_GUARDED_BY(mu_);

  // Consumer only.
  Mutex drain_mu_;
  bool delivered_ ABSL_GUARDED_BY(drain_mu_) = false;
  ReplayFilter filter_ ABSL_GUARDED_BY(drain_mu_);
  std::function<void(absl::Span<PersistentRepr>)> on_events_
      ABSL_GUARDED_BY(drain_mu_);
  std::function<void(absl::StatusOr<int64_t>)> on_done_
      ABSL_GUARDED_BY(drain_mu_);
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_REPLAY_STREAM_H_
