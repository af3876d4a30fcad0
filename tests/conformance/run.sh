#!/usr/bin/env bash
# Conformance run: real ZooKeeper clients' test suites against a
# ZooKeeper-compatible server on 127.0.0.1.
#
#   tests/conformance/run.sh [--server zookeeper|zkrs|zookeeper-ensemble|zkrs-ensemble]
#                            [--suite all|kazoo|aiozk|curator|zkcli|climt[,...]]
#                            [--kazoo-managed] [-k EXPR] [--expect FILE]
#
# --server zookeeper  Apache ZooKeeper 3.8 from Debian (the reference)
# --server zkrs       target/release/zkrs (ZKRS_BIN=debug: target/debug/zkrs,
#                     ZKRS_BIN=/path: that binary); built with cargo if missing
# --server zookeeper-ensemble, --server zkrs-ensemble
#                     a 3-member ensemble of that server (tests/lib/ensemble_server.py,
#                     tests/quorum/ensemble.py); every client connects to one FOLLOWER
# --expect FILE       also fail unless each suite's "<suite>: N passed, M failed,
#                     K skipped" line equals that suite's line in FILE
# --kazoo-managed     run kazoo's suite with kazoo's own harness starting and
#                     stopping the servers (a `java` shim on PATH execs the
#                     chosen server); KAZOO_CLUSTER_SIZE (default 3 for
#                     zookeeper, 1 for zkrs) sets the ensemble size
# -k EXPR             run only the kazoo tests that pytest's `-k EXPR` selects
#                     (the kazoo suite's wall limit is then 420 s, not 360/900 s);
#                     e.g. tests/run.sh's restart step:
#                     --suite kazoo --kazoo-managed
#                     -k 'test_request_queuing and not Gevent and not Eventlet'
#
# Installs what it needs (apt packages, a venv in target/conformance-venv),
# starts the server on a free loopback port with a fresh dataDir, runs the
# suites, stops every process it started (by pid) and prints
#   <suite>: N passed, M failed, K skipped
#   N passed, M failed
# Exit status is non-zero if anything failed.  Logs: target/conformance/logs/.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/target/conformance-venv"
LOGS="$ROOT/target/conformance/logs"

SERVER=zookeeper
SUITES=all
KAZOO_MANAGED=0
KAZOO_K=""
EXPECT=""

usage() {
    sed -n '2,32p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --server) SERVER="${2:-}"; shift 2 ;;
        --server=*) SERVER="${1#*=}"; shift ;;
        --suite) SUITES="${2:-}"; shift 2 ;;
        --suite=*) SUITES="${1#*=}"; shift ;;
        --kazoo-managed) KAZOO_MANAGED=1; shift ;;
        -k) [ $# -ge 2 ] || { echo "run.sh: -k needs an expression" >&2; exit 2; }
            KAZOO_K="$2"; shift 2 ;;
        --expect) [ $# -ge 2 ] || { echo "run.sh: --expect needs a file" >&2; exit 2; }
            EXPECT="$2"; shift 2 ;;
        --expect=*) EXPECT="${1#*=}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$SERVER" in
    zookeeper|zkrs) KIND="$SERVER"; ENSEMBLE=0 ;;
    zookeeper-ensemble|zkrs-ensemble) KIND="${SERVER%-ensemble}"; ENSEMBLE=1 ;;
    *) echo "run.sh: --server must be zookeeper, zkrs, zookeeper-ensemble or zkrs-ensemble" >&2; exit 2 ;;
esac
if [ "$ENSEMBLE" = 1 ] && [ "$KAZOO_MANAGED" = 1 ]; then
    echo "run.sh: --kazoo-managed starts its own servers; it cannot be combined with --server $SERVER" >&2
    exit 2
fi
if [ -n "$EXPECT" ] && [ ! -r "$EXPECT" ]; then
    echo "run.sh: --expect: cannot read $EXPECT" >&2
    exit 2
fi
ALL_SUITES="kazoo aiozk curator zkcli climt"
if [ "$SUITES" = all ]; then
    SUITES="$ALL_SUITES"
else
    SUITES="${SUITES//,/ }"
    for s in $SUITES; do
        case " $ALL_SUITES " in *" $s "*) ;; *) echo "run.sh: unknown suite: $s" >&2; exit 2 ;; esac
    done
fi

# Every client and server talks to 127.0.0.1 only.
HOST=127.0.0.1
JAVA_DIR=/usr/share/java
ZK_SERVER_CP="$JAVA_DIR/zookeeper.jar:$JAVA_DIR/netty-codec.jar:$JAVA_DIR/netty-resolver.jar:$JAVA_DIR/slf4j-log4j12.jar:$JAVA_DIR/log4j-1.2.jar"
CURATOR_CP="$JAVA_DIR/curator-recipes.jar:$JAVA_DIR/curator-framework.jar:$JAVA_DIR/curator-client.jar:$JAVA_DIR/zookeeper.jar:$JAVA_DIR/zookeeper-jute.jar:$JAVA_DIR/guava.jar:$JAVA_DIR/slf4j-api.jar"
ZKCLI=/usr/share/zookeeper/bin/zkCli.sh
CLIMT=/usr/lib/zookeeper/bin/cli_mt
# ZooKeeper version the clients are told to expect (kazoo's harness needs it).
ZK_VERSION=3.8.0

log() { printf '[conformance %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

T_START=$SECONDS
WORK=""
SERVER_PID=""
SHIM_PIDFILE=""

# ------------------------------------------------------------------ cleanup

stop_pid() { # pid label [seconds before SIGKILL, default 10]
    local pid="$1" label="$2" wait_s="${3:-10}" i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 $((wait_s * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$label (pid $pid) ignored SIGTERM for $wait_s s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null
        sleep 0.5
    fi
    wait "$pid" 2>/dev/null
    if kill -0 "$pid" 2>/dev/null; then
        log "WARNING: $label (pid $pid) is still running"
        return 1
    fi
    return 0
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_server
    SERVER_PID=""
    if [ -n "$SHIM_PIDFILE" ] && [ -f "$SHIM_PIDFILE" ]; then
        local p
        while read -r p; do
            [ -n "$p" ] && stop_pid "$p" "kazoo-managed server"
        done < "$SHIM_PIDFILE"
    fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------- dependencies

# apt_install, ensure_debs, ensure_venv (shared with tests/quorum/run.sh).
PY_BOOT="${PYTHON:-python3}"
# shellcheck source=../lib/install.sh
. "$ROOT/tests/lib/install.sh"

ensure_apt_deps() {
    # zookeeper: server jar + zkCli.sh; zookeeper-bin: cli_mt; the rest are
    # jars named on the classpaths above (zookeeper.jar's manifest lacks
    # netty-codec, and there is no SLF4J binding by default).
    ensure_debs --jdk zookeeper zookeeper-bin libzookeeper-java libnetty-java liblog4j1.2-java \
        libslf4j-java libguava-java libcurator-client-java libcurator-framework-java \
        libcurator-recipes-java
}

ensure_venv_conformance() {
    ensure_venv "$VENV" "$HERE/requirements.txt" .conformance-requirements
}

ZKRS_EXE=""
ensure_zkrs() {
    local profile=release
    case "${ZKRS_BIN:-}" in
        "" | release) ZKRS_EXE="$ROOT/target/release/zkrs" ;;
        debug) ZKRS_EXE="$ROOT/target/debug/zkrs"; profile=debug ;;
        *) ZKRS_EXE="$ZKRS_BIN"; profile="" ;;
    esac
    if [ -x "$ZKRS_EXE" ]; then
        return 0
    fi
    [ -n "$profile" ] || die "ZKRS_BIN=$ZKRS_BIN is not an executable"
    command -v cargo >/dev/null 2>&1 || die "cargo not found; cannot build zkrs"
    log "building zkrs ($profile)"
    local args=(build -p zkrs --bin zkrs)
    [ "$profile" = release ] && args+=(--release)
    (cd "$ROOT" && cargo "${args[@]}") >"$LOGS/cargo-build.log" 2>&1 \
        || die "cargo ${args[*]} failed (see $LOGS/cargo-build.log)"
    [ -x "$ZKRS_EXE" ] || die "cargo built no $ZKRS_EXE"
}

# ------------------------------------------------------------------- server

free_port() {
    "$PY_BOOT" - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# Base port for kazoo's managed harness: 3 servers x 10 ports, all free.
free_port_block() {
    "$PY_BOOT" - <<'EOF'
import random, socket
for _ in range(200):
    base = random.randrange(30000, 50000, 10)
    socks = []
    try:
        for p in range(base, base + 40):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
else:
    raise SystemExit("no free port block")
EOF
}

fourlw() { # port cmd -> prints the answer (bounded to 3 s)
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "%s" "$2" >&3; cat <&3' \
        "$HOST" "$1" "$2" 2>/dev/null
}

PORT=""
SERVER_LOG=""
SERVER_STARTS=0
# Ensemble mode (--server *-ensemble): SERVER_PID is tests/lib/ensemble_server.py's, which
# owns the 3 members (stopped by pid on its SIGTERM, and dying with it); ENSEMBLE_* come
# from its info file.
ENSEMBLE_LEADER_SID=""
ENSEMBLE_LEADER_PORT=""
ENSEMBLE_FOLLOWER_SID=""
start_ensemble() {
    SERVER_STARTS=$((SERVER_STARTS + 1))
    local dir="$WORK/ensemble$SERVER_STARTS" kind=java i
    [ "$KIND" = zkrs ] && kind=zkrs
    mkdir -p "$dir"
    SERVER_LOG="$LOGS/ensemble-$SERVER_STARTS.log"
    # The same stock settings as the standalone zoo.cfg (ensemble.py adds the rest:
    # maxClientCnxns=0, 4lw.commands.whitelist=*, admin.enableServer=false).
    ZKRS_EXE="$ZKRS_EXE" ZK_SERVER_CP="$ZK_SERVER_CP" \
        "$VENV/bin/python" "$ROOT/tests/lib/ensemble_server.py" --kind "$kind" \
        --name "ensemble$SERVER_STARTS" --root "$dir" --info "$dir/info" --logs "$LOGS" \
        >"$SERVER_LOG" 2>&1 </dev/null &
    SERVER_PID=$!
    log "started a 3-member $KIND ensemble (launcher pid $SERVER_PID, log $SERVER_LOG)"
    for i in $(seq 1 300); do # at most ~150 s (3 JVMs electing on 2 cores: 3-10 s)
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "ensemble launcher exited during start-up; last log lines:"
            tail -n 30 "$SERVER_LOG" >&2
            SERVER_PID=""
            return 1
        fi
        [ -s "$dir/info" ] && break
        sleep 0.5
    done
    if [ ! -s "$dir/info" ]; then
        log "the ensemble had no quorum within 150 s"
        return 1
    fi
    # shellcheck disable=SC1090,SC1091
    . "$dir/info"
    PORT="$ENSEMBLE_FOLLOWER_PORT"
    log "ensemble ready in ${ENSEMBLE_ELECTION_SECONDS} s: leader s$ENSEMBLE_LEADER_SID" \
        "($HOST:$ENSEMBLE_LEADER_PORT), clients go to follower s$ENSEMBLE_FOLLOWER_SID" \
        "($HOST:$PORT); pids $ENSEMBLE_PIDS"
    local out
    out="$(fourlw "$PORT" srvr)"
    log "follower: $(grep -E '^(Zookeeper version|Mode):' <<<"$out" | tr '\n' ' ')"
    return 0
}

# Ensemble mode: logs the follower's and the leader's current mode (a re-election would
# mean the clients were not talking to a follower all along).
ensemble_check() { # label
    [ "$ENSEMBLE" = 1 ] || return 0
    local fm lm
    fm="$(fourlw "$PORT" srvr | sed -n 's/^Mode: //p')"
    lm="$(fourlw "$ENSEMBLE_LEADER_PORT" srvr | sed -n 's/^Mode: //p')"
    if [ "$fm" = follower ] && [ "$lm" = leader ]; then
        log "$1: s$ENSEMBLE_FOLLOWER_SID still follower, s$ENSEMBLE_LEADER_SID still leader"
    else
        log "WARNING $1: s$ENSEMBLE_FOLLOWER_SID (clients' server) is '${fm:-no answer}'," \
            "s$ENSEMBLE_LEADER_SID (leader at start) is '${lm:-no answer}'"
        NOTES[ensemble]+="after $1: follower ${fm:-no answer}, leader ${lm:-no answer}; "
    fi
}

stop_server() {
    if [ "$ENSEMBLE" = 1 ]; then
        # The launcher SIGTERMs its members (SIGKILL after 15 s) and copies their logs.
        stop_pid "$SERVER_PID" "ensemble launcher" 40
    else
        stop_pid "$SERVER_PID" "server"
    fi
    SERVER_PID=""
}

start_server() {
    if [ "$ENSEMBLE" = 1 ]; then
        start_ensemble
        return
    fi
    SERVER_STARTS=$((SERVER_STARTS + 1))
    local dir="$WORK/server$SERVER_STARTS"
    mkdir -p "$dir/data"
    PORT="$(free_port)" || die "no free port"
    cat >"$dir/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$PORT
clientPortAddress=$HOST
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
EOF
    SERVER_LOG="$LOGS/server-$SERVER_STARTS.log"
    case "$KIND" in
        zookeeper)
            cat >"$dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
EOF
            # Not `cd dir && java &`: that backgrounds a subshell whose pid is not the JVM's.
            java -Xmx512m -Dfile.encoding=UTF-8 -Dzookeeper.log.dir="$dir" \
                -Dlog4j.configuration="file:$dir/log4j.properties" \
                -cp "$ZK_SERVER_CP" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
                >"$SERVER_LOG" 2>&1 </dev/null &
            SERVER_PID=$!
            ;;
        zkrs)
            "$ZKRS_EXE" server "$dir/zoo.cfg" >"$SERVER_LOG" 2>&1 </dev/null &
            SERVER_PID=$!
            ;;
    esac
    log "started $SERVER (pid $SERVER_PID) on $HOST:$PORT, dataDir $dir/data, log $SERVER_LOG"
    local i out
    for i in $(seq 1 120); do # at most ~60 s
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server exited during start-up; last log lines:"
            tail -n 20 "$SERVER_LOG" >&2
            SERVER_PID=""
            return 1
        fi
        out="$(fourlw "$PORT" srvr)"
        if grep -q '^Mode:' <<<"$out"; then
            log "server ready: $(grep -E '^(Zookeeper version|Mode):' <<<"$out" | tr '\n' ' ')"
            return 0
        fi
        sleep 0.5
    done
    log "server did not report 'Mode:' to srvr within 60 s"
    return 1
}

# Restarts the server if it died (so one crash does not hide later suites).
ensure_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null \
        && grep -q '^Mode:' <<<"$(fourlw "$PORT" srvr)"; then
        return 0
    fi
    log "server is not running/answering; restarting it"
    [ "$ENSEMBLE" = 1 ] && NOTES[ensemble]+="the follower stopped answering: ensemble restarted; "
    stop_server
    start_server
}

# ---------------------------------------------------------------- reporting

declare -A PASSED FAILED SKIPPED NOTES
record() { # suite passed failed skipped [note]
    PASSED[$1]=$2
    FAILED[$1]=$3
    SKIPPED[$1]=$4
    NOTES[$1]="${5:-}"
}

# pytest junit xml -> "passed failed skipped"; failing test ids to $3
junit_counts() { # xml failures-out
    "$VENV/bin/python" - "$1" "$2" <<'EOF'
import sys
import xml.etree.ElementTree as ET
path, out = sys.argv[1], sys.argv[2]
try:
    root = ET.parse(path).getroot()
except Exception as e:  # no report: the run crashed or timed out
    print("0 1 0")
    open(out, "w").write("no junit report (%s)\n" % e)
    raise SystemExit
p = f = s = 0
lines = []
for tc in root.iter("testcase"):
    name = "%s::%s" % (tc.get("classname"), tc.get("name"))
    bad = [c for c in tc if c.tag in ("failure", "error")]
    if bad:
        f += 1
        msg = (bad[0].get("message") or "").splitlines()
        lines.append("%s [%s] %s" % (name, bad[0].tag, msg[0][:200] if msg else ""))
    elif any(c.tag == "skipped" for c in tc):
        s += 1
    else:
        p += 1
print(p, f, s)
open(out, "w").write("\n".join(lines) + ("\n" if lines else ""))
EOF
}

run_pytest_suite() { # suite timeout_s pytest-args...
    local suite="$1" limit="$2"
    shift 2
    local xml="$LOGS/$suite.xml" out="$LOGS/$suite.log" rc counts
    rm -f "$xml"
    (cd "$WORK" && env -u CI timeout -k 15 "$limit" "$VENV/bin/python" -m pytest \
        -p no:cacheprovider -W ignore -rfEs --junitxml="$xml" -o junit_family=xunit2 "$@") \
        >"$out" 2>&1
    rc=$?
    [ "$rc" = 124 ] && log "$suite: pytest hit the ${limit}s limit"
    counts="$(junit_counts "$xml" "$LOGS/$suite.failures")"
    # shellcheck disable=SC2086
    record "$suite" $counts
    if [ -s "$LOGS/$suite.failures" ]; then
        sed "s/^/  $suite FAILED: /" "$LOGS/$suite.failures" >&2
    fi
    tail -n 1 "$out" | sed "s/^/  $suite pytest: /" >&2
}

# ------------------------------------------------------------------- suites

suite_kazoo() {
    # -k EXPR: only the selected tests, under a shorter wall limit.
    local select=() managed_limit=900 external_limit=360
    if [ -n "$KAZOO_K" ]; then
        select=(-k "$KAZOO_K")
        managed_limit=420
        external_limit=420
        log "kazoo: only the tests selected by -k '$KAZOO_K'"
    fi
    if [ "$KAZOO_MANAGED" = 1 ]; then
        local size="${KAZOO_CLUSTER_SIZE:-}"
        [ -n "$size" ] || { [ "$KIND" = zookeeper ] && size=3 || size=1; }
        local offset
        offset="$(free_port_block)" || { record kazoo 0 1 0 "no free port block"; return; }
        SHIM_PIDFILE="$WORK/shim.pids"
        : >"$SHIM_PIDFILE"
        mkdir -p "$WORK/kazoo-tmp"
        local real_java
        real_java="$(command -v java)" || { record kazoo 0 1 0 "no java"; return; }
        log "kazoo (managed: harness starts $size $SERVER server(s) from port $offset via the java shim)"
        PATH="$HERE/java-shim:$PATH" \
        TMPDIR="$WORK/kazoo-tmp" \
        ZKRS_SHIM_SERVER="$KIND" ZKRS_SHIM_REAL_JAVA="$real_java" \
        ZKRS_SHIM_ZKRS_BIN="$ZKRS_EXE" ZKRS_SHIM_PIDFILE="$SHIM_PIDFILE" \
        ZKRS_SHIM_LOG="$LOGS/java-shim.log" \
        KAZOO_MODE=managed PYTHONPATH="$HERE" \
        ZOOKEEPER_CLASSPATH="$ZK_SERVER_CP:$JAVA_DIR/servlet-api.jar" ZOOKEEPER_VERSION="$ZK_VERSION" \
        ZOOKEEPER_CLUSTER_SIZE="$size" ZOOKEEPER_PORT_OFFSET="$offset" \
            run_pytest_suite kazoo "$managed_limit" -p kazoo_external --timeout=240 \
            "${select[@]}" --pyargs kazoo.tests
    else
        log "kazoo (external server $HOST:$PORT)"
        KAZOO_EXTERNAL="$HOST:$PORT" KAZOO_MODE=external PYTHONPATH="$HERE" \
        ZOOKEEPER_VERSION="$ZK_VERSION" \
            run_pytest_suite kazoo "$external_limit" -p kazoo_external --timeout=60 \
            "${select[@]}" --pyargs kazoo.tests
    fi
}

suite_aiozk() {
    log "aiozk (ZK_HOST=$HOST ZK_PORT=$PORT)"
    ZK_HOST="$HOST" ZK_PORT="$PORT" \
        run_pytest_suite aiozk 180 --timeout=60 -o asyncio_mode=auto \
        -o asyncio_default_fixture_loop_scope=function --pyargs aiozk.test
}

suite_curator() {
    log "curator (CuratorCheck.java, Curator 5.4 from Debian)"
    local out="$LOGS/curator.log" classes="$WORK/curator-classes" rc
    mkdir -p "$classes"
    if ! javac -nowarn -Xlint:none -cp "$CURATOR_CP" -d "$classes" "$HERE/CuratorCheck.java" >"$out" 2>&1; then
        log "javac CuratorCheck.java failed (see $out)"
        record curator 0 1 0 "compile error"
        return
    fi
    timeout -k 10 150 java -Xmx256m -cp "$classes:$CURATOR_CP:$JAVA_DIR/slf4j-nop.jar" \
        CuratorCheck "$HOST:$PORT" >>"$out" 2>&1
    rc=$?
    local line
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)"
    if [ -z "$line" ]; then
        log "CuratorCheck printed no summary (exit $rc, see $out)"
        record curator "$(grep -c '^PASS ' "$out")" "$(( $(grep -c '^FAIL ' "$out") + 1 ))" 0
    else
        # shellcheck disable=SC2086
        set -- $line
        record curator "$1" "$3" 0
        if [ "$rc" != 0 ] && [ "$3" = 0 ]; then
            FAILED[curator]=1
        fi
    fi
    grep '^FAIL ' "$out" | sed 's/^/  curator /' >&2
}

# -- zkCli.sh: one JVM per command, checked by exit status and output.
CHECK_P=0
CHECK_F=0
check_result() { # log name ok(0/1) detail
    local logf="$1" name="$2" ok="$3" detail="$4"
    if [ "$ok" = 0 ]; then
        CHECK_P=$((CHECK_P + 1))
        echo "PASS $name" >>"$logf"
    else
        CHECK_F=$((CHECK_F + 1))
        echo "FAIL $name: $detail" >>"$logf"
        echo "  FAIL $name: $detail" >&2
    fi
}

# Per-suite time budget for the command-line suites: once it is spent (a
# hung server makes every command wait for its timeout) the remaining checks
# are failed without running.
SUITE_DEADLINE=0
over_budget() { # log name
    if [ "$SECONDS" -ge "$SUITE_DEADLINE" ]; then
        check_result "$1" "$2" 1 "not run: suite time budget exhausted"
        return 0
    fi
    return 1
}

ZKCLI_LOG=""
zkcli_out() { # args... -> cleaned output, exit status of zkCli
    timeout -k 5 30 "$ZKCLI" -server "$HOST:$PORT" "$@" 2>&1 \
        | grep -v -E '^(SLF4J: |WATCHER::|WatchedEvent state:|Connecting to |Welcome to ZooKeeper|JLine support|$)'
    return "${PIPESTATUS[0]}"
}

# zkc NAME EXPECTED_RC REGEX ARGS...   (REGEX "" = no output check; a leading
# "!" means the output must NOT match)
zkc() {
    local name="$1" want_rc="$2" re="$3" out rc ok=0 detail=""
    shift 3
    over_budget "$ZKCLI_LOG" "$name" && return
    out="$(zkcli_out "$@")"
    rc=$?
    {
        echo "--- $name: zkCli.sh $* (exit $rc)"
        printf '%s\n' "$out"
    } >>"$ZKCLI_LOG"
    if [ "$rc" != "$want_rc" ]; then
        ok=1
        detail="exit $rc, expected $want_rc; output: $(head -c 300 <<<"$out" | tr '\n' '|')"
    elif [ -n "$re" ]; then
        if [ "${re:0:1}" = "!" ]; then
            grep -qE -- "${re:1}" <<<"$out" && { ok=1; detail="output matches /${re:1}/: $(head -c 300 <<<"$out" | tr '\n' '|')"; }
        else
            grep -qE -- "$re" <<<"$out" || { ok=1; detail="output lacks /$re/: $(head -c 300 <<<"$out" | tr '\n' '|')"; }
        fi
    fi
    check_result "$ZKCLI_LOG" "$name" "$ok" "$detail"
    LAST_OUT="$out"
}

# zkc_script NAME REGEX... < script   (zkCli.sh reading commands from stdin;
# every REGEX must match, "!REGEX" must not)
zkc_script() {
    local name="$1" out ok=0 detail="" re
    shift
    if over_budget "$ZKCLI_LOG" "$name"; then cat >/dev/null; return; fi
    out="$(timeout -k 5 30 "$ZKCLI" -server "$HOST:$PORT" 2>&1 \
        | grep -v -E '^(SLF4J: |WATCHER::|WatchedEvent state:|Connecting to |Welcome to ZooKeeper|JLine support|$)')"
    {
        echo "--- $name: zkCli.sh script"
        printf '%s\n' "$out"
    } >>"$ZKCLI_LOG"
    for re in "$@"; do
        if [ "${re:0:1}" = "!" ]; then
            if grep -qE -- "${re:1}" <<<"$out"; then ok=1; detail+="matches /${re:1}/; "; fi
        else
            if ! grep -qE -- "$re" <<<"$out"; then ok=1; detail+="lacks /$re/; "; fi
        fi
    done
    [ "$ok" = 0 ] || detail+="output: $(head -c 400 <<<"$out" | tr '\n' '|')"
    check_result "$ZKCLI_LOG" "$name" "$ok" "$detail"
}

digest_of() { # user:password -> base64(sha1)
    "$PY_BOOT" -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha1(sys.argv[1].encode()).digest()).decode())' "$1"
}

suite_zkcli() {
    log "zkcli (zkCli.sh one-shot commands)"
    ZKCLI_LOG="$LOGS/zkcli.log"
    : >"$ZKCLI_LOG"
    SUITE_DEADLINE=$((SECONDS + 150))
    CHECK_P=0
    CHECK_F=0
    # Faster JVM start-up for the many short-lived zkCli.sh JVMs.
    export CLIENT_JVMFLAGS="-Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto"
    local r="/zkcli_$$_$RANDOM" h
    h="$(digest_of alice:secret)"

    zkc ls_root 0 '^\[.*zookeeper.*\]$' ls /
    zkc ls_zookeeper 0 '^\[config, quota\]$' ls /zookeeper
    zkc create 0 "^Created $r\$" create "$r" hello
    zkc create_exists 1 "Node already exists: $r" create "$r" again
    zkc create_no_parent 1 "Node does not exist: $r/x/y" create "$r/x/y" d
    zkc create_ephemeral 0 "^Created $r/eph\$" create -e "$r/eph" e
    # zkCli.sh's one-shot mode exits without closing its session: the
    # ephemeral stays until that session expires (checked at the end).
    local eph_t0=$SECONDS
    zkc ephemeral_owner 0 '^ephemeralOwner = 0x[0-9a-f]*[1-9a-f][0-9a-f]*$' stat "$r/eph"
    zkc create_sequential 0 "^Created $r/seq-[0-9]{10}\$" create -s "$r/seq-" s
    local seq
    seq="$(sed -n "s|^Created \($r/seq-[0-9]*\)\$|\1|p" <<<"$LAST_OUT")"
    zkc create_container 0 "^Created $r/cont\$" create -c "$r/cont" c
    zkc get 0 '^hello$' get "$r"
    zkc get_s 0 '^dataVersion = 0$' get -s "$r"
    zkc get_s_stat_fields 0 '^ephemeralOwner = 0x0$' get -s "$r"
    zkc get_missing 1 "Node does not exist: $r/missing" get "$r/missing"
    zkc set 0 '' set "$r" world
    zkc get_after_set 0 '^world$' get "$r"
    zkc get_s_after_set 0 '^dataVersion = 1$' get -s "$r"
    zkc set_bad_version 1 'version No is not valid' set -v 0 "$r" x
    zkc set_good_version 0 '' set -v 1 "$r" world2
    zkc ls 0 "^\[cont, eph, seq-[0-9]{10}\]\$" ls "$r"
    zkc ls_s 0 '^numChildren = 3$' ls -s "$r"
    zkc ls_R 0 "^$r/seq-[0-9]{10}\$" ls -R "$r"
    zkc stat 0 '^dataVersion = 2$' stat "$r"
    zkc stat_missing 1 "Node does not exist: $r/missing" stat "$r/missing"
    zkc getAllChildrenNumber 0 '^3$' getAllChildrenNumber "$r"
    zkc delete_not_empty 1 "Node not empty: $r" delete "$r"
    if [ -n "$seq" ]; then
        zkc delete 0 '' delete "$seq"
    else
        check_result "$ZKCLI_LOG" delete 1 "no sequential node name from create -s"
    fi
    zkc delete_missing 1 "Node does not exist: $r/missing" delete "$r/missing"
    zkc sync 0 'Sync is OK' sync "$r"
    zkc config 0 '' config
    zkc whoami 0 '^ip: 127\.0\.0\.1$' whoami
    zkc getAcl_default 0 "^'world,'anyone\$" getAcl "$r"
    zkc create_acl_node 0 "^Created $r/acl\$" create "$r/acl" secretdata
    zkc setAcl_digest 0 '' setAcl "$r/acl" "digest:alice:$h:cdrwa"
    zkc get_noauth 1 "Insufficient permission : $r/acl" get "$r/acl"
    zkc getAcl_noauth 1 "Insufficient permission : $r/acl" getAcl "$r/acl"
    zkc delete_noauth_child 1 "Insufficient permission" delete "$r/acl/nokid"
    printf 'addauth digest alice:secret\nget %s\ngetAcl %s\nwhoami\ncreate %s/kid k\nquit\n' \
        "$r/acl" "$r/acl" "$r/acl" | zkc_script addauth_digest \
        '^secretdata$' "^'digest,'alice:$h\$" '^: cdrwa$' '^digest: alice$' "^Created $r/acl/kid\$"
    printf 'addauth digest alice:wrong\nget %s\nquit\n' "$r/acl" | zkc_script addauth_wrong_password \
        "Insufficient permission : $r/acl" '!^secretdata$'
    printf 'create -e %s/e2 x\ngetEphemerals %s\nquit\n' "$r" "$r" | zkc_script getEphemerals \
        "^Created $r/e2\$" "^\[$r/e2\]\$"
    zkc create_quota_node 0 "^Created $r/q\$" create "$r/q" q
    zkc setquota 0 '' setquota -n 5 "$r/q"
    zkc listquota 0 "^Output quota for $r/q count=5,bytes=-1" listquota "$r/q"
    zkc listquota_stat 0 "^Output stat for $r/q count=1,bytes=1\$" listquota "$r/q"
    # Session expiry: the one-shot session that made $r/eph is never closed;
    # the server must expire it (zkCli asks for 30 s) and remove the node.
    local gone=1 out
    while [ $((SECONDS - eph_t0)) -lt 75 ] && [ "$SECONDS" -lt "$SUITE_DEADLINE" ]; do
        out="$(zkcli_out stat "$r/eph")"
        if grep -q "Node does not exist: $r/eph" <<<"$out"; then gone=0; break; fi
        sleep 2
    done
    echo "--- ephemeral_removed_on_session_expiry: gone=$gone after $((SECONDS - eph_t0)) s" >>"$ZKCLI_LOG"
    check_result "$ZKCLI_LOG" ephemeral_removed_on_session_expiry "$gone" \
        "$r/eph still exists $((SECONDS - eph_t0)) s after its session was abandoned"
    printf 'addauth digest alice:secret\ndeleteall %s\nstat %s\nquit\n' "$r" "$r" | zkc_script deleteall \
        "Node does not exist: $r\$" '!Insufficient permission'
    unset CLIENT_JVMFLAGS
    record zkcli "$CHECK_P" "$CHECK_F" 0
}

# -- cli_mt (C client, libzookeeper_mt).  Batch mode (-c) only ends for
# commands whose completion sets the shutdown flag (create, create2, get, set,
# ls, ls2, delete, sync); exists/addauth are synchronous and never end batch
# mode, so they run in piped interactive sessions ending with quit.  `create`
# always writes "new" and takes the whole rest of the line as the path.
CLIMT_LOG=""
climt_out() { # cmd
    timeout -k 5 15 "$CLIMT" -h "$HOST:$PORT" -c "$1" 2>&1 \
        | grep -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,]+:[0-9]+\(0x'
    return "${PIPESTATUS[0]}"
}

# cmt NAME "command" REGEX...   (each REGEX must match; "!REGEX" must not)
cmt() {
    local name="$1" cmd="$2" out rc ok=0 detail="" re
    shift 2
    over_budget "$CLIMT_LOG" "$name" && return
    out="$(climt_out "$cmd")"
    rc=$?
    {
        echo "--- $name: cli_mt -c \"$cmd\" (exit $rc)"
        printf '%s\n' "$out"
    } >>"$CLIMT_LOG"
    if [ "$rc" != 0 ]; then
        ok=1
        detail="exit $rc (124 = timed out); "
    fi
    for re in "$@"; do
        if [ "${re:0:1}" = "!" ]; then
            if grep -qE -- "${re:1}" <<<"$out"; then ok=1; detail+="matches /${re:1}/; "; fi
        else
            if ! grep -qE -- "$re" <<<"$out"; then ok=1; detail+="lacks /$re/; "; fi
        fi
    done
    [ "$ok" = 0 ] || detail+="output: $(head -c 300 <<<"$out" | tr '\n' '|')"
    check_result "$CLIMT_LOG" "$name" "$ok" "$detail"
    LAST_OUT="$out"
}

# cmt_session NAME REGEX... -- cmd...   (piped interactive session, 0.4 s
# between commands: without pauses cli_mt reports rc=-116 ZCLOSING)
cmt_session() {
    local name="$1" res=() out ok=0 detail="" re c
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do res+=("$1"); shift; done
    shift
    over_budget "$CLIMT_LOG" "$name" && return
    out="$( { sleep 0.8; for c in "$@"; do printf '%s\n' "$c"; sleep 0.4; done; echo quit; sleep 0.3; } \
        | timeout -k 5 30 "$CLIMT" -h "$HOST:$PORT" 2>&1 \
        | grep -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,]+:[0-9]+\(0x')"
    {
        echo "--- $name: cli_mt session: $*"
        printf '%s\n' "$out"
    } >>"$CLIMT_LOG"
    for re in "${res[@]}"; do
        if [ "${re:0:1}" = "!" ]; then
            if grep -qE -- "${re:1}" <<<"$out"; then ok=1; detail+="matches /${re:1}/; "; fi
        else
            if ! grep -qE -- "$re" <<<"$out"; then ok=1; detail+="lacks /$re/; "; fi
        fi
    done
    [ "$ok" = 0 ] || detail+="output: $(head -c 300 <<<"$out" | tr '\n' '|')"
    check_result "$CLIMT_LOG" "$name" "$ok" "$detail"
}

suite_climt() {
    log "climt (C client cli_mt)"
    CLIMT_LOG="$LOGS/climt.log"
    : >"$CLIMT_LOG"
    SUITE_DEADLINE=$((SECONDS + 90))
    CHECK_P=0
    CHECK_F=0
    local r="/climt_$$_$RANDOM" h
    h="$(digest_of alice:secret)"

    cmt create "create $r" "^\[$r\]: rc = 0\$" "name = $r\$"
    cmt create_exists "create $r" "^\[$r\]: rc = -110\$"
    cmt create_no_parent "create $r/x/y" "^\[$r/x/y\]: rc = -101\$"
    cmt get "get $r" "^$r: rc = 0\$" '^ value_len = 3$' '^new$'
    cmt set "set $r hello" "^$r: rc = 0 Stat:" 'version=1'
    cmt get_after_set "get $r" "^$r: rc = 0\$" '^hello$' 'version=1'
    cmt get_missing "get $r/missing" "^$r/missing: rc = -101\$"
    cmt create_sequential "create +s $r/s" "^\[$r/s\]: rc = 0\$" "name = $r/s[0-9]{10}\$"
    local seq
    seq="$(sed -n "s|^[[:space:]]*name = \($r/s[0-9]*\)\$|\1|p" <<<"$LAST_OUT")"
    cmt create_ephemeral "create +e $r/e" "^\[$r/e\]: rc = 0\$" "name = $r/e\$"
    cmt create_ephemeral_sequential "create +es $r/es" "^\[$r/es\]: rc = 0\$" "name = $r/es[0-9]{10}\$"
    cmt create2 "create2 $r/c2" "^\[$r/c2\]: rc = 0\$"
    cmt ls "ls $r" "^$r: rc = 0\$" '^\s+c2$' '^\s+s[0-9]{10}$' '!^\s+e(s[0-9]*)?$'
    cmt ls2 "ls2 $r" "^$r: rc = 0\$" '^\s+c2$' 'version=1'
    cmt ls_missing "ls $r/missing" "^$r/missing: rc = -101\$"
    cmt sync "sync $r" "^\[$r\]: rc = 0\$"
    cmt delete_not_empty "delete $r" "^$r: rc = -111\$"
    cmt delete_missing "delete $r/missing" "^$r/missing: rc = -101\$"
    cmt delete "delete $r/c2" "^$r/c2: rc = 0\$"
    cmt_session exists "^Error -101 for $r/missing\$" "!Error -?[0-9]+ for $r\$" -- \
        "exists $r" "exists $r/missing"
    # A digest-protected node, made with zkCli.sh (cli_mt cannot set ACLs).
    local acl_ok=0
    timeout -k 5 30 "$ZKCLI" -server "$HOST:$PORT" create "$r/acl" secretdata "digest:alice:$h:cdrwa" \
        >>"$CLIMT_LOG" 2>&1 || acl_ok=1
    check_result "$CLIMT_LOG" setup_acl_node_with_zkcli "$acl_ok" "zkCli.sh create with digest ACL failed"
    cmt get_noauth "get $r/acl" "^$r/acl: rc = -102\$"
    cmt_session addauth_digest "^$r/acl: rc = 0\$" '^secretdata$' -- \
        "addauth digest alice:secret" "get $r/acl"
    cmt_session addauth_wrong "^$r/acl: rc = -102\$" '!^secretdata$' -- \
        "addauth digest alice:wrong" "get $r/acl"
    cmt_session delete_tree "^$r/acl: rc = 0\$" "^$r: rc = 0\$" -- \
        "addauth digest alice:secret" "delete $r/acl" "delete ${seq:-$r/s-unknown}" "delete $r"
    cmt gone "get $r" "^$r: rc = -101\$"
    record climt "$CHECK_P" "$CHECK_F" 0
}

# --------------------------------------------------------------------- main

mkdir -p "$LOGS"
rm -f "$LOGS"/*
ensure_apt_deps
ensure_venv_conformance
if [ "$KIND" = zkrs ]; then
    ensure_zkrs
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/zkrs-conformance.XXXXXX")"

if ! start_server; then
    for s in $SUITES; do record "$s" 0 1 0 "server did not start"; done
else
    for s in $SUITES; do
        if ! ensure_server; then
            record "$s" 0 1 0 "server not running"
            continue
        fi
        t0=$SECONDS
        "suite_$s"
        log "$s: ${PASSED[$s]} passed, ${FAILED[$s]} failed, ${SKIPPED[$s]} skipped ($((SECONDS - t0)) s)"
        ensemble_check "$s"
    done
    if [ -n "$SERVER_PID" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
        log "WARNING: the server is no longer running at the end of the run"
    fi
fi

TOTAL_P=0
TOTAL_F=0
{
    echo "server: $SERVER ($(date -u +%Y-%m-%dT%H:%M:%SZ), $((SECONDS - T_START)) s)"
    if [ "$ENSEMBLE" = 1 ]; then
        if [ -n "${NOTES[ensemble]:-}" ]; then
            echo "ensemble: ROLES CHANGED: ${NOTES[ensemble]}"
        else
            echo "ensemble: 3 $KIND members; clients at follower s${ENSEMBLE_FOLLOWER_SID:-?}, leader s${ENSEMBLE_LEADER_SID:-?}, roles unchanged after every suite"
        fi
    fi
    for s in $SUITES; do
        note="${NOTES[$s]:-}"
        echo "$s: ${PASSED[$s]} passed, ${FAILED[$s]} failed, ${SKIPPED[$s]} skipped${note:+ ($note)}"
        TOTAL_P=$((TOTAL_P + PASSED[$s]))
        TOTAL_F=$((TOTAL_F + FAILED[$s]))
    done
    echo "$TOTAL_P passed, $TOTAL_F failed"
} | tee "$LOGS/summary.txt"
TOTAL_F="$(tail -n 1 "$LOGS/summary.txt" | sed -E 's/.* ([0-9]+) failed$/\1/')"
RC=0
[ "$TOTAL_F" = 0 ] || RC=1
if [ "$ENSEMBLE" = 1 ] && grep -q '^ensemble: ROLES CHANGED' "$LOGS/summary.txt"; then
    log "the clients' follower or the leader changed role during the run (see above)"
    RC=1
fi
if [ -n "$EXPECT" ]; then
    # Each suite's counts must equal the reference's (e.g. the same suites against an
    # ensemble of Apache ZooKeeper 3.8).
    bad=0
    for s in $SUITES; do
        want="$(grep -E "^$s: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped" "$EXPECT" | head -n 1 \
            | sed -E 's/^([a-z]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped).*/\1/')"
        got="$s: ${PASSED[$s]} passed, ${FAILED[$s]} failed, ${SKIPPED[$s]} skipped"
        if [ "$got" != "$want" ]; then
            log "expected (--expect $EXPECT) '${want:-no line for $s}', got '$got'"
            bad=1
        fi
    done
    if [ "$bad" = 0 ]; then
        log "counts equal those in $EXPECT"
    else
        RC=1
    fi
fi
exit "$RC"
