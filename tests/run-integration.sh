#!/usr/bin/env bash
# Runs every tests/integration/*.sh with B (the build directory) exported.
# Each script starts real processes on 127.0.0.1, cleans up after itself
# and exits non-zero on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export B=${B:-build/release} VARIANT=${VARIANT:-release}
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
pass=0; fail=0; failed=""
limit=${INTEGRATION_TIMEOUT:-600}
for t in "$here"/integration/*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  log=$(mktemp)
  if timeout "$limit" bash "$t" >"$log" 2>&1; then
    pass=$((pass + 1)); echo "ok    $VARIANT $name"
  else
    rc=$?
    fail=$((fail + 1)); failed="$failed $name"
    echo "FAIL  $VARIANT $name (exit $rc)"; tail -n 80 "$log" | sed 's/^/      /'
  fi
  rm -f "$log"
done
echo "integration ($VARIANT): $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
