#!/usr/bin/env bash
# The vendored binary is built from the RocksDB backend and the runtime
# only: no other backend of eventpersist is among its dependencies.
set -euo pipefail
deps="$1"
grep -q '^@eventpersist//backends/rocksdb:rocksdb$' "$deps" ||
  { echo "the RocksDB backend is not among the dependencies:"; cat "$deps"; exit 1; }
others=$(grep '^@eventpersist//backends/' "$deps" | grep -v '^@eventpersist//backends/rocksdb:' || true)
if [[ -n "$others" ]]; then
  echo "dependencies of another backend:"
  echo "$others"
  exit 1
fi
echo "$(grep -c '^@eventpersist//' "$deps") targets of eventpersist, one backend"
