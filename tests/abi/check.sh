#!/usr/bin/env bash
# Compares the SDK's binary interface with the committed baseline using
# libabigail (abidw/abidiff). Any difference fails: an intended change means
# appending to a struct, bumping CPLANE_ABI_MINOR, then `make abi-baseline`.
set -eu
cd "$(dirname "$0")/../.."
baseline=tests/abi/cplane-abi.xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -g -O0 -shared -fPIC -fvisibility=hidden -Isdk/include \
  -o "$tmp/probe.so" tests/abi/probe.c
abidw --no-corpus-path --out-file "$tmp/current.xml" "$tmp/probe.so"
if [ "${1:-}" = "--update" ]; then
  cp "$tmp/current.xml" "$baseline"
  echo "abi: baseline updated: $baseline"
  exit 0
fi
if [ ! -f "$baseline" ]; then
  echo "abi: no baseline at $baseline; run make abi-baseline" >&2
  exit 1
fi
set +e
abidiff "$baseline" "$tmp/current.xml" >"$tmp/diff.txt" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "abi: the SDK's ABI differs from $baseline (abidiff exit $rc):"
  cat "$tmp/diff.txt"
  echo "abi: if intended, append only, bump CPLANE_ABI_MINOR in"
  echo "     sdk/include/cplane/version.h and run 'make abi-baseline'."
  echo "abi: 0 passed, 1 failed"
  exit 1
fi
echo "abi: SDK ABI matches the baseline"
echo "abi: 1 passed, 0 failed"
