#!/usr/bin/env bash
# Log tests: the lines operators grep for (ZooKeeper 3.8's wording), the JSON format and the
# level knobs of zkrs (tests/observability/test_logs.py, docs/logging.md).
#
#   tests/observability/run_logs.sh [--only PATTERN] [--no-build] [--timeout SECONDS]
#
# --only PATTERN   run only the tests pytest's `-k PATTERN` selects (e.g. --only json)
# --no-build       do not run cargo; use the existing zkrs binary (tests skip if none)
# --timeout S      wall limit of the whole pytest run (default 900 s; each test also has its
#                  own pytest-timeout of 240 s)
#
# ZKRS_BIN=release (default) | debug | /path/to/zkrs selects the binary (built if missing
# unless --no-build). The venv target/conformance-venv (tests/conformance/requirements.txt:
# kazoo, pytest) is made through tests/lib/install.sh. zkrs members and servers run on
# 127.0.0.1 only and are stopped by pid (also at exit); afterwards this script kills, by
# pid, any server a crashed run left behind (pid files under target/observability-logs/).
# Ends with
#   logs: N passed, M failed, K skipped
# and exits non-zero if a test failed (2 on a set-up error).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/target/conformance-venv"
WORK="$ROOT/target/observability-logs"
LOGS="$WORK/_logs"

ONLY=""
BUILD=1
TIMEOUT=900

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --only) [ $# -ge 2 ] || { echo "run_logs.sh: --only needs a pattern" >&2; exit 2; }
            ONLY="$2"; shift 2 ;;
        --only=*) ONLY="${1#*=}"; shift ;;
        --no-build) BUILD=0; shift ;;
        --timeout) [ $# -ge 2 ] || { echo "run_logs.sh: --timeout needs seconds" >&2; exit 2; }
            TIMEOUT="$2"; shift 2 ;;
        --timeout=*) TIMEOUT="${1#*=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run_logs.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$TIMEOUT" in ''|*[!0-9]*) echo "run_logs.sh: --timeout must be a number of seconds" >&2; exit 2 ;; esac

log() { printf '[logs %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

T0=$SECONDS

# Kills (by pid) an ensemble member recorded in a pid file under $WORK if that pid still
# runs that member's zoo.cfg (a reused pid is left alone).
sweep_pids() {
    local f pid dir cmd
    [ -d "$WORK" ] || return 0
    while IFS= read -r f; do
        pid="$(head -n 1 "$f" 2>/dev/null)"
        dir="$(dirname "$f")"
        case "$pid" in ''|*[!0-9]*) rm -f "$f"; continue ;; esac
        cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        if [ -n "$cmd" ] && [[ "$cmd" == *"$dir/zoo.cfg"* ]]; then
            kill -CONT "$pid" 2>/dev/null
            kill -KILL "$pid" 2>/dev/null && log "killed leftover server pid $pid ($dir)"
        fi
        rm -f "$f"
    done < <(find "$WORK" -mindepth 3 -maxdepth 3 -name pid -path "*/s*/pid" 2>/dev/null)
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

APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-600}"
# shellcheck source=../lib/install.sh
. "$ROOT/tests/lib/install.sh"
ensure_venv "$VENV" "$ROOT/tests/conformance/requirements.txt" .conformance-requirements

profile=release
case "${ZKRS_BIN:-}" in
    "" | release) ZKRS_EXE="$ROOT/target/release/zkrs" ;;
    debug) ZKRS_EXE="$ROOT/target/debug/zkrs"; profile=debug ;;
    *) ZKRS_EXE="$ZKRS_BIN"; profile="" ;;
esac
if [ "$BUILD" = 1 ] && [ -n "$profile" ]; then
    command -v cargo >/dev/null 2>&1 || die "cargo not found; cannot build zkrs (or use --no-build)"
    args=(build -p zkrs --bin zkrs)
    [ "$profile" = release ] && args+=(--release)
    log "cargo ${args[*]} (may wait for another build's lock)"
    (cd "$ROOT" && timeout 3600 cargo "${args[@]}") >"$LOGS/cargo-build.log" 2>&1 \
        || { tail -n 30 "$LOGS/cargo-build.log" >&2; die "cargo ${args[*]} failed (see $LOGS/cargo-build.log)"; }
fi
[ -x "$ZKRS_EXE" ] || log "no zkrs binary at $ZKRS_EXE: the tests will skip"

export ZKRS_EXE LOGS_WORK="$WORK" PYTHONDONTWRITEBYTECODE=1
JUNIT="$LOGS/junit.xml"
PYTEST_ARGS=(-v -rfEs -p no:cacheprovider -p no:asyncio --rootdir "$HERE" --junitxml "$JUNIT"
             -o junit_family=xunit2)
[ -n "$ONLY" ] && PYTEST_ARGS+=(-k "$ONLY")
log "pytest tests/observability/test_logs.py (limit ${TIMEOUT} s)"
: >"$LOGS/pytest.log"
(
    cd "$HERE" || exit 2
    exec timeout -k 30 "$TIMEOUT" "$VENV/bin/python" -m pytest "${PYTEST_ARGS[@]}" test_logs.py
) >"$LOGS/pytest.log" 2>&1 </dev/null &
PYTEST_PID=$!
tail -n +1 -f --pid="$PYTEST_PID" "$LOGS/pytest.log" &
TAIL_PID=$!
wait "$PYTEST_PID"
PYTEST_PID=""
wait "$TAIL_PID" 2>/dev/null

read -r P F S < <("$VENV/bin/python" - "$JUNIT" <<'EOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:  # no report: pytest crashed or was killed
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
EOF
)
sweep_pids
log "done in $((SECONDS - T0)) s (logs: $LOGS)"
echo "logs: $P passed, $F failed, $S skipped"
[ "$F" = 0 ] || exit 1
exit 0
