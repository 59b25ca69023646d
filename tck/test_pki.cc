// Copyright 2026 The eventpersist Authors.
#include "tck/test_pki.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace persistence::tck {

const TestPki& TestPki::Get() {
  static const TestPki* pki = [] {
    auto* p = new TestPki();
    const char* tmp = std::getenv("TEST_TMPDIR");
    p->dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/pki-", getpid());
    const std::string& d = p->dir;
    const std::string script = absl::StrCat(
        "set -e; mkdir -p ", d, "; cd ", d, ";",
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca"
        " -keyout ca.key -out ca.pem 2>/dev/null;",
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca"
        " -keyout other.key -out other.pem 2>/dev/null;",
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext;",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost"
        " -keyout server.key -out server.csr 2>/dev/null;",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key"
        " -CAcreateserial -days 2 -extfile san.ext -out server.pem"
        " 2>/dev/null;",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=client"
        " -keyout client.key -out client.csr 2>/dev/null;",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key"
        " -CAcreateserial -days 2 -out client.pem 2>/dev/null;",
        // redis-server reads its key as another user may; keep it simple.
        "chmod 644 *.key");
    if (std::system(script.c_str()) != 0) {
      std::cerr << "TestPki: openssl could not make the test certificates in "
                << d << "\n";
      std::abort();
    }
    p->ca = d + "/ca.pem";
    p->other_ca = d + "/other.pem";
    p->server_cert = d + "/server.pem";
    p->server_key = d + "/server.key";
    p->client_cert = d + "/client.pem";
    p->client_key = d + "/client.key";
    return p;
  }();
  return *pki;
}

}  // namespace persistence::tck
