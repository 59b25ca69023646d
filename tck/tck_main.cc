// Copyright 2026 The eventpersist Authors.
//
// The main of every TCK test binary: googletest takes its flags, the kit
// takes the rest (tck.h), then the suites run.
#include <iostream>

#include "gtest/gtest.h"
#include "tck/tck.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  persistence::tck::InstallKitSummary();
  absl::Status init = persistence::tck::InitTck(argc, argv);
  if (!init.ok()) {
    std::cerr << "TCK set-up failed: " << init << "\n";
    persistence::tck::ShutdownTck();
    return 2;
  }
  int result = RUN_ALL_TESTS();
  if (!persistence::tck::KitFlagsHeld()) result = 1;
  persistence::tck::ShutdownTck();
  return result;
}
