#!/usr/bin/env bash
# Runs each cmocka unit test binary in its own process, bounded in time,
# and prints one summary line that CI reads: "unit: N passed, N failed".
# Under the asan variant leaks are fatal; under tsan any race report fails.
set -u
pass=0; fail=0; failed=""
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$(cd "$(dirname "$0")" && pwd)/tsan.supp"
limit=${UNIT_TIMEOUT:-300}
for t in "$@"; do
  name=$(basename "$t")
  log=$(mktemp)
  if timeout "$limit" "$t" >"$log" 2>&1; then
    pass=$((pass + 1))
    echo "ok    ${VARIANT:-release} $name"
  else
    rc=$?
    fail=$((fail + 1)); failed="$failed $name"
    echo "FAIL  ${VARIANT:-release} $name (exit $rc)"
    tail -n 60 "$log" | sed 's/^/      /'
  fi
  rm -f "$log"
done
echo "unit (${VARIANT:-release}): $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
