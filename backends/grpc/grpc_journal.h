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
// are pipelined, but a write waits while an earlier write of one of its
// persistence ids is still in flight, so that the server applies each id's
// writes in call order (separate RPCs may overtake each other). Replay is
// a server stream read one chunk at a time: the next chunk is asked for
// only after the last one went to the callback, so HTTP/2 flow control
// holds the server back and memory stays bounded by a chunk and the
// transport's window.
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
  class ReplayCall;

  void Enqueue(std::unique_ptr<WriteCall> call);
  void Send(WriteCall* call);
  void Finish(WriteCall* call, const grpc::Status& status);
  void CallStarted();
  void CallEnded();

  const Config config_;
  std::unique_ptr<RemoteClient> client_;
  std::unique_ptr<eventpersist::remote::v1::Journal::Stub> stub_;

  Mutex mu_;
  // Per persistence id, its writes not yet answered, oldest first: only
  // the head of each queue is on the wire.
  std::unordered_map<std::string, std::deque<WriteCall*>> queues_
      ABSL_GUARDED_BY(mu_);
  int calls_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::condition_variable idle_;
};

}  // namespace persistence::grpc_backend

#endif  // BACKENDS_GRPC_GRPC_JOURNAL_H_
