// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/journal_actor.h"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "persistence/runtime/actor_system.h"

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
  return s;
}

JournalActor::JournalActor(std::string plugin_id,
                           std::unique_ptr<AsyncWriteJournal> plugin,
                           JournalSettings settings)
    : plugin_id_(std::move(plugin_id)),
      settings_(settings),
      plugin_(std::move(plugin)) {}

absl::Status JournalActor::StartPlugin() {
  breaker_ = std::make_unique<CircuitBreaker>(
      system().scheduler(), settings_.circuit_breaker,
      absl::StrCat("journal '", plugin_id_, "'"));
  return plugin_->Start();
}

void JournalActor::Receive(JournalRequest request) {
  std::visit([this](auto&& r) { Handle(std::move(r)); }, std::move(request));
}

void JournalActor::Handle(WriteMessages request) {
  uint64_t write_id;
  {
    std::lock_guard<std::mutex> lock(order_mu_);
    write_id = next_write_id_++;
    PendingWrite& pending = pending_writes_[write_id];
    pending.reply = std::move(request.reply);
    for (const AtomicWrite& w : request.writes) {
      if (pending.persistence_ids.empty() ||
          pending.persistence_ids.back() != w.persistence_id()) {
        pending.persistence_ids.push_back(w.persistence_id());
        ++writes_in_flight_[w.persistence_id()];
      }
    }
  }
  auto writes = std::make_shared<std::vector<AtomicWrite>>(request.writes);
  auto self = std::dynamic_pointer_cast<JournalActor>(shared_from_this());
  breaker_
      ->Call<absl::StatusOr<WriteResults>>([&] {
        return plugin_->AsyncWriteMessages(std::move(request.writes));
      })
      .OnComplete(
          [self, write_id, writes](const absl::StatusOr<WriteResults>& r) {
            WriteMessagesResult result;
            result.writes = std::move(*writes);
            if (!r.ok()) {
              result.status = r.status();
            } else if (r->size() != result.writes.size()) {
              result.status = absl::InternalError(
                  absl::StrCat("journal returned ", r->size(), " results for ",
                               result.writes.size(), " atomic writes"));
            } else {
              result.results = *r;
            }
            // Straight from the completing thread: replying needs no hop
            // through this actor's mailbox (order_mu_ keeps the order).
            self->OnWriteDone(write_id, std::move(result));
          });
}

void JournalActor::OnWriteDone(uint64_t write_id, WriteMessagesResult result) {
  std::vector<std::function<void()>> released;
  {
    std::lock_guard<std::mutex> lock(order_mu_);
    pending_writes_[write_id].result = std::move(result);
    // Reply in request order: deliver every finished write at the head.
    // Replies run under the lock so that two completing threads cannot
    // reorder them; a reply only posts to its requester's mailbox.
    while (!pending_writes_.empty()) {
      auto head = pending_writes_.begin();
      if (head->first != next_reply_id_ || !head->second.result.has_value())
        break;
      PendingWrite done = std::move(head->second);
      pending_writes_.erase(head);
      ++next_reply_id_;
      done.reply(std::move(*done.result));
      for (const std::string& id : done.persistence_ids) {
        auto it = writes_in_flight_.find(id);
        if (--it->second > 0) continue;
        writes_in_flight_.erase(it);
        auto waiting = reads_waiting_.find(id);
        if (waiting == reads_waiting_.end()) continue;
        for (auto& read : waiting->second) released.push_back(std::move(read));
        reads_waiting_.erase(waiting);
      }
    }
  }
  // Reads call the plugin: they run in this actor's mailbox.
  for (auto& read : released) Post(std::move(read));
}

void JournalActor::RunAfterWrites(const std::string& persistence_id,
                                  std::function<void()> read) {
  {
    std::lock_guard<std::mutex> lock(order_mu_);
    if (writes_in_flight_.count(persistence_id) > 0) {
      reads_waiting_[persistence_id].push_back(std::move(read));
      return;
    }
  }
  read();
}

void JournalActor::Handle(ReadHighestSequenceNr request) {
  auto shared = std::make_shared<ReadHighestSequenceNr>(std::move(request));
  RunAfterWrites(shared->persistence_id, [this, shared] {
    breaker_
        ->Call<absl::StatusOr<int64_t>>([&] {
          return plugin_->AsyncReadHighestSequenceNr(shared->persistence_id,
                                                     shared->from_sequence_nr);
        })
        .OnComplete([shared](const absl::StatusOr<int64_t>& highest) {
          shared->reply(highest);
        });
  });
}

void JournalActor::Handle(DeleteMessagesTo request) {
  auto shared = std::make_shared<DeleteMessagesTo>(std::move(request));
  RunAfterWrites(shared->persistence_id, [this, shared] {
    breaker_
        ->Call<absl::Status>([&] {
          return plugin_->AsyncDeleteMessagesTo(shared->persistence_id,
                                                shared->to_sequence_nr);
        })
        .OnComplete([shared](const absl::Status& s) { shared->reply(s); });
  });
}

void JournalActor::Handle(ReplayMessages request) {
  auto shared = std::make_shared<ReplayMessages>(std::move(request));
  auto self = std::dynamic_pointer_cast<JournalActor>(shared_from_this());
  RunAfterWrites(shared->persistence_id, [this, self, shared] {
    breaker_
        ->Call<absl::StatusOr<int64_t>>([&] {
          return plugin_->AsyncReadHighestSequenceNr(
              shared->persistence_id,
              std::max<int64_t>(0, shared->from_sequence_nr));
        })
        .OnComplete([self, shared](const absl::StatusOr<int64_t>& highest) {
          if (!highest.ok()) {
            shared->on_done(highest.status());
            return;
          }
          const int64_t h = *highest;
          self->Post(
              [self, shared, h] { self->StartReplay(std::move(*shared), h); });
        });
  });
}

namespace {

// One replay in progress: the filter, and whether it is still live (a
// replay that timed out ignores what the plugin sends later).
struct ReplayState {
  std::mutex mu;
  bool live = true;
  int64_t progress = 0;
  int64_t checked = -1;
  std::unique_ptr<ReplayFilter> filter;
  // Events the filter passed, not yet handed to the requester; sent in
  // batches outside the lock (the requester may make the plugin wait).
  std::vector<PersistentRepr> batch;
  std::function<void(std::vector<PersistentRepr>)> on_events;
  std::function<void(absl::StatusOr<int64_t>)> on_done;

  // Add runs one event through the filter and sends a full batch.
  absl::Status Add(const PersistentRepr& event) {
    std::vector<PersistentRepr> full;
    std::function<void(std::vector<PersistentRepr>)> send;
    absl::Status s;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!live) return absl::OkStatus();
      ++progress;
      s = filter->Add(event);
      if (batch.size() >= kReplayBatch) {
        full.swap(batch);
        send = on_events;
      }
    }
    // The plugin calls back one event at a time, so batches stay in order.
    if (send) send(std::move(full));
    return s;
  }

  // Finish ends the replay once, with `result`.
  void Finish(absl::StatusOr<int64_t> result) {
    std::function<void(absl::StatusOr<int64_t>)> done;
    std::function<void(std::vector<PersistentRepr>)> send;
    std::vector<PersistentRepr> rest;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!live) return;
      live = false;
      if (result.ok()) {
        absl::Status s = filter->Finish();
        if (!s.ok()) result = s;
      }
      if (result.ok()) {
        rest.swap(batch);
        send = std::move(on_events);
      }
      done = std::move(on_done);
      // The callbacks hold the requester; a plugin that never completes
      // the replay must not keep the requester alive.
      filter.reset();
      on_events = nullptr;
      batch.clear();
    }
    if (send && !rest.empty()) send(std::move(rest));
    done(std::move(result));
  }
};

void Watch(Scheduler& scheduler, std::shared_ptr<ReplayState> state,
           std::chrono::nanoseconds timeout, std::string persistence_id) {
  scheduler.ScheduleOnce(timeout, [&scheduler, state, timeout, persistence_id] {
    bool stalled;
    {
      std::lock_guard<std::mutex> lock(state->mu);
      if (!state->live) return;
      stalled = state->progress == state->checked;
      state->checked = state->progress;
    }
    if (!stalled) {
      Watch(scheduler, state, timeout, persistence_id);
      return;
    }
    state->Finish(absl::DeadlineExceededError(absl::StrCat(
        "replay of persistence id '", persistence_id, "' made no progress for ",
        std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count(),
        " ms (recovery-event-timeout)")));
  });
}

}  // namespace

void JournalActor::StartReplay(ReplayMessages request, int64_t highest) {
  const int64_t to = std::min(request.to_sequence_nr, highest);
  if (request.max <= 0 ||
      (request.from_sequence_nr > to && request.from_sequence_nr >= 0)) {
    request.on_done(highest);
    return;
  }
  auto state = std::make_shared<ReplayState>();
  state->on_done = std::move(request.on_done);
  const std::string id = request.persistence_id;
  state->on_events = std::move(request.on_events);
  ReplayState* raw = state.get();  // the filter lives inside the state
  state->filter = std::make_unique<ReplayFilter>(
      settings_.replay_filter,
      [raw](PersistentRepr e) { raw->batch.push_back(std::move(e)); },
      [id](const std::string& warning) {
        std::cerr << "WARNING replay filter (" << id << "): " << warning
                  << "\n";
      });
  Watch(system().scheduler(), state, settings_.recovery_event_timeout, id);
  plugin_
      ->AsyncReplayMessages(id, request.from_sequence_nr, to, request.max,
                            [state](const PersistentRepr& event) {
                              absl::Status s = state->Add(event);
                              if (!s.ok()) state->Finish(s);
                            })
      .OnComplete([state, highest](const absl::Status& s) {
        if (s.ok()) {
          state->Finish(highest);
        } else {
          state->Finish(s);
        }
      });
}

}  // namespace persistence
