#!/usr/bin/env bash
# Differential test: the same seeded random op sequences against Apache ZooKeeper 3.8 (Debian)
# and zkrs; normalized transcripts must be identical. See docs/differential.md.
#
#   tests/differential/run.sh                     ZooKeeper vs zkrs, 10 seeds x 2000 ops
#   tests/differential/run.sh --zk-twice          ZooKeeper vs ZooKeeper (harness self-test)
#   tests/differential/run.sh --seeds 3 --ops 500 [other zkrs-difftest options]
#   tests/differential/run.sh --ensemble          a FOLLOWER of a 3-member ZooKeeper ensemble vs
#                                                 a follower of a 3-member zkrs ensemble
#                                                 (with --zk-twice: two Java ensembles)
#   tests/differential/run.sh --no-build          use the existing release binaries
#                                                 (ZKRS_BIN=/path: that zkrs binary,
#                                                 DIFFTEST_BIN=/path: that zkrs-difftest)
#
# Installs ZooKeeper with apt-get if missing, builds zkrs and zkrs-difftest (release), starts
# both servers on free loopback ports with fresh dataDirs and the same zoo.cfg, runs the
# comparison, stops every process it started (trap), and ends with "N passed, M failed" (seeds).
# --ensemble starts each side with tests/lib/ensemble_server.py (tests/quorum/ensemble.py's
# harness; the same extra zoo.cfg keys on every member, Java members with
# -Dznode.container.checkIntervalMs) and points the driver at the lowest-sid follower.
# Transcripts, diffs and server logs: target/difftest/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

MODE=zkrs
SEEDS=10
OPS=2000
ENSEMBLE=0
BUILD=1
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --zk-twice) MODE=zk-twice; shift ;;
    --ensemble) ENSEMBLE=1; shift ;;
    --no-build) BUILD=0; shift ;;
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
DIFFTEST=${DIFFTEST_BIN:-$ROOT/target/release/zkrs-difftest}
ZKRS=${ZKRS_BIN:-$ROOT/target/release/zkrs}
[ "$ZKRS" = release ] && ZKRS=$ROOT/target/release/zkrs
if [ "$BUILD" = 1 ]; then
  echo "== building"
  cargo build --release --locked -p zkrs-difftest
  if [ "$MODE" = zkrs ] && [ -z "${ZKRS_BIN:-}" ]; then
    cargo build --release --locked -p zkrs
  fi
fi
[ -x "$DIFFTEST" ] || { echo "no $DIFFTEST (run without --no-build)" >&2; exit 2; }
if [ "$MODE" = zkrs ] && [ ! -x "$ZKRS" ]; then
  echo "no zkrs binary at $ZKRS" >&2
  exit 2
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
    [ -f "$WORK/$d/launcher.log" ] && cp "$WORK/$d/launcher.log" "$OUT/ensemble-$d.log"
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

# start_ensemble DIR KIND: a 3-member ensemble of KIND (zookeeper | zkrs) through
# tests/lib/ensemble_server.py; sets PORT to a follower's client port.
start_ensemble() {
  local dir=$1 kind=$2 k v line cfg=() i
  mkdir -p "$dir"
  # The extra keys of the standalone zoo.cfg (extendedTypesEnabled, forceSync, the container
  # check interval) on every member; ensemble.py writes the common ones itself.
  while IFS= read -r line; do
    k=${line%%=*} v=${line#*=}
    case "$k" in
      ''|'#'*|tickTime|initLimit|syncLimit|dataDir|clientPort|clientPortAddress|maxClientCnxns|admin.enableServer|4lw.commands.whitelist) ;;
      *) cfg+=(--cfg "$k=$v") ;;
    esac
  done < <("$DIFFTEST" --print-zoo-cfg "$dir/unused" 1)
  ZKRS_EXE="$ZKRS" python3 "$ROOT/tests/lib/ensemble_server.py" \
    --kind "$([ "$kind" = zkrs ] && echo zkrs || echo java)" --name "$(basename "$dir")-$kind-ensemble" \
    --root "$dir" --info "$dir/info" --logs "$OUT" "${cfg[@]}" \
    --java-opt=-Dznode.container.checkIntervalMs=2147483647 \
    > "$dir/launcher.log" 2>&1 < /dev/null &
  PIDS+=($!)
  for i in $(seq 1 300); do # at most ~150 s
    [ -s "$dir/info" ] && break
    if ! kill -0 "${PIDS[-1]}" 2>/dev/null; then break; fi
    sleep 0.5
  done
  if [ ! -s "$dir/info" ]; then
    echo "$kind ensemble in $dir did not come up; launcher log:" >&2
    tail -50 "$dir/launcher.log" >&2 || true
    return 1
  fi
  # shellcheck disable=SC1091
  . "$dir/info"
  PORT=$ENSEMBLE_FOLLOWER_PORT
  echo "== $kind ensemble: leader s$ENSEMBLE_LEADER_SID ($ENSEMBLE_LEADER), follower s$ENSEMBLE_FOLLOWER_SID ($ENSEMBLE_FOLLOWER), pids $ENSEMBLE_PIDS"
}

if [ "$MODE" = zk-twice ]; then
  KIND_A=zookeeper LABEL_A=zookeeper-1 KIND_B=zookeeper LABEL_B=zookeeper-2
else
  KIND_A=zookeeper LABEL_A=zookeeper KIND_B=zkrs LABEL_B=zkrs
fi
START=start_server
if [ "$ENSEMBLE" = 1 ]; then
  START=start_ensemble
  LABEL_A=$LABEL_A-follower LABEL_B=$LABEL_B-follower
  # /zookeeper/config holds each ensemble's server lines: same text, other ports.
  EXTRA+=(--mask-config-ports)
  mkdir -p "$OUT"
  rm -f "$OUT"/*-ensemble-s*.log
fi
if ! $START "$WORK/a" "$KIND_A"; then PORT_A=; else PORT_A=$PORT; fi
if [ -n "$PORT_A" ] && $START "$WORK/b" "$KIND_B"; then PORT_B=$PORT; else PORT_B=; fi
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
