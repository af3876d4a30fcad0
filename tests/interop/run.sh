#!/usr/bin/env bash
# Interop of zkrs's data directories with Apache ZooKeeper 3.8 (Debian's package), both ways,
# through real client operations (Apache ZooKeeper's own Java client, tests/interop/Interop.java):
#
#   A. zkrs writes a data set (znodes with data/null data/binary data, digest/creator/mixed/read
#      ACLs, setData/setACL versions, sequential nodes with a deleted one, a container, a multi,
#      a failed create, and a session left open owning an ephemeral and an ephemeral-sequential
#      node), is killed with SIGKILL; ZooKeeper's TxnLogToolkit and SnapshotFormatter read every
#      file zkrs wrote; ZooKeeper starts on the same dataDir and must show every znode, ACL and
#      Stat identically, keep the session (reconnect with its password, ephemeral still owned)
#      and continue the sequential counter; then zkrs starts again on the directory ZooKeeper
#      appended to and must show ZooKeeper's final state.
#   B. the reverse: ZooKeeper writes (killed with SIGKILL), `zkrs datadir-check`,
#      `zkrs txnlog-dump`, `zkrs snapshot-dump` read its files, zkrs starts on the dataDir and
#      must show the same znodes/ACLs/Stats and keep the session; then ZooKeeper again on the
#      directory zkrs appended to.
#
# Installs what it needs (apt-get: zookeeper, netty/log4j/slf4j jars, a JDK). Loopback only,
# bounded waits, every process it starts is stopped by pid. Prints `ok:`/`FAILED:` lines and
# `N passed, M failed`; exit 1 on any failure. ZKRS_BIN=release|debug|PATH (default debug).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/tests/interop"
HOST=127.0.0.1
JAVA_DIR=/usr/share/java
ZK_SERVER_CP="$JAVA_DIR/zookeeper.jar:$JAVA_DIR/zookeeper-jute.jar:$JAVA_DIR/netty-codec.jar:$JAVA_DIR/netty-resolver.jar:$JAVA_DIR/slf4j-log4j12.jar:$JAVA_DIR/log4j-1.2.jar"
ZK_TOOL_CP="$JAVA_DIR/zookeeper.jar:$JAVA_DIR/zookeeper-jute.jar:$JAVA_DIR/commons-cli.jar:$JAVA_DIR/slf4j-log4j12.jar:$JAVA_DIR/log4j-1.2.jar"

log() { printf '[interop %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

PASS=0
FAIL=0
ok() { echo "ok: $*"; PASS=$((PASS + 1)); }
bad() { echo "FAILED: $*"; FAIL=$((FAIL + 1)); }

# ------------------------------------------------------------------ set-up

need=()
for p in zookeeper libnetty-java liblog4j1.2-java libslf4j-java libcommons-cli-java; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
if [ "${#need[@]}" -gt 0 ]; then
    log "apt-get install ${need[*]}"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
        >/dev/null 2>&1 || die "apt-get install ${need[*]} failed"
fi
[ -e "$JAVA_DIR/zookeeper.jar" ] || die "$JAVA_DIR/zookeeper.jar is missing"

case "${ZKRS_BIN:-debug}" in
    release) (cd "$ROOT" && cargo build -q --release -p zkrs --bin zkrs); ZKRS="$ROOT/target/release/zkrs" ;;
    debug) (cd "$ROOT" && cargo build -q -p zkrs --bin zkrs); ZKRS="$ROOT/target/debug/zkrs" ;;
    *) ZKRS="$ZKRS_BIN" ;;
esac
[ -x "$ZKRS" ] || die "no zkrs binary at $ZKRS"

WORK="$(mktemp -d /tmp/zkrs-interop.XXXXXX)"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$FAIL" -eq 0 ]; then rm -rf "$WORK"; else log "kept $WORK for inspection"; fi
}
trap cleanup EXIT

cat >"$WORK/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
EOF
cat >"$WORK/log4j-quiet.properties" <<'EOF'
log4j.rootLogger=WARN, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.Target=System.err
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%-5p %m%n
EOF
mkdir -p "$WORK/classes"
javac -nowarn -cp "$ZK_TOOL_CP" -d "$WORK/classes" "$HERE/Interop.java" 2>"$WORK/javac.log" \
    || { cat "$WORK/javac.log" >&2; die "javac failed"; }
JAVA_QUIET=(java -Dlog4j.configuration="file:$WORK/log4j-quiet.properties")

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

fourlw() { # port word
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "%s" "$2" >&3; cat <&3' \
        "$HOST" "$1" "$2" 2>/dev/null || true
}

# start_server zkrs|zookeeper DIR -> sets SPID, SPORT
SPID=""
SPORT=""
STARTS=0
start_server() {
    local kind="$1" dir="$2"
    STARTS=$((STARTS + 1))
    SPORT="$(free_port)"
    local cfg="$WORK/zoo-$STARTS.cfg" slog="$WORK/server-$STARTS-$kind.log"
    cat >"$cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir
clientPort=$SPORT
clientPortAddress=$HOST
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
snapCount=20
EOF
    case "$kind" in
        zookeeper)
            java -Xmx256m -Dzookeeper.log.dir="$WORK" -Dlog4j.configuration="file:$WORK/log4j.properties" \
                -cp "$ZK_SERVER_CP" org.apache.zookeeper.server.quorum.QuorumPeerMain "$cfg" \
                >"$slog" 2>&1 </dev/null &
            ;;
        zkrs) "$ZKRS" server "$cfg" >"$slog" 2>&1 </dev/null & ;;
    esac
    SPID=$!
    PIDS+=("$SPID")
    local i
    for i in $(seq 1 120); do
        if ! kill -0 "$SPID" 2>/dev/null; then
            tail -n 20 "$slog" >&2
            die "$kind exited during start-up on $dir (log $slog)"
        fi
        if fourlw "$SPORT" srvr | grep -q '^Mode:'; then
            log "$kind (pid $SPID) serving $dir on $HOST:$SPORT"
            return 0
        fi
        sleep 0.5
    done
    die "$kind did not start within 60 s (log $slog)"
}

stop_server() { # signal
    kill "-$1" "$SPID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$SPID" 2>/dev/null || true
    { wait "$SPID"; } 2>/dev/null || true
}

interop() { # mode file -> runs the Java client against the current server, reports its lines
    local out rc=0
    out="$(timeout 90 "${JAVA_QUIET[@]}" -cp "$ZK_TOOL_CP:$WORK/classes" Interop "$1" "$HOST:$SPORT" "$2" 2>"$WORK/interop-err.log")" || rc=$?
    while IFS= read -r line; do
        case "$line" in
            ok:*) ok "${line#ok: }" ;;
            FAILED:*) bad "${line#FAILED: }" ;;
        esac
    done <<<"$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAILED' <<<"$out"; then
        bad "Interop $1 failed (exit $rc): $(tail -n 3 "$WORK/interop-err.log" | tr '\n' ' ')"
    fi
}

same() { # a b what
    if diff -u "$1" "$2" >"$WORK/diff.txt"; then
        ok "$3 ($(wc -l <"$1") znodes identical)"
    else
        bad "$3: $(head -n 20 "$WORK/diff.txt")"
    fi
}

java_tools_read() { # dir label: TxnLogToolkit and SnapshotFormatter on every file
    local f n=0 m=0
    for f in "$1"/version-2/log.*; do
        [ -e "$f" ] || continue
        if timeout 60 "${JAVA_QUIET[@]}" -cp "$ZK_TOOL_CP" org.apache.zookeeper.server.persistence.TxnLogToolkit "$f" \
            >"$WORK/toolkit.out" 2>&1 && grep -q "^EOF reached after" "$WORK/toolkit.out"; then
            n=$((n + 1))
        else
            bad "ZooKeeper's TxnLogToolkit on $2's $(basename "$f"): $(tail -n 2 "$WORK/toolkit.out" | tr '\n' ' ')"
        fi
    done
    for f in "$1"/version-2/snapshot.*; do
        [ -e "$f" ] || continue
        if timeout 60 "${JAVA_QUIET[@]}" -cp "$ZK_TOOL_CP" org.apache.zookeeper.server.SnapshotFormatter "$f" \
            >"$WORK/formatter.out" 2>&1 && grep -q "^Last zxid:" "$WORK/formatter.out"; then
            m=$((m + 1))
        else
            bad "ZooKeeper's SnapshotFormatter on $2's $(basename "$f"): $(tail -n 2 "$WORK/formatter.out" | tr '\n' ' ')"
        fi
    done
    if [ $n -gt 0 ] && [ $m -gt 0 ]; then
        ok "ZooKeeper's TxnLogToolkit read $n txn log(s) and SnapshotFormatter $m snapshot(s) written by $2"
    else
        bad "no txn log or snapshot of $2 to read in $1"
    fi
}

zkrs_tools_read() { # dir label
    local f n=0 m=0
    if "$ZKRS" datadir-check "$1" >"$WORK/check.out" 2>&1; then
        ok "zkrs datadir-check accepts $2's directory ($(tail -n 1 "$WORK/check.out"))"
    else
        bad "zkrs datadir-check on $2's directory: $(grep -E '^ERROR' "$WORK/check.out" | head -n 3)"
    fi
    for f in "$1"/version-2/log.*; do
        "$ZKRS" txnlog-dump "$f" >"$WORK/dump.out" 2>&1 && grep -q "^EOF reached after" "$WORK/dump.out" \
            && n=$((n + 1)) || bad "zkrs txnlog-dump on $2's $(basename "$f"): $(tail -n 1 "$WORK/dump.out")"
    done
    for f in "$1"/version-2/snapshot.*; do
        "$ZKRS" snapshot-dump "$f" >"$WORK/dump.out" 2>&1 && grep -q "^Seals: verified" "$WORK/dump.out" \
            && m=$((m + 1)) || bad "zkrs snapshot-dump on $2's $(basename "$f"): $(tail -n 1 "$WORK/dump.out")"
    done
    ok "zkrs txnlog-dump read $n txn log(s) and snapshot-dump $m snapshot(s) written by $2"
}

# ------------------------------------------------------------------ A: zkrs → ZooKeeper

A="$WORK/a"
mkdir -p "$A/data"
log "A: zkrs writes, ZooKeeper reads"
start_server zkrs "$A/data"
interop write "$A/state"
interop dump "$A/zkrs.txt"
stop_server KILL
cp -a "$A/data" "$A/zkrs-files"
java_tools_read "$A/zkrs-files" zkrs
start_server zookeeper "$A/data"
interop dump "$A/zookeeper.txt"
same "$A/zkrs.txt" "$A/zookeeper.txt" "ZooKeeper sees every znode, ACL and Stat zkrs wrote"
interop session "$A/state"
interop dump "$A/zookeeper-after.txt"
stop_server TERM
start_server zkrs "$A/data"
interop dump "$A/zkrs-after.txt"
same "$A/zookeeper-after.txt" "$A/zkrs-after.txt" "zkrs reads the directory back after ZooKeeper appended to it"
stop_server TERM

# ------------------------------------------------------------------ B: ZooKeeper → zkrs

B="$WORK/b"
mkdir -p "$B/data"
log "B: ZooKeeper writes, zkrs reads"
start_server zookeeper "$B/data"
interop write "$B/state"
interop dump "$B/zookeeper.txt"
stop_server KILL
cp -a "$B/data" "$B/zookeeper-files"
zkrs_tools_read "$B/zookeeper-files" ZooKeeper
start_server zkrs "$B/data"
interop dump "$B/zkrs.txt"
same "$B/zookeeper.txt" "$B/zkrs.txt" "zkrs sees every znode, ACL and Stat ZooKeeper wrote"
interop session "$B/state"
interop dump "$B/zkrs-after.txt"
stop_server TERM
cp -a "$B/data" "$B/mixed-files"
java_tools_read "$B/mixed-files" "zkrs (appended to ZooKeeper's)"
start_server zookeeper "$B/data"
interop dump "$B/zookeeper-after.txt"
same "$B/zkrs-after.txt" "$B/zookeeper-after.txt" "ZooKeeper reads the directory back after zkrs appended to it"
stop_server TERM

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
