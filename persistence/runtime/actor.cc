// Copyright 2026 The eventpersist Authors.
#include "persistence/runtime/actor.h"

#include "persistence/runtime/actor_system.h"

namespace persistence {

void ActorBase::Attach(ActorSystem* system, Dispatcher* dispatcher) {
  system_ = system;
  dispatcher_ = dispatcher;
}

void ActorBase::Post(std::function<void()> message) {
  {
    MutexLock lock(mu_);
    if (stopped()) return;
    mailbox_.push_back(std::move(message));
    if (scheduled_) return;
    scheduled_ = true;
  }
  // The queued task holds the actor alive until its mailbox run ends.
  dispatcher_->Execute(std::shared_ptr<Task>(shared_from_this()));
}

void ActorBase::Stop() {
  {
    MutexLock lock(mu_);
    if (stopped() || stop_requested_) return;
    stop_requested_ = true;
  }
  // A stop runs as a message, so it never races the actor's own code.
  Post([this] { FinishStop(); });
}

void ActorBase::FinishStop() {
  Fifo<std::function<void()>> dropped;
  {
    MutexLock lock(mu_);
    if (stopped()) return;
    stopped_.store(true, std::memory_order_release);
    dropped.swap(mailbox_);
  }
  PostStop();
  system_->Forget(this);
}

bool ActorBase::MessagesWaiting() {
  MutexLock lock(mu_);
  return !mailbox_.empty();
}

void ActorBase::RunMailbox() {
  const int throughput = dispatcher_->throughput();
  for (int i = 0; i < throughput; ++i) {
    std::function<void()> message;
    {
      MutexLock lock(mu_);
      if (mailbox_.empty() || stopped()) {
        scheduled_ = false;
        return;
      }
      message = std::move(mailbox_.front());
      mailbox_.pop_front();
    }
    message();
  }
  {
    MutexLock lock(mu_);
    if (mailbox_.empty() || stopped()) {
      scheduled_ = false;
      return;
    }
  }
  // More work: yield the thread to other actors and come back.
  dispatcher_->Execute(std::shared_ptr<Task>(shared_from_this()));
}

}  // namespace persistence
