#!/usr/bin/env bash
# The kit's self-test: each suite must fail against each broken plugin of
# broken_journals.cc and broken_snapshot_stores.cc, in the cases that catch
# its bug, and pass against the in-memory backend they are measured against.
set -uo pipefail
kit="$1"
work="${TEST_TMPDIR:-$(mktemp -d)}"
# The in-memory backend's flags; nothing survives its restart.
flags=(--supports_rejecting_non_serializable_objects=true --supports_metadata=true
       --supports_replay_only_last=true --prevents_concurrent_writers=true
       --survives_restart=false)
unset XML_OUTPUT_FILE  # the inner runs must not write this test's report
failures=0

# run SUITE JOURNAL_CLASS SNAPSHOT_STORE_CLASS: the suite's output.
run() {
  local suite="$1" journal="$2" store="$3"
  local conf="$work/$journal-$store.conf"
  cat >"$conf" <<CONF
persistence.journal.plugin = "kit-journal"
kit-journal { class = "$journal" }
persistence.snapshot-store.plugin = "kit-snapshot-store"
kit-snapshot-store { class = "$store", max-load-attempts = 3 }
CONF
  "$kit" --config="$conf" "${flags[@]}" --gtest_filter="$suite.*" 2>&1
}

# expect_caught SUITE JOURNAL STORE CASE...: the suite fails, in every CASE.
expect_caught() {
  local suite="$1" journal="$2" store="$3"
  shift 3
  local out rc
  out="$(run "$suite" "$journal" "$store")"
  rc=$?
  local broken="$journal"
  [[ $suite == SnapshotStoreSpec ]] && broken="$store"
  if [[ $rc -eq 0 ]]; then
    echo "FAIL: the kit passed the broken plugin $broken"
    failures=$((failures + 1))
    return
  fi
  for case in "$@"; do
    if grep -q "^\[  FAILED  \] $suite\.$case " <<<"$out"; then
      echo "ok: $broken fails $suite.$case"
    else
      echo "FAIL: $broken did not fail $suite.$case"
      grep -E "^\[  FAILED  \]|set-up failed" <<<"$out" | sed 's/^/    /'
      failures=$((failures + 1))
    fi
  done
}

# The reference: the in-memory backend passes both suites with these flags.
for suite in JournalSpec JournalPluginSpec SnapshotStoreSpec; do
  if out="$(run "$suite" inmem.Journal inmem.SnapshotStore)"; then
    echo "ok: the in-memory backend passes $suite"
  else
    echo "FAIL: the in-memory backend fails $suite"
    grep -E "^\[  FAILED  \]|set-up failed" <<<"$out" | sed 's/^/    /'
    failures=$((failures + 1))
  fi
done

# A backend that declares its flags off: its run passes and lists each case
# those flags gate as skipped, with the reason.
off=(--supports_atomic_persist_all_of_several_events=false
     --supports_rejecting_non_serializable_objects=false --supports_metadata=false
     --supports_replay_only_last=false --supports_serialization=false)
conf="$work/flags-off.conf"
printf '%s\n' 'persistence.journal.plugin = "persistence.journal.inmem"' \
  'persistence.snapshot-store.plugin = "persistence.snapshot-store.inmem"' >"$conf"
if out="$("$kit" --config="$conf" "${flags[@]}" "${off[@]}" 2>&1)"; then
  for skipped in JournalSpec.OptRejectNonSerializable:supports_rejecting_non_serializable_objects \
      JournalSpec.OptMetadata:supports_metadata JournalSpec.OptReplayOnlyLast:supports_replay_only_last \
      JournalSpec.OptSerializationOfUserType:supports_serialization \
      JournalSpec.XPartialBatchAtomicity:supports_atomic_persist_all_of_several_events \
      SnapshotStoreSpec.OptMetadata:supports_metadata; do
    case="${skipped%%:*}" flag="${skipped##*:}"
    if grep -q "^  skipped $case: capability flag $flag is off" <<<"$out"; then
      echo "ok: with $flag off, $case is skipped with the reason"
    else
      echo "FAIL: with $flag off, $case is not reported skipped with the reason"
      failures=$((failures + 1))
    fi
  done
else
  echo "FAIL: the in-memory backend with its flags off fails the kit"
  grep -E "^\[  FAILED  \]" <<<"$out" | sed 's/^/    /'
  failures=$((failures + 1))
fi

store=inmem.SnapshotStore
expect_caught JournalSpec broken.ResetsHighestOnDelete $store C15HighestKeptAfterFullCleanup
expect_caught JournalSpec broken.StoresHalfOfRejectedWrite $store XPartialBatchAtomicity
expect_caught JournalSpec broken.ReplaysBackwards $store C01ReplayAll C02LowerBound
expect_caught JournalPluginSpec broken.ReplaysBackwards $store P10AMillionEventReplayKeepsMemoryBounded
expect_caught JournalSpec broken.IgnoresMax $store C04CountLimit C08LimitOne
expect_caught JournalSpec broken.ReplaysDeletedEvents $store C13RangeDeletion C20WindowSpansDeletedPrefix
expect_caught JournalSpec broken.DropsMetadata $store OptMetadata
expect_caught JournalSpec broken.LetsStaleWriterOverwrite $store XTwoWritersOnOneId
expect_caught JournalSpec broken.TruncatesLongIds $store XIdsAreIsolated
expect_caught JournalSpec broken.CutsIdAtSeparator $store XIdsAreIsolated
expect_caught JournalSpec broken.ReordersPastAPage $store XManyEventsReplayInOrder

journal=inmem.Journal
expect_caught SnapshotStoreSpec $journal broken.ReturnsTheOldest S04MostRecent
expect_caught SnapshotStoreSpec $journal broken.IgnoresTimestamps S02TimestampMatchesNothing
expect_caught SnapshotStoreSpec $journal broken.DeletesMoreThanAsked S07DeleteOneByMetadata
expect_caught SnapshotStoreSpec $journal broken.KeepsTheFirstOnResave S10Overwrite
expect_caught SnapshotStoreSpec $journal broken.DropsSnapshotMetadata OptMetadata
expect_caught SnapshotStoreSpec $journal broken.TriesEveryOne S16FallbackEndsAfterMaxLoadAttempts
exit $((failures > 0))
