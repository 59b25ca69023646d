// Copyright 2026 The eventpersist Authors.
//
// transport.h: Transport, the byte stream under one Redis connection: the
// plain socket, or TLS (OpenSSL) over it; and TlsContext, the client side
// of TLS that every connection of a plugin shares (its CA, its own
// certificate, whether it checks the server's).
//
// Debian's hiredis has no TLS, but the backend only lets hiredis open the
// socket: every byte after that goes through a Transport, the set-up
// commands (AUTH, SELECT, SCRIPT LOAD) as well as the pipelined requests.
//
// Thread-safety: one thread writes at a time (Connection holds its send
// lock around Write) while one other thread reads (the reader thread).
// That is all a plain socket needs. OpenSSL does not allow two threads in
// one SSL object at once, so TLS does its socket I/O itself and gives
// OpenSSL only memory buffers to encrypt and decrypt, under a lock of its
// own: no system call is made with that lock held, so the reader and the
// senders wait on each other for CPU work only.
//
// Example:
//
//   absl::StatusOr<std::shared_ptr<const TlsContext>> tls =
//       TlsContext::Create(tls_settings, config);   // errors name the key
//   absl::StatusOr<std::unique_ptr<Transport>> t = Transport::Tls(
//       fd, **tls, "127.0.0.1", "redis at 127.0.0.1:6380", deadline, tick);
//   (*t)->Write(pieces, count);
//   absl::StatusOr<size_t> n = (*t)->Read(buffer, size);  // 0: no bytes yet
#ifndef BACKENDS_REDIS_INTERNAL_TRANSPORT_H_
#define BACKENDS_REDIS_INTERNAL_TRANSPORT_H_

#include <sys/time.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/config.h"

typedef struct ssl_ctx_st SSL_CTX;  // OpenSSL

namespace persistence::redis::internal {

// The `tls { ... }` section of a plugin's config.
struct TlsSettings {
  bool enabled = false;
  // PEM files: the CAs the server's certificate must chain to ("" = the
  // system's), and this client's certificate and key, for servers that
  // require one (tls-auth-clients); key-file "" = the key is in cert-file.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // The name the server's certificate must carry (and SNI); "" = the host
  // the connection goes to.
  std::string server_name;
  bool verify_peer = true;
};

class TlsContext {
 public:
  // Create loads the files; an error names the config key and the file.
  // `config` is the plugin section, for those names.
  static absl::StatusOr<std::shared_ptr<const TlsContext>> Create(
      const TlsSettings& settings, const Config& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  const TlsSettings& settings() const { return settings_; }
  SSL_CTX* ssl_ctx() const { return ctx_; }

 private:
  TlsContext(TlsSettings settings, SSL_CTX* ctx)
      : settings_(std::move(settings)), ctx_(ctx) {}
  const TlsSettings settings_;
  SSL_CTX* const ctx_;
};

// ErrnoText is strerror's text for `error`; ToTimeval a timeout for
// setsockopt and hiredis.
std::string ErrnoText(int error);
timeval ToTimeval(std::chrono::milliseconds d);

class Transport {
 public:
  // Both take the socket `fd` over: the transport closes it when it is
  // destroyed (Tls at once when it fails), so a thread still writing
  // through a transport it holds never writes to a descriptor reused by
  // someone else.
  //
  // Plain: the socket as it is. Reads wait at most `tick` (SO_RCVTIMEO);
  // writes fail after `write_timeout` (SO_SNDTIMEO).
  static std::unique_ptr<Transport> Plain(
      int fd, std::chrono::milliseconds tick,
      std::chrono::milliseconds write_timeout);
  // Tls runs the TLS handshake with the server at `host` (`server` names it
  // in errors) by `deadline`: a certificate the client does not trust, a
  // name that does not match, or a server that wants a client certificate
  // fail here with a message that says so.
  static absl::StatusOr<std::unique_ptr<Transport>> Tls(
      int fd, const TlsContext& tls, const std::string& host,
      const std::string& server, std::chrono::steady_clock::time_point deadline,
      std::chrono::milliseconds tick, std::chrono::milliseconds write_timeout);

  virtual ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Shutdown ends the connection both ways: a blocked Read or Write
  // returns (with an error); the socket stays open until destruction.
  void Shutdown();

  // Write sends the pieces (at most kMaxPieces), all of them, in order; an
  // error says why.
  static constexpr int kMaxPieces = 4;
  virtual absl::Status Write(const iovec* pieces, int count) = 0;
  // Read waits up to `tick` for bytes: how many it read, 0 when none came
  // in time; Unavailable when the server closed the connection or it broke.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size) = 0;

 protected:
  explicit Transport(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace persistence::redis::internal

#endif  // BACKENDS_REDIS_INTERNAL_TRANSPORT_H_
