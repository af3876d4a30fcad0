#!/usr/bin/env bash
# Differential test: the same seeded random op sequences against Apache ZooKeeper 3.8 (Debian)
# and zkrs; normalized transcripts must be identical. See docs/differential.md.
#
#   tests/differential/run.sh                     ZooKeeper vs zkrs, 10 seeds x 2000 ops
#   tests/differential/run.sh --zk-twice          ZooKeeper vs ZooKeeper (harness self-test)
#   tests/differential/run.sh --seeds 3 --ops 500 [other zkrs-difftest options]
#
# Installs ZooKeeper with apt-get if missing, builds zkrs and zkrs-difftest (release), starts
# both servers on free loopback ports with fresh dataDirs and the same zoo.cfg, runs the
# comparison, stops every process it started (trap), and ends with "N passed, M failed" (seeds).
# Transcripts, diffs and server logs: target/difftest/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

MODE=zkrs
SEEDS=10
OPS=2000
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --zk-twice) MODE=zk-twice; shift ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --ops) OPS=$2; shift 2 ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done

# --- Apache ZooKeeper (Debian) ----------------------------------------------------------------
ZK_JARS="/usr/share/java/zookeeper.jar /usr/share/java/netty-codec.jar /usr/share/java/slf4j-log4j12.jar /usr/share/java/log4j-1.2.jar"
need_install=0
for j in $ZK_JARS; do [ -f "$j" ] || need_install=1; done
command -v java >/dev/null 2>&1 || need_install=1
if [ "$need_install" = 1 ]; then
  echo "== installing zookeeper (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper libnetty-java libslf4j-java liblog4j1.2-java >/dev/null
fi
ZK_CP=$(echo $ZK_JARS | tr ' ' ':')

# --- build ------------------------------------------------------------------------------------
echo "== building"
cargo build --release --locked -p zkrs-difftest
DIFFTEST=$ROOT/target/release/zkrs-difftest
if [ "$MODE" = zkrs ]; then
  cargo build --release --locked -p zkrs
  ZKRS=$ROOT/target/release/zkrs
fi

# --- servers ----------------------------------------------------------------------------------
OUT=$ROOT/target/difftest
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zkrs-difftest.XXXXXX")
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  for d in a b; do
    [ -f "$WORK/$d/server.log" ] && cp "$WORK/$d/server.log" "$OUT/server-$d.log"
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT INT TERM

# start_server DIR KIND   (KIND = zookeeper | zkrs); sets PORT
start_server() {
  local dir=$1 kind=$2
  mkdir -p "$dir/data"
  PORT=$("$DIFFTEST" --print-free-port)
  "$DIFFTEST" --print-zoo-cfg "$dir/data" "$PORT" > "$dir/zoo.cfg"
  if [ "$kind" = zookeeper ]; then
    cat > "$dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n
EOF
    # Started directly (not in a subshell) so that $! is the JVM itself.
    java -Xmx512m -Dznode.container.checkIntervalMs=2147483647 \
      -Dzookeeper.log.dir="$dir" -Dlog4j.configuration="file:$dir/log4j.properties" \
      -cp "$ZK_CP" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
      > "$dir/server.log" 2>&1 < /dev/null &
  else
    "$ZKRS" server "$dir/zoo.cfg" > "$dir/server.log" 2>&1 < /dev/null &
  fi
  PIDS+=($!)
  if ! "$DIFFTEST" --wait-ready "127.0.0.1:$PORT" "${PIDS[-1]}"; then
    echo "server $kind in $dir did not come up; log:" >&2
    tail -50 "$dir/server.log" >&2 || true
    return 1
  fi
}

if [ "$MODE" = zk-twice ]; then
  KIND_A=zookeeper LABEL_A=zookeeper-1 KIND_B=zookeeper LABEL_B=zookeeper-2
else
  KIND_A=zookeeper LABEL_A=zookeeper KIND_B=zkrs LABEL_B=zkrs
fi
if ! start_server "$WORK/a" "$KIND_A"; then PORT_A=; else PORT_A=$PORT; fi
if [ -n "$PORT_A" ] && start_server "$WORK/b" "$KIND_B"; then PORT_B=$PORT; else PORT_B=; fi
if [ -z "$PORT_A" ] || [ -z "$PORT_B" ]; then
  echo "seeds=0 ops=0 mismatches=0 (a server did not start)"
  echo "0 passed, $SEEDS failed"
  exit 1
fi
echo "== $LABEL_A on 127.0.0.1:$PORT_A, $LABEL_B on 127.0.0.1:$PORT_B"

# --- compare ----------------------------------------------------------------------------------
set +e
"$DIFFTEST" --a "127.0.0.1:$PORT_A" --b "127.0.0.1:$PORT_B" \
  --label-a "$LABEL_A" --label-b "$LABEL_B" \
  --seeds "$SEEDS" --ops "$OPS" --out "$OUT" ${EXTRA[@]+"${EXTRA[@]}"}
rc=$?
set -e
exit $rc
