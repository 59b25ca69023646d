// Copyright 2026 The eventpersist Authors.
//
// Journals broken on purpose, each with a bug found in some public plugin.
// The kit's self-test (kit_catches_broken_journals_test.sh) runs the
// journal suite against each and requires the named cases to fail: a kit
// that passes a broken journal checks nothing.
#include <algorithm>
#include <vector>

#include "backends/inmem/inmem_journal.h"
#include "persistence/api/codec.h"

namespace persistence::tck {
namespace {

// Forgets the highest sequence number once its events are deleted: it
// reports the highest event still stored.
class ResetsHighestOnDelete : public inmem::InMemoryJournal {
 public:
  absl::StatusOr<int64_t> ReadHighestSequenceNr(const std::string& id,
                                                int64_t) override {
    int64_t highest = 0;
    store().Scan(id, 1, kMaxSequenceNr, kMaxSequenceNr,
                 [&](int64_t seq, const std::string&) { highest = seq; });
    return highest;
  }
};

// Stores the events of an atomic write one by one and stops at the first
// that cannot be serialized, leaving the head of a rejected write behind.
class StoresHalfOfRejectedWrite : public inmem::InMemoryJournal {
 public:
  absl::StatusOr<WriteResults> WriteMessages(
      const std::vector<AtomicWrite>& writes) override {
    WriteResults results;
    for (const AtomicWrite& w : writes) {
      absl::Status status;
      for (const PersistentRepr& e : w.payload()) {
        absl::StatusOr<std::string> record = EncodeEvent(e);
        if (!record.ok()) {
          status = record.status();
          break;
        }
        store().Append(e.persistence_id, e.sequence_nr, *record);
      }
      results.push_back(status);
    }
    return results;
  }
};

// Replays events in reverse order.
class ReplaysBackwards : public inmem::InMemoryJournal {
 public:
  absl::Status ReplayMessages(const std::string& id, int64_t from, int64_t to,
                              int64_t max,
                              const ReplayCallback& callback) override {
    std::vector<PersistentRepr> events;
    absl::Status s = InMemoryJournal::ReplayMessages(
        id, from, to, max,
        [&](const PersistentRepr& e) { events.push_back(e); });
    std::reverse(events.begin(), events.end());
    for (PersistentRepr& e : events) callback(std::move(e));
    return s;
  }
};

PERSISTENCE_REGISTER(JournalRegistry, "broken.ResetsHighestOnDelete",
                     Construct<ResetsHighestOnDelete>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.StoresHalfOfRejectedWrite",
                     Construct<StoresHalfOfRejectedWrite>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.ReplaysBackwards",
                     Construct<ReplaysBackwards>);

}  // namespace
}  // namespace persistence::tck
