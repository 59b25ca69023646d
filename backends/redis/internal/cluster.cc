// Copyright 2026 The eventpersist Authors.
#include "backends/redis/internal/cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "persistence/api/future.h"

namespace persistence::redis::internal {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kMinRefreshGap(100);
constexpr std::chrono::milliseconds kFirstRetry(5);
constexpr std::chrono::milliseconds kLongestRetry(200);

// CRC16-XMODEM (polynomial 0x1021, initial 0), table-driven.
constexpr std::array<uint16_t, 256> Crc16Table() {
  std::array<uint16_t, 256> table{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021
                                                 : (crc << 1));
    }
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint16_t, 256> kCrc16 = Crc16Table();

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::chrono::milliseconds Backoff(int retries) {
  std::chrono::milliseconds d = kFirstRetry;
  for (int i = 0; i < retries && d < kLongestRetry; ++i) d *= 2;
  return std::min(d, kLongestRetry);
}

Command Words(std::initializer_list<std::string_view> words) {
  CommandBuilder b(words.size());
  for (std::string_view w : words) b.Add(w);
  return std::move(b).Build();
}

// Ask sends one command and waits for its reply, turned into a T by
// `parse`; the connection fails it at command-timeout at the latest.
template <typename T, typename Parse>
absl::StatusOr<T> Ask(Connection& connection, Command command, Parse parse) {
  Promise<absl::StatusOr<T>> done;
  connection.Send(std::move(command),
                  [done, parse](absl::StatusOr<Reply> reply) {
                    if (!reply.ok()) {
                      done.Set(reply.status());
                    } else {
                      done.Set(parse(reply->get()));
                    }
                  });
  return done.GetFuture().Get();
}

// Redirection is what a reply asks for: nothing (it is the answer), or
// to go elsewhere (MOVED, ASK, to `target`) or to try again later.
struct Redirection {
  enum class Kind { kNone, kMoved, kAsk, kRetry } kind = Kind::kNone;
  std::string target;  // "host:port"; ":port" means the node asked
};

Redirection Classify(const absl::StatusOr<Reply>& reply) {
  Redirection r;
  if (!reply.ok() || !IsError(reply->get())) return r;
  const std::string_view text = ReplyText(reply->get());
  if (StartsWith(text, "MOVED ") || StartsWith(text, "ASK ")) {
    // "MOVED 3999 127.0.0.1:6381"
    r.kind =
        text[0] == 'M' ? Redirection::Kind::kMoved : Redirection::Kind::kAsk;
    r.target = std::string(text.substr(text.rfind(' ') + 1));
  } else if (StartsWith(text, "TRYAGAIN") || StartsWith(text, "CLUSTERDOWN") ||
             StartsWith(text, "LOADING")) {
    r.kind = Redirection::Kind::kRetry;
  }
  return r;
}

absl::StatusOr<std::string> InfoText(const redisReply* reply) {
  if (IsError(reply)) return ErrorReplyStatus(reply, "CLUSTER INFO");
  return std::string(ReplyText(reply));
}

std::string InfoField(const std::string& info, std::string_view field) {
  const std::string key = absl::StrCat(ToAbsl(field), ":");
  size_t at = info.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  const size_t end = info.find_first_of("\r\n", at);
  return info.substr(at, end == std::string::npos ? end : end - at);
}

}  // namespace

uint16_t KeySlot(std::string_view tag) {
  uint16_t crc = 0;
  for (unsigned char c : tag) {
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16[((crc >> 8) ^ c) & 0xff]);
  }
  return static_cast<uint16_t>(crc % kClusterSlots);
}

absl::StatusOr<std::vector<SlotRange>> ParseClusterSlots(
    const redisReply* reply, const std::string& asked_host) {
  if (IsError(reply)) return ErrorReplyStatus(reply, "CLUSTER SLOTS");
  auto bad = [&](const std::string& why) {
    return absl::InternalError(absl::StrCat("CLUSTER SLOTS answered ",
                                            DescribeReply(reply), ": ", why));
  };
  if (reply->type != REDIS_REPLY_ARRAY) return bad("not an array");
  std::vector<SlotRange> ranges;
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* range = reply->element[i];
    if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
        range->element[0]->type != REDIS_REPLY_INTEGER ||
        range->element[1]->type != REDIS_REPLY_INTEGER ||
        range->element[2]->type != REDIS_REPLY_ARRAY ||
        range->element[2]->elements < 2 ||
        range->element[2]->element[1]->type != REDIS_REPLY_INTEGER) {
      return bad(absl::StrCat("entry ", i, " is not [first, last, master]"));
    }
    SlotRange r;
    r.first = static_cast<int>(range->element[0]->integer);
    r.last = static_cast<int>(range->element[1]->integer);
    if (r.first < 0 || r.last >= kClusterSlots || r.first > r.last) {
      return bad(
          absl::StrCat("entry ", i, " has slots ", r.first, "..", r.last));
    }
    const redisReply* master = range->element[2];
    std::string host(ReplyText(master->element[0]));
    if (host.empty() || host == "?") host = asked_host;
    r.master = absl::StrCat(host, ":", master->element[1]->integer);
    ranges.push_back(std::move(r));
  }
  return ranges;
}

ClusterRouter::ClusterRouter(const RedisSettings& settings, Scripts* scripts)
    : settings_(settings), scripts_(scripts) {}

absl::StatusOr<std::unique_ptr<ClusterRouter>> ClusterRouter::Open(
    const RedisSettings& settings, Scripts* scripts) {
  std::unique_ptr<ClusterRouter> router(new ClusterRouter(settings, scripts));
  std::vector<std::string> errors;
  for (const std::string& seed : settings.cluster_nodes) {
    std::string host;
    int port = 0;
    SplitHostPort(seed, &host, &port);  // checked by FromConfig
    absl::StatusOr<std::unique_ptr<Connection>> connection =
        Connection::Open(settings.ForNode(host, port), scripts, 0);
    if (!connection.ok()) {
      errors.push_back(std::string(connection.status().message()));
      continue;
    }
    absl::StatusOr<std::string> info =
        Ask<std::string>(**connection, Words({"CLUSTER", "INFO"}), InfoText);
    if (!info.ok()) {
      if (absl::StrContains(info.status().message(), "cluster support")) {
        return absl::FailedPreconditionError(absl::StrCat(
            "seed node ", seed,
            " (config key 'cluster-nodes') is not in cluster mode (",
            info.status().message(),
            "): start it with cluster-enabled yes, or leave cluster-nodes "
            "empty and set host and port to use it as a single server"));
      }
      errors.push_back(absl::StrCat(seed, ": ", info.status().message()));
      continue;
    }
    const std::string state = InfoField(*info, "cluster_state");
    if (state != "ok") {
      errors.push_back(absl::StrCat(
          seed, " reports cluster_state:", state.empty() ? "?" : state,
          " (the cluster cannot serve every slot: not created yet, or a "
          "master is down with no replica to take over)"));
      continue;
    }
    absl::StatusOr<std::vector<SlotRange>> ranges =
        router->Topology(**connection, host);
    if (!ranges.ok()) {
      errors.push_back(absl::StrCat(seed, ": ", ranges.status().message()));
      continue;
    }
    absl::Status applied = router->Apply(*ranges, /*at_start=*/true);
    if (!applied.ok()) return applied;
    {
      MutexLock lock(router->mu_);
      router->last_refresh_ = Clock::now();
    }
    router->thread_ = std::thread([r = router.get()] { r->Run(); });
    return router;
  }
  return absl::UnavailableError(absl::StrCat(
      "no seed node of the Redis Cluster (config key 'cluster-nodes' = [",
      absl::StrJoin(settings.cluster_nodes, ", "),
      "]) could be used: ", absl::StrJoin(errors, "; ")));
}

ClusterRouter::~ClusterRouter() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Closing the connections fails what is in flight (Cancelled); their
  // reader threads run those handlers, so no lock may be held here.
  std::map<std::string, std::unique_ptr<Node>> nodes;
  {
    MutexLock lock(mu_);
    nodes.swap(nodes_);
    owner_.fill(nullptr);
  }
  nodes.clear();
  std::vector<RequestPtr> waiting;
  {
    MutexLock lock(mu_);
    for (auto& [slot, state] : slots_) {
      for (RequestPtr& r : state.waiting) waiting.push_back(std::move(r));
    }
    slots_.clear();
  }
  for (RequestPtr& r : waiting) {
    r->handler(absl::CancelledError(
        "redis cluster: the plugin stopped before the request was sent "
        "again after a redirection"));
  }
}

std::string ClusterRouter::MasterOf(uint16_t slot) {
  MutexLock lock(mu_);
  const Node* node = owner_[slot];
  return node == nullptr ? "" : node->address;
}

void ClusterRouter::Send(std::string_view persistence_id, Command command,
                         ReplyHandler handler) {
  auto request = std::make_shared<Request>();
  request->command = std::make_shared<const Command>(std::move(command));
  request->handler = std::move(handler);
  request->slot = SlotOf(persistence_id);
  request->lane = Lane(persistence_id, settings_.connections);
  request->deadline = Clock::now() + settings_.command_timeout;
  Connection* connection = nullptr;
  std::string why;
  {
    MutexLock lock(mu_);
    SlotState& slot = slots_[request->slot];
    request->order = slot.next_order++;
    if (slot.held) {
      slot.waiting.push_back(std::move(request));
      return;
    }
    connection = ConnectionFor(request->slot, request->lane, &why);
    if (connection == nullptr) {
      Forget(request->slot);
      WantRefresh();
    } else {
      ++slot.in_flight;
    }
  }
  if (connection == nullptr) {
    request->handler(absl::UnavailableError(why));
    return;
  }
  RequestPtr keep = request;
  absl::Status sent = connection->TrySend(
      request->command,
      [this, request](absl::StatusOr<Reply> reply) {
        OnReply(request, std::move(reply));
      },
      /*asking=*/false, request->deadline);
  if (!sent.ok()) {
    {
      MutexLock lock(mu_);
      SlotState& slot = slots_[keep->slot];
      --slot.in_flight;
      if (slot.held && slot.in_flight == 0) {
        ready_.insert(keep->slot);
        wake_.notify_one();
      } else {
        Forget(keep->slot);
      }
      WantRefresh();
    }
    keep->handler(std::move(sent));
  }
}

void ClusterRouter::OnReply(RequestPtr request, absl::StatusOr<Reply> reply) {
  const Redirection redirection = Classify(reply);
  MutexLock lock(mu_);
  SlotState& slot = slots_[request->slot];
  --slot.in_flight;
  if (redirection.kind == Redirection::Kind::kNone) {
    if (reply.ok()) slot.retries = 0;
    if (!reply.ok() && (absl::IsUnavailable(reply.status()) ||
                        absl::IsDeadlineExceeded(reply.status()))) {
      WantRefresh();  // its master may be gone
    }
    if (slot.held && slot.in_flight == 0) {
      ready_.insert(request->slot);
      wake_.notify_one();
    } else {
      Forget(request->slot);
    }
    lock.Unlock();
    request->handler(std::move(reply));
    return;
  }
  // Held until everything of the slot in flight is back; the waiting
  // requests stay in their first order.
  slot.held = true;
  slot.waiting.insert(
      std::upper_bound(
          slot.waiting.begin(), slot.waiting.end(), request->order,
          [](uint64_t order, const RequestPtr& r) { return order < r->order; }),
      request);
  slot.last_error = std::string(ReplyText(reply->get()));
  slot.target = redirection.target;
  if (!slot.target.empty() && slot.target.front() == ':' &&
      owner_[request->slot] != nullptr) {
    std::string host;
    int port = 0;
    SplitHostPort(owner_[request->slot]->address, &host, &port);
    slot.target = host + slot.target;
  }
  switch (redirection.kind) {
    case Redirection::Kind::kMoved:
      slot.redirect = Redirect::kMoved;
      WantRefresh();
      break;
    case Redirection::Kind::kAsk:
      slot.redirect = Redirect::kAsk;
      break;
    default:
      slot.redirect = Redirect::kRetry;
      break;
  }
  if (slot.in_flight == 0) {
    // One backoff step per round, however many requests were refused.
    if (slot.redirect == Redirect::kRetry) {
      slot.retry_at = Clock::now() + Backoff(slot.retries++);
    }
    ready_.insert(request->slot);
    wake_.notify_one();
  }
}

Connection* ClusterRouter::ConnectionFor(uint16_t slot, size_t lane,
                                         std::string* why) {
  Node* node = owner_[slot];
  if (node == nullptr) {
    *why = absl::StrCat("redis cluster: slot ", slot,
                        " has no master in the slot map (it is read again)");
    return nullptr;
  }
  if (node->connections.empty()) {
    *why = absl::StrCat("redis cluster: the master of slot ", slot, ", ",
                        node->address, ", cannot be reached: ", node->error);
    return nullptr;
  }
  return node->connections[lane % node->connections.size()].get();
}

ClusterRouter::Node* ClusterRouter::NodeNamed(const std::string& address) {
  auto it = nodes_.find(address);
  return it == nodes_.end() ? nullptr : it->second.get();
}

void ClusterRouter::Forget(uint16_t slot) {
  auto it = slots_.find(slot);
  if (it != slots_.end() && it->second.in_flight == 0 && !it->second.held &&
      it->second.waiting.empty()) {
    slots_.erase(it);
  }
}

void ClusterRouter::WantRefresh() {
  if (refresh_wanted_) return;
  refresh_wanted_ = true;
  wake_.notify_one();
}

absl::StatusOr<std::vector<SlotRange>> ClusterRouter::Topology(
    Connection& connection, const std::string& host) {
  return Ask<std::vector<SlotRange>>(connection, Words({"CLUSTER", "SLOTS"}),
                                     [host](const redisReply* reply) {
                                       return ParseClusterSlots(reply, host);
                                     });
}

absl::StatusOr<std::vector<SlotRange>> ClusterRouter::ReadTopology() {
  std::vector<std::pair<Connection*, std::string>> candidates;
  {
    MutexLock lock(mu_);
    for (const auto& [address, node] : nodes_) {
      if (node->connections.empty() || !node->connections[0]->Connected())
        continue;
      std::string host;
      int port = 0;
      SplitHostPort(address, &host, &port);
      candidates.emplace_back(node->connections[0].get(), host);
    }
  }
  std::vector<std::string> errors;
  for (const auto& [connection, host] : candidates) {
    absl::StatusOr<std::vector<SlotRange>> ranges = Topology(*connection, host);
    if (ranges.ok()) return ranges;
    errors.push_back(std::string(ranges.status().message()));
  }
  for (const std::string& seed : settings_.cluster_nodes) {
    std::string host;
    int port = 0;
    SplitHostPort(seed, &host, &port);
    absl::StatusOr<std::unique_ptr<Connection>> connection =
        Connection::Open(settings_.ForNode(host, port), scripts_, 0);
    if (!connection.ok()) {
      errors.push_back(std::string(connection.status().message()));
      continue;
    }
    absl::StatusOr<std::vector<SlotRange>> ranges =
        Topology(**connection, host);
    if (ranges.ok()) return ranges;
    errors.push_back(std::string(ranges.status().message()));
  }
  return absl::UnavailableError(
      absl::StrCat("redis cluster: no node answered CLUSTER SLOTS: ",
                   absl::StrJoin(errors, "; ")));
}

std::unique_ptr<ClusterRouter::Node> ClusterRouter::OpenNode(
    const std::string& address) {
  auto node = std::make_unique<Node>();
  node->address = address;
  std::string host;
  int port = 0;
  if (!SplitHostPort(address, &host, &port)) {
    node->error = absl::StrCat("'", address, "' is not host:port");
    return node;
  }
  const RedisSettings settings = settings_.ForNode(host, port);
  for (int i = 0; i < settings.connections; ++i) {
    absl::StatusOr<std::unique_ptr<Connection>> connection =
        Connection::Open(settings, scripts_, i);
    if (!connection.ok()) {
      node->connections.clear();
      node->error = std::string(connection.status().message());
      return node;
    }
    node->connections.push_back(*std::move(connection));
  }
  return node;
}

absl::Status ClusterRouter::Apply(const std::vector<SlotRange>& ranges,
                                  bool at_start) {
  std::vector<std::string> missing;
  {
    MutexLock lock(mu_);
    for (const SlotRange& r : ranges) {
      const Node* node = NodeNamed(r.master);
      if ((node == nullptr || node->connections.empty()) &&
          std::find(missing.begin(), missing.end(), r.master) ==
              missing.end()) {
        missing.push_back(r.master);
      }
    }
  }
  std::vector<std::unique_ptr<Node>> opened;
  for (const std::string& address : missing) {
    opened.push_back(OpenNode(address));
    if (at_start && opened.back()->connections.empty()) {
      return absl::UnavailableError(absl::StrCat(
          "redis cluster: master ", address,
          " (named by the cluster's slot map) cannot be reached: ",
          opened.back()->error,
          " (the nodes must announce addresses this client can reach: see "
          "cluster-announce-ip)"));
    }
  }
  MutexLock lock(mu_);
  Install(opened);
  owner_.fill(nullptr);
  for (const SlotRange& r : ranges) {
    Node* node = NodeNamed(r.master);
    for (int slot = r.first; slot <= r.last; ++slot) owner_[slot] = node;
  }
  return absl::OkStatus();
}

void ClusterRouter::Install(std::vector<std::unique_ptr<Node>>& opened) {
  for (std::unique_ptr<Node>& node : opened) {
    Node* known = NodeNamed(node->address);
    if (known == nullptr) {
      nodes_[node->address] = std::move(node);
    } else if (known->connections.empty()) {
      // Connections are opened on one thread at a time (Open, then the
      // router's), so `known` has none in use: no handler holds them.
      known->connections = std::move(node->connections);
      known->error = node->error;
    }
  }
}

void ClusterRouter::Run() {
  MutexLock lock(mu_);
  while (!stop_) {
    Clock::time_point now = Clock::now();
    const bool refresh =
        (refresh_wanted_ && now >= last_refresh_ + kMinRefreshGap) ||
        now >= last_refresh_ + settings_.cluster_refresh_interval;
    // Redirection targets the router has no connections to yet.
    std::vector<std::string> missing;
    for (uint16_t slot : ready_) {
      const SlotState& state = slots_[slot];
      if (state.redirect == Redirect::kRetry) continue;
      const Node* node = NodeNamed(state.target);
      if ((node == nullptr || node->connections.empty()) &&
          std::find(missing.begin(), missing.end(), state.target) ==
              missing.end()) {
        missing.push_back(state.target);
      }
    }
    if (refresh || !missing.empty()) {
      if (refresh) {
        refresh_wanted_ = false;
        last_refresh_ = now;
      }
      lock.Unlock();
      if (refresh) {
        absl::StatusOr<std::vector<SlotRange>> ranges = ReadTopology();
        if (ranges.ok()) (void)Apply(*ranges, /*at_start=*/false);
      }
      std::vector<std::unique_ptr<Node>> opened;
      for (const std::string& address : missing) {
        opened.push_back(OpenNode(address));
      }
      lock.Lock();
      Install(opened);
      now = Clock::now();
    }
    // Send the held slots again whose time has come. A target first named
    // after `missing` was made waits for the next round.
    std::vector<std::pair<RequestPtr, absl::Status>> failed;
    Clock::time_point next =
        last_refresh_ +
        (refresh_wanted_ ? kMinRefreshGap : settings_.cluster_refresh_interval);
    for (auto it = ready_.begin(); it != ready_.end();) {
      const SlotState& state = slots_[*it];
      const Node* target = state.redirect == Redirect::kRetry
                               ? nullptr
                               : NodeNamed(state.target);
      if (state.redirect == Redirect::kRetry && state.retry_at > now) {
        next = std::min(next, state.retry_at);
        ++it;
        continue;
      }
      if (state.redirect != Redirect::kRetry && target == nullptr &&
          std::find(missing.begin(), missing.end(), state.target) ==
              missing.end()) {
        next = now;
        ++it;
        continue;
      }
      const uint16_t slot = *it;
      it = ready_.erase(it);
      Resend(slot, &failed);
    }
    if (!failed.empty()) {
      lock.Unlock();
      for (auto& [request, status] : failed) request->handler(status);
      failed.clear();
      lock.Lock();
      continue;
    }
    if (next > now) lock.WaitUntil(wake_, next);
  }
}

void ClusterRouter::Resend(
    uint16_t slot, std::vector<std::pair<RequestPtr, absl::Status>>* failed) {
  SlotState& state = slots_[slot];
  Node* node = nullptr;
  bool asking = false;
  switch (state.redirect) {
    case Redirect::kMoved:
      node = NodeNamed(state.target);
      if (node != nullptr && !node->connections.empty()) owner_[slot] = node;
      break;
    case Redirect::kAsk:
      node = NodeNamed(state.target);
      asking = true;
      break;
    case Redirect::kRetry:
      node = owner_[slot];
      break;
  }
  std::vector<RequestPtr> waiting;
  waiting.swap(state.waiting);
  state.held = false;
  const Clock::time_point now = Clock::now();
  for (RequestPtr& request : waiting) {
    if (now >= request->deadline) {
      failed->emplace_back(
          request, absl::DeadlineExceededError(absl::StrCat(
                       "redis cluster: slot ", slot,
                       " was still being redirected at command-timeout (",
                       settings_.command_timeout.count(),
                       " ms); the request was not run; the last answer was '",
                       state.last_error, "'")));
      continue;
    }
    if (node == nullptr || node->connections.empty()) {
      failed->emplace_back(
          request,
          absl::UnavailableError(absl::StrCat(
              "redis cluster: slot ", slot, " was redirected ('",
              state.last_error, "') to a node that cannot be reached",
              node == nullptr ? "" : absl::StrCat(": ", node->error))));
      continue;
    }
    Connection& connection =
        *node->connections[request->lane % node->connections.size()];
    ++state.in_flight;
    // Under mu_: no Send of this slot gets between these writes, and the
    // replies wait for the lock (TrySend never calls a handler itself).
    absl::Status sent = connection.TrySend(
        request->command,
        [this, request](absl::StatusOr<Reply> reply) {
          OnReply(request, std::move(reply));
        },
        asking, request->deadline);
    if (!sent.ok()) {
      --state.in_flight;
      failed->emplace_back(request, std::move(sent));
    }
  }
  Forget(slot);
}

}  // namespace persistence::redis::internal
