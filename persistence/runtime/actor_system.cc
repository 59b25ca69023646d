// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/actor_system.h"

#include <vector>

namespace persistence {

absl::StatusOr<std::unique_ptr<ActorSystem>> ActorSystem::Create(
    std::string name, Config config) {
  std::unique_ptr<ActorSystem> system(
      new ActorSystem(std::move(name), std::move(config)));
  // Fail early on a bad default dispatcher rather than at the first Spawn.
  absl::StatusOr<Dispatcher*> dispatcher =
      system->GetDispatcher(kDefaultDispatcher);
  if (!dispatcher.ok()) return dispatcher.status();
  return system;
}

ActorSystem::ActorSystem(std::string name, Config config)
    : name_(std::move(name)), config_(std::move(config)) {}

ActorSystem::~ActorSystem() { Terminate(); }

absl::StatusOr<Dispatcher*> ActorSystem::GetDispatcher(
    const std::string& path) {
  MutexLock lock(mu_);
  auto it = dispatchers_.find(path);
  if (it != dispatchers_.end()) return it->second.get();
  if (terminated_) {
    return absl::FailedPreconditionError("the actor system is terminated");
  }
  if (!config_.HasPath(path)) {
    return absl::NotFoundError(absl::StrCat(
        "dispatcher '", path, "' is not configured (no config section '", path,
        "' with `threads`)"));
  }
  absl::StatusOr<Config> own = config_.GetConfig(path);
  if (!own.ok()) return own.status();
  // A dispatcher section names what differs from the default dispatcher's
  // (reference.conf), as in Akka.
  absl::StatusOr<Config> defaults = config_.GetConfig(kDefaultDispatcher);
  if (!defaults.ok()) return defaults.status();
  const Config section = own->WithFallback(*defaults);
  absl::StatusOr<int64_t> threads = section.GetInt("threads");
  if (!threads.ok()) return threads.status();
  absl::StatusOr<int64_t> throughput = section.GetInt("throughput");
  if (!throughput.ok()) return throughput.status();
  absl::StatusOr<std::chrono::nanoseconds> spin =
      section.GetDuration("spin-time");
  if (!spin.ok()) return spin.status();
  if (*threads < 1 || *threads > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("config key '", path,
                     ".threads' must be in [1, 1024], got ", *threads));
  }
  auto dispatcher = std::make_unique<Dispatcher>(
      path, static_cast<int>(*threads), static_cast<int>(*throughput), *spin);
  Dispatcher* raw = dispatcher.get();
  dispatchers_.emplace(path, std::move(dispatcher));
  return raw;
}

void ActorSystem::Register(std::shared_ptr<ActorBase> actor,
                           Dispatcher* dispatcher) {
  actor->Attach(this, dispatcher);
  {
    MutexLock lock(mu_);
    actors_.emplace(actor.get(), actor);
  }
  ActorBase* raw = actor.get();
  actor->Post([raw] { raw->PreStart(); });
}

void ActorSystem::Forget(ActorBase* actor) {
  std::shared_ptr<ActorBase> keep;
  MutexLock lock(mu_);
  auto it = actors_.find(actor);
  if (it == actors_.end()) return;
  // Released after the lock; the running mailbox task still holds a ref.
  keep = std::move(it->second);
  actors_.erase(it);
}

void ActorSystem::Terminate() {
  std::unordered_map<ActorBase*, std::shared_ptr<ActorBase>> actors;
  {
    MutexLock lock(mu_);
    if (terminated_) return;
    terminated_ = true;
    actors.swap(actors_);
  }
  for (auto& entry : actors) entry.second->Stop();
  // Let the stop messages run, then join the pools.
  scheduler_.Shutdown();
  std::vector<Dispatcher*> pools;
  {
    MutexLock lock(mu_);
    for (auto& entry : dispatchers_) pools.push_back(entry.second.get());
  }
  for (Dispatcher* pool : pools) pool->Shutdown();
  actors.clear();
  std::map<const std::type_info*, std::shared_ptr<void>> extensions;
  {
    MutexLock lock(mu_);
    extensions.swap(extensions_);
  }
  extensions.clear();
}

}  // namespace persistence
