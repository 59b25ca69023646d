// Copyright 2026 The eventpersist Authors.
//
// The compatibility kit's fixture for the Redis backend in cluster mode: it
// starts a Redis Cluster of its own (3 masters, 3 replicas, on free loopback
// ports; testing/redis_cluster.h) before the suites, lists two of its nodes
// in `cluster-nodes`, and stops it afterwards. StopServer / StartServer take
// every node away and bring them back.
#include <memory>
#include <string>

#include "backends/redis/testing/redis_cluster.h"
#include "tck/tck.h"

namespace persistence::redis::testing {
namespace {

class RedisClusterTckFixture : public tck::TckFixture {
 public:
  absl::StatusOr<std::string> SetUp() override {
    // Every node on the last CPU (when there are several), as the
    // one-server fixture pins its server: the client's threads then do not
    // compete with six server processes for a core, and the cluster perf
    // rows measure the client against the same servers on both sides.
    RedisClusterOptions options;
    options.cpu = LastCpuIfSeveral();
    absl::StatusOr<std::unique_ptr<RedisCluster>> cluster =
        RedisCluster::Start(options);
    if (!cluster.ok()) return cluster.status();
    cluster_ = *std::move(cluster);
    return cluster_->HoconOverlay();
  }

  void TearDown() override { cluster_.reset(); }

  absl::Status StopServer() override { return cluster_->StopAll(); }
  absl::Status StartServer() override { return cluster_->StartAll(); }

 private:
  std::unique_ptr<RedisCluster> cluster_;
};

PERSISTENCE_REGISTER(tck::FixtureRegistry, "redis-cluster",
                     Construct<RedisClusterTckFixture>);

}  // namespace
}  // namespace persistence::redis::testing
