// Copyright 2026 The eventpersist Authors.
#include "backends/redis/internal/resp.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace persistence::redis::internal {
namespace {

constexpr size_t kMaxDescribed = 120;

std::string Cut(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxDescribed)) {
    out += absl::ascii_isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  if (text.size() > kMaxDescribed) absl::StrAppend(&out, "...");
  return out;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

CommandBuilder::CommandBuilder(size_t argc, size_t reserve_bytes)
    : argc_(argc) {
  wire_.reserve(reserve_bytes + 16 * argc + 16);
  absl::StrAppend(&wire_, "*", argc, "\r\n");
}

CommandBuilder& CommandBuilder::Add(std::string_view arg) {
  if (added_ == 0) name_ = std::string(arg);
  ++added_;
  absl::StrAppend(&wire_, "$", arg.size(), "\r\n");
  wire_.append(arg.data(), arg.size());
  wire_.append("\r\n");
  return *this;
}

CommandBuilder& CommandBuilder::Add(int64_t n) {
  char digits[24];
  const std::to_chars_result r =
      std::to_chars(digits, digits + sizeof(digits), n);
  return Add(std::string_view(digits, r.ptr - digits));
}

CommandBuilder& CommandBuilder::MarkTail() {
  tail_offset_ = wire_.size();
  return *this;
}

Command CommandBuilder::Build() && {
  // A miscount is a bug in this backend, never a user error.
  if (added_ != argc_) std::abort();
  Command command;
  command.wire = std::move(wire_);
  command.tail_offset = tail_offset_;
  command.name = std::move(name_);
  return command;
}

CommandBuilder ScriptCall(const Script& script,
                          std::initializer_list<std::string_view> keys,
                          size_t args, size_t reserve_bytes) {
  CommandBuilder b(3 + keys.size() + args, reserve_bytes);
  b.Add("EVALSHA")
      .Add(script.sha)
      .MarkTail()
      .Add(static_cast<int64_t>(keys.size()));
  for (std::string_view key : keys) b.Add(key);
  return b;
}

Command FinishScriptCall(const Script& script, CommandBuilder builder) {
  Command command = std::move(builder).Build();
  command.script = &script;
  command.name = absl::StrCat("EVALSHA ", script.name);
  return command;
}

std::string EvalFallback(const Command& command) {
  // "*<n>\r\n" stays, "EVALSHA" and the SHA become "EVAL" and the text.
  const size_t header_end = command.wire.find("\r\n") + 2;
  std::string wire(command.wire, 0, header_end);
  absl::StrAppend(&wire, "$4\r\nEVAL\r\n$", command.script->text.size(),
                  "\r\n");
  wire.append(command.script->text);
  wire.append("\r\n");
  wire.append(command.wire, command.tail_offset, std::string::npos);
  return wire;
}

std::string_view ReplyText(const redisReply* reply) {
  if (reply == nullptr || reply->str == nullptr) return {};
  return std::string_view(reply->str, reply->len);
}

std::string DescribeReply(const redisReply* reply) {
  if (reply == nullptr) return "no reply";
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      return absl::StrCat("a string '", Cut(ReplyText(reply)), "'");
    case REDIS_REPLY_ARRAY:
      return absl::StrCat("an array of ", reply->elements, " elements");
    case REDIS_REPLY_INTEGER:
      return absl::StrCat("an integer ", reply->integer);
    case REDIS_REPLY_NIL:
      return "nil";
    case REDIS_REPLY_STATUS:
      return absl::StrCat("a status '", Cut(ReplyText(reply)), "'");
    case REDIS_REPLY_ERROR:
      return absl::StrCat("an error '", Cut(ReplyText(reply)), "'");
  }
  return absl::StrCat("a reply of unknown type ", reply->type);
}

absl::Status ErrorReplyStatus(const redisReply* reply,
                              std::string_view context) {
  const std::string_view text = ReplyText(reply);
  const std::string message =
      absl::StrCat(ToAbsl(context), ": redis answered ", Cut(text));
  struct Prefix {
    const char* word;
    absl::StatusCode code;
  };
  static constexpr Prefix kPrefixes[] = {
      {"NOAUTH", absl::StatusCode::kUnauthenticated},
      {"WRONGPASS", absl::StatusCode::kUnauthenticated},
      {"NOPERM", absl::StatusCode::kPermissionDenied},
      {"OOM", absl::StatusCode::kResourceExhausted},
      {"LOADING", absl::StatusCode::kUnavailable},
      {"BUSY", absl::StatusCode::kUnavailable},
      {"READONLY", absl::StatusCode::kUnavailable},
      {"MASTERDOWN", absl::StatusCode::kUnavailable},
      {"TRYAGAIN", absl::StatusCode::kUnavailable},
      {"CLUSTERDOWN", absl::StatusCode::kUnavailable},
      {"WRONGTYPE", absl::StatusCode::kFailedPrecondition},
      {"CROSSSLOT", absl::StatusCode::kUnimplemented},
  };
  if (StartsWith(text, "MOVED ") || StartsWith(text, "ASK ")) {
    return absl::UnimplementedError(absl::StrCat(
        message,
        " (the server is a Redis Cluster node: list a few of its nodes in "
        "config key 'cluster-nodes')"));
  }
  for (const Prefix& p : kPrefixes) {
    if (StartsWith(text, p.word)) return absl::Status(p.code, message);
  }
  // Errors raised inside a script carry the inner error after the script
  // name in some versions ("ERR Error running script ...: WRONGTYPE ...").
  if (text.find("WRONGTYPE") != std::string_view::npos) {
    return absl::FailedPreconditionError(message);
  }
  return absl::InternalError(message);
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  char buffer[24];
  text.copy(buffer, text.size());
  buffer[text.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(buffer, &end, 10);
  if (errno != 0 || end != buffer + text.size()) return std::nullopt;
  return static_cast<int64_t>(value);
}

}  // namespace persistence::redis::internal
