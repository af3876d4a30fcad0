"""All-Java ensembles (Apache ZooKeeper 3.8 from Debian): they run today and check the
harness itself (process control, 4lw polling, workloads, tree comparison, link proxies)
against the reference implementation. The zkrs and mixed tests use the same scenarios."""

import pytest

import scenarios as S

pytestmark = pytest.mark.timeout(240)


def test_java_three_nodes_elect_and_replicate(make_ensemble, workload):
    """(1) 3 JVMs elect exactly one leader; 200 znodes written through a follower; every
    member holds an identical tree."""
    ens = make_ensemble(["java"] * 3)
    ens.start()
    took = ens.last_election_seconds
    leader = S.elect_and_write(ens, workload, writes=200)
    print(f"3 java: s{leader.sid} leads, {took:.1f} s from start to quorum")


def test_java_leader_kill9_reelection(make_ensemble, workload):
    """(2) kill -9 of the leader under load: a new leader within 30 s, writes continue, the
    old leader restarts and catches up, no acknowledged write lost, no session expired."""
    ens = make_ensemble(["java"] * 3)
    ens.start()
    S.leader_kill9(ens, workload, max_reelection=30.0)


def test_java_observer(make_ensemble, workload):
    """(3) 3 voters + 1 observer: the observer serves reads and forwards writes, catches up
    after a restart, and never counts towards a quorum (one voter + the observer elect
    nobody)."""
    ens = make_ensemble(["java", "java", "java", "java:observer"])
    ens.start()
    S.observer_serves(ens, workload, ens[4])
    S.observers_do_not_count(ens)


def test_java_follower_restart_catches_up(make_ensemble, workload):
    """(4) A follower stopped during 600 writes restarts and catches up (DIFF or SNAP, as
    the Java leader decides); identical trees."""
    ens = make_ensemble(["java"] * 3)
    leader = ens.start()
    follower = next(m for m in ens.participants if m is not leader)
    S.follower_catch_up(ens, workload, follower, writes=600)


def test_java_follower_diff_from_txnlog(make_ensemble, workload):
    """The reference for DIFF from the on-disk txn log: with a large snapshotSizeFactor
    and small log files, a follower 700 writes behind (beyond the 500 txns of the
    committedLog) gets DIFF, not SNAP."""
    ens = make_ensemble(["java"] * 3, extra_cfg=S.TXNLOG_CFG)
    leader = ens.start()
    follower = next(m for m in ens.participants if m is not leader)
    assert S.follower_catch_up(ens, workload, follower, writes=S.SNAP_WRITES,
                               expected=("DIFF",), restart_after=False) == "DIFF"


def test_java_follower_sync_diff_and_snap(make_ensemble, workload):
    """The Java leader's choice that the zkrs/mixed tests rely on: with
    snapshotSizeFactor=-1 (no sync from the on-disk txn log), a follower 100 writes behind
    gets DIFF (from the leader's in-memory committedLog of 500 txns; Java raises a smaller
    commitLogCount to 500) and one 700 writes behind gets SNAP."""
    ens = make_ensemble(["java"] * 3, snap_count=100, extra_cfg=S.SNAP_CFG)
    leader = ens.start()
    follower = next(m for m in ens.participants if m is not leader)
    assert S.follower_catch_up(ens, workload, follower, writes=100, expected=("DIFF",),
                               prefix="/diff") == "DIFF"
    assert S.follower_catch_up(ens, workload, follower, writes=S.SNAP_WRITES, expected=("SNAP",),
                               prefix="/snap") == "SNAP"


def test_java_trunc_uncommitted_tail(make_ensemble, workload):
    """The leader logs 3 proposals alone (links frozen by the harness's proxies), is killed,
    the others elect; on restart it gets TRUNC and loses the tail."""
    ens = make_ensemble(["java"] * 3, proxied=True)
    ens.start()
    assert S.trunc_uncommitted_tail(ens, workload) == "TRUNC"


def test_java_isolated_leader(make_ensemble, workload):
    """The leader partitioned from both followers: nothing it is sent is acknowledged, the
    followers elect a new leader, the old one steps down and rejoins after the heal."""
    ens = make_ensemble(["java"] * 3, proxied=True)
    ens.start()
    S.isolated_leader(ens, workload)


@pytest.mark.parametrize("upgrading", [False, True])
def test_java_local_sessions(make_ensemble, workload, upgrading):
    """The reference for local sessions (localSessionsEnabled[, UpgradingEnabled])."""
    cfg = S.UPGRADING_CFG if upgrading else S.LOCAL_SESSIONS_CFG
    ens = make_ensemble(["java"] * 3, extra_cfg=cfg)
    ens.start()
    S.local_sessions(ens, upgrading)


def test_java_rolling_restart_adds_a_member(make_ensemble, workload):
    """Catalogue 35: a fourth member added by editing the static config and restarting the
    three others one at a time (reconfigEnabled=false); the grown ensemble commits writes."""
    ens = make_ensemble(["java"] * 4)
    S.rolling_restart_adds_member(ens, workload)
