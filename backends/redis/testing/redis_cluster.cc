// Copyright 2026 The eventpersist Authors.
#include "backends/redis/testing/redis_cluster.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace persistence::redis::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string Field(const std::string& info, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(info, '\n')) {
    if (absl::StartsWith(line, name + ":")) {
      std::string value(line.substr(name.size() + 1));
      if (!value.empty() && value.back() == '\r') value.pop_back();
      return value;
    }
  }
  return "";
}

// A master of the CLUSTER NODES view: its address and its slot ranges.
struct NodeLine {
  std::string address;  // host:port
  std::string id;
  bool master = false;
  bool failed = false;
  std::vector<std::pair<int, int>> slots;
};

std::vector<NodeLine> ParseNodes(const std::string& text) {
  std::vector<NodeLine> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 8) continue;
    NodeLine n;
    n.id = f[0];
    n.address = f[1].substr(0, f[1].find('@'));
    n.master = absl::StrContains(f[2], "master");
    n.failed = absl::StrContains(f[2], "fail");
    for (size_t i = 8; i < f.size(); ++i) {
      if (f[i].empty() || f[i][0] == '[') continue;  // migrating / importing
      std::vector<std::string> range = absl::StrSplit(f[i], '-');
      int first = 0, last = 0;
      if (!absl::SimpleAtoi(range[0], &first)) continue;
      last = first;
      if (range.size() == 2 && !absl::SimpleAtoi(range[1], &last)) continue;
      n.slots.emplace_back(first, last);
    }
    out.push_back(std::move(n));
  }
  return out;
}

// SlotMap renders who serves which slots, for comparing nodes' views.
std::string SlotMap(const std::vector<NodeLine>& nodes) {
  std::vector<std::string> lines;
  for (const NodeLine& n : nodes) {
    if (!n.master || n.slots.empty()) continue;
    std::vector<std::string> ranges;
    for (auto [first, last] : n.slots) {
      ranges.push_back(absl::StrCat(first, "-", last));
    }
    lines.push_back(absl::StrCat(n.address, " ", absl::StrJoin(ranges, ",")));
  }
  std::sort(lines.begin(), lines.end());
  return absl::StrJoin(lines, "; ");
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisCluster>> RedisCluster::Start(
    RedisClusterOptions options) {
  std::unique_ptr<RedisCluster> cluster(new RedisCluster(std::move(options)));
  const int count =
      cluster->options_.masters * (1 + cluster->options_.replicas_per_master);
  for (int i = 0; i < count; ++i) {
    RedisServerOptions node;
    node.cluster = true;
    node.cluster_node_timeout_ms = cluster->options_.node_timeout_ms;
    node.password = cluster->options_.password;
    node.extra_config = cluster->options_.extra_config;
    node.tls = cluster->options_.tls;
    node.cpu = cluster->options_.cpu;
    if (node.tls) node.tls->cluster = true;
    absl::StatusOr<std::unique_ptr<RedisServer>> server =
        RedisServer::Start(node);
    if (!server.ok()) return server.status();
    cluster->nodes_.push_back(*std::move(server));
  }
  absl::Status created = cluster->Create();
  if (!created.ok()) return created;
  absl::Status healthy = cluster->WaitHealthy(std::chrono::seconds(30));
  if (!healthy.ok()) return healthy;
  return cluster;
}

absl::Status RedisCluster::Create() {
  std::string command = "redis-cli --cluster create";
  for (const auto& node : nodes_)
    absl::StrAppend(&command, " ", node->address());
  absl::StrAppend(&command, " --cluster-replicas ",
                  options_.replicas_per_master, " --cluster-yes");
  if (!options_.password.empty()) {
    absl::StrAppend(&command, " -a '", options_.password,
                    "' --no-auth-warning");
  }
  absl::StrAppend(&command, " 2>&1");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return absl::InternalError(absl::StrCat("popen(", command, ") failed"));
  }
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (output.size() > 2000)
      output = "..." + output.substr(output.size() - 2000);
    return absl::InternalError(absl::StrCat(
        command, " failed (exit ", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
        WIFEXITED(status) && WEXITSTATUS(status) == 127
            ? ": redis-cli is not on PATH; install Debian's redis-tools"
            : "",
        "):\n", output));
  }
  return absl::OkStatus();
}

std::string RedisCluster::HoconOverlay() const {
  std::vector<std::string> seeds;
  for (size_t i = 0; i < nodes_.size() && i < 2; ++i) {
    seeds.push_back(absl::StrCat("\"", nodes_[i]->client_address(), "\""));
  }
  std::string overlay =
      absl::StrCat("persistence.journal.redis.cluster-nodes = [",
                   absl::StrJoin(seeds, ", "), "]\n");
  if (options_.tls) absl::StrAppend(&overlay, TlsHoconOverlay(*options_.tls));
  if (!options_.password.empty()) {
    absl::StrAppend(&overlay, "persistence.journal.redis.password = \"",
                    options_.password, "\"\n");
  }
  return overlay;
}

absl::StatusOr<std::string> RedisCluster::Run(
    RedisServer* node, const std::vector<std::string>& argv) {
  RawRedisClient client(*node);
  return client.Run(argv);
}

absl::Status RedisCluster::WaitHealthy(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string why = "not checked yet";
  while (Clock::now() < deadline) {
    why.clear();
    std::string agreed;
    for (const auto& node : nodes_) {
      if (!node->running()) continue;
      absl::StatusOr<std::string> info = Run(node.get(), {"CLUSTER", "INFO"});
      if (!info.ok()) {
        why = absl::StrCat(node->address(), ": ", info.status().message());
        break;
      }
      if (Field(*info, "cluster_state") != "ok") {
        why = absl::StrCat(node->address(), " reports cluster_state:",
                           Field(*info, "cluster_state"));
        break;
      }
      absl::StatusOr<std::string> nodes = Run(node.get(), {"CLUSTER", "NODES"});
      if (!nodes.ok()) {
        why = absl::StrCat(node->address(), ": ", nodes.status().message());
        break;
      }
      const std::string map = SlotMap(ParseNodes(*nodes));
      if (agreed.empty()) {
        agreed = map;
      } else if (map != agreed) {
        why =
            absl::StrCat(node->address(), " sees ", map, ", another ", agreed);
        break;
      }
      absl::StatusOr<std::string> replication =
          Run(node.get(), {"INFO", "replication"});
      if (!replication.ok()) {
        why =
            absl::StrCat(node->address(), ": ", replication.status().message());
        break;
      }
      if (Field(*replication, "role") == "master") {
        int connected = 0;
        if (!absl::SimpleAtoi(Field(*replication, "connected_slaves"),
                              &connected)) {
          connected = 0;  // no such field: no replica to wait for
        }
        for (int i = 0; i < connected; ++i) {
          const std::string replica =
              Field(*replication, absl::StrCat("slave", i));
          if (!absl::StrContains(replica, "state=online")) {
            why = absl::StrCat("a replica of ", node->address(),
                               " is not online yet: ", replica);
            break;
          }
        }
      } else if (Field(*replication, "master_link_status") != "up") {
        why = absl::StrCat("replica ", node->address(),
                           " has master_link_status:",
                           Field(*replication, "master_link_status"));
      }
      if (!why.empty()) break;
    }
    if (why.empty()) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the Redis Cluster did not become healthy within ",
                   timeout.count(), " ms: ", why));
}

absl::StatusOr<RedisServer*> RedisCluster::MasterOf(int slot) {
  for (const auto& node : nodes_) {
    if (!node->running()) continue;
    absl::StatusOr<std::string> text = Run(node.get(), {"CLUSTER", "NODES"});
    if (!text.ok()) continue;
    for (const NodeLine& line : ParseNodes(*text)) {
      if (!line.master || line.failed) continue;
      for (auto [first, last] : line.slots) {
        if (slot < first || slot > last) continue;
        for (const auto& candidate : nodes_) {
          if (candidate->address() == line.address) return candidate.get();
        }
      }
    }
    return absl::NotFoundError(absl::StrCat("no master of slot ", slot, " in ",
                                            node->address(),
                                            "'s CLUSTER NODES"));
  }
  return absl::UnavailableError("no node of the cluster is running");
}

std::vector<RedisServer*> RedisCluster::Masters() {
  std::vector<RedisServer*> masters;
  for (const auto& node : nodes_) {
    if (!node->running()) continue;
    absl::StatusOr<std::string> replication =
        Run(node.get(), {"INFO", "replication"});
    if (replication.ok() && Field(*replication, "role") == "master") {
      masters.push_back(node.get());
    }
  }
  return masters;
}

absl::Status RedisCluster::MoveSlot(
    int slot, RedisServer* to, int keys_per_step,
    const std::function<void()>& between_steps) {
  absl::StatusOr<RedisServer*> from = MasterOf(slot);
  if (!from.ok()) return from.status();
  if (*from == to) return absl::OkStatus();
  absl::StatusOr<std::string> from_id = Run(*from, {"CLUSTER", "MYID"});
  absl::StatusOr<std::string> to_id = Run(to, {"CLUSTER", "MYID"});
  if (!from_id.ok()) return from_id.status();
  if (!to_id.ok()) return to_id.status();
  const std::string s = absl::StrCat(slot);
  absl::StatusOr<std::string> r =
      Run(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", *from_id});
  if (!r.ok()) return r.status();
  r = Run(*from, {"CLUSTER", "SETSLOT", s, "MIGRATING", *to_id});
  if (!r.ok()) return r.status();
  while (true) {
    RawRedisClient client(**from);
    absl::StatusOr<std::vector<std::string>> keys = client.Strings(
        {"CLUSTER", "GETKEYSINSLOT", s, absl::StrCat(keys_per_step)});
    if (!keys.ok()) return keys.status();
    if (keys->empty()) break;
    std::vector<std::string> migrate = {
        "MIGRATE", to->host(), absl::StrCat(to->port()), "", "0", "5000"};
    if (!options_.password.empty()) {
      migrate.push_back("AUTH");
      migrate.push_back(options_.password);
    }
    migrate.push_back("KEYS");
    migrate.insert(migrate.end(), keys->begin(), keys->end());
    r = client.Run(migrate);
    if (!r.ok()) return r.status();
    if (between_steps) between_steps();
  }
  // The new owner first, then the old one, then everyone else.
  r = Run(to, {"CLUSTER", "SETSLOT", s, "NODE", *to_id});
  if (!r.ok()) return r.status();
  r = Run(*from, {"CLUSTER", "SETSLOT", s, "NODE", *to_id});
  if (!r.ok()) return r.status();
  for (RedisServer* master : Masters()) {
    if (master == to || master == *from) continue;
    (void)Run(master, {"CLUSTER", "SETSLOT", s, "NODE", *to_id});
  }
  return absl::OkStatus();
}

absl::Status RedisCluster::StopAll() {
  for (const auto& node : nodes_) {
    if (!node->running()) continue;
    absl::Status s = node->Stop();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status RedisCluster::StartAll() {
  for (const auto& node : nodes_) {
    if (node->running()) continue;
    absl::Status s = node->Restart();
    if (!s.ok()) return s;
  }
  return WaitHealthy(std::chrono::seconds(30));
}

}  // namespace persistence::redis::testing
