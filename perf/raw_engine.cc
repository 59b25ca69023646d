// Copyright 2026 The eventpersist Authors.
#include "perf/raw_engine.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace persistence::perf {

absl::StatusOr<std::unique_ptr<RawEngine>> NewRawEngine() {
  const std::vector<std::string> names = RawEngineRegistry::Global().Names();
  if (names.size() != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a perf binary links exactly one raw engine; this one has [",
        absl::StrJoin(names, ", "),
        "] (PERSISTENCE_REGISTER(RawEngineRegistry, ...))"));
  }
  return Create(RawEngineRegistry::Global(), names[0], Config(), "");
}

}  // namespace persistence::perf
