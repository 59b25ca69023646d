// Copyright 2026 The eventpersist Authors.
#include "backends/grpc/grpc_journal.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "persistence/api/codec.h"
#include "persistence/api/registry.h"

namespace persistence::grpc_backend {

namespace v1 = ::eventpersist::remote::v1;

// One AsyncWriteMessages call: its request, its reply and its place in the
// queues of its ids.
struct GrpcJournal::WriteCall {
  grpc::ClientContext context;
  v1::WriteRequest request;
  v1::WriteResponse response;
  // The distinct ids of the writes sent.
  std::vector<std::string> ids;
  // results[i] answers write i of the call: rejections are filled in at
  // once; sent[i] is whether write i went to the server.
  WriteResults results;
  std::vector<bool> sent;
  Promise<absl::StatusOr<WriteResults>> promise;
  // Queues in which an earlier write is ahead of this one.
  int blocked = 0;
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
    if (std::find(call->ids.begin(), call->ids.end(),
                  write.persistence_id()) == call->ids.end()) {
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
  client_->Prepare(call->context);
  Enqueue(std::move(call));
  return result;
}

void GrpcJournal::Enqueue(std::unique_ptr<WriteCall> owned) {
  WriteCall* call = owned.release();
  {
    MutexLock lock(mu_);
    ++calls_in_flight_;
    for (const std::string& id : call->ids) {
      std::deque<WriteCall*>& queue = queues_[id];
      if (!queue.empty()) ++call->blocked;
      queue.push_back(call);
    }
    if (call->blocked > 0) return;
  }
  Send(call);
}

void GrpcJournal::Send(WriteCall* call) {
  stub_->async()->Write(&call->context, &call->request, &call->response,
                        [this, call](grpc::Status status) {
                          Finish(call, status);
                        });
}

void GrpcJournal::Finish(WriteCall* call, const grpc::Status& status) {
  std::unique_ptr<WriteCall> owned(call);
  std::vector<WriteCall*> ready;
  {
    MutexLock lock(mu_);
    for (const std::string& id : call->ids) {
      auto it = queues_.find(id);
      std::deque<WriteCall*>& queue = it->second;
      queue.pop_front();  // this call: only a queue's head is sent
      if (queue.empty()) {
        queues_.erase(it);
      } else if (--queue.front()->blocked == 0) {
        ready.push_back(queue.front());
      }
    }
  }
  for (WriteCall* next : ready) Send(next);

  absl::StatusOr<WriteResults> outcome;
  if (!status.ok()) {
    outcome = client_->ToStatus(status, "Write");
  } else if (call->response.results_size() != call->request.writes_size()) {
    outcome = absl::InternalError(absl::StrCat(
        "remote journal at ", client_->settings().address, ": Write: ",
        call->response.results_size(), " results for ",
        call->request.writes_size(), " writes"));
  } else {
    int next = 0;
    for (size_t i = 0; i < call->results.size(); ++i) {
      if (!call->sent[i]) continue;
      const v1::Status& r = call->response.results(next++);
      call->results[i] =
          absl::Status(static_cast<absl::StatusCode>(r.code()), r.message());
    }
    outcome = std::move(call->results);
  }
  call->promise.Set(std::move(outcome));
  owned.reset();
  CallEnded();
}

// A replay: one server stream, read a chunk at a time.
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
    journal_->client_->Prepare(context_);
    journal_->stub_->async()->Replay(&context_, &request_, this);
    StartRead(&chunk_);
    StartCall();
    return done;
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended: OnDone follows
    for (const v1::Event& event : chunk_.events()) {
      const int64_t seq = event.sequence_nr();
      if (seq <= last_ || seq < request_.from_sequence_nr() || seq < 1 ||
          seq > request_.to_sequence_nr() || count_ >= request_.max()) {
        return Stop(absl::DataLossError(absl::StrCat(
            "remote journal at ", journal_->client_->settings().address,
            ": replay of persistence id '", request_.persistence_id(),
            "' [", request_.from_sequence_nr(), ", ",
            request_.to_sequence_nr(), "] max ", request_.max(),
            " sent sequence number ", seq, " after ", last_)));
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
    GrpcJournal* journal = journal_;
    promise_.Set(error_.ok() ? journal->client_->ToStatus(status, "Replay")
                             : error_);
    delete this;
    journal->CallEnded();
  }

 private:
  // Stop ends the replay with `why`; the server's stream is cancelled.
  void Stop(absl::Status why) {
    error_ = std::move(why);
    context_.TryCancel();
  }

  GrpcJournal* const journal_;
  const ReplayCallback callback_;
  grpc::ClientContext context_;
  v1::ReplayRequest request_;
  v1::ReplayChunk chunk_;
  Promise<absl::Status> promise_;
  absl::Status error_;
  int64_t last_ = 0;
  int64_t count_ = 0;
};

Future<absl::Status> GrpcJournal::AsyncReplayMessages(
    const std::string& persistence_id, int64_t from_sequence_nr,
    int64_t to_sequence_nr, int64_t max, ReplayCallback callback) {
  // A negative `from` asks for the last `max` events up to `to`.
  if (max <= 0 || (from_sequence_nr > to_sequence_nr && from_sequence_nr >= 0)) {
    return MakeReadyFuture(absl::OkStatus());
  }
  CallStarted();
  return (new ReplayCall(this, persistence_id, from_sequence_nr,
                         to_sequence_nr, max, std::move(callback)))
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
        delete call;
        promise.Set(client_->ToStatus(status, "DeleteMessagesTo"));
        CallEnded();
      });
  return promise.GetFuture();
}

PERSISTENCE_REGISTER(JournalRegistry, "grpc.Journal", Construct<GrpcJournal>);

}  // namespace persistence::grpc_backend
