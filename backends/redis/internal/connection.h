// Copyright 2026 The eventpersist Authors.
//
// connection.h: Connection, one pipelined connection to Redis, and
// ConnectionPool, the few connections a plugin instance uses.
//
// Send returns at once; it does not wait for the reply. The caller's
// thread writes the request to the socket, with two exceptions that let
// many requests go out in one system call (and one TLS record):
//   - when another thread is writing to this connection right then, the
//     request joins what that thread writes next;
//   - on a dispatcher thread of the runtime, the request waits for the end
//     of the thread's burst of actor turns (persistence/api/burst.h: at
//     most 64 turns or 50 us), so the writes of the actors of one burst
//     go out together.
// Each
// connection has one reader thread that parses replies (hiredis'
// redisReader) in the order the commands were written and calls each
// request's handler with its reply. So requests from many actors, or many
// requests of one actor, are pipelined: the server sees them back to back
// and no request waits for the one before it.
//
// Failures never hang a request:
//   - every request has a deadline (`command-timeout`); when the oldest
//     request in flight passes it, the connection is reset and every
//     request in flight fails (DeadlineExceeded for the late one,
//     Unavailable for the rest: their outcome is unknown);
//   - a connection the server closed fails everything in flight;
//   - while a connection is down, Send fails at once (Unavailable, naming
//     the last connection error) and the reader thread reconnects in the
//     background, backing off from 50 ms to `reconnect-max-backoff`.
// With `tls.enabled`, every byte goes over TLS (transport.h), the set-up
// commands included. Each (re)connection authenticates, selects the
// database, names itself and
// loads the backend's Lua scripts, so EVALSHA finds them after a server
// restart. A NOSCRIPT answer (the script cache was flushed) is retried once
// as EVAL with the script's text.
//
// With `wait-replicas` N > 0, a command that writes (Command::writes) goes
// out followed by `WAIT N wait-timeout`, and its handler sees the command's
// reply only when N replicas confirmed it; fewer is an Unavailable error
// saying the write is on the master and may not survive a fail-over.
//
// Thread-safety: Send may be called from any thread, also from inside a
// handler (the reader thread). Handlers run on the reader thread, or on the
// caller's thread when Send fails at once; they must not block. The
// destructor stops the reader thread and fails the requests still in flight
// with Cancelled.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<ConnectionPool>> pool =
//       ConnectionPool::Open(settings, &scripts);
//   if (!pool.ok()) return pool.status();   // says what failed: connect, AUTH,
//   SELECT
//   (*pool)->For("account-17").Send(HighestCommand(keys, "account-17"),
//       [](absl::StatusOr<Reply> reply) { ... });
#ifndef BACKENDS_REDIS_INTERNAL_CONNECTION_H_
#define BACKENDS_REDIS_INTERNAL_CONNECTION_H_

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/redis/internal/data_model.h"
#include "backends/redis/internal/resp.h"
#include "backends/redis/internal/router.h"
#include "backends/redis/internal/settings.h"
#include "backends/redis/internal/transport.h"
#include "persistence/api/mutex.h"

namespace persistence::redis::internal {

class Connection {
 public:
  // Open connects, runs the handshake (AUTH, SELECT, CLIENT SETNAME, SCRIPT
  // LOAD of every script in `scripts`, filling in their SHA when empty) and
  // starts the reader thread. An error names the server and the step that
  // failed. `scripts` must outlive the connection.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const RedisSettings& settings, Scripts* scripts, int index);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Send writes `command` now and calls `handler` exactly once, later.
  void Send(Command command, ReplyHandler handler);
  // TrySend is Send for a command the caller keeps too (the cluster router
  // resends it after a redirection), failing by its result instead: when
  // the connection is down it returns the error and never calls `handler`.
  // With `asking`, ASKING goes right before the command (the answer to an
  // ASK redirection) and its reply is dropped. The request fails at
  // `deadline`.
  absl::Status TrySend(std::shared_ptr<const Command> command,
                       ReplyHandler handler, bool asking,
                       std::chrono::steady_clock::time_point deadline);

  // Connected: the connection is up right now (it may drop at any time).
  bool Connected() const;
  const std::string& description() const { return description_; }

 private:
  struct Pending {
    ReplyHandler handler;
    std::chrono::steady_clock::time_point deadline;
    bool has_deadline = false;  // else command-timeout from the write
    // Kept for script calls only: resent as EVAL on NOSCRIPT.
    std::shared_ptr<const Command> command;
    bool is_fallback = false;
    // Sent after ASKING: the next reply is ASKING's, dropped.
    bool asking = false;
    bool skip_reply = false;
    // Followed by WAIT: `reply` holds the command's reply until WAIT's.
    bool wait = false;
    Reply reply;
  };

  Connection(const RedisSettings& settings, Scripts* scripts, int index);
  // Enqueue sends `wire` and queues `pending` for its reply; when the
  // connection is down it returns the error and `pending` untouched.
  // `may_defer`: see Command::may_wait_for_burst.
  absl::Status Enqueue(const std::string& wire, Pending& pending,
                       bool may_defer);
  // Flush writes outgoing_ until it is empty (the flushing thread).
  void Flush(std::shared_ptr<Transport> transport);
  // Deliver hands a complete reply (the command's, and WAIT's when one
  // followed it) to its handler, or resends a NOSCRIPT call as EVAL.
  void Deliver(Pending pending, Reply last);
  void Run(std::function<void(absl::Status)> opened);
  absl::Status Connect();
  // Handshake runs the set-up commands over a fresh transport.
  absl::Status Handshake(Transport& transport);
  // Call sends one set-up command and waits for its reply.
  absl::StatusOr<Reply> Call(Transport& transport,
                             const std::vector<std::string>& argv,
                             const std::string& step);
  // Serve waits for replies once; false when the connection went down.
  bool Serve();
  bool DeliverReplies();
  void Teardown(const absl::Status& head, const absl::Status& rest);
  bool WaitForStop(std::chrono::milliseconds timeout);

  const RedisSettings settings_;
  Scripts* const scripts_;
  const std::string description_;
  const std::chrono::milliseconds tick_;
  const std::string wait_wire_;  // "WAIT N timeout", or empty

  // A sender appends its request's bytes to outgoing_ and the request to
  // fifo_ under send_mu_, so both are in the same order. Then, unless a
  // thread is flushing already, it becomes the flushing thread: it takes
  // outgoing_ and writes it outside the lock, again and again, until
  // outgoing_ is empty. Requests that come meanwhile go out together in
  // the next write, one system call (and one TLS record) for many. The
  // reader thread changes transport_ and connected_ under send_mu_ (it
  // reads transport_ without the lock: it alone changes it); a flushing
  // thread holds its own reference, so its socket stays open until it
  // returns.
  mutable Mutex send_mu_;
  bool connected_ ABSL_GUARDED_BY(send_mu_) = false;
  std::shared_ptr<Transport> transport_;
  std::string outgoing_ ABSL_GUARDED_BY(send_mu_);
  // kWriting: a thread writes outgoing_ until it is empty. kDeferred: a
  // dispatcher thread's burst (persistence/api/burst.h) writes it when it
  // ends; a thread outside a burst that sends meanwhile writes it at once.
  enum class Flushing { kIdle, kDeferred, kWriting };
  Flushing flushing_ ABSL_GUARDED_BY(send_mu_) = Flushing::kIdle;
  std::string last_error_ ABSL_GUARDED_BY(send_mu_) = "not connected yet";

  // Requests written and not yet answered, oldest first.
  Mutex fifo_mu_;
  std::deque<Pending> fifo_ ABSL_GUARDED_BY(fifo_mu_);

  // Reader thread only.
  redisReader* reader_ = nullptr;
  std::vector<char> buffer_;

  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread thread_;
};

// Lane is the connection a persistence id uses among `count`: always the
// same one, so the requests of one id stay in order.
size_t Lane(std::string_view persistence_id, size_t count);

// ConnectionPool: the router of one server, `connections` connections; a
// persistence id always maps to the same one (Lane).
class ConnectionPool : public Router {
 public:
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Open(
      const RedisSettings& settings, Scripts* scripts);

  void Send(std::string_view persistence_id, Command command,
            ReplyHandler handler) override {
    For(persistence_id).Send(std::move(command), std::move(handler));
  }
  Connection& For(std::string_view persistence_id) {
    return *connections_[Lane(persistence_id, connections_.size())];
  }
  size_t size() const { return connections_.size(); }
  Connection& at(size_t i) { return *connections_[i]; }

 private:
  std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace persistence::redis::internal

#endif  // BACKENDS_REDIS_INTERNAL_CONNECTION_H_
