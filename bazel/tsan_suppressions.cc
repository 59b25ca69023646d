// Copyright 2026 The eventpersist Authors.
//
// ThreadSanitizer suppressions, compiled into every test (see
// persistence_cc_test in defs.bzl); TSan reads them only in --config=tsan
// builds. Each entry is a library frame TSan cannot see into, never our
// own code.

extern "C" const char* __tsan_default_suppressions() {
  return
      // Debian's Abseil is not built with -fsanitize=thread. An absl::Status
      // keeps its message in a heap block whose atomic refcount lives in
      // libabsl_status.so, so TSan sees the free but not the ordering.
      "race:absl::*::Status::Unref*\n"
      // Abseil's deadlock detector, used by absl::Mutex (BUILD.md).
      "race:libabsl_graphcycles_internal\n";
}
