// Copyright 2026 The eventpersist Authors.
//
// The RocksDB backend's kit fixture: each run of a kit or perf binary gets
// a fresh database directory, removed again when the run ends; the
// snapshot store follows the journal's path.
#include "tck/tck.h"

namespace persistence::rocksdb {
namespace {

class RocksDbTckFixture : public tck::TemporaryDirectoryFixture {
 public:
  RocksDbTckFixture()
      : TemporaryDirectoryFixture("persistence.journal.rocksdb.path") {}
};

PERSISTENCE_REGISTER(tck::FixtureRegistry, "rocksdb",
                     Construct<RocksDbTckFixture>);

}  // namespace
}  // namespace persistence::rocksdb
