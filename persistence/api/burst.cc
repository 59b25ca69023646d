// Copyright 2026 The eventpersist Authors.
#include "persistence/api/burst.h"

#include <utility>
#include <vector>

namespace persistence {
namespace {

struct Burst {
  bool active = false;  // the thread is a BurstThread
  int turns = 0;        // since work was first deferred
  std::chrono::steady_clock::time_point first_deferred;
  std::vector<std::function<void()>> deferred;
};

thread_local Burst burst;

}  // namespace

bool InBurst() { return burst.active; }

void DeferToBurstEnd(std::function<void()> work) {
  if (!burst.active) {
    work();
    return;
  }
  if (burst.deferred.empty()) {
    burst.first_deferred = std::chrono::steady_clock::now();
  }
  burst.deferred.push_back(std::move(work));
}

BurstThread::BurstThread() { burst.active = true; }

BurstThread::~BurstThread() {
  EndBurst();
  burst.active = false;
}

void BurstThread::EndBurst() {
  burst.turns = 0;
  // What deferred work defers joins the next round, until none is left.
  std::vector<std::function<void()>> run;
  while (!burst.deferred.empty()) {
    run.swap(burst.deferred);
    for (std::function<void()>& work : run) work();
    run.clear();
  }
}

void BurstThread::MaybeEndBurst() {
  if (burst.deferred.empty()) {
    burst.turns = 0;
    return;
  }
  if (++burst.turns >= kMaxBurstTurns ||
      std::chrono::steady_clock::now() - burst.first_deferred >=
          kMaxBurstDelay) {
    EndBurst();
  }
}

}  // namespace persistence
