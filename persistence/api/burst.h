// Copyright 2026 The eventpersist Authors.
//
// burst.h: bursts, how a plugin sends the small requests of many actors as
// one.
//
// A dispatcher thread of the runtime runs actors' turns back to back while
// work is queued: that is a burst. Work a plugin defers with
// DeferToBurstEnd on such a thread runs when the burst ends, on the same
// thread: before the thread waits for more work, after kMaxBurstTurns
// turns, or before the next turn once the oldest deferred work has waited
// kMaxBurstDelay. So a plugin that writes to a socket can append each
// request to a buffer during the burst and write the buffer once at its end:
// one system call for the requests of many actors, not one each. On any
// other thread (the plugin's own, a test's) InBurst() is false and nothing
// is deferred.
//
// A thread that waits for a Future (future.h: Get, WaitFor) ends its
// burst first, so a turn that blocks on a request it just made (which an
// actor should not do) is slow, not stuck.
//
// The runtime ends every burst before its dispatchers stop, and destroys
// plugins only after that: deferred work may use the plugin that deferred
// it.
//
// Thread-safety: the functions act on the calling thread's burst only.
//
// Example (in a plugin's send path):
//
//   if (persistence::InBurst()) {
//     buffer.append(request);
//     if (!flush_deferred) {
//       flush_deferred = true;
//       persistence::DeferToBurstEnd([this] { Flush(); });
//     }
//   } else {
//     Write(request);
//   }
#ifndef PERSISTENCE_API_BURST_H_
#define PERSISTENCE_API_BURST_H_

#include <chrono>
#include <functional>

namespace persistence {

// InBurst: whether the calling thread runs a burst (deferring is allowed).
bool InBurst();

// DeferToBurstEnd runs `work` when the calling thread's burst ends; at once
// when the thread runs no burst.
void DeferToBurstEnd(std::function<void()> work);

// For runtimes. A BurstThread marks its thread as one that runs bursts,
// for its lifetime; EndBurst runs what was deferred (and what that defers
// in turn). MaybeEndBurst ends the burst once it has run kMaxBurstTurns
// turns or its oldest deferred work has waited kMaxBurstDelay; call it
// after each turn. The destructor ends the last burst.
inline constexpr int kMaxBurstTurns = 64;
inline constexpr std::chrono::microseconds kMaxBurstDelay{50};

class BurstThread {
 public:
  BurstThread();
  ~BurstThread();
  BurstThread(const BurstThread&) = delete;
  BurstThread& operator=(const BurstThread&) = delete;

  static void EndBurst();
  static void MaybeEndBurst();
};

}  // namespace persistence

#endif  // PERSISTENCE_API_BURST_H_
