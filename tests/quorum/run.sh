#!/usr/bin/env bash
# Ensemble (quorum) tests: all-Java, all-zkrs and mixed ZooKeeper ensembles on loopback.
#
#   tests/quorum/run.sh [--only PATTERN] [--keep] [--zkrs-as-java] [--no-build]
#                       [--timeout SECONDS]
#
# --only PATTERN   run only the tests pytest's `-k PATTERN` selects (e.g. --only java,
#                  --only 'trunc and not mixed')
# --keep           keep every test's directory target/quorum/<test>/ (configs, data dirs,
#                  one log per server start); failed tests' directories are always kept
# --zkrs-as-java   run Apache ZooKeeper wherever a test asks for zkrs: checks the zkrs and
#                  mixed tests' own logic while zkrs has no quorum mode (~10 min)
# --no-build       do not run cargo; use the existing zkrs binary (zkrs tests skip if none)
# --timeout S      wall limit of the whole pytest run (default 1500 s; each test also has
#                  its own pytest-timeout of 240-300 s)
#
# ZKRS_BIN=release (default) | debug | /path/to/zkrs selects the binary (built if missing
# unless --no-build). Installs what it needs (apt: zookeeper + jars, a JDK; the venv
# target/conformance-venv from tests/conformance/requirements.txt, shared with the
# conformance suite) through tests/lib/install.sh. Tests are tests/quorum/test_*.py
# (pytest); the harness is tests/quorum/ensemble.py. zkrs and mixed tests skip with
# "zkrs quorum mode not available" while `zkrs server` exits 2 on a server.N config.
#
# Every server is started by the harness and stopped by pid (also on SIGTERM/SIGINT and at
# exit); afterwards this script kills, by pid, any server a crashed run left behind (pid
# files under target/quorum/). Loopback (127.0.0.1) only. Ends with
#   quorum: N passed, M failed, K skipped
# and exits non-zero if a test failed or errored (2 on a set-up error).
# Logs: target/quorum/logs/ (pytest.log, junit.xml, notes.txt: per-test outcome, duration
# and what each test printed: election times, sync modes, replacement steps).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/target/conformance-venv"
WORK="$ROOT/target/quorum"
LOGS="$WORK/logs"

ONLY=""
KEEP=0
AS_JAVA=0
BUILD=1
TIMEOUT=1500

usage() { sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --only) [ $# -ge 2 ] || { echo "run.sh: --only needs a pattern" >&2; exit 2; }
            ONLY="$2"; shift 2 ;;
        --only=*) ONLY="${1#*=}"; shift ;;
        --keep) KEEP=1; shift ;;
        --zkrs-as-java) AS_JAVA=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --timeout) [ $# -ge 2 ] || { echo "run.sh: --timeout needs seconds" >&2; exit 2; }
            TIMEOUT="$2"; shift 2 ;;
        --timeout=*) TIMEOUT="${1#*=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$TIMEOUT" in ''|*[!0-9]*) echo "run.sh: --timeout must be a number of seconds" >&2; exit 2 ;; esac

log() { printf '[quorum %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

T0=$SECONDS

# ----------------------------------------------------------- leftover servers

# Kills (by pid) a server recorded in a pid file under target/quorum/ if that pid still runs
# that member's zoo.cfg (a pid that was reused by another process is left alone).
sweep_pids() {
    local f pid dir cmd n=0
    [ -d "$WORK" ] || return 0
    while IFS= read -r f; do
        pid="$(head -n 1 "$f" 2>/dev/null)"
        dir="$(dirname "$f")"
        case "$pid" in ''|*[!0-9]*) rm -f "$f"; continue ;; esac
        cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        if [ -n "$cmd" ] && [[ "$cmd" == *"$dir/zoo.cfg"* ]]; then
            kill -CONT "$pid" 2>/dev/null
            kill -KILL "$pid" 2>/dev/null && n=$((n + 1))
            log "killed leftover server pid $pid ($dir)"
        fi
        rm -f "$f"
    done < <(find "$WORK" -mindepth 3 -maxdepth 3 -name pid -path "*/s*/pid" 2>/dev/null)
    [ "$n" = 0 ] || sleep 0.5
}

PYTEST_PID=""
TAIL_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$PYTEST_PID" ] && kill -0 "$PYTEST_PID" 2>/dev/null; then
        kill -TERM "$PYTEST_PID" 2>/dev/null  # timeout passes it on; the harness stops its servers
        wait "$PYTEST_PID" 2>/dev/null
    fi
    if [ -n "$TAIL_PID" ]; then
        kill "$TAIL_PID" 2>/dev/null
        wait "$TAIL_PID" 2>/dev/null
    fi
    sweep_pids
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------- dependencies

mkdir -p "$LOGS"
rm -f "$LOGS"/*
sweep_pids
rm -rf "$WORK"/test_* "$WORK"/manual "$WORK"/_zkrs_probe

# Another apt-get (another suite, another engineer) may hold the dpkg lock: wait for it.
APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-600}"
# shellcheck source=../lib/install.sh
. "$ROOT/tests/lib/install.sh"
# zookeeper: the server jar; the rest are the jars on ensemble.py's classpath
# (zookeeper.jar's manifest lacks netty-codec; no SLF4J binding by default), and Curator
# for test_read_only.py's CuratorReadOnly.java.
ensure_debs --jdk zookeeper libzookeeper-java libnetty-java liblog4j1.2-java libslf4j-java \
    libcurator-framework-java libcurator-client-java libguava-java
for j in zookeeper.jar zookeeper-jute.jar netty-codec.jar netty-resolver.jar slf4j-log4j12.jar log4j-1.2.jar; do
    [ -e "/usr/share/java/$j" ] || die "/usr/share/java/$j is missing"
done
command -v java >/dev/null 2>&1 || die "no java on PATH"
ensure_venv "$VENV" "$ROOT/tests/conformance/requirements.txt" .conformance-requirements

# ----------------------------------------------------------------------- zkrs

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
    t=$SECONDS
    (cd "$ROOT" && timeout 3600 cargo "${args[@]}") >"$LOGS/cargo-build.log" 2>&1 \
        || { tail -n 30 "$LOGS/cargo-build.log" >&2; die "cargo ${args[*]} failed (see $LOGS/cargo-build.log)"; }
    log "zkrs built in $((SECONDS - t)) s"
fi
if [ ! -x "$ZKRS_EXE" ]; then
    log "no zkrs binary at $ZKRS_EXE: the zkrs and mixed tests will skip"
fi

# ---------------------------------------------------------------------- tests

export ZKRS_EXE
export QUORUM_WORK="$WORK"
export ZK_SERVER_CP="/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar"
[ "$KEEP" = 1 ] && export QUORUM_KEEP=1
[ "$AS_JAVA" = 1 ] && export QUORUM_ZKRS_AS_JAVA=1
export PYTHONDONTWRITEBYTECODE=1

JUNIT="$LOGS/junit.xml"
PYTEST_ARGS=(-v -rfEs --durations=0 --durations-min=1 -p no:cacheprovider -p no:asyncio
             --rootdir "$HERE" --junitxml "$JUNIT" -o junit_family=xunit2)
[ -n "$ONLY" ] && PYTEST_ARGS+=(-k "$ONLY")
note=""
[ -n "$ONLY" ] && note+=", -k $ONLY"
[ "$AS_JAVA" = 1 ] && note+=", zkrs members run Apache ZooKeeper"
log "pytest tests/quorum (limit ${TIMEOUT} s$note)"
: >"$LOGS/pytest.log"
(
    cd "$HERE" || exit 2
    exec timeout -k 30 "$TIMEOUT" "$VENV/bin/python" -m pytest "${PYTEST_ARGS[@]}" \
        test_java_ensemble.py test_mixed_ensemble.py test_zkrs_ensemble.py test_reconfig.py \
        test_read_only.py
) >"$LOGS/pytest.log" 2>&1 </dev/null &
PYTEST_PID=$!
tail -n +1 -f --pid="$PYTEST_PID" "$LOGS/pytest.log" &
TAIL_PID=$!
wait "$PYTEST_PID"
PYTEST_RC=$?
PYTEST_PID=""
wait "$TAIL_PID" 2>/dev/null
TAIL_PID=""
[ "$PYTEST_RC" = 124 ] && log "pytest hit the ${TIMEOUT} s limit"

# ------------------------------------------------------------------- summary

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
if [ -s "$LOGS/notes.txt" ]; then
    echo "---- per-test notes ($LOGS/notes.txt)"
    cat "$LOGS/notes.txt"
fi
log "done in $((SECONDS - T0)) s (logs: $LOGS)"
echo "quorum: $P passed, $F failed, $S skipped"
if [ "$F" != 0 ] || { [ "$PYTEST_RC" != 0 ] && [ "$PYTEST_RC" != 5 ]; }; then
    # 5 = no test collected (e.g. --only matched nothing): not a failure of the suite
    [ "$F" != 0 ] || echo "pytest exited $PYTEST_RC" >&2
    exit 1
fi
exit 0
