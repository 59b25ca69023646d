// Copyright 2026 The eventpersist Authors.
//
// tls_probe.h: ProbeTls explains why a TLS connection to the server fails,
// in words a user can act on. gRPC reports a failed handshake only as
// "tcp handshaker shutdown"; when plugin start cannot connect with TLS on,
// the client repeats the handshake once with OpenSSL, with the same CA,
// server name and client certificate, and says what OpenSSL found: the
// certificate is not trusted (and why), the name does not match, or the
// server wants a client certificate.
//
// Thread-safety: a plain function; safe from any thread.
//
// Example:
//
//   absl::Status why = ProbeTls(settings, std::chrono::seconds(2));
//   // "the server's certificate is not trusted: unable to get local
//   //  issuer certificate (tls.ca-file = ...)"
#ifndef BACKENDS_GRPC_TLS_PROBE_H_
#define BACKENDS_GRPC_TLS_PROBE_H_

#include <chrono>

#include "absl/status/status.h"
#include "backends/grpc/client.h"

namespace persistence::grpc_backend {

// ProbeTls: OK when a TLS handshake with settings.address succeeds and the
// server keeps the connection; else Unavailable saying why.
absl::Status ProbeTls(const ClientSettings& settings,
                      std::chrono::milliseconds timeout);

}  // namespace persistence::grpc_backend

#endif  // BACKENDS_GRPC_TLS_PROBE_H_
