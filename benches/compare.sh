#!/usr/bin/env bash
# Apache ZooKeeper 3.8 (Debian package) vs zkrs, side by side, on identical zoo.cfg files
# (fsync on, loopback, fresh dataDirs). Every scenario runs on both servers alternately,
# A B A B ... for --rounds rounds; the table shows medians and the ratio zkrs/ZooKeeper.
# See docs/performance.md for what each scenario measures and the targets.
#
#   benches/compare.sh                 # full run (3 rounds, 200k znodes; ~6-15 min on 2 cores)
#   benches/compare.sh --quick         # smoke run with tiny counts (<60 s once built)
#   benches/compare.sh --scale 0.25    # full scenarios with a quarter of the request counts
#   benches/compare.sh --only zkrs     # one server only (no ratios)
#
# Output: a table on stdout, and in --out DIR (default target/bench/compare-<time>):
#   raw.jsonl      every zkrs-bench / wait-ready JSON line, with its scenario, server and round
#   results.jsonl  one line per (scenario, server, round) measurement
#   summary.jsonl  one line per scenario: medians, ratio, target, met
#   table.md       the table as Markdown
#   <server>-<instance>-r<round>/  zoo.cfg and server.log of every server instance (and its
#                  data/ with --keep-data)
#
# Every server started here is stopped by pid (also on Ctrl-C or error); every wait is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=0
ROUNDS=""
SCALE=1
OUT=""
BUILD=1
KEEP_DATA=0
ONLY=""
BASE_PORT=${ZKRS_BENCH_PORT:-23181}

usage() {
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'
Options:
  --quick          tiny counts, 1 round (CI smoke run)
  --rounds N       rounds of A B (default 3; 1 with --quick)
  --scale F        multiply every request count by F (e.g. 0.25 for a reduced full run)
  --out DIR        where to write the JSON lines, logs and data directories
  --only zk|zkrs   run one server only
  --no-build       do not run cargo build first
  --keep-data      keep every instance's data/ (a full run writes ~2 GB of txn logs per server)
  --port P         first loopback port to try (default 23181, env ZKRS_BENCH_PORT)
Env: ZK_CLASSPATH (default: Debian's /usr/share/java jars), JAVA (default java), ZK_HEAP (default 2g),
     ZKRS_BIN / ZKRS_BENCH_BIN (binaries to use instead of target/release/{zkrs,zkrs-bench}),
     ZKRS_EXTRA_CFG (lines appended to zkrs's zoo.cfg only).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --rounds) ROUNDS=$2; shift ;;
        --scale) SCALE=$2; shift ;;
        --out) OUT=$2; shift ;;
        --only) ONLY=$2; shift ;;
        --no-build) BUILD=0 ;;
        --keep-data) KEEP_DATA=1 ;;
        --port) BASE_PORT=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then
    ROUNDS=${ROUNDS:-1}
    N_SEQ=200; W_SEQ=50; N_PIPE_W=2000; N_PIPE_R=4000; N_MIXED=4000; N_KEYS=1000
    N_LOAD=2000; N_SNAPW=2000; SNAPCOUNT=500; W_PIPE=200
    RUN_MAX_S=20; STARTUP_TIMEOUT=60
else
    ROUNDS=${ROUNDS:-3}
    N_SEQ=2000; W_SEQ=500; N_PIPE_W=50000; N_PIPE_R=100000; N_MIXED=100000; N_KEYS=10000
    N_LOAD=200000; N_SNAPW=60000; SNAPCOUNT=20000; W_PIPE=5000
    RUN_MAX_S=300; STARTUP_TIMEOUT=180
fi
scale() { python3 -c 'import sys; print(max(1, int(float(sys.argv[1]) * float(sys.argv[2]))))' "$1" "$SCALE"; }
if [ "$SCALE" != 1 ]; then
    N_SEQ=$(scale $N_SEQ); W_SEQ=$(scale $W_SEQ); N_PIPE_W=$(scale $N_PIPE_W)
    N_PIPE_R=$(scale $N_PIPE_R); N_MIXED=$(scale $N_MIXED); N_LOAD=$(scale $N_LOAD)
    N_SNAPW=$(scale $N_SNAPW); SNAPCOUNT=$(scale $SNAPCOUNT); W_PIPE=$(scale $W_PIPE)
fi
# No snapshot during a run on the "steady" instance.
SNAP_NONE=100000000

ZK_CLASSPATH=${ZK_CLASSPATH:-/usr/share/java/zookeeper.jar:/usr/share/java/netty-codec.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar}
JAVA=${JAVA:-java}
ZK_HEAP=${ZK_HEAP:-2g}
BIN_ZKRS=${ZKRS_BIN:-$ROOT/target/release/zkrs}
BENCH=${ZKRS_BENCH_BIN:-$ROOT/target/release/zkrs-bench}

SERVERS="zk zkrs"
case "$ONLY" in
    "") ;;
    zk|zkrs) SERVERS=$ONLY ;;
    *) echo "compare.sh: --only takes zk or zkrs" >&2; exit 2 ;;
esac
ZK_NOTE=""
if [[ " $SERVERS " == *" zk "* ]]; then
    if ! command -v "$JAVA" >/dev/null 2>&1 || [ ! -f "${ZK_CLASSPATH%%:*}" ]; then
        if [ "$QUICK" = 1 ]; then
            ZK_NOTE="ZooKeeper not installed (apt-get install zookeeper): zkrs only"
            echo "compare.sh: $ZK_NOTE" >&2
            SERVERS=zkrs
        else
            echo "compare.sh: java or ${ZK_CLASSPATH%%:*} missing (apt-get install zookeeper), or use --only zkrs" >&2
            exit 2
        fi
    fi
fi

if [ "$BUILD" = 1 ]; then
    (cd "$ROOT" && cargo build --release -q -p zkrs -p zkrs-bench)
fi
[ -x "$BIN_ZKRS" ] && [ -x "$BENCH" ] || { echo "compare.sh: build target/release/zkrs and zkrs-bench first" >&2; exit 2; }

OUT=${OUT:-$ROOT/target/bench/compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
: > "$OUT/raw.jsonl"
: > "$OUT/results.jsonl"

# ---------------------------------------------------------------- processes
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap cleanup EXIT
trap 'echo "compare.sh: interrupted" >&2; exit 130' INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p=$1
    for _ in $(seq 1 200); do
        if ! port_in_use "$p"; then echo "$p"; return 0; fi
        p=$((p + 1))
    done
    echo "compare.sh: no free port from $1" >&2
    return 1
}
ZK_PORT=$(pick_port "$BASE_PORT")
ZKRS_PORT=$(pick_port $((ZK_PORT + 1)))

jget() {
    python3 -c 'import json,sys
v = json.loads(sys.argv[1]).get(sys.argv[2])
print("null" if v is None else v)' "$1" "$2"
}

# start_server KIND INSTANCE SNAPCOUNT [reuse]: sets SERVER_PID PORT DIR READY_JSON.
start_server() {
    local kind=$1 inst=$2 snapcount=$3 reuse=${4:-}
    DIR=$OUT/$kind-$inst
    if [ "$kind" = zk ]; then PORT=$ZK_PORT; else PORT=$ZKRS_PORT; fi
    if [ -z "$reuse" ]; then
        rm -rf "$DIR"
        mkdir -p "$DIR/data"
        # Identical for both servers but for dataDir and clientPort; forceSync defaults to yes.
        cat > "$DIR/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$DIR/data
clientPort=$PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
snapCount=$snapcount
EOF
        # Extra zoo.cfg lines for zkrs only (benches/metrics_overhead.sh: the metrics provider).
        if [ "$kind" = zkrs ] && [ -n "${ZKRS_EXTRA_CFG:-}" ]; then
            printf '%s\n' "$ZKRS_EXTRA_CFG" >> "$DIR/zoo.cfg"
        fi
        cat > "$DIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n
EOF
    fi
    if port_in_use "$PORT"; then
        echo "compare.sh: port $PORT is busy" >&2
        return 1
    fi
    local t0
    t0=$(date +%s%N)
    if [ "$kind" = zk ]; then
        # Default JVM settings plus -Xmx (the Debian zkServer.sh adds nothing else by default).
        ( exec "$JAVA" "-Xmx$ZK_HEAP" "-Dzookeeper.log.dir=$DIR" \
            "-Dlog4j.configuration=file:$DIR/log4j.properties" -cp "$ZK_CLASSPATH" \
            org.apache.zookeeper.server.quorum.QuorumPeerMain "$DIR/zoo.cfg" ) >>"$DIR/server.log" 2>&1 &
    else
        ( exec "$BIN_ZKRS" server "$DIR/zoo.cfg" ) >>"$DIR/server.log" 2>&1 &
    fi
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    if ! READY_JSON=$(timeout $((STARTUP_TIMEOUT + 10)) "$BENCH" wait-ready \
            --server "127.0.0.1:$PORT" --timeout "$STARTUP_TIMEOUT" --since-ns "$t0"); then
        echo "compare.sh: $kind ($inst) did not become ready; tail of $DIR/server.log:" >&2
        tail -20 "$DIR/server.log" >&2 || true
        return 1
    fi
    echo "$READY_JSON" | python3 -c 'import json,sys
d = json.loads(sys.stdin.read()); d.update(scenario=sys.argv[1], server=sys.argv[2], round=int(sys.argv[3]))
print(json.dumps(d))' "wait-ready:$inst" "$kind" "$ROUND" >> "$OUT/raw.jsonl"
}

stop_server() {
    local pid=$SERVER_PID
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

# bench SCENARIO ARGS...: one zkrs-bench run against the current server; prints its JSON line.
bench() {
    local scenario=$1; shift
    local line
    line=$(timeout $((RUN_MAX_S * 3 + 120)) "$BENCH" run --server "127.0.0.1:$PORT" \
        --label "$KIND:$scenario:r$ROUND" --output json --max-seconds "$RUN_MAX_S" "$@")
    echo "$line" | python3 -c 'import json,sys
d = json.loads(sys.stdin.read()); d.update(scenario=sys.argv[1], server=sys.argv[2], round=int(sys.argv[3]))
print(json.dumps(d))' "$scenario" "$KIND" "$ROUND" >> "$OUT/raw.jsonl"
    echo "$line"
}

# metric SCENARIO VALUE [NOTE]
metric() {
    python3 -c 'import json,sys
v = sys.argv[4]
v = None if v in ("null", "") else float(v)
d = dict(scenario=sys.argv[1], server=sys.argv[2], round=int(sys.argv[3]), value=v)
if len(sys.argv) > 5 and sys.argv[5]: d["note"] = sys.argv[5]
print(json.dumps(d))' "$1" "$KIND" "$ROUND" "$2" "${3:-}" >> "$OUT/results.jsonl"
    printf '  %-22s %-5s r%s  %s %s\n' "$1" "$KIND" "$ROUND" "$2" "${3:-}" >&2
}

drop_data() { [ "$KEEP_DATA" = 1 ] || rm -rf "$DIR/data"; }
# Snapshots by name; zkrs writes `snapshot.<zxid>.tmp` and renames it, so one in progress and
# the same one finished count once.
count_snapshots() { find "$1/data" -name 'snapshot.*' 2>/dev/null | sed 's/\.tmp$//' | sort -u | wc -l; }
# True while a zkrs snapshot is being written (ZooKeeper writes under the final name).
snapshot_in_progress() { [ -n "$(find "$1/data" -name 'snapshot.*.tmp' 2>/dev/null | head -1)" ]; }
has_txn_log() { [ -n "$(find "$1/data" -name 'log.*' 2>/dev/null | head -1)" ]; }

round_for() {
    KIND=$1
    local j v p999_steady p999_snap expected nodes snaps_before snaps_after
    echo "== round $ROUND: $KIND" >&2

    # -- instance 1: empty server: start-up, sequential latency, pipelined throughput, mixed.
    start_server "$KIND" "basic-r$ROUND" "$SNAP_NONE"
    metric startup_empty_ms "$(jget "$READY_JSON" ready_ms)"
    # Writes that reach no txn log are not comparable with ZooKeeper's fsynced ones: flag them.
    j=$(bench seq_create --workload create --sessions 1 --window 1 --requests "$N_SEQ" --warmup "$W_SEQ")
    WNOTE=""
    if [ "$KIND" = zkrs ] && ! has_txn_log "$DIR"; then
        WNOTE="not durable: zkrs storage not wired (no txn log, no fsync)"
    fi
    metric seq_create_p50_us "$(jget "$j" p50_us)" "$WNOTE"
    metric seq_create_p99_us "$(jget "$j" p99_us)" "$WNOTE"
    j=$(bench seq_get --workload get --sessions 1 --window 1 --requests "$N_SEQ" --warmup "$W_SEQ" --keys "$N_KEYS")
    metric seq_get_p50_us "$(jget "$j" p50_us)"
    metric seq_get_p99_us "$(jget "$j" p99_us)"
    j=$(bench seq_set --workload set --sessions 1 --window 1 --requests "$N_SEQ" --warmup "$W_SEQ" --keys "$N_KEYS")
    metric seq_set_p50_us "$(jget "$j" p50_us)" "$WNOTE"
    metric seq_set_p99_us "$(jget "$j" p99_us)" "$WNOTE"
    j=$(bench pipe_create --workload create --sessions 4 --window 64 --requests "$N_PIPE_W" --warmup "$W_PIPE")
    metric pipe_create_ops "$(jget "$j" ops_per_s)" "$WNOTE"
    j=$(bench pipe_set --workload set --sessions 4 --window 64 --requests "$N_PIPE_W" --warmup "$W_PIPE" --keys "$N_KEYS")
    metric pipe_set_ops "$(jget "$j" ops_per_s)" "$WNOTE"
    j=$(bench pipe_get --workload get --sessions 4 --window 64 --requests "$N_PIPE_R" --warmup "$W_PIPE" --keys "$N_KEYS")
    metric pipe_get_ops "$(jget "$j" ops_per_s)"
    j=$(bench mixed90 --workload mixed --read-pct 90 --sessions 32 --window 8 --requests "$N_MIXED" --warmup "$W_PIPE" --keys "$N_KEYS")
    metric mixed90_ops "$(jget "$j" ops_per_s)" "$WNOTE"
    stop_server
    drop_data

    # -- instance 2: N_LOAD znodes of 100 B, no snapshot: RSS, dataDir size, steady write p999.
    start_server "$KIND" "steady-r$ROUND" "$SNAP_NONE"
    j=$(bench load --workload set --keys "$N_LOAD" --size 100 --sessions 4 --window 64 --requests 1000)
    metric load_ops "$(python3 -c 'import sys; print(int(sys.argv[1]) / max(float(sys.argv[2]), 1e-9))' "$N_LOAD" "$(jget "$j" populate_s)")" "$WNOTE"
    metric rss_loaded_mb "$(python3 -c 'import sys; print(int(sys.argv[1]) / 1024)' "$(ps -o rss= -p "$SERVER_PID" | tr -d ' ')")"
    if [ "$KIND" = zkrs ] && ! has_txn_log "$DIR"; then
        metric disk_loaded_mb null "storage not wired"
    else
        # Allocated blocks, not the apparent size (txn logs are preallocated sparse files).
        metric disk_loaded_mb "$(python3 -c 'import sys; print(int(sys.argv[1]) / 1048576)' "$(du -s -B1 "$DIR/data" | cut -f1)")"
    fi
    j=$(bench steady_set --workload set --keys "$N_LOAD" --size 100 --sessions 4 --window 16 --requests "$N_SNAPW")
    p999_steady=$(jget "$j" p999_us)
    metric steady_set_p999_us "$p999_steady" "$WNOTE"
    stop_server
    drop_data

    # -- instance 3: the same load with snapCount=SNAPCOUNT: write p999 while snapshots are
    #    taken, then a restart (recovery of N_LOAD znodes).
    start_server "$KIND" "snap-r$ROUND" "$SNAPCOUNT"
    bench snap_load --workload set --keys "$N_LOAD" --size 100 --sessions 4 --window 64 --requests 1000 >/dev/null
    snaps_before=$(count_snapshots "$DIR")
    writing_before=0
    if snapshot_in_progress "$DIR"; then writing_before=1; fi
    j=$(bench snap_set --workload set --keys "$N_LOAD" --size 100 --sessions 4 --window 16 --requests "$N_SNAPW")
    p999_snap=$(jget "$j" p999_us)
    snaps_after=$(count_snapshots "$DIR")
    # A snapshot was written during the run if one started during it, or if one was being
    # written when it started (with snapshots back to back, a fast run can fit in one).
    if [ "$snaps_after" -gt "$snaps_before" ] || [ "$writing_before" = 1 ]; then
        metric snapshot_set_p999_us "$p999_snap"
        metric snapshot_p999_vs_steady "$(python3 -c 'import sys; print(float(sys.argv[1]) / max(float(sys.argv[2]), 1))' "$p999_snap" "$p999_steady")"
    else
        echo "  no snapshot file written during snap_set" >&2
        metric snapshot_set_p999_us null "no snapshot during the run"
        metric snapshot_p999_vs_steady null "no snapshot during the run"
    fi
    expected=$("$BENCH" flw --server "127.0.0.1:$PORT" srvr | sed -n 's/^Node count: //p')
    stop_server
    start_server "$KIND" "snap-r$ROUND" "$SNAPCOUNT" reuse
    nodes=$(jget "$READY_JSON" node_count)
    if [ "$nodes" -ge "$expected" ] 2>/dev/null; then
        metric recovery_loaded_ms "$(jget "$READY_JSON" ready_ms)"
    else
        echo "  zkrs restart: $nodes of $expected znodes back" >&2
        metric recovery_loaded_ms null "storage not wired"
    fi
    stop_server
    drop_data
}

START=$(date +%s)
echo "compare.sh: rounds=$ROUNDS quick=$QUICK scale=$SCALE servers=[$SERVERS] ports zk=$ZK_PORT zkrs=$ZKRS_PORT out=$OUT" >&2
for ROUND in $(seq 1 "$ROUNDS"); do
    for s in $SERVERS; do
        round_for "$s"
    done
done
END=$(date +%s)

python3 "$ROOT/benches/compare_report.py" --results "$OUT/results.jsonl" \
    --summary "$OUT/summary.jsonl" --markdown "$OUT/table.md" \
    --title "rounds=$ROUNDS quick=$QUICK scale=$SCALE load=$N_LOAD znodes, $(nproc) cores, wall $((END - START)) s" \
    ${ZK_NOTE:+--note "$ZK_NOTE"}
echo "compare.sh: JSON lines and logs in $OUT" >&2
