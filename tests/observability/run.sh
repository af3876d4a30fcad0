#!/usr/bin/env bash
# Observability end to end (issue 13):
# - test_admin_server.py: the AdminServer of Apache ZooKeeper 3.8 (Debian) and of zkrs side by
#   side, standalone and as a 3-member ensemble (+ observer); every command, alias, bad path and
#   method compared key by key after the same workload; /ready and /live.
# - test_metrics.py: zkrs with the Prometheus provider (standalone, 3 members) after the
#   captures' workload, values checked against what it did; a real Prometheus server running
#   the dashboard and alert queries of dashboard-queries.json.
# - test_logs.py: ZooKeeper's INFO lines, the JSON format, the level knobs.
#
#   tests/observability/run.sh [--only PATTERN] [--keep] [--no-build] [--timeout SECONDS]
#                              [--install-only]
#
# --only PATTERN   run only the tests pytest's `-k PATTERN` selects
# --keep           keep every test's directory under target/observability/
# --no-build       do not run cargo; use the existing zkrs binary
# --timeout S      wall limit of the whole pytest run (default 900 s)
# --install-only   install the dependencies (apt, venv) and stop
#
# ZKRS_BIN=release (default) | debug | /path/to/zkrs selects the binary. Installs what it needs
# (apt: zookeeper + jars, libservlet-api-java and libjetty9-java — without servlet-api.jar on
# the classpath Debian's ZooKeeper serves no AdminServer —, prometheus, a JDK; the venv
# target/conformance-venv) through tests/lib/install.sh. The harness is tests/quorum/
# ensemble.py: every server is started by it and stopped by pid; loopback (127.0.0.1) only.
# Ends with `observability: N passed, M failed, K skipped`; exits non-zero on a failure.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/target/conformance-venv"
WORK="$ROOT/target/observability"
LOGS="$WORK/logs"

ONLY=""
KEEP=0
BUILD=1
TIMEOUT=900
INSTALL_ONLY=0

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --only) [ $# -ge 2 ] || { echo "run.sh: --only needs a pattern" >&2; exit 2; }
            ONLY="$2"; shift 2 ;;
        --only=*) ONLY="${1#*=}"; shift ;;
        --keep) KEEP=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --install-only) INSTALL_ONLY=1; shift ;;
        --timeout) [ $# -ge 2 ] || { echo "run.sh: --timeout needs seconds" >&2; exit 2; }
            TIMEOUT="$2"; shift 2 ;;
        --timeout=*) TIMEOUT="${1#*=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$TIMEOUT" in ''|*[!0-9]*) echo "run.sh: --timeout must be a number of seconds" >&2; exit 2 ;; esac

log() { printf '[observability %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

T0=$SECONDS

# Kills (by pid) a server recorded in a pid file under target/observability/ if that pid still
# runs that member's zoo.cfg (a reused pid is left alone).
sweep_pids() {
    local f pid dir cmd
    [ -d "$WORK" ] || return 0
    while IFS= read -r f; do
        pid="$(head -n 1 "$f" 2>/dev/null)"
        dir="$(dirname "$f")"
        case "$pid" in ''|*[!0-9]*) rm -f "$f"; continue ;; esac
        cmd="$( { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true)"
        if [ -n "$cmd" ] && [[ "$cmd" == *"$dir/zoo.cfg"* ]]; then
            kill -CONT "$pid" 2>/dev/null
            kill -KILL "$pid" 2>/dev/null
            log "killed leftover server pid $pid ($dir)"
        fi
        rm -f "$f"
    done < <(find "$WORK" -mindepth 3 -maxdepth 4 -name pid -path "*/s*/pid" 2>/dev/null)
}

PYTEST_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$PYTEST_PID" ] && kill -0 "$PYTEST_PID" 2>/dev/null; then
        kill -TERM "$PYTEST_PID" 2>/dev/null
        wait "$PYTEST_PID" 2>/dev/null
    fi
    sweep_pids
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$LOGS"
rm -f "$LOGS"/*
sweep_pids
rm -rf "$WORK"/test_* "$WORK"/metrics "$WORK"/logs-suite

APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-600}"
# shellcheck source=../lib/install.sh
. "$ROOT/tests/lib/install.sh"
ensure_debs --jdk zookeeper libzookeeper-java libnetty-java liblog4j1.2-java libslf4j-java \
    libservlet-api-java libjetty9-java prometheus
for j in zookeeper.jar zookeeper-jute.jar netty-codec.jar netty-resolver.jar slf4j-log4j12.jar \
    log4j-1.2.jar servlet-api.jar; do
    [ -e "/usr/share/java/$j" ] || die "/usr/share/java/$j is missing"
done
command -v java >/dev/null 2>&1 || die "no java on PATH"
ensure_venv "$VENV" "$ROOT/tests/conformance/requirements.txt" .conformance-requirements
[ "$INSTALL_ONLY" = 1 ] && { log "dependencies installed"; exit 0; }

profile=release
case "${ZKRS_BIN:-}" in
    "" | release) ZKRS_EXE="$ROOT/target/release/zkrs" ;;
    debug) ZKRS_EXE="$ROOT/target/debug/zkrs"; profile=debug ;;
    *) ZKRS_EXE="$ZKRS_BIN"; profile="" ;;
esac
if [ "$BUILD" = 1 ] && [ -n "$profile" ]; then
    args=(build -p zkrs --bin zkrs)
    [ "$profile" = release ] && args+=(--release)
    log "cargo ${args[*]}"
    (cd "$ROOT" && timeout 3600 cargo "${args[@]}") >"$LOGS/cargo-build.log" 2>&1 \
        || { tail -n 30 "$LOGS/cargo-build.log" >&2; die "cargo ${args[*]} failed"; }
fi
[ -x "$ZKRS_EXE" ] || die "no zkrs binary at $ZKRS_EXE"

export ZKRS_EXE
export QUORUM_WORK="$WORK"
export METRICS_WORK="$WORK/metrics" LOGS_WORK="$WORK/logs-suite"
# Debian's zookeeper.jar pulls Jetty through its manifest; the servlet API must be added.
export ZK_SERVER_CP="/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar:/usr/share/java/servlet-api.jar"
[ "$KEEP" = 1 ] && export QUORUM_KEEP=1
export PYTHONDONTWRITEBYTECODE=1

JUNIT="$LOGS/junit.xml"
PYTEST_ARGS=(-v -rfEs --durations=0 -p no:cacheprovider -p no:asyncio
             --rootdir "$HERE" --junitxml "$JUNIT" -o junit_family=xunit2)
[ -n "$ONLY" ] && PYTEST_ARGS+=(-k "$ONLY")
log "pytest tests/observability (limit ${TIMEOUT} s)"
(
    cd "$HERE" || exit 2
    exec timeout -k 30 "$TIMEOUT" "$VENV/bin/python" -m pytest "${PYTEST_ARGS[@]}" \
        test_admin_server.py test_metrics.py test_logs.py
) 2>&1 </dev/null | tee "$LOGS/pytest.log" &
PYTEST_PID=$!
wait "$PYTEST_PID"
PYTEST_PID=""

read -r P F S < <("$VENV/bin/python" - "$JUNIT" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1, 0)
    raise SystemExit
p = f = s = 0
for tc in root.iter("testcase"):
    kinds = {c.tag for c in tc}
    if kinds & {"failure", "error"}:
        f += 1
    elif "skipped" in kinds:
        s += 1
    else:
        p += 1
print(p, f, s)
PY
)
sweep_pids
log "done in $((SECONDS - T0)) s (logs: $LOGS)"
echo "observability: $P passed, $F failed, $S skipped"
[ "$F" = 0 ] && [ "$P" != 0 ] || exit 1
exit 0
