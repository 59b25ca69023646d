// Copyright 2026 The eventpersist Authors.
#include "backends/redis/internal/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "persistence/api/burst.h"
#include "persistence/api/future.h"

namespace persistence::redis::internal {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadBuffer = 256 << 10;
constexpr std::chrono::milliseconds kFirstBackoff(50);

// A write to a socket the server closed would raise SIGPIPE and kill the
// process. Transports write with MSG_NOSIGNAL; the reader thread, which
// runs every connect, also blocks SIGPIPE and drops any that became
// pending.
void BlockSigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void DiscardPendingSigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0 || !sigismember(&pending, SIGPIPE)) return;
  const timespec zero{0, 0};
  while (sigtimedwait(&set, nullptr, &zero) > 0) {
  }
}

constexpr std::string_view kAskingWire = "*1\r\n$6\r\nASKING\r\n";

std::string WaitWire(const RedisSettings& settings) {
  if (settings.wait_replicas <= 0) return "";
  CommandBuilder b(3);
  b.Add("WAIT")
      .Add(int64_t{settings.wait_replicas})
      .Add(static_cast<int64_t>(settings.wait_timeout.count()));
  return std::move(b).Build().wire;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

Connection::Connection(const RedisSettings& settings, Scripts* scripts,
                       int index)
    : settings_(settings),
      scripts_(scripts),
      description_(absl::StrCat(settings.Describe(), " (connection ", index + 1,
                                " of ", settings.connections, ")")),
      tick_(std::clamp<std::chrono::milliseconds>(
          settings.command_timeout / 20, std::chrono::milliseconds(5),
          std::chrono::milliseconds(100))),
      wait_wire_(WaitWire(settings)),
      buffer_(kReadBuffer) {}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const RedisSettings& settings, Scripts* scripts, int index) {
  std::unique_ptr<Connection> connection(
      new Connection(settings, scripts, index));
  connection->wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (connection->wake_fd_ < 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot create an eventfd: ", ErrnoText(errno)));
  }
  Promise<absl::Status> opened;
  Connection* raw = connection.get();
  connection->thread_ = std::thread(
      [raw, opened] { raw->Run([opened](absl::Status s) { opened.Set(s); }); });
  absl::Status status = opened.GetFuture().Get();
  if (!status.ok()) return status;  // the destructor joins the thread
  return connection;
}

Connection::~Connection() {
  stop_.store(true);
  {
    // Ends the reader thread's blocking recv (see Serve).
    MutexLock lock(send_mu_);
    if (connected_) transport_->Shutdown();
  }
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.get_id() == std::this_thread::get_id()) {
    // A reply handler let go of the plugin: the reader cannot join itself.
    // The runtime destroys plugins on its own thread, so only a direct
    // user of the plugin can get here.
    std::cerr << "FATAL: " << description_
              << " was destroyed on its own reader thread: a plugin must not "
                 "be destroyed from one of its Futures' callbacks\n";
    std::abort();
  }
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool Connection::Connected() const {
  MutexLock lock(send_mu_);
  return connected_;
}

absl::Status Connection::TrySend(std::shared_ptr<const Command> command,
                                 ReplyHandler handler, bool asking,
                                 Clock::time_point deadline) {
  Pending pending;
  pending.handler = std::move(handler);
  pending.asking = asking;
  pending.deadline = deadline;
  pending.has_deadline = true;
  const std::string& wire = command->wire;
  const bool may_defer = command->may_wait_for_burst;
  pending.command = std::move(command);
  return Enqueue(wire, pending, may_defer);
}

void Connection::Send(Command command, ReplyHandler handler) {
  Pending pending;
  pending.handler = std::move(handler);
  absl::Status sent;
  const bool may_defer = command.may_wait_for_burst;
  // Kept when the reply may call for it again: NOSCRIPT, or WAIT after it.
  if (command.script != nullptr || (command.writes && !wait_wire_.empty())) {
    auto kept = std::make_shared<const Command>(std::move(command));
    const std::string& wire = kept->wire;
    pending.command = std::move(kept);
    sent = Enqueue(wire, pending, may_defer);
  } else {
    sent = Enqueue(command.wire, pending, may_defer);
  }
  if (!sent.ok()) pending.handler(std::move(sent));
}

absl::Status Connection::Enqueue(const std::string& wire, Pending& pending,
                                 bool may_defer) {
  MutexLock lock(send_mu_);
  if (!connected_) {
    return absl::UnavailableError(
        absl::StrCat(description_, " is not connected (", last_error_,
                     "); it reconnects in the background"));
  }
  if (!pending.has_deadline) {
    pending.deadline = Clock::now() + settings_.command_timeout;
  }
  pending.skip_reply = pending.asking;
  pending.wait = pending.command != nullptr && pending.command->writes &&
                 !wait_wire_.empty();
  pending.reply = nullptr;
  // The bytes join outgoing_ in FIFO order, under the same lock as the
  // FIFO; whoever is flushing sends them (see Flush).
  if (pending.asking) outgoing_.append(kAskingWire);
  outgoing_.append(wire);
  if (pending.wait) outgoing_.append(wait_wire_);
  {
    MutexLock fifo_lock(fifo_mu_);
    fifo_.push_back(std::move(pending));
  }
  switch (flushing_) {
    case Flushing::kWriting:
      return absl::OkStatus();  // the writing thread sends it
    case Flushing::kDeferred:
      // A burst's end sends it (this thread's, or the one that deferred);
      // a thread outside a burst does not wait for that.
      if (may_defer && InBurst()) return absl::OkStatus();
      break;
    case Flushing::kIdle:
      if (may_defer && InBurst()) {
        flushing_ = Flushing::kDeferred;
        DeferToBurstEnd([this, transport = transport_] {
          {
            MutexLock lock(send_mu_);
            // Sent by another thread meanwhile, or torn down.
            if (flushing_ != Flushing::kDeferred || transport_ != transport) {
              return;
            }
            flushing_ = Flushing::kWriting;
          }
          Flush(transport);
        });
        return absl::OkStatus();
      }
      break;
  }
  flushing_ = Flushing::kWriting;
  std::shared_ptr<Transport> transport = transport_;
  lock.Unlock();
  Flush(std::move(transport));
  return absl::OkStatus();
}

void Connection::Flush(std::shared_ptr<Transport> transport) {
  std::string batch;
  while (true) {
    {
      MutexLock lock(send_mu_);
      // Torn down meanwhile: Teardown failed these requests and reset the
      // flushing state (a new connection has its own flusher).
      if (transport_ != transport) return;
      batch.clear();
      if (outgoing_.empty()) {
        // outgoing_ takes the larger buffer back: the next requests append
        // without allocating.
        if (batch.capacity() > outgoing_.capacity()) outgoing_.swap(batch);
        flushing_ = Flushing::kIdle;
        return;
      }
      batch.swap(outgoing_);
    }
    // Outside send_mu_: the senders that come meanwhile only append, and
    // their bytes go out in the next round, together.
    const iovec piece{batch.data(), batch.size()};
    if (absl::Status written = transport->Write(&piece, 1); !written.ok()) {
      // The requests are in the FIFO: the reader thread sees the broken
      // socket, fails them with everything else in flight and resets the
      // flushing state.
      MutexLock lock(send_mu_);
      if (transport_ == transport) {
        last_error_ = std::string(written.message());
      }
      transport->Shutdown();
      return;
    }
  }
}

absl::Status Connection::Connect() {
  const timeval connect_timeout = ToTimeval(settings_.connect_timeout);
  const Clock::time_point connect_deadline =
      Clock::now() + settings_.connect_timeout;
  // hiredis only opens the socket; every byte after that goes through the
  // Transport (plain, or TLS over it).
  redisContext* context =
      settings_.unix_socket.empty()
          ? redisConnectWithTimeout(settings_.host.c_str(), settings_.port,
                                    connect_timeout)
          : redisConnectUnixWithTimeout(settings_.unix_socket.c_str(),
                                        connect_timeout);
  absl::Status status;
  std::shared_ptr<Transport> transport;
  if (context == nullptr) {
    status = absl::ResourceExhaustedError(
        absl::StrCat("cannot connect to ", settings_.Describe(),
                     ": hiredis could not allocate a context"));
  } else if (context->err != 0) {
    status = absl::UnavailableError(absl::StrCat(
        "cannot connect to ", settings_.Describe(), ": ", context->errstr));
  } else {
    if (settings_.unix_socket.empty()) {
      // TCP only: on a unix socket keep-alive is not supported, and hiredis
      // would mark the context failed.
      redisEnableKeepAlive(context);
      int one = 1;
      setsockopt(context->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    // The socket is the transport's from here on (hiredis must not close
    // it): it closes when the last holder of the transport lets go.
    const int fd = context->fd;
    context->fd = -1;
    if (settings_.tls == nullptr) {
      // Reads wake up at least every tick_ to check deadlines (see Serve).
      transport = Transport::Plain(fd, tick_, settings_.command_timeout);
    } else {
      absl::StatusOr<std::unique_ptr<Transport>> tls = Transport::Tls(
          fd, *settings_.tls, settings_.host, settings_.Describe(),
          connect_deadline, tick_, settings_.command_timeout);
      if (tls.ok()) {
        transport = *std::move(tls);
      } else {
        status = tls.status();
      }
    }
    if (status.ok()) {
      if (reader_ != nullptr) redisReaderFree(reader_);
      reader_ = redisReaderCreate();
      status = Handshake(*transport);
    }
  }
  DiscardPendingSigpipe();
  if (context != nullptr) redisFree(context);
  if (!status.ok()) {
    transport.reset();
    if (reader_ != nullptr) {
      redisReaderFree(reader_);
      reader_ = nullptr;
    }
    MutexLock lock(send_mu_);
    last_error_ = std::string(status.message());
    return status;
  }
  MutexLock lock(send_mu_);
  transport_ = std::move(transport);
  connected_ = true;
  return absl::OkStatus();
}

absl::StatusOr<Reply> Connection::Call(Transport& transport,
                                       const std::vector<std::string>& argv,
                                       const std::string& step) {
  const std::string server = settings_.Describe();
  CommandBuilder builder(argv.size());
  for (const std::string& arg : argv) builder.Add(arg);
  const Command command = std::move(builder).Build();
  const iovec piece{const_cast<char*>(command.wire.data()),
                    command.wire.size()};
  if (absl::Status written = transport.Write(&piece, 1); !written.ok()) {
    return absl::UnavailableError(
        absl::StrCat(server, ": ", step, " failed: ", written.message()));
  }
  const Clock::time_point deadline = Clock::now() + settings_.command_timeout;
  while (true) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      return absl::InternalError(absl::StrCat(
          server, ": ", step, " failed: protocol error: ", reader_->errstr));
    }
    if (raw != nullptr) return Reply(static_cast<redisReply*>(raw));
    absl::StatusOr<size_t> got = transport.Read(buffer_.data(), buffer_.size());
    if (!got.ok()) {
      return absl::UnavailableError(absl::StrCat(
          server, ": ", step, " failed: ", got.status().message()));
    }
    if (*got == 0) {
      if (Clock::now() >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            server, ": ", step, " failed: no reply within command-timeout (",
            settings_.command_timeout.count(), " ms)"));
      }
      continue;
    }
    redisReaderFeed(reader_, buffer_.data(), *got);
  }
}

absl::Status Connection::Handshake(Transport& transport) {
  const std::string server = settings_.Describe();
  auto run = [&](const std::vector<std::string>& argv,
                 const std::string& step) {
    return Call(transport, argv, step);
  };

  if (!settings_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!settings_.username.empty()) auth.push_back(settings_.username);
    auth.push_back(settings_.password);
    absl::StatusOr<Reply> reply = run(auth, "AUTH");
    if (!reply.ok()) return reply.status();
    if (IsError(reply->get())) {
      return absl::UnauthenticatedError(absl::StrCat(
          server, " refused the password",
          settings_.username.empty()
              ? ""
              : absl::StrCat(" of user '", settings_.username, "'"),
          " (config key 'password'): AUTH answered '",
          ToAbsl(ReplyText(reply->get())), "'"));
    }
  }
  {
    absl::StatusOr<Reply> reply =
        run({"SELECT", absl::StrCat(settings_.database)}, "SELECT");
    if (!reply.ok()) return reply.status();
    const std::string_view text = ReplyText(reply->get());
    if (IsError(reply->get())) {
      if (StartsWith(text, "NOAUTH")) {
        return absl::UnauthenticatedError(absl::StrCat(
            server,
            " requires a password and none is configured (config key "
            "'password'): ",
            ToAbsl(text)));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          server, ": cannot select database ", settings_.database,
          " (config key 'database'): SELECT answered '", ToAbsl(text),
          "' (the server has fewer databases, see its `databases` setting)"));
    }
  }
  {
    // Only for operators (CLIENT LIST); a server that refuses it is fine.
    absl::StatusOr<Reply> reply =
        run({"CLIENT", "SETNAME", settings_.client_name}, "CLIENT SETNAME");
    if (!reply.ok()) return reply.status();
  }
  for (Script* script : scripts_->All()) {
    absl::StatusOr<Reply> reply =
        run({"SCRIPT", "LOAD", script->text},
            absl::StrCat("SCRIPT LOAD of ", script->name));
    if (!reply.ok()) return reply.status();
    const redisReply* r = reply->get();
    if (IsError(r)) {
      return ErrorReplyStatus(
          r, absl::StrCat(server, ": SCRIPT LOAD of ", script->name));
    }
    if (r->type != REDIS_REPLY_STRING) {
      return absl::InternalError(absl::StrCat(server, ": SCRIPT LOAD of ",
                                              script->name, " answered ",
                                              DescribeReply(r)));
    }
    if (script->sha.empty()) {
      script->sha = std::string(ReplyText(r));
    } else if (script->sha != ReplyText(r)) {
      return absl::InternalError(
          absl::StrCat(server, ": SCRIPT LOAD of ", script->name, " gave SHA ",
                       ToAbsl(ReplyText(r)), ", expected ", script->sha));
    }
  }
  return absl::OkStatus();
}

void Connection::Run(std::function<void(absl::Status)> opened) {
  BlockSigpipe();
  absl::Status first = Connect();
  opened(first);
  if (!first.ok()) return;
  bool live = true;
  std::chrono::milliseconds backoff = kFirstBackoff;
  while (!stop_.load()) {
    if (live) {
      live = Serve();
      continue;
    }
    if (WaitForStop(backoff)) break;
    if (Connect().ok()) {
      live = true;
      backoff = kFirstBackoff;
    } else {
      backoff = std::min(backoff * 2, settings_.reconnect_max_backoff);
    }
  }
  if (live) {
    Teardown(
        absl::CancelledError(absl::StrCat(
            description_, ": the plugin stopped before the reply arrived")),
        absl::CancelledError(absl::StrCat(
            description_, ": the plugin stopped before the reply arrived")));
  }
  if (reader_ != nullptr) {
    redisReaderFree(reader_);
    reader_ = nullptr;
  }
}

bool Connection::WaitForStop(std::chrono::milliseconds timeout) {
  pollfd wake{wake_fd_, POLLIN, 0};
  const int n = ::poll(&wake, 1, static_cast<int>(timeout.count()));
  if (n > 0) {
    uint64_t value;
    (void)!::read(wake_fd_, &value, sizeof(value));
  }
  return stop_.load();
}

bool Connection::Serve() {
  bool expired = false;
  {
    MutexLock lock(fifo_mu_);
    expired = !fifo_.empty() && fifo_.front().deadline <= Clock::now();
  }
  if (expired) {
    const std::string why =
        absl::StrCat("no reply within command-timeout (",
                     settings_.command_timeout.count(), " ms)");
    Teardown(absl::DeadlineExceededError(absl::StrCat(
                 description_, ": ", why, "; the connection is reset")),
             absl::UnavailableError(absl::StrCat(
                 description_, ": connection reset after a request got ", why,
                 "; the outcome of this request is unknown")));
    return false;
  }
  // Read waits at most tick_, so the deadlines above are checked that
  // often; the destructor's shutdown() ends it at once.
  absl::StatusOr<size_t> got = transport_->Read(buffer_.data(), buffer_.size());
  if (stop_.load()) return true;
  if (got.ok() && *got > 0) {
    if (redisReaderFeed(reader_, buffer_.data(), *got) != REDIS_OK) {
      Teardown(
          absl::InternalError(absl::StrCat(description_, ": protocol error")),
          absl::UnavailableError(
              absl::StrCat(description_, ": protocol error")));
      return false;
    }
    return DeliverReplies();
  }
  if (got.ok()) return true;  // nothing within a tick
  std::string why(got.status().message());
  {
    MutexLock lock(send_mu_);
    if (last_error_.rfind("writing", 0) == 0)
      absl::StrAppend(&why, " (", last_error_, ")");
  }
  const absl::Status lost = absl::UnavailableError(absl::StrCat(
      description_, ": ", why, "; the outcome of the request is unknown"));
  Teardown(lost, lost);
  return false;
}

bool Connection::DeliverReplies() {
  while (true) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      const std::string why =
          absl::StrCat(description_, ": protocol error: ", reader_->errstr);
      Teardown(absl::InternalError(why), absl::UnavailableError(why));
      return false;
    }
    if (raw == nullptr) return true;
    Reply reply(static_cast<redisReply*>(raw));
    // A request may take more than one reply: ASKING's before it, WAIT's
    // after it. The request completes with its last one.
    bool stray = false;
    bool complete = false;
    Pending pending;
    {
      MutexLock lock(fifo_mu_);
      if (fifo_.empty()) {
        stray = true;
      } else if (Pending& front = fifo_.front(); front.skip_reply) {
        front.skip_reply = false;
      } else if (front.wait && front.reply == nullptr) {
        front.reply = std::move(reply);
      } else {
        pending = std::move(front);
        fifo_.pop_front();
        complete = true;
      }
    }
    if (stray) {
      const std::string why = absl::StrCat(
          description_, ": a reply arrived that no request waits for");
      Teardown(absl::InternalError(why), absl::InternalError(why));
      return false;
    }
    if (complete) Deliver(std::move(pending), std::move(reply));
  }
}

void Connection::Deliver(Pending pending, Reply last) {
  Reply reply = pending.wait ? std::move(pending.reply) : std::move(last);
  if (pending.command != nullptr && pending.command->script != nullptr &&
      !pending.is_fallback && IsError(reply.get()) &&
      StartsWith(ReplyText(reply.get()), "NOSCRIPT")) {
    // The server lost its script cache (SCRIPT FLUSH, a fail-over):
    // send the same call with the script's text.
    const std::string wire = EvalFallback(*pending.command);
    pending.is_fallback = true;
    absl::Status sent = Enqueue(wire, pending, /*may_defer=*/false);
    if (!sent.ok()) pending.handler(std::move(sent));
    return;
  }
  if (pending.wait && !IsError(reply.get())) {
    // `last` is WAIT's reply: how many replicas confirmed the write.
    const redisReply* confirmed = last.get();
    if (confirmed == nullptr || confirmed->type != REDIS_REPLY_INTEGER ||
        confirmed->integer < settings_.wait_replicas) {
      pending.handler(absl::UnavailableError(absl::StrCat(
          description_, ": the write is on the master, but ",
          confirmed != nullptr && confirmed->type == REDIS_REPLY_INTEGER
              ? absl::StrCat("only ", confirmed->integer, " of ")
              : std::string("not "),
          settings_.wait_replicas, " replicas (config key 'wait-replicas') ",
          "confirmed it within wait-timeout (", settings_.wait_timeout.count(),
          " ms): it is unknown whether it survives a fail-over",
          IsError(confirmed) ? absl::StrCat(" (WAIT answered '",
                                            ToAbsl(ReplyText(confirmed)), "')")
                             : std::string())));
      return;
    }
  }
  pending.handler(std::move(reply));
}

void Connection::Teardown(const absl::Status& head, const absl::Status& rest) {
  // Wakes a flushing sender blocked in send() (the reader thread alone
  // changes transport_, so it reads it without the lock).
  if (transport_ != nullptr) transport_->Shutdown();
  std::shared_ptr<Transport> transport;
  {
    MutexLock lock(send_mu_);
    connected_ = false;
    last_error_ = std::string(head.message());
    // A sender still flushing holds its own reference; the socket closes
    // when it lets go.
    transport = std::move(transport_);
    outgoing_.clear();
    flushing_ = Flushing::kIdle;
  }
  transport.reset();
  if (reader_ != nullptr) {
    redisReaderFree(reader_);
    reader_ = nullptr;
  }
  std::deque<Pending> failed;
  {
    MutexLock lock(fifo_mu_);
    failed.swap(fifo_);
  }
  bool first = true;
  for (Pending& p : failed) {
    p.handler(first ? head : rest);
    first = false;
  }
}

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Open(
    const RedisSettings& settings, Scripts* scripts) {
  auto pool = std::make_unique<ConnectionPool>();
  for (int i = 0; i < settings.connections; ++i) {
    absl::StatusOr<std::unique_ptr<Connection>> c =
        Connection::Open(settings, scripts, i);
    if (!c.ok()) return c.status();
    pool->connections_.push_back(*std::move(c));
  }
  return pool;
}

size_t Lane(std::string_view persistence_id, size_t count) {
  // FNV-1a: stable across runs and platforms.
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : persistence_id) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<size_t>(hash % count);
}

}  // namespace persistence::redis::internal
