// Copyright 2026 The eventpersist Authors.
//
// data_model.h: how the Redis backend lays out a persistence id in Redis,
// and the commands that read and write it. The journal, the snapshot store
// and the perf raw engine all build their commands here, so they send the
// same bytes.
//
// Keys of persistence id P, with prefix K (config `key-prefix`) and T the
// hash tag of P (see HashTag):
//
//   K j:{T}:e   sorted set: score = sequence number, member = the encoded
//               event (codec.h EncodeEvent; it holds its sequence number,
//               so members never repeat)
//   K j:{T}:h   string: the highest sequence number ever written; kept when
//               events are deleted, so it never goes down
//   K s:{T}:i   sorted set of snapshot sequence numbers (score = member)
//   K s:{T}:r   hash: sequence number -> encoded snapshot (EncodeSnapshot)
//   K s:{T}:t   hash: sequence number -> snapshot timestamp (milliseconds)
//
// Every key of one id holds the same hash tag {T}, so on Redis Cluster they
// live in one slot and one script may touch them all.
//
// Sequence numbers are sorted-set scores, which are doubles: exact up to
// 2^53. Writes above kMaxStoredSequenceNr are refused (OutOfRange) rather
// than stored inexactly.
//
// Thread-safety: KeySpace is immutable; the Script values are filled in
// once (their SHA) before the plugin serves requests.
//
// Example:
//
//   KeySpace keys("persistence:");
//   keys.Events("account-17");   // "persistence:j:{account-17}:e"
//   Command c = ReplayPageCommand(keys, "account-17", 1, kMaxSequenceNr, 500);
#ifndef BACKENDS_REDIS_INTERNAL_DATA_MODEL_H_
#define BACKENDS_REDIS_INTERNAL_DATA_MODEL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/redis/internal/resp.h"
#include "persistence/api/snapshot.h"

namespace persistence::redis::internal {

// The largest sequence number a sorted-set score holds exactly (2^53).
inline constexpr int64_t kMaxStoredSequenceNr = int64_t{1} << 53;

// HashTag returns the part of every key of `persistence_id` between '{' and
// '}': the id with '%' written as "%25" and '}' as "%7D" (so no id can close
// the tag early and no two ids share a tag), and "%" for the empty id (an
// empty tag would not be a tag).
std::string HashTag(std::string_view persistence_id);

class KeySpace {
 public:
  explicit KeySpace(std::string prefix) : prefix_(std::move(prefix)) {}

  const std::string& prefix() const { return prefix_; }
  std::string Events(std::string_view persistence_id) const;
  std::string Highest(std::string_view persistence_id) const;
  std::string SnapshotIndex(std::string_view persistence_id) const;
  std::string SnapshotRecords(std::string_view persistence_id) const;
  std::string SnapshotTimestamps(std::string_view persistence_id) const;

 private:
  std::string Key(char kind, std::string_view persistence_id,
                  char suffix) const;
  std::string prefix_;
};

// Scripts: every script the backend runs; see data_model.cc for the text.
struct Scripts {
  // Appends the events of one id in one step; refuses a stale writer.
  Script journal_write;
  Script snapshot_save;
  // Finds the youngest snapshot matching criteria, on the server.
  Script snapshot_load;
  Script snapshot_delete_one;
  Script snapshot_delete_matching;

  Scripts();
  std::vector<Script*> All();
};

// --- Journal ---

// EventRecord: one encoded event of a write step.
struct EventRecord {
  int64_t sequence_nr = 0;
  std::string_view record;  // the caller's bytes, valid during the call
};

// JournalWriteCommand stores `events` (one id, increasing sequence numbers)
// in one server-side step: nothing is stored when the first sequence
// number is not above the id's stored highest (the reply is then an error
// starting with kStaleWriterError). The reply is the new highest.
Command JournalWriteCommand(const Scripts& scripts, const KeySpace& keys,
                            std::string_view persistence_id,
                            const std::vector<EventRecord>& events);
inline constexpr std::string_view kStaleWriterError = "STALE_WRITER";

// CheckJournalWriteReply turns the reply of a JournalWriteCommand into a
// status naming the id and the sequence numbers written.
absl::Status CheckJournalWriteReply(const redisReply* reply,
                                    std::string_view persistence_id,
                                    int64_t lowest, int64_t highest);

// ReplayPageCommand reads at most `limit` events with
// from <= sequence number <= to, in order (ZRANGEBYSCORE ... LIMIT).
Command ReplayPageCommand(const KeySpace& keys, std::string_view persistence_id,
                          int64_t from, int64_t to, int64_t limit);
// LastEventsStartCommand finds the sequence number where the last `count`
// events up to `to` start (for a replay with a negative from).
Command LastEventsStartCommand(const KeySpace& keys,
                               std::string_view persistence_id, int64_t to,
                               int64_t count);

// PageEntry: one stored event of a replay page, pointing into the reply.
struct PageEntry {
  int64_t sequence_nr = 0;
  std::string_view record;
};
// ParseReplayPage reads a ZRANGEBYSCORE ... WITHSCORES reply. An error
// reply or a reply of an unexpected shape is an error naming the id and
// the sequence number the page started at (or the entry at fault).
absl::Status ParseReplayPage(const redisReply* reply,
                             std::string_view persistence_id, int64_t from,
                             std::vector<PageEntry>* entries);

// NextReplayPageSize sizes the next page from the previous one: at most
// `page_size` events, and about `page_bytes` of them.
int64_t NextReplayPageSize(int64_t page_size, int64_t page_bytes,
                           const std::vector<PageEntry>& previous);
// The first page of a replay is at most this big (its events' size is not
// known yet); later pages grow to replay-page-size.
inline constexpr int64_t kFirstReplayPage = 64;

Command HighestCommand(const KeySpace& keys, std::string_view persistence_id);
absl::StatusOr<int64_t> ParseHighestReply(const redisReply* reply,
                                          std::string_view persistence_id);

// DeleteToCommand removes events up to `to` (inclusive) in one range
// delete; the highest sequence number key is not touched.
Command DeleteToCommand(const KeySpace& keys, std::string_view persistence_id,
                        int64_t to);

// ScoreBound writes a sequence number as a sorted-set score bound, with
// "+inf" for anything above kMaxStoredSequenceNr and "-inf" below 0.
std::string ScoreBound(int64_t sequence_nr);

// --- Snapshot store ---

Command SnapshotSaveCommand(const Scripts& scripts, const KeySpace& keys,
                            const SnapshotMetadata& metadata,
                            const std::string& record);
// SnapshotLoadCommand finds the youngest snapshot matching `criteria`;
// the reply is nil, or [sequence number, timestamp, record].
Command SnapshotLoadCommand(const Scripts& scripts, const KeySpace& keys,
                            std::string_view persistence_id,
                            const SnapshotSelectionCriteria& criteria);
Command SnapshotDeleteOneCommand(const Scripts& scripts, const KeySpace& keys,
                                 const SnapshotMetadata& metadata);
Command SnapshotDeleteMatchingCommand(
    const Scripts& scripts, const KeySpace& keys,
    std::string_view persistence_id, const SnapshotSelectionCriteria& criteria);

}  // namespace persistence::redis::internal

#endif  // BACKENDS_REDIS_INTERNAL_DATA_MODEL_H_
