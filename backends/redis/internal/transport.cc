// Copyright 2026 The eventpersist Authors.
#include "backends/redis/internal/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "persistence/api/mutex.h"

namespace persistence::redis::internal {

std::string ErrnoText(int error) {
  char buffer[128];
  // GNU strerror_r returns the message (maybe not in `buffer`).
  return strerror_r(error, buffer, sizeof(buffer));
}

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

namespace {

using Clock = std::chrono::steady_clock;

// OpenSslErrors drains this thread's OpenSSL error queue into one line.
std::string OpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    absl::StrAppend(&text, text.empty() ? "" : "; ", buffer);
  }
  return text;
}

int Milliseconds(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

class PlainTransport : public Transport {
 public:
  explicit PlainTransport(int fd) : Transport(fd) {}

  absl::Status Write(const iovec* pieces, int count) override {
    iovec copy[kMaxPieces];
    if (count > kMaxPieces) {
      return absl::InternalError(absl::StrCat("Transport::Write takes at most ",
                                              kMaxPieces, " pieces"));
    }
    std::copy(pieces, pieces + count, copy);
    iovec* left = copy;
    while (count > 0) {
      msghdr message{};
      message.msg_iov = left;
      message.msg_iovlen = static_cast<size_t>(count);
      ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        // EAGAIN here means SO_SNDTIMEO (command-timeout) passed.
        return absl::UnavailableError(
            absl::StrCat("writing to the socket failed: ", ErrnoText(errno)));
      }
      while (count > 0 && static_cast<size_t>(n) >= left->iov_len) {
        n -= static_cast<ssize_t>(left->iov_len);
        ++left;
        --count;
      }
      if (count > 0) {
        left->iov_base = static_cast<char*>(left->iov_base) + n;
        left->iov_len -= static_cast<size_t>(n);
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    // A blocking recv, as a plain client's read: one system call per reply
    // (a poll before it would be a second). SO_RCVTIMEO ends it after a
    // tick; a shutdown() of the socket ends it at once.
    const ssize_t got = ::recv(fd_, buffer, size, 0);
    if (got > 0) return static_cast<size_t>(got);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return 0;
    return absl::UnavailableError(
        got == 0 ? std::string("the server closed the connection")
                 : absl::StrCat("connection lost: ", ErrnoText(errno)));
  }
};

// SendAll writes `data` to a blocking socket (SO_SNDTIMEO bounds each
// wait); false with errno set when it cannot.
bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// TlsTransport: OpenSSL over memory BIOs. The socket I/O is this class's
// own (one recv per batch of records, one send per write, as on a plain
// socket); OpenSSL only encrypts and decrypts, under mu_, so no system
// call ever happens with mu_ held and the reader and the senders wait on
// each other only for the CPU work.
class TlsTransport : public Transport {
 public:
  // `hint` follows an error that looks like the server refusing this
  // client (with TLS 1.3 a refused client certificate shows up only at
  // the first command, as an alert or a reset).
  TlsTransport(int fd, SSL* ssl, BIO* in, BIO* out, std::string hint)
      : Transport(fd), ssl_(ssl), in_(in), out_(out), hint_(std::move(hint)) {}
  ~TlsTransport() override { SSL_free(ssl_); }  // frees the BIOs too

  absl::Status Write(const iovec* pieces, int count) override {
    MutexLock order(write_mu_);
    std::string wire;
    {
      MutexLock lock(mu_);
      for (int i = 0; i < count; ++i) {
        ERR_clear_error();
        const int n = SSL_write(ssl_, pieces[i].iov_base,
                                static_cast<int>(pieces[i].iov_len));
        if (n <= 0) {
          return absl::UnavailableError(
              absl::StrCat("writing to the TLS connection failed: ",
                           Describe(SSL_get_error(ssl_, n), errno)));
        }
      }
      TakeOutput(&wire);
    }
    return Send(wire);
  }

  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    while (true) {
      {
        MutexLock lock(mu_);
        ERR_clear_error();
        const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
        if (n > 0) {
          const bool reply_due = BIO_ctrl_pending(out_) > 0;
          lock.Unlock();
          // OpenSSL answered something of the server's (a key update):
          // send it now rather than with the next request.
          if (reply_due) {
            if (absl::Status s = Flush(); !s.ok()) return s;
          }
          return static_cast<size_t>(n);
        }
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_ZERO_RETURN) {
          return absl::UnavailableError("the server closed the connection");
        }
        if (error != SSL_ERROR_WANT_READ) {
          const bool refused = Refused(error);
          return absl::UnavailableError(
              absl::StrCat("connection lost: ", Describe(error, errno),
                           refused ? hint_ : ""));
        }
      }
      // Blocks for at most a tick (SO_RCVTIMEO), without mu_.
      const ssize_t got = ::recv(fd_, raw_, sizeof(raw_), 0);
      if (got == 0) {
        return absl::UnavailableError("the server closed the connection");
      }
      if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
        const int saved_errno = errno;
        return absl::UnavailableError(
            absl::StrCat("connection lost: ", ErrnoText(saved_errno),
                         saved_errno == ECONNRESET ? hint_ : ""));
      }
      MutexLock lock(mu_);
      BIO_write(in_, raw_, static_cast<int>(got));
    }
  }

  // Handshake runs SSL_connect to its end by `deadline`; on failure,
  // `error` is SSL_get_error's verdict and the status says why.
  absl::Status Handshake(Clock::time_point deadline, int* error) {
    while (true) {
      std::string wire;
      int done;
      {
        MutexLock lock(mu_);
        ERR_clear_error();
        done = SSL_connect(ssl_);
        *error = done == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, done);
        TakeOutput(&wire);
      }
      if (!wire.empty()) {
        if (absl::Status s = Send(wire); !s.ok()) return s;
      }
      if (done == 1) return absl::OkStatus();
      if (*error != SSL_ERROR_WANT_READ) {
        return absl::UnavailableError(Describe(*error, errno));
      }
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, Milliseconds(deadline));
      if (ready == 0) {
        return absl::DeadlineExceededError(
            "no answer within connect-timeout (is this a TLS port? A plain "
            "Redis port never answers a TLS handshake; see tls.enabled)");
      }
      if (ready < 0) {
        if (errno == EINTR) continue;
        return absl::UnavailableError(absl::StrCat("poll: ", ErrnoText(errno)));
      }
      const ssize_t got = ::recv(fd_, raw_, sizeof(raw_), 0);
      if (got == 0) {
        return absl::UnavailableError("the server closed the connection");
      }
      if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        return absl::UnavailableError(ErrnoText(errno));
      }
      MutexLock lock(mu_);
      BIO_write(in_, raw_, static_cast<int>(got));
    }
  }

  // Describe names what went wrong in an SSL call (and drains this
  // thread's OpenSSL errors).
  static std::string Describe(int error, int saved_errno) {
    std::string errors = OpenSslErrors();
    if (error == SSL_ERROR_SYSCALL) {
      return errors.empty() ? ErrnoText(saved_errno) : errors;
    }
    return errors.empty() ? absl::StrCat("TLS error ", error) : errors;
  }

 private:
  // Refused: the server sent an alert, as a server does when it refuses
  // the client's certificate. Call it before Describe.
  static bool Refused(int error) {
    const unsigned long code = ERR_peek_error();
    return error == SSL_ERROR_SSL && ERR_GET_LIB(code) == ERR_LIB_SSL &&
           ERR_GET_REASON(code) >= SSL_AD_REASON_OFFSET;
  }

  // TakeOutput moves what OpenSSL wrote for the server into `wire`.
  void TakeOutput(std::string* wire) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    char* data = nullptr;
    const long pending = BIO_get_mem_data(out_, &data);
    if (pending > 0) {
      wire->append(data, static_cast<size_t>(pending));
      (void)BIO_reset(out_);
    }
  }

  // Send writes `wire` with write_mu_ held (so records go out in the order
  // OpenSSL made them).
  absl::Status Send(const std::string& wire) {
    if (SendAll(fd_, wire)) return absl::OkStatus();
    const int saved_errno = errno;
    return absl::UnavailableError(absl::StrCat(
        "writing to the TLS connection failed: ", ErrnoText(saved_errno),
        saved_errno == ECONNRESET || saved_errno == EPIPE ? hint_ : ""));
  }

  absl::Status Flush() {
    MutexLock order(write_mu_);
    std::string wire;
    {
      MutexLock lock(mu_);
      TakeOutput(&wire);
    }
    return wire.empty() ? absl::OkStatus() : Send(wire);
  }

  // Lock order: write_mu_, then mu_. write_mu_ keeps the records in order
  // on the wire; mu_ is OpenSSL's one thread at a time.
  Mutex write_mu_;
  Mutex mu_;
  SSL* const ssl_ ABSL_PT_GUARDED_BY(mu_);
  BIO* const in_ ABSL_PT_GUARDED_BY(mu_);
  BIO* const out_ ABSL_PT_GUARDED_BY(mu_);
  const std::string hint_;
  char raw_[64 << 10];  // the reader's (and the handshake's) recv buffer
};

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::Create(
    const TlsSettings& settings, const Config& config) {
  auto file_error = [&](const std::string& key, const std::string& file,
                        const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", config.FullKey(key), "': ", what, " '",
                     file, "': ", OpenSslErrors()));
  };
  auto readable = [&](const std::string& key,
                      const std::string& file) -> absl::Status {
    if (::access(file.c_str(), R_OK) == 0) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", config.FullKey(key), "': cannot read '",
                     file, "': ", ErrnoText(errno)));
  };
  if (settings.cert_file.empty() && !settings.key_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", config.FullKey("tls.key-file"),
                     "' is set, but '", config.FullKey("tls.cert-file"),
                     "' is not: a client key needs its certificate"));
  }
  for (const auto& [key, file] :
       {std::pair<std::string, std::string>{"tls.ca-file", settings.ca_file},
        {"tls.cert-file", settings.cert_file},
        {"tls.key-file", settings.key_file}}) {
    if (file.empty()) continue;
    if (absl::Status s = readable(key, file); !s.ok()) return s;
  }

  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a TLS context: ", OpenSslErrors()));
  }
  std::shared_ptr<const TlsContext> context(new TlsContext(settings, ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);

  if (settings.verify_peer) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (settings.ca_file.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return absl::InternalError(absl::StrCat(
            "config key '", config.FullKey("tls.ca-file"),
            "' is empty and the system's CA certificates cannot be loaded: ",
            OpenSslErrors()));
      }
    } else if (SSL_CTX_load_verify_locations(ctx, settings.ca_file.c_str(),
                                             nullptr) != 1) {
      return file_error("tls.ca-file", settings.ca_file,
                        "no CA certificate (PEM) could be read from");
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!settings.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) !=
        1) {
      return file_error("tls.cert-file", settings.cert_file,
                        "no certificate (PEM) could be read from");
    }
    const std::string& key_file =
        settings.key_file.empty() ? settings.cert_file : settings.key_file;
    const std::string key_key =
        settings.key_file.empty() ? "tls.cert-file" : "tls.key-file";
    // A key that is not the certificate's fails here too (OpenSSL checks
    // the pair when both are in).
    const bool loaded = SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(),
                                                    SSL_FILETYPE_PEM) == 1 &&
                        SSL_CTX_check_private_key(ctx) == 1;
    if (!loaded) {
      const unsigned long last = ERR_peek_last_error();
      const bool mismatch =
          (ERR_GET_LIB(last) == ERR_LIB_X509 &&
           ERR_GET_REASON(last) == X509_R_KEY_VALUES_MISMATCH) ||
          (ERR_GET_LIB(last) == ERR_LIB_SSL &&
           ERR_GET_REASON(last) == SSL_R_PRIVATE_KEY_MISMATCH);
      return file_error(
          key_key, key_file,
          mismatch ? absl::StrCat("the key does not belong to the "
                                  "certificate in '",
                                  settings.cert_file, "': key")
                   : std::string("no private key (PEM) could be read from"));
    }
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Transport::~Transport() { ::close(fd_); }

void Transport::Shutdown() { ::shutdown(fd_, SHUT_RDWR); }

std::unique_ptr<Transport> Transport::Plain(
    int fd, std::chrono::milliseconds tick,
    std::chrono::milliseconds write_timeout) {
  const timeval read_tv = ToTimeval(tick);
  const timeval write_tv = ToTimeval(write_timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &read_tv, sizeof(read_tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &write_tv, sizeof(write_tv));
  return std::make_unique<PlainTransport>(fd);
}

absl::StatusOr<std::unique_ptr<Transport>> Transport::Tls(
    int fd, const TlsContext& tls, const std::string& host,
    const std::string& server, Clock::time_point deadline,
    std::chrono::milliseconds tick, std::chrono::milliseconds write_timeout) {
  const TlsSettings& settings = tls.settings();
  // A blocking socket, as for plain TCP: reads wait a tick at most, writes
  // write_timeout.
  const timeval read_tv = ToTimeval(tick);
  const timeval write_tv = ToTimeval(write_timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &read_tv, sizeof(read_tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &write_tv, sizeof(write_tv));
  ERR_clear_error();
  SSL* ssl = SSL_new(tls.ssl_ctx());
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (ssl == nullptr || in == nullptr || out == nullptr) {
    SSL_free(ssl);
    BIO_free(in);
    BIO_free(out);
    ::close(fd);
    return absl::InternalError(absl::StrCat(
        server, ": cannot create a TLS session: ", OpenSslErrors()));
  }
  SSL_set_bio(ssl, in, out);  // ssl owns them now
  const std::string hint =
      settings.cert_file.empty()
          ? " (if the server requires client certificates, tls-auth-clients, "
            "set tls.cert-file and tls.key-file)"
          : " (the server may not accept the client certificate of "
            "tls.cert-file)";
  auto transport = std::make_unique<TlsTransport>(fd, ssl, in, out, hint);
  const std::string& name =
      settings.server_name.empty() ? host : settings.server_name;
  if (!IsIpAddress(name)) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (settings.verify_peer) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int set = IsIpAddress(name)
                        ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                        : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    if (set != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(server, ": cannot check the server's certificate for '",
                       name, "' (tls.server-name): ", OpenSslErrors()));
    }
  }
  int error = SSL_ERROR_NONE;
  absl::Status handshake = transport->Handshake(deadline, &error);
  if (handshake.ok()) return transport;
  const long verdict = SSL_get_verify_result(ssl);
  if (error == SSL_ERROR_SSL && settings.verify_peer && verdict != X509_V_OK) {
    const bool name_mismatch = verdict == X509_V_ERR_HOSTNAME_MISMATCH ||
                               verdict == X509_V_ERR_IP_ADDRESS_MISMATCH;
    return absl::UnavailableError(absl::StrCat(
        server, ": TLS handshake failed: the server's certificate is not ",
        name_mismatch ? absl::StrCat("for '", name, "'")
                      : std::string("trusted"),
        " (", X509_verify_cert_error_string(verdict), "); ",
        name_mismatch ? "set tls.server-name to a name the certificate carries"
        : settings.ca_file.empty()
            ? "set tls.ca-file to the CA that signed it"
            : absl::StrCat("tls.ca-file = '", settings.ca_file,
                           "' does not hold the CA that signed it")));
  }
  const std::string why(handshake.message());
  return absl::Status(
      handshake.code(),
      absl::StrCat(server, ": TLS handshake failed: ", why,
                   absl::StrContains(why, "wrong version number")
                       ? " (is this a TLS port? see tls.enabled)"
                   : absl::IsDeadlineExceeded(handshake) ? ""
                                                         : hint));
}

}  // namespace persistence::redis::internal
