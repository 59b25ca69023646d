// Copyright 2026 The eventpersist Authors.
//
// router.h: Router, where a plugin's requests go, and Route, the requests
// of one persistence id.
//
// Every command the backend sends touches the keys of one persistence id
// only, so a router needs nothing but the id to pick the connection: with
// one server that is ConnectionPool (connection.h), with Redis Cluster the
// ClusterRouter (cluster.h), which sends each request to the master of its
// id's hash slot and follows redirections. Both keep the requests of one id
// in the order they were sent.
//
// Thread-safety: Send may be called from any thread, also from inside a
// reply handler. A handler runs exactly once, on a connection's reader
// thread, on the router's own thread (cluster redirections), or on the
// caller's thread when the request fails at once; it must not block.
//
// Example:
//
//   Router& router = client.router();
//   router.Send("account-17", HighestCommand(keys, "account-17"),
//               [](absl::StatusOr<Reply> reply) { ... });
#ifndef BACKENDS_REDIS_INTERNAL_ROUTER_H_
#define BACKENDS_REDIS_INTERNAL_ROUTER_H_

#include <functional>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "backends/redis/internal/resp.h"

namespace persistence::redis::internal {

// ReplyHandler receives a request's reply (which may be a Redis error
// reply) or the error that kept the reply from arriving.
using ReplyHandler = std::function<void(absl::StatusOr<Reply>)>;

class Router {
 public:
  virtual ~Router() = default;
  // Send sends `command`, which touches the keys of `persistence_id` only,
  // and calls `handler` exactly once, later.
  virtual void Send(std::string_view persistence_id, Command command,
                    ReplyHandler handler) = 0;
};

// Route is a Router bound to one persistence id, for a single call:
// `client.For(id).Send(command, handler)`. It holds a view of the id.
class Route {
 public:
  Route(Router& router, std::string_view persistence_id)
      : router_(router), persistence_id_(persistence_id) {}
  void Send(Command command, ReplyHandler handler) const {
    router_.Send(persistence_id_, std::move(command), std::move(handler));
  }

 private:
  Router& router_;
  std::string_view persistence_id_;
};

}  // namespace persistence::redis::internal

#endif  // BACKENDS_REDIS_INTERNAL_ROUTER_H_
