// Copyright 2026 The eventpersist Authors.
#include "tck/tck_support.h"

#include <atomic>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "persistence/runtime/persistence.h"
#include "tck/tck.h"

namespace persistence::tck {
namespace {

class TckEventSerializer : public Serializer {
 public:
  int32_t Identifier() const override { return kTckEventSerializerId; }
  std::string Manifest(const Payload&) const override { return "TckEvent"; }
  absl::StatusOr<std::string> ToBinary(const Payload& payload) const override {
    const TckEvent* e = payload.As<TckEvent>();
    if (e == nullptr) return absl::InvalidArgumentError("not a TckEvent");
    return absl::StrCat(e->number, "|", e->text);
  }
  absl::StatusOr<Payload> FromBinary(std::string_view bytes,
                                     std::string_view manifest) const override {
    if (manifest != "TckEvent") {
      return absl::InvalidArgumentError("unknown manifest");
    }
    const size_t bar = bytes.find('|');
    if (bar == std::string_view::npos) {
      return absl::DataLossError("TckEvent bytes without '|'");
    }
    TckEvent e;
    e.number = std::stoll(std::string(bytes.substr(0, bar)));
    e.text = std::string(bytes.substr(bar + 1));
    return Payload::Of(e);
  }
};

class UnloadableSerializer : public Serializer {
 public:
  int32_t Identifier() const override { return kUnloadableSerializerId; }
  absl::StatusOr<std::string> ToBinary(const Payload& payload) const override {
    const Unloadable* u = payload.As<Unloadable>();
    if (u == nullptr) return absl::InvalidArgumentError("not an Unloadable");
    return absl::StrCat("unloadable ", u->value);
  }
  absl::StatusOr<Payload> FromBinary(std::string_view,
                                     std::string_view) const override {
    return absl::DataLossError("the kit's Unloadable never loads");
  }
};

const bool kRegistered = [] {
  Serialization& s = Serialization::Global();
  return s.Register<TckEvent>(std::make_shared<TckEventSerializer>()).ok() &&
         s.Register<Unloadable>(std::make_shared<UnloadableSerializer>()).ok();
}();

}  // namespace

std::unique_ptr<ActorSystem> NewSystem(const std::string& name) {
  (void)kRegistered;
  absl::StatusOr<std::unique_ptr<ActorSystem>> system =
      ActorSystem::Create(name, Settings().config);
  if (!system.ok()) return nullptr;
  return *std::move(system);
}

std::string UniqueId(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const int64_t run =
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  return absl::StrCat(prefix, "-", run, "-", ++counter);
}

PersistentRepr Event(const std::string& persistence_id, int64_t sequence_nr,
                     const std::string& payload,
                     const std::string& writer_uuid) {
  PersistentRepr e;
  e.persistence_id = persistence_id;
  e.sequence_nr = sequence_nr;
  e.payload = Payload::Of(payload);
  e.writer_uuid = writer_uuid;
  return e;
}

Future<WriteMessagesResult> JournalClient::WriteAsync(
    std::vector<AtomicWrite> writes,
    std::function<void(const WriteMessagesResult&)> on_reply) const {
  Promise<WriteMessagesResult> done;
  writer_->Submit(
      WriteMessages{std::move(writes), [done, on_reply](WriteMessagesResult r) {
                      if (on_reply) on_reply(r);
                      done.Set(std::move(r));
                    }});
  return done.GetFuture();
}

WriteMessagesResult JournalClient::Write(
    std::vector<AtomicWrite> writes) const {
  absl::StatusOr<WriteMessagesResult> r = Await(WriteAsync(std::move(writes)));
  if (!r.ok()) {
    WriteMessagesResult timeout;
    timeout.status = r.status();
    return timeout;
  }
  return *r;
}

ReplayOutcome JournalClient::Replay(const std::string& persistence_id,
                                    int64_t from, int64_t to,
                                    int64_t max) const {
  struct Shared {
    std::mutex mu;
    std::vector<PersistentRepr> events;
  };
  auto shared = std::make_shared<Shared>();
  Promise<absl::StatusOr<int64_t>> done;
  ReplayMessages request;
  request.persistence_id = persistence_id;
  request.from_sequence_nr = from;
  request.to_sequence_nr = to;
  request.max = max;
  request.on_events = [shared](absl::Span<PersistentRepr> events) {
    std::lock_guard<std::mutex> lock(shared->mu);
    for (PersistentRepr& e : events) shared->events.push_back(std::move(e));
  };
  request.on_done = [done](absl::StatusOr<int64_t> h) {
    done.Set(std::move(h));
  };
  journal_.Tell(std::move(request));
  ReplayOutcome outcome;
  absl::StatusOr<absl::StatusOr<int64_t>> highest = Await(done.GetFuture());
  outcome.highest = highest.ok() ? *highest : highest.status();
  std::lock_guard<std::mutex> lock(shared->mu);
  outcome.events = shared->events;
  return outcome;
}

absl::Status JournalClient::Delete(const std::string& persistence_id,
                                   int64_t to) const {
  Promise<absl::Status> done;
  journal_.Tell(DeleteMessagesTo{persistence_id, to,
                                 [done](absl::Status s) { done.Set(s); }});
  absl::StatusOr<absl::Status> r = Await(done.GetFuture());
  return r.ok() ? *r : r.status();
}

absl::StatusOr<int64_t> JournalClient::Highest(
    const std::string& persistence_id) const {
  Promise<absl::StatusOr<int64_t>> done;
  journal_.Tell(ReadHighestSequenceNr{
      persistence_id, 0, [done](absl::StatusOr<int64_t> h) { done.Set(h); }});
  absl::StatusOr<absl::StatusOr<int64_t>> r = Await(done.GetFuture());
  return r.ok() ? *r : r.status();
}

absl::StatusOr<SnapshotMetadata> SnapshotClient::Save(
    const SnapshotMetadata& metadata, const Payload& snapshot) const {
  Promise<absl::StatusOr<SnapshotMetadata>> done;
  store_.Tell(SaveSnapshot{
      metadata, snapshot,
      [done](absl::StatusOr<SnapshotMetadata> m) { done.Set(m); }});
  absl::StatusOr<absl::StatusOr<SnapshotMetadata>> r = Await(done.GetFuture());
  return r.ok() ? *r : r.status();
}

LoadResult SnapshotClient::Load(const std::string& persistence_id,
                                const SnapshotSelectionCriteria& criteria,
                                int64_t to_sequence_nr) const {
  Promise<LoadResult> done;
  store_.Tell(LoadSnapshot{persistence_id, criteria, to_sequence_nr,
                           [done](LoadResult r) { done.Set(std::move(r)); }});
  absl::StatusOr<LoadResult> r = Await(done.GetFuture());
  return r.ok() ? *r : LoadResult(r.status());
}

absl::Status SnapshotClient::Delete(const SnapshotMetadata& metadata) const {
  Promise<absl::Status> done;
  store_.Tell(
      DeleteSnapshot{metadata, [done](absl::Status s) { done.Set(s); }});
  absl::StatusOr<absl::Status> r = Await(done.GetFuture());
  return r.ok() ? *r : r.status();
}

absl::Status SnapshotClient::Delete(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria) const {
  Promise<absl::Status> done;
  store_.Tell(DeleteSnapshots{persistence_id, criteria,
                              [done](absl::Status s) { done.Set(s); }});
  absl::StatusOr<absl::Status> r = Await(done.GetFuture());
  return r.ok() ? *r : r.status();
}

}  // namespace persistence::tck
