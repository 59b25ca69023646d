#!/usr/bin/env bash
# Several processes, one store. A RocksDB directory belongs to one process
# (a second one gets "in use by another process"); behind the remote server
# (backends/grpc) any number of processes share it. Two bank runs write
# different accounts at the same time through one server hosting RocksDB;
# both succeed, and a third run recovers both accounts.
set -uo pipefail
bank="$1"
server="$2"
dir="$(mktemp -d "${TEST_TMPDIR:-/tmp}/bank-remote.XXXXXX")"
fail=0

printf '%s\n' \
  'persistence.remote-server.listen = "127.0.0.1:0"' \
  "persistence.journal.rocksdb.path = \"$dir/rocksdb\"" >"$dir/server.conf"
"$server" --config="$dir/server.conf" --port-file="$dir/port" 2>"$dir/server.log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 300); do [[ -s "$dir/port" ]] && break; sleep 0.1; done
if [[ ! -s "$dir/port" ]]; then
  echo "FAIL: the server did not start"; cat "$dir/server.log"; exit 1
fi
port="$(cat "$dir/port")"
printf '%s\n' \
  'persistence.journal.plugin = "persistence.journal.grpc"' \
  'persistence.snapshot-store.plugin = "persistence.snapshot-store.grpc"' \
  "persistence.journal.grpc.address = \"127.0.0.1:$port\"" >"$dir/bank.conf"

run() {  # run NAME ARGS...: a bank run in the background, output to NAME.out
  local name="$1"; shift
  "$bank" --config="$dir/bank.conf" "$@" >"$dir/$name.out" 2>&1 &
}
expect() {  # expect NAME RC PATTERN
  local name="$1" want_rc="$2" pattern="$3" rc="$4"
  if [[ $rc -ne $want_rc ]] || ! grep -qE "$pattern" "$dir/$name.out"; then
    echo "FAIL: $name (exit $rc, want $want_rc; want /$pattern/)"
    sed 's/^/    /' "$dir/$name.out"; fail=1
  else
    echo "ok: $name"
  fi
}

run alice open alice Alice load alice 3000
alice_pid=$!
run bob open bob Bob load-many 10 300
bob_pid=$!
wait $alice_pid; alice_rc=$?
wait $bob_pid; bob_rc=$?
expect alice 0 "load alice: 3000 events" $alice_rc
expect alice 0 "data: the remote server at 127.0.0.1:$port" $alice_rc
expect bob 0 "load-many: 10 accounts x 300 events = 3000 events" $bob_rc

"$bank" --config="$dir/bank.conf" show alice show bob show load-7 >"$dir/third.out" 2>&1
third_rc=$?
expect third 0 "alice: recovered balance 3000 \(Alice\)" $third_rc
expect third 0 "bob: recovered balance 0 \(Bob\)" $third_rc
expect third 0 "load-7: recovered balance 300 \(load\)" $third_rc
exit $fail
