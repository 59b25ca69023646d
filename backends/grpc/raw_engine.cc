// Copyright 2026 The eventpersist Authors.
//
// The raw side of the grpc backend's perf table (docs/perf.md): the bare
// generated stub making the same calls to the same server as the journal,
// blocking, with no plugin, runtime or threads in between.
//
//   WriteEach    one Write per event, each waiting for its reply
//   WriteAsync   Writes of up to 200 one-event writes each (the runtime's
//                max-message-batch-size), one after another: a server
//                applies separate calls in any order, so one id's writes
//                cannot overlap
//   WriteGroups  one Write per group, the group one atomic write
//   Scan         one Replay stream of the whole id, DecodeEvent per event
//
// Its persistence ids carry the prefix "raw-perf:", so they never meet the
// journal's.
#include "perf/raw_engine.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/grpc/client.h"
#include "backends/grpc/remote.grpc.pb.h"
#include "persistence/api/codec.h"

namespace persistence::grpc_backend {
namespace {

namespace v1 = ::eventpersist::remote::v1;

constexpr char kPrefix[] = "raw-perf:";
constexpr size_t kAsyncBatch = 200;

class GrpcRawEngine : public perf::RawEngine {
 public:
  absl::Status Open(const Config& journal_config) override {
    absl::StatusOr<ClientSettings> settings =
        ClientSettings::FromConfig(journal_config);
    if (!settings.ok()) return settings.status();
    settings_ = *settings;
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        MakeChannel(settings_);
    if (!channel.ok()) return channel.status();
    stub_ = v1::Journal::NewStub(*channel);
    if (!(*channel)->WaitForConnected(std::chrono::system_clock::now() +
                                      settings_.connect_timeout)) {
      return absl::UnavailableError(
          absl::StrCat("raw engine: no server at ", settings_.address));
    }
    return absl::OkStatus();
  }

  absl::Status WriteEach(const std::vector<perf::RawRecord>& records) override {
    for (const perf::RawRecord& r : records) {
      v1::WriteRequest request;
      Add(request, r.persistence_id, &r, &r + 1);
      if (absl::Status s = Write(request); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status WriteAsync(
      const std::vector<perf::RawRecord>& records) override {
    for (size_t start = 0; start < records.size(); start += kAsyncBatch) {
      const size_t end = std::min(records.size(), start + kAsyncBatch);
      v1::WriteRequest request;
      for (size_t i = start; i < end; ++i) {
        Add(request, records[i].persistence_id, &records[i], &records[i] + 1);
      }
      if (absl::Status s = Write(request); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status WriteGroups(const std::vector<perf::RawRecord>& records,
                           int group) override {
    for (size_t start = 0; start < records.size(); start += group) {
      const size_t end =
          std::min(records.size(), start + static_cast<size_t>(group));
      v1::WriteRequest request;
      Add(request, records[start].persistence_id, &records[start],
          &records[0] + end);
      if (absl::Status s = Write(request); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> Scan(const std::string& persistence_id) override {
    grpc::ClientContext context;
    Prepare(context);
    v1::ReplayRequest request;
    const std::string id = kPrefix + persistence_id;
    request.set_persistence_id(id);
    request.set_from_sequence_nr(1);
    request.set_to_sequence_nr(kMaxSequenceNr);
    request.set_max(kMaxSequenceNr);
    auto reader = stub_->Replay(&context, request);
    v1::ReplayChunk chunk;
    int64_t read = 0;
    while (reader->Read(&chunk)) {
      for (const v1::Event& e : chunk.events()) {
        absl::StatusOr<PersistentRepr> event =
            DecodeEvent(e.record(), id, e.sequence_nr());
        if (!event.ok()) return event.status();
        ++read;
      }
    }
    grpc::Status s = reader->Finish();
    if (!s.ok()) return Failed("Replay", s);
    return read;
  }

 private:
  // Add appends one atomic write of `id` holding [begin, end).
  static void Add(v1::WriteRequest& request, const std::string& id,
                  const perf::RawRecord* begin, const perf::RawRecord* end) {
    v1::AtomicWrite* write = request.add_writes();
    write->set_persistence_id(kPrefix + id);
    for (const perf::RawRecord* r = begin; r != end; ++r) {
      v1::Event* e = write->add_events();
      e->set_sequence_nr(r->sequence_nr);
      e->set_record(r->bytes);
    }
  }

  void Prepare(grpc::ClientContext& context) const {
    context.set_deadline(std::chrono::system_clock::now() +
                         settings_.command_timeout * 10);
    if (!settings_.token.empty()) {
      context.AddMetadata("authorization", "Bearer " + settings_.token);
    }
  }

  absl::Status Write(const v1::WriteRequest& request) {
    grpc::ClientContext context;
    Prepare(context);
    v1::WriteResponse response;
    grpc::Status s = stub_->Write(&context, request, &response);
    if (!s.ok()) return Failed("Write", s);
    for (const v1::Status& r : response.results()) {
      if (r.code() != 0) {
        return absl::Status(
            static_cast<absl::StatusCode>(r.code()),
            absl::StrCat("raw engine: rejected: ", r.message()));
      }
    }
    return absl::OkStatus();
  }

  static absl::Status Failed(const char* call, const grpc::Status& s) {
    return absl::Status(
        static_cast<absl::StatusCode>(s.error_code()),
        absl::StrCat("raw engine: ", call, ": ", s.error_message()));
  }

  ClientSettings settings_;
  std::unique_ptr<v1::Journal::Stub> stub_;
};

PERSISTENCE_REGISTER(perf::RawEngineRegistry, "grpc", Construct<GrpcRawEngine>);

}  // namespace
}  // namespace persistence::grpc_backend
