"""Read-only mode (`readonlymode.enabled`): a member cut off from its quorum serves the
clients that allow it (ConnectRequest readOnly=1) from its own tree.

The same steps run against all-Java (Debian's 3.8.0, `-Dreadonlymode.enabled=true`), all-zkrs
(`readonlymode.enabled=true` in zoo.cfg) and mixed ensembles; every assertion is what the Java
ensemble was measured to do (docs/quorum.md, "Read-only mode"):

- after both other members stop, the survivor answers `isro` with `null` and `srvr` with "not
  currently serving" while it looks, then after max(2000, tickTime) ms `isro` says `ro`, `srvr`
  and `stat` print `READ-ONLY mode; serving only read-only clients` after the version and
  `Mode: read-only`, `mntr` has `zk_server_state read-only` and no quorum keys, `conf` the
  quorum lines up to `peerType` but no membership, `dump` the learner session tracker's
  `Local Session Sets` and `Global Sessions`;
- a ConnectRequest with readOnly=0 or without the byte is closed with no reply;
- with localSessionsEnabled a readOnly=1 client gets a local session (ConnectResponse readOnly=1,
  the member's id in the session id's high byte); reads are served; create/create2/createTTL/
  createContainer/delete/deleteContainer/setData/setACL/check/multi/reconfig and sync get
  NOTREADONLY (-119) with the last zxid; closeSession closes the local session;
- without local sessions a new client gets ReplyHeader(0, lastZxid, -119), 16 bytes, where its
  ConnectResponse should be (clients fail to parse it and retry): no session;
- a global session reconnecting is closed with no reply; an unknown session is answered as
  expired (zeros, readOnly=1) and closed;
- when the quorum is back the survivor closes its read-only clients as it takes a role, and
  `isro` says `rw` on every serving member; a kazoo client in read-only mode that is told
  `rw` by another member moves there.
"""

import logging
import threading
import time

import pytest

import curator
import ensemble as E
import zkwire as W

RO_JAVA_PROPS = {"readonlymode.enabled": "true"}
RO_ZKRS_CFG = {"readonlymode.enabled": "true"}
RO_BANNER = "READ-ONLY mode; serving only read-only clients"
NOTREADONLY = -119

READS = ("getData", "exists", "getChildren", "getChildren2", "getACL", "getAllChildrenNumber",
         "getEphemerals", "addWatch", "whoAmI", "multiRead")
REFUSED = ("sync", "create", "create2", "create-ephemeral", "createContainer", "createTTL",
           "delete", "deleteContainer", "setData", "setACL", "check", "multi", "reconfig")


def ro_ensemble(make_ensemble, kinds, local_sessions=True, read_only=True, **kw):
    extra = {
        "localSessionsEnabled": "true" if local_sessions else "false",
        "localSessionsUpgradingEnabled": "true" if local_sessions else "false",
    }
    return make_ensemble(
        kinds, extra_cfg=extra,
        extra_cfg_by_kind={"zkrs": RO_ZKRS_CFG} if read_only else {},
        java_props=RO_JAVA_PROPS if read_only else {}, **kw)


def pick_survivor(ens, leader, kind=None):
    """A member that is not the leader (of `kind` if given)."""
    for m in ens:
        if m is not leader and (kind is None or m.kind == kind):
            return m
    raise AssertionError(f"no non-leader member of kind {kind}")


def stop_all_but(ens, survivor):
    threads = [threading.Thread(target=m.stop) for m in ens if m is not survivor]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def wait_read_only(m, timeout=20.0):
    """Polls isro until `ro`; returns (seconds, answers seen before)."""
    t0 = time.monotonic()
    seen = []
    while time.monotonic() - t0 < timeout:
        a = m.fourlw("isro", timeout=1.0)
        if a == "ro":
            return time.monotonic() - t0, seen
        if a not in seen:
            seen.append(a)
        time.sleep(0.05)
    raise AssertionError(f"s{m.sid} not read-only after {timeout} s (isro: {seen})\n"
                         + m.log_tail(40))


def global_session(leader):
    """A global session (made global by an ephemeral, upgrading a local one) created through
    the leader; returns (client, session id, password)."""
    c = E.kazoo_client(leader.address)
    c.create("/ro-eph", b"", ephemeral=True)
    sid, pw = c.client_id
    return c, sid, pw


def check_read_only_survivor(ens, survivor_kind=None, local_sessions=True):
    leader = ens.start()
    survivor = pick_survivor(ens, leader, survivor_kind)
    print(f"leader s{leader.sid} ({leader.kind}), survivor s{survivor.sid} ({survivor.kind})")
    for m in ens:
        assert m.fourlw("isro") == "rw", f"s{m.sid} serving in a quorum"
    c = E.kazoo_client(leader.address)
    c.create("/ro", b"data")
    c.create("/ro/child", b"c")
    c.stop()
    c.close()
    g, gsid, gpw = global_session(leader) if local_sessions else (None, None, None)
    if g is None:
        g = E.kazoo_client(leader.address)
        gsid, gpw = g.client_id
    try:
        stop_all_but(ens, survivor)
        secs, before = wait_read_only(survivor)
        print(f"read-only after {secs:.2f} s; isro before: {before}")
        assert 1.5 <= secs <= 15, secs
        assert "null" in before, before

        srvr = survivor.fourlw("srvr")
        lines = srvr.splitlines()
        assert lines[1] == RO_BANNER, srvr
        assert "Mode: read-only" in lines, srvr
        stat = survivor.fourlw("stat").splitlines()
        assert stat[1] == RO_BANNER and stat[2] == "Clients:", stat
        mntr = survivor.mntr()
        assert mntr.get("zk_server_state") == "read-only", mntr
        assert "zk_peer_state" not in mntr and "zk_quorum_size" not in mntr
        conf = survivor.fourlw("conf")
        assert f"serverId={survivor.sid}\n" in conf and conf.endswith("peerType=0\n"), conf
        assert "membership:" not in conf, conf
        dump = survivor.fourlw("dump")
        assert dump.startswith("SessionTracker dump:\n" + (
            "Local Session Sets (" if local_sessions else "Global Sessions(")), dump
        assert "\nGlobal Sessions(" in dump, dump
        zxid = E.parse_srvr(srvr)["zxid"]

        # Clients that do not allow read-only servers: closed without a reply.
        for ro in (False, None):
            conn, resp = W.connect(survivor.address, read_only=ro)
            with conn:
                assert resp is None, (ro, resp)
                assert conn.closed_by_server(), ro

        conn, resp = W.connect(survivor.address, read_only=True)
        with conn:
            if local_sessions:
                assert resp["len"] == 37 and resp["read_only"] == 1, resp
                assert resp["timeout"] == 30000
                assert (resp["session_id"] >> 56) == survivor.sid, hex(resp["session_id"])
                bodies = W.request_bodies("/ro")
                for name in READS + REFUSED:
                    op, body = bodies[name]
                    r = conn.request(op, body)
                    assert r is not None, f"{name}: connection closed"
                    _, rzxid, err, _ = r
                    assert rzxid == zxid, (name, hex(rzxid), hex(zxid))
                    if name in REFUSED:
                        assert err == NOTREADONLY, (name, err)
                    else:
                        assert err == 0, (name, err)
                r = conn.request(W.EXISTS, W.path_watch("/ro/none"))
                assert r[2] == -101
                r = conn.request(W.CLOSE_SESSION)
                assert r is not None and r[2] == 0, r
                assert conn.closed_by_server()
            else:
                # Java: the refused createSession's ReplyHeader(0, lastZxid, NOTREADONLY).
                assert resp is not None and resp["len"] == 16, resp
                assert resp["raw"] == "00000000" + f"{zxid:016x}" + "ffffff89", resp
                assert not conn.closed_by_server(wait=1.0)

        # A global session is refused without a reply; an unknown one is expired.
        conn, resp = W.connect(survivor.address, session_id=gsid, passwd=gpw)
        with conn:
            assert resp is None, resp
            assert conn.closed_by_server()
        unknown = (survivor.sid << 56) | 12345
        conn, resp = W.connect(survivor.address, session_id=unknown)
        with conn:
            assert resp is not None and resp["len"] == 37, resp
            assert (resp["timeout"], resp["session_id"], resp["read_only"]) == (0, 0, 1), resp
            assert conn.closed_by_server()

        # kazoo in read-only mode.
        from kazoo.client import KazooClient
        from kazoo.exceptions import NotReadOnlyCallError
        from kazoo.protocol.states import KeeperState
        k = KazooClient(hosts=survivor.address, timeout=10, read_only=True)
        states = []
        held = None
        try:
            if local_sessions:
                k.start(timeout=15)
                assert k.client_state == KeeperState.CONNECTED_RO
                assert k.get("/ro")[0] == b"data"
                assert sorted(k.get_children("/ro")) == ["child"]
                with pytest.raises(NotReadOnlyCallError):
                    k.create("/ro/x")
                k.add_listener(lambda s: states.append(str(s)))
                held, resp = W.connect(survivor.address, read_only=True)
                assert resp and resp["read_only"] == 1
            else:
                with pytest.raises(Exception):
                    k.start(timeout=5)
                assert k.client_state != KeeperState.CONNECTED_RO

            # The quorum comes back: the survivor takes a role and closes its read-only
            # clients; kazoo's session was local to the read-only server, so it is lost and
            # a new one is made on the r/w server.
            for m in ens:
                if m is not survivor:
                    m.start()
            ens.wait_for_quorum(timeout=90)
            if held is not None:
                assert held.closed_by_server(wait=10.0)
            for m in ens:
                assert m.fourlw("isro") == "rw", f"s{m.sid}"
            if local_sessions:
                E_wait(lambda: k.client_state == KeeperState.CONNECTED, 30,
                       f"kazoo back in read-write mode (states {states})")
                print(f"kazoo states after the quorum came back: {states}")
                assert "LOST" in states, states
                k.create("/ro/after", b"")
        finally:
            if held is not None:
                held.close()
            k.stop()
            k.close()
    finally:
        try:
            g.stop()
            g.close()
        except Exception:  # noqa: BLE001
            pass


def E_wait(pred, timeout, what):
    if W.wait_until(pred, timeout, interval=0.1) is None:
        raise AssertionError(f"timed out ({timeout} s): {what}")


class KazooLog(logging.Handler):
    """Collects kazoo.client's messages (BLATHER level included) while installed."""

    def __init__(self):
        super().__init__(level=1)
        self.lines = []
        self.logger = logging.getLogger("kazoo.client")

    def emit(self, record):
        self.lines.append(record.getMessage())

    def __enter__(self):
        self.saved = (self.logger.level, self.logger.propagate)
        self.logger.setLevel(1)
        self.logger.propagate = False
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self.saved[0])
        self.logger.propagate = self.saved[1]

    def index(self, needle, start=0):
        for i in range(start, len(self.lines)):
            if needle in self.lines[i]:
                return i
        return None


def check_clients_move_back(ens):
    """A kazoo client in read-only mode pings the first host of its list with `isro` (kazoo's
    RWPinger; the Java client's pingRwServer) and moves to it when it answers `rw`. Measured
    on Java 3.8.0 with local sessions: the read-only session is a local session of the
    read-only member, so the r/w member answers it as expired; kazoo makes a new session on
    the next host of its list (the read-only member again) and keeps doing so until that
    member rejoins the quorum, closes its read-only clients and serves r/w.

    The member the client should move to, `rw`, is down while the client connects, so the
    client lands on the read-only `survivor`, cut off from the others; then `rw` comes back
    and forms a quorum with the third member; at last the partition heals."""
    from kazoo.client import KazooClient
    from kazoo.protocol.states import KeeperState
    leader = ens.start()
    survivor = pick_survivor(ens, leader)
    rw = [m for m in ens if m is not leader and m is not survivor][0]
    c = E.kazoo_client(leader.address)
    c.create("/ro", b"data")
    c.stop()
    c.close()
    rw.stop()
    ens.partition([survivor.sid], [leader.sid, rw.sid], mode="drop")
    secs, _ = wait_read_only(survivor, timeout=40)
    print(f"s{survivor.sid} read-only {secs:.2f} s after the partition")
    k = KazooClient(hosts=f"{rw.address},{survivor.address}", timeout=10, read_only=True,
                    randomize_hosts=False)
    with KazooLog() as kl:
        try:
            k.start(timeout=30)
            assert k.client_state == KeeperState.CONNECTED_RO, k.client_state
            assert k.get("/ro")[0] == b"data"
            rw.start()
            ens.wait_for_quorum(members=[leader, rw], timeout=90)
            assert rw.fourlw("isro") == "rw"
            found = f"Found r/w server to use, {rw.host}:{rw.client_port}"
            E_wait(lambda: kl.index(found) is not None, 60,
                   f"kazoo finding s{rw.sid} r/w ({kl.lines[-5:]})")
            i = kl.index(found)
            E_wait(lambda: kl.index("Session has expired", i) is not None, 30,
                   f"s{rw.sid} answering the read-only session ({kl.lines[i:i + 8]})")
            j = kl.index("Session has expired", i)
            expired = [ln for ln in kl.lines[i:j] if "Read response Connect" in ln]
            assert expired and "time_out=0, session_id=0" in expired[-1], kl.lines[i:j + 1]
            E_wait(lambda: k.client_state == KeeperState.CONNECTED_RO, 30,
                   "kazoo back on the read-only member with a new session")
            assert survivor.fourlw("isro") == "ro"
            # The partition heals: the survivor rejoins, and the client ends up read-write.
            ens.heal()
            ens.wait_for_quorum(timeout=90)
            E_wait(lambda: k.client_state == KeeperState.CONNECTED, 60,
                   f"kazoo read-write ({k.client_state})")
            k.create("/ro/moved", b"")
        finally:
            k.stop()
            k.close()
            ens.heal()


def check_curator(ens):
    """Curator with canBeReadOnly(true): READ_ONLY on the survivor, reads served, writes fail
    with NotReadOnlyException; read-write again (a new session: its read-only one was local
    to the read-only server) once the quorum is back."""
    import subprocess
    classes = curator.classes("CuratorReadOnly")
    leader = ens.start()
    survivor = pick_survivor(ens, leader)
    c = E.kazoo_client(leader.address)
    c.create("/ro", b"data")
    c.stop()
    c.close()
    stop_all_but(ens, survivor)
    wait_read_only(survivor)
    log = open(ens.dir / "curator.log", "w")
    p = subprocess.Popen(
        [E.JAVA, "-Xmx128m", "-cp", f"{classes}:{curator.CURATOR_CP}", "CuratorReadOnly",
         survivor.address, "/ro"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
    E._register(p)
    lines = []

    def read_until(prefix, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
            if line.startswith(prefix) or line.startswith("FAIL"):
                return line
        raise AssertionError(f"Curator: no {prefix!r} (output {lines})")

    try:
        first = read_until("READONLY", 60)
        assert first.startswith("READONLY ok data"), lines
        for m in ens:
            if m is not survivor:
                m.start()
        ens.wait_for_quorum(timeout=90)
        p.stdin.write("rw\n")
        p.stdin.flush()
        second = read_until("READWRITE", 120)
        assert second.startswith("READWRITE ok"), lines
        states = read_until("STATES", 10)
        print(f"Curator: {states.strip()}")
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)
        E._reap(p)
        log.close()


def check_grace_follows_tick_time(ens):
    """The grace period is max(2000, tickTime): 4 s with tickTime=4000 (2.0 s with 2000, in
    check_read_only_survivor)."""
    leader = ens.start()
    survivor = pick_survivor(ens, leader)
    stop_all_but(ens, survivor)
    secs, before = wait_read_only(survivor, timeout=30)
    print(f"tickTime 4000: read-only after {secs:.2f} s (isro before: {before})")
    assert 3.0 <= secs <= 10, secs


# ------------------------------------------------------------------------------ Java

@pytest.mark.timeout(300)
def test_java_read_only_with_local_sessions(make_ensemble):
    check_read_only_survivor(ro_ensemble(make_ensemble, ["java"] * 3))


@pytest.mark.timeout(300)
def test_java_read_only_without_local_sessions(make_ensemble):
    check_read_only_survivor(ro_ensemble(make_ensemble, ["java"] * 3, local_sessions=False),
                             local_sessions=False)


@pytest.mark.timeout(300)
def test_java_read_only_clients_move_back(make_ensemble):
    check_clients_move_back(ro_ensemble(make_ensemble, ["java"] * 3, proxied=True))


@pytest.mark.timeout(300)
def test_java_read_only_curator(make_ensemble):
    check_curator(ro_ensemble(make_ensemble, ["java"] * 3))


@pytest.mark.timeout(300)
def test_java_read_only_grace_follows_tick_time(make_ensemble):
    check_grace_follows_tick_time(ro_ensemble(make_ensemble, ["java"] * 3, tick_time=4000))


@pytest.mark.timeout(300)
def test_java_read_only_disabled(make_ensemble):
    check_disabled(ro_ensemble(make_ensemble, ["java"] * 3, read_only=False))


def check_disabled(ens):
    """Without read-only mode a looking member answers isro `null` and closes every
    client (measured on Java 3.8.0 the same as during the grace period)."""
    leader = ens.start()
    survivor = pick_survivor(ens, leader)
    stop_all_but(ens, survivor)
    time.sleep(4)
    assert survivor.fourlw("isro") == "null"
    assert survivor.srvr()["mode"] == E.NOT_SERVING
    conn, resp = W.connect(survivor.address, read_only=True)
    with conn:
        assert resp is None and conn.closed_by_server()


# ------------------------------------------------------------------------------ zkrs

@pytest.mark.timeout(300)
def test_zkrs_read_only_with_local_sessions(make_ensemble, zkrs_quorum):
    check_read_only_survivor(ro_ensemble(make_ensemble, ["zkrs"] * 3))


@pytest.mark.timeout(300)
def test_zkrs_read_only_without_local_sessions(make_ensemble, zkrs_quorum):
    check_read_only_survivor(ro_ensemble(make_ensemble, ["zkrs"] * 3, local_sessions=False),
                             local_sessions=False)


@pytest.mark.timeout(300)
def test_zkrs_read_only_clients_move_back(make_ensemble, zkrs_quorum):
    check_clients_move_back(ro_ensemble(make_ensemble, ["zkrs"] * 3, proxied=True))


@pytest.mark.timeout(300)
def test_zkrs_read_only_curator(make_ensemble, zkrs_quorum):
    check_curator(ro_ensemble(make_ensemble, ["zkrs"] * 3))


@pytest.mark.timeout(300)
def test_zkrs_read_only_grace_follows_tick_time(make_ensemble, zkrs_quorum):
    check_grace_follows_tick_time(ro_ensemble(make_ensemble, ["zkrs"] * 3, tick_time=4000))


@pytest.mark.timeout(300)
def test_zkrs_read_only_disabled(make_ensemble, zkrs_quorum):
    check_disabled(ro_ensemble(make_ensemble, ["zkrs"] * 3, read_only=False))


# ----------------------------------------------------------------------------- mixed

@pytest.mark.timeout(300)
def test_mixed_zkrs_survivor_read_only_then_rejoins_java(make_ensemble, zkrs_quorum):
    """A zkrs member of a Java ensemble goes read-only when both Java members stop and
    rejoins them as a follower when they come back."""
    check_read_only_survivor(ro_ensemble(make_ensemble, ["zkrs", "java", "java"]),
                             survivor_kind="zkrs")

