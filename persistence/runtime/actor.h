// Copyright 2026 The eventpersist Authors.
//
// actor.h: actors. An actor owns a mailbox of messages that its dispatcher
// runs one at a time, so an actor's own state needs no locks.
//
// ActorBase is the untyped core: its mailbox holds closures, and Post runs
// one in the actor's context. Actor<M> adds a typed Receive; ActorRef<M> is
// how others Tell it messages, and Ask (actor_system.h) sends a request and
// returns a Future with a timeout.
//
// Thread-safety: Post, Tell, Stop and InMailbox may be called from any
// thread. All other members of an actor run only inside its own messages.
//
// Example:
//
//   class Counter : public Actor<int> {
//    public:
//     void Receive(int n) override { total_ += n; }
//    private:
//     int total_ = 0;
//   };
//   ActorRef<int> counter = system.Spawn<Counter>("default-dispatcher");
//   counter.Tell(5);
#ifndef PERSISTENCE_RUNTIME_ACTOR_H_
#define PERSISTENCE_RUNTIME_ACTOR_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

#include "persistence/api/future.h"
#include "persistence/api/mutex.h"
#include "persistence/runtime/dispatcher.h"
#include "persistence/runtime/fifo.h"

namespace persistence {

class ActorSystem;

class ActorBase : public Task, public std::enable_shared_from_this<ActorBase> {
 public:
  virtual ~ActorBase() = default;

  // Post runs `message` in this actor's context, after those already
  // queued. Messages to a stopped actor are dropped.
  void Post(std::function<void()> message);

  // Stop stops the actor after the current message; PostStop runs then.
  void Stop();
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }

 protected:
  // PreStart runs as the actor's first message.
  virtual void PreStart() {}
  // PostStop runs once, in the actor's context, when it stops.
  virtual void PostStop() {}

  ActorSystem& system() const { return *system_; }

  // MessagesWaiting says whether more messages wait in this mailbox behind
  // the current one. A hint: another may arrive right after the call.
  bool MessagesWaiting() ABSL_LOCKS_EXCLUDED(mu_);

  // InMailbox returns a Future that completes with `future`'s value as a
  // message of this actor, so its callbacks run here, not on the thread
  // that completed `future` (a plugin's). A future that is ready already
  // is returned as it is: its callbacks run at once, on the caller's
  // thread. Dropped unrun when the actor stops first.
  template <typename T>
  Future<T> InMailbox(Future<T> future) {
    if (future.IsReady()) return future;
    Promise<T> here;
    future.OnComplete([self = shared_from_this(), here](const T& value) {
      self->Post([here, value]() mutable { here.Set(std::move(value)); });
    });
    return here.GetFuture();
  }

 private:
  friend class ActorSystem;
  void Attach(ActorSystem* system, Dispatcher* dispatcher);
  // RunTask is a turn of the mailbox on the dispatcher (Task).
  void RunTask() final { RunMailbox(); }
  void RunMailbox();
  void FinishStop();

  ActorSystem* system_ = nullptr;
  Dispatcher* dispatcher_ = nullptr;
  Mutex mu_;
  Fifo<std::function<void()>> mailbox_ ABSL_GUARDED_BY(mu_);
  bool scheduled_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> stopped_{false};
};

template <typename M>
class Actor : public virtual ActorBase {
 public:
  using Message = M;
  virtual void Receive(M message) = 0;
};

// ActorRef<M>: a handle to send M to an actor. Cheap to copy.
template <typename M>
class ActorRef {
 public:
  ActorRef() = default;
  explicit ActorRef(std::shared_ptr<Actor<M>> actor)
      : actor_(std::move(actor)) {}

  void Tell(M message) const {
    Actor<M>* actor = actor_.get();
    actor_->Post([actor, message = std::move(message)]() mutable {
      actor->Receive(std::move(message));
    });
  }
  bool valid() const { return actor_ != nullptr; }
  Actor<M>* get() const { return actor_.get(); }

 private:
  std::shared_ptr<Actor<M>> actor_;
};

}  // namespace persistence

#endif  // PERSISTENCE_RUNTIME_ACTOR_H_
