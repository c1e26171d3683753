#!/usr/bin/env bash
# The request fuzzer (tests/fuzz/request_fuzzer.py) against the real API
# server for REQUEST_FUZZ_SECONDS (default 30): mutated bodies of every
# kind through every verb with random query parameters, malformed and slow
# HTTP, idle connection floods. Every answer must be a 2xx or a 4xx Status,
# never a 5xx, a drop or a hang; memory stays bounded; everything still
# lists with kubectl and the Python client; SIGTERM stops the server
# cleanly (under ASan: without leaks). A fixed seed keeps the suite
# repeatable; `make fuzz` runs it longer with a new seed each time.
. "$(dirname "$0")/lib/common.sh"

/usr/bin/python3 -c 'import kubernetes, yaml' 2>/dev/null ||
  fail "python3-kubernetes is not installed (make deps installs it)"
out=$(B="$B" VARIANT="$VARIANT" /usr/bin/python3 \
  "$ROOT/tests/fuzz/request_fuzzer.py" \
  --seconds "${REQUEST_FUZZ_SECONDS:-30}" \
  --seed "${REQUEST_FUZZ_SEED:-12}" 2>&1) || { echo "$out"; fail "request fuzzer"; }
echo "$out"
pass "request fuzzer"
