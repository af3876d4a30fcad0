#!/usr/bin/env bash
# zkCli conformance: the same scripted sessions through Apache ZooKeeper 3.8.0's Java zkCli.sh
# (Debian's `zookeeper` package) and through `zkrs zkCli.sh`, each against a fresh zkrs server;
# the transcripts (stdout, stderr, exit status) must be identical after normalizing what has to
# differ (ctime/mtime, session ids, the CLI version line, the Java client's SLF4J lines).
#
#   tests/cli/run.sh [--no-build] [--keep]
#
# --no-build  use target/release/zkrs as it is
# --keep      keep the work directory (transcripts, diffs, server logs)
#
# Sessions (tests/cli/sessions/):
#   basic.txt, quota.txt  interactive, one line fed every $CLI_LINE_DELAY seconds (0.2) so that
#                         watch events land where Java's event thread prints them
#   restart.txt           interactive with -timeout 4000; `#sleep N` idles (pings keep the session),
#                         `#restart` kills the server (SIGKILL) and starts it again on the same
#                         data directory and port: the session and its watch survive
#   oneshot.txt           one command per line as `zkCli.sh -server ... <cmd>`, plus the
#                         launch-option cases listed in ONESHOT_FLAGS below
#   oneshot-local.txt     one-shot commands that exit without waiting for the server, incl.
#                         `quit` and `close` (run last: whether their session got created before
#                         the exit is a race in Java too, so their SyncConnected event is
#                         dropped, and the createSession/closeSession zxids they may or may not
#                         use cannot shift the zxids printed by later cases)
#   reconfig.txt          interactive, against ensembles of three zkrs members started afresh for
#                         each CLI by tests/cli/ensemble_session.py (tests/quorum/ensemble.py):
#                         reconfigEnabled=true with a super user (config -c/-s/-w, reconfig
#                         -add/-remove/-members/-file/-s/-v, NoAuth, BadVersion, BadArguments,
#                         NewConfigNoQuorum, `reconfig -file` parse errors), then `connect` to
#                         a reconfigEnabled=false ensemble; ports and file paths are replaced by
#                         their names (<C1>, <Q2>, <dir>, ...)
# Prints `cli: N passed, M failed` last; exits 1 on any failure.
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD=1
KEEP=0
for a in "$@"; do
    case "$a" in
        --no-build) BUILD=0 ;;
        --keep) KEEP=1 ;;
        *) echo "usage: tests/cli/run.sh [--no-build] [--keep]" >&2; exit 2 ;;
    esac
done

WORK="$(mktemp -d /tmp/zkrs-cli-test.XXXXXX)"
LOGS="$WORK/logs"
mkdir -p "$LOGS"
log() { echo "cli: $*" >&2; }
die() { echo "cli: $*" >&2; exit 1; }
SERVER_PID=""
cleanup() {
    if [ -f "$WORK/server.pid" ]; then
        kill "$(cat "$WORK/server.pid")" 2>/dev/null
    fi
    if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

# shellcheck source=../lib/install.sh
. "$ROOT/tests/lib/install.sh"
ZKCLI_JAVA=/usr/share/zookeeper/bin/zkCli.sh
need=()
for p in zookeeper libzookeeper-java libslf4j-java; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
apt_install "${need[@]}"
[ -x "$ZKCLI_JAVA" ] || die "$ZKCLI_JAVA missing"
command -v python3 >/dev/null 2>&1 || die "python3 missing (tests/cli/ensemble_session.py)"

if [ "$BUILD" = 1 ]; then
    log "cargo build --release -p zkrs"
    (cd "$ROOT" && cargo build --release -p zkrs) >"$LOGS/build.log" 2>&1 || die "build failed (see $LOGS/build.log)"
fi
ZKRS="$ROOT/target/release/zkrs"
[ -x "$ZKRS" ] || die "$ZKRS missing (build it or drop --no-build)"

# Faster start for the many short-lived JVMs; UTF-8 output like zkrs.
export CLIENT_JVMFLAGS="-Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8 -Dsun.stderr.encoding=UTF-8"
LINE_DELAY="${CLI_LINE_DELAY:-0.2}"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 20000))
        port_busy "$p" || { echo "$p"; return; }
    done
}
PORT="$(pick_port)"
DEAD_PORT="$(pick_port)"
while [ "$DEAD_PORT" = "$PORT" ]; do DEAD_PORT="$(pick_port)"; done
SERVER="127.0.0.1:$PORT"

start_server() { # fresh|reuse
    local dir="$WORK/server"
    if [ "$1" = fresh ]; then
        rm -rf "$dir"
        mkdir -p "$dir/data"
        cat >"$dir/zoo.cfg" <<CFG
tickTime=2000
dataDir=$dir/data
clientPort=$PORT
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
admin.enableServer=false
reconfigEnabled=true
extendedTypesEnabled=true
CFG
    fi
    # Started from a subshell that exits at once: no job notices when it is killed.
    ("$ZKRS" server "$dir/zoo.cfg" >>"$LOGS/server.log" 2>&1 &
        echo $! >"$WORK/server.pid")
    local i
    for i in $(seq 1 100); do
        port_busy "$PORT" && return 0
        sleep 0.05
    done
    die "zkrs server did not start (see $LOGS/server.log)"
}
stop_server() { # TERM|KILL
    [ -f "$WORK/server.pid" ] || return 0
    local pid
    pid="$(cat "$WORK/server.pid")"
    kill -"$1" "$pid" 2>/dev/null
    local i
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    rm -f "$WORK/server.pid"
}

client() { # java|rust args...
    local impl="$1"
    shift
    if [ "$impl" = java ]; then
        "$ZKCLI_JAVA" "$@"
    else
        "$ZKRS" zkCli.sh "$@"
    fi
}

normalize() {
    sed -E \
        -e '/^SLF4J: /d' \
        -e 's/^(c|m)time = .*/\1time = <time>/' \
        -e 's/^ephemeralOwner = 0x[0-9a-f]*[1-9a-f][0-9a-f]*$/ephemeralOwner = <session>/' \
        -e 's/^ZooKeeper CLI version: .*/ZooKeeper CLI version: <version>/'
}

# transcript OUT: appends stdout, stderr and the exit status of the command that wrote
# $WORK/o, $WORK/e, $WORK/rc.
transcript() {
    {
        echo "--- stdout"
        normalize <"$WORK/o"
        echo "--- stderr"
        normalize <"$WORK/e"
        echo "--- exit $(cat "$WORK/rc")"
    } >>"$1"
}

feed() { # session file
    local line
    while IFS= read -r line || [ -n "$line" ]; do
        if [[ "$line" == "#sleep "* ]]; then
            sleep "${line#\#sleep }"
            continue
        fi
        if [ "$line" = "#restart" ]; then
            stop_server KILL
            sleep 0.5
            start_server reuse
            sleep 4
            continue
        fi
        printf '%s\n' "${line//@SERVER@/$SERVER}"
        sleep "$LINE_DELAY"
    done <"$1"
    sleep 1
}

PASS=0
FAIL=0
check() { # name
    local name="$1"
    if diff -u "$WORK/$name.java" "$WORK/$name.rust" >"$WORK/$name.diff"; then
        PASS=$((PASS + 1))
        log "ok   $name"
    else
        FAIL=$((FAIL + 1))
        log "FAIL $name (java vs zkrs):"
        head -60 "$WORK/$name.diff" >&2
    fi
}

interactive() { # session
    local s="$1" impl
    for impl in java rust; do
        : >"$WORK/$s.$impl"
        start_server fresh
        # restart: a short session timeout, so pings must keep it alive while idle.
        local flags=()
        [ "$s" = restart ] && flags=(-timeout 4000)
        feed "$HERE/sessions/$s.txt" | client "$impl" -server "$SERVER" "${flags[@]}" >"$WORK/o" 2>"$WORK/e"
        echo $? >"$WORK/rc"
        stop_server TERM
        transcript "$WORK/$s.$impl"
    done
    check "$s"
}

# Launch options; @SERVER@, @DEAD@ (a closed port) are substituted. One case per line.
ONESHOT_FLAGS=(
    "-timeout 5000 -server @SERVER@ ls /"
    "-server @SERVER@ -waitforconnection ls /zookeeper"
    "-r -server @SERVER@ get /zookeeper/quota"
    # Java fails requests queued while a connection attempt fails (ConnectionLoss) and
    # shuffles the hosts: only a waited-for connection makes this deterministic.
    "-server @DEAD@,@SERVER@ -waitforconnection ls /"
    "-server @SERVER@ create /c"
    "-server @SERVER@ create /c/x one"
    "-server @SERVER@/c ls /"
    "-server @SERVER@/c get -s /x"
    "-server @SERVER@/c create /y two"
    "-server @SERVER@/c stat /y"
    "-server @SERVER@ -timeout"
    "-server @SERVER@ deleteall /c"
)

oneshot() {
    local impl line args
    for impl in java rust; do
        : >"$WORK/oneshot.$impl"
        start_server fresh
        while IFS= read -r line; do
            read -r -a args <<<"$line"
            echo "=== $line" >>"$WORK/oneshot.$impl"
            client "$impl" -server "$SERVER" "${args[@]}" >"$WORK/o" 2>"$WORK/e" </dev/null
            echo $? >"$WORK/rc"
            transcript "$WORK/oneshot.$impl"
        done <"$HERE/sessions/oneshot.txt"
        for line in "${ONESHOT_FLAGS[@]}"; do
            line="${line//@SERVER@/$SERVER}"
            line="${line//@DEAD@/127.0.0.1:$DEAD_PORT}"
            read -r -a args <<<"$line"
            echo "=== $line" >>"$WORK/oneshot.$impl"
            client "$impl" "${args[@]}" >"$WORK/o" 2>"$WORK/e" </dev/null
            echo $? >"$WORK/rc"
            transcript "$WORK/oneshot.$impl"
        done
        while IFS= read -r line; do
            read -r -a args <<<"$line"
            echo "=== $line" >>"$WORK/oneshot.$impl"
            client "$impl" -server "$SERVER" "${args[@]}" >"$WORK/o.raw" 2>"$WORK/e" </dev/null
            echo $? >"$WORK/rc"
            sed -e '/^WATCHER::$/d' -e '/^WatchedEvent state:SyncConnected type:None path:null$/d' \
                -e '/^$/d' "$WORK/o.raw" >"$WORK/o"
            transcript "$WORK/oneshot.$impl"
        done <"$HERE/sessions/oneshot-local.txt"
        stop_server TERM
    done
    check oneshot
}

# An interactive session against fresh ensembles (see ensemble_session.py).
ensemble_case() { # session
    local s="$1" impl
    for impl in java rust; do
        : >"$WORK/$s.$impl"
        local cmd=("$ZKCLI_JAVA")
        [ "$impl" = rust ] && cmd=("$ZKRS" zkCli.sh)
        CLI_KEEP="$KEEP" ZKRS_EXE="$ZKRS" QUORUM_RUST_LOG=warn timeout 600 python3 "$HERE/ensemble_session.py" \
            --work "$WORK/ens-$s-$impl" --session "$HERE/sessions/$s.txt" --out "$WORK/ens" \
            --delay "$LINE_DELAY" -- "${cmd[@]}" >"$LOGS/ens-$s-$impl.log" 2>&1 ||
            log "ensemble_session.py failed for $impl (see $LOGS/ens-$s-$impl.log)"
        for f in o e rc; do
            if [ -f "$WORK/ens.$f" ]; then mv "$WORK/ens.$f" "$WORK/$f"; else echo "(missing)" >"$WORK/$f"; fi
        done
        transcript "$WORK/$s.$impl"
    done
    check "$s"
}

START=$SECONDS
log "server port $PORT; java $ZKCLI_JAVA vs $ZKRS zkCli.sh"
oneshot
interactive basic
interactive quota
interactive restart
ensemble_case reconfig
log "done in $((SECONDS - START)) s"
echo "cli: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
