#!/usr/bin/env bash
# The project's test command (README). Runs every Rust test in the workspace, then the
# end-to-end suites that need real clients or Apache ZooKeeper, each of which installs what
# it needs (apt-get / a venv under target/) and stops every process it starts.
#
#   ./tests/run.sh               everything
#   ZKRS_FAST=1 ./tests/run.sh   Rust tests only
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test --workspace"
cargo test --workspace --locked

if [ "${ZKRS_FAST:-0}" = "1" ]; then
  exit 0
fi

echo "== release build"
cargo build --release --locked -p zkrs -p zkrs-difftest

echo "== differential test: Apache ZooKeeper 3.8 vs zkrs (10 seeds x 2000 ops)"
tests/differential/run.sh --seeds 10 --ops 2000

echo "== conformance: kazoo, aiozk, Curator, zkCli.sh, cli_mt against zkrs"
ZKRS_BIN=release tests/conformance/run.sh --server zkrs --suite all

echo "== kazoo restart tests: kazoo's harness stops and restarts zkrs on its dataDir"
# test_request_queuing_session_recovered (the session survives the restart) and
# test_request_queuing_session_expired, threading handler only (the gevent/eventlet variants
# are deselected: those packages are not installed, so they would only skip). Exactly these 2
# must pass: a skip, a failure or a test no longer collected fails the step. At most 10 min.
KAZOO_RESTART_OUT=target/conformance/kazoo-restart.txt
mkdir -p target/conformance
ZKRS_BIN=release timeout -k 30 600 tests/conformance/run.sh --server zkrs --suite kazoo \
  --kazoo-managed -k 'test_request_queuing and not Gevent and not Eventlet' \
  | tee "$KAZOO_RESTART_OUT"
if ! grep -qx 'kazoo: 2 passed, 0 failed, 0 skipped' "$KAZOO_RESTART_OUT"; then
  echo "kazoo restart tests: expected 'kazoo: 2 passed, 0 failed, 0 skipped'" >&2
  exit 1
fi

echo "== kazoo TestReconfig: kazoo's harness starts 3 zkrs members (reconfigEnabled, superDigest)"
# test_no_super_auth, test_add_remove_observer, test_bad_input: exactly these 3 must pass.
KAZOO_RECONFIG_OUT=target/conformance/kazoo-reconfig.txt
KAZOO_CLUSTER_SIZE=3 ZKRS_BIN=release timeout -k 30 600 tests/conformance/run.sh --server zkrs \
  --suite kazoo --kazoo-managed -k 'TestReconfig' | tee "$KAZOO_RECONFIG_OUT"
if ! grep -qx 'kazoo: 3 passed, 0 failed, 0 skipped' "$KAZOO_RECONFIG_OUT"; then
  echo "kazoo TestReconfig: expected 'kazoo: 3 passed, 0 failed, 0 skipped'" >&2
  exit 1
fi

echo "== kazoo TestReadOnlyMode: kazoo's harness starts 3 zkrs members and stops 2 (--kazoo-managed)"
# kazoo 2.11's own read-only test (tests/conformance/java-shim carries the harness's
# -Dreadonlymode.enabled=true into zoo.cfg): the client must get CONNECTED_RO on the survivor,
# read, and fail a write with NotReadOnlyCallError. Exactly this 1 test must pass. About 1 min.
KAZOO_RO_OUT=target/conformance/kazoo-read-only.txt
KAZOO_CLUSTER_SIZE=3 ZKRS_BIN=release timeout -k 30 600 tests/conformance/run.sh --server zkrs \
  --suite kazoo --kazoo-managed -k 'TestReadOnlyMode' | tee "$KAZOO_RO_OUT"
if ! grep -qx 'kazoo: 1 passed, 0 failed, 0 skipped' "$KAZOO_RO_OUT"; then
  echo "kazoo TestReadOnlyMode: expected 'kazoo: 1 passed, 0 failed, 0 skipped'" >&2
  exit 1
fi

echo "== ensemble: conformance suites and differential test against a FOLLOWER of 3 zkrs members"
# Every client connects to a follower of a 3-member zkrs ensemble (tests/lib/ensemble_server.py).
# Each suite's counts must equal those of the same run against a 3-member Apache ZooKeeper 3.8
# ensemble (tests/conformance/expected-ensemble.txt, 470 passed as standalone); the clients'
# member must stay a follower throughout. About 3 min. Then a Java follower and a zkrs follower
# get the same seeded ops (10 seeds x 2000 ops, about 30 s).
ZKRS_BIN=release tests/conformance/run.sh --server zkrs-ensemble --suite all \
  --expect tests/conformance/expected-ensemble.txt
tests/differential/run.sh --ensemble --seeds 10 --ops 2000

echo "== storage interop: zkrs <-> Apache ZooKeeper 3.8 on the same dataDir"
ZKRS_BIN=release tests/interop/run.sh

echo "== crash test: 20 SIGKILLs under load, every acknowledged write kept"
tests/crash/run.sh

echo "== quorum: all-zkrs, all-Java (3.8) and mixed ensembles on loopback"
ZKRS_BIN=release tests/quorum/run.sh --no-build

echo "== operator commands: zkServer.sh (side by side with Debian's), entrypoint, Kubernetes scripts"
# tests/ops/run.sh: `zkServer.sh status` byte-identical to Debian's script against standalone
# and ensemble members, start/stop/restart with a pid file, docker-entrypoint.sh,
# start-zookeeper, zkGenConfig.sh and the probes. About 15 s.
timeout -k 30 300 tests/ops/run.sh --no-build

echo "== zkCli: Java 3.8 zkCli.sh vs zkrs zkCli.sh, the same sessions, transcripts diffed"
timeout -k 30 600 tests/cli/run.sh --no-build

echo "== observability: AdminServer vs Java 3.8, Prometheus /metrics with a real Prometheus, logs"
# tests/observability/run.sh: every AdminServer command compared key by key with Java 3.8's,
# /ready and /live; /metrics and mntr values after the captures' workload and the dashboard's
# PromQL through a real Prometheus; ZooKeeper's log lines, JSON lines and level knobs.
ZKRS_BIN=release tests/observability/run.sh --no-build

echo "== containers: the zkrs image, docker-compose, seed 000's observer, StatefulSets"
# tests/docker/run.sh: images built from Debian's packages here (debootstrap + docker import;
# no registry), the official image's contract, the compose ensemble under kill and partitions,
# a zkrs observer joining a Java ensemble across networks, the Kubernetes tutorial's manifest
# rolled from Java to zkrs and deploy/kubernetes/ scaled 3 -> 5 -> 3. Prints
# `skipped: no Docker engine` where there is none.
tests/docker/run.sh --no-build

echo "== benchmark smoke: load generator against zkrs and Apache ZooKeeper (tiny counts)"
cargo build --release --locked -p zkrs-bench
smoke_out="target/bench/compare-smoke"
rm -rf "$smoke_out"
benches/compare.sh --quick --no-build --out "$smoke_out"
# 3-member ensembles, Java vs zkrs (docs/performance.md, "Ensembles"): smoke run.
target/conformance-venv/bin/python benches/ensemble.py --quick --out target/bench/ensemble-smoke
# The metrics' cost (docs/performance.md, "Metrics on"): smoke run of the off/on comparison.
benches/metrics_overhead.sh --pairs 1 --quick --no-build --out target/bench/metrics-overhead-smoke
# The pooling of runs that docs/performance.md uses: it must read what compare.sh writes.
pooled=$(benches/pool.py "$smoke_out" "$smoke_out")
grep -q '^| start-up to first session, empty (ms) |' <<<"$pooled"

# Every step above exits non-zero on a failure (set -e), so reaching here means all passed.
echo "suites (cargo test, differential, conformance, kazoo restart, kazoo reconfig, kazoo read-only, ensemble follower, interop, crash, quorum, operator commands, zkCli, observability, containers, bench smoke): 15 passed, 0 failed"
