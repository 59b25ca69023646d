// Copyright 2026 The eventpersist Authors.
#include "backends/inmem/inmem_store.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace persistence::inmem {
namespace {
constexpr int kPage = 256;
}  // namespace

void InMemoryEventStore::Append(const std::string& persistence_id,
                                int64_t sequence_nr, std::string record) {
  MutexLock lock(mu_);
  Log& log = logs_[persistence_id];
  log.records[sequence_nr] = std::move(record);
  log.highest = std::max(log.highest, sequence_nr);
}

void InMemoryEventStore::DeleteTo(const std::string& persistence_id,
                                  int64_t to) {
  MutexLock lock(mu_);
  auto it = logs_.find(persistence_id);
  if (it == logs_.end()) return;
  auto& records = it->second.records;
  records.erase(records.begin(), records.upper_bound(to));
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
    auto end = it->second.records.upper_bound(to);
    auto begin = end;
    for (int64_t n = 0; n < max && begin != it->second.records.begin(); ++n)
      --begin;
    from = begin == end ? to + 1 : begin->first;
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
      for (auto r = it->second.records.lower_bound(next);
           r != it->second.records.end() && r->first <= to &&
           static_cast<int64_t>(page.size()) < std::min<int64_t>(left, kPage);
           ++r) {
        page.emplace_back(r->first, r->second);
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
