"""Dynamic reconfiguration scenarios (tests/quorum/test_reconfig.py), written once and run on
all-Java, all-zkrs and mixed ensembles: what Apache ZooKeeper 3.8.0 does, measured (see
docs/quorum.md, "Dynamic reconfiguration"), is what the Java run checks and what zkrs must
match.

Every wait is bounded; every client is closed."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from pathlib import Path

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadArgumentsError,
    BadVersionError,
    NewConfigNoQuorumError,
    NoAuthError,
)

from ensemble import Ensemble, Member, digest_mismatches, verify

SUPER_PASSWORD = "reconfig-test"
SUPER_DIGEST = "super:" + base64.b64encode(
    hashlib.sha1(f"super:{SUPER_PASSWORD}".encode()).digest()).decode()
# zoo.cfg keys become `zookeeper.<key>` system properties in Java and in zkrs.
RECONFIG_CFG = {"DigestAuthenticationProvider.superDigest": SUPER_DIGEST}

CONFIG_NODE = "/zookeeper/config"


def client(member_or_hosts, auth: bool = True, timeout: float = 30.0) -> KazooClient:
    hosts = member_or_hosts.address if isinstance(member_or_hosts, Member) else member_or_hosts
    zk = KazooClient(hosts=hosts, timeout=10.0, connection_retry={"max_tries": 5},
                     auth_data=[("digest", f"super:{SUPER_PASSWORD}")] if auth else None)
    zk.start(timeout=timeout)
    return zk


def config_version(text: str) -> int:
    m = re.search(r"^version=([0-9a-f]+)$", text, re.M)
    assert m, f"no version line in {text!r}"
    return int(m.group(1), 16)


def members_of(text: str) -> set[int]:
    return {int(m) for m in re.findall(r"^server\.(\d+)=", text, re.M)}


def dynamic_file(m: Member) -> Path | None:
    """The file zoo.cfg's dynamicConfigFile= names, if any."""
    for line in m.cfg_path.read_text().splitlines():
        if line.startswith("dynamicConfigFile="):
            return Path(line.split("=", 1)[1])
    return None


def wait_for(ens: Ensemble, pred, what: str, timeout: float = 30.0):
    return ens.wait_for(pred, timeout, what)


def the_leader(ens: Ensemble) -> Member:
    """The one running member in mode leader (wait_for_quorum would also check that every
    member plays the role its Member says, which a joiner does not until it is added)."""
    def one():
        leaders = [m for m in ens.running if m.mode() == "leader"]
        return leaders[0] if len(leaders) == 1 else None
    return wait_for(ens, one, "one leader")


def read_config(m: Member) -> tuple[str, object]:
    zk = client(m, auth=False)
    try:
        data, stat = zk.get(CONFIG_NODE)
        return data.decode(), stat
    finally:
        zk.stop()
        zk.close()


def wait_config_everywhere(ens: Ensemble, version: int, members=None, timeout: float = 30.0):
    """Every running member (or `members`) has `/zookeeper/config` at `version`, its
    zoo.cfg points at `zoo.cfg.dynamic.<version>`, and that file holds the same servers."""
    members = list(members or ens.running)

    def ok():
        for m in members:
            try:
                text, stat = read_config(m)
            except Exception:
                return False
            if config_version(text) != version or stat.version != -1 or stat.mzxid != version:
                return False
            f = dynamic_file(m)
            if f is None or f.name != f"zoo.cfg.dynamic.{version:x}" or not f.exists():
                return False
            lines = sorted(line for line in text.splitlines() if line.startswith("server."))
            if f.read_text() != "\n".join(lines):
                return False
        return True

    wait_for(ens, ok, f"configuration 0x{version:x} on s{[m.sid for m in members]}", timeout)


def first_config(ens: Ensemble) -> int:
    """After the first election: every member has zoo.cfg.bak, a dynamic file named after
    the first leader's epoch (`epoch << 32`) and `/zookeeper/config` at that version with
    Stat version -1 and mzxid = version (ZOOKEEPER-1783)."""
    leader = ens.wait_for_quorum()
    wait_for(ens, lambda: all(dynamic_file(m) is not None for m in ens.running),
             "dynamicConfigFile= in every zoo.cfg")
    text, stat = read_config(leader)
    version = config_version(text)
    assert version & 0xFFFFFFFF == 0 and version >> 32 >= 1, hex(version)
    for m in ens.running:
        assert (m.dir / "zoo.cfg.bak").exists(), f"s{m.sid}: no zoo.cfg.bak"
        bak = (m.dir / "zoo.cfg.bak").read_text()
        assert "server.1=" in bak and "dynamicConfigFile" not in bak
        cfg = m.cfg_path.read_text()
        assert "server." not in cfg, f"s{m.sid}: membership left in zoo.cfg:\n{cfg}"
    wait_config_everywhere(ens, version)
    return version


def add_remove_and_remove_leader(ens: Ensemble, workload, joiner_kind: str) -> dict:
    """The issue's reconfig walk on a running 3-member ensemble under client writes:
    a joiner (config = the members + itself) follows as a non-voting follower; `-add` makes
    it a voter; `-remove` of a follower leaves that member running as a non-voting follower;
    `-remove` of the leader hands leadership to a designated voter without an election
    round, the old leader following. Every acknowledged write is kept; trees equal."""
    out = {}
    version = first_config(ens)
    out["first_version"] = hex(version)
    w = workload(ens.connect_string(), prefix="/rc")
    w.start_background()
    joiner = ens.add_member(joiner_kind)
    joiner.start()
    wait_for(ens, lambda: joiner.mode() == "follower", "the joiner following (non-voting)", 60)
    leader = ens.wait_for_quorum()
    wait_for(ens, lambda: leader.mntr().get("zk_synced_non_voting_followers") == "1",
             "the leader counting one non-voting follower")
    # The joiner adopted the ensemble's configuration (without itself) from the election.
    text, _ = read_config(joiner)
    assert joiner.sid not in members_of(text), text
    zk = client(leader)
    try:
        data, stat = zk.reconfig(joining=ens.server_spec(joiner), leaving=None,
                                 new_members=None)
    finally:
        zk.stop()
        zk.close()
    text = data.decode()
    added = config_version(text)
    assert joiner.sid in members_of(text), text
    assert stat.version == -1 and stat.mzxid == added, stat
    wait_config_everywhere(ens, added)
    wait_for(ens, lambda: leader.mntr().get("zk_quorum_size") == "4", "quorum size 4")
    # The reconfig txn's digest is the tree's (`/zookeeper/` is not digested): a Java member
    # checks every txn's digest against its tree and counts mismatches.
    mismatches = digest_mismatches(ens.running)
    assert not mismatches, f"digest mismatches after the reconfig: {mismatches}"
    out["added"] = hex(added)
    # Remove a follower (not the joiner): it goes on as a non-voting follower.
    gone = next(m for m in ens.running if m is not leader and m is not joiner)
    zk = client(joiner)
    try:
        data, stat = zk.reconfig(joining=None, leaving=str(gone.sid), new_members=None)
    finally:
        zk.stop()
        zk.close()
    removed = config_version(data.decode())
    assert gone.sid not in members_of(data.decode())
    wait_config_everywhere(ens, removed)
    time.sleep(1.0)
    assert gone.running and gone.mode() == "follower", gone.srvr()
    out["removed_follower"] = gone.sid
    # Remove the leader: a designated voter leads next.
    t0 = time.monotonic()
    zk = client(joiner)
    try:
        data, stat = zk.reconfig(joining=None, leaving=str(leader.sid), new_members=None)
    except Exception:
        data = None  # the reply may be lost when the member we talk to changes role
    finally:
        zk.stop()
        zk.close()
    voters = [m for m in ens.running if m is not leader and m is not gone]

    def new_leader():
        modes = {m.sid: m.mode() for m in voters}
        return [sid for sid, mode in modes.items() if mode == "leader"]

    wait_for(ens, lambda: len(new_leader()) == 1, "a new leader among the voters", 60)
    out["handoff_s"] = round(time.monotonic() - t0, 2)
    wait_for(ens, lambda: leader.mode() == "follower", "the old leader following", 60)
    text, _ = read_config(ens[new_leader()[0]])
    assert leader.sid not in members_of(text), text
    wait_config_everywhere(ens, config_version(text))
    w.stop()
    assert len(w.acked) > 0 and w.lost == 0, w.summary()
    verify(ens, [w])
    out["writes"] = len(w.acked)
    return out


def errors(ens: Ensemble) -> dict:
    """The leader's refusals, each an ErrorTxn that takes a zxid: BADVERSION (wrong -v),
    NEWCONFIGNOQUORUM (a new config whose quorum is not connected), BADARGUMENTS (a joiner
    without a client port), NOAUTH (neither super user nor skipACL: checked last)."""
    leader = ens.wait_for_quorum()
    version = first_config(ens)
    zk = client(leader)
    anon = client(leader, auth=False)
    out = {}
    try:
        members = ",".join(
            f"server.{m.sid}={m.host}:{m.quorum_port}:{m.election_port};{m.host}:{m.client_port}"
            for m in ens.members.values() if m.sid == leader.sid)
        dead = ",server.8=127.0.0.1:1:2;3,server.9=127.0.0.1:4:5;6"
        cases = [
            ("BADVERSION", BadVersionError,
             lambda c: c.reconfig(None, None, None, from_config=version + 1)),
            ("NEWCONFIGNOQUORUM", NewConfigNoQuorumError,
             lambda c: c.reconfig(None, None, members + dead)),
            ("BADARGUMENTS", BadArgumentsError,
             lambda c: c.reconfig("server.9=127.0.0.1:7:8", None, None)),
        ]
        for name, exc, call in cases:
            before = leader.zxid()
            try:
                call(zk)
                raise AssertionError(f"{name}: reconfig succeeded")
            except exc:
                pass
            after = leader.zxid()
            out[name] = after - before
        # NOAUTH comes last: a bad version without auth is still BADVERSION.
        try:
            anon.reconfig(None, None, None, from_config=version + 1)
            raise AssertionError("unauthenticated reconfig with a bad version succeeded")
        except BadVersionError:
            pass
        try:
            anon.reconfig(None, str(leader.sid), None)
            raise AssertionError("unauthenticated reconfig succeeded")
        except NoAuthError:
            out["NOAUTH"] = True
    finally:
        for c in (zk, anon):
            c.stop()
            c.close()
    text, _ = read_config(leader)
    assert config_version(text) == version, "a refused reconfig changed the configuration"
    return out


def reconfig(m: Member, **kw) -> str:
    zk = client(m)
    try:
        data, _ = zk.reconfig(kw.get("joining"), kw.get("leaving"), kw.get("new_members"))
        return data.decode()
    finally:
        zk.stop()
        zk.close()


def observer_role_changes(ens: Ensemble, workload, joiner_kind: str) -> dict:
    """A joiner started as an observer of itself follows without a vote until `-add` makes it
    an observer (COMMITANDACTIVATE: it reconnects with OBSERVERINFO), then a participant
    (INFORMANDACTIVATE: FOLLOWERINFO, a voter), then an observer again; every step without
    an election, under client writes; trees equal at the end."""
    out = {}
    first_config(ens)
    w = workload(ens.connect_string(), prefix="/obs")
    w.start_background()
    joiner = ens.add_member(joiner_kind, role="observer")
    joiner.start()
    wait_for(ens, lambda: joiner.mode() == "follower", "the joiner following (non-voting)", 60)
    leader = the_leader(ens)
    steps = [("observer", "observer", "3"), ("participant", "follower", "4"),
             ("observer", "observer", "3")]
    for role, mode, quorum in steps:
        joiner.role = role
        text = reconfig(leader, joining=ens.server_spec(joiner, role))
        assert f"server.{joiner.sid}=" in text and f":{role};" in text, text
        wait_config_everywhere(ens, config_version(text))
        wait_for(ens, lambda mode=mode: joiner.mode() == mode, f"the joiner as {mode}", 60)
        wait_for(ens, lambda q=quorum: leader.mntr().get("zk_quorum_size") == q,
                 f"quorum size {quorum}")
        assert leader.mode() == "leader", "a role change of another member made an election"
        out[role + ("" if role not in out else "2")] = hex(config_version(text))
    w.stop()
    assert len(w.acked) > 0 and w.lost == 0, w.summary()
    verify(ens, [w])
    out["writes"] = len(w.acked)
    return out


ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"


def zkcli_script(m: Member, commands: list[str], timeout: float = 60.0) -> str:
    """Runs zkCli.sh against `m` with `commands` on stdin (script mode), as the super user."""
    import subprocess
    script = "\n".join([f"addauth digest super:{SUPER_PASSWORD}", *commands, "quit"]) + "\n"
    r = subprocess.run([ZKCLI, "-server", m.address], input=script, capture_output=True,
                       text=True, timeout=timeout)
    return r.stdout + r.stderr


def zkcli_adds_and_removes(ens: Ensemble, workload, kind: str) -> dict:
    """zkCli's `reconfig -add` brings a `kind` joiner in as a participant and a second one as
    an observer, then `reconfig -remove` takes both out again (they go on as non-voting
    followers); writes throughout; trees equal."""
    out = {}
    first_config(ens)
    w = workload(ens.connect_string(), prefix="/cli")
    w.start_background()
    voter = ens.add_member(kind)
    observer = ens.add_member(kind, role="observer")
    for m in (voter, observer):
        m.start()
    wait_for(ens, lambda: voter.mode() == "follower" and observer.mode() == "follower",
             "the joiners following (non-voting)", 90)
    leader = the_leader(ens)
    text = zkcli_script(leader, [f"reconfig -add {ens.server_spec(voter)}",
                                 f"reconfig -add {ens.server_spec(observer)}"])
    assert "Committed new configuration" in text, text
    wait_for(ens, lambda: observer.mode() == "observer", "the observer observing", 60)
    wait_for(ens, lambda: leader.mntr().get("zk_quorum_size") == "4", "quorum size 4")
    cfg, _ = read_config(leader)
    assert {voter.sid, observer.sid} <= members_of(cfg), cfg
    wait_config_everywhere(ens, config_version(cfg))
    out["added"] = hex(config_version(cfg))
    text = zkcli_script(leader, [f"reconfig -remove {voter.sid},{observer.sid}"])
    assert "Committed new configuration" in text, text
    wait_for(ens, lambda: leader.mntr().get("zk_quorum_size") == "3", "quorum size 3")
    cfg, _ = read_config(leader)
    assert not {voter.sid, observer.sid} & members_of(cfg), cfg
    wait_config_everywhere(ens, config_version(cfg))
    wait_for(ens, lambda: voter.mode() == "follower" and observer.mode() == "follower",
             "the removed members following (non-voting)", 60)
    observer.role = "participant"  # a removed member follows, without a vote
    out["removed"] = hex(config_version(cfg))
    w.stop()
    assert len(w.acked) > 0 and w.lost == 0, w.summary()
    verify(ens, [w])
    out["writes"] = len(w.acked)
    return out


def auto_keys(seeds=()) -> dict:
    """zoo.cfg keys of a self-managing zkrs member (docs/quorum.md, "Self-managing
    members"); `seeds`: the live ensemble a new member reads its configuration from."""
    from ensemble import WORK_ROOT
    pw = WORK_ROOT / "super-password"
    pw.parent.mkdir(parents=True, exist_ok=True)
    pw.write_text(SUPER_PASSWORD + "\n")
    keys = {
        "zkrs.autoMembership": "true",
        "zkrs.autoMembership.superPasswordFile": str(pw),
    }
    if seeds:
        keys["zkrs.autoMembership.ensemble"] = ",".join(m.address for m in seeds)
    return keys


def voters_of(ens: Ensemble, m: Member) -> set[int]:
    text, _ = read_config(m)
    return {int(x) for x in re.findall(r"^server\.(\d+)=[^\n]*:participant", text, re.M)}


def scale_3_5_3(ens: Ensemble, workload, leave_leader: bool) -> dict:
    """zkrs's self-managing members: two members started at once with only their own line
    and the ensemble's client addresses join (racing: each `reconfig -add` is conditioned on
    the version it read), each once synced; then two members leave on SIGUSR2 (each removes
    itself, then stops) — with `leave_leader`, the leader is one of them. All under client
    writes: no acknowledged write lost, no session expired, one re-election at most, every
    member's tree equal. A member that left and is started again does not come back."""
    out = {}
    first_config(ens)
    seeds = list(ens.running)
    w = workload(ens.connect_string(), prefix="/auto")
    w.start_background()
    keys = {**RECONFIG_CFG, **auto_keys(seeds)}
    joiners = [ens.add_member("zkrs", auto=keys) for _ in range(2)]
    t0 = time.monotonic()
    for j in joiners:
        j.start()
    leader = the_leader(ens)
    wait_for(ens, lambda: voters_of(ens, leader) == {m.sid for m in ens.members.values()},
             "both joiners voting", 90)
    out["join_s"] = round(time.monotonic() - t0, 2)
    wait_for(ens, lambda: leader.mntr().get("zk_quorum_size") == "5", "quorum size 5")
    for j in joiners:
        assert (j.data_dir / "zkrs-membership").read_text().strip() == "joined"
    wait_config_everywhere(ens, config_version(read_config(leader)[0]))
    # Scale down: two members leave (SIGUSR2: remove itself, then stop).
    if leave_leader:
        leaving = [leader, joiners[0]]
    else:
        leaving = joiners
    t0 = time.monotonic()
    for m in leaving:
        m._signal(__import__("signal").SIGUSR2)
    for m in leaving:
        wait_for(ens, lambda m=m: not m.running, f"s{m.sid} leaving and stopping", 120)
        m._reap()
        assert m.last_exit == 0, f"s{m.sid} exited {m.last_exit}"
    out["leave_s"] = round(time.monotonic() - t0, 2)
    rest = [m for m in ens.members.values() if m.running]
    new_leader = the_leader(ens)
    assert voters_of(ens, new_leader) == {m.sid for m in rest}, read_config(new_leader)[0]
    wait_for(ens, lambda: new_leader.mntr().get("zk_quorum_size") == "3", "quorum size 3")
    wait_config_everywhere(ens, config_version(read_config(new_leader)[0]), rest)
    w.stop()
    assert len(w.acked) > 0 and w.lost == 0, w.summary()
    verify(ens, [w], members=rest)
    out["writes"] = len(w.acked)
    # A member that left never comes back by itself: started again it is refused (its
    # configuration no longer lists it) and the voters stay.
    gone = joiners[-1] if not leave_leader else joiners[0]
    if gone.auto is not None:
        gone.start()
        wait_for(ens, lambda: not gone.running, "the removed member refusing to start", 30)
        gone._reap()
        assert gone.last_exit != 0
        assert voters_of(ens, new_leader) == {m.sid for m in rest}
    return out


def crash_mid_reconfig(ens: Ensemble, workload, rounds: int = 3) -> dict:
    """Catalogue 34 on processes: the leader is killed (-9) right as a reconfig is asked for
    (before or after its commit, as timing falls); after re-election every member, the killed
    one restarted included, ends on the same configuration, each at the version its files
    name, and the txns acknowledged before and after are all there."""
    out = {"versions": []}
    first_config(ens)
    w = workload(ens.connect_string(), prefix="/crash")
    w.start_background()
    joiner = ens.add_member(ens.members[1].kind)
    joiner.start()
    wait_for(ens, lambda: joiner.mode() == "follower", "the joiner following", 60)
    for i in range(rounds):
        leader = the_leader(ens)
        asker = next(m for m in ens.running if m is not leader)
        zk = client(asker)
        role = "participant" if i % 2 == 0 else "observer"
        joiner.role = role
        res = zk.reconfig_async(ens.server_spec(joiner, role), None, None, -1)
        time.sleep(0.002 * i)
        leader.kill()
        try:
            res.get(timeout=20)
        except Exception:
            pass  # the answer may be lost with the leader
        zk.stop()
        zk.close()
        leader.start()
        def agreed():
            texts = set()
            for m in ens.running:
                try:
                    text, stat = read_config(m)
                except Exception:
                    return False
                f = dynamic_file(m)
                if f is None or f.name != f"zoo.cfg.dynamic.{config_version(text):x}":
                    return False
                texts.add("\n".join(sorted(l for l in text.splitlines()
                                           if l.startswith(("server.", "version=")))))
            return texts if len(texts) == 1 else False
        texts = wait_for(ens, agreed, "every member on one configuration", 90)
        text = next(iter(texts))
        out["versions"].append(hex(config_version(text)))
        # The joiner's role follows whichever configuration won.
        joiner.role = "observer" if f"server.{joiner.sid}=" in text and ":observer" in \
            text.split(f"server.{joiner.sid}=")[1].split("\n")[0] else "participant"
    w.stop()
    assert len(w.acked) > 0, w.summary()
    verify(ens, [w])
    out["writes"] = len(w.acked)
    return out


def curator_adds_and_removes(ens: Ensemble, kind: str) -> dict:
    """Curator 5.4's reconfig builder (`getConfig`, `reconfig().joining().fromConfig()`,
    a stale `fromConfig` → BadVersionException, `leaving`) adds a `kind` joiner and removes
    it; every member ends on the final configuration."""
    import curator
    first_config(ens)
    joiner = ens.add_member(kind)
    joiner.start()
    wait_for(ens, lambda: joiner.mode() == "follower", "the joiner following", 60)
    leader = the_leader(ens)
    lines = curator.run("CuratorReconfig", leader.address, SUPER_PASSWORD,
                        ens.server_spec(joiner), str(joiner.sid))
    assert any(l.startswith("ADDED") for l in lines) and "BADVERSION ok" in lines, lines
    removed = next(l for l in lines if l.startswith("REMOVED")).split()[1]
    wait_config_everywhere(ens, int(removed, 16))
    return {"curator": lines}
