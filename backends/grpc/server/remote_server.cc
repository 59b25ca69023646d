// Copyright 2026 The eventpersist Authors.
#include "backends/grpc/server/remote_server.h"

#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/grpc/client.h"
#include "backends/grpc/remote.grpc.pb.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "persistence/api/codec.h"
#include "persistence/api/mutex.h"
#include "persistence/runtime/journal_actor.h"
#include "persistence/runtime/persistence.h"
#include "persistence/runtime/snapshot_actor.h"

namespace persistence::grpc_backend {

namespace v1 = ::eventpersist::remote::v1;

namespace {

constexpr char kSection[] = "persistence.remote-server";

// A replay chunk is sent once it holds this many bytes of records.
constexpr size_t kChunkBytes = 64 << 10;

std::string Key(const std::string& key) {
  return absl::StrCat(kSection, ".", key);
}

absl::StatusOr<std::string> ReadFileAt(const Config& config,
                                       const std::string& key) {
  return ReadConfiguredFile(config, Key(key));
}

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

grpc::Status Invalid(const std::string& why) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, why);
}

// Equal compares in time that depends on the lengths only, not on where
// the first difference is.
bool ConstantTimeEquals(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g =
        i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0;
}

SnapshotSelectionCriteria FromWire(const v1::SelectionCriteria& c) {
  SnapshotSelectionCriteria out;
  out.max_sequence_nr = c.max_sequence_nr();
  out.max_timestamp = c.max_timestamp();
  out.min_sequence_nr = c.min_sequence_nr();
  out.min_timestamp = c.min_timestamp();
  return out;
}

void ToWire(const SnapshotMetadata& m, v1::SnapshotMetadata* out) {
  out->set_persistence_id(m.persistence_id);
  out->set_sequence_nr(m.sequence_nr);
  out->set_timestamp(m.timestamp);
}

}  // namespace

bool IsLoopback(const std::string& listen) {
  if (absl::StartsWith(listen, "unix:")) return true;
  std::string host = listen;
  const size_t colon = listen.rfind(':');
  if (colon != std::string::npos) host = listen.substr(0, colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<ServerSettings> ServerSettings::FromConfig(
    const Config& config) {
  ServerSettings s;
#define PERSISTENCE_GRPC_ASSIGN(lhs, expr)  \
  do {                                      \
    auto value = (expr);                    \
    if (!value.ok()) return value.status(); \
    lhs = *std::move(value);                \
  } while (false)
  PERSISTENCE_GRPC_ASSIGN(s.listen, config.GetString(Key("listen")));
  PERSISTENCE_GRPC_ASSIGN(s.journal_plugin,
                          config.GetString(Key("journal-plugin")));
  PERSISTENCE_GRPC_ASSIGN(s.snapshot_store_plugin,
                          config.GetString(Key("snapshot-store-plugin")));
  PERSISTENCE_GRPC_ASSIGN(s.token, ReadFileAt(config, "token-file"));
  PERSISTENCE_GRPC_ASSIGN(s.cert, ReadFileAt(config, "tls.cert-file"));
  PERSISTENCE_GRPC_ASSIGN(s.key, ReadFileAt(config, "tls.key-file"));
  PERSISTENCE_GRPC_ASSIGN(s.client_ca,
                          ReadFileAt(config, "tls.client-ca-file"));
  PERSISTENCE_GRPC_ASSIGN(s.allow_insecure_remote,
                          config.GetBool(Key("allow-insecure-remote")));
  PERSISTENCE_GRPC_ASSIGN(s.max_message_size,
                          config.GetBytes(Key("max-message-size"), 1024));
  std::chrono::nanoseconds grace;
  PERSISTENCE_GRPC_ASSIGN(grace, config.GetDuration(Key("shutdown-timeout")));
#undef PERSISTENCE_GRPC_ASSIGN
  s.shutdown_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(grace);
  s.token = std::string(absl::StripAsciiWhitespace(s.token));
  if (s.listen.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", Key("listen"), "' is empty"));
  }
  if (config.GetString(Key("token-file")).value_or("") != "" &&
      s.token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config key '", Key("token-file"), "': the file holds no token"));
  }
  if (s.cert.empty() != s.key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config keys '", Key("tls.cert-file"), "' and '",
                     Key("tls.key-file"), "': TLS needs both"));
  }
  if (s.cert.empty() && !s.client_ca.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", Key("tls.client-ca-file"),
                     "' needs TLS: set tls.cert-file and tls.key-file"));
  }
  if (s.max_message_size > INT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config key '", Key("max-message-size"), "' must be below 2 GiB"));
  }
  if (!IsLoopback(s.listen) && !s.allow_insecure_remote &&
      (s.cert.empty() || s.token.empty())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "config key '", Key("listen"), "' = \"", s.listen,
        "\" is not a loopback address, and ",
        s.cert.empty() && s.token.empty()
            ? "neither TLS (tls.cert-file) nor a token (token-file) is"
        : s.cert.empty() ? "TLS (tls.cert-file) is not"
                         : "a token (token-file) is not",
        " configured: anyone who reaches the port could read and write "
        "every journal. Configure both, or set ",
        Key("allow-insecure-remote"), " = on to listen anyway"));
  }
  return s;
}

// The two services, over the journal and snapshot actors.
class RemoteServer::Services {
 public:
  Services(const ServerSettings& settings,
           std::shared_ptr<JournalActor> journal,
           ActorRef<JournalRequest> journal_ref,
           ActorRef<SnapshotRequest> snapshots, std::string journal_name,
           std::string snapshot_name)
      : token_(settings.token),
        journal_(std::move(journal)),
        journal_ref_(std::move(journal_ref)),
        snapshots_(std::move(snapshots)),
        journal_service_(this),
        snapshot_service_(this) {
    describe_.set_protocol("eventpersist.remote.v1");
    describe_.set_journal(std::move(journal_name));
    describe_.set_snapshot_store(std::move(snapshot_name));
  }

  grpc::Service* journal_service() { return &journal_service_; }
  grpc::Service* snapshot_service() { return &snapshot_service_; }

  void Drain() { draining_.store(true); }

  // Admit: OK when the call may proceed.
  grpc::Status Admit(grpc::CallbackServerContext* context) const {
    if (draining_.load()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the server is shutting down");
    }
    if (token_.empty()) return grpc::Status::OK;
    const auto& metadata = context->client_metadata();
    auto it = metadata.find("authorization");
    if (it == metadata.end()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "this server wants a bearer token "
                          "(metadata 'authorization: Bearer <token>')");
    }
    const std::string_view given(it->second.data(), it->second.size());
    if (given.substr(0, 7) != "Bearer " ||
        !ConstantTimeEquals(given.substr(7), token_)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "the bearer token is not the server's");
    }
    return grpc::Status::OK;
  }

 private:
  class JournalService;
  class SnapshotService;
  class ReplayWriter;

  // Refused finishes a unary call at once when it may not proceed.
  static grpc::ServerUnaryReactor* Finished(
      grpc::CallbackServerContext* context, const grpc::Status& status) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  class JournalService : public v1::Journal::CallbackService {
   public:
    explicit JournalService(Services* s) : s_(s) {}

    grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* context,
                                    const v1::WriteRequest* request,
                                    v1::WriteResponse* response) override {
      if (grpc::Status admit = s_->Admit(context); !admit.ok()) {
        return Finished(context, admit);
      }
      std::vector<AtomicWrite> writes;
      writes.reserve(request->writes_size());
      for (int w = 0; w < request->writes_size(); ++w) {
        const v1::AtomicWrite& write = request->writes(w);
        const std::string& id = write.persistence_id();
        if (id.empty()) {
          return Finished(context, Invalid(absl::StrCat(
                                       "write ", w, ": empty persistence id")));
        }
        std::vector<PersistentRepr> events;
        events.reserve(write.events_size());
        for (const v1::Event& e : write.events()) {
          absl::StatusOr<PersistentRepr> event =
              DecodeEvent(e.record(), id, e.sequence_nr());
          if (!event.ok()) {
            return Finished(context,
                            Invalid(absl::StrCat("write ", w, ": ",
                                                 event.status().message())));
          }
          events.push_back(*std::move(event));
        }
        absl::StatusOr<AtomicWrite> atomic =
            AtomicWrite::Make(std::move(events));
        if (!atomic.ok()) {
          return Finished(
              context, Invalid(absl::StrCat("write ", w, " of '", id,
                                            "': ", atomic.status().message())));
        }
        writes.push_back(*std::move(atomic));
      }
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      s_->journal_->Submit(WriteMessages{
          std::move(writes), [reactor, response](WriteMessagesResult result) {
            if (!result.status.ok()) {
              return reactor->Finish(ToGrpc(result.status));
            }
            for (const absl::Status& r : result.results) {
              v1::Status* out = response->add_results();
              out->set_code(static_cast<int>(r.code()));
              out->set_message(std::string(r.message()));
            }
            reactor->Finish(grpc::Status::OK);
          }});
      return reactor;
    }

    grpc::ServerWriteReactor<v1::ReplayChunk>* Replay(
        grpc::CallbackServerContext* context,
        const v1::ReplayRequest* request) override;

    grpc::ServerUnaryReactor* ReadHighestSequenceNr(
        grpc::CallbackServerContext* context,
        const v1::ReadHighestRequest* request,
        v1::ReadHighestResponse* response) override {
      if (grpc::Status admit = s_->Admit(context); !admit.ok()) {
        return Finished(context, admit);
      }
      if (request->persistence_id().empty()) {
        return Finished(context, Invalid("empty persistence id"));
      }
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      s_->journal_ref_.Tell(persistence::ReadHighestSequenceNr{
          request->persistence_id(), request->from_sequence_nr(),
          [reactor, response](absl::StatusOr<int64_t> highest) {
            if (!highest.ok()) return reactor->Finish(ToGrpc(highest.status()));
            response->set_highest_sequence_nr(*highest);
            reactor->Finish(grpc::Status::OK);
          }});
      return reactor;
    }

    grpc::ServerUnaryReactor* DeleteMessagesTo(
        grpc::CallbackServerContext* context,
        const v1::DeleteToRequest* request,
        v1::DeleteToResponse* response) override {
      if (grpc::Status admit = s_->Admit(context); !admit.ok()) {
        return Finished(context, admit);
      }
      if (request->persistence_id().empty()) {
        return Finished(context, Invalid("empty persistence id"));
      }
      if (request->to_sequence_nr() < 0) {
        return Finished(context, Invalid("negative to_sequence_nr"));
      }
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      s_->journal_ref_.Tell(persistence::DeleteMessagesTo{
          request->persistence_id(), request->to_sequence_nr(),
          [reactor](absl::Status s) { reactor->Finish(ToGrpc(s)); }});
      return reactor;
    }

    grpc::ServerUnaryReactor* Describe(
        grpc::CallbackServerContext* context, const v1::DescribeRequest*,
        v1::DescribeResponse* response) override {
      if (grpc::Status admit = s_->Admit(context); !admit.ok()) {
        return Finished(context, admit);
      }
      *response = s_->describe_;
      return Finished(context, grpc::Status::OK);
    }

   private:
    Services* const s_;
  };

  class SnapshotService : public v1::SnapshotStore::CallbackService {
   public:
    explicit SnapshotService(Services* s) : s_(s) {}

    grpc::ServerUnaryReactor* Save(grpc::CallbackServerContext* context,
                                   const v1::SaveSnapshotRequest* request,
                                   v1::SaveSnapshotResponse*) override {
      if (grpc::Status admit = s_->Admit(context); !admit.ok()) {
        return Finished(context, admit);
      }
      const v1::SnapshotMetadata& m = request->metadata();
      if (m.persistence_id().empty()) {
        return Finished(context, Invalid("empty persistence id"));
      }
      absl::StatusOr<SelectedSnapshot> snapshot =
          DecodeSnapshot(request->snapshot(), m.persistence_id());
      if (!snapshot.ok()) {
        return Finished(context,
                        Invalid(std::string(snapshot.status().message())));
      }
      if (snapshot->metadata.sequence_nr != m.sequence_nr()) {
        return Finished(context, Invalid(absl::StrCat(
                                     "the snapshot bytes hold sequence number ",
                                     snapshot->metadata.sequence_nr,
                                     ", the metadata ", m.sequence_nr())));
      }
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      s_->snapshots_.Tell(SaveSnapshot{
          std::move(snapshot->metadata), std::move(snapshot->snapshot),
          [reactor](absl::StatusOr<SnapshotMetadata> saved) {
            reactor->Finish(ToGrpc(saved.status()));
          }});
      return reactor;
    }

    grpc::ServerUnaryReactor* Load(
        grpc::CallbackServerContext* context,
        const v1::LoadSnapshotRequest* request,
        v1::LoadSnapshotResponse* response) override {
      if (grpc::Status admit = s_->Admit(context); !admit.ok()) {
        return Finished(context, admit);
      }
      if (request->persistence_id().empty()) {
        return Finished(context, Invalid("empty persistence id"));
      }
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      LoadSnapshot load;
      load.persistence_id = request->persistence_id();
      load.criteria = request->has_criteria()
                          ? FromWire(request->criteria())
                          : SnapshotSelectionCriteria::Latest();
      load.reply = [reactor, response](LoadResult loaded) {
        if (!loaded.ok()) return reactor->Finish(ToGrpc(loaded.status()));
        if (loaded->has_value()) {
          const SelectedSnapshot& s = **loaded;
          absl::StatusOr<std::string> bytes =
              EncodeSnapshot(s.metadata, s.snapshot);
          if (!bytes.ok()) return reactor->Finish(ToGrpc(bytes.status()));
          response->set_found(true);
          ToWire(s.metadata, response->mutable_metadata());
          *response->mutable_snapshot() = *std::move(bytes);
        }
        reactor->Finish(grpc::Status::OK);
      };
      s_->snapshots_.Tell(std::move(load));
      return reactor;
    }

    grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context,
                                     const v1::DeleteSnapshotRequest* request,
                                     v1::DeleteSnapshotResponse*) override {
      if (grpc::Status admit = s_->Admit(context); !admit.ok()) {
        return Finished(context, admit);
      }
      const v1::SnapshotMetadata& m = request->metadata();
      if (m.persistence_id().empty()) {
        return Finished(context, Invalid("empty persistence id"));
      }
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      SnapshotMetadata metadata;
      metadata.persistence_id = m.persistence_id();
      metadata.sequence_nr = m.sequence_nr();
      metadata.timestamp = m.timestamp();
      s_->snapshots_.Tell(DeleteSnapshot{
          std::move(metadata),
          [reactor](absl::Status s) { reactor->Finish(ToGrpc(s)); }});
      return reactor;
    }

    grpc::ServerUnaryReactor* DeleteMatching(
        grpc::CallbackServerContext* context,
        const v1::DeleteSnapshotsRequest* request,
        v1::DeleteSnapshotResponse*) override {
      if (grpc::Status admit = s_->Admit(context); !admit.ok()) {
        return Finished(context, admit);
      }
      if (request->persistence_id().empty()) {
        return Finished(context, Invalid("empty persistence id"));
      }
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      s_->snapshots_.Tell(DeleteSnapshots{
          request->persistence_id(), FromWire(request->criteria()),
          [reactor](absl::Status s) { reactor->Finish(ToGrpc(s)); }});
      return reactor;
    }

   private:
    Services* const s_;
  };

  const std::string token_;
  std::atomic<bool> draining_{false};
  std::shared_ptr<JournalActor> journal_;
  ActorRef<JournalRequest> journal_ref_;
  ActorRef<SnapshotRequest> snapshots_;
  v1::DescribeResponse describe_;
  JournalService journal_service_;
  SnapshotService snapshot_service_;
};

// ReplayWriter streams one replay. The journal actor's replay stream
// delivers on this writer's executor (Run), and the executor runs the next
// delivery only once every chunk of the last one is written: so a client
// that reads slowly holds the replay stream at its window, the journal
// actor stops reading pages, and memory stays bounded. Closures that are
// dropped unrun (the client went away) cancel the replay; they are dropped
// outside mu_, since that may release this writer.
class RemoteServer::Services::ReplayWriter
    : public grpc::ServerWriteReactor<v1::ReplayChunk> {
 public:
  // Start sends the replay request; the writer keeps itself until OnDone.
  static ReplayWriter* Start(Services* s, const v1::ReplayRequest& request) {
    auto self = std::shared_ptr<ReplayWriter>(new ReplayWriter());
    {
      MutexLock lock(self->mu_);
      self->self_ = self;
    }
    std::weak_ptr<ReplayWriter> weak = self;
    ReplayMessages replay;
    replay.persistence_id = request.persistence_id();
    replay.from_sequence_nr = request.from_sequence_nr();
    replay.to_sequence_nr = request.to_sequence_nr();
    replay.max = request.max();
    replay.on_events = [self](absl::Span<PersistentRepr> events) {
      self->Add(events);
    };
    replay.on_done = [self](absl::StatusOr<int64_t> highest) {
      self->End(highest.status());
    };
    replay.executor = [weak](std::function<void()> delivery) {
      if (auto writer = weak.lock()) writer->Run(std::move(delivery));
    };
    s->journal_ref_.Tell(std::move(replay));
    return self.get();
  }

  void OnWriteDone(bool ok) override {
    std::deque<std::function<void()>> dropped;
    MutexLock lock(mu_);
    writing_ = false;
    if (!ok) stopped_ = true;
    if (stopped_) return Stop(dropped);
    chunks_.pop_front();
    Pump();
  }

  void OnCancel() override {
    std::deque<std::function<void()>> dropped;
    MutexLock lock(mu_);
    stopped_ = true;
    Stop(dropped);
  }

  void OnDone() override {
    std::shared_ptr<ReplayWriter> keep;
    std::deque<std::function<void()>> dropped;
    MutexLock lock(mu_);
    dropped.swap(deliveries_);
    keep = std::move(self_);
    lock.Unlock();
    dropped.clear();
  }  // `keep` may be the last reference

 private:
  ReplayWriter() = default;

  // Run is the executor: a delivery runs now, or after the chunks of the
  // one before it are written.
  void Run(std::function<void()> delivery) {
    MutexLock lock(mu_);
    if (finished_) {
      lock.Unlock();
      return;  // `delivery` is dropped here, without mu_
    }
    deliveries_.push_back(std::move(delivery));
    if (!busy_) Pump();
  }

  // Pump writes the next chunk, or runs the next delivery once every chunk
  // is written, or finishes the call after the last. Deliveries run
  // without mu_ (Add and End take it).
  void Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    busy_ = true;
    while (!finished_) {
      if (!chunks_.empty()) {
        if (!writing_) {
          writing_ = true;
          StartWrite(&chunks_.front());
        }
        break;  // OnWriteDone pumps on
      }
      if (!deliveries_.empty()) {
        std::function<void()> delivery = std::move(deliveries_.front());
        deliveries_.pop_front();
        mu_.Unlock();
        delivery();
        delivery = nullptr;
        mu_.Lock();
        continue;
      }
      if (ended_) {
        finished_ = true;
        Finish(ToGrpc(result_));
      }
      break;
    }
    busy_ = false;
  }

  // Stop finishes a call whose client went away, once no write is in
  // flight; what waits is handed to `dropped`, to be freed without mu_.
  void Stop(std::deque<std::function<void()>>& dropped)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    dropped.swap(deliveries_);
    if (writing_ || finished_) return;
    chunks_.clear();
    finished_ = true;
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "replay cancelled"));
  }

  // Add encodes delivered events into chunks (no write is in flight while
  // a delivery runs).
  void Add(absl::Span<PersistentRepr> events) {
    MutexLock lock(mu_);
    if (stopped_) return;
    for (PersistentRepr& event : events) {
      if (chunks_.empty() || chunk_bytes_ >= kChunkBytes) {
        chunks_.emplace_back();
        chunk_bytes_ = 0;
      }
      v1::Event* out = chunks_.back().add_events();
      out->set_sequence_nr(event.sequence_nr);
      absl::Status encoded = AppendEncodedEvent(event, out->mutable_record());
      if (!encoded.ok() && result_.ok()) result_ = std::move(encoded);
      chunk_bytes_ += out->record().size() + 16;
    }
  }

  void End(absl::Status status) {
    MutexLock lock(mu_);
    ended_ = true;
    if (result_.ok()) result_ = std::move(status);
  }

  Mutex mu_;
  std::shared_ptr<ReplayWriter> self_ ABSL_GUARDED_BY(mu_);
  // Encoded and not yet written; while writing_, the front is on the wire.
  std::deque<v1::ReplayChunk> chunks_ ABSL_GUARDED_BY(mu_);
  size_t chunk_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::function<void()>> deliveries_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;     // Pump runs
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a StartWrite is pending
  bool ended_ ABSL_GUARDED_BY(mu_) = false;    // on_done came
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;  // the client went away
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status result_ ABSL_GUARDED_BY(mu_);
};

namespace {

// A replay refused before it started.
class RefusedReplay : public grpc::ServerWriteReactor<v1::ReplayChunk> {
 public:
  explicit RefusedReplay(const grpc::Status& why) { Finish(why); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::ReplayChunk>*
RemoteServer::Services::JournalService::Replay(
    grpc::CallbackServerContext* context, const v1::ReplayRequest* request) {
  grpc::Status refused = s_->Admit(context);
  if (refused.ok()) {
    if (request->persistence_id().empty()) {
      refused = Invalid("empty persistence id");
    } else if (request->from_sequence_nr() >= 0 &&
               request->from_sequence_nr() > request->to_sequence_nr()) {
      refused = Invalid(
          absl::StrCat("from_sequence_nr ", request->from_sequence_nr(),
                       " > to_sequence_nr ", request->to_sequence_nr()));
    } else if (request->max() < 0) {
      refused = Invalid(absl::StrCat("negative max ", request->max()));
    }
  }
  if (!refused.ok()) return new RefusedReplay(refused);
  return ReplayWriter::Start(s_, *request);
}

RemoteServer::~RemoteServer() { Shutdown(); }

void RemoteServer::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  services_->Drain();
  if (auto* health = server_->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  server_->Shutdown(std::chrono::system_clock::now() + shutdown_timeout_);
  server_->Wait();
}

absl::StatusOr<std::unique_ptr<RemoteServer>> RemoteServer::Start(
    ActorSystem& system, const ServerSettings& settings) {
  Persistence& persistence = system.Extension<Persistence>();
  absl::StatusOr<std::shared_ptr<JournalActor>> journal =
      persistence.JournalActorAt(settings.journal_plugin);
  if (!journal.ok()) return journal.status();
  absl::StatusOr<ActorRef<JournalRequest>> journal_ref =
      persistence.Journal(settings.journal_plugin);
  if (!journal_ref.ok()) return journal_ref.status();
  absl::StatusOr<ActorRef<SnapshotRequest>> snapshots =
      persistence.SnapshotStore(settings.snapshot_store_plugin);
  if (!snapshots.ok()) return snapshots.status();
  const Config& config = system.config();
  std::unique_ptr<RemoteServer> server(new RemoteServer());
  server->shutdown_timeout_ = settings.shutdown_timeout;
  server->services_ = std::make_unique<Services>(
      settings, *journal, *journal_ref, *snapshots,
      config.GetString(settings.journal_plugin + ".class").value_or("?"),
      config.GetString(settings.snapshot_store_plugin + ".class")
          .value_or("?"));

  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (settings.cert.empty()) {
    credentials = grpc::InsecureServerCredentials();
  } else {
    grpc::SslServerCredentialsOptions ssl(
        settings.client_ca.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = settings.client_ca;
    ssl.pem_key_cert_pairs.push_back({settings.key, settings.cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(settings.listen, credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(settings.max_message_size));
  builder.SetMaxSendMessageSize(static_cast<int>(settings.max_message_size));
  builder.RegisterService(server->services_->journal_service());
  builder.RegisterService(server->services_->snapshot_service());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->stopped_ = true;
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on '", settings.listen, "' (config key '", Key("listen"),
        "'): the address is in use or not this machine's"));
  }
  return server;
}

}  // namespace persistence::grpc_backend
