#!/usr/bin/env bash
# Prometheus metrics end to end: zkrs (standalone and a 3-member ensemble) with the
# Prometheus metrics provider, the captures' kazoo workload, and a real Prometheus server
# running the dashboard and alert queries of tests/observability/dashboard-queries.json.
#
#   tests/observability/run_metrics.sh [--only PATTERN] [--no-build] [--timeout SECONDS]
#
# --only PATTERN   pytest -k PATTERN
# --no-build       use the existing zkrs binary
# --timeout S      wall limit of the pytest run (default 600 s)
#
# ZKRS_BIN=release (default) | debug | /path/to/zkrs selects the binary. Installs what it
# needs through tests/lib/install.sh: apt `prometheus` (the server binary, run directly with
# a generated prometheus.yml, TSDB under target/observability/prometheus/), `zookeeper`
# (zkCli.sh for setquota, as in the captures) and a JRE; the venv target/conformance-venv
# (kazoo, pytest) from tests/conformance/requirements.txt. Loopback (127.0.0.1) only; every
# process is started by the harness and stopped by pid. Ends with
#   metrics: N passed, M failed, K skipped
# Logs: target/observability/logs/ (pytest.log, junit.xml); server logs under
# target/observability/{standalone,ensemble/s*}/server.log.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/target/conformance-venv"
WORK="$ROOT/target/observability"
LOGS="$WORK/logs"

ONLY=""
BUILD=1
TIMEOUT=600
while [ $# -gt 0 ]; do
    case "$1" in
        --only) ONLY="${2:-}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --timeout) TIMEOUT="${2:-}"; shift 2 ;;
        -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run_metrics.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
case "$TIMEOUT" in ''|*[!0-9]*) echo "run_metrics.sh: --timeout needs seconds" >&2; exit 2 ;; esac

log() { printf '[metrics %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

mkdir -p "$LOGS"
rm -f "$LOGS"/pytest.log "$LOGS"/junit.xml

APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-600}"
# shellcheck source=../lib/install.sh
. "$ROOT/tests/lib/install.sh"
ensure_debs prometheus zookeeper
command -v java >/dev/null 2>&1 || ensure_debs default-jre-headless
ensure_venv "$VENV" "$ROOT/tests/conformance/requirements.txt" .conformance-requirements

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

export ZKRS_EXE METRICS_WORK="$WORK" PYTHONDONTWRITEBYTECODE=1
PYTEST_ARGS=(-v -rfEs -p no:cacheprovider -p no:asyncio --rootdir "$HERE"
             --junitxml "$LOGS/junit.xml" -o junit_family=xunit2)
[ -n "$ONLY" ] && PYTEST_ARGS+=(-k "$ONLY")
log "pytest tests/observability/test_metrics.py (limit ${TIMEOUT} s)"
(
    cd "$HERE" || exit 2
    # timeout sends SIGTERM: the harness stops its processes by pid on it.
    exec timeout -k 30 "$TIMEOUT" "$VENV/bin/python" -m pytest "${PYTEST_ARGS[@]}" test_metrics.py
) 2>&1 | tee "$LOGS/pytest.log"
RC=${PIPESTATUS[0]}

read -r P F S < <("$VENV/bin/python" - "$LOGS/junit.xml" <<'PY'
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
echo "metrics: $P passed, $F failed, $S skipped"
[ "$F" = 0 ] && { [ "$RC" = 0 ] || [ "$RC" = 5 ]; } || exit 1
