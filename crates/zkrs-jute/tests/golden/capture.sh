#!/usr/bin/env bash
# Re-captures the golden wire vectors in this directory from a real Apache ZooKeeper 3.8 server
# (Debian package `zookeeper`) and its Java client. NOT run by CI: the captured files are committed
# and checked by crates/zkrs-jute/tests/golden.rs (`cargo test -p zkrs-jute --test golden`).
#
# Usage:   crates/zkrs-jute/tests/golden/capture.sh
# Needs:   java + javac (17), python3, and the Debian `zookeeper` package; if
#          /usr/share/java/zookeeper.jar is missing it runs `apt-get install -y zookeeper`
#          (as root, or via sudo).
# Network: 127.0.0.1 only, free ports picked at run time.
#
# What it does (everything in a fresh temp dir, removed at exit):
#   1. starts ZooKeeper standalone (tickTime 2000, extendedTypesEnabled for TTL nodes) on a free
#      loopback port with an empty dataDir, and waits until `srvr` reports a Mode;
#   2. starts proxy.py between client and server (splits frames on the length prefix, logs them
#      with direction) and runs GoldenClient.java (compiled here with javac) through it
#      -> session.txt;
#   3. runs raw_client.py through a second proxy -> raw_client.txt: an "old" ConnectRequest
#      without the readOnly byte, and a reconnect that sends setWatches with xid -8;
#   4. stops the server, trims version-2/log.* after its last record -> log.trimmed.bin;
#   5. restarts the server on the same dataDir: ZooKeeper takes a snapshot while loading, which
#      holds the nodes, the ACL cache and the still-open session B of GoldenClient
#      -> snapshot.bin (snapshot.0, written at first start, -> snapshot.empty.bin);
#   6. stops the server; writes capture-info.txt (versions, original file names and sizes).
# Every process started here is stopped by its recorded pid; every wait is bounded.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${GOLDEN_OUT:-$HERE}"
ZK_JAR=/usr/share/java/zookeeper.jar

log() { printf '[capture] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---- prerequisites -------------------------------------------------------------------------
if [ ! -e "$ZK_JAR" ]; then
    log "installing the Debian zookeeper package"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y zookeeper
fi
for tool in java javac python3; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
# netty-codec is missing from the Debian jar's manifest; log4j gives the server a log.
SERVER_CP="$ZK_JAR:/usr/share/java/netty-codec.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar"
CLIENT_CP="$ZK_JAR:/usr/share/java/zookeeper-jute.jar"

WORK="$(mktemp -d /tmp/zkrs-golden.XXXXXX)"
PIDS=()

stop_pid() { # stop_pid PID NAME: SIGTERM, wait up to 20 s, then SIGKILL; verify it is gone
    local pid="$1" name="$2" i
    kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; log "stopped $name ($pid)"; return 0; }
        sleep 0.1
    done
    log "$name ($pid) ignored SIGTERM, sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    ! kill -0 "$pid" 2>/dev/null || die "could not stop $name ($pid)"
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid" "process"
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

fourlw() { # fourlw PORT CMD: prints the answer (bounded by timeout)
    timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"'; printf '"$2"' >&3; cat <&3' 2>/dev/null || true
}

SERVER_PID=""
start_server() {
    ( cd "$WORK/zk" && exec java -Xmx256m -XX:+UseSerialGC \
        -Dzookeeper.log.dir="$WORK/zk" \
        -Dlog4j.configuration="file:$WORK/zk/log4j.properties" \
        -Dzookeeper.extendedTypesEnabled=true \
        -cp "$SERVER_CP" org.apache.zookeeper.server.quorum.QuorumPeerMain "$WORK/zk/zoo.cfg" \
        >>"$WORK/zk/server.log" 2>&1 ) &
    SERVER_PID=$!    # the subshell execs java, so this is the JVM's pid
    PIDS+=("$SERVER_PID")
    local i
    for i in $(seq 1 120); do
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -50 "$WORK/zk/server.log" >&2; die "server exited"; }
        if fourlw "$ZK_PORT" srvr | grep -q '^Mode:'; then
            log "server up on 127.0.0.1:$ZK_PORT (pid $SERVER_PID)"
            return 0
        fi
        sleep 0.5
    done
    tail -50 "$WORK/zk/server.log" >&2
    die "server did not come up"
}

PROXY_PID=""; PROXY_PORT=""; CTL_PORT=""
start_proxy() { # start_proxy OUTFILE
    rm -f "$WORK/proxy.ports"
    python3 "$HERE/proxy.py" --upstream "$ZK_PORT" --out "$1" --port-file "$WORK/proxy.ports" \
        --max-seconds 300 2>>"$WORK/proxy.err" &
    PROXY_PID=$!
    PIDS+=("$PROXY_PID")
    local i
    for i in $(seq 1 100); do
        [ -s "$WORK/proxy.ports" ] && break
        sleep 0.1
    done
    [ -s "$WORK/proxy.ports" ] || die "proxy did not start"
    read -r PROXY_PORT CTL_PORT <"$WORK/proxy.ports"
    log "proxy on $PROXY_PORT (control $CTL_PORT, pid $PROXY_PID) -> $ZK_PORT"
}

stop_proxy() {
    timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$CTL_PORT"'; printf "quit\n" >&3; head -c 3 <&3' >/dev/null 2>&1 || true
    stop_pid "$PROXY_PID" proxy
}

# ---- 1. server -----------------------------------------------------------------------------
ZK_PORT="$(free_port)"
mkdir -p "$WORK/zk/data" "$WORK/classes"
cat >"$WORK/zk/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$WORK/zk/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
EOF
cat >"$WORK/zk/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} [%t] %-5p %c{1} - %m%n
EOF
start_server
ZK_VERSION="$(fourlw "$ZK_PORT" srvr | sed -n 's/^Zookeeper version: //p')"
log "server version: $ZK_VERSION"

# ---- 2. Java client through the recording proxy ---------------------------------------------
javac -proc:none -implicit:none -d "$WORK/classes" -cp "$CLIENT_CP" "$HERE/GoldenClient.java"
start_proxy "$WORK/session.raw"
timeout 120 java -Xmx128m -XX:+UseSerialGC -cp "$WORK/classes:$CLIENT_CP" \
    GoldenClient "$PROXY_PORT" "$CTL_PORT" "$ZK_PORT" >"$WORK/client.log" 2>&1 \
    || { cat "$WORK/client.log" >&2; die "GoldenClient failed"; }
grep -q '^done$' "$WORK/client.log" || { cat "$WORK/client.log" >&2; die "GoldenClient incomplete"; }
stop_proxy
SESSION_B="$(sed -n 's/.*session B \(0x[0-9a-f]*\) left open.*/\1/p' "$WORK/client.log")"

# ---- 3. raw client (no readOnly byte; setWatches with xid -8) through a second proxy ---------
start_proxy "$WORK/raw_client.raw"
timeout 60 python3 "$HERE/raw_client.py" "$PROXY_PORT" "$CTL_PORT" >"$WORK/raw_client.log" 2>&1 \
    || { cat "$WORK/raw_client.log" >&2; die "raw_client.py failed"; }
stop_proxy

# ---- 4. stop, trim the txn log ---------------------------------------------------------------
stop_pid "$SERVER_PID" server
V2="$WORK/zk/data/version-2"
ls -l "$V2" >&2
LOGS=( "$V2"/log.* )
[ "${#LOGS[@]}" -eq 1 ] || die "expected exactly one txn log, found ${#LOGS[@]}"
LOG_INFO="$(python3 "$HERE/trim_log.py" "${LOGS[0]}" "$WORK/log.trimmed.bin")"
log "txn log $(basename "${LOGS[0]}"): $LOG_INFO"
cp "$V2/snapshot.0" "$WORK/snapshot.empty.bin"

# ---- 5. restart: the server snapshots the loaded tree ----------------------------------------
start_server
SNAP=""
for i in $(seq 1 100); do
    SNAP="$(ls "$V2" | grep '^snapshot\.' | grep -v '^snapshot\.0$' | sort | tail -1 || true)"
    [ -n "$SNAP" ] && break
    sleep 0.1
done
[ -n "$SNAP" ] || die "no snapshot after restart"
stop_pid "$SERVER_PID" server
ls -l "$V2" >&2
cp "$V2/$SNAP" "$WORK/snapshot.bin"

# ---- 6. write the outputs ---------------------------------------------------------------------
header() { # header TITLE
    cat <<EOF
# $1
# Captured by capture.sh from Apache ZooKeeper $ZK_VERSION (Debian package $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo '?'))
# $(java -version 2>&1 | head -1)
# Format: "@conn N" starts TCP connection N; "C <hex>" client->server frame, "S <hex>"
# server->client frame (hex of the whole frame, 4-byte length prefix included); "# ..." comments.
EOF
}
{ header "GoldenClient.java (org.apache.zookeeper.ZooKeeper 3.8 Java client) session through proxy.py"; cat "$WORK/session.raw"; } >"$OUT/session.txt"
{ header "raw_client.py: old-style ConnectRequest without readOnly byte; reconnect + setWatches xid -8"; cat "$WORK/raw_client.raw"; } >"$OUT/raw_client.txt"
cp "$WORK/log.trimmed.bin" "$OUT/log.trimmed.bin"
cp "$WORK/snapshot.bin" "$OUT/snapshot.bin"
cp "$WORK/snapshot.empty.bin" "$OUT/snapshot.empty.bin"
{
    echo "zookeeper_version=$ZK_VERSION"
    echo "debian_package=$(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo '?')"
    echo "java=$(java -version 2>&1 | head -1)"
    echo "captured_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "log.trimmed.bin=$(basename "${LOGS[0]}") $LOG_INFO"
    echo "snapshot.bin=$SNAP size=$(stat -c %s "$WORK/snapshot.bin") (taken at server restart)"
    echo "snapshot.empty.bin=snapshot.0 size=$(stat -c %s "$WORK/snapshot.empty.bin") (taken at first start)"
    echo "session_b_left_open=$SESSION_B"
} >"$OUT/capture-info.txt"
cp "$WORK/client.log" "$OUT/client.log.txt"
log "done: $(grep -c '^[CS] ' "$OUT/session.txt") frames in session.txt, $(grep -c '^[CS] ' "$OUT/raw_client.txt") in raw_client.txt"
