#!/usr/bin/env bash
# Containers (issue 14): the zkrs image, docker-compose and the StatefulSet, on this machine's
# Docker engine. No registry is reachable: the tests build a Debian bookworm base with
# debootstrap (`docker import`), the zkrs image from docker/Dockerfile on it (the release
# binary as prebuilt/zkrs), and a Java ZooKeeper 3.8 image from Debian's packages.
# - test_image.py: the official image's contract (ZOO_* variables, generated zoo.cfg and myid,
#   uid 1000, volumes, ports, healthcheck), the Java zkCli from the host and the image's own.
# - test_compose.py: docker/compose/ensemble.yml up, writes through every member, the leader
#   killed, partitions by `docker network disconnect`, no acknowledged write lost.
# - test_bare_metal.py: seed 002, three hosts started with zkServer.sh start, checked with
#   zkServer.sh status, one stopped with zkServer.sh stop.
# - test_statefulset.py: the tutorial's, the incubator chart's and deploy/kubernetes/ manifests
#   run as StatefulSets emulated with containers (k8s_emulator.py).
# - test_observer.py: seed 000, Java ensemble + zkrs observer from a second network through
#   published ports (docker/compose/observer/).
#
#   tests/docker/run.sh [--only PATTERN] [--no-build] [--timeout SECONDS]
#
# Prints `skipped: no Docker engine` and exits 0 where `docker info` fails. Every container,
# network and volume is labelled with this run's id and removed at the end (by label).
# Ends with `docker: N passed, M failed, K skipped`; exits non-zero on a failure.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/target/conformance-venv"
WORK="$ROOT/target/docker"
LOGS="$WORK/logs"

ONLY=""
BUILD=1
TIMEOUT=1500

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --only) [ $# -ge 2 ] || { echo "run.sh: --only needs a pattern" >&2; exit 2; }
            ONLY="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --timeout) [ $# -ge 2 ] || { echo "run.sh: --timeout needs seconds" >&2; exit 2; }
            TIMEOUT="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$TIMEOUT" in ''|*[!0-9]*) echo "run.sh: --timeout must be a number of seconds" >&2; exit 2 ;; esac

log() { printf '[docker %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

if ! command -v docker >/dev/null 2>&1 || ! timeout 60 docker info >/dev/null 2>&1; then
    echo "skipped: no Docker engine"
    exit 0
fi

T0=$SECONDS
mkdir -p "$LOGS"
rm -f "$LOGS"/*
export ZKT_RUN_ID="zkt$$"

PYTEST_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$PYTEST_PID" ] && kill -0 "$PYTEST_PID" 2>/dev/null; then
        kill -TERM "$PYTEST_PID" 2>/dev/null
        wait "$PYTEST_PID" 2>/dev/null
    fi
    # Whatever a killed pytest left: containers, networks, volumes of this run, by label.
    ids=$(docker ps -aq --filter "label=zkrs-test=$ZKT_RUN_ID" 2>/dev/null)
    [ -n "$ids" ] && docker rm -f -v $ids >/dev/null 2>&1
    for n in $(docker network ls -q --filter "label=zkrs-test=$ZKT_RUN_ID" 2>/dev/null); do
        docker network rm "$n" >/dev/null 2>&1
    done
    vols=$(docker volume ls -q --filter "label=zkrs-test=$ZKT_RUN_ID" 2>/dev/null)
    [ -n "$vols" ] && docker volume rm -f $vols >/dev/null 2>&1
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-600}"
# shellcheck source=../lib/install.sh
. "$ROOT/tests/lib/install.sh"
# debootstrap for the base image; the Java zkCli on the host (Debian's zookeeper package);
# docker-compose for the compose scenarios; binutils' strip for the image's binary.
ensure_debs --jdk debootstrap docker-compose binutils zookeeper libzookeeper-java \
    libnetty-java liblog4j1.2-java libslf4j-java
ensure_venv "$VENV" "$ROOT/tests/conformance/requirements.txt" .conformance-requirements

ZKRS_EXE="${ZKRS_EXE:-$ROOT/target/release/zkrs}"
if [ "$BUILD" = 1 ]; then
    log "cargo build --release -p zkrs"
    (cd "$ROOT" && timeout 3600 cargo build --release --locked -p zkrs) >"$LOGS/cargo-build.log" 2>&1 \
        || { tail -n 30 "$LOGS/cargo-build.log" >&2; die "cargo build failed"; }
fi
[ -x "$ZKRS_EXE" ] || die "no zkrs binary at $ZKRS_EXE"
export ZKRS_EXE DOCKER_WORK="$WORK"
export PYTHONDONTWRITEBYTECODE=1

log "images: base (debootstrap), zkrs (docker/Dockerfile), Java ZooKeeper 3.8 (Debian)"
DOCKER_TESTS="$HERE" "$VENV/bin/python" - <<'PY' 2>&1 | tee "$LOGS/images.log"
import os, sys
sys.path.insert(0, os.environ["DOCKER_TESTS"])
import dockerlib
dockerlib.build_images(lambda m: print(f"[docker] {m}", file=sys.stderr, flush=True))
PY
[ "${PIPESTATUS[0]}" = 0 ] || die "building the images failed (see $LOGS/images.log)"

JUNIT="$LOGS/junit.xml"
PYTEST_ARGS=(-v -rfEs --durations=0 -p no:cacheprovider -p no:asyncio
             --rootdir "$HERE" --junitxml "$JUNIT" -o junit_family=xunit2)
[ -n "$ONLY" ] && PYTEST_ARGS+=(-k "$ONLY")
log "pytest tests/docker (limit ${TIMEOUT} s)"
(
    cd "$HERE" || exit 2
    exec timeout -k 30 "$TIMEOUT" "$VENV/bin/python" -m pytest "${PYTEST_ARGS[@]}" test_*.py
) 2>&1 </dev/null | tee "$LOGS/pytest.log" &
PYTEST_PID=$!
wait "$PYTEST_PID"
PYTEST_PID=""

read -r P F S < <("$VENV/bin/python" - "$JUNIT" <<'PY'
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
log "done in $((SECONDS - T0)) s (logs: $LOGS)"
echo "docker: $P passed, $F failed, $S skipped"
[ "$F" = 0 ] && [ "$P" != 0 ] || exit 1
exit 0
