// Copyright 2026 The eventpersist Authors.
//
// test_pki.h: TestPki, throw-away certificates for the TLS tests of
// networked backends, made with the `openssl` command at test time (no key
// is checked in, none outlives the test):
//   - a CA (ca) that signs a server certificate for localhost and
//     127.0.0.1 (server_cert, server_key) and a client certificate
//     (client_cert, client_key);
//   - a second CA (other_ca) that signs nothing: a client that trusts only
//     it must refuse the server.
//
// Thread-safety: Get makes the files once, on first use (a function-local
// static); the result is read-only.
//
// Example:
//
//   const TestPki& pki = TestPki::Get();
//   std::string conf = absl::StrCat("tls.ca-file = \"", pki.ca, "\"");
#ifndef TCK_TEST_PKI_H_
#define TCK_TEST_PKI_H_

#include <string>

namespace persistence::tck {

struct TestPki {
  std::string dir;
  std::string ca;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
  std::string other_ca;

  // Get makes the certificates under $TEST_TMPDIR (or /tmp) the first time;
  // it aborts the test binary when openssl fails.
  static const TestPki& Get();
};

}  // namespace persistence::tck

#endif  // TCK_TEST_PKI_H_
