#!/usr/bin/env bash
# Runs libFuzzer targets and prints one line per target and a summary
# that CI reads: "fuzz: N passed, N failed".
#
#   tests/fuzz/run.sh smoke TARGET...    each over its seeds, then a bounded
#                                        number of mutations (FUZZ_RUNS,
#                                        default 20000, at most
#                                        FUZZ_SMOKE_SECONDS, default 6 s)
#   tests/fuzz/run.sh SECONDS TARGET...  each for SECONDS
#
# Seeds are read from tests/fuzz/corpus/NAME/ and never written: what a
# run learns goes to build/fuzz/corpus/NAME/ (kept between runs, so long
# runs build on each other) and a crashing input to
# build/fuzz/crashes/NAME-crash-*. Keep a crash as a seed and a unit test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${1:?usage: run.sh smoke|SECONDS TARGET...}
shift
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
pass=0; fail=0; failed=""
for t in "$@"; do
  name=$(basename "$t"); name=${name#fuzz_}
  seeds="$here/corpus/$name"
  work="$root/build/fuzz/corpus/$name"
  crashes="$root/build/fuzz/crashes"
  mkdir -p "$work" "$crashes"
  # A target may have no seeds yet; libFuzzer refuses a missing directory.
  corpora=("$work")
  [ -d "$seeds" ] && corpora+=("$seeds")
  dict=()
  [ -f "$here/dict/$name.dict" ] && dict=(-dict="$here/dict/$name.dict")
  if [ "$mode" = smoke ]; then
    # A fresh work corpus and a fixed seed: the smoke run is the same on
    # every machine and every time.
    work=$(mktemp -d); corpora[0]=$work
    limits=(-seed=1 -runs="${FUZZ_RUNS:-20000}"
            -max_total_time="${FUZZ_SMOKE_SECONDS:-6}")
  else
    limits=(-max_total_time="$mode")
  fi
  log=$(mktemp)
  start=$(date +%s)
  if timeout $(( ${mode/smoke/${FUZZ_SMOKE_SECONDS:-6}} + 120 )) "$t" \
      "${limits[@]}" "${dict[@]}" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$crashes/$name-" \
      "${corpora[@]}" >"$log" 2>&1; then
    pass=$((pass + 1))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    echo "ok    fuzz $name: ${runs:-?} runs, ${rate:-?} exec/s, ${cov:-cov: ?}, $(( $(date +%s) - start )) s"
  else
    fail=$((fail + 1)); failed="$failed $name"
    echo "FAIL  fuzz $name"
    grep -v '^#' "$log" | tail -n 40 | sed 's/^/      /'
  fi
  rm -f "$log"
  [ "$mode" = smoke ] && rm -rf "$work"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
