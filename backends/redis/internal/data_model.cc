// Copyright 2026 The eventpersist Authors.
#include "backends/redis/internal/data_model.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "persistence/api/journal.h"

namespace persistence::redis::internal {
namespace {

// KEYS: events, highest. ARGV: lowest and highest sequence number of the
// step, then pairs of (sequence number, record).
//
// The step reads before it writes, and none of its writes can fail once
// the first ZADD succeeded (same key, same type; SET cannot fail), so an
// error leaves nothing behind. Redis runs a script alone and replicates
// (and appends to its AOF) its effects as one MULTI/EXEC.
constexpr char kJournalWrite[] = R"lua(
local stored = redis.call('GET', KEYS[2])
local highest = 0
if stored then
  highest = tonumber(stored)
  if highest == nil then
    return redis.error_reply('CORRUPT_HIGHEST the highest sequence number key holds a non-number')
  end
end
if tonumber(ARGV[1]) <= highest then
  return redis.error_reply('STALE_WRITER ' .. stored)
end
local n = #ARGV
local i = 3
while i <= n do
  local j = math.min(i + 511, n)
  redis.call('ZADD', KEYS[1], unpack(ARGV, i, j))
  i = j + 1
end
redis.call('SET', KEYS[2], ARGV[2])
return tonumber(ARGV[2])
)lua";

// KEYS: index, records, timestamps. ARGV: sequence number, timestamp, record.
constexpr char kSnapshotSave[] = R"lua(
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
)lua";

// KEYS: index, records, timestamps. ARGV: max sequence number, min sequence
// number, max timestamp, min timestamp. Walks the index from the youngest
// down, a few at a time, and returns the first match as
// {sequence number, timestamp, record}, or nil. Only the match travels.
constexpr char kSnapshotLoad[] = R"lua(
local max_ts = tonumber(ARGV[3])
local min_ts = tonumber(ARGV[4])
local offset = 0
while true do
  local seqs = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', offset, 64)
  if #seqs == 0 then return false end
  local stamps = redis.call('HMGET', KEYS[3], unpack(seqs))
  for i, seq in ipairs(seqs) do
    local ts = tonumber(stamps[i])
    if ts ~= nil and ts >= min_ts and ts <= max_ts then
      local record = redis.call('HGET', KEYS[2], seq)
      if record then return {seq, stamps[i], record} end
    end
  end
  offset = offset + #seqs
end
)lua";

// KEYS: index, records, timestamps. ARGV: sequence number, timestamp (0:
// any). Deletes the snapshot when its timestamp is not younger than given.
constexpr char kSnapshotDeleteOne[] = R"lua(
local stored = redis.call('HGET', KEYS[3], ARGV[1])
if stored and tonumber(ARGV[2]) ~= 0 and tonumber(stored) ~= nil and tonumber(stored) > tonumber(ARGV[2]) then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
)lua";

// KEYS: index, records, timestamps. ARGV as for the load. Deletes every
// match, walking the index in chunks; returns how many it deleted.
constexpr char kSnapshotDeleteMatching[] = R"lua(
local max_ts = tonumber(ARGV[3])
local min_ts = tonumber(ARGV[4])
local low = ARGV[2]
local deleted = 0
while true do
  local seqs = redis.call('ZRANGEBYSCORE', KEYS[1], low, ARGV[1], 'LIMIT', 0, 256)
  if #seqs == 0 then break end
  local stamps = redis.call('HMGET', KEYS[3], unpack(seqs))
  for i, seq in ipairs(seqs) do
    local ts = tonumber(stamps[i])
    if ts ~= nil and ts >= min_ts and ts <= max_ts then
      redis.call('ZREM', KEYS[1], seq)
      redis.call('HDEL', KEYS[2], seq)
      redis.call('HDEL', KEYS[3], seq)
      deleted = deleted + 1
    end
  end
  if #seqs < 256 then break end
  low = '(' .. seqs[#seqs]
end
return deleted
)lua";

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string IdContext(std::string_view persistence_id) {
  return absl::StrCat("persistence id '", ToAbsl(persistence_id), "'");
}

}  // namespace

std::string HashTag(std::string_view persistence_id) {
  if (persistence_id.empty()) return "%";
  std::string tag;
  tag.reserve(persistence_id.size() + 8);
  for (char c : persistence_id) {
    if (c == '%') {
      tag += "%25";
    } else if (c == '}') {
      tag += "%7D";
    } else {
      tag += c;
    }
  }
  return tag;
}

std::string KeySpace::Key(char kind, std::string_view persistence_id,
                          char suffix) const {
  std::string key;
  key.reserve(prefix_.size() + persistence_id.size() + 8);
  key += prefix_;
  key += kind;
  key += ":{";
  key += HashTag(persistence_id);
  key += "}:";
  key += suffix;
  return key;
}

std::string KeySpace::Events(std::string_view id) const {
  return Key('j', id, 'e');
}
std::string KeySpace::Highest(std::string_view id) const {
  return Key('j', id, 'h');
}
std::string KeySpace::SnapshotIndex(std::string_view id) const {
  return Key('s', id, 'i');
}
std::string KeySpace::SnapshotRecords(std::string_view id) const {
  return Key('s', id, 'r');
}
std::string KeySpace::SnapshotTimestamps(std::string_view id) const {
  return Key('s', id, 't');
}

Scripts::Scripts()
    : journal_write{"journal-write", kJournalWrite, ""},
      snapshot_save{"snapshot-save", kSnapshotSave, ""},
      snapshot_load{"snapshot-load", kSnapshotLoad, ""},
      snapshot_delete_one{"snapshot-delete-one", kSnapshotDeleteOne, ""},
      snapshot_delete_matching{"snapshot-delete-matching",
                               kSnapshotDeleteMatching, ""} {}

std::vector<Script*> Scripts::All() {
  return {&journal_write, &snapshot_save, &snapshot_load, &snapshot_delete_one,
          &snapshot_delete_matching};
}

std::string ScoreBound(int64_t sequence_nr) {
  if (sequence_nr > kMaxStoredSequenceNr) return "+inf";
  if (sequence_nr < 0) return "-inf";
  return absl::StrCat(sequence_nr);
}

// --- Journal ---

Command JournalWriteCommand(const Scripts& scripts, const KeySpace& keys,
                            std::string_view persistence_id,
                            const std::vector<EventRecord>& events) {
  size_t bytes = 0;
  for (const EventRecord& e : events) bytes += e.record.size() + 40;
  const std::string events_key = keys.Events(persistence_id);
  const std::string highest_key = keys.Highest(persistence_id);
  CommandBuilder b =
      ScriptCall(scripts.journal_write, {events_key, highest_key},
                 2 + 2 * events.size(), bytes);
  b.Add(events.front().sequence_nr).Add(events.back().sequence_nr);
  for (const EventRecord& e : events) b.Add(e.sequence_nr).Add(e.record);
  Command c = FinishScriptCall(scripts.journal_write, std::move(b));
  c.writes = true;
  return c;
}

absl::Status CheckJournalWriteReply(const redisReply* reply,
                                    std::string_view persistence_id,
                                    int64_t lowest, int64_t highest) {
  if (reply != nullptr && reply->type == REDIS_REPLY_INTEGER &&
      reply->integer == highest) {
    return absl::OkStatus();
  }
  const std::string what =
      absl::StrCat("write of ", IdContext(persistence_id),
                   ", sequence numbers ", lowest, "..", highest);
  if (IsError(reply)) {
    const std::string_view text = ReplyText(reply);
    if (StartsWith(text, kStaleWriterError)) {
      std::string_view stored = text.substr(kStaleWriterError.size());
      if (!stored.empty() && stored.front() == ' ') stored.remove_prefix(1);
      int64_t stored_highest = 0;
      if (absl::SimpleAtoi(ToAbsl(stored), &stored_highest)) {
        absl::Status stale =
            CheckNotStale(std::string(persistence_id), lowest, stored_highest);
        if (!stale.ok()) return stale;
      }
      return absl::FailedPreconditionError(
          absl::StrCat(what, " refused as a stale writer's (the server says '",
                       ToAbsl(text), "'); nothing of this write was stored"));
    }
    if (StartsWith(text, "CORRUPT_HIGHEST")) {
      return absl::DataLossError(
          absl::StrCat(what, " refused: the highest sequence number key of ",
                       IdContext(persistence_id), " does not hold a number"));
    }
    return ErrorReplyStatus(reply, what);
  }
  return absl::InternalError(absl::StrCat(
      what, ": unexpected reply from redis (", DescribeReply(reply),
      "); whether it was stored is unknown"));
}

Command ReplayPageCommand(const KeySpace& keys, std::string_view persistence_id,
                          int64_t from, int64_t to, int64_t limit) {
  CommandBuilder b(8);
  b.Add("ZRANGEBYSCORE")
      .Add(keys.Events(persistence_id))
      .Add(ScoreBound(from))
      .Add(ScoreBound(to))
      .Add("WITHSCORES")
      .Add("LIMIT")
      .Add(int64_t{0})
      .Add(limit);
  return std::move(b).Build();
}

Command LastEventsStartCommand(const KeySpace& keys,
                               std::string_view persistence_id, int64_t to,
                               int64_t count) {
  CommandBuilder b(8);
  b.Add("ZREVRANGEBYSCORE")
      .Add(keys.Events(persistence_id))
      .Add(ScoreBound(to))
      .Add("-inf")
      .Add("WITHSCORES")
      .Add("LIMIT")
      .Add(std::max<int64_t>(0, count - 1))
      .Add(int64_t{1});
  return std::move(b).Build();
}

absl::Status ParseReplayPage(const redisReply* reply,
                             std::string_view persistence_id, int64_t from,
                             std::vector<PageEntry>* entries) {
  entries->clear();
  const std::string what = absl::StrCat("replay of ", IdContext(persistence_id),
                                        " at sequence number ", from);
  if (IsError(reply)) return ErrorReplyStatus(reply, what);
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY ||
      reply->elements % 2 != 0) {
    return absl::InternalError(absl::StrCat(
        what, ": unexpected reply from redis (", DescribeReply(reply),
        "), expected pairs of event and sequence number"));
  }
  entries->reserve(reply->elements / 2);
  int64_t previous = from - 1;
  for (size_t i = 0; i < reply->elements; i += 2) {
    const redisReply* member = reply->element[i];
    const redisReply* score = reply->element[i + 1];
    if (member->type != REDIS_REPLY_STRING ||
        score->type != REDIS_REPLY_STRING) {
      return absl::InternalError(absl::StrCat(
          what, ": unexpected reply from redis after sequence number ",
          previous, " (", DescribeReply(member), ", ", DescribeReply(score),
          ")"));
    }
    std::optional<int64_t> seq = ParseInt64(ReplyText(score));
    if (!seq.has_value() || *seq <= previous) {
      return absl::DataLossError(absl::StrCat(
          what, ": the event stored after sequence number ", previous,
          " has the score '", ToAbsl(ReplyText(score)),
          "', not a sequence number (is the key written by someone else?)"));
    }
    previous = *seq;
    entries->push_back({*seq, ReplyText(member)});
  }
  return absl::OkStatus();
}

int64_t NextReplayPageSize(int64_t page_size, int64_t page_bytes,
                           const std::vector<PageEntry>& previous) {
  if (previous.empty()) return page_size;
  int64_t bytes = 0;
  for (const PageEntry& e : previous)
    bytes += static_cast<int64_t>(e.record.size());
  const int64_t average =
      std::max<int64_t>(1, bytes / static_cast<int64_t>(previous.size()));
  return std::clamp<int64_t>(page_bytes / average, 1, page_size);
}

Command HighestCommand(const KeySpace& keys, std::string_view persistence_id) {
  CommandBuilder b(2);
  b.Add("GET").Add(keys.Highest(persistence_id));
  return std::move(b).Build();
}

absl::StatusOr<int64_t> ParseHighestReply(const redisReply* reply,
                                          std::string_view persistence_id) {
  if (reply != nullptr && reply->type == REDIS_REPLY_NIL) return 0;
  if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {
    std::optional<int64_t> highest = ParseInt64(ReplyText(reply));
    if (highest.has_value() && *highest >= 0) return *highest;
  }
  const std::string what = absl::StrCat(
      "reading the highest sequence number of ", IdContext(persistence_id));
  if (IsError(reply)) return ErrorReplyStatus(reply, what);
  if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {
    return absl::DataLossError(absl::StrCat(what, ": its key holds ",
                                            DescribeReply(reply),
                                            ", not a sequence number"));
  }
  return absl::InternalError(absl::StrCat(
      what, ": unexpected reply from redis (", DescribeReply(reply), ")"));
}

Command DeleteToCommand(const KeySpace& keys, std::string_view persistence_id,
                        int64_t to) {
  CommandBuilder b(4);
  b.Add("ZREMRANGEBYSCORE")
      .Add(keys.Events(persistence_id))
      .Add("-inf")
      .Add(ScoreBound(to));
  Command c = std::move(b).Build();
  c.writes = true;
  return c;
}

// --- Snapshot store ---

Command SnapshotSaveCommand(const Scripts& scripts, const KeySpace& keys,
                            const SnapshotMetadata& metadata,
                            const std::string& record) {
  const std::string& id = metadata.persistence_id;
  const std::string index = keys.SnapshotIndex(id),
                    records = keys.SnapshotRecords(id),
                    stamps = keys.SnapshotTimestamps(id);
  CommandBuilder b = ScriptCall(scripts.snapshot_save, {index, records, stamps},
                                3, record.size());
  b.Add(metadata.sequence_nr).Add(metadata.timestamp).Add(record);
  Command c = FinishScriptCall(scripts.snapshot_save, std::move(b));
  c.writes = true;
  return c;
}

namespace {

Command CriteriaCall(const Script& script, const KeySpace& keys,
                     std::string_view persistence_id,
                     const SnapshotSelectionCriteria& criteria) {
  const std::string index = keys.SnapshotIndex(persistence_id),
                    records = keys.SnapshotRecords(persistence_id),
                    stamps = keys.SnapshotTimestamps(persistence_id);
  CommandBuilder b = ScriptCall(script, {index, records, stamps}, 4);
  b.Add(ScoreBound(criteria.max_sequence_nr))
      .Add(ScoreBound(criteria.min_sequence_nr))
      .Add(criteria.max_timestamp)
      .Add(criteria.min_timestamp);
  return FinishScriptCall(script, std::move(b));
}

}  // namespace

Command SnapshotLoadCommand(const Scripts& scripts, const KeySpace& keys,
                            std::string_view persistence_id,
                            const SnapshotSelectionCriteria& criteria) {
  return CriteriaCall(scripts.snapshot_load, keys, persistence_id, criteria);
}

Command SnapshotDeleteOneCommand(const Scripts& scripts, const KeySpace& keys,
                                 const SnapshotMetadata& metadata) {
  const std::string& id = metadata.persistence_id;
  const std::string index = keys.SnapshotIndex(id),
                    records = keys.SnapshotRecords(id),
                    stamps = keys.SnapshotTimestamps(id);
  CommandBuilder b =
      ScriptCall(scripts.snapshot_delete_one, {index, records, stamps}, 2);
  b.Add(metadata.sequence_nr).Add(metadata.timestamp);
  Command c = FinishScriptCall(scripts.snapshot_delete_one, std::move(b));
  c.writes = true;
  return c;
}

Command SnapshotDeleteMatchingCommand(
    const Scripts& scripts, const KeySpace& keys,
    std::string_view persistence_id,
    const SnapshotSelectionCriteria& criteria) {
  Command c = CriteriaCall(scripts.snapshot_delete_matching, keys,
                           persistence_id, criteria);
  c.writes = true;
  return c;
}

}  // namespace persistence::redis::internal
