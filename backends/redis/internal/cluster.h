// Copyright 2026 The eventpersist Authors.
//
// cluster.h: ClusterRouter, the backend's Redis Cluster client.
//
// Every key of a persistence id holds the id's hash tag (data_model.h), so
// all of an id's keys live in one hash slot: CRC16 of the tag, mod 16384.
// The router keeps the slot map (CLUSTER SLOTS) and a ConnectionPool-like
// set of `connections` pipelined connections per master, and sends each
// request to the master of its id's slot, on the id's lane (the same
// connection every time).
//
// Redirections and retries:
//   - MOVED: the slot has a new master; the request goes there, the map
//     entry is updated at once and the whole map is read again.
//   - ASK: the slot is being migrated and the keys are on the importing
//     node; the request goes there once, after ASKING.
//   - TRYAGAIN, CLUSTERDOWN, LOADING: the request is sent again after a
//     backoff (5 ms, doubling up to 200 ms).
//   All within command-timeout, counted from the first Send: a request that
//   is still being redirected then fails as DeadlineExceeded with the last
//   answer it got.
//
// Order: the requests of one slot (so of one id) are written in the order
// they were sent, also across a redirection. When a reply redirects, the
// slot is held: the slot's later Sends wait, the requests still in flight
// come back (they are behind the redirected one on the same connection, so
// they are redirected too), and only then does the router's thread send
// them all again, in their first order, to the new place. A later write
// never overtakes an earlier one.
//
// Topology: the map is read from a connected master (or, failing that, a
// seed) when a reply says it changed (MOVED), when a request fails because
// its master cannot be reached (at most every 100 ms), and every
// `cluster-refresh-interval`. Connections to a new master are opened on
// the router's thread, never on a caller's. A master that went away keeps
// its connections, which reconnect in the background; requests for its
// slots fail at once (Unavailable, naming it) until the map names another.
//
// Thread-safety: as Router (router.h). One thread of its own (redirections
// and topology); the destructor stops it and fails what is still waiting
// with Cancelled.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<ClusterRouter>> router =
//       ClusterRouter::Open(settings, &scripts);  // settings.cluster_nodes
//   if (!router.ok()) return router.status();     // names the seeds tried
//   (*router)->Send("account-17", HighestCommand(keys, "account-17"),
//                   [](absl::StatusOr<Reply> reply) { ... });
#ifndef BACKENDS_REDIS_INTERNAL_CLUSTER_H_
#define BACKENDS_REDIS_INTERNAL_CLUSTER_H_

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "backends/redis/internal/connection.h"
#include "backends/redis/internal/data_model.h"
#include "backends/redis/internal/router.h"
#include "backends/redis/internal/settings.h"
#include "persistence/api/mutex.h"

namespace persistence::redis::internal {

inline constexpr int kClusterSlots = 16384;

// KeySlot is the hash slot of a key whose hash tag is `tag` (CRC16-XMODEM
// of the tag, mod 16384, as Redis Cluster computes it).
uint16_t KeySlot(std::string_view tag);
// SlotOf is the slot of every key of `persistence_id`.
inline uint16_t SlotOf(std::string_view persistence_id) {
  return KeySlot(HashTag(persistence_id));
}

// SlotRange: masters serve slots [first, last].
struct SlotRange {
  int first = 0;
  int last = 0;
  std::string master;  // "host:port"
};

// ParseClusterSlots reads a CLUSTER SLOTS reply; an empty host in it means
// the node that was asked (`asked_host`).
absl::StatusOr<std::vector<SlotRange>> ParseClusterSlots(
    const redisReply* reply, const std::string& asked_host);

class ClusterRouter : public Router {
 public:
  // Open reads the slot map from the first seed that answers and connects
  // to every master. Errors name the seeds (config key 'cluster-nodes'):
  // none reachable, a seed not in cluster mode, cluster state not ok, a
  // master that cannot be reached.
  static absl::StatusOr<std::unique_ptr<ClusterRouter>> Open(
      const RedisSettings& settings, Scripts* scripts);
  ~ClusterRouter() override;
  ClusterRouter(const ClusterRouter&) = delete;
  ClusterRouter& operator=(const ClusterRouter&) = delete;

  void Send(std::string_view persistence_id, Command command,
            ReplyHandler handler) override;

  // MasterOf: "host:port" of the master of `slot` in the map now ("" when
  // none is known).
  std::string MasterOf(uint16_t slot);

 private:
  using Clock = std::chrono::steady_clock;

  struct Node {
    std::string address;                                   // "host:port"
    std::vector<std::unique_ptr<Connection>> connections;  // empty: away
    std::string error;  // why it has no connections
  };

  struct Request {
    std::shared_ptr<const Command> command;
    ReplyHandler handler;
    uint16_t slot = 0;
    size_t lane = 0;
    uint64_t order = 0;  // per slot, in Send order
    Clock::time_point deadline;
  };
  using RequestPtr = std::shared_ptr<Request>;

  enum class Redirect { kMoved, kAsk, kRetry };

  struct SlotState {
    int in_flight = 0;
    uint64_t next_order = 0;
    // Held: a reply redirected; requests wait in `waiting`, in order, until
    // nothing of the slot is in flight, then go out again.
    bool held = false;
    std::vector<RequestPtr> waiting;
    Redirect redirect = Redirect::kRetry;
    std::string target;      // MOVED / ASK: "host:port"
    std::string last_error;  // the redirecting reply
    int retries = 0;
    Clock::time_point retry_at;
  };

  ClusterRouter(const RedisSettings& settings, Scripts* scripts);

  // Topology reads the slot map from one node, over `connection`.
  absl::StatusOr<std::vector<SlotRange>> Topology(Connection& connection,
                                                  const std::string& host);
  // ReadTopology asks the connected masters, then the seeds.
  absl::StatusOr<std::vector<SlotRange>> ReadTopology();
  // OpenNode connects to a node (no lock held: it blocks).
  std::unique_ptr<Node> OpenNode(const std::string& address);
  // Apply installs a slot map, opening connections to new masters first.
  absl::Status Apply(const std::vector<SlotRange>& ranges, bool at_start);

  // Install adds opened nodes (or the connections of known nodes that had
  // none).
  void Install(std::vector<std::unique_ptr<Node>>& opened)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnReply(RequestPtr request, absl::StatusOr<Reply> reply);
  Connection* ConnectionFor(uint16_t slot, size_t lane, std::string* why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Node* NodeNamed(const std::string& address)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(uint16_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WantRefresh() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Run is the router's thread: redirections and topology.
  void Run();
  // Resend sends a held slot's waiting requests again; the failures are
  // added to `failed`, to be completed without the lock.
  void Resend(uint16_t slot,
              std::vector<std::pair<RequestPtr, absl::Status>>* failed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RedisSettings settings_;
  Scripts* const scripts_;

  Mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, std::unique_ptr<Node>> nodes_ ABSL_GUARDED_BY(mu_);
  std::array<Node*, kClusterSlots> owner_ ABSL_GUARDED_BY(mu_){};
  absl::flat_hash_map<uint16_t, SlotState> slots_ ABSL_GUARDED_BY(mu_);
  std::set<uint16_t> ready_ ABSL_GUARDED_BY(mu_);  // held, nothing in flight
  bool refresh_wanted_ ABSL_GUARDED_BY(mu_) = false;
  Clock::time_point last_refresh_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace persistence::redis::internal

#endif  // BACKENDS_REDIS_INTERNAL_CLUSTER_H_
