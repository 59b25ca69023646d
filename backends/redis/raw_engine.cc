// Copyright 2026 The eventpersist Authors.
//
// The raw side of the Redis backend's perf table (docs/perf.md): one blocking
// hiredis connection issuing the very commands the journal sends (built by
// internal/data_model.h), with no journal, runtime or threads in between.
//
//   WriteEach    one journal-write script call per event, each waiting for
//                its reply (sequential round trips)
//   WriteAsync   the same calls, all pipelined, then every reply
//   WriteGroups  one script call per group (the journal's persist-all)
//   Scan         the journal's paged ZRANGEBYSCORE reads, the next page
//                requested before the current one is decoded, DecodeEvent
//                for each event
//
// Its keys carry their own prefix (the journal's key-prefix plus
// "raw-perf:"), so they never meet the journal's.
#include "perf/raw_engine.h"

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backends/redis/internal/data_model.h"
#include "backends/redis/internal/resp.h"
#include "backends/redis/internal/settings.h"
#include "persistence/api/codec.h"

namespace persistence::redis::internal {
namespace {

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
    keys_ = std::make_unique<KeySpace>(settings_.key_prefix + "raw-perf:");
    const timeval connect_timeout{
        static_cast<time_t>(settings_.connect_timeout.count() / 1000),
        static_cast<suseconds_t>(settings_.connect_timeout.count() % 1000 *
                                 1000)};
    context_.reset(settings_.unix_socket.empty()
                       ? redisConnectWithTimeout(settings_.host.c_str(),
                                                 settings_.port,
                                                 connect_timeout)
                       : redisConnectUnixWithTimeout(
                             settings_.unix_socket.c_str(), connect_timeout));
    if (context_ == nullptr || context_->err != 0) {
      return absl::UnavailableError(absl::StrCat(
          "raw engine: cannot connect to ", settings_.Describe(), ": ",
          context_ == nullptr ? "out of memory" : context_->errstr));
    }
    if (!settings_.password.empty()) {
      absl::StatusOr<Reply> auth = Call({"AUTH", settings_.password});
      if (!auth.ok()) return auth.status();
    }
    absl::StatusOr<Reply> select =
        Call({"SELECT", absl::StrCat(settings_.database)});
    if (!select.ok()) return select.status();
    for (Script* script : scripts_.All()) {
      absl::StatusOr<Reply> loaded = Call({"SCRIPT", "LOAD", script->text});
      if (!loaded.ok()) return loaded.status();
      script->sha = std::string(ReplyText(loaded->get()));
    }
    return absl::OkStatus();
  }

  absl::Status WriteEach(const std::vector<perf::RawRecord>& records) override {
    for (const perf::RawRecord& r : records) {
      absl::Status s =
          Append(WriteOf(r.persistence_id, {{r.sequence_nr, r.bytes}}));
      if (s.ok())
        s = CheckWrite(r.persistence_id, r.sequence_nr, r.sequence_nr);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status WriteAsync(
      const std::vector<perf::RawRecord>& records) override {
    for (const perf::RawRecord& r : records) {
      absl::Status s =
          Append(WriteOf(r.persistence_id, {{r.sequence_nr, r.bytes}}));
      if (!s.ok()) return s;
    }
    for (const perf::RawRecord& r : records) {
      absl::Status s =
          CheckWrite(r.persistence_id, r.sequence_nr, r.sequence_nr);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
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
      absl::Status s = Append(WriteOf(id, events));
      if (s.ok())
        s = CheckWrite(id, events.front().sequence_nr,
                       events.back().sequence_nr);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> Scan(const std::string& persistence_id) override {
    int64_t read = 0;
    int64_t from = 1;
    int64_t count =
        std::min<int64_t>(kFirstReplayPage, settings_.replay_page_size);
    absl::Status s = Append(
        ReplayPageCommand(*keys_, persistence_id, from, kMaxSequenceNr, count));
    if (!s.ok()) return s;
    std::vector<PageEntry> entries;
    while (true) {
      absl::StatusOr<Reply> reply = Next();
      if (!reply.ok()) return reply.status();
      s = ParseReplayPage(reply->get(), persistence_id, from, &entries);
      if (!s.ok()) return s;
      const bool more = static_cast<int64_t>(entries.size()) == count;
      if (more) {
        from = entries.back().sequence_nr + 1;
        count = NextReplayPageSize(settings_.replay_page_size,
                                   settings_.replay_page_bytes, entries);
        s = Append(ReplayPageCommand(*keys_, persistence_id, from,
                                     kMaxSequenceNr, count));
        if (s.ok()) s = Flush();
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

  absl::Status Append(const Command& command) {
    if (redisAppendFormattedCommand(context_.get(), command.wire.data(),
                                    command.wire.size()) != REDIS_OK) {
      return absl::UnavailableError(
          absl::StrCat("raw engine: ", context_->errstr));
    }
    return absl::OkStatus();
  }

  absl::Status Flush() {
    int done = 0;
    while (!done) {
      if (redisBufferWrite(context_.get(), &done) != REDIS_OK) {
        return absl::UnavailableError(
            absl::StrCat("raw engine: ", context_->errstr));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Reply> Next() {
    void* reply = nullptr;
    if (redisGetReply(context_.get(), &reply) != REDIS_OK || reply == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("raw engine: ", context_->errstr));
    }
    return Reply(static_cast<redisReply*>(reply));
  }

  absl::Status CheckWrite(const std::string& id, int64_t lowest,
                          int64_t highest) {
    absl::StatusOr<Reply> reply = Next();
    if (!reply.ok()) return reply.status();
    return CheckJournalWriteReply(reply->get(), id, lowest, highest);
  }

  absl::StatusOr<Reply> Call(std::vector<std::string> argv) {
    CommandBuilder b(argv.size());
    for (const std::string& a : argv) b.Add(a);
    absl::Status s = Append(std::move(b).Build());
    if (!s.ok()) return s;
    absl::StatusOr<Reply> reply = Next();
    if (!reply.ok()) return reply.status();
    if (IsError(reply->get()))
      return ErrorReplyStatus(reply->get(), "raw engine: " + argv[0]);
    return reply;
  }

  RedisSettings settings_;
  std::unique_ptr<KeySpace> keys_;
  Scripts scripts_;
  std::unique_ptr<redisContext, ContextDeleter> context_;
};

PERSISTENCE_REGISTER(perf::RawEngineRegistry, "redis",
                     Construct<RedisRawEngine>);

}  // namespace
}  // namespace persistence::redis::internal
