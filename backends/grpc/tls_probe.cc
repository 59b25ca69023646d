// Copyright 2026 The eventpersist Authors.
#include "backends/grpc/tls_probe.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"

namespace persistence::grpc_backend {
namespace {

struct Closer {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(SSL* p) const { SSL_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Closer>;

std::string LastSslError() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "no reason given";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return text;
}

// Connect opens a TCP connection to host:port with send and receive
// timeouts; -1 on failure.
int Connect(const std::string& host, const std::string& port,
            std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  return fd;
}

absl::Status LoadCa(SSL_CTX* ctx, const std::string& pem) {
  if (pem.empty()) {
    SSL_CTX_set_default_verify_paths(ctx);
    return absl::OkStatus();
  }
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int loaded = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    ++loaded;
  }
  ERR_clear_error();
  if (loaded == 0) {
    return absl::InvalidArgumentError("tls.ca-file holds no PEM certificate");
  }
  return absl::OkStatus();
}

absl::Status LoadClientCertificate(SSL_CTX* ctx, const ClientSettings& s) {
  if (s.cert_file.empty()) return absl::OkStatus();
  Owned<BIO> cert_bio(BIO_new_mem_buf(s.cert_file.data(),
                                      static_cast<int>(s.cert_file.size())));
  Owned<X509> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  Owned<BIO> key_bio(
      BIO_new_mem_buf(s.key_file.data(), static_cast<int>(s.key_file.size())));
  Owned<EVP_PKEY> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr || key == nullptr ||
      SSL_CTX_use_certificate(ctx, cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tls.cert-file / tls.key-file: not a PEM certificate and its key (",
        LastSslError(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ProbeTls(const ClientSettings& s,
                      std::chrono::milliseconds timeout) {
  std::string host = s.address;
  std::string port = "443";
  const size_t colon = s.address.rfind(':');
  if (colon != std::string::npos && s.address.find(']') < colon + 1) {
    host = s.address.substr(0, colon);
    port = s.address.substr(colon + 1);
  } else if (colon != std::string::npos &&
             s.address.find(':') == colon) {  // host:port, not IPv6
    host = s.address.substr(0, colon);
    port = s.address.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  const std::string name = s.server_name.empty() ? host : s.server_name;

  Owned<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return absl::InternalError("OpenSSL: no TLS context");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (absl::Status s1 = LoadCa(ctx.get(), s.ca_file); !s1.ok()) return s1;
  if (absl::Status s2 = LoadClientCertificate(ctx.get(), s); !s2.ok())
    return s2;

  const int fd = Connect(host, port, timeout);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", host, " port ", port));
  }
  Owned<SSL> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  SSL_set_tlsext_host_name(ssl.get(), name.c_str());
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1) {
    X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
  }
  ERR_clear_error();
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  SSL_set_alpn_protos(ssl.get(), kAlpn, sizeof kAlpn);
  const std::string where = absl::StrCat(
      " (tls.ca-file: ", s.ca_file.empty() ? "the system's roots" : "given",
      ", server name '", name, "')");
  absl::Status result = absl::OkStatus();
  if (SSL_connect(ssl.get()) != 1) {
    const long verify = SSL_get_verify_result(ssl.get());
    if (verify != X509_V_OK) {
      result = absl::UnavailableError(
          absl::StrCat("the server's certificate is not trusted: ",
                       X509_verify_cert_error_string(verify), where));
    } else {
      result = absl::UnavailableError(
          absl::StrCat("the TLS handshake failed: ", LastSslError(), where));
    }
  } else {
    // TLS 1.3 refuses a missing client certificate after the handshake; a
    // gRPC server that accepts us sends its HTTP/2 settings at once.
    char byte;
    if (SSL_read(ssl.get(), &byte, 1) <= 0) {
      const std::string why = LastSslError();
      result = absl::UnavailableError(
          s.cert_file.empty()
              ? absl::StrCat("the server ended the TLS connection (", why,
                             "): it may want a client certificate, so set "
                             "tls.cert-file and tls.key-file")
              : absl::StrCat("the server ended the TLS connection: ", why,
                             "; it may not trust the client certificate"));
    }
  }
  close(fd);
  return result;
}

}  // namespace persistence::grpc_backend
