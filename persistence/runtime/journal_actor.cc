// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/journal_actor.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/replay_stream.h"

namespace persistence {

absl::StatusOr<JournalSettings> JournalSettings::FromConfig(const Config& c) {
  JournalSettings s;
  absl::StatusOr<Config> breaker = c.GetConfig("circuit-breaker");
  if (!breaker.ok()) return breaker.status();
  absl::StatusOr<CircuitBreakerSettings> b =
      CircuitBreakerSettings::FromConfig(*breaker);
  if (!b.ok()) return b.status();
  s.circuit_breaker = *b;
  absl::StatusOr<Config> filter = c.GetConfig("replay-filter");
  if (!filter.ok()) return filter.status();
  absl::StatusOr<ReplayFilterSettings> f =
      ReplayFilterSettings::FromConfig(*filter);
  if (!f.ok()) return f.status();
  s.replay_filter = *f;
  absl::StatusOr<std::chrono::nanoseconds> timeout =
      c.GetDuration("recovery-event-timeout");
  if (!timeout.ok()) return timeout.status();
  s.recovery_event_timeout = *timeout;
  absl::StatusOr<int64_t> batch = c.GetIntAtLeast("max-message-batch-size", 1);
  if (!batch.ok()) return batch.status();
  s.max_message_batch_size = static_cast<int>(*batch);
  return s;
}

JournalActor::JournalActor(std::string plugin_id, AsyncWriteJournal* plugin,
                           JournalSettings settings)
    : plugin_id_(std::move(plugin_id)), settings_(settings), plugin_(plugin) {}

absl::Status JournalActor::StartPlugin() {
  breaker_ = std::make_unique<CircuitBreaker>(
      system().scheduler(), settings_.circuit_breaker,
      absl::StrCat("journal '", plugin_id_, "'"));
  inline_writes_ = plugin_->NonBlockingWrites();
  MutexLock lock(plugin_mu_);
  return plugin_->Start();
}

void JournalActor::Submit(WriteMessages request) {
  if (inline_writes_) {
    Write(std::move(request));
  } else {
    Post([this, request = std::move(request)]() mutable {
      Write(std::move(request));
    });
  }
}

void JournalActor::Receive(JournalRequest request) {
  std::visit([this](auto&& r) { Handle(std::move(r)); }, std::move(request));
}

void JournalActor::Write(WriteMessages request) {
  uint64_t write_id;
  const std::vector<AtomicWrite>* writes;
  const Executor executor = std::move(request.executor);
  {
    MutexLock lock(order_mu_);
    write_id = next_reply_id_ + pending_writes_.size();
    // A deque keeps its elements in place as it grows at either end, so
    // `writes` stays valid (and unchanged) while the plugin reads it.
    PendingWrite& pending = pending_writes_.emplace_back();
    pending.writes = std::move(request.writes);
    pending.reply = std::move(request.reply);
    writes = &pending.writes;
  }
  // In the requester's context (or this mailbox), or at once when the
  // plugin completed during the call (OnWriteDone is safe on any thread:
  // order_mu_ keeps the order).
  Locked([&] {
    return breaker_->Call<absl::StatusOr<WriteResults>>([&] {
      return Through(executor, plugin_->AsyncWriteMessages(*writes));
    });
  }).OnComplete([this, write_id](const absl::StatusOr<WriteResults>& r) {
    OnWriteDone(write_id, r);
  });
}

namespace {

// RunOnce holds work for an executor that may drop it unrun (its actor
// stopped): when the last copy of the closure goes without having run it,
// the work is posted to `fallback` instead. So it runs once either way.
class RunOnce {
 public:
  RunOnce(std::shared_ptr<ActorBase> fallback, std::function<void()> work)
      : fallback_(std::move(fallback)), work_(std::move(work)) {}
  RunOnce(const RunOnce&) = delete;
  RunOnce& operator=(const RunOnce&) = delete;
  ~RunOnce() {
    if (work_) fallback_->Post(std::move(work_));
  }

  void Run() {
    std::function<void()> work = std::move(work_);
    work_ = nullptr;
    work();
  }

 private:
  const std::shared_ptr<ActorBase> fallback_;
  std::function<void()> work_;
};

}  // namespace

template <typename T>
Future<T> JournalActor::Through(const Executor& executor, Future<T> future) {
  if (!executor) return InMailbox(std::move(future));
  if (future.IsReady()) return future;
  Promise<T> here;
  future.OnComplete(
      [executor, fallback = shared_from_this(), here](const T& value) {
        auto once = std::make_shared<RunOnce>(
            fallback, [here, value]() mutable { here.Set(std::move(value)); });
        executor([once] { once->Run(); });
      });
  return here.GetFuture();
}

void JournalActor::OnWriteDone(uint64_t write_id,
                               const absl::StatusOr<WriteResults>& outcome) {
  std::vector<std::function<void()>> released;
  {
    MutexLock lock(order_mu_);
    PendingWrite& finished = pending_writes_[write_id - next_reply_id_];
    WriteMessagesResult& result = finished.result.emplace();
    if (!outcome.ok()) {
      result.status = outcome.status();
    } else if (outcome->size() != finished.writes.size()) {
      result.status = absl::InternalError(
          absl::StrCat("journal returned ", outcome->size(), " results for ",
                       finished.writes.size(), " atomic writes"));
    } else {
      result.results = *outcome;
    }
    // Reply in request order: deliver every finished write at the head.
    // Replies run under the lock so that two completing threads cannot
    // reorder them; a reply only posts to its requester's mailbox.
    while (!pending_writes_.empty() &&
           pending_writes_.front().result.has_value()) {
      PendingWrite done = std::move(pending_writes_.front());
      pending_writes_.pop_front();
      ++next_reply_id_;
      done.result->writes = std::move(done.writes);
      if (!reads_waiting_.empty()) ReleaseReads(done.result->writes, released);
      done.reply(*std::move(done.result));
    }
  }
  // Reads call the plugin: they run in this actor's mailbox.
  for (auto& read : released) Post(std::move(read));
}

bool JournalActor::WritesInFlight(const std::string& persistence_id) const {
  for (const PendingWrite& pending : pending_writes_) {
    for (const AtomicWrite& w : pending.writes) {
      if (w.persistence_id() == persistence_id) return true;
    }
  }
  return false;
}

void JournalActor::ReleaseReads(const std::vector<AtomicWrite>& replied,
                                std::vector<std::function<void()>>& released) {
  for (const AtomicWrite& w : replied) {
    auto waiting = reads_waiting_.find(w.persistence_id());
    if (waiting == reads_waiting_.end() || WritesInFlight(waiting->first)) {
      continue;
    }
    for (auto& read : waiting->second) released.push_back(std::move(read));
    reads_waiting_.erase(waiting);
  }
}

void JournalActor::RunAfterWrites(const std::string& persistence_id,
                                  std::function<void()> read) {
  {
    MutexLock lock(order_mu_);
    if (WritesInFlight(persistence_id)) {
      reads_waiting_[persistence_id].push_back(std::move(read));
      return;
    }
  }
  read();
}

void JournalActor::Handle(ReadHighestSequenceNr request) {
  auto shared = std::make_shared<ReadHighestSequenceNr>(std::move(request));
  RunAfterWrites(shared->persistence_id, [this, shared] {
    Locked([&] {
      return breaker_->Call<absl::StatusOr<int64_t>>([&] {
        return InMailbox(plugin_->AsyncReadHighestSequenceNr(
            shared->persistence_id, shared->from_sequence_nr));
      });
    }).OnComplete([shared](const absl::StatusOr<int64_t>& highest) {
      shared->reply(highest);
    });
  });
}

void JournalActor::Handle(DeleteMessagesTo request) {
  auto shared = std::make_shared<DeleteMessagesTo>(std::move(request));
  RunAfterWrites(shared->persistence_id, [this, shared] {
    Locked([&] {
      return breaker_->Call<absl::Status>([&] {
        return InMailbox(plugin_->AsyncDeleteMessagesTo(
            shared->persistence_id, shared->to_sequence_nr));
      });
    }).OnComplete([shared](const absl::Status& s) { shared->reply(s); });
  });
}

// Replay: one replay, read a page at a time (see ReadPage).
struct JournalActor::Replay {
  std::shared_ptr<ReplayStream> stream;
  std::string persistence_id;
  int64_t from = 0;  // of the next page (negative: the last `left` events)
  int64_t to = 0;    // the request's, at most the highest
  int64_t left = 0;  // events not yet asked for (the request's max)
  int64_t highest = 0;
};

void JournalActor::Handle(ReplayMessages request) {
  // The stream exists from here on, so that every answer, errors included,
  // reaches the requester through its executor: the requester's, else
  // this actor's mailbox.
  if (!request.executor) {
    request.executor = [self = shared_from_this()](std::function<void()> run) {
      self->Post(std::move(run));
    };
  }
  auto replay = std::make_shared<Replay>();
  replay->persistence_id = request.persistence_id;
  replay->from = request.from_sequence_nr;
  replay->to = request.to_sequence_nr;
  replay->left = request.max;
  replay->stream = std::make_shared<ReplayStream>(
      request.persistence_id, settings_.replay_filter, request);
  RunAfterWrites(replay->persistence_id, [this, replay] {
    Locked([&] {
      return breaker_->Call<absl::StatusOr<int64_t>>([&] {
        return InMailbox(plugin_->AsyncReadHighestSequenceNr(
            replay->persistence_id, std::max<int64_t>(0, replay->from)));
      });
    }).OnComplete([this, replay](const absl::StatusOr<int64_t>& highest) {
      if (!highest.ok()) {
        replay->stream->Complete(highest.status());
        return;
      }
      replay->highest = *highest;
      replay->to = std::min(replay->to, *highest);
      StartReplay(replay);
    });
  });
}

namespace {

// Watch fails a replay that makes no progress for `timeout`.
void Watch(Scheduler& scheduler, std::shared_ptr<ReplayStream> stream,
           std::chrono::nanoseconds timeout, std::string persistence_id,
           int64_t last_progress) {
  scheduler.ScheduleOnce(timeout, [&scheduler, stream, timeout, persistence_id,
                                   last_progress] {
    if (stream->ended()) return;
    const int64_t progress = stream->progress();
    if (progress != last_progress) {
      Watch(scheduler, stream, timeout, persistence_id, progress);
      return;
    }
    stream->Fail(absl::DeadlineExceededError(absl::StrCat(
        "replay of persistence id '", persistence_id, "' made no progress for ",
        std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count(),
        " ms (recovery-event-timeout)")));
  });
}

}  // namespace

void JournalActor::StartReplay(std::shared_ptr<Replay> replay) {
  if (replay->left <= 0 || (replay->from > replay->to && replay->from >= 0)) {
    replay->stream->Complete(replay->highest);
    return;
  }
  Watch(system().scheduler(), replay->stream, settings_.recovery_event_timeout,
        replay->persistence_id, 0);
  // The last `left` events take more than the first page (the whole
  // window): find where they begin, then page from there.
  if (replay->from < 0 &&
      replay->left > static_cast<int64_t>(ReplayStream::kCapacity)) {
    Locate(std::move(replay));
  } else {
    ReadPage(std::move(replay));
  }
}

void JournalActor::ReadPage(std::shared_ptr<Replay> replay) {
  ReplayStream& stream = *replay->stream;
  if (stream.ended()) return;
  // A page takes all the room the window has: the whole window at first,
  // then at least kReplayPage (WhenRoom waited for that much).
  const int64_t count = std::min<int64_t>(
      replay->left, static_cast<int64_t>(std::max(stream.Room(), kReplayPage)));
  replay->left -= count;
  const int64_t before = stream.added();
  // A long replay's consumer starts with the reading (replay_stream.h).
  if (before == 0 && std::min(replay->left + count,
                              replay->to - std::max<int64_t>(replay->from, 1) +
                                  1) >= ReplayStream::kStandByEvents) {
    stream.StandBy();
  }
  Locked([&] {
    return InMailbox(plugin_->AsyncReplayMessages(replay->persistence_id,
                                                  replay->from, replay->to,
                                                  count, stream.Callback()));
  }).OnComplete([this, replay, count, before](const absl::Status& s) {
    ReplayStream& stream = *replay->stream;
    if (!s.ok()) {
      stream.Complete(s);
      return;
    }
    // A page shorter than asked for is the end of the range.
    const int64_t last = stream.last_added();
    if (stream.added() - before < count || replay->left <= 0 ||
        last >= replay->to) {
      stream.Complete(replay->highest);
      return;
    }
    replay->from = last + 1;
    stream.EndOfPage();
    // In the mailbox already when there is room; else from the consumer.
    if (stream.WhenRoom([self = shared_from_this(), this, replay] {
          self->Post([this, replay] { ReadPage(replay); });
        })) {
      ReadPage(replay);
    }
  });
}

void JournalActor::Locate(std::shared_ptr<Replay> replay) {
  // The plugin replays the last `left` events; the first one's sequence
  // number is all this keeps. A record receiver stops the plugin there.
  auto first = std::make_shared<int64_t>(0);
  auto note = [first](int64_t sequence_nr) {
    if (*first == 0) *first = sequence_nr;
  };
  ReplayCallback locate(
      [note](PersistentRepr&& event) { note(event.sequence_nr); },
      [note](int64_t sequence_nr, std::string_view) {
        note(sequence_nr);
        return absl::CancelledError("located");
      });
  Locked([&] {
    return InMailbox(plugin_->AsyncReplayMessages(replay->persistence_id,
                                                  replay->from, replay->to,
                                                  replay->left, locate));
  }).OnComplete([this, replay, first](const absl::Status& s) {
    if (*first == 0) {
      replay->stream->Complete(s.ok() ? absl::StatusOr<int64_t>(replay->highest)
                                      : s);
      return;
    }
    replay->from = *first;
    ReadPage(replay);
  });
}

}  // namespace persistence
