// Copyright 2026 The eventpersist Authors.
//
// resp.h: Redis commands as bytes on the wire, and replies as values.
//
// A Command is one request in the Redis protocol (RESP), built once on the
// caller's thread and written to the socket as is; the connection's reader
// thread parses replies with hiredis' redisReader and hands each over as a
// Reply (an owning pointer to hiredis' redisReply). The helpers here turn
// replies into absl::Status values with the most specific code, so an error
// from the server (say WRONGTYPE, or NOAUTH) reads the same wherever it
// surfaces.
//
// Internal to backends/redis: the journal, the snapshot store and the perf
// raw engine build their commands with these, so all three send the same
// bytes.
//
// Thread-safety: plain values and free functions.
//
// Example:
//
//   CommandBuilder b(4);
//   b.Add("ZRANGEBYSCORE").Add(key).Add(int64_t{1}).Add("+inf");
//   Command get = std::move(b).Build();   // "*4\r\n$13\r\nZRANGEBYSCORE..."
//   ...
//   absl::Status s = ErrorReplyStatus(reply.get(), "replay of 'p-1'");
#ifndef BACKENDS_REDIS_INTERNAL_RESP_H_
#define BACKENDS_REDIS_INTERNAL_RESP_H_

#include <hiredis/hiredis.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace persistence::redis::internal {

// Script is a Lua script the backend runs with EVALSHA. `sha` (its SHA1 in
// hex) is filled in by the first connection that loads it (SCRIPT LOAD) and
// never changes afterwards.
struct Script {
  std::string name;  // for error messages, e.g. "journal-write"
  std::string text;
  std::string sha;
};

// Command is one Redis command in wire form. A script call is sent as
// EVALSHA; `script` and `tail_offset` let the connection resend it as EVAL
// when the server answers NOSCRIPT (its script cache was flushed).
struct Command {
  std::string wire;
  const Script* script = nullptr;  // set for EVALSHA commands
  size_t tail_offset = 0;          // where the arguments after the SHA start
  std::string name;                // first word, for error messages
  // The command changes data: with `wait-replicas` set, the connection
  // follows it with WAIT.
  bool writes = false;
  // No one waits for the reply on the sending thread: on a dispatcher
  // thread of the runtime the connection may hold the command until the
  // thread's burst ends (persistence/api/burst.h), to write it together
  // with the others of the burst.
  bool may_wait_for_burst = false;
};

// CommandBuilder writes a RESP array of bulk strings. Tell it the number of
// arguments up front; Build checks that exactly that many were added.
class CommandBuilder {
 public:
  explicit CommandBuilder(size_t argc, size_t reserve_bytes = 0);
  CommandBuilder& Add(std::string_view arg);
  CommandBuilder& Add(const char* arg) { return Add(std::string_view(arg)); }
  CommandBuilder& Add(const std::string& arg) {
    return Add(std::string_view(arg));
  }
  CommandBuilder& Add(int64_t n);
  // MarkTail remembers where the next argument starts (see Command).
  CommandBuilder& MarkTail();
  Command Build() &&;

 private:
  size_t argc_;
  size_t added_ = 0;
  size_t tail_offset_ = 0;
  std::string wire_;
  std::string name_;
};

// ScriptCall builds `EVALSHA <sha> <keys...> <args...>`, to be completed
// with Add(arg) calls: give it the number of extra arguments.
CommandBuilder ScriptCall(const Script& script,
                          std::initializer_list<std::string_view> keys,
                          size_t args, size_t reserve_bytes = 0);
// FinishScriptCall is Build for a builder made by ScriptCall.
Command FinishScriptCall(const Script& script, CommandBuilder builder);

// EvalFallback turns an EVALSHA command into the same call as EVAL.
std::string EvalFallback(const Command& command);

struct ReplyDeleter {
  void operator()(redisReply* reply) const {
    if (reply != nullptr) freeReplyObject(reply);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// DescribeReply says what a reply is, for error messages ("an integer 5",
// "an error 'WRONGTYPE ...'", "an array of 3 elements"), cut to a sane
// length.
std::string DescribeReply(const redisReply* reply);

// IsError: the reply is a Redis error reply.
inline bool IsError(const redisReply* reply) {
  return reply != nullptr && reply->type == REDIS_REPLY_ERROR;
}
std::string_view ReplyText(const redisReply* reply);

// ErrorReplyStatus maps a Redis error reply to a status with the most
// specific code, prefixed with `context`: NOAUTH/WRONGPASS are
// Unauthenticated, NOPERM PermissionDenied, OOM ResourceExhausted,
// LOADING/BUSY/READONLY/MASTERDOWN/TRYAGAIN Unavailable, WRONGTYPE
// FailedPrecondition, MOVED/ASK/CROSSSLOT Unimplemented (no Cluster
// redirection in this client), anything else Internal.
absl::Status ErrorReplyStatus(const redisReply* reply,
                              std::string_view context);

// Abseil here is older than C++17 string_view support: absl::StrCat takes
// absl::string_view, a type of its own. ToAbsl bridges the two.
inline absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

// ParseInt64 reads a decimal integer with nothing else around it.
std::optional<int64_t> ParseInt64(std::string_view text);

}  // namespace persistence::redis::internal

#endif  // BACKENDS_REDIS_INTERNAL_RESP_H_
