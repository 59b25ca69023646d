// Copyright 2026 The eventpersist Authors.
#include "backends/inmem/inmem_store.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <utility>

namespace persistence::inmem {
namespace {
constexpr int kPage = 256;
// The top sequence number (kMaxSequenceNr): "to the end".
constexpr int64_t kTop = std::numeric_limits<int64_t>::max();
}  // namespace

std::deque<InMemoryEventStore::Record>::const_iterator
InMemoryEventStore::Log::First(int64_t seq) const {
  return std::lower_bound(
      records.begin(), records.end(), seq,
      [](const Record& r, int64_t s) { return r.sequence_nr < s; });
}

void InMemoryEventStore::Append(const std::string& persistence_id,
                                int64_t sequence_nr, std::string record) {
  MutexLock lock(mu_);
  Log& log = logs_[persistence_id];
  if (log.records.empty() || log.records.back().sequence_nr < sequence_nr) {
    log.records.push_back({sequence_nr, std::move(record)});
  } else {
    // Below the last one (not what the journal does): in place, in order.
    auto at =
        log.records.begin() + (log.First(sequence_nr) - log.records.begin());
    if (at->sequence_nr == sequence_nr) {
      at->bytes = std::move(record);
    } else {
      log.records.insert(at, {sequence_nr, std::move(record)});
    }
  }
  log.highest = std::max(log.highest, sequence_nr);
}

void InMemoryEventStore::DeleteTo(const std::string& persistence_id,
                                  int64_t to) {
  MutexLock lock(mu_);
  auto it = logs_.find(persistence_id);
  if (it == logs_.end()) return;
  auto& records = it->second.records;
  if (to == kTop) {
    records.clear();
    return;
  }
  records.erase(records.cbegin(), it->second.First(to + 1));
}

int64_t InMemoryEventStore::Highest(const std::string& persistence_id) const {
  MutexLock lock(mu_);
  auto it = logs_.find(persistence_id);
  return it == logs_.end() ? 0 : it->second.highest;
}

void InMemoryEventStore::Scan(
    const std::string& persistence_id, int64_t from, int64_t to, int64_t max,
    const std::function<void(int64_t, const std::string&)>& fn) const {
  if (max <= 0) return;
  if (from < 0) {
    // Only the last `max` records up to `to`: find where they start.
    MutexLock lock(mu_);
    auto it = logs_.find(persistence_id);
    if (it == logs_.end()) return;
    const Log& log = it->second;
    auto end = to == kTop ? log.records.end() : log.First(to + 1);
    const int64_t before = end - log.records.begin();
    auto begin = end - std::min(max, before);
    from = begin == end ? to + 1 : begin->sequence_nr;
  }
  int64_t next = from;
  int64_t left = max;
  std::vector<std::pair<int64_t, std::string>> page;
  while (left > 0 && next <= to) {
    page.clear();
    {
      MutexLock lock(mu_);
      auto it = logs_.find(persistence_id);
      if (it == logs_.end()) return;
      for (auto r = it->second.First(next);
           r != it->second.records.end() && r->sequence_nr <= to &&
           static_cast<int64_t>(page.size()) < std::min<int64_t>(left, kPage);
           ++r) {
        page.emplace_back(r->sequence_nr, r->bytes);
      }
    }
    if (page.empty()) return;
    for (const auto& [seq, record] : page) fn(seq, record);
    left -= static_cast<int64_t>(page.size());
    if (page.back().first == to) return;
    next = page.back().first + 1;
  }
}

}  // namespace persistence::inmem
