// Copyright 2026 The eventpersist Authors.
#include "perf/caf_anchor.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "caf/all.hpp"

namespace persistence::perf {
namespace {

// Latch counts the clients that are done.
class Latch {
 public:
  explicit Latch(int count) : count_(count) {}
  void CountDown() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--count_ == 0) done_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return count_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  int count_;
};

caf::behavior Echo() {
  return {[](int x) { return x; }};
}

// Ask makes the client's next round trip, or ends it.
void Ask(caf::event_based_actor* self, const caf::actor& server, int left,
         const std::shared_ptr<Latch>& done) {
  if (left == 0) {
    done->CountDown();
    self->quit();
    return;
  }
  self->request(server, caf::infinite, left).then([=](int) {
    Ask(self, server, left - 1, done);
  });
}

// Client waits for the number of round trips to make, then makes them.
caf::behavior Client(caf::event_based_actor* self, caf::actor server,
                     std::shared_ptr<Latch> done) {
  return {[=](int round_trips) { Ask(self, server, round_trips, done); }};
}

double Run(int actors, int round_trips) {
  caf::actor_system_config config;
  caf::actor_system system(config);
  caf::actor server = system.spawn(Echo);
  auto done = std::make_shared<Latch>(actors);
  std::vector<caf::actor> clients;
  clients.reserve(actors);
  for (int i = 0; i < actors; ++i) {
    clients.push_back(system.spawn(Client, server, done));
  }
  caf::scoped_actor self(system);
  const auto start = std::chrono::steady_clock::now();
  for (const caf::actor& client : clients) self->send(client, round_trips);
  done->Wait();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  self->send_exit(server, caf::exit_reason::user_shutdown);
  return static_cast<double>(actors) * round_trips / seconds;
}

}  // namespace

double CafManyActorsRate(int actors, int round_trips) {
  return Run(actors, round_trips);
}

double CafSequentialRate(int round_trips) { return Run(1, round_trips); }

}  // namespace persistence::perf
