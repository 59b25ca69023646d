// Copyright 2026 The eventpersist Authors.
//
// grpc_journal.h: the `grpc` backend, a journal and a snapshot store that
// keep their data on a remote server speaking eventpersist.remote.v1
// (remote.proto): //backends/grpc:server, or one in any other language.
//
// Select it with
//   persistence.journal.plugin = "persistence.journal.grpc"
//   persistence.snapshot-store.plugin = "persistence.snapshot-store.grpc"
//   persistence.journal.grpc.address = "10.0.0.7:50051"
// (reference.conf has every key; README.md explains them).
//
// GrpcJournal uses gRPC's asynchronous (callback) API: a write serializes
// its events and is on the wire when AsyncWriteMessages returns
// (NonBlockingWrites), and its Future completes on a gRPC thread. Writes
// of different ids are pipelined. A write waits while an earlier write of
// one of its persistence ids is in flight, so that the server applies each
// id's writes in call order (separate RPCs may overtake each other); the
// writes of one id that waited meanwhile then go together, as one Write
// (group commit on the wire), so no write waits behind more than one.
// Replay is a server stream read one chunk at a time: the next chunk is
// asked for only after the last one went to the callback, so HTTP/2 flow
// control holds the server back and memory stays bounded by a chunk and
// the transport's window. A replay fails when no chunk comes for
// command-timeout (a long replay may take longer in all).
//
// Thread-safety: as the plugin API asks; in-flight bookkeeping is under a
// mutex, and the destructor waits for every call in flight to end (each has
// a deadline, so it does not wait longer than command-timeout).
#ifndef BACKENDS_GRPC_GRPC_JOURNAL_H_
#define BACKENDS_GRPC_GRPC_JOURNAL_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/grpc/client.h"
#include "backends/grpc/remote.grpc.pb.h"
#include "persistence/api/config.h"
#include "persistence/api/journal.h"
#include "persistence/api/mutex.h"

namespace persistence::grpc_backend {

class GrpcJournal : public AsyncWriteJournal {
 public:
  explicit GrpcJournal(const Config& config);
  ~GrpcJournal() override;

  absl::Status Start() override;
  bool NonBlockingWrites() const override { return true; }

  Future<absl::StatusOr<WriteResults>> AsyncWriteMessages(
      const std::vector<AtomicWrite>& writes) override;
  Future<absl::Status> AsyncDeleteMessagesTo(const std::string& persistence_id,
                                             int64_t to_sequence_nr) override;
  Future<absl::Status> AsyncReplayMessages(const std::string& persistence_id,
                                           int64_t from_sequence_nr,
                                           int64_t to_sequence_nr, int64_t max,
                                           ReplayCallback callback) override;
  Future<absl::StatusOr<int64_t>> AsyncReadHighestSequenceNr(
      const std::string& persistence_id, int64_t from_sequence_nr) override;

 private:
  struct WriteCall;
  struct Batch;
  class ReplayCall;

  void Enqueue(std::unique_ptr<WriteCall> call);
  // Gather makes a batch of `head` and, when it writes one id only, the
  // unsent one-id calls queued right behind it. Under mu_.
  std::unique_ptr<Batch> Gather(WriteCall* head)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send(std::unique_ptr<Batch> batch);
  void Finish(Batch* batch, const grpc::Status& status);
  void CallStarted();
  void CallEnded();
  // HandOff takes and releases mu_: the calling thread before it hands a
  // call to gRPC, and the gRPC thread before it reads the call. gRPC's own
  // ordering is invisible to ThreadSanitizer (Debian builds it without),
  // mu_'s is not. CallStarted and Finish, which take mu_ anyway, do the
  // same.
  void HandOff();

  const Config config_;
  std::unique_ptr<RemoteClient> client_;
  std::unique_ptr<eventpersist::remote::v1::Journal::Stub> stub_;

  Mutex mu_;
  // Per persistence id, its writes not yet answered, oldest first: those
  // on the wire are a prefix of each queue.
  std::unordered_map<std::string, std::deque<WriteCall*>> queues_
      ABSL_GUARDED_BY(mu_);
  int calls_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::condition_variable idle_;
};

}  // namespace persistence::grpc_backend

#endif  // BACKENDS_GRPC_GRPC_JOURNAL_H_
