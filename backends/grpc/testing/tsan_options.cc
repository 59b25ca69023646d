// Copyright 2026 The eventpersist Authors.
//
// ThreadSanitizer's options for the processes of the grpc backend's tests
// (the kit's, the server tests' and the server's own), linked into each;
// outside --config=tsan nothing calls it.
//
// Debian's gRPC is not built with -fsanitize=thread. It copies messages
// on its own threads (memcpy of whole slices), and TSan checks each copy
// against every earlier access; the races it then finds are all inside
// gRPC (bazel/tsan.supp suppresses them), but finding and suppressing them
// one by one makes a 16 MiB message take minutes.
// ignore_noninstrumented_modules skips the accesses that uninstrumented
// libraries make. Our own code is instrumented and checked as everywhere else;
// where it hands state to a gRPC thread it does so under its own mutex, so TSan
// sees the order.
extern "C" const char* __tsan_default_options() {
  return "ignore_noninstrumented_modules=1";
}
