#!/usr/bin/env bash
# The journal kit of the filelog backend, run with the backend's capability
# flags, must pass and must show the case of the flag that is off
# (supports_replay_only_last) as skipped, with the reason.
set -uo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || fail "usage: $0 <journal kit binary> <tck.conf>"
kit="$1"
conf="$2"
[[ -x "$kit" ]] || fail "the journal kit binary '$kit' is missing or not executable"
[[ -f "$conf" ]] || fail "the kit config '$conf' is missing"

# The kit binary is a googletest binary: keep it from writing this test's
# XML report in place of Bazel's.
unset XML_OUTPUT_FILE GTEST_OUTPUT

out="$("$kit" --config="$conf" \
  --supports_replay_only_last=false \
  --supports_rejecting_non_serializable_objects=true \
  --supports_metadata=true \
  --prevents_concurrent_writers=true 2>&1)"
rc=$?

problems=()
if [[ $rc -ne 0 ]]; then
  problems+=("the journal kit exited with $rc, not 0")
fi
if ! grep -qF '[  SKIPPED ] JournalSpec.OptReplayOnlyLast' <<<"$out"; then
  problems+=("the output does not show '[  SKIPPED ] JournalSpec.OptReplayOnlyLast'")
fi
if ! grep -qF 'capability flag supports_replay_only_last is off' <<<"$out"; then
  problems+=("the output does not give the reason 'capability flag supports_replay_only_last is off'")
fi

if ((${#problems[@]})); then
  echo "---- output of $kit ----" >&2
  echo "$out" >&2
  echo "---- end of output ----" >&2
  for p in "${problems[@]}"; do echo "FAIL: $p" >&2; done
  exit 1
fi
echo "ok: the journal kit passes and shows JournalSpec.OptReplayOnlyLast skipped:"
grep -F 'capability flag supports_replay_only_last is off' <<<"$out" | head -n 1
exit 0
