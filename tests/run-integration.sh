#!/usr/bin/env bash
# Runs every tests/integration/*.sh with B (the build directory) exported.
# Each script starts real processes on 127.0.0.1 (port 0), cleans up after
# itself and exits non-zero on failure, so scripts can run side by side:
# INTEGRATION_JOBS (default 1) of them at once. Most of a script's time is
# spent waiting on controllers, not computing. A script's output is shown
# (its last 80 lines) only when it fails; its time is printed either way.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export B=${B:-build/release} VARIANT=${VARIANT:-release}
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
limit=${INTEGRATION_TIMEOUT:-600}
jobs=${INTEGRATION_JOBS:-1}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

run_one() { # SCRIPT: writes results/NAME.{rc,log,secs}
  local t=$1 name start rc
  name=$(basename "$t" .sh)
  start=$(date +%s)
  timeout "$limit" bash "$t" >"$results/$name.log" 2>&1
  rc=$?
  echo $(($(date +%s) - start)) >"$results/$name.secs"
  echo "$rc" >"$results/$name.rc"
  if [ "$rc" -eq 0 ]; then
    echo "ok    $VARIANT $name ($(cat "$results/$name.secs") s)"
  else
    echo "FAIL  $VARIANT $name (exit $rc, $(cat "$results/$name.secs") s)"
    tail -n 80 "$results/$name.log" | sed 's/^/      /'
  fi
}

running=0
for t in "$here"/integration/*.sh; do
  [ -e "$t" ] || continue
  if [ "$jobs" -le 1 ]; then
    run_one "$t"
    continue
  fi
  # Each job's report is printed whole by that job when it ends.
  { run_one "$t" >"$results/$(basename "$t" .sh).out" 2>&1
    touch "$results/$(basename "$t" .sh).done"; } &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
    for o in "$results"/*.out; do [ -e "${o%.out}.done" ] && { cat "$o"; rm -f "$o"; }; done
  fi
done
wait
for o in "$results"/*.out; do [ -e "$o" ] && { cat "$o"; rm -f "$o"; }; done
pass=0; fail=0; failed=""
for r in "$results"/*.rc; do
  [ -e "$r" ] || continue
  if [ "$(cat "$r")" = 0 ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); failed="$failed $(basename "$r" .rc)"
  fi
done
echo "integration ($VARIANT): $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
