#!/usr/bin/env bash
# The second run of tally on one directory recovers the first run's event.
set -euo pipefail
tally="$1"
data="${TEST_TMPDIR:-$(mktemp -d)}/tally-data"

first=$("$tally" "$data" 40)
[[ "$first" == "total 40" ]] || { echo "first run printed '$first', want 'total 40'"; exit 1; }
second=$("$tally" "$data" 2)
[[ "$second" == "total 42" ]] || { echo "second run printed '$second', want 'total 42' (recovered 40, added 2)"; exit 1; }
echo "recovered: $first, then $second"
