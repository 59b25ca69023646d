// Copyright 2026 The eventpersist Authors.
//
// The Redis snapshot store: every operation is one Lua script over the
// id's three snapshot keys; selection by criteria runs on the server. See
// redis_journal.h.
#include <utility>

#include "absl/strings/str_cat.h"
#include "backends/redis/redis_journal.h"
#include "persistence/api/codec.h"

namespace persistence::redis {
namespace {

using internal::KeySpace;
using internal::Reply;
using internal::Router;
using internal::Scripts;

absl::Status WithContext(const absl::Status& status, const std::string& what) {
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

// IntegerReply: the reply of a script that answers with an integer.
absl::Status IntegerReply(const absl::StatusOr<Reply>& reply,
                          const std::string& what) {
  if (!reply.ok()) return WithContext(reply.status(), what);
  if (internal::IsError(reply->get())) {
    return internal::ErrorReplyStatus(reply->get(), what);
  }
  if ((*reply)->type != REDIS_REPLY_INTEGER) {
    return absl::InternalError(
        absl::StrCat(what, ": unexpected reply from redis (",
                     internal::DescribeReply(reply->get()), ")"));
  }
  return absl::OkStatus();
}

// SnapshotLoad asks the server for the youngest match; when that one cannot
// be decoded it asks again below it, up to max-load-attempts times.
class SnapshotLoad : public std::enable_shared_from_this<SnapshotLoad> {
 public:
  SnapshotLoad(Router& router, const KeySpace& keys, const Scripts& scripts,
               std::string persistence_id, SnapshotSelectionCriteria criteria,
               int attempts)
      : router_(router),
        keys_(keys),
        scripts_(scripts),
        persistence_id_(std::move(persistence_id)),
        criteria_(criteria),
        attempts_left_(attempts) {}

  Future<LoadResult> Start() {
    Future<LoadResult> done = done_.GetFuture();
    Ask();
    return done;
  }

 private:
  void Ask() {
    auto self = shared_from_this();
    router_.Send(persistence_id_,
                 internal::SnapshotLoadCommand(scripts_, keys_, persistence_id_,
                                               criteria_),
                 [self](absl::StatusOr<Reply> reply) {
                   self->OnReply(std::move(reply));
                 });
  }

  void OnReply(absl::StatusOr<Reply> reply) {
    const std::string what =
        absl::StrCat("loading a snapshot of persistence id '", persistence_id_,
                     "' up to sequence number ", criteria_.max_sequence_nr);
    if (!reply.ok()) {
      done_.Set(WithContext(reply.status(), what));
      return;
    }
    const redisReply* r = reply->get();
    if (internal::IsError(r)) {
      done_.Set(internal::ErrorReplyStatus(r, what));
      return;
    }
    if (r->type == REDIS_REPLY_NIL) {
      // Nothing (more) matches: an undecodable younger match is the answer.
      if (!last_error_.ok()) {
        done_.Set(last_error_);
      } else {
        done_.Set(std::optional<SelectedSnapshot>());
      }
      return;
    }
    std::optional<int64_t> seq;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
        r->element[0]->type == REDIS_REPLY_STRING &&
        r->element[2]->type == REDIS_REPLY_STRING) {
      seq = internal::ParseInt64(internal::ReplyText(r->element[0]));
    }
    if (!seq.has_value()) {
      done_.Set(absl::InternalError(absl::StrCat(
          what, ": unexpected reply from redis (", internal::DescribeReply(r),
          "), expected [sequence number, timestamp, snapshot]")));
      return;
    }
    absl::StatusOr<SelectedSnapshot> selected =
        DecodeSnapshot(internal::ReplyText(r->element[2]), persistence_id_);
    if (selected.ok() && selected->metadata.sequence_nr != *seq) {
      selected = absl::DataLossError(absl::StrCat(
          "the snapshot of persistence id '", persistence_id_,
          "' stored at sequence number ", *seq, " holds sequence number ",
          selected->metadata.sequence_nr));
    }
    if (selected.ok()) {
      done_.Set(std::optional<SelectedSnapshot>(*std::move(selected)));
      return;
    }
    last_error_ = selected.status();
    if (--attempts_left_ <= 0 || *seq - 1 < criteria_.min_sequence_nr) {
      done_.Set(last_error_);
      return;
    }
    criteria_.max_sequence_nr = *seq - 1;
    Ask();
  }

  Router& router_;
  const KeySpace& keys_;
  const Scripts& scripts_;
  const std::string persistence_id_;
  SnapshotSelectionCriteria criteria_;
  int attempts_left_;
  absl::Status last_error_;
  Promise<LoadResult> done_;
};

}  // namespace

RedisSnapshotStore::RedisSnapshotStore(const Config& config,
                                       const std::string& config_path)
    : client_(config, "snapshot store", config_path,
              "eventpersist-snapshot-store") {}

RedisSnapshotStore::~RedisSnapshotStore() = default;

absl::Status RedisSnapshotStore::Start() { return client_.Start(); }

Future<LoadResult> RedisSnapshotStore::LoadAsync(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria) {
  if (!client_.started())
    return MakeReadyFuture<LoadResult>(client_.NotStarted());
  if (criteria.max_sequence_nr < criteria.min_sequence_nr ||
      criteria.max_timestamp < criteria.min_timestamp) {
    return MakeReadyFuture<LoadResult>(std::optional<SelectedSnapshot>());
  }
  auto load = std::make_shared<SnapshotLoad>(
      client_.router(), client_.keys(), client_.scripts(), persistence_id,
      criteria, client_.settings().max_load_attempts);
  return load->Start();
}

Future<absl::Status> RedisSnapshotStore::SaveAsync(
    const SnapshotMetadata& metadata, const Payload& snapshot) {
  if (!client_.started())
    return MakeReadyFuture<absl::Status>(client_.NotStarted());
  if (metadata.sequence_nr < 0 ||
      metadata.sequence_nr > internal::kMaxStoredSequenceNr) {
    return MakeReadyFuture(absl::OutOfRangeError(
        absl::StrCat("snapshot of persistence id '", metadata.persistence_id,
                     "' at sequence number ", metadata.sequence_nr,
                     ": sequence numbers must be in [0, 2^53] (a Redis "
                     "sorted-set score holds them exactly up to 2^53)")));
  }
  absl::StatusOr<std::string> record = EncodeSnapshot(metadata, snapshot);
  if (!record.ok()) return MakeReadyFuture(record.status());
  Promise<absl::Status> done;
  const std::string what = absl::StrCat(
      "saving the snapshot of persistence id '", metadata.persistence_id,
      "' at sequence number ", metadata.sequence_nr);
  client_.For(metadata.persistence_id)
      .Send(internal::SnapshotSaveCommand(client_.scripts(), client_.keys(),
                                          metadata, *record),
            [done, what](absl::StatusOr<Reply> reply) {
              done.Set(IntegerReply(reply, what));
            });
  return done.GetFuture();
}

Future<absl::Status> RedisSnapshotStore::DeleteAsync(
    const SnapshotMetadata& metadata) {
  if (!client_.started())
    return MakeReadyFuture<absl::Status>(client_.NotStarted());
  Promise<absl::Status> done;
  const std::string what = absl::StrCat(
      "deleting the snapshot of persistence id '", metadata.persistence_id,
      "' at sequence number ", metadata.sequence_nr);
  client_.For(metadata.persistence_id)
      .Send(internal::SnapshotDeleteOneCommand(client_.scripts(),
                                               client_.keys(), metadata),
            [done, what](absl::StatusOr<Reply> reply) {
              done.Set(IntegerReply(reply, what));
            });
  return done.GetFuture();
}

Future<absl::Status> RedisSnapshotStore::DeleteAsync(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria) {
  if (!client_.started())
    return MakeReadyFuture<absl::Status>(client_.NotStarted());
  Promise<absl::Status> done;
  const std::string what =
      absl::StrCat("deleting the snapshots of persistence id '", persistence_id,
                   "' up to sequence number ", criteria.max_sequence_nr);
  client_.For(persistence_id)
      .Send(internal::SnapshotDeleteMatchingCommand(
                client_.scripts(), client_.keys(), persistence_id, criteria),
            [done, what](absl::StatusOr<Reply> reply) {
              done.Set(IntegerReply(reply, what));
            });
  return done.GetFuture();
}

PERSISTENCE_REGISTER(SnapshotStoreRegistry, "redis.SnapshotStore",
                     Construct<RedisSnapshotStore>);

}  // namespace persistence::redis
