#!/usr/bin/env bash
# tests/ops/run.sh: the zkrs binary's packaging applets (crate zkrs-ops) against real zkrs
# servers on 127.0.0.1.
#
#   - Debian's real /usr/share/zookeeper/bin/zkServer.sh and ours side by side: `status` with
#     nothing running, a standalone server and a 3-member ensemble (leader and followers,
#     client port found through clientPort=, `server.N=...;addr:port` and `;port`), `stop`
#     without a pid file, `version` (shape), usage;
#   - ours: start / status / start again / restart / stop with a real pid file;
#   - docker-entrypoint.sh: files from ZOO_* (default and non-default), not rewritten, as a
#     non-root user, and as root with zkServer.sh (chown, runs as uid 1000);
#   - start-zookeeper, zkGenConfig.sh (hostnames set in a UTS namespace when root), the
#     probes.
#
# Usage: tests/ops/run.sh [--no-build]
# Ports are random in 20000-40000; every wait is bounded; every process started is stopped
# by its pid. Last line: `ops: N passed, M failed`.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD=1
for a in "$@"; do
    case "$a" in
    --no-build) BUILD=0 ;;
    *)
        echo "usage: $0 [--no-build]" >&2
        exit 2
        ;;
    esac
done

T="$(mktemp -d /tmp/zkrs-ops.XXXXXX)"
chmod 755 "$T"
LOGS="$T/logs"
mkdir -p "$LOGS"
log() { echo "ops: $*" >&2; }
die() {
    echo "ops: FATAL: $*" >&2
    exit 1
}
# shellcheck source=../lib/install.sh
. "$ROOT/tests/lib/install.sh"

PASS=0
FAIL=0
PIDS=()
START=$SECONDS
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

ok() {
    PASS=$((PASS + 1))
    echo "ok   $*"
}
bad() {
    FAIL=$((FAIL + 1))
    echo "FAIL $*"
}
check() { # name command...
    local name="$1"
    shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

if [ "$BUILD" = 1 ]; then
    log "cargo build --release -p zkrs"
    (cd "$ROOT" && cargo build --release -p zkrs --locked) >"$LOGS/build.log" 2>&1 ||
        die "build failed (see $LOGS/build.log)"
fi
ZKRS="$ROOT/target/release/zkrs"
[ -x "$ZKRS" ] || die "$ZKRS missing (build it or drop --no-build)"
ensure_debs zookeeper
DEB=/usr/share/zookeeper/bin/zkServer.sh
[ -x "$DEB" ] || die "$DEB missing"

BIN="$T/bin"
mkdir -p "$BIN"
for a in zkServer.sh docker-entrypoint.sh start-zookeeper zookeeper-ready zookeeper-metrics \
    zkGenConfig.sh zkOk.sh zkMetrics.sh; do
    ln -s "$ZKRS" "$BIN/$a"
done
OURS="$BIN/zkServer.sh"

USED_PORTS=" "
port() { # a free random port in 20000-40000, never handed out twice
    local p
    while :; do
        p=$((20000 + RANDOM % 20000))
        case "$USED_PORTS" in *" $p "*) continue ;; esac
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        USED_PORTS="$USED_PORTS$p "
        echo "$p"
        return
    done
}

fourlw() { # port word -> the answer (bounded)
    timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf %s "$2" >&3 && cat <&3' _ "$1" "$2" 2>/dev/null
}

wait_mode() { # port -> waits up to 40 s for srvr to report a serving Mode
    local i
    for i in $(seq 400); do
        fourlw "$1" srvr | grep -Eq 'Mode: (standalone|leader|follower|observer)' && return 0
        sleep 0.1
    done
    return 1
}

run_zk() { # cfg logfile -> starts `zkrs server cfg`, echoes its pid
    "$ZKRS" server "$1" >"$2" 2>&1 </dev/null &
    PIDS+=($!)
    echo $!
}

alive() { # pid -> running (a zombie nobody reaps counts as gone)
    kill -0 "$1" 2>/dev/null || return 1
    ! awk '{ sub(/.*\) /, ""); exit ($1 == "Z") ? 0 : 1 }' "/proc/$1/stat" 2>/dev/null
}

stop_pid() { # pid -> SIGTERM, wait up to 10 s
    local i
    kill "$1" 2>/dev/null
    for i in $(seq 100); do alive "$1" || return 0; sleep 0.1; done
    kill -9 "$1" 2>/dev/null
    return 1
}

capture() { # dir command... -> dir/{out,err,rc}
    local d="$1"
    shift
    mkdir -p "$d"
    "$@" >"$d/out" 2>"$d/err"
    echo $? >"$d/rc"
}

same() { # name dirA dirB -> stdout, stderr and exit codes equal
    local n="$1" a="$2" b="$3" f diff_ok=1
    for f in out err rc; do
        if ! cmp -s "$a/$f" "$b/$f"; then
            diff_ok=0
            echo "--- $n: $f differs (Debian < > ours)"
            diff "$a/$f" "$b/$f" | head -20
        fi
    done
    if [ "$diff_ok" = 1 ]; then ok "$n"; else bad "$n"; fi
}

compare() { # name cfg command -> Debian's and ours
    local n="$1" cfg="$2" cmd="$3" d="$T/cmp/$1"
    capture "$d/deb" "$DEB" "$cmd" "$cfg"
    capture "$d/ours" "$OURS" "$cmd" "$cfg"
    same "$n" "$d/deb" "$d/ours"
}

# ---------------------------------------------------------------- zkServer.sh vs Debian
SA="$T/standalone"
mkdir -p "$SA/data"
SAP=$(port)
printf 'tickTime=2000\ndataDir=%s/data\nclientPort=%s\nadmin.enableServer=false\n' "$SA" "$SAP" >"$SA/zoo.cfg"
compare "status, nothing running" "$SA/zoo.cfg" status
compare "stop, no pid file" "$SA/zoo.cfg" stop
compare "status, missing config" "$T/none/zoo.cfg" status

SAPID=$(run_zk "$SA/zoo.cfg" "$LOGS/standalone.log")
if wait_mode "$SAP"; then
    compare "status, standalone" "$SA/zoo.cfg" status
    grep -qx "Mode: standalone" "$T/cmp/status, standalone/ours/out" && ok "status shows Mode: standalone" ||
        bad "status shows Mode: standalone"
else
    bad "standalone server did not come up (see $LOGS/standalone.log)"
fi

# version: same stderr and exit code; stdout of the same shape.
capture "$T/cmp/version/deb" "$DEB" version "$SA/zoo.cfg"
capture "$T/cmp/version/ours" "$OURS" version "$SA/zoo.cfg"
check "version: same stderr" cmp -s "$T/cmp/version/deb/err" "$T/cmp/version/ours/err"
check "version: same exit code" cmp -s "$T/cmp/version/deb/rc" "$T/cmp/version/ours/rc"
VRE='^Apache ZooKeeper, version 3\.8\.0[^ ]* [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC$'
check "version: Debian's line shape" grep -Eqx "$VRE" "$T/cmp/version/deb/out"
check "version: our line shape" grep -Eqx "$VRE" "$T/cmp/version/ours/out"

# usage: same text but for $0, exit 0.
capture "$T/cmp/usage/deb" "$DEB" bogus "$SA/zoo.cfg"
capture "$T/cmp/usage/ours" "$OURS" bogus "$SA/zoo.cfg"
sed -i "s#$DEB#ZKSERVER#" "$T/cmp/usage/deb/err"
sed -i "s#$OURS#ZKSERVER#" "$T/cmp/usage/ours/err"
same "usage line" "$T/cmp/usage/deb" "$T/cmp/usage/ours"
stop_pid "$SAPID"
compare "status, server stopped" "$SA/zoo.cfg" status

# A 3-member ensemble: member 1 has clientPort=, member 2 finds its port in
# `server.2=...;127.0.0.1:port`, member 3 in `server.3=...;port`.
ENS="$T/ensemble"
declare -a CP QP EP EPID
for i in 1 2 3; do CP[$i]=$(port); QP[$i]=$(port); EP[$i]=$(port); done
for i in 1 2 3; do
    mkdir -p "$ENS/$i/data"
    echo "$i" >"$ENS/$i/data/myid"
    {
        printf 'tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir=%s/%s/data\nadmin.enableServer=false\n' "$ENS" "$i"
        [ "$i" = 1 ] && echo "clientPort=${CP[1]}"
        for j in 1 2 3; do
            if [ "$i" = 3 ]; then
                echo "server.$j=127.0.0.1:${QP[$j]}:${EP[$j]};${CP[$j]}"
            elif [ "$i" = 1 ]; then
                echo "server.$j=127.0.0.1:${QP[$j]}:${EP[$j]}"
            else
                echo "server.$j=127.0.0.1:${QP[$j]}:${EP[$j]};127.0.0.1:${CP[$j]}"
            fi
        done
    } >"$ENS/$i/zoo.cfg"
done
for i in 1 2 3; do EPID[$i]=$(run_zk "$ENS/$i/zoo.cfg" "$LOGS/ensemble-$i.log"); done
UP=1
for i in 1 2 3; do wait_mode "${CP[$i]}" || UP=0; done
if [ "$UP" = 1 ]; then
    MODES=""
    for i in 1 2 3; do
        compare "status, ensemble member $i" "$ENS/$i/zoo.cfg" status
        MODES="$MODES $(cat "$T/cmp/status, ensemble member $i/ours/out" | grep '^Mode:')"
    done
    case "$MODES" in
    *"Mode: leader"*"Mode: follower"* | *"Mode: follower"*"Mode: leader"*) ok "ensemble: one leader, followers ($MODES )" ;;
    *) bad "ensemble modes:$MODES" ;;
    esac
else
    bad "ensemble did not come up (see $LOGS/ensemble-*.log)"
fi
for i in 1 2 3; do stop_pid "${EPID[$i]}"; done
compare "status, ensemble member 2 stopped" "$ENS/2/zoo.cfg" status

# ---------------------------------------------------------------- ours: start/stop/restart
OWN="$T/own"
mkdir -p "$OWN/conf" "$OWN/data"
OP=$(port)
printf 'tickTime=2000\ndataDir=%s/data\nclientPort=%s\nadmin.enableServer=false\n' "$OWN" "$OP" >"$OWN/conf/zoo.cfg"
export ZOOCFGDIR="$OWN/conf" ZOO_LOG_DIR="$OWN/logs"
capture "$T/own/start" "$OURS" start
PIDF="$OWN/data/zookeeper_server.pid"
P1=$(cat "$PIDF" 2>/dev/null)
[ -n "$P1" ] && PIDS+=("$P1")
check "start: STARTED, exit 0" grep -qx "Starting zookeeper ... STARTED" "$T/own/start/out"
check "start: stderr is the script's" diff -q <(printf 'ZooKeeper JMX enabled by default\nUsing config: %s/conf/zoo.cfg\n' "$OWN") "$T/own/start/err"
check "start: pid file names a live process" alive "${P1:-0}"
check "start: output file" test -s "$OWN/logs/zookeeper-${USER:-}-server-$HOSTNAME.out"
wait_mode "$OP" || bad "own server did not come up"
capture "$T/own/status" "$OURS" status
check "status of ours: Mode: standalone, exit 0" bash -c "grep -qx 'Mode: standalone' '$T/own/status/out' && [ \$(cat '$T/own/status/rc') = 0 ]"
capture "$T/own/again" "$OURS" start
check "start again: already running, exit 1" bash -c "grep -qx 'Starting zookeeper ... already running as process $P1.' '$T/own/again/out' && [ \$(cat '$T/own/again/rc') = 1 ]"
capture "$T/own/restart" "$OURS" restart
P2=$(cat "$PIDF" 2>/dev/null)
[ -n "$P2" ] && PIDS+=("$P2")
check "restart: stop then start" diff -q <(printf 'Stopping zookeeper ... STOPPED\nStarting zookeeper ... STARTED\n') "$T/own/restart/out"
check "restart: three headers on stderr" test "$(grep -c '^Using config: ' "$T/own/restart/err")" = 3
check "restart: old process gone, new one running" bash -c "! $(declare -f alive); ! alive '$P1' && [ -n '$P2' ] && [ '$P2' != '$P1' ] && alive '$P2'"
wait_mode "$OP" && ok "restart: serving again" || bad "restart: serving again"
capture "$T/own/stop" "$OURS" stop
check "stop: STOPPED, exit 0" bash -c "grep -qx 'Stopping zookeeper ... STOPPED' '$T/own/stop/out' && [ \$(cat '$T/own/stop/rc') = 0 ]"
check "stop: process gone, pid file removed" bash -c "$(declare -f alive); ! alive '$P2' && [ ! -e '$PIDF' ]"
capture "$T/own/status2" "$OURS" status
check "status after stop: exit 1" bash -c "grep -qx 'Error contacting service. It is probably not running.' '$T/own/status2/out' && [ \$(cat '$T/own/status2/rc') = 1 ]"
capture "$T/own/print" "$OURS" print-cmd
check "print-cmd names the server command" grep -q "\"$ZKRS\" server \"$OWN/conf/zoo.cfg\"" "$T/own/print/out"
unset ZOOCFGDIR ZOO_LOG_DIR

# ---------------------------------------------------------------- docker-entrypoint.sh
DE="$T/de"
mkdir -p "$DE/conf" "$DE/data" "$DE/datalog" "$DE/logs"
chmod -R 777 "$DE"
de_env() { env -i PATH="$BIN:/usr/bin:/bin" ZOO_CONF_DIR="$DE/conf" ZOO_DATA_DIR="$DE/data" \
    ZOO_DATA_LOG_DIR="$DE/datalog" ZOO_LOG_DIR="$DE/logs" "$@"; }
capture "$T/de/1" de_env "$BIN/docker-entrypoint.sh" cat "$DE/conf/zoo.cfg"
EXPECTED_DE="dataDir=$DE/data
dataLogDir=$DE/datalog
tickTime=2000
initLimit=5
syncLimit=2
autopurge.snapRetainCount=3
autopurge.purgeInterval=0
maxClientCnxns=60
standaloneEnabled=true
admin.enableServer=true
server.1=localhost:2888:3888;2181"
check "entrypoint: default zoo.cfg, then runs its command" diff -q <(echo "$EXPECTED_DE") "$T/de/1/out"
check "entrypoint: myid 1" diff -q <(echo 1) "$DE/data/myid"
capture "$T/de/2" de_env ZOO_MY_ID=5 ZOO_TICK_TIME=1 "$BIN/docker-entrypoint.sh" true
check "entrypoint: existing files kept" bash -c "diff -q <(echo '$EXPECTED_DE') '$DE/conf/zoo.cfg' && [ \$(cat '$DE/data/myid') = 1 ]"
rm -f "$DE/conf/zoo.cfg" "$DE/data/myid"
if [ "$(id -u)" = 0 ]; then
    AS_USER=(setpriv --reuid=1000 --regid=1000 --clear-groups)
else
    AS_USER=()
fi
capture "$T/de/3" de_env ZOO_MY_ID=3 ZOO_SERVERS="server.1=a:2888:3888;2181 server.2=b:2888:3888;2181 server.3=c:2888:3888;2181" \
    ZOO_4LW_COMMANDS_WHITELIST="srvr, ruok" ZOO_CFG_EXTRA="metricsProvider.httpPort=7070 quorumListenOnAllIPs=true" \
    ZOO_STANDALONE_ENABLED=false ZOO_INIT_LIMIT=10 "${AS_USER[@]}" "$BIN/docker-entrypoint.sh" id -u
check "entrypoint: non-root user, non-default env" diff -q <(printf '%s\n' "dataDir=$DE/data" "dataLogDir=$DE/datalog" tickTime=2000 initLimit=10 syncLimit=2 \
    autopurge.snapRetainCount=3 autopurge.purgeInterval=0 maxClientCnxns=60 standaloneEnabled=false admin.enableServer=true \
    "server.1=a:2888:3888;2181" "server.2=b:2888:3888;2181" "server.3=c:2888:3888;2181" "4lw.commands.whitelist=srvr, ruok" \
    metricsProvider.httpPort=7070 quorumListenOnAllIPs=true) "$DE/conf/zoo.cfg"
check "entrypoint: myid from ZOO_MY_ID" diff -q <(echo 3) "$DE/data/myid"
capture "$T/de/4" env -i PATH=/usr/bin:/bin ZOO_CONF_DIR="$T/nonexistent" ZOO_DATA_DIR="$DE/data" "$BIN/docker-entrypoint.sh" true
check "entrypoint: missing conf dir fails" test "$(cat "$T/de/4/rc")" = 1
ZK_UID=$(id -u zookeeper 2>/dev/null || echo 1000)
if [ "$(id -u)" = 0 ]; then
    rm -f "$DE/conf/zoo.cfg" "$DE/data/myid"
    chown -R 0:0 "$DE"
    chmod 777 "$DE/conf"
    RP=$(port)
    env -i PATH="$BIN:/usr/bin:/bin" ZOO_CONF_DIR="$DE/conf" ZOO_DATA_DIR="$DE/data" ZOO_DATA_LOG_DIR="$DE/datalog" \
        ZOO_LOG_DIR="$DE/logs" ZOO_SERVERS="server.1=localhost:$(port):$(port);$RP" ZOO_ADMINSERVER_ENABLED=false ZOOCFGDIR="$DE/conf" \
        "$BIN/docker-entrypoint.sh" zkServer.sh start-foreground >"$LOGS/entrypoint-root.log" 2>&1 </dev/null &
    RPID=$!
    PIDS+=("$RPID")
    if wait_mode "$RP"; then
        ok "entrypoint as root: zkServer.sh start-foreground serves"
        check "entrypoint as root: server runs as zookeeper ($ZK_UID) under the same pid" \
            bash -c "awk '/^Uid:/{exit !(\$2==$ZK_UID)}' /proc/$RPID/status && tr '\\0' ' ' </proc/$RPID/cmdline | grep -q ' server '"
        check "entrypoint as root: data dirs chowned to zookeeper" \
            bash -c "for f in data datalog logs data/myid; do [ \$(stat -c %u '$DE/'\$f) = $ZK_UID ] || exit 1; done"
    else
        bad "entrypoint as root: server did not come up (see $LOGS/entrypoint-root.log)"
    fi
    stop_pid "$RPID"
fi

# ---------------------------------------------------------------- start-zookeeper
SZ="$T/sz"
mkdir -p "$SZ/conf"
capture "$T/sz/unknown" "$BIN/start-zookeeper" --servers=1 --bogus=2
check "start-zookeeper: unknown flag exits 1" bash -c "[ \$(cat '$T/sz/unknown/rc') = 1 ] && grep -qx 'Unknown option --bogus=2' '$T/sz/unknown/err'"
capture "$T/sz/help" "$BIN/start-zookeeper" -h
check "start-zookeeper: -h prints usage, exit 0" bash -c "[ \$(cat '$T/sz/help/rc') = 0 ] && head -1 '$T/sz/help/out' | grep -qx 'Usage: start-zookeeper \\[OPTIONS\\]'"
# in_host HOSTNAME DOMAIN command...: runs the command (exec, same pid) with that hostname and
# an /etc/hosts listing `127.0.0.1 HOSTNAME.DOMAIN HOSTNAME`, as a StatefulSet pod has, in
# private UTS and mount namespaces.
cat >"$T/in_host" <<'SH'
#!/usr/bin/env bash
h="$1" d="$2"
shift 2
hosts="$(mktemp /tmp/zkrs-ops-hosts.XXXXXX)"
printf '127.0.0.1 localhost\n127.0.0.1 %s.%s %s\n' "$h" "$d" "$h" >"$hosts"
exec unshare --uts --mount bash -c 'mount --bind "$1" /etc/hosts && rm -f "$1" && hostname "$2" && shift 2 && exec "$@"' _ "$hosts" "$h" "$@"
SH
chmod +x "$T/in_host"
in_host() { "$T/in_host" "$@"; }
if [ "$(id -u)" = 0 ] && "$T/in_host" zk-0 d true 2>/dev/null; then
    capture "$T/sz/badhost" in_host standalone d "$BIN/start-zookeeper" --conf_dir="$SZ/conf"
    check "start-zookeeper: hostname without ordinal exits 1" bash -c "[ \$(cat '$T/sz/badhost/rc') = 1 ] && grep -qx 'Fialed to parse name and ordinal of Pod' '$T/sz/badhost/out'"
    SZP=$(port)
    ZOOCFGDIR="$SZ/conf" "$T/in_host" zk-0 zk-hs.default.svc.cluster.local "$BIN/start-zookeeper" --servers=1 --conf_dir="$SZ/conf" --data_dir="$SZ/data" \
        --data_log_dir="$SZ/datalog" --log_dir="$SZ/log" --client_port="$SZP" --tick_time=1000 --heap=512M \
        --log_level=WARN >"$LOGS/start-zookeeper.log" 2>&1 </dev/null &
    SZPID=$!
    PIDS+=("$SZPID")
    if wait_mode "$SZP"; then
        ok "start-zookeeper --servers=1: serves"
        check "zookeeper-ready: imok, exit 0" "$BIN/zookeeper-ready" "$SZP"
        check "zookeeper-metrics: mntr" bash -c "'$BIN/zookeeper-metrics' '$SZP' | grep -q '^zk_server_state'"
        check "zkOk.sh: exit 0" env ZK_CLIENT_PORT="$SZP" "$BIN/zkOk.sh"
        check "zkMetrics.sh: mntr" bash -c "ZK_CLIENT_PORT='$SZP' '$BIN/zkMetrics.sh' | grep -q '^zk_version'"
    else
        bad "start-zookeeper --servers=1 did not come up (see $LOGS/start-zookeeper.log)"
    fi
    check "start-zookeeper: zoo.cfg" diff -q <(printf '%s\n' "#This file was autogenerated DO NOT EDIT" "clientPort=$SZP" "dataDir=$SZ/data" \
        "dataLogDir=$SZ/datalog" tickTime=1000 initLimit=10 syncLimit=5 maxClientCnxns=60 "minSessionTimeout= 2000" \
        "maxSessionTimeout= 20000" autopurge.snapRetainCount=3 autopurge.purgeInteval=0 '4lw.commands.whitelist=*') "$SZ/conf/zoo.cfg"
    check "start-zookeeper: java.env" diff -q <(printf '%s\n' "ZOO_LOG_DIR=$SZ/log" 'JVMFLAGS="-Xmx512M -Xms512M"') "$SZ/conf/java.env"
    check "start-zookeeper: log4j.properties" grep -qx "zookeeper.console.threshold=WARN" "$SZ/conf/log4j.properties"
    check "start-zookeeper: no myid for one server" test ! -e "$SZ/data/myid"
    check "start-zookeeper: dirs made" test -d "$SZ/datalog" -a -d "$SZ/log"
    check "start-zookeeper: server is the script's pid (exec)" bash -c "tr '\\0' ' ' </proc/$SZPID/cmdline | grep -q ' server '"
    stop_pid "$SZPID"
    check "zookeeper-ready: no server, exit 1" bash -c "! '$BIN/zookeeper-ready' '$SZP' 2>/dev/null"
    check "zkOk.sh: no server, exit 1" bash -c "! ZK_CLIENT_PORT='$SZP' '$BIN/zkOk.sh' 2>/dev/null"

    # An ensemble member whose peers do not resolve yet keeps running.
    SZ3="$T/sz3"
    mkdir -p "$SZ3/conf"
    ZOOCFGDIR="$SZ3/conf" "$T/in_host" zk-0 zk-hs.default.svc.cluster.local "$BIN/start-zookeeper" --servers=3 --conf_dir="$SZ3/conf" --data_dir="$SZ3/data" \
        --data_log_dir="$SZ3/datalog" --log_dir="$SZ3/log" --client_port="$(port)" --server_port="$(port)" \
        --election_port="$(port)" >"$LOGS/start-zookeeper-3.log" 2>&1 </dev/null &
    S3PID=$!
    PIDS+=("$S3PID")
    sleep 3
    check "start-zookeeper --servers=3: running with unresolvable peers" alive "$S3PID"
    check "start-zookeeper --servers=3: myid 1" diff -q <(echo 1) "$SZ3/data/myid"
    check "start-zookeeper --servers=3: server lines" bash -c "grep -c '^server\\.[123]=zk-[012]\\.zk-hs\\.default\\.svc\\.cluster\\.local:' '$SZ3/conf/zoo.cfg' | grep -qx 3"
    stop_pid "$S3PID"

    # zkGenConfig.sh
    GC="$T/gc"
    GCD=myzk-zookeeper-headless.default.svc.cluster.local
    mkdir -p "$GC/conf"
    capture "$T/gc/run" env ZK_REPLICAS=3 ZK_CONF_DIR="$GC/conf" ZK_DATA_DIR="$GC/data" ZK_DATA_LOG_DIR="$GC/datalog" \
        ZK_LOG_DIR="$GC/log" ZK_PURGE_INTERVAL=1 ZK_USER=root "$T/in_host" myzk-zookeeper-1 myzk-zookeeper-headless.default.svc.cluster.local "$BIN/zkGenConfig.sh"
    check "zkGenConfig.sh: exit 0" test "$(cat "$T/gc/run/rc")" = 0
    check "zkGenConfig.sh: zoo.cfg" diff -q <(printf '%s\n' "#This file was autogenerated by k8szk DO NOT EDIT" clientPort=2181 \
        "dataDir=$GC/data" "dataLogDir=$GC/datalog" tickTime=2000 initLimit=10 syncLimit=5 maxClientCnxns=60 \
        "minSessionTimeout= 4000" "maxSessionTimeout= 40000" autopurge.snapRetainCount=3 autopurge.purgeInteval=1 \
        server.1=myzk-zookeeper-0.$GCD:2888:3888 server.2=myzk-zookeeper-1.$GCD:2888:3888 \
        server.3=myzk-zookeeper-2.$GCD:2888:3888 '4lw.commands.whitelist=*') "$GC/conf/zoo.cfg"
    check "zkGenConfig.sh: myid 2" diff -q <(echo 2) "$GC/data/myid"
    check "zkGenConfig.sh: stdout" bash -c "head -3 '$T/gc/run/out' | diff -q - <(printf '%s\n' 'Validating environment' ZK_REPLICAS=3 MY_ID=2) >/dev/null && tail -1 '$T/gc/run/out' | grep -qx 'Wrote JVM configuration to $GC/conf/java.env'"
    capture "$T/gc/none" env -u ZK_REPLICAS "$T/in_host" zk-0 d "$BIN/zkGenConfig.sh"
    check "zkGenConfig.sh: ZK_REPLICAS missing exits 1" bash -c "[ \$(cat '$T/gc/none/rc') = 1 ] && grep -qx 'ZK_REPLICAS is a mandatory environment variable' '$T/gc/none/out'"
else
    log "not root or no unshare: start-zookeeper / zkGenConfig.sh hostname cases skipped"
fi

log "took $((SECONDS - START)) s"
echo "ops: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
