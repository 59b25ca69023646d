// Copyright 2026 The eventpersist Authors.
//
// actor_system.h: ActorSystem, the home of actors: its config, its
// dispatchers (built lazily from config paths) and its scheduler.
//
// Thread-safety: all methods may be called from any thread. Terminate (or
// the destructor) stops every actor and joins every thread.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<ActorSystem>> system =
//       ActorSystem::Create("app", config);
//   auto ref = (*system)->Spawn<Counter>();            // default dispatcher
//   absl::StatusOr<int> n = Ask<int>(**system, ref, std::chrono::seconds(1),
//       [](Promise<absl::StatusOr<int>> reply) { return GetCount{reply}; })
//       .Get();
#ifndef PERSISTENCE_RUNTIME_ACTOR_SYSTEM_H_
#define PERSISTENCE_RUNTIME_ACTOR_SYSTEM_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "persistence/api/config.h"
#include "persistence/api/future.h"
#include "persistence/api/mutex.h"
#include "persistence/runtime/actor.h"
#include "persistence/runtime/dispatcher.h"

namespace persistence {

inline constexpr char kDefaultDispatcher[] =
    "persistence.actor.default-dispatcher";

class ActorSystem {
 public:
  // Create builds a system; `config` is the full, resolved configuration
  // (see LoadConfig in persistence/api/reference_conf.h).
  static absl::StatusOr<std::unique_ptr<ActorSystem>> Create(std::string name,
                                                             Config config);
  ~ActorSystem();

  const std::string& name() const { return name_; }
  const Config& config() const { return config_; }
  Scheduler& scheduler() { return scheduler_; }

  // Dispatcher returns the dispatcher configured at `path` (keys `threads`,
  // `throughput`), creating it on first use. A path that is not configured
  // is NotFound naming it.
  absl::StatusOr<Dispatcher*> GetDispatcher(const std::string& path);

  // Spawn creates an actor of type A on the dispatcher at `dispatcher_path`.
  template <typename A, typename... Args>
  absl::StatusOr<std::shared_ptr<A>> SpawnOn(const std::string& dispatcher_path,
                                             Args&&... args) {
    absl::StatusOr<Dispatcher*> dispatcher = GetDispatcher(dispatcher_path);
    if (!dispatcher.ok()) return dispatcher.status();
    auto actor = std::make_shared<A>(std::forward<Args>(args)...);
    Register(actor, *dispatcher);
    return actor;
  }

  // Spawn creates an actor on the default dispatcher.
  template <typename A, typename... Args>
  std::shared_ptr<A> Spawn(Args&&... args) {
    return *SpawnOn<A>(kDefaultDispatcher, std::forward<Args>(args)...);
  }

  // Extension returns the system's single instance of E (constructed from
  // the system on first use), e.g. Persistence.
  template <typename E>
  E& Extension() {
    MutexLock lock(mu_);
    auto& slot = extensions_[&typeid(E)];
    if (slot == nullptr) {
      slot = std::shared_ptr<void>(new E(*this),
                                   [](void* p) { delete static_cast<E*>(p); });
    }
    return *static_cast<E*>(slot.get());
  }

  // Terminate stops every actor and joins every thread. Idempotent.
  void Terminate();

 private:
  friend class ActorBase;
  ActorSystem(std::string name, Config config);
  void Register(std::shared_ptr<ActorBase> actor, Dispatcher* dispatcher);
  void Forget(ActorBase* actor);

  const std::string name_;
  const Config config_;
  Scheduler scheduler_;
  Mutex mu_;
  std::map<std::string, std::unique_ptr<Dispatcher>> dispatchers_
      ABSL_GUARDED_BY(mu_);
  std::unordered_map<ActorBase*, std::shared_ptr<ActorBase>> actors_
      ABSL_GUARDED_BY(mu_);
  std::map<const std::type_info*, std::shared_ptr<void>> extensions_
      ABSL_GUARDED_BY(mu_);
  bool terminated_ ABSL_GUARDED_BY(mu_) = false;
};

// Ask sends the message that `make_message` builds around a reply promise
// and returns the reply's Future; after `timeout` it completes with
// DeadlineExceeded instead.
template <typename R, typename M, typename MakeMessage>
Future<absl::StatusOr<R>> Ask(ActorSystem& system, const ActorRef<M>& ref,
                              std::chrono::nanoseconds timeout,
                              MakeMessage make_message) {
  Promise<absl::StatusOr<R>> reply;
  Scheduler& scheduler = system.scheduler();
  Scheduler::TimerId timer = scheduler.ScheduleOnce(timeout, [reply, timeout] {
    reply.TrySet(absl::DeadlineExceededError(absl::StrCat(
        "ask timed out after ",
        std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count(),
        " ms")));
  });
  reply.GetFuture().OnComplete([&scheduler, timer](const absl::StatusOr<R>&) {
    scheduler.Cancel(timer);
  });
  ref.Tell(make_message(reply));
  return reply.GetFuture();
}

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_ACTOR_SYSTEM_H_
