// Copyright 2026 The eventpersist Authors.
//
// The Redis journal: writes as one Lua script per persistence id and call,
// replays as pipelined pages. See redis_journal.h.
#include "backends/redis/redis_journal.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "persistence/api/codec.h"

namespace persistence::redis {
namespace {

using internal::Command;
using internal::EventRecord;
using internal::KeySpace;
using internal::PageEntry;
using internal::Reply;
using internal::Router;

absl::Status WithContext(const absl::Status& status, const std::string& what) {
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

// WriteCall gathers the replies of one AsyncWriteMessages (one script per
// persistence id) and completes its future when the last one is in.
struct WriteCall {
  std::mutex mu;
  size_t outstanding = 0;
  absl::Status failure;
  WriteResults results;
  Promise<absl::StatusOr<WriteResults>> promise;

  void Done(const absl::Status& status) {
    bool last;
    {
      std::lock_guard<std::mutex> lock(mu);
      // The most telling failure wins: a refused stale writer over a
      // connection error of another id of the same call.
      if (!status.ok() &&
          (failure.ok() || absl::IsFailedPrecondition(status))) {
        failure = status;
      }
      last = --outstanding == 0;
    }
    if (!last) return;
    if (failure.ok()) {
      promise.Set(std::move(results));
    } else {
      promise.Set(failure);
    }
  }
};

// ReplayRun streams one replay: it asks for a page, and when a full page
// arrives it asks for the next one before decoding and delivering the
// current one, so the server works while this side decodes. Everything
// after the first request runs on a connection's reader thread, one page
// at a time.
class ReplayRun : public std::enable_shared_from_this<ReplayRun> {
 public:
  ReplayRun(Router& router, const KeySpace& keys,
            const internal::RedisSettings& settings, std::string persistence_id,
            int64_t to, int64_t max, ReplayCallback callback)
      : router_(router),
        keys_(keys),
        page_size_(settings.replay_page_size),
        page_bytes_(settings.replay_page_bytes),
        persistence_id_(std::move(persistence_id)),
        to_(to),
        left_to_ask_(max),
        callback_(std::move(callback)) {}

  Future<absl::Status> Start(int64_t from) {
    Future<absl::Status> done = done_.GetFuture();
    if (from < 0) {
      LocateLast();
    } else {
      Ask(from, std::min<int64_t>(internal::kFirstReplayPage, page_size_));
    }
    return done;
  }

 private:
  // LocateLast finds where the last `max` events up to `to` start.
  void LocateLast() {
    auto self = shared_from_this();
    router_.Send(persistence_id_,
                 internal::LastEventsStartCommand(keys_, persistence_id_, to_,
                                                  left_to_ask_),
                 [self](absl::StatusOr<Reply> reply) {
                   if (!reply.ok()) {
                     self->Finish(WithContext(reply.status(), self->What(-1)));
                     return;
                   }
                   std::vector<PageEntry> entries;
                   absl::Status parsed = internal::ParseReplayPage(
                       reply->get(), self->persistence_id_, 0, &entries);
                   if (!parsed.ok()) {
                     self->Finish(parsed);
                     return;
                   }
                   const int64_t from =
                       entries.empty() ? 0 : entries.front().sequence_nr;
                   self->Ask(from, std::min<int64_t>(internal::kFirstReplayPage,
                                                     self->page_size_));
                 });
  }

  void Ask(int64_t from, int64_t count) {
    count = std::min(count, left_to_ask_);
    left_to_ask_ -= count;
    auto self = shared_from_this();
    router_.Send(
        persistence_id_,
        internal::ReplayPageCommand(keys_, persistence_id_, from, to_, count),
        [self, from, count](absl::StatusOr<Reply> reply) {
          self->OnPage(from, count, std::move(reply));
        });
  }

  void OnPage(int64_t from, int64_t count, absl::StatusOr<Reply> reply) {
    if (finished_) return;
    if (!reply.ok()) {
      Finish(WithContext(reply.status(), What(from)));
      return;
    }
    absl::Status parsed = internal::ParseReplayPage(
        reply->get(), persistence_id_, from, &entries_);
    if (!parsed.ok()) {
      Finish(parsed);
      return;
    }
    const bool more = static_cast<int64_t>(entries_.size()) == count &&
                      left_to_ask_ > 0 && entries_.back().sequence_nr < to_;
    if (more) {
      Ask(entries_.back().sequence_nr + 1,
          internal::NextReplayPageSize(page_size_, page_bytes_, entries_));
    }
    for (const PageEntry& entry : entries_) {
      // A failed request for the next page (sent above) may have ended the
      // replay already; nothing is delivered after the end.
      if (finished_) return;
      absl::Status handed =
          callback_.Record(persistence_id_, entry.sequence_nr, entry.record);
      if (!handed.ok()) {
        Finish(handed);
        return;
      }
    }
    if (!more) Finish(absl::OkStatus());
  }

  std::string What(int64_t from) const {
    return from < 0
               ? absl::StrCat("replay of persistence id '", persistence_id_,
                              "' (locating its last events)")
               : absl::StrCat("replay of persistence id '", persistence_id_,
                              "' at sequence number ", from);
  }

  void Finish(absl::Status status) {
    if (finished_) return;
    finished_ = true;
    done_.Set(std::move(status));
  }

  Router& router_;
  const KeySpace& keys_;
  const int64_t page_size_;
  const int64_t page_bytes_;
  const std::string persistence_id_;
  const int64_t to_;
  int64_t left_to_ask_;  // events not yet asked for (the max)
  ReplayCallback callback_;
  std::vector<PageEntry> entries_;
  bool finished_ = false;
  Promise<absl::Status> done_;
};

}  // namespace

RedisJournal::RedisJournal(const Config& config, const std::string& config_path)
    : client_(config, "journal", config_path, "eventpersist-journal") {}

RedisJournal::~RedisJournal() = default;

absl::Status RedisJournal::Start() { return client_.Start(); }

Future<absl::StatusOr<WriteResults>> RedisJournal::AsyncWriteMessages(
    const std::vector<AtomicWrite>& writes) {
  if (!client_.started())
    return MakeReadyFuture<absl::StatusOr<WriteResults>>(client_.NotStarted());
  // Serialize everything before anything is sent (a rejected atomic write
  // then sends nothing at all), back to back into one buffer.
  auto call = std::make_shared<WriteCall>();
  call->results.resize(writes.size());
  EncodedRequest request = EncodeRequest(writes);
  for (size_t i = 0; i < writes.size(); ++i) {
    if (request.writes[i].rejection.ok() &&
        writes[i].highest_sequence_nr() > internal::kMaxStoredSequenceNr) {
      request.Reject(
          i, absl::OutOfRangeError(absl::StrCat(
                 "persistence id '", writes[i].persistence_id(),
                 "': sequence number ", writes[i].highest_sequence_nr(),
                 " is above 2^53, the largest a Redis sorted-set score holds "
                 "exactly; nothing of this atomic write was stored")));
    }
    call->results[i] = request.writes[i].rejection;
  }
  // One step per persistence id: its accepted events of this call.
  struct Step {
    const std::string* persistence_id;
    std::vector<EventRecord> events;
  };
  std::vector<Step> steps;
  for (size_t i = 0; i < writes.size(); ++i) {
    const AtomicWrite& write = writes[i];
    if (!call->results[i].ok()) continue;  // rejected: nothing of it sent
    auto step = std::find_if(steps.begin(), steps.end(), [&](const Step& s) {
      return *s.persistence_id == write.persistence_id();
    });
    if (step == steps.end()) {
      steps.push_back({&write.persistence_id(), {}});
      step = steps.end() - 1;
    } else if (write.lowest_sequence_nr() <= step->events.back().sequence_nr) {
      return MakeReadyFuture<absl::StatusOr<WriteResults>>(
          absl::InvalidArgumentError(absl::StrCat(
              "persistence id '", write.persistence_id(),
              "': the call writes sequence number ", write.lowest_sequence_nr(),
              " after ", step->events.back().sequence_nr,
              "; nothing of the call was stored")));
    }
    for (const EncodedRequest::Record& r :
         request.RecordsOf(request.writes[i])) {
      step->events.push_back({r.sequence_nr, request.Bytes(r)});
    }
  }
  if (steps.empty()) {
    return MakeReadyFuture<absl::StatusOr<WriteResults>>(
        std::move(call->results));
  }
  std::vector<Command> commands;
  commands.reserve(steps.size());
  for (const Step& step : steps) {
    commands.push_back(internal::JournalWriteCommand(
        client_.scripts(), client_.keys(), *step.persistence_id, step.events));
  }
  // Nothing waits for these replies here: they may go out at the end of
  // the caller's burst, with the writes of other actors.
  for (Command& command : commands) command.may_wait_for_burst = true;
  call->outstanding = steps.size();
  Future<absl::StatusOr<WriteResults>> result = call->promise.GetFuture();
  for (size_t s = 0; s < steps.size(); ++s) {
    const std::string& id = *steps[s].persistence_id;
    const int64_t lowest = steps[s].events.front().sequence_nr;
    const int64_t highest = steps[s].events.back().sequence_nr;
    client_.For(id).Send(
        std::move(commands[s]),
        [call, id, lowest, highest](absl::StatusOr<Reply> reply) {
          if (!reply.ok()) {
            call->Done(WithContext(
                reply.status(),
                absl::StrCat("write of persistence id '", id,
                             "', sequence numbers ", lowest, "..", highest)));
            return;
          }
          call->Done(internal::CheckJournalWriteReply(reply->get(), id, lowest,
                                                      highest));
        });
  }
  return result;
}

Future<absl::Status> RedisJournal::AsyncDeleteMessagesTo(
    const std::string& persistence_id, int64_t to_sequence_nr) {
  if (!client_.started())
    return MakeReadyFuture<absl::Status>(client_.NotStarted());
  if (to_sequence_nr < 1) return MakeReadyFuture(absl::OkStatus());
  Promise<absl::Status> done;
  const std::string what =
      absl::StrCat("deleting the events of persistence id '", persistence_id,
                   "' up to sequence number ", to_sequence_nr);
  client_.For(persistence_id)
      .Send(internal::DeleteToCommand(client_.keys(), persistence_id,
                                      to_sequence_nr),
            [done, what](absl::StatusOr<Reply> reply) {
              if (!reply.ok()) {
                done.Set(WithContext(reply.status(), what));
              } else if (internal::IsError(reply->get())) {
                done.Set(internal::ErrorReplyStatus(reply->get(), what));
              } else if ((*reply)->type != REDIS_REPLY_INTEGER) {
                done.Set(absl::InternalError(
                    absl::StrCat(what, ": unexpected reply from redis (",
                                 internal::DescribeReply(reply->get()), ")")));
              } else {
                done.Set(absl::OkStatus());
              }
            });
  return done.GetFuture();
}

Future<absl::Status> RedisJournal::AsyncReplayMessages(
    const std::string& persistence_id, int64_t from_sequence_nr,
    int64_t to_sequence_nr, int64_t max, ReplayCallback callback) {
  if (!client_.started())
    return MakeReadyFuture<absl::Status>(client_.NotStarted());
  if (max <= 0 || to_sequence_nr < 0 ||
      (from_sequence_nr >= 0 && from_sequence_nr > to_sequence_nr)) {
    return MakeReadyFuture(absl::OkStatus());
  }
  auto run = std::make_shared<ReplayRun>(
      client_.router(), client_.keys(), client_.settings(), persistence_id,
      to_sequence_nr, max, std::move(callback));
  return run->Start(from_sequence_nr);
}

Future<absl::StatusOr<int64_t>> RedisJournal::AsyncReadHighestSequenceNr(
    const std::string& persistence_id, int64_t from_sequence_nr) {
  if (!client_.started())
    return MakeReadyFuture<absl::StatusOr<int64_t>>(client_.NotStarted());
  Promise<absl::StatusOr<int64_t>> done;
  client_.For(persistence_id)
      .Send(
          internal::HighestCommand(client_.keys(), persistence_id),
          [done, persistence_id](absl::StatusOr<Reply> reply) {
            if (!reply.ok()) {
              done.Set(WithContext(
                  reply.status(),
                  absl::StrCat("reading the highest sequence number of "
                               "persistence id '",
                               persistence_id, "'")));
              return;
            }
            done.Set(internal::ParseHighestReply(reply->get(), persistence_id));
          });
  return done.GetFuture();
}

PERSISTENCE_REGISTER(JournalRegistry, "redis.Journal", Construct<RedisJournal>);

}  // namespace persistence::redis
