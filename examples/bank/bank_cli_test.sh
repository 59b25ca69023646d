#!/usr/bin/env bash
# The main job end to end: two runs of the bank CLI on the embedded default
# (RocksDB) under one data directory; the second recovers the first's state.
# load-many runs once under script(1), on a pseudo-terminal, for its
# progress bar.
set -uo pipefail
bank="$1"
data="$(mktemp -d "${TEST_TMPDIR:-/tmp}/bank.XXXXXX")"
fail=0
check() {  # check NAME EXPECTED_RC PATTERN -- ARGS...
  local name="$1" want_rc="$2" pattern="$3"; shift 4
  local out rc
  out="$("$bank" --data-dir="$data" "$@" 2>&1)"; rc=$?
  if [[ $rc -ne $want_rc ]] || ! grep -qE "$pattern" <<<"$out"; then
    echo "FAIL: $name (exit $rc, want $want_rc; want /$pattern/)"; echo "$out" | sed 's/^/    /'
    fail=1
  else
    echo "ok: $name"
  fi
}
check "help" 0 "usage: bank" -- --help
check "no command" 2 "no command given" --
check "unknown command" 2 "unknown command 'frobnicate'" -- frobnicate
check "bad amount" 2 "'ten' is not a whole number" -- deposit alice ten
check "first run" 0 "withdraw alice 30: balance 70" -- open alice Alice deposit alice 100 withdraw alice 30
check "second run recovers" 0 "alice: recovered balance 70 \(Alice\) from 3 replayed events" -- show alice
check "overdraft is refused" 1 "refused: insufficient funds" -- withdraw alice 1000
check "load generator" 0 "load bob: 250 events" -- open bob Bob load bob 250
check "recovery uses the snapshot" 0 "bob: recovered balance 250 \(Bob\) from the snapshot at event 200 \+ 51 replayed events" -- show bob
check "load-many shares group commits" 0 "load-many: 20 accounts x 50 events = 1000 events in [0-9]+ ms \([0-9]+ ev/s\); data: RocksDB at $data/rocksdb" -- load-many 20 50
check "load-many accounts recover" 0 "load-13: recovered balance 50 \(load\)" -- show load-13
check "bad load-many" 2 "'zero' is not a positive number of accounts" -- load-many zero 5
# On a terminal (script(1) gives the bank a pseudo-terminal) load-many
# draws a progress bar on stderr that ends at 100%, then the summary.
tty_out="$(script -qec "$(printf '%q ' "$bank" --data-dir="$data" load-many 10 30)" /dev/null 2>&1 </dev/null)"
if grep -qE '\[#{30}\] 100% 300/300 events, [0-9]+ ev/s' <<<"$tty_out" &&
  grep -qE 'load-many: 10 accounts x 30 events = 300 events' <<<"$tty_out"; then
  echo "ok: load-many shows a progress bar on a terminal"
else
  echo "FAIL: load-many shows a progress bar on a terminal"; echo "$tty_out" | cat -v | sed 's/^/    /'
  fail=1
fi
plain_out="$("$bank" --data-dir="$data" load-many 10 30 2>&1)"
if grep -q '#' <<<"$plain_out"; then
  echo "FAIL: load-many draws no progress bar off a terminal"; echo "$plain_out" | sed 's/^/    /'
  fail=1
else
  echo "ok: load-many draws no progress bar off a terminal"
fi
conf="$data/inmem.conf"
printf '%s\n' 'persistence.journal.plugin = "persistence.journal.inmem"' \
  'persistence.snapshot-store.plugin = "persistence.snapshot-store.inmem"' >"$conf"
check "the summary names where the data is" 0 "done: .*data: memory only" -- --config="$conf" open carol Carol
rm -rf "$data"
exit $fail
