// Copyright 2026 The eventpersist Authors.
//
// slow_recovery.h: one actor recovers slowly while many others persist, all
// through one Redis connection; how long do the others' persists take?
//
// A replay must never hold up the connection's reader thread, which also
// reads every other id's replies (replay_stream.h). MeasurePersistLatency
// runs `actors` persistent actors, each persisting one event after another
// for `duration`, and reports the latencies of their persists; with
// `slow_events` > 0 it first stores that many events for one more id and
// starts an actor whose ReceiveRecover sleeps `per_event` for each, so
// that it is still recovering while the others are measured. Used by
// slow_recovery_test (a generous bound) and slow_recovery_bench (p50 and
// p99, with and without the slow recovery).
//
// Thread-safety: call from one thread; it builds and terminates its own
// actor system.
//
// Example:
//
//   auto server = RedisServer::Start();
//   absl::StatusOr<LatencyReport> r = MeasurePersistLatency(
//       **server, {.actors = 100, .slow_events = 5000});
//   if (r.ok()) std::cout << r->p99_ms << " ms\n";
#ifndef BACKENDS_REDIS_TESTING_SLOW_RECOVERY_H_
#define BACKENDS_REDIS_TESTING_SLOW_RECOVERY_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backends/redis/testing/redis_server.h"
#include "persistence/api/reference_conf.h"
#include "persistence/runtime/actor_system.h"
#include "persistence/runtime/persistence.h"
#include "persistence/runtime/persistent_actor.h"

namespace persistence::redis::testing {

struct SlowRecoveryOptions {
  int actors = 100;
  std::chrono::milliseconds duration{2000};
  int slow_events = 0;  // 0: no slow recovery
  std::chrono::microseconds per_event{10000};
  int connections = 1;
};

struct LatencyReport {
  int64_t persists = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  // Events the slow actor had recovered when the measurement ended, and
  // whether it was still recovering then (so it overlapped all of it).
  int64_t slow_recovered = 0;
  bool slow_still_recovering = false;
};

namespace slow_recovery_internal {

using Clock = std::chrono::steady_clock;

// Slow recovers with a pause per event.
class Slow : public PersistentActor<int> {
 public:
  Slow(std::string id, std::chrono::microseconds per_event,
       std::atomic<int64_t>* recovered, std::atomic<bool>* done)
      : id_(std::move(id)),
        per_event_(per_event),
        recovered_(recovered),
        done_(done) {}
  std::string PersistenceId() const override { return id_; }
  Recovery GetRecovery() const override {
    return {SnapshotSelectionCriteria::None(), kMaxSequenceNr, kMaxSequenceNr};
  }
  void ReceiveRecover(const Payload&) override {
    std::this_thread::sleep_for(per_event_);
    recovered_->fetch_add(1, std::memory_order_relaxed);
  }
  void OnRecoveryCompleted() override { done_->store(true); }
  void ReceiveCommand(int) override {}

 private:
  const std::string id_;
  const std::chrono::microseconds per_event_;
  std::atomic<int64_t>* const recovered_;
  std::atomic<bool>* const done_;
};

// Persister persists one event after another until the deadline.
class Persister : public PersistentActor<int> {
 public:
  Persister(std::string id, Clock::time_point deadline,
            Promise<std::vector<double>> latencies_ms)
      : id_(std::move(id)), deadline_(deadline), out_(latencies_ms) {}
  std::string PersistenceId() const override { return id_; }
  Recovery GetRecovery() const override { return Recovery::None(); }
  void ReceiveRecover(const Payload&) override {}
  // The first persist counts from the actor's creation: its recovery (a
  // read of its highest sequence number) goes through the same connection.
  void ReceiveCommand(int) override { Next(created_); }
  void OnPersistFailure(const absl::Status&, const PersistentRepr&) override {
    out_.Set(std::move(latencies_));
  }

 private:
  void Next(Clock::time_point start) {
    Persist<std::string>("event", [this, start](const std::string&) {
      const Clock::time_point now = Clock::now();
      latencies_.push_back(
          std::chrono::duration<double, std::milli>(now - start).count());
      if (now < deadline_) {
        Next(now);
      } else {
        out_.Set(std::move(latencies_));
      }
    });
  }

  const std::string id_;
  const Clock::time_point created_ = Clock::now();
  const Clock::time_point deadline_;
  Promise<std::vector<double>> out_;
  std::vector<double> latencies_;
};

inline double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i =
      std::min(sorted.size() - 1, static_cast<size_t>(p * (sorted.size() - 1)));
  return sorted[i];
}

}  // namespace slow_recovery_internal

inline absl::StatusOr<LatencyReport> MeasurePersistLatency(
    const RedisServer& server, SlowRecoveryOptions options) {
  using namespace slow_recovery_internal;
  absl::StatusOr<Config> config = LoadConfigFromString(
      absl::StrCat(server.HoconOverlay(),
                   "persistence.journal.plugin = persistence.journal.redis\n"
                   "persistence.snapshot-store.plugin = "
                   "persistence.snapshot-store.redis\n"
                   "persistence.journal.redis.connections = ",
                   options.connections, "\n"),
      "slow recovery");
  if (!config.ok()) return config.status();
  absl::StatusOr<std::unique_ptr<ActorSystem>> system =
      ActorSystem::Create("slow-recovery", *config);
  if (!system.ok()) return system.status();
  absl::StatusOr<ActorRef<JournalRequest>> journal =
      (*system)->Extension<Persistence>().Journal();
  if (!journal.ok()) return journal.status();

  std::atomic<int64_t> recovered{0};
  std::atomic<bool> slow_done{false};
  // Fresh ids for each run, so that runs may share a server.
  const std::string run = absl::StrCat(Clock::now().time_since_epoch().count());
  const std::string slow_id = absl::StrCat("slow-", run);
  if (options.slow_events > 0) {
    // Stored in atomic writes of 100 events.
    for (int first = 1; first <= options.slow_events; first += 100) {
      std::vector<PersistentRepr> events;
      for (int seq = first; seq < first + 100 && seq <= options.slow_events;
           ++seq) {
        PersistentRepr e;
        e.persistence_id = slow_id;
        e.sequence_nr = seq;
        e.payload = Payload::Of(std::string(100, 'e'));
        events.push_back(std::move(e));
      }
      Promise<absl::Status> stored;
      journal->Tell(WriteMessages{
          {*AtomicWrite::Make(std::move(events))},
          [stored](WriteMessagesResult r) { stored.Set(r.status); }});
      absl::Status s = stored.GetFuture().Get();
      if (!s.ok()) return s;
    }
    (*system)->Spawn<Slow>(slow_id, options.per_event, &recovered, &slow_done);
    while (recovered.load() == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  const Clock::time_point deadline = Clock::now() + options.duration;
  std::vector<Future<std::vector<double>>> results;
  for (int i = 0; i < options.actors; ++i) {
    Promise<std::vector<double>> out;
    results.push_back(out.GetFuture());
    auto actor = (*system)->Spawn<Persister>(
        absl::StrCat("persister-", i, "-", run), deadline, out);
    ActorRef<int>(actor).Tell(0);
  }
  std::vector<double> all;
  for (auto& result : results) {
    if (!result.WaitFor(options.duration + std::chrono::seconds(30))) {
      return absl::DeadlineExceededError(
          "a persisting actor did not finish within 30 s of its deadline");
    }
    all.insert(all.end(), result.Get().begin(), result.Get().end());
  }
  LatencyReport report;
  report.slow_recovered = recovered.load();
  report.slow_still_recovering = options.slow_events > 0 && !slow_done.load();
  std::sort(all.begin(), all.end());
  report.persists = static_cast<int64_t>(all.size());
  report.p50_ms = Percentile(all, 0.50);
  report.p99_ms = Percentile(all, 0.99);
  report.max_ms = all.empty() ? 0 : all.back();
  return report;
}

}  // namespace persistence::redis::testing

#endif  // BACKENDS_REDIS_TESTING_SLOW_RECOVERY_H_
