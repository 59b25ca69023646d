// Copyright 2026 The eventpersist Authors.
//
// The filelog backend's kit fixture: each run of a kit or perf binary gets
// a fresh directory, removed again when the run ends. The snapshot store
// and the raw engine follow the journal's directory (reference.conf,
// raw_engine.cc), so one key moves them all.
#include "tck/tck.h"

namespace persistence::filelog {
namespace {

class FileLogTckFixture : public tck::TemporaryDirectoryFixture {
 public:
  FileLogTckFixture()
      : TemporaryDirectoryFixture("persistence.journal.filelog.directory") {}
};

PERSISTENCE_REGISTER(tck::FixtureRegistry, "filelog",
                     Construct<FileLogTckFixture>);

}  // namespace
}  // namespace persistence::filelog
