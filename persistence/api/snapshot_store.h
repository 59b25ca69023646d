// Copyright 2026 The eventpersist Authors.
//
// snapshot_store.h: the snapshot store plugin API.
//
// Like a journal, a snapshot store instance is hosted as an actor on its
// `plugin-dispatcher` and never called from two threads at once. The
// runtime sets the snapshot's timestamp before SaveAsync. A backend with a
// blocking client derives from SyncSnapshotStore.
//
// Thread-safety: see above.
//
// Example:
//
//   class MySnapshotStore : public SyncSnapshotStore {
//     absl::StatusOr<std::optional<SelectedSnapshot>> Load(
//         const std::string& persistence_id,
//         const SnapshotSelectionCriteria& criteria) override;
//     absl::Status Save(const SnapshotMetadata& metadata,
//                       const Payload& snapshot) override;
//     absl::Status Delete(const SnapshotMetadata& metadata) override;
//     absl::Status Delete(const std::string& persistence_id,
//                         const SnapshotSelectionCriteria& criteria) override;
//   };
//   PERSISTENCE_REGISTER(SnapshotStoreRegistry, "my.SnapshotStore",
//                        Construct<MySnapshotStore>);
#ifndef PERSISTENCE_API_SNAPSHOT_STORE_H_
#define PERSISTENCE_API_SNAPSHOT_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "persistence/api/future.h"
#include "persistence/api/payload.h"
#include "persistence/api/registry.h"
#include "persistence/api/snapshot.h"

namespace persistence {

using LoadResult = absl::StatusOr<std::optional<SelectedSnapshot>>;

// [START snapshot-store]
class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;

  // Start runs once before any other call; an error fails plugin start.
  virtual absl::Status Start() { return absl::OkStatus(); }

  // LoadAsync returns the youngest snapshot matching `criteria`, or none.
  virtual Future<LoadResult> LoadAsync(
      const std::string& persistence_id,
      const SnapshotSelectionCriteria& criteria) = 0;
  // SaveAsync stores a snapshot; one at the same sequence number is replaced.
  virtual Future<absl::Status> SaveAsync(const SnapshotMetadata& metadata,
                                         const Payload& snapshot) = 0;
  // DeleteAsync(metadata) deletes the one snapshot DeleteByMetadataMatches.
  virtual Future<absl::Status> DeleteAsync(
      const SnapshotMetadata& metadata) = 0;
  // DeleteAsync(id, criteria) deletes every snapshot matching `criteria`.
  virtual Future<absl::Status> DeleteAsync(
      const std::string& persistence_id,
      const SnapshotSelectionCriteria& criteria) = 0;
};
// [END snapshot-store]

// SyncSnapshotStore: the variant for backends with blocking clients.
class SyncSnapshotStore : public SnapshotStore {
 public:
  virtual LoadResult Load(const std::string& persistence_id,
                          const SnapshotSelectionCriteria& criteria) = 0;
  virtual absl::Status Save(const SnapshotMetadata& metadata,
                            const Payload& snapshot) = 0;
  virtual absl::Status Delete(const SnapshotMetadata& metadata) = 0;
  virtual absl::Status Delete(const std::string& persistence_id,
                              const SnapshotSelectionCriteria& criteria) = 0;

  Future<LoadResult> LoadAsync(
      const std::string& persistence_id,
      const SnapshotSelectionCriteria& criteria) final {
    return MakeReadyFuture(Load(persistence_id, criteria));
  }
  Future<absl::Status> SaveAsync(const SnapshotMetadata& metadata,
                                 const Payload& snapshot) final {
    return MakeReadyFuture(Save(metadata, snapshot));
  }
  Future<absl::Status> DeleteAsync(const SnapshotMetadata& metadata) final {
    return MakeReadyFuture(Delete(metadata));
  }
  Future<absl::Status> DeleteAsync(
      const std::string& persistence_id,
      const SnapshotSelectionCriteria& criteria) final {
    return MakeReadyFuture(Delete(persistence_id, criteria));
  }
};

// SelectSnapshot is the load of a store that keeps snapshots as records of
// the snapshot codec (EncodeSnapshot): `next_youngest` hands over the
// stored records of the id one by one, youngest first, and nullopt at the
// end (a store may hand over only those in the criteria's sequence range,
// or all). The youngest record that matches `criteria` and decodes wins.
// One that does not decode gives way to the next older match, up to
// `max_load_attempts` decodes; when they all fail, the last error
// (DataLoss naming the id) is the result. No match: an empty optional.
//
//   auto it = by_seq.rbegin();
//   return SelectSnapshot(id, criteria, max_load_attempts,
//                         [&]() -> std::optional<std::string_view> {
//                           if (it == by_seq.rend()) return std::nullopt;
//                           return (it++)->second;
//                         });
LoadResult SelectSnapshot(
    const std::string& persistence_id,
    const SnapshotSelectionCriteria& criteria, int64_t max_load_attempts,
    absl::FunctionRef<std::optional<std::string_view>()> next_youngest);

// SnapshotStoreRegistry: snapshot store classes by the name a config
// section's `class` gives (registry.h).
struct SnapshotStoreClasses : FactoriesOf<SnapshotStore> {
  static constexpr char kWhat[] = "snapshot store class";
};
using SnapshotStoreRegistry = Registry<SnapshotStoreClasses>;

}  // namespace persistence

#endif  // PERSISTENCE_API_SNAPSHOT_STORE_H_
