"""All-zkrs ensembles of 3 and 5 processes on loopback (the issue's first list): election,
leader kill -9 and re-election, follower restart catching up by DIFF, TRUNC of an
uncommitted tail, SNAP for a far-behind member, an observer, partitions; no acknowledged
write lost and identical trees on every member at the end of each.

Every test skips ("zkrs quorum mode not available") while `zkrs server` refuses a server.N
configuration. QUORUM_ZKRS_AS_JAVA=1 runs them on Apache ZooKeeper instead, which checks the
tests' own logic (tests/quorum/run.sh --zkrs-as-java)."""

import time

import pytest

import scenarios as S

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("zkrs_quorum")]


@pytest.mark.parametrize("n", [3, 5])
def test_zkrs_election(make_ensemble, workload, n):
    """n zkrs processes elect exactly one leader (epoch ≥ 1) and replicate 200 writes
    made through a follower."""
    ens = make_ensemble(["zkrs"] * n)
    ens.start()
    took = ens.last_election_seconds
    leader = S.elect_and_write(ens, workload, writes=200)
    print(f"{n} zkrs: s{leader.sid} leads, {took:.1f} s from start to quorum")


@pytest.mark.parametrize("n", [3, 5])
def test_zkrs_leader_kill9_reelection(make_ensemble, workload, n):
    """kill -9 of the leader under load: a new leader in a new epoch within 30 s, writes
    continue, the killed leader restarts and catches up, 0 acknowledged writes lost, no
    session expired."""
    ens = make_ensemble(["zkrs"] * n)
    ens.start()
    S.leader_kill9(ens, workload, max_reelection=30.0)


def test_zkrs_follower_restart_diff(make_ensemble, workload):
    """A follower stopped during 100 writes restarts and catches up by DIFF."""
    ens = make_ensemble(["zkrs"] * 3, extra_cfg=S.SNAP_CFG)
    leader = ens.start()
    follower = next(m for m in ens.participants if m is not leader)
    S.follower_catch_up(ens, workload, follower, writes=S.DIFF_WRITES, expected=("DIFF",))


def test_zkrs_follower_kill9_restart_diff(make_ensemble, workload):
    """The same after kill -9 of the follower (its unsynced log tail may be torn)."""
    ens = make_ensemble(["zkrs"] * 3, extra_cfg=S.SNAP_CFG)
    leader = ens.start()
    follower = next(m for m in ens.participants if m is not leader)
    S.follower_catch_up(ens, workload, follower, writes=S.DIFF_WRITES, kill=True,
                        expected=("DIFF",))


def test_zkrs_follower_diff_from_txnlog(make_ensemble, workload):
    """A follower 700 writes behind (beyond the committed log of 500) is DIFF-synced from
    the leader's on-disk txn log when snapshotSizeFactor allows it, as Java does."""
    ens = make_ensemble(["zkrs"] * 3, extra_cfg=S.TXNLOG_CFG)
    leader = ens.start()
    follower = next(m for m in ens.participants if m is not leader)
    S.follower_catch_up(ens, workload, follower, writes=S.SNAP_WRITES, expected=("DIFF",))


def test_zkrs_snap_far_behind(make_ensemble, workload):
    """A member down during 700 writes with snapCount=100 (several snapshots and log
    rolls meanwhile) and snapshotSizeFactor=-1 is synced by SNAP."""
    ens = make_ensemble(["zkrs"] * 3, snap_count=100, extra_cfg=S.SNAP_CFG)
    leader = ens.start()
    follower = next(m for m in ens.participants if m is not leader)
    S.follower_catch_up(ens, workload, follower, writes=S.SNAP_WRITES, expected=("SNAP",))


def test_zkrs_trunc_uncommitted_tail(make_ensemble, workload):
    """The leader logs 3 proposals alone (its links frozen), is killed; the others elect
    with no write in the new epoch; the old leader restarts, gets TRUNC, loses the tail."""
    ens = make_ensemble(["zkrs"] * 3, proxied=True)
    ens.start()
    S.trunc_uncommitted_tail(ens, workload)


def test_zkrs_uncommitted_tail_across_epochs_gets_snap(make_ensemble, workload):
    """As above, but the new leader takes writes first: the old leader's missing txns start
    in a later epoch, so it gets SNAP (never a cross-epoch TRUNC), and the tail stays gone,
    also after it restarts."""
    ens = make_ensemble(["zkrs"] * 3, proxied=True)
    ens.start()
    assert S.trunc_uncommitted_tail(ens, workload, new_epoch_writes=5, expected=("SNAP",)) == "SNAP"


def test_zkrs_observer(make_ensemble, workload):
    """3 voters + 1 observer: reads and forwarded writes through the observer, its restart
    and catch-up, and it never counts towards a quorum."""
    ens = make_ensemble(["zkrs", "zkrs", "zkrs", "zkrs:observer"])
    ens.start()
    S.observer_serves(ens, workload, ens[4])
    S.observers_do_not_count(ens)


@pytest.mark.parametrize("mode", ["freeze", "drop"])
def test_zkrs_isolated_leader_partition(make_ensemble, workload, mode):
    """Partition {leader | the rest} (silent "freeze" or resetting "drop"): the leader
    acknowledges nothing and steps down, the majority elects and takes writes; after the
    heal the old leader rejoins without what it logged alone."""
    ens = make_ensemble(["zkrs"] * 3, proxied=True)
    ens.start()
    S.isolated_leader(ens, workload, mode=mode)


def test_zkrs_five_partition_minority_majority(make_ensemble, workload):
    """5 members, partition {leader, one follower | three followers}: the three elect a
    leader and take writes, the two take none; after the heal all five agree."""
    ens = make_ensemble(["zkrs"] * 5, proxied=True)
    leader = ens.start()
    rest = [m for m in ens if m is not leader]
    minority = [leader, rest[0]]
    majority = rest[1:]
    w = workload(ens.connect_string(S.sids(majority)), prefix="/p5", name="w")
    assert w.write(50) == 50, w.summary()
    ens.partition(S.sids(minority), S.sids(majority), mode="freeze")
    new_leader = ens.wait_for_quorum(members=majority, timeout=90)
    assert new_leader in majority
    ens.wait_for(lambda: all(m.mode() in (None, "not serving") for m in minority),
                 ens.sync_limit * ens.tick_time / 1000.0 + 30, "the minority to stop serving")
    assert w.write(100) == 100, w.summary()
    ens.heal()
    ens.wait_for_quorum(timeout=120)
    S.verify(ens, [w])


def test_zkrs_paused_follower(make_ensemble, workload):
    """A follower SIGSTOPped for longer than syncLimit*tickTime: the others keep
    committing; after SIGCONT it notices, resyncs and matches."""
    ens = make_ensemble(["zkrs"] * 3, tick_time=1000)
    leader = ens.start()
    follower = next(m for m in ens.participants if m is not leader)
    w = workload(ens.connect_string(S.sids(S.others(ens, follower))), prefix="/pause")
    follower.pause()
    assert w.write(200) == 200, w.summary()
    import time
    time.sleep(ens.sync_limit * ens.tick_time / 1000.0 + 2)
    assert w.write(50) == 50, w.summary()
    follower.resume()
    ens.wait_for_quorum(timeout=90)
    S.verify(ens, [w])
    S.restart_and_verify(ens, follower, [w])


@pytest.mark.parametrize("upgrading", [False, True])
def test_zkrs_local_sessions(make_ensemble, workload, upgrading):
    """Local sessions as the Java ensemble has them (the same steps as
    test_java_local_sessions)."""
    cfg = S.UPGRADING_CFG if upgrading else S.LOCAL_SESSIONS_CFG
    ens = make_ensemble(["zkrs"] * 3, extra_cfg=cfg)
    ens.start()
    S.local_sessions(ens, upgrading)


def test_zkrs_rolling_restart_adds_a_member(make_ensemble, workload):
    """Catalogue 35: a fourth member added by editing the static config and restarting the
    three others one at a time (reconfigEnabled=false); the grown ensemble commits writes."""
    ens = make_ensemble(["zkrs"] * 4)
    S.rolling_restart_adds_member(ens, workload)
