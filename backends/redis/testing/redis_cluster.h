// Copyright 2026 The eventpersist Authors.
//
// redis_cluster.h: RedisCluster, a throw-away Redis Cluster for tests, the
// cluster kit's fixture and the cluster perf target.
//
// Start runs 3 masters and 3 replicas by default: one RedisServer each
// (redis_server.h) with cluster-enabled yes, on free loopback ports (the
// cluster bus on a second free port, `cluster-port`), then
// `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes`, and
// waits until the cluster is healthy: every node reports cluster_state:ok
// and every replica has finished its first sync (`state=online`), so a
// replica can take over when its master dies. The destructor stops every
// node and removes their directories.
//
// Thread-safety: not thread-safe; use it from the thread that started it.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<RedisCluster>> cluster =
//       RedisCluster::Start();
//   ASSERT_TRUE(cluster.ok()) << cluster.status();
//   std::string conf = (*cluster)->HoconOverlay();  // cluster-nodes = [...]
//   absl::StatusOr<RedisServer*> master = (*cluster)->MasterOf(slot);
//   ASSERT_TRUE((*master)->Kill().ok());   // its replica takes over
//   ASSERT_TRUE((*cluster)->WaitHealthy(std::chrono::seconds(20)).ok());
#ifndef BACKENDS_REDIS_TESTING_REDIS_CLUSTER_H_
#define BACKENDS_REDIS_TESTING_REDIS_CLUSTER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backends/redis/testing/redis_server.h"

namespace persistence::redis::testing {

struct RedisClusterOptions {
  int masters = 3;
  int replicas_per_master = 1;
  int node_timeout_ms = 1000;
  std::string password;
  std::vector<std::string> extra_config;
  // Every node serves TLS too (its `cluster` flag is set for them: the bus
  // and replication go over TLS); HoconOverlay then seeds the TLS ports.
  std::optional<RedisTlsOptions> tls;
  // Every node runs on this CPU (-1: anywhere), as RedisServerOptions::cpu.
  int cpu = -1;
};

class RedisCluster {
 public:
  static absl::StatusOr<std::unique_ptr<RedisCluster>> Start(
      RedisClusterOptions options = {});
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  const std::vector<std::unique_ptr<RedisServer>>& nodes() const {
    return nodes_;
  }
  // HoconOverlay points the Redis journal (and the snapshot store) at the
  // cluster: `cluster-nodes` lists two of its nodes as seeds.
  std::string HoconOverlay() const;

  // WaitHealthy waits until every running node reports cluster_state:ok
  // and agrees on the slot map, and every replica of a running master is
  // online.
  absl::Status WaitHealthy(std::chrono::milliseconds timeout);
  // MasterOf is the running node that serves `slot`, as the nodes see it.
  absl::StatusOr<RedisServer*> MasterOf(int slot);
  // Masters are the running masters.
  std::vector<RedisServer*> Masters();
  // MoveSlot migrates `slot` and its keys to `to`, `keys_per_step` keys per
  // MIGRATE, calling `between_steps` after each (a test sleeps there to let
  // requests meet the migration half done), then assigns the slot.
  absl::Status MoveSlot(int slot, RedisServer* to, int keys_per_step = 1,
                        const std::function<void()>& between_steps = {});
  // StopAll / StartAll take every node away and back (same ports and
  // directories), then wait until the cluster is healthy again.
  absl::Status StopAll();
  absl::Status StartAll();

  // Run sends one command to one node (a blocking hiredis call).
  absl::StatusOr<std::string> Run(RedisServer* node,
                                  const std::vector<std::string>& argv);

 private:
  explicit RedisCluster(RedisClusterOptions options)
      : options_(std::move(options)) {}
  absl::Status Create();

  RedisClusterOptions options_;
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

}  // namespace persistence::redis::testing

#endif  // BACKENDS_REDIS_TESTING_REDIS_CLUSTER_H_
