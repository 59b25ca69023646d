// Copyright 2026 The eventpersist Authors.
//
// The raw side of the Redis backend's perf table (docs/perf.md): blocking
// hiredis connections issuing the very commands the journal sends (built by
// internal/data_model.h), with no journal, runtime or threads in between:
// one connection to the server, or in cluster mode (`cluster-nodes`) one
// to each master, each command on the master of its id's slot.
//
//   WriteEach    one journal-write script call per event, each waiting for
//                its reply (sequential round trips)
//   WriteAsync   the same calls, all pipelined, then every reply
//   WriteGroups  one script call per group (the journal's persist-all)
//   Scan         the journal's paged ZRANGEBYSCORE reads, the next page
//                requested before the current one is decoded, DecodeEvent
//                for each event
//   WriteManyActors  single-event script calls of many ids, all pipelined
//                on each node's connection, then every reply
//
// Debian's hiredis has no TLS, so the raw side always talks plain TCP: with
// `tls.enabled` it goes to the same server's plain port, which the TLS
// fixture names in PERSISTENCE_REDIS_RAW_PLAIN_PORT. The TLS rows thus
// give the cost of TLS itself (docs/perf.md).
//
// Its keys carry their own prefix (the journal's key-prefix plus
// "raw-perf:"), so they never meet the journal's.
#include "perf/raw_engine.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "backends/redis/internal/cluster.h"
#include "backends/redis/internal/data_model.h"
#include "backends/redis/internal/resp.h"
#include "backends/redis/internal/settings.h"
#include "persistence/api/codec.h"

namespace persistence::redis::internal {
namespace {

constexpr char kPlainPortVariable[] = "PERSISTENCE_REDIS_RAW_PLAIN_PORT";

struct ContextDeleter {
  void operator()(redisContext* c) const {
    if (c != nullptr) redisFree(c);
  }
};

class RedisRawEngine : public perf::RawEngine {
 public:
  absl::Status Open(const Config& journal_config) override {
    absl::StatusOr<RedisSettings> settings = RedisSettings::FromConfig(
        journal_config, RedisSettings::Plugin::kJournal);
    if (!settings.ok()) return settings.status();
    settings_ = *settings;
    if (settings_.tls != nullptr) {
      const char* plain = std::getenv(kPlainPortVariable);
      int port = 0;
      if (settings_.cluster() || plain == nullptr ||
          !absl::SimpleAtoi(plain, &port)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "raw engine: hiredis 0.14 has no TLS; with tls.enabled the raw "
            "side needs the server's plain port in ",
            kPlainPortVariable, " (one server only)"));
      }
      settings_.port = port;
      settings_.tls = nullptr;
    }
    keys_ = std::make_unique<KeySpace>(settings_.key_prefix + "raw-perf:");
    if (!settings_.cluster()) return Connect(settings_);
    // Cluster: the slot map from the first seed, a connection per master.
    std::string host;
    int port = 0;
    SplitHostPort(settings_.cluster_nodes.front(), &host, &port);
    absl::Status seed = Connect(settings_.ForNode(host, port));
    if (!seed.ok()) return seed;
    absl::StatusOr<Reply> reply =
        Call(contexts_[0].get(), {"CLUSTER", "SLOTS"});
    if (!reply.ok()) return reply.status();
    absl::StatusOr<std::vector<SlotRange>> ranges =
        ParseClusterSlots(reply->get(), host);
    if (!ranges.ok()) return ranges.status();
    contexts_.clear();
    std::vector<std::string> masters;
    for (const SlotRange& r : *ranges) {
      auto at = std::find(masters.begin(), masters.end(), r.master);
      if (at == masters.end()) {
        std::string master_host;
        int master_port = 0;
        SplitHostPort(r.master, &master_host, &master_port);
        absl::Status connected =
            Connect(settings_.ForNode(master_host, master_port));
        if (!connected.ok()) return connected;
        masters.push_back(r.master);
        at = masters.end() - 1;
      }
      for (int slot = r.first; slot <= r.last; ++slot) {
        slot_context_[slot] = static_cast<int>(at - masters.begin());
      }
    }
    return absl::OkStatus();
  }

  absl::Status WriteEach(const std::vector<perf::RawRecord>& records) override {
    for (const perf::RawRecord& r : records) {
      redisContext* c = For(r.persistence_id);
      absl::Status s =
          Append(c, WriteOf(r.persistence_id, {{r.sequence_nr, r.bytes}}));
      if (s.ok())
        s = CheckWrite(c, r.persistence_id, r.sequence_nr, r.sequence_nr);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // WriteAsync: every call pipelined (on its node's connection, every
  // connection written out before any reply is read), then every reply.
  absl::Status WriteAsync(
      const std::vector<perf::RawRecord>& records) override {
    for (const perf::RawRecord& r : records) {
      absl::Status s =
          Append(For(r.persistence_id),
                 WriteOf(r.persistence_id, {{r.sequence_nr, r.bytes}}));
      if (!s.ok()) return s;
    }
    for (auto& context : contexts_) {
      absl::Status s = Flush(context.get());
      if (!s.ok()) return s;
    }
    for (const perf::RawRecord& r : records) {
      absl::Status s = CheckWrite(For(r.persistence_id), r.persistence_id,
                                  r.sequence_nr, r.sequence_nr);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status WriteManyActors(
      const std::vector<perf::RawRecord>& records) override {
    return WriteAsync(records);
  }
  std::string ManyActorsRaw() const override {
    return "the same writes of every id, pipelined per node";
  }

  absl::Status WriteGroups(const std::vector<perf::RawRecord>& records,
                           int group) override {
    for (size_t start = 0; start < records.size(); start += group) {
      const size_t end =
          std::min(records.size(), start + static_cast<size_t>(group));
      std::vector<EventRecord> events;
      for (size_t i = start; i < end; ++i) {
        events.push_back({records[i].sequence_nr, records[i].bytes});
      }
      const std::string& id = records[start].persistence_id;
      redisContext* c = For(id);
      absl::Status s = Append(c, WriteOf(id, events));
      if (s.ok())
        s = CheckWrite(c, id, events.front().sequence_nr,
                       events.back().sequence_nr);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> Scan(const std::string& persistence_id) override {
    redisContext* c = For(persistence_id);
    int64_t read = 0;
    int64_t from = 1;
    int64_t count =
        std::min<int64_t>(kFirstReplayPage, settings_.replay_page_size);
    absl::Status s = Append(c, ReplayPageCommand(*keys_, persistence_id, from,
                                                 kMaxSequenceNr, count));
    if (!s.ok()) return s;
    std::vector<PageEntry> entries;
    while (true) {
      absl::StatusOr<Reply> reply = Next(c);
      if (!reply.ok()) return reply.status();
      s = ParseReplayPage(reply->get(), persistence_id, from, &entries);
      if (!s.ok()) return s;
      const bool more = static_cast<int64_t>(entries.size()) == count;
      if (more) {
        from = entries.back().sequence_nr + 1;
        count = NextReplayPageSize(settings_.replay_page_size,
                                   settings_.replay_page_bytes, entries);
        s = Append(c, ReplayPageCommand(*keys_, persistence_id, from,
                                        kMaxSequenceNr, count));
        if (s.ok()) s = Flush(c);
        if (!s.ok()) return s;
      }
      for (const PageEntry& e : entries) {
        absl::StatusOr<PersistentRepr> event =
            DecodeEvent(e.record, persistence_id, e.sequence_nr);
        if (!event.ok()) return event.status();
        ++read;
      }
      if (!more) return read;
    }
  }

 private:
  Command WriteOf(const std::string& id,
                  const std::vector<EventRecord>& events) {
    return JournalWriteCommand(scripts_, *keys_, id, events);
  }

  redisContext* For(const std::string& persistence_id) const {
    return contexts_.size() == 1
               ? contexts_[0].get()
               : contexts_[slot_context_[SlotOf(persistence_id)]].get();
  }

  // Connect opens one more connection: AUTH, SELECT, SCRIPT LOAD.
  absl::Status Connect(const RedisSettings& node) {
    const timeval connect_timeout{
        static_cast<time_t>(node.connect_timeout.count() / 1000),
        static_cast<suseconds_t>(node.connect_timeout.count() % 1000 * 1000)};
    std::unique_ptr<redisContext, ContextDeleter> context(
        node.unix_socket.empty()
            ? redisConnectWithTimeout(node.host.c_str(), node.port,
                                      connect_timeout)
            : redisConnectUnixWithTimeout(node.unix_socket.c_str(),
                                          connect_timeout));
    if (context == nullptr || context->err != 0) {
      return absl::UnavailableError(
          absl::StrCat("raw engine: cannot connect to ", node.Describe(), ": ",
                       context == nullptr ? "out of memory" : context->errstr));
    }
    if (!node.password.empty()) {
      absl::StatusOr<Reply> auth = Call(context.get(), {"AUTH", node.password});
      if (!auth.ok()) return auth.status();
    }
    absl::StatusOr<Reply> select =
        Call(context.get(), {"SELECT", absl::StrCat(node.database)});
    if (!select.ok()) return select.status();
    for (Script* script : scripts_.All()) {
      absl::StatusOr<Reply> loaded =
          Call(context.get(), {"SCRIPT", "LOAD", script->text});
      if (!loaded.ok()) return loaded.status();
      script->sha = std::string(ReplyText(loaded->get()));
    }
    contexts_.push_back(std::move(context));
    return absl::OkStatus();
  }

  absl::Status Append(redisContext* c, const Command& command) {
    if (redisAppendFormattedCommand(c, command.wire.data(),
                                    command.wire.size()) != REDIS_OK) {
      return absl::UnavailableError(absl::StrCat("raw engine: ", c->errstr));
    }
    return absl::OkStatus();
  }

  absl::Status Flush(redisContext* c) {
    int done = 0;
    while (!done) {
      if (redisBufferWrite(c, &done) != REDIS_OK) {
        return absl::UnavailableError(absl::StrCat("raw engine: ", c->errstr));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Reply> Next(redisContext* c) {
    void* reply = nullptr;
    if (redisGetReply(c, &reply) != REDIS_OK || reply == nullptr) {
      return absl::UnavailableError(absl::StrCat("raw engine: ", c->errstr));
    }
    return Reply(static_cast<redisReply*>(reply));
  }

  absl::Status CheckWrite(redisContext* c, const std::string& id,
                          int64_t lowest, int64_t highest) {
    absl::StatusOr<Reply> reply = Next(c);
    if (!reply.ok()) return reply.status();
    return CheckJournalWriteReply(reply->get(), id, lowest, highest);
  }

  absl::StatusOr<Reply> Call(redisContext* c, std::vector<std::string> argv) {
    CommandBuilder b(argv.size());
    for (const std::string& a : argv) b.Add(a);
    absl::Status s = Append(c, std::move(b).Build());
    if (!s.ok()) return s;
    absl::StatusOr<Reply> reply = Next(c);
    if (!reply.ok()) return reply.status();
    if (IsError(reply->get()))
      return ErrorReplyStatus(reply->get(), "raw engine: " + argv[0]);
    return reply;
  }

  RedisSettings settings_;
  std::unique_ptr<KeySpace> keys_;
  Scripts scripts_;
  // One connection, or one per master (cluster mode).
  std::vector<std::unique_ptr<redisContext, ContextDeleter>> contexts_;
  std::array<int, kClusterSlots> slot_context_{};
};

PERSISTENCE_REGISTER(perf::RawEngineRegistry, "redis",
                     Construct<RedisRawEngine>);

}  // namespace
}  // namespace persistence::redis::internal
