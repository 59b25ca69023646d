// Copyright 2026 The eventpersist Authors.
//
// caf_anchor.h: the perf suite's anchor rows. The C++ Actor Framework (CAF
// 0.17, Debian's libcaf-dev) is what users would pick instead of this
// runtime; these measure its request/response round trips on the same
// machine, in the same run, so that the runtime's own figures have
// something to be compared with (docs/perf.md, "Anchor rows").
//
//   - CafManyActorsRate: `actors` actors, each making `round_trips`
//     request/response round trips to one echo actor, one after another,
//     all at once; round trips per second.
//   - CafSequentialRate: one actor making `round_trips` round trips to one
//     echo actor, one after another; round trips per second.
//
// Each call builds a CAF actor system with its default scheduler, spawns
// the actors before the clock starts, and tears the system down after.
//
// Thread-safety: call from one thread at a time.
//
// Example:
//
//   double rate = persistence::perf::CafSequentialRate(100000);
#ifndef PERF_CAF_ANCHOR_H_
#define PERF_CAF_ANCHOR_H_

namespace persistence::perf {

double CafManyActorsRate(int actors, int round_trips);
double CafSequentialRate(int round_trips);

}  // namespace persistence::perf

#endif  // PERF_CAF_ANCHOR_H_
