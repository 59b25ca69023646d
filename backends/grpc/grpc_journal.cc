// Copyright 2026 The eventpersist Authors.
#include "backends/grpc/grpc_journal.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/alarm.h"
#include "persistence/api/codec.h"
#include "persistence/api/registry.h"

namespace persistence::grpc_backend {

namespace v1 = ::eventpersist::remote::v1;

// One AsyncWriteMessages call: its writes and its place in the queues of
// its ids.
struct GrpcJournal::WriteCall {
  std::chrono::system_clock::time_point deadline;
  v1::WriteRequest request;
  // The distinct ids of the writes sent.
  std::vector<std::string> ids;
  // results[i] answers write i of the call: rejections are filled in at
  // once; sent[i] is whether write i goes to the server.
  WriteResults results;
  std::vector<bool> sent;
  size_t bytes = 0;  // of `request`
  Promise<absl::StatusOr<WriteResults>> promise;
  // Queues in which an earlier call is ahead of this one.
  int blocked = 0;
  bool on_the_wire = false;
};

// One Write RPC: the writes of one or more calls, in call order.
struct GrpcJournal::Batch {
  grpc::ClientContext context;
  v1::WriteRequest request;
  v1::WriteResponse response;
  std::vector<std::unique_ptr<WriteCall>> calls;
};

GrpcJournal::GrpcJournal(const Config& config) : config_(config) {}

GrpcJournal::~GrpcJournal() {
  MutexLock lock(mu_);
  lock.Wait(idle_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return calls_in_flight_ == 0;
  });
}

absl::Status GrpcJournal::Start() {
  absl::StatusOr<ClientSettings> settings = ClientSettings::FromConfig(config_);
  if (!settings.ok()) return settings.status();
  absl::StatusOr<std::unique_ptr<RemoteClient>> client =
      RemoteClient::Connect(*settings, "journal");
  if (!client.ok()) return client.status();
  client_ = *std::move(client);
  stub_ = v1::Journal::NewStub(client_->channel());
  return absl::OkStatus();
}

void GrpcJournal::HandOff() { MutexLock lock(mu_); }

void GrpcJournal::CallStarted() {
  MutexLock lock(mu_);
  ++calls_in_flight_;
}

void GrpcJournal::CallEnded() {
  MutexLock lock(mu_);
  if (--calls_in_flight_ == 0) idle_.notify_all();
}

Future<absl::StatusOr<WriteResults>> GrpcJournal::AsyncWriteMessages(
    const std::vector<AtomicWrite>& writes) {
  auto call = std::make_unique<WriteCall>();
  call->results.resize(writes.size());
  call->sent.resize(writes.size(), false);
  for (size_t i = 0; i < writes.size(); ++i) {
    const AtomicWrite& write = writes[i];
    v1::AtomicWrite* out = call->request.add_writes();
    out->set_persistence_id(write.persistence_id());
    absl::Status encoded;
    for (const PersistentRepr& event : write.payload()) {
      v1::Event* e = out->add_events();
      e->set_sequence_nr(event.sequence_nr);
      encoded = AppendEncodedEvent(event, e->mutable_record());
      if (!encoded.ok()) break;
    }
    if (!encoded.ok()) {  // rejected: nothing of it goes to the server
      call->results[i] = std::move(encoded);
      call->request.mutable_writes()->RemoveLast();
      continue;
    }
    call->sent[i] = true;
    if (std::find(call->ids.begin(), call->ids.end(), write.persistence_id()) ==
        call->ids.end()) {
      call->ids.push_back(write.persistence_id());
    }
  }
  Future<absl::StatusOr<WriteResults>> result = call->promise.GetFuture();
  if (call->request.writes_size() == 0) {
    call->promise.Set(std::move(call->results));
    return result;
  }
  // The deadline counts from the call, also while it waits for an earlier
  // write of its ids.
  call->deadline =
      std::chrono::system_clock::now() + client_->settings().command_timeout;
  call->bytes = call->request.ByteSizeLong();
  Enqueue(std::move(call));
  return result;
}

void GrpcJournal::Enqueue(std::unique_ptr<WriteCall> owned) {
  std::unique_ptr<Batch> batch;
  {
    MutexLock lock(mu_);
    ++calls_in_flight_;
    WriteCall* call = owned.release();  // owned by the queues until sent
    for (const std::string& id : call->ids) {
      std::deque<WriteCall*>& queue = queues_[id];
      if (!queue.empty()) ++call->blocked;
      queue.push_back(call);
    }
    if (call->blocked > 0) return;
    batch = Gather(call);
  }
  Send(std::move(batch));
}

std::unique_ptr<GrpcJournal::Batch> GrpcJournal::Gather(WriteCall* head) {
  auto batch = std::make_unique<Batch>();
  head->on_the_wire = true;
  batch->calls.emplace_back(head);
  if (head->ids.size() == 1) {
    const std::deque<WriteCall*>& queue = queues_[head->ids[0]];
    // `head` is the first call of its queue not on the wire.
    auto it = std::find(queue.begin(), queue.end(), head);
    // Half the message limit: the batch's framing adds to the calls' bytes.
    const size_t limit = client_->settings().max_message_size / 2;
    size_t bytes = head->bytes;
    for (++it; it != queue.end(); ++it) {
      WriteCall* next = *it;
      if (next->ids.size() != 1) break;  // it waits for other ids too
      if (bytes + next->bytes > limit) break;
      bytes += next->bytes;
      next->on_the_wire = true;
      next->blocked = 0;
      batch->calls.emplace_back(next);
    }
  }
  return batch;
}

void GrpcJournal::Send(std::unique_ptr<Batch> owned) {
  Batch* batch = owned.release();  // until Finish
  client_->Prepare(batch->context, batch->calls.front()->deadline);
  if (batch->calls.size() == 1) {
    batch->request.Swap(&batch->calls.front()->request);
  } else {
    for (const std::unique_ptr<WriteCall>& call : batch->calls) {
      for (v1::AtomicWrite& write : *call->request.mutable_writes()) {
        *batch->request.add_writes() = std::move(write);
      }
    }
  }
  HandOff();
  stub_->async()->Write(
      &batch->context, &batch->request, &batch->response,
      [this, batch](grpc::Status status) { Finish(batch, status); });
}

void GrpcJournal::Finish(Batch* batch, const grpc::Status& status) {
  std::unique_ptr<Batch> owned(batch);
  std::vector<std::unique_ptr<Batch>> ready;
  {
    MutexLock lock(mu_);
    for (const std::unique_ptr<WriteCall>& call : batch->calls) {
      for (const std::string& id : call->ids) {
        auto it = queues_.find(id);
        std::deque<WriteCall*>& queue = it->second;
        queue.pop_front();  // this call: the batch is a prefix of the queue
        if (queue.empty()) {
          queues_.erase(it);
        } else if (!queue.front()->on_the_wire &&
                   --queue.front()->blocked == 0) {
          ready.push_back(Gather(queue.front()));
        }
      }
    }
  }
  for (std::unique_ptr<Batch>& next : ready) Send(std::move(next));

  // One result per write sent, in order: each call takes its share.
  int next = 0;
  int sent = 0;
  for (const std::unique_ptr<WriteCall>& call : batch->calls) {
    for (bool s : call->sent) sent += s ? 1 : 0;
  }
  const bool answered = status.ok() && batch->response.results_size() == sent;
  for (const std::unique_ptr<WriteCall>& call : batch->calls) {
    absl::StatusOr<WriteResults> outcome;
    if (!status.ok()) {
      outcome = client_->ToStatus(status, "Write");
    } else if (!answered) {
      outcome = absl::InternalError(absl::StrCat(
          "remote journal at ", client_->settings().address, ": Write: ",
          batch->response.results_size(), " results for ", sent, " writes"));
    } else {
      for (size_t i = 0; i < call->results.size(); ++i) {
        if (!call->sent[i]) continue;
        const v1::Status& r = batch->response.results(next++);
        call->results[i] =
            absl::Status(static_cast<absl::StatusCode>(r.code()), r.message());
      }
      outcome = std::move(call->results);
    }
    call->promise.Set(std::move(outcome));
  }
  const int calls = static_cast<int>(batch->calls.size());
  owned.reset();
  MutexLock lock(mu_);
  calls_in_flight_ -= calls;
  if (calls_in_flight_ == 0) idle_.notify_all();
}

// A replay: one server stream, read a chunk at a time. The stream has no
// deadline of its own, since a long replay may take longer than
// command-timeout in all; a watchdog (a gRPC alarm every command-timeout)
// cancels it when no chunk came since the last look. The call is freed
// once both the stream and the watchdog are done.
class GrpcJournal::ReplayCall
    : public grpc::ClientReadReactor<v1::ReplayChunk> {
 public:
  ReplayCall(GrpcJournal* journal, const std::string& persistence_id,
             int64_t from, int64_t to, int64_t max, ReplayCallback callback)
      : journal_(journal), callback_(std::move(callback)) {
    request_.set_persistence_id(persistence_id);
    request_.set_from_sequence_nr(from);
    request_.set_to_sequence_nr(to);
    request_.set_max(max);
  }

  Future<absl::Status> Start() {
    Future<absl::Status> done = promise_.GetFuture();
    journal_->client_->Authorize(context_);
    journal_->stub_->async()->Replay(&context_, &request_, this);
    {
      MutexLock lock(mu_);
      Arm();
    }
    StartRead(&chunk_);
    StartCall();
    return done;
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended: OnDone follows
    // gRPC runs successive reactions on any of its threads, ordered by
    // its own (uninstrumented) synchronisation; mu_ makes that order
    // visible to ThreadSanitizer too: the replay callback is the plugin's,
    // one thread at a time.
    MutexLock lock(mu_);
    ++chunks_;
    for (const v1::Event& event : chunk_.events()) {
      const int64_t seq = event.sequence_nr();
      if (seq <= last_ || seq < 1 ||
          (request_.from_sequence_nr() >= 0 &&
           seq < request_.from_sequence_nr()) ||
          seq > request_.to_sequence_nr() || count_ >= request_.max()) {
        return Stop(absl::DataLossError(absl::StrCat(
            "remote journal at ", journal_->client_->settings().address,
            ": replay of persistence id '", request_.persistence_id(), "' [",
            request_.from_sequence_nr(), ", ", request_.to_sequence_nr(),
            "] max ", request_.max(), " sent sequence number ", seq, " after ",
            last_)));
      }
      last_ = seq;
      ++count_;
      absl::Status taken =
          callback_.Record(request_.persistence_id(), seq, event.record());
      if (!taken.ok()) return Stop(std::move(taken));
    }
    chunk_.Clear();
    StartRead(&chunk_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::Status result;
    bool alarm_pending;
    {
      MutexLock lock(mu_);
      result = error_;
      done_ = true;
      alarm_pending = alarm_pending_;
      if (timed_out_) {
        result = absl::DeadlineExceededError(absl::StrCat(
            "remote journal at ", journal_->client_->settings().address,
            ": Replay of persistence id '", request_.persistence_id(),
            "': no event for command-timeout (",
            journal_->client_->settings().command_timeout.count(), " ms)"));
      }
    }
    if (result.ok()) result = journal_->client_->ToStatus(status, "Replay");
    promise_.Set(std::move(result));
    if (alarm_pending) {
      alarm_.Cancel();  // its callback frees the call
    } else {
      Free();
    }
  }

 private:
  void Arm() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    alarm_pending_ = true;
    alarm_.Set(std::chrono::system_clock::now() +
                   journal_->client_->settings().command_timeout,
               [this](bool fired) { OnAlarm(fired); });
  }

  void OnAlarm(bool fired) {
    {
      MutexLock lock(mu_);
      alarm_pending_ = false;
      if (fired && !done_) {
        if (chunks_ != chunks_seen_) {
          chunks_seen_ = chunks_;
          Arm();
          return;
        }
        timed_out_ = true;
        context_.TryCancel();
        return;  // OnDone follows, and frees the call
      }
      if (!done_) return;
    }
    Free();
  }

  void Free() {
    GrpcJournal* journal = journal_;
    delete this;
    journal->CallEnded();
  }

  // Stop ends the replay with `why`; the server's stream is cancelled.
  void Stop(absl::Status why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    error_ = std::move(why);
    context_.TryCancel();
  }

  GrpcJournal* const journal_;
  const ReplayCallback callback_;
  grpc::ClientContext context_;
  v1::ReplayRequest request_;
  v1::ReplayChunk chunk_;
  Promise<absl::Status> promise_;
  grpc::Alarm alarm_;
  Mutex mu_;
  // The reader's (OnReadDone, then OnDone).
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  int64_t last_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t chunks_ ABSL_GUARDED_BY(mu_) = 0;  // chunks read
  // The watchdog's.
  int64_t chunks_seen_ ABSL_GUARDED_BY(mu_) = 0;
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool timed_out_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

Future<absl::Status> GrpcJournal::AsyncReplayMessages(
    const std::string& persistence_id, int64_t from_sequence_nr,
    int64_t to_sequence_nr, int64_t max, ReplayCallback callback) {
  // A negative `from` asks for the last `max` events up to `to`.
  if (max <= 0 ||
      (from_sequence_nr > to_sequence_nr && from_sequence_nr >= 0)) {
    return MakeReadyFuture(absl::OkStatus());
  }
  CallStarted();
  return (new ReplayCall(this, persistence_id, from_sequence_nr, to_sequence_nr,
                         max, std::move(callback)))
      ->Start();
}

namespace {

// A unary call: its context, request and reply live until it completes.
template <typename Request, typename Response>
struct Unary {
  grpc::ClientContext context;
  Request request;
  Response response;
};

}  // namespace

Future<absl::StatusOr<int64_t>> GrpcJournal::AsyncReadHighestSequenceNr(
    const std::string& persistence_id, int64_t from_sequence_nr) {
  auto* call = new Unary<v1::ReadHighestRequest, v1::ReadHighestResponse>();
  call->request.set_persistence_id(persistence_id);
  call->request.set_from_sequence_nr(from_sequence_nr);
  client_->Prepare(call->context);
  Promise<absl::StatusOr<int64_t>> promise;
  CallStarted();
  stub_->async()->ReadHighestSequenceNr(
      &call->context, &call->request, &call->response,
      [this, call, promise](grpc::Status status) {
        HandOff();
        std::unique_ptr<std::remove_pointer_t<decltype(call)>> owned(call);
        if (status.ok()) {
          promise.Set(call->response.highest_sequence_nr());
        } else {
          promise.Set(client_->ToStatus(status, "ReadHighestSequenceNr"));
        }
        owned.reset();
        CallEnded();
      });
  return promise.GetFuture();
}

Future<absl::Status> GrpcJournal::AsyncDeleteMessagesTo(
    const std::string& persistence_id, int64_t to_sequence_nr) {
  auto* call = new Unary<v1::DeleteToRequest, v1::DeleteToResponse>();
  call->request.set_persistence_id(persistence_id);
  call->request.set_to_sequence_nr(to_sequence_nr);
  client_->Prepare(call->context);
  Promise<absl::Status> promise;
  CallStarted();
  stub_->async()->DeleteMessagesTo(
      &call->context, &call->request, &call->response,
      [this, call, promise](grpc::Status status) {
        HandOff();
        delete call;
        promise.Set(client_->ToStatus(status, "DeleteMessagesTo"));
        CallEnded();
      });
  return promise.GetFuture();
}

PERSISTENCE_REGISTER(JournalRegistry, "grpc.Journal", Construct<GrpcJournal>);

}  // namespace persistence::grpc_backend
