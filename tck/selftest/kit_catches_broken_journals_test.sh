#!/usr/bin/env bash
# The kit's self-test: the journal suite must fail against each broken
# journal of broken_journals.cc, in the cases that catch its bug.
set -uo pipefail
kit="$1"
dir="$(dirname "$2")"
flags=(--supports_rejecting_non_serializable_objects=true --supports_metadata=true
       --supports_replay_only_last=true --prevents_concurrent_writers=true)
failures=0

expect_caught() {
  local journal="$1"; shift
  local out
  out="$("$kit" --config="$dir/$journal.conf" "${flags[@]}" 2>&1)"
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "FAIL: the kit passed the broken journal $journal"
    failures=$((failures + 1))
    return
  fi
  for case in "$@"; do
    if grep -q "^\[  FAILED  \] JournalSpec\.$case " <<<"$out"; then
      echo "ok: $journal fails JournalSpec.$case"
    else
      echo "FAIL: $journal did not fail JournalSpec.$case"
      grep -E "^\[  FAILED  \]" <<<"$out" | sed 's/^/    /'
      failures=$((failures + 1))
    fi
  done
}

expect_caught ResetsHighestOnDelete C15HighestKeptAfterFullCleanup
expect_caught StoresHalfOfRejectedWrite XPartialBatchAtomicity
expect_caught ReplaysBackwards C01ReplayAll C02LowerBound XManyEventsReplayInOrder
exit $((failures > 0))
