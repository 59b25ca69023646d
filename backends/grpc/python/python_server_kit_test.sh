#!/usr/bin/env bash
# The remote kit against the Python in-memory server (inmem_server.py).
#
#   python_server_kit_test.sh SERVER_PY KIT_BINARY KIT_CONFIG PB_DIR
#
#   SERVER_PY   inmem_server.py
#   KIT_BINARY  the remote kit (//backends/grpc:remote_kit)
#   KIT_CONFIG  its config file (remote_kit.conf)
#   PB_DIR      the directory holding remote_pb2.py and remote_pb2_grpc.py
#
# It starts the server on a free loopback port, runs the kit against it with
# every capability flag the server supports, then checks that a server
# started with --token-file refuses a call without the token
# (UNAUTHENTICATED). It exits with the kit's status (or 1 if the token check
# fails).
#
# It changes no directory: the kit binary must run from its runfiles root
# (Bazel's sh_test already runs there). By hand, cd there first:
#
#   cd /path/to/remote_kit.runfiles/eventpersist &&
#     bash .../python_server_kit_test.sh .../inmem_server.py \
#       /path/to/remote_kit /path/to/remote_kit.conf /path/to/pb_dir
#
# The server needs grpcio and protobuf: it runs with /usr/bin/python3 (or
# $PYTHON, if set).
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 SERVER_PY KIT_BINARY KIT_CONFIG PB_DIR" >&2
  exit 2
fi
server_py=$1
kit=$2
kit_config=$3
pb_dir=$4
python=${PYTHON:-/usr/bin/python3}
tmp=${TEST_TMPDIR:-$(mktemp -d)}

# The servers started here, killed on exit.
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# start_server NAME [ARGS...]: starts a server with its log in
# $tmp/NAME.log, waits for its port file and sets `port`.
start_server() {
  local name=$1
  shift
  local port_file=$tmp/$name.port
  local log=$tmp/$name.log
  rm -f "$port_file"
  PYTHONPATH=$pb_dir "$python" "$server_py" --listen=127.0.0.1:0 \
    --port-file="$port_file" "$@" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  local waited=0
  while [[ ! -s $port_file ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "FAIL: the server ($name) exited before it listened; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    if ((waited >= 300)); then  # 30 s in steps of 0.1 s
      echo "FAIL: the server ($name) wrote no port file within 30 s; its log:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  port=$(<"$port_file")
}

# 1. The kit, with every flag on.
port=
start_server kit
kit_status=0
"$kit" --config="$kit_config" --target="127.0.0.1:$port" \
  --supports_atomic_persist_all_of_several_events=true \
  --supports_rejecting_non_serializable_objects=true \
  --supports_serialization=true \
  --supports_metadata=true \
  --supports_replay_only_last=true \
  --prevents_concurrent_writers=true \
  --survives_restart=true || kit_status=$?
if ((kit_status != 0)); then
  echo "FAIL: the kit failed (status $kit_status); the server's log:" >&2
  cat "$tmp/kit.log" >&2
  exit "$kit_status"
fi

# 2. With --token-file, a call without the token is UNAUTHENTICATED.
printf 'kit-test-token\n' >"$tmp/token"
start_server token --token-file="$tmp/token"
PYTHONPATH=$pb_dir "$python" - "127.0.0.1:$port" <<'EOF'
import sys
import grpc
import remote_pb2 as pb

with grpc.insecure_channel(sys.argv[1]) as channel:
    # Describe, called by its method name: only the messages module needed.
    describe = channel.unary_unary(
        "/eventpersist.remote.v1.Journal/Describe",
        request_serializer=pb.DescribeRequest.SerializeToString,
        response_deserializer=pb.DescribeResponse.FromString)
    cases = [
        ("no token", (), grpc.StatusCode.UNAUTHENTICATED),
        ("another token", (("authorization", "Bearer wrong"),),
         grpc.StatusCode.UNAUTHENTICATED),
        ("the token", (("authorization", "Bearer kit-test-token"),),
         grpc.StatusCode.OK),
    ]
    failed = False
    for what, metadata, want in cases:
        try:
            describe(pb.DescribeRequest(), timeout=10, metadata=metadata)
            got = grpc.StatusCode.OK
        except grpc.RpcError as e:
            got = e.code()
        print(f"token check: Describe with {what}: {got.name} "
              f"(want {want.name})")
        failed |= got != want
sys.exit(1 if failed else 0)
EOF
echo "PASS: the kit and the token check"
exit "$kit_status"
