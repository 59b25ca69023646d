// Copyright 2026 The eventpersist Authors.
//
// Journals broken on purpose, each with a bug found in some public plugin.
// The kit's self-test (kit_catches_broken_journals_test.sh) runs the
// journal suite against each and requires the named cases to fail: a kit
// that passes a broken journal checks nothing.
#include <algorithm>
#include <string>
#include <utility>
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

// Reordered gathers the whole replay, lets Reorder rearrange it, then
// hands it over: a journal that buffers a replay and loses its order.
template <void (*Reorder)(std::vector<PersistentRepr>&)>
class Reordered : public inmem::InMemoryJournal {
 public:
  absl::Status ReplayMessages(const std::string& id, int64_t from, int64_t to,
                              int64_t max,
                              const ReplayCallback& callback) override {
    std::vector<PersistentRepr> events;
    absl::Status s = InMemoryJournal::ReplayMessages(
        id, from, to, max,
        [&](const PersistentRepr& e) { events.push_back(e); });
    Reorder(events);
    for (PersistentRepr& e : events) callback(std::move(e));
    return s;
  }
};

// Replays events in reverse order.
void Reverse(std::vector<PersistentRepr>& events) {
  std::reverse(events.begin(), events.end());
}
using ReplaysBackwards = Reordered<Reverse>;

// Ignores `max`: replays every event in the range.
class IgnoresMax : public inmem::InMemoryJournal {
 public:
  absl::Status ReplayMessages(const std::string& id, int64_t from, int64_t to,
                              int64_t max,
                              const ReplayCallback& callback) override {
    return InMemoryJournal::ReplayMessages(id, from, to, kMaxSequenceNr,
                                           callback);
  }
};

// Acknowledges a delete and deletes nothing: deleted events replay.
class ReplaysDeletedEvents : public inmem::InMemoryJournal {
 public:
  absl::Status DeleteMessagesTo(const std::string&, int64_t) override {
    return absl::OkStatus();
  }
};

// Stores events without their metadata.
class DropsMetadata : public inmem::InMemoryJournal {
 public:
  absl::StatusOr<WriteResults> WriteMessages(
      const std::vector<AtomicWrite>& writes) override {
    std::vector<AtomicWrite> stripped;
    for (const AtomicWrite& w : writes) {
      std::vector<PersistentRepr> events(w.payload().begin(),
                                         w.payload().end());
      for (PersistentRepr& e : events) e.metadata.reset();
      stripped.push_back(*AtomicWrite::Make(std::move(events)));
    }
    return InMemoryJournal::WriteMessages(stripped);
  }
};

// Writes without the stale-writer check, over what is stored: an old
// incarnation overwrites the new one's event.
class LetsStaleWriterOverwrite : public inmem::InMemoryJournal {
 public:
  absl::StatusOr<WriteResults> WriteMessages(
      const std::vector<AtomicWrite>& writes) override {
    const EncodedRequest request = EncodeRequest(writes);
    WriteResults results;
    for (size_t i = 0; i < writes.size(); ++i) {
      results.push_back(request.writes[i].rejection);
      for (const EncodedRequest::Record& r :
           request.RecordsOf(request.writes[i])) {
        store().Append(writes[i].persistence_id(), r.sequence_nr,
                       std::string(request.Bytes(r)));
      }
    }
    return results;
  }
};

// Rekeyed stores, replays and deletes the events of id under Key(id): a
// journal whose keys lose part of the id, so that ids collide.
template <std::string (*Key)(const std::string&)>
class Rekeyed : public inmem::InMemoryJournal {
 public:
  absl::StatusOr<WriteResults> WriteMessages(
      const std::vector<AtomicWrite>& writes) override {
    std::vector<AtomicWrite> rekeyed;
    for (const AtomicWrite& w : writes) {
      std::vector<PersistentRepr> events(w.payload().begin(),
                                         w.payload().end());
      for (PersistentRepr& e : events) e.persistence_id = Key(e.persistence_id);
      rekeyed.push_back(*AtomicWrite::Make(std::move(events)));
    }
    return InMemoryJournal::WriteMessages(rekeyed);
  }
  absl::Status DeleteMessagesTo(const std::string& id, int64_t to) override {
    return InMemoryJournal::DeleteMessagesTo(Key(id), to);
  }
  absl::Status ReplayMessages(const std::string& id, int64_t from, int64_t to,
                              int64_t max,
                              const ReplayCallback& callback) override {
    return InMemoryJournal::ReplayMessages(Key(id), from, to, max,
                                           [&](PersistentRepr&& e) {
                                             e.persistence_id = id;
                                             callback(std::move(e));
                                           });
  }
  absl::StatusOr<int64_t> ReadHighestSequenceNr(const std::string& id,
                                                int64_t from) override {
    return InMemoryJournal::ReadHighestSequenceNr(Key(id), from);
  }
};

// A fixed-width key column: long ids that share their first 64 bytes
// share one log.
std::string First64Bytes(const std::string& id) { return id.substr(0, 64); }
using TruncatesLongIds = Rekeyed<First64Bytes>;

// Keys built as "<id>:<seq>" and parsed back up to the first ':' or '|':
// an id holding a separator collides with the id before it.
std::string UpToSeparator(const std::string& id) {
  return id.substr(0, id.find_first_of(":|"));
}
using CutsIdAtSeparator = Rekeyed<UpToSeparator>;

// Reads in pages of 1,000 and loses the order past the first page.
void SwapPastThePage(std::vector<PersistentRepr>& events) {
  if (events.size() > 1001) std::swap(events[1000], events[1001]);
}
using ReordersPastAPage = Reordered<SwapPastThePage>;

PERSISTENCE_REGISTER(JournalRegistry, "broken.ResetsHighestOnDelete",
                     Construct<ResetsHighestOnDelete>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.StoresHalfOfRejectedWrite",
                     Construct<StoresHalfOfRejectedWrite>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.ReplaysBackwards",
                     Construct<ReplaysBackwards>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.IgnoresMax",
                     Construct<IgnoresMax>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.ReplaysDeletedEvents",
                     Construct<ReplaysDeletedEvents>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.DropsMetadata",
                     Construct<DropsMetadata>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.LetsStaleWriterOverwrite",
                     Construct<LetsStaleWriterOverwrite>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.TruncatesLongIds",
                     Construct<TruncatesLongIds>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.CutsIdAtSeparator",
                     Construct<CutsIdAtSeparator>);
PERSISTENCE_REGISTER(JournalRegistry, "broken.ReordersPastAPage",
                     Construct<ReordersPastAPage>);

}  // namespace
}  // namespace persistence::tck
