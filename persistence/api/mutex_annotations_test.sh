#!/usr/bin/env bash
# mutex.h's annotations are checked: clang -Wthread-safety -Werror refuses a
# guarded member read without its Mutex and accepts it under a MutexLock.
set -uo pipefail
command -v clang++ >/dev/null || { echo "clang++ is not installed (bazelw installs it)"; exit 1; }
dir="${TEST_TMPDIR:-$(mktemp -d)}"
compile() {
  clang++ -std=c++17 -fsyntax-only -Wthread-safety -Werror -I. -x c++ - 2>&1
}
body='#include "persistence/api/mutex.h"
class Counter {
 public:
  int Get() { BODY }
 private:
  persistence::Mutex mu_;
  int n_ ABSL_GUARDED_BY(mu_) = 0;
};'
if out=$(sed 's/BODY/return n_;/' <<<"$body" | compile); then
  echo "FAIL: an unguarded read of n_ compiled"; exit 1
fi
grep -q "requires holding mutex 'mu_'" <<<"$out" ||
  { echo "FAIL: unexpected diagnostic:"; echo "$out"; exit 1; }
if ! out=$(sed 's/BODY/persistence::MutexLock lock(mu_); return n_;/' <<<"$body" | compile); then
  echo "FAIL: a read under MutexLock did not compile:"; echo "$out"; exit 1
fi
echo "ok: -Wthread-safety checks mutex.h's annotations"
