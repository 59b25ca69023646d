// Copyright 2026 The eventpersist Authors.
//
// GrpcSnapshotStore: the `grpc` backend's snapshot store (grpc_journal.h
// describes the backend). Every call is one unary RPC with the deadline of
// command-timeout; snapshots travel as the stored codec's bytes.
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/grpc/client.h"
#include "backends/grpc/remote.grpc.pb.h"
#include "persistence/api/codec.h"
#include "persistence/api/mutex.h"
#include "persistence/api/registry.h"
#include "persistence/api/snapshot_store.h"

namespace persistence::grpc_backend {
namespace {

namespace v1 = ::eventpersist::remote::v1;

void ToWire(const SnapshotSelectionCriteria& c, v1::SelectionCriteria* out) {
  out->set_max_sequence_nr(c.max_sequence_nr);
  out->set_max_timestamp(c.max_timestamp);
  out->set_min_sequence_nr(c.min_sequence_nr);
  out->set_min_timestamp(c.min_timestamp);
}

void ToWire(const SnapshotMetadata& m, v1::SnapshotMetadata* out) {
  out->set_persistence_id(m.persistence_id);
  out->set_sequence_nr(m.sequence_nr);
  out->set_timestamp(m.timestamp);
}

class GrpcSnapshotStore : public SnapshotStore {
 public:
  explicit GrpcSnapshotStore(const Config& config) : config_(config) {}

  ~GrpcSnapshotStore() override {
    MutexLock lock(mu_);
    lock.Wait(idle_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return calls_in_flight_ == 0;
    });
  }

  absl::Status Start() override {
    absl::StatusOr<ClientSettings> settings =
        ClientSettings::FromConfig(config_);
    if (!settings.ok()) return settings.status();
    absl::StatusOr<int64_t> attempts =
        config_.GetIntAtLeast("max-load-attempts", 1);
    if (!attempts.ok()) return attempts.status();
    max_load_attempts_ = *attempts;
    absl::StatusOr<std::unique_ptr<RemoteClient>> client =
        RemoteClient::Connect(*settings, "snapshot store");
    if (!client.ok()) return client.status();
    client_ = *std::move(client);
    stub_ = v1::SnapshotStore::NewStub(client_->channel());
    return absl::OkStatus();
  }

  // LoadAsync loads the youngest matching snapshot; one that does not
  // decode here (its type unknown, its bytes bad) gives way to the next
  // older one, up to max-load-attempts loads in all.
  Future<LoadResult> LoadAsync(
      const std::string& persistence_id,
      const SnapshotSelectionCriteria& criteria) override {
    Promise<LoadResult> promise;
    LoadAttempt(persistence_id, criteria, max_load_attempts_, promise);
    return promise.GetFuture();
  }

  Future<absl::Status> SaveAsync(const SnapshotMetadata& metadata,
                                 const Payload& snapshot) override {
    absl::StatusOr<std::string> bytes = EncodeSnapshot(metadata, snapshot);
    if (!bytes.ok()) return MakeReadyFuture(bytes.status());
    v1::SaveSnapshotRequest request;
    ToWire(metadata, request.mutable_metadata());
    *request.mutable_snapshot() = *std::move(bytes);
    return Call<absl::Status>(
        &v1::SnapshotStore::Stub::async_interface::Save, std::move(request),
        "Save",
        [](const v1::SaveSnapshotResponse&) { return absl::OkStatus(); });
  }

  Future<absl::Status> DeleteAsync(const SnapshotMetadata& metadata) override {
    v1::DeleteSnapshotRequest request;
    ToWire(metadata, request.mutable_metadata());
    return Call<absl::Status>(
        &v1::SnapshotStore::Stub::async_interface::Delete, std::move(request),
        "Delete",
        [](const v1::DeleteSnapshotResponse&) { return absl::OkStatus(); });
  }

  Future<absl::Status> DeleteAsync(
      const std::string& persistence_id,
      const SnapshotSelectionCriteria& criteria) override {
    v1::DeleteSnapshotsRequest request;
    request.set_persistence_id(persistence_id);
    ToWire(criteria, request.mutable_criteria());
    return Call<absl::Status>(
        &v1::SnapshotStore::Stub::async_interface::DeleteMatching,
        std::move(request), "DeleteMatching",
        [](const v1::DeleteSnapshotResponse&) { return absl::OkStatus(); });
  }

 private:
  using Loaded = absl::StatusOr<v1::LoadSnapshotResponse>;

  void LoadAttempt(const std::string& persistence_id,
                   const SnapshotSelectionCriteria& criteria, int64_t left,
                   Promise<LoadResult> promise) {
    v1::LoadSnapshotRequest request;
    request.set_persistence_id(persistence_id);
    ToWire(criteria, request.mutable_criteria());
    // The continuation runs inside the call's callback, before the call
    // counts as ended, so the store is still there for the next attempt.
    Call<Loaded>(&v1::SnapshotStore::Stub::async_interface::Load,
                 std::move(request), "Load",
                 [](const v1::LoadSnapshotResponse& r) { return Loaded(r); })
        .OnComplete([this, persistence_id, criteria, left,
                     promise](const Loaded& loaded) {
          if (!loaded.ok()) return promise.Set(loaded.status());
          if (!loaded->found()) return promise.Set(std::nullopt);
          absl::StatusOr<SelectedSnapshot> s =
              DecodeSnapshot(loaded->snapshot(), persistence_id);
          if (s.ok()) {
            return promise.Set(std::optional<SelectedSnapshot>(*std::move(s)));
          }
          if (left <= 1) return promise.Set(s.status());
          SnapshotSelectionCriteria older = criteria;
          older.max_sequence_nr = loaded->metadata().sequence_nr() - 1;
          LoadAttempt(persistence_id, older, left - 1, promise);
        });
  }

  // Call makes one unary RPC through `method` of the async stub and
  // completes with `convert` of its response, or the call's error.
  template <typename R, typename Request, typename Response, typename Convert>
  Future<R> Call(void (v1::SnapshotStore::Stub::async_interface::*method)(
                     grpc::ClientContext*, const Request*, Response*,
                     std::function<void(grpc::Status)>),
                 Request request, const char* name, Convert convert) {
    struct State {
      grpc::ClientContext context;
      Request request;
      Response response;
    };
    auto* state = new State();
    state->request = std::move(request);
    client_->Prepare(state->context);
    Promise<R> promise;
    {
      // Also orders the state's writes before the gRPC thread's reads for
      // ThreadSanitizer, which does not see gRPC's own ordering.
      MutexLock lock(mu_);
      ++calls_in_flight_;
    }
    (stub_->async()->*method)(
        &state->context, &state->request, &state->response,
        [this, state, promise, name, convert](grpc::Status status) {
          { MutexLock lock(mu_); }  // see above
          std::unique_ptr<State> owned(state);
          if (status.ok()) {
            promise.Set(convert(state->response));
          } else {
            promise.Set(R(client_->ToStatus(status, name)));
          }
          owned.reset();
          MutexLock lock(mu_);
          if (--calls_in_flight_ == 0) idle_.notify_all();
        });
    return promise.GetFuture();
  }

  const Config config_;
  int64_t max_load_attempts_ = 3;
  std::unique_ptr<RemoteClient> client_;
  std::unique_ptr<v1::SnapshotStore::Stub> stub_;
  Mutex mu_;
  int calls_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::condition_variable idle_;
};

}  // namespace

PERSISTENCE_REGISTER(SnapshotStoreRegistry, "grpc.SnapshotStore",
                     Construct<GrpcSnapshotStore>);

}  // namespace persistence::grpc_backend
