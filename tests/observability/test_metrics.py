"""zkrs's Prometheus endpoint under the captures' workload, and a real Prometheus scraping it.

tests/observability/run.sh runs this (pytest, the venv target/conformance-venv).

- A standalone zkrs and a 3-member zkrs ensemble, both with
  `metricsProvider.className=...PrometheusMetricsProvider`, on 127.0.0.1.
- On each, the captures' setup (README "Sequence" step 2: /foo, `setquota -n 100` and
  `-b 10000` with zkCli.sh) and the measured workload of step 4 (10 reads, 21 writes, with
  kazoo), on one session to the standalone server and to a follower.
- The exposition after it is checked against what the workload did: znode_count (walked
  znodes + 1), ephemerals_count 3, watch_count 3, readlatency_count/updatelatency_count
  deltas 10/21, fsynctime_count (= updatelatency_count standalone), the quota gauges
  (limit 100 / 10000, usage 10 znodes / 20 bytes), approximate_data_size (the walked
  path + data bytes, within ZooKeeper's own slack), num_alive_connections 1.
- leader_uptime and the other leader-only gauges only on the leader.
- A real Prometheus (Debian's `prometheus`) scrapes all four every second; each query of
  tests/observability/dashboard-queries.json (the zookeeper-mixin dashboard and alerts, the
  ZooKeeper docs' alerts) returns series wherever ZooKeeper 3.8 fills the panel.
- Last, the leader and one follower are killed: the remaining member, without a quorum,
  exports no gauges (as ZooKeeper, which unregisters them) but still answers /metrics.
"""

import json
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import metrics_harness as H  # noqa: E402

QUERIES = json.loads((Path(__file__).resolve().parent / "dashboard-queries.json").read_text())


@pytest.fixture(scope="module")
def standalone():
    s = H.start_standalone(H.WORK / "standalone")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ensemble():
    members = H.start_ensemble(H.WORK / "ensemble")
    yield members
    for m in members:
        m.stop()


def _kazoo(server: H.Server):
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=server.hostport(), timeout=30.0)
    zk.start(timeout=20)
    return zk


def _stable(server: H.Server) -> dict:
    """Polls /metrics (0.3 s apart, bounded) until the tracked values stop changing."""
    keys = ("readlatency_count", "updatelatency_count", "znode_count", "watch_count")
    last = None
    for _ in range(40):
        s = server.samples()
        now = tuple(s.get(k) for k in keys)
        if now == last:
            return s
        last = now
        time.sleep(0.3)
    return s


def _run_capture_sequence(server: H.Server):
    """Setup, then the measured workload; returns (before, after, walk, zk) — the session
    stays open (its ephemerals, watches and connection are part of what is checked)."""
    zk = _kazoo(server)
    zk.create("/foo", b"quota-root")
    how = H.set_quota(server, zk)
    print(f"quota set up with {how[:60]!r}")
    zk.exists("/zookeeper/quota/foo/zookeeper_limits")
    H.walk(zk)
    before = _stable(server)
    reads, writes = H.workload(zk)

    def grown():
        s = server.samples()
        ok = (s["readlatency_count"] - before["readlatency_count"] >= reads
              and s["updatelatency_count"] - before["updatelatency_count"] >= writes)
        return s if ok else None

    H.wait_until("latency counts to grow by the workload", grown, 15)
    time.sleep(0.5)
    after = server.samples()
    tree = H.walk(zk)
    return before, after, tree, zk


def _check_workload_values(before, after, tree, standalone: bool) -> list[str]:
    """Every mismatch between the exposition and what the workload did (all of them, so one
    run shows the whole picture)."""
    bad: list[str] = []

    def check(what: str, ok: bool, got) -> None:
        if not ok:
            bad.append(f"{what}: got {got!r}")

    def val(d: dict, key: str):
        return d.get(key)

    znodes = len(tree)
    check("19 znodes walked", znodes == 19, tree)
    check("znode_count = znodes + 1", val(after, "znode_count") == znodes + 1,
          val(after, "znode_count"))
    check("ephemerals_count 3", val(after, "ephemerals_count") == 3, val(after, "ephemerals_count"))
    check("watch_count 3", val(after, "watch_count") == 3, val(after, "watch_count"))
    d_read = after["readlatency_count"] - before["readlatency_count"]
    d_write = after["updatelatency_count"] - before["updatelatency_count"]
    check("readlatency_count +10", d_read == 10, d_read)
    check("updatelatency_count +21", d_write == 21, d_write)
    if standalone:
        check("fsynctime_count = updatelatency_count",
              after["fsynctime_count"] == after["updatelatency_count"],
              (after["fsynctime_count"], after["updatelatency_count"]))
    else:
        d_fsync = after["fsynctime_count"] - before["fsynctime_count"]
        check("fsynctime_count +21 or more", d_fsync >= 21, d_fsync)
    check("num_alive_connections 1", val(after, "num_alive_connections") == 1,
          val(after, "num_alive_connections"))
    # ZooKeeper's own figure is a few bytes short of the sum (the stats node is rewritten
    # in place without updating it): 361 for 363 in the capture.
    total = sum(len(path) + length for path, length, _ in tree if path != "/")
    size = val(after, "approximate_data_size")
    check(f"approximate_data_size within [{total - 4}, {total}]",
          size is not None and total - 4 <= size <= total, size)
    check("updatelatency p99 present", val(after, 'updatelatency{quantile="0.99",}') is not None,
          None)
    for key, b, a in (
        ('quota_count_limit_per_namespace{key="foo",}', None, 100.0),
        ('quota_bytes_limit_per_namespace{key="foo",}', None, 10000.0),
        ('quota_count_usage_per_namespace{key="foo",}', 1.0, 10.0),
        ('quota_bytes_usage_per_namespace{key="foo",}', 10.0, 20.0),
    ):
        check(f"{key} {a}", val(after, key) == a, val(after, key))
        if b is not None:
            check(f"{key} {b} before the workload", val(before, key) == b, val(before, key))
    wpn = val(after, 'write_per_namespace_count{key="foo",}') or 0
    check("write_per_namespace_count{key=foo} >= 16", wpn >= 16, wpn)
    return bad


def test_standalone_values_after_the_capture_workload(standalone):
    before, after, tree, zk = _run_capture_sequence(standalone)
    try:
        bad = _check_workload_values(before, after, tree, standalone=True)
        text = standalone.metrics()
        assert "# TYPE leader_uptime" not in text
        assert "# TYPE quorum_size" not in text
        mntr = H.fourlw(standalone.client_port, "mntr")
        assert "zk_znode_count\t20.0\n" in mntr, mntr
        if 'zk_quota_count_limit_per_namespace{key="foo"}\t100.0\n' not in mntr:
            bad.append("mntr: no zk_quota_count_limit_per_namespace{key=\"foo\"}\t100.0")
        assert not bad, "\n".join(bad)
    finally:
        zk.stop()
        zk.close()


def test_ensemble_follower_values_after_the_capture_workload(ensemble):
    follower = next(m for m in ensemble if m.mode() == "follower")
    before, after, tree, zk = _run_capture_sequence(follower)
    try:
        bad = _check_workload_values(before, after, tree, standalone=False)
        for m in ensemble:
            text = m.metrics()
            types = H.family_types(text)
            is_leader = m.mode() == "leader"
            for fam in ("leader_uptime", "learners", "synced_followers", "pending_syncs",
                        "synced_non_voting_followers", "last_proposal_size",
                        "min_proposal_size", "max_proposal_size"):
                assert (fam in types) == is_leader, (m.sid, fam)
            assert types.get("quorum_size") == "gauge"
            assert types.get("synced_observers") == "gauge"
            s = H.parse_samples(text)
            assert s["quorum_size"] == 3.0
            # Every member applied the same writes.
            assert s["znode_count"] == after["znode_count"], m.sid
            if is_leader:
                assert s["learners"] == 2.0 and s["synced_followers"] == 2.0
                assert s["leader_uptime"] > 0
        assert not bad, "\n".join(bad)
    finally:
        zk.stop()
        zk.close()


def test_prometheus_scrapes_and_dashboard_queries_return_series(standalone, ensemble):
    jobs = {
        "zk-standalone": [standalone.metrics_port],
        "zk-ensemble": [m.metrics_port for m in ensemble],
    }
    prom = H.Prometheus(H.WORK / "prometheus", jobs).start()
    try:
        def all_up():
            r = prom.query("up")
            return len(r) == 4 and all(x["value"][1] == "1" for x in r)

        try:
            H.wait_until("all four targets up", all_up, 60, interval=0.5)
        except AssertionError:
            print(json.dumps(prom.targets(), indent=1)[:3000])
            print(prom.log_tail())
            raise
        # rate()/increase() need two samples in their window.
        time.sleep(3.5)
        failures = []
        for q in QUERIES["queries"]:
            expr = q.get("series_expr", q["expr"]).replace("$job", ".+").replace(
                "$instance", ".+")
            result = prom.query(expr)
            if "deviation" in q:
                if result:
                    failures.append(f"{q['panel']}: expected no series ({q['deviation']})")
                continue
            if len(result) < q["min_series"]:
                failures.append(f"{q['panel']}: {len(result)} series < {q['min_series']}: {expr}")
            if q.get("check") == "role":
                values = sorted(float(x["value"][1]) for x in result)
                # one leader (1), two followers and the standalone server (0).
                if values != [0.0, 0.0, 0.0, 1.0]:
                    failures.append(f"{q['panel']}: {values}")
            print(f"{q['source']}: {q['panel']}: {len(result)} series")
        assert not failures, "\n".join(failures)
        # The scrape carried no parse errors: every zkrs family made it into the TSDB.
        names = json.loads(prom.get("/api/v1/label/__name__/values") or "{}").get("data", [])
        for fam in ("readlatency_count", "readlatency", "quota_count_limit_per_namespace",
                    "process_resident_memory_bytes", "leader_uptime", "election_time_sum"):
            assert fam in names, fam
    finally:
        prom.stop()


def test_member_without_quorum_exports_no_gauges(ensemble):
    leader = next(m for m in ensemble if m.mode() == "leader")
    followers = [m for m in ensemble if m is not leader]
    assert "znode_count" in H.family_types(followers[0].metrics())
    leader.kill()
    followers[1].kill()

    def lost():
        t = followers[0].metrics()
        return t if "# TYPE znode_count" not in t else None

    text = H.wait_until("gauges to go", lost, 30, interval=0.3)
    types = H.family_types(text)
    for fam in ("znode_count", "quorum_size", "num_alive_connections", "uptime",
                "watch_count", "synced_observers"):
        assert fam not in types, fam
    for fam in ("readlatency", "looking_count", "process_open_fds", "election_time"):
        assert fam in types, fam
    assert "This ZooKeeper instance is not currently serving requests" in (
        H.fourlw(followers[0].client_port, "mntr") or "")
