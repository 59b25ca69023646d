// Copyright 2026 The eventpersist Authors.
//
// redis_journal.h: the Redis journal ("redis.Journal") and snapshot store
// ("redis.SnapshotStore"), for Redis 7 (6 works too) through hiredis.
//
// Select them in application.conf and say where the server is; every key
// and its default is in backends/redis/reference.conf:
//
//   persistence.journal.plugin = "persistence.journal.redis"
//   persistence.snapshot-store.plugin = "persistence.snapshot-store.redis"
//   persistence.journal.redis { host = "10.0.0.7", port = 6379, password =
//   "..." } # the snapshot store takes the journal's connection settings by
//   default
//
// What they guarantee (the data model is in internal/data_model.h, the
// rest in README.md):
//   - an atomic write is stored entirely or not at all: each call's events
//     of one persistence id go to the server as one Lua script, which also
//     refuses a stale writer (a first sequence number not above the stored
//     highest): the call then fails with FailedPrecondition and nothing of
//     that id is stored;
//   - events are serialized before anything is sent, so a rejected atomic
//     write (it could not be serialized) sends nothing;
//   - the highest sequence number survives deletes (its own key);
//   - replays read pages and stream them to the callback;
//   - snapshot selection runs on the server (a Lua script): only the chosen
//     snapshot crosses the network.
//
// Requests go out pipelined on `connections` connections (one per id, by
// hash), on the caller's thread; replies complete the futures on each
// connection's reader thread. Requests fail within `command-timeout` when
// the server does not answer, fail at once while a connection is down, and
// the connections come back by themselves (see internal/connection.h).
//
// Start connects: a wrong password, a database the server does not have or
// an unreachable server fails plugin start with an error that says which.
//
// Thread-safety: as every plugin, called by the runtime from one thread at
// a time; futures complete on other threads.
#ifndef BACKENDS_REDIS_REDIS_JOURNAL_H_
#define BACKENDS_REDIS_REDIS_JOURNAL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backends/redis/internal/connection.h"
#include "backends/redis/internal/data_model.h"
#include "backends/redis/internal/plugin_client.h"
#include "backends/redis/internal/settings.h"
#include "persistence/api/config.h"
#include "persistence/api/journal.h"
#include "persistence/api/snapshot_store.h"

namespace persistence::redis {

class RedisJournal : public AsyncWriteJournal {
 public:
  RedisJournal(const Config& config, const std::string& config_path);
  ~RedisJournal() override;

  absl::Status Start() override;

  Future<absl::StatusOr<WriteResults>> AsyncWriteMessages(
      const std::vector<AtomicWrite>& writes) override;
  // Writes serialize and go onto the socket; the reply comes back on the
  // connection's reader thread. (A server that stops reading can make the
  // socket write wait, for at most command-timeout.)
  bool NonBlockingWrites() const override { return true; }
  Future<absl::Status> AsyncDeleteMessagesTo(const std::string& persistence_id,
                                             int64_t to_sequence_nr) override;
  Future<absl::Status> AsyncReplayMessages(const std::string& persistence_id,
                                           int64_t from_sequence_nr,
                                           int64_t to_sequence_nr, int64_t max,
                                           ReplayCallback callback) override;
  Future<absl::StatusOr<int64_t>> AsyncReadHighestSequenceNr(
      const std::string& persistence_id, int64_t from_sequence_nr) override;

 private:
  internal::PluginClient client_;
};

class RedisSnapshotStore : public SnapshotStore {
 public:
  RedisSnapshotStore(const Config& config, const std::string& config_path);
  ~RedisSnapshotStore() override;

  absl::Status Start() override;

  Future<LoadResult> LoadAsync(
      const std::string& persistence_id,
      const SnapshotSelectionCriteria& criteria) override;
  Future<absl::Status> SaveAsync(const SnapshotMetadata& metadata,
                                 const Payload& snapshot) override;
  Future<absl::Status> DeleteAsync(const SnapshotMetadata& metadata) override;
  Future<absl::Status> DeleteAsync(
      const std::string& persistence_id,
      const SnapshotSelectionCriteria& criteria) override;

 private:
  internal::PluginClient client_;
};

}  // namespace persistence::redis

#endif  // BACKENDS_REDIS_REDIS_JOURNAL_H_
