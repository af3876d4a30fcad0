"""Ensemble scenarios shared by test_java_ensemble.py, test_zkrs_ensemble.py and
test_mixed_ensemble.py: the same steps and checks, whatever the members' kinds.

Every scenario takes a started ensemble (`ens`) and the `workload` fixture's factory, ends
with ensemble.verify() (every acknowledged write on every member, identical trees) and
returns what it measured for the test to assert or print.
"""

from __future__ import annotations

import time

from ensemble import Ensemble, Member, verify

SYNC_MODES = ("DIFF", "SNAP", "TRUNC")

# A learner this many writes behind gets SNAP from a leader with SNAP_CFG: Java keeps the
# last 500 committed txns in memory (commitLogCount; smaller values are raised to 500) and
# snapshotSizeFactor=-1 turns off syncing from the on-disk txn log.
SNAP_CFG = {"snapshotSizeFactor": -1}
SNAP_WRITES = 700
# Well inside the committedLog: DIFF.
DIFF_WRITES = 100
# A leader with TXNLOG_CFG DIFF-syncs a learner SNAP_WRITES behind from its on-disk txn log
# (LearnerHandler's "Using txnlog and committedLog"): the log files (64 KiB preallocation)
# are far below snapshotSizeFactor times the snapshot's size.
TXNLOG_CFG = {"snapshotSizeFactor": 100000, "preAllocSize": 64}


def others(ens: Ensemble, *excluded: Member) -> list[Member]:
    ex = {m.sid for m in excluded}
    return [m for m in ens if m.sid not in ex]


def sids(members) -> list[int]:
    return [m.sid for m in members]


def check_sync_mode(ens: Ensemble, learner: Member, leader: Member, marks, expected,
                    modes=None) -> str | None:
    """The sync mode `learner` got after `marks` (ens.log_marks()), or from `modes` (an
    earlier ens.sync_modes() result). It must be named by a log (Java and zkrs learners both
    log Learner.syncWithLeader's "Getting a diff/snapshot ..." / "Truncating log ..." lines)
    and be in `expected`. Returns it."""
    if modes is None:
        modes = ens.sync_modes(learner.sid, marks)
    mode = modes[-1][0] if modes else None
    must_know = True
    print(f"s{learner.sid} ({learner.runs_as}) synced from s{leader.sid} ({leader.runs_as}): "
          f"{modes or 'no sync mode in the logs'}")
    if must_know:
        assert modes, (f"no sync mode (expected {'/'.join(expected)}) for s{learner.sid} in the "
                       "logs since its restart\n" + ens.describe(40))
    if mode is not None and expected:
        assert mode in expected, (f"s{learner.sid} was synced by {mode} ({modes}), expected "
                                  f"{'/'.join(expected)}\n" + ens.describe(40))
    return mode


def restart_and_verify(ens: Ensemble, member: Member, workloads=(), absent=()) -> dict:
    """Restarts `member` on its data dir (SIGTERM, start) and verifies again: what it
    synced must be durable and nothing it dropped may come back (catalogue I6; e.g. a
    TRUNC or SNAP that leaves the dropped txns in the log, replayed at the next start:
    ZOOKEEPER-1549/4837). `absent`: paths that must be on no member."""
    member.stop()
    member.start()
    ens.wait_for_quorum()
    trees = verify(ens, workloads)
    for sid, t in trees.items():
        back = [p for p in absent if p in t]
        assert not back, (f"after s{member.sid} restarted, s{sid} has {back[:3]} again "
                          "(dropped txns replayed from its log?)\n" + ens.describe(30))
    return trees


# ------------------------------------------------------------------- basic: elect, write


def elect_and_write(ens: Ensemble, workload, writes: int = 200, via: Member | None = None,
                    prefix: str = "/elect") -> Member:
    """The ensemble elects exactly one leader; `writes` creates through `via` (default: a
    follower) get increasing czxids in epoch ≥ 1; identical trees. Last, the leader's
    `srvr` Zxid must be in that epoch too (Apache ZooKeeper's leader reports epoch<<32 as
    soon as it is established, before any write). Returns the leader."""
    leader = ens.wait_for_quorum()
    via = via or next(m for m in ens.participants if m is not leader)
    w = workload(via.address, prefix=prefix)
    assert w.write(writes) == writes, w.summary()
    trees = verify(ens, [w])
    czxids = [trees[leader.sid][p][1][0] for p in sorted(w.acked)]
    assert czxids == sorted(czxids) and len(set(czxids)) == len(czxids), "czxids not increasing"
    epoch = czxids[0] >> 32
    assert epoch >= 1, f"first write's czxid 0x{czxids[0]:x} is in epoch 0"
    z = leader.zxid()
    assert z is not None and z >> 32 == epoch, (
        f"leader s{leader.sid} ({leader.runs_as}) srvr reports Zxid "
        f"{'none' if z is None else hex(z)} after {writes} writes in epoch {epoch} "
        f"(last czxid 0x{czxids[-1]:x})")
    return leader


# ------------------------------------------------------------------ leader kill -9


def leader_kill9(ens: Ensemble, workload, max_reelection: float = 30.0,
                 restart_kind: str | None = None, prefix: str = "/k9") -> dict:
    """Under a client load on every member: kill -9 of the leader; a new leader (in a new
    epoch) within `max_reelection` s; writes continue; the old leader restarts (optionally
    as another kind) and catches up; no acknowledged write lost, no session expired."""
    leader = ens.wait_for_quorum()
    w = workload(ens.connect_string(), prefix=prefix, session_timeout=30.0)
    assert w.write(100) == 100, w.summary()
    old_epoch = max(w.client.exists(p).czxid for p in list(w.acked)[-1:]) >> 32
    w.start_background(interval=0.005)
    ens.wait_for(lambda: len(w.acked) >= 150, 60, "150 acknowledged writes")
    leader.kill()
    t0 = time.monotonic()
    new_leader = ens.wait_for_quorum(timeout=max(60.0, max_reelection + 30))
    took = time.monotonic() - t0
    print(f"leader s{leader.sid} ({leader.runs_as}) killed; s{new_leader.sid} "
          f"({new_leader.runs_as}) leads after {took:.1f} s")
    assert new_leader is not leader
    assert took <= max_reelection, f"re-election took {took:.1f} s (> {max_reelection} s)"
    n = len(w.acked)
    ens.wait_for(lambda: len(w.acked) >= n + 100, 60, "100 writes after the re-election")
    new_epoch = (new_leader.zxid() or 0) >> 32
    assert new_epoch > old_epoch, f"epoch {new_epoch} after the re-election, was {old_epoch}"
    w.stop()
    if restart_kind:
        leader.swap(restart_kind)
    leader.start()
    ens.wait_for_quorum()
    verify(ens, [w])
    assert not w.session_expired, w.summary()
    return {"reelection_s": took, "new_leader": new_leader, "old_leader": leader,
            "acked": len(w.acked)}


# ------------------------------------------------------------- follower catch-up


def follower_catch_up(ens: Ensemble, workload, member: Member, writes: int,
                      expected=SYNC_MODES, kill: bool = False, restart_kind: str | None = None,
                      prefix: str = "/catchup", restart_after: bool = True) -> str | None:
    """`member` (a follower or observer) is stopped (SIGTERM, or kill -9), `writes` writes
    are acknowledged by the others, it restarts (optionally as another kind), syncs and
    serves; identical trees. Checks the sync mode against `expected` when a log names it
    (always when the learner or the leader is Java). With restart_after, it then restarts
    once more and must come back with the same tree (what it synced is durable). Returns
    the mode (or None)."""
    leader = ens.wait_for_quorum()
    assert member is not leader, "follower_catch_up needs a non-leader"
    w = workload(ens.connect_string(sids(others(ens, member))), prefix=prefix)
    assert w.write(20) == 20, w.summary()
    if kill:
        member.kill()
    else:
        member.stop()
    assert w.write(writes, timeout=max(120.0, writes / 20)) == writes, w.summary()
    marks = ens.log_marks()
    if restart_kind:
        member.swap(restart_kind)
    member.start()
    leader = ens.wait_for_quorum()
    verify(ens, [w])
    mode = check_sync_mode(ens, member, leader, marks, expected)
    if restart_after:
        restart_and_verify(ens, member, [w])
    return mode


# ------------------------------------------------------------------ observers


def observer_serves(ens: Ensemble, workload, observer: Member, writes: int = 100,
                    prefix: str = "/obs") -> None:
    """Writes through the observer (forwarded to the leader) and through a follower; the
    observer is stopped, misses writes, restarts and catches up; identical trees."""
    assert observer.is_observer
    leader = ens.wait_for_quorum()
    assert observer.mode() == "observer"
    wo = workload(observer.address, prefix=prefix, name="viaobs")
    follower = next(m for m in ens.participants if m is not leader)
    wf = workload(follower.address, prefix=prefix, name="viaflw")
    assert wo.write(writes) == writes, wo.summary()
    assert wf.write(writes) == writes, wf.summary()
    verify(ens, [wo, wf])
    wo.close()
    observer.stop()
    assert wf.write(writes) == writes, wf.summary()
    marks = ens.log_marks()
    observer.start()
    leader = ens.wait_for_quorum()
    verify(ens, [wo, wf])
    check_sync_mode(ens, observer, leader, marks, SYNC_MODES)


def observers_do_not_count(ens: Ensemble, hold: float = 4.0) -> None:
    """With only one voter left (plus observers), nobody leads or serves for `hold` s;
    then the voters come back and a quorum forms again."""
    leader = ens.wait_for_quorum()
    voters = ens.participants
    # stop enough voters that the rest is no majority of the voters
    need_down = len(voters) - (len(voters) // 2)
    stopped = [m for m in voters if m is not leader][:need_down]
    if len(stopped) < need_down:
        stopped.append(leader)
    for m in stopped:
        m.stop()
    # A leader notices the lost quorum within about syncLimit*tickTime (a Java leader
    # checks every tickTime/2 which followers are still synced).
    limit = ens.sync_limit * ens.tick_time / 1000.0 + 10
    ens.wait_for(lambda: all(m.mode() in (None, "not serving") for m in ens.running), limit,
                 "every remaining member to stop serving without a voter quorum")
    deadline = time.monotonic() + hold
    while time.monotonic() < deadline:
        for m in ens.running:
            mode = m.mode()
            assert mode in (None, "not serving"), (
                f"s{m.sid} is {mode} without a voter quorum\n" + ens.describe(30))
        time.sleep(0.5)
    for m in stopped:
        m.start()
    ens.wait_for_quorum()


# ------------------------------------------------------------- TRUNC of a lone tail


def trunc_uncommitted_tail(ens: Ensemble, workload, restart_kind: str | None = None,
                           tail_writes: int = 3, prefix: str = "/trunc",
                           new_epoch_writes: int = 0, expected=("TRUNC",)) -> str | None:
    """(Proxied ensemble.) The leader L logs `tail_writes` proposals alone: its links to
    every other member are frozen (bytes discarded) before a client connected to L creates
    them, so no follower sees them and none is acknowledged. L is killed (-9), the links
    heal, the others elect a leader in the next epoch with no write in it (no client is
    connected to them), and L restarts (optionally as another kind): its log is ahead of
    the new leader's in the old epoch, so it must get TRUNC (catalogue A8,
    testHighestZxidJoinLate) and lose the tail. With `new_epoch_writes`, the new leader takes
    that many writes first, so the first txn L lacks is of a later epoch: never a TRUNC across
    epochs, L gets SNAP (catalogue A8 variant, testCrossEpochTrunc) and must still lose the
    tail, also after a restart. Checked: the tail is
    on no member, every acknowledged write is on all, identical trees. Returns the sync mode
    (or None)."""
    assert ens.proxies is not None, "trunc_uncommitted_tail needs a proxied ensemble"
    leader = ens.wait_for_quorum()
    rest = [m for m in ens if m is not leader]
    w = workload(ens.connect_string(sids(rest)), prefix=prefix, name="w")
    assert w.write(50) == 50, w.summary()
    tail = workload(leader.address, prefix=prefix, name="tail", session_timeout=40.0,
                    op_timeout=30.0)
    w.close()  # no session left that could make a txn in the next epoch before L syncs
    ens.partition([leader.sid], sids(rest), mode="freeze")
    time.sleep(0.5)
    before = leader.zxid()
    futures = [tail.client.create_async(f"{prefix}/tail-{i}", b"uncommitted")
               for i in range(tail_writes)]
    time.sleep(2.0)  # L logs (and fsyncs) them; without a quorum it cannot commit them
    assert not any(f.ready() and f.successful() for f in futures), "a lone leader acked a write"
    assert leader.mode() == "leader" and leader.zxid() == before, ens.describe(20)
    marks = ens.log_marks()
    leader.kill()
    tail.client.stop()
    ens.heal()
    new_leader = ens.wait_for_quorum(members=[m for m in rest if m.running], timeout=60)
    print(f"s{leader.sid} ({leader.runs_as}) killed with a {tail_writes}-txn tail; "
          f"s{new_leader.sid} ({new_leader.runs_as}) leads")
    if new_epoch_writes:
        w2 = workload(ens.connect_string(sids([m for m in rest if m.running])),
                      prefix=prefix + "-epoch", name="w2")
        assert w2.write(new_epoch_writes) == new_epoch_writes, w2.summary()
        w2.close()
    if restart_kind:
        leader.swap(restart_kind)
    leader.start()
    ens.wait_for_quorum()
    trees = verify(ens, [w])
    tail_paths = [f"{prefix}/tail-{i}" for i in range(tail_writes)]
    for sid, t in trees.items():
        left = [p for p in tail_paths if p in t]
        assert not left, f"s{sid} has the uncommitted tail {left}"
    modes = ens.sync_modes(leader.sid, marks)  # before the restart adds another sync
    restart_and_verify(ens, leader, [w], absent=tail_paths)
    return check_sync_mode(ens, leader, new_leader, marks, expected, modes=modes)


# --------------------------------------------------------- isolated (minority) leader


def isolated_leader(ens: Ensemble, workload, mode: str = "freeze", prefix: str = "/iso") -> dict:
    """(Proxied ensemble.) The leader is cut off from every other member: writes sent to it
    are never acknowledged, it stops leading within about syncLimit*tickTime, the majority
    elects a new leader and takes writes; after healing, the old leader rejoins and drops
    what it logged alone; identical trees, every acknowledged write present."""
    assert ens.proxies is not None
    leader = ens.wait_for_quorum()
    rest = [m for m in ens if m is not leader]
    w = workload(ens.connect_string(sids([m for m in rest if not m.is_observer])),
                 prefix=prefix, name="w")
    assert w.write(50) == 50, w.summary()
    iso = workload(leader.address, prefix=prefix, name="iso", session_timeout=40.0,
                   op_timeout=5.0)
    t0 = time.monotonic()
    ens.partition([leader.sid], sids(rest), mode=mode)
    futures = []
    for i in range(3):
        path = f"{prefix}/iso-{i}"
        iso.uncertain[path] = b"isolated"
        futures.append(iso.client.create_async(path, b"isolated"))
    new_leader = ens.wait_for_quorum(members=rest, timeout=90)
    elect_s = time.monotonic() - t0
    step_down_limit = ens.sync_limit * ens.tick_time / 1000.0 + 20
    ens.wait_for(lambda: leader.mode() != "leader", step_down_limit,
                 f"s{leader.sid} to stop leading without a quorum")
    assert not any(f.ready() and f.successful() for f in futures), \
        "the isolated leader acknowledged a write"
    assert w.write(100) == 100, w.summary()
    iso.close()
    ens.heal()
    ens.wait_for_quorum(timeout=120)
    trees = verify(ens, [w])
    for sid, t in trees.items():
        left = [p for p in iso.uncertain if p in t]
        assert not left, f"s{sid} has writes only the isolated leader logged: {left[:3]}"
    restart_and_verify(ens, leader, [w], absent=list(iso.uncertain))
    print(f"isolated s{leader.sid}; s{new_leader.sid} leads after {elect_s:.1f} s")
    return {"elect_s": elect_s, "new_leader": new_leader}


# ------------------------------------------------------------ rolling replacement


def rolling_replace(ens: Ensemble, w, to_kind: str, settle_writes: int = 50,
                    per_step_timeout: float = 120.0) -> list[str]:
    """Replaces every member by `to_kind`, one at a time, followers first and the leader
    last: SIGTERM, swap, start on the same data dir, wait for the full quorum and for
    `settle_writes` more acknowledged writes of the running workload `w`. Returns a log."""
    steps = []
    todo = [m for m in ens if m.kind != to_kind]
    for _ in range(len(todo)):
        leader = ens.wait_for_quorum(timeout=per_step_timeout)
        pending = [m for m in todo if m is not leader] or [leader]
        m = pending[0]
        todo.remove(m)
        t0 = time.monotonic()
        old = m.runs_as
        m.stop()
        m.swap(to_kind)
        m.start()
        ens.wait_for_quorum(timeout=per_step_timeout)
        n = len(w.acked)
        ens.wait_for(lambda: len(w.acked) >= n + settle_writes, per_step_timeout,
                     f"{settle_writes} writes after replacing s{m.sid}")
        step = (f"s{m.sid}{' (leader)' if m is leader else ''}: {old} -> {m.runs_as} in "
                f"{time.monotonic() - t0:.1f} s; {ens.status_line()}")
        print(step)
        steps.append(step)
        assert not w.session_expired, w.summary()
    return steps


# ------------------------------------------------------------------ local sessions


LOCAL_SESSIONS_CFG = {"localSessionsEnabled": "true", "localSessionsUpgradingEnabled": "false"}
UPGRADING_CFG = {"localSessionsEnabled": "true", "localSessionsUpgradingEnabled": "true"}


def local_sessions(ens: Ensemble, upgrading: bool) -> dict:
    """localSessionsEnabled, on a follower and on the leader (what Apache ZooKeeper 3.8 does,
    checked by the all-Java run of the same steps): a new session is local (no txn, counted
    in mntr's zk_local_sessions, its id carrying the member's sid). Without upgrading an
    ephemeral create fails with EPHEMERALONLOCALSESSION (the leader still logs an ErrorTxn),
    a multi with one fails (SESSIONEXPIRED through a follower, EPHEMERALONLOCALSESSION on the
    leader), resuming the session on another member gets a new session, and closing it
    writes nothing. With upgrading the ephemeral create is preceded by a createSession txn,
    and the now global session resumes elsewhere and is closed by a txn."""
    from kazoo.exceptions import EphemeralOnLocalSessionError, SessionExpiredError

    from ensemble import fourlw, kazoo_client, parse_mntr

    leader = ens.wait_for_quorum()
    # A Java leader sets its zxid to epoch<<32 just after it reports Mode: leader.
    ens.wait_for(lambda: (leader.zxid() or 0) >> 32 >= 1, 10, "the leader's zxid in its epoch")
    follower = next(m for m in ens.participants if m is not leader)
    other = next(m for m in ens.participants if m is not leader and m is not follower)
    out = {}

    def leader_zxid_reaches(expected: int, what: str) -> None:
        # A reply through a follower can come before a Java leader applied the txn itself (it
        # sends COMMIT before its own CommitProcessor runs it): wait for the zxid, then check
        # that it did not go further.
        ens.wait_for(lambda: (leader.zxid() or 0) >= expected, 10, what)
        assert leader.zxid() == expected, f"{what}: 0x{leader.zxid():x} != 0x{expected:x}"

    for where, m in (("follower", follower), ("leader", leader)):
        z0 = leader.zxid()
        c = kazoo_client(m.address)
        c.start()
        try:
            sid, pw = c.client_id
            assert sid >> 56 == m.sid, f"session 0x{sid:x} on s{m.sid}"
            assert leader.zxid() == z0, "a local session's creation wrote a txn"
            mntr = parse_mntr(fourlw(m.host, m.client_port, "mntr"))
            assert mntr.get("zk_local_sessions") == "1", mntr.get("zk_local_sessions")
            p = f"/local-{where}"
            c.create(p, b"x")
            leader_zxid_reaches(z0 + 1, "the create")
            if upgrading:
                c.create(p + "/e", b"", ephemeral=True)
                assert c.exists(p + "/e").ephemeralOwner == sid
                leader_zxid_reaches(z0 + 3, "createSession, then the create")
                c.create(p + "/s", b"", ephemeral=True, sequence=True)
                t = c.transaction()
                t.create(p + "/m", b"", ephemeral=True)
                assert t.commit() == [p + "/m"]
            else:
                try:
                    c.create(p + "/e", b"", ephemeral=True)
                    raise AssertionError("ephemeral create on a local session succeeded")
                except EphemeralOnLocalSessionError:
                    pass
                leader_zxid_reaches(z0 + 2, "the leader's ErrorTxn takes a zxid")
                try:
                    c.create(p + "/s", b"", ephemeral=True, sequence=True)
                    raise AssertionError("ephemeral sequential create succeeded")
                except EphemeralOnLocalSessionError:
                    pass
                t = c.transaction()
                t.create(p + "/m", b"", ephemeral=True)
                r = t.commit()
                expected = EphemeralOnLocalSessionError if m is leader else SessionExpiredError
                assert len(r) == 1 and isinstance(r[0], expected), r
            kids = sorted(c.get_children(p))
            # Resume on another member while the first connection is still open.
            c2 = kazoo_client(other.address, client_id=(sid, pw), timeout=10)
            c2.start(timeout=15)
            try:
                same = c2.client_id[0] == sid
                assert same == upgrading, f"resumed elsewhere: same session {same}"
                assert sorted(c2.get_children(p)) == (kids if upgrading else [])
                z1 = leader.zxid()
            finally:
                c2.stop()
                c2.close()
            ens.wait_for(lambda: leader.zxid() >= z1 + (1 if upgrading else 0), 10,
                          "the close")
            time.sleep(0.3)
            assert leader.zxid() == z1 + (1 if upgrading else 0), "closeSession txns"
            out[where] = kids
        finally:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001 - the session may be gone already
                pass
    verify(ens)
    return out


# ------------------------------------------------------- catalogue 35: static config growth


def rolling_restart_adds_member(ens: Ensemble, workload) -> dict:
    """Catalogue 35 (ZOOKEEPER-2819/3829), `reconfigEnabled=false`: members 1-3 run with a
    static config of {1,2,3}; then member 4 starts with {1,2,3,4} and 1, 2 and 3 are restarted
    one at a time with {1,2,3,4} (the leader last). After the last restart a leader must commit
    writes through every member, the leader counts the three others as synced, and every
    member's `conf` lists the four servers: the config always comes from the static file,
    never from a SNAP or NEWLEADER of a member that still had the old one."""
    old = [m for m in ens if m.sid != 4]
    new4 = ens[4]

    def write(m, sids):
        text = ens.config_text(m)
        keep = [ln for ln in text.splitlines()
                if not ln.startswith("server.") or int(ln.split("=")[0][7:]) in sids]
        m.cfg_path.write_text("\n".join(keep) + "\n")

    for m in old:
        write(m, {1, 2, 3})
    ens.start(sids=[m.sid for m in old], wait=False)
    leader = ens.wait_for_quorum(members=old)
    w = workload(ens.connect_string([m.sid for m in old]), prefix="/grow", name="before")
    assert w.write(50) == 50, w.summary()
    w.close()
    new4.start()
    order = [m for m in old if m is not leader] + [leader]
    for m in order:
        write(m, {1, 2, 3, 4})
        m.stop()
        m.start()
        ens.wait_for_quorum(timeout=90)
    leader = ens.wait_for_quorum(timeout=90)
    ws = [workload(m.address, prefix="/grow", name=f"after{m.sid}") for m in ens]
    for x in ws:
        assert x.write(20) == 20, x.summary()
    mntr = leader.mntr()
    synced = mntr.get("zk_synced_followers")
    assert synced in (None, "3"), f"leader s{leader.sid} zk_synced_followers={synced}"
    for m in ens:
        conf = m.fourlw("conf") or ""
        servers = sorted(ln.split("=")[0] for ln in conf.splitlines() if ln.startswith("server."))
        assert servers == ["server.1", "server.2", "server.3", "server.4"], (
            f"s{m.sid} ({m.runs_as}) conf lists {servers}\n{conf}")
    verify(ens, ws)
    for x in ws:
        x.close()
    return {"leader": leader.sid}
