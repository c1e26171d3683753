# Under pipefail, "cmd | grep -q" fails when grep exits at the first match
# and cmd dies of SIGPIPE: pipe into "grep ... >/dev/null" instead (and
# take a first line with "sed -n 1p", which also reads to the end, not
# "head -1").
# Shared helpers for integration tests: a temp dir removed on exit, every
# started process killed on exit, bounded waits, and assertions that say
# what was expected.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
B=${B:-build/release}
case "$B" in /*) ;; *) B="$ROOT/$B" ;; esac
VARIANT=${VARIANT:-release}
TMP=$(mktemp -d /tmp/cplane-it-XXXXXX)
chmod 755 "$TMP"
PIDS=()

cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
  done
  [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# wait_limit SECONDS: how long a wait for a state may last: SECONDS, but
# never less than WAIT_FLOOR (30 s unless set). The seconds a test names
# are what a quiet machine needs; a loaded one (ASan, TSan, load 10+)
# may need many times that, and a wait that succeeds returns no later.
# Not for bounds that are themselves the assertion.
WAIT_FLOOR=${WAIT_FLOOR:-30}
wait_limit() { echo $(($1 < WAIT_FLOOR ? WAIT_FLOOR : $1)); }

# wait_for_log FILE PATTERN [SECONDS]: waits until FILE has a line matching.
wait_for_log() {
  local file=$1 pattern=$2 limit i
  limit=$(wait_limit "${3:-20}")
  for ((i = 0; i < limit * 10; i++)); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "--- $file:" >&2; cat "$file" >&2 || true
  fail "no line matching '$pattern' in $file after ${limit}s"
}

# expect_log FILE PATTERN: FILE already has a matching line.
expect_log() {
  grep -q -- "$2" "$1" || { cat "$1" >&2; fail "expected '$2' in $1"; }
}

# wait_exit PID SECONDS: waits for PID (a child of this shell) to exit and
# sets RC to its exit status. Not for $(...): a subshell cannot wait for
# its parent's children.
wait_exit() {
  local pid=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do
    # A zombie still answers kill -0; ps tells it apart.
    if ! kill -0 "$pid" 2>/dev/null ||
      [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then
      wait "$pid" && RC=0 || RC=$?
      return 0
    fi
    sleep 0.1
  done
  fail "process $pid still running after ${limit}s"
}

# The make flag that selects the current variant.
variant_flag() {
  case "$VARIANT" in asan) echo "SAN=1" ;; tsan) echo "TSAN=1" ;; *) echo "" ;; esac
}

# free_port: a TCP port on 127.0.0.1 the kernel just handed out. It is
# free again once printed: another process may take it before it is
# bound (start_etcd retries for that).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_etcd: one etcd member, data in $TMP/etcd, log appended to
# $TMP/etcd.log; sets ETCD_PORT (client), ETCD_PEER_PORT and ETCD (its
# pid, appended to PIDS once it serves) and returns once it serves. The first start picks
# free ports; when etcd could not bind one (taken between the pick and
# the bind, by any process on the machine) it tries new ones, three times.
# It is ready when its own log says it serves on the port, not when the
# port answers (another etcd may have it). A restart keeps its ports.
start_etcd() {
  local attempt i fresh=0 ready=0 before
  [ -n "${ETCD_PORT:-}" ] || fresh=1
  for attempt in 1 2 3; do
    if [ "$fresh" = 1 ]; then
      ETCD_PORT=$(free_port)
      ETCD_PEER_PORT=$(free_port)
    fi
    before=$(grep -c "serving insecure client requests on 127.0.0.1:$ETCD_PORT," \
      "$TMP/etcd.log" 2>/dev/null || true)
    before=${before:-0}
    /usr/bin/etcd --name m0 --data-dir "$TMP/etcd" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "m0=http://127.0.0.1:$ETCD_PEER_PORT" \
      >>"$TMP/etcd.log" 2>&1 &
    ETCD=$!
    for ((i = 0; i < 600; i++)); do
      kill -0 "$ETCD" 2>/dev/null || break # it exited: a port was taken
      ready=$(grep -c "serving insecure client requests on 127.0.0.1:$ETCD_PORT," \
        "$TMP/etcd.log" 2>/dev/null || true)
      if [ "${ready:-0}" -gt "$before" ] &&
        curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1; then
        PIDS+=($ETCD) # only the one that serves: scripts count on PIDS[0]
        return 0
      fi
      sleep 0.1
    done
    kill -9 "$ETCD" 2>/dev/null || true
    wait "$ETCD" 2>/dev/null || true
    [ "$fresh" = 1 ] || break
    rm -rf "$TMP/etcd"
    echo "--- etcd did not start on $ETCD_PORT/$ETCD_PEER_PORT: new ports" >>"$TMP/etcd.log"
  done
  cat "$TMP/etcd.log" >&2
  fail "etcd did not start and serve in 60 s"
}

# wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds; fails
# the test (naming CMD) after SECONDS (see wait_limit).
wait_until() {
  local limit i
  limit=$(wait_limit "$1")
  shift
  for ((i = 0; i < limit * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "still not true after ${limit}s: $*"
}

# start_cplane PLUGIN...: one cplane (embedded API server on a free port,
# host listening on a free port) with exactly these plugins from
# $B/plugins enabled, logging to $TMP/log; returns once they all run.
# A plugin's own settings come from $INI_<name> (dashes as underscores),
# written inside its section: INI_nodesim=$'nodes = 5' start_cplane nodesim.
# Other INI text (more [host] keys cannot go there; new sections can) comes
# from $EXTRA_INI, appended as is. Defines K, kubectl against it.
# As in a kube cluster, the serviceaccount and rootcacertpublisher plugins
# run too (ServiceAccount admission refuses pods until their namespace's
# `default` ServiceAccount exists, and their token volume projects
# kube-root-ca.crt), and start_cplane returns once default/default is
# there; NO_SA_PLUGINS=1 leaves them out.
start_cplane() {
  local p v
  if [ -z "${NO_SA_PLUGINS:-}" ]; then
    for p in serviceaccount rootcacertpublisher; do
      case " $* " in *" $p "*) ;; *) set -- "$@" "$p" ;; esac
    done
  fi
  mkdir -p -m 755 "$TMP/plugins"
  {
    printf '[host]\ndata_dir = %s/data\nplugin_dir = %s/plugins\n' "$TMP" "$TMP"
    printf 'listen = 127.0.0.1:0\n[apiserver]\nport = 0\n'
    for p in "$@"; do
      install -m 0755 "$B/plugins/$p.so" "$TMP/plugins/"
      printf '[plugin.%s]\nenabled = true\n' "$p"
      v="INI_${p//-/_}"
      [ -z "${!v:-}" ] || printf '%s\n' "${!v}"
    done
    printf '%s\n' "${EXTRA_INI:-}"
  } >"$TMP/c.ini"
  "$B/cplane" -c "$TMP/c.ini" >"$TMP/log" 2>&1 &
  PIDS+=($!)
  wait_for_log "$TMP/log" "ready: $# plugin(s) running" 30
  case " $* " in
  *" serviceaccount "*) wait_until 30 K get serviceaccount default -n default ;;
  esac
}
K() { kubectl --kubeconfig "$TMP/data/admin.kubeconfig" --cache-dir "$TMP/cache" "$@"; }

# install_crd NAME [SECONDS]: applies the CustomResourceDefinition on
# stdin (NAME is its metadata.name, plural.group), waits until it is
# Established and its resource is served to kubectl; fails the test,
# naming NAME, otherwise.
install_crd() {
  local name=$1 limit=${2:-20} out
  out=$(K apply -f - 2>&1) || fail "CRD $name refused: $out"
  K wait --for=condition=Established "crd/$name" --timeout="${limit}s" \
    >/dev/null || fail "CRD $name not Established"
  wait_until "$limit" K get "$name" -A
}
