#!/usr/bin/env bash
# 200 watchers of ConfigMaps, half reading 2 KiB every 50 ms, beside 50
# unpaced writers, for 15 s (bench_slow_watchers; `make bench` runs the
# full 3 minutes): the server's peak RSS stays under 512 MiB (ASan's
# shadow and quarantine: 1.5 GiB) and every fast watcher gets every event.
. "$(dirname "$0")/lib/common.sh"

limit=512
[ "$VARIANT" = asan ] && limit=1536
out=$("$B/bench/bench_slow_watchers" "${SLOW_WATCHERS_SECONDS:-15}" "$limit" 2>&1) ||
  { echo "$out"; fail "bench_slow_watchers"; }
echo "$out" | tail -1
pass "slow watchers: bounded memory, fast watchers get every event"
