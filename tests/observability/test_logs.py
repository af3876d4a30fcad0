"""zkrs's log: the lines operators grep for, in ZooKeeper 3.8's words, the JSON format and
the level knobs (docs/logging.md). Run by tests/observability/run.sh.

- a 3-member zkrs ensemble: each member logs exactly one of LEADING/FOLLOWING (one leader),
  the election-took line, `Peer state changed: ... - broadcast`, `New election. My id = N`;
  after the leader is killed another member logs LEADING;
- a standalone server: `Expiring session 0x..., timeout of 4000ms exceeded` for a kazoo
  session whose client was killed (no close), then `Invalid session 0x... probably expired`
  when it comes back; `Snapshotting:` and `Creating new log file:` with a low snapCount;
- `zkrs.log.format=json`: every stderr line is a JSON object with timestamp (RFC 3339 UTC,
  ms), level, logger, thread and message; ZKRS_LOG_FORMAT=text overrides it;
- `ZKRS_LOG_LEVEL=WARN` (over zkrs.log.level=DEBUG) and `ZOO_LOG4J_PROP=WARN,CONSOLE`: no
  INFO line; a bad zkrs.log.format is refused with its line number (exit 2).

Loopback (127.0.0.1) only; every wait is bounded in count and time; every process started
here is stopped by pid (also at exit).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "quorum"))

import ensemble as E  # noqa: E402

WORK = Path(os.environ.get("LOGS_WORK") or ROOT / "target" / "observability-logs")
PYTHON = sys.executable
HOST = E.HOST

pytestmark = pytest.mark.timeout(240)

_PROCS: dict[int, subprocess.Popen] = {}


def _kill_all() -> None:
    for p in list(_PROCS.values()):
        if p.poll() is None:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(p.pid, sig)
                except ProcessLookupError:
                    pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    _PROCS.clear()


atexit.register(_kill_all)


def wait_for(pred, timeout: float, what: str, interval: float = 0.2):
    """Polls `pred` until it returns something truthy (returned), at most `timeout` s."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def clean_env(**extra: str) -> dict:
    """The environment without any logging knob, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("RUST_LOG", "ZKRS_LOG_LEVEL", "ZKRS_LOG_FORMAT", "ZOO_LOG4J_PROP")}
    env.update(extra)
    return env


class Standalone:
    """One standalone zkrs server on 127.0.0.1 with its own dir, zoo.cfg and stderr file."""

    def __init__(self, name: str, extra_cfg: dict | None = None, env: dict | None = None):
        self.dir = WORK / name
        shutil.rmtree(self.dir, ignore_errors=True)
        (self.dir / "data").mkdir(parents=True)
        (self.port,) = E.free_ports(1)
        lines = [
            "tickTime=2000",
            f"dataDir={self.dir / 'data'}",
            f"clientPort={self.port}",
            f"clientPortAddress={HOST}",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
        ]
        lines += [f"{k}={v}" for k, v in (extra_cfg or {}).items()]
        self.cfg = self.dir / "zoo.cfg"
        self.cfg.write_text("\n".join(lines) + "\n")
        self.err = self.dir / "stderr.log"
        self.env = clean_env(**(env or {}))
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self, wait: bool = True) -> "Standalone":
        with open(self.err, "wb") as err:
            self.proc = subprocess.Popen(
                [str(E.ZKRS_EXE), "server", str(self.cfg)], cwd=self.dir,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=self.env)
        _PROCS[self.proc.pid] = self.proc
        if wait:
            wait_for(lambda: self.proc.poll() is not None
                     or E.fourlw(HOST, self.port, "ruok", timeout=1.0) == "imok",
                     20, f"{self.address} to answer ruok")
            assert self.proc.poll() is None, f"exited {self.proc.returncode}:\n{self.log()}"
        return self

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        _PROCS.pop(self.proc.pid, None)
        return self.proc.returncode

    def log(self) -> str:
        try:
            return self.err.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@pytest.fixture
def servers():
    made: list[Standalone] = []

    def make(name, **kw) -> Standalone:
        s = Standalone(name, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


@pytest.fixture(scope="module", autouse=True)
def zkrs_binary():
    if not E.ZKRS_EXE.exists():
        pytest.skip(f"no zkrs binary at {E.ZKRS_EXE}")
    WORK.mkdir(parents=True, exist_ok=True)


def message_lines(text: str) -> list[str]:
    """The message part of each text-format line (after `] - `)."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[myid:\d*\] - \w+ +\[[^\]]*\] - (.*)$",
                     line)
        if m:
            out.append(m.group(1))
    return out


# ------------------------------------------------------------------------------- ensemble


def test_ensemble_role_and_election_lines():
    ens = E.Ensemble("roles", ["zkrs", "zkrs", "zkrs"], root=WORK)
    try:
        ens.start(timeout=60)
        leader = ens.wait_for_quorum(timeout=60)
        # The lines are logged as the roles settle; the followers' `broadcast` comes with
        # their UPTODATE, which wait_for_quorum has seen through mntr.
        def settled():
            return all("Peer state changed: " + ("leading" if m is leader else "following")
                       + " - broadcast" in m.log_text() for m in ens)
        wait_for(settled, 10, "every member to log its broadcast state")
        roles = {}
        for m in ens:
            text = m.log_text()
            msgs = message_lines(text)
            assert msgs, f"s{m.sid}: no ZooKeeper-shaped lines:\n{m.log_tail()}"
            assert f"[myid:{m.sid}]" in text
            role_lines = [x for x in msgs if x in ("LEADING", "FOLLOWING", "OBSERVING")]
            assert len(role_lines) == 1, f"s{m.sid}: {role_lines}"
            roles[m.sid] = role_lines[0]
            assert "LOOKING" in msgs, f"s{m.sid}"
            assert any(re.fullmatch(rf"New election\. My id = {m.sid}, proposed zxid=0x[0-9a-f]+", x)
                       for x in msgs), f"s{m.sid}"
            assert any(x.startswith("Notification: my state:LOOKING; n.sid:") for x in msgs), \
                f"s{m.sid}"
            took = rf"{role_lines[0]} - LEADER ELECTION TOOK - \d+ MS"
            assert any(re.fullmatch(took, x) for x in msgs), f"s{m.sid}: no '{took}'"
            assert any(x.startswith("Binding to port") or x.startswith("binding to port")
                       for x in msgs), f"s{m.sid}"
        assert sorted(roles.values()) == ["FOLLOWING", "FOLLOWING", "LEADING"], roles
        assert roles[leader.sid] == "LEADING"
        lmsgs = message_lines(leader.log_text())
        assert any(re.fullmatch(r"Have quorum of supporters, sids: \[\[[0-9, ]+\]\]; starting up "
                                r"and setting last processed zxid: 0x[0-9a-f]+", x)
                   for x in lmsgs), "leader: no 'Have quorum of supporters'"
        assert "Peer state changed: leading - discovery" in lmsgs

        # The leader dies: another member leads, and says so.
        marks = {m.sid: m.log_mark() for m in ens if m is not leader}
        leader.kill()
        rest = [m for m in ens if m is not leader]
        new_leader = ens.wait_for_quorum(members=rest, timeout=60)
        assert new_leader is not leader
        since = message_lines(new_leader.log_text(marks[new_leader.sid]))
        assert "LOOKING" in since
        assert "LEADING" in since, since[-20:]
        assert any(re.fullmatch(r"LEADING - LEADER ELECTION TOOK - \d+ MS", x) for x in since)
        other = next(m for m in rest if m is not new_leader)
        assert "FOLLOWING" in message_lines(other.log_text(marks[other.sid]))
    finally:
        ens.close()


# ----------------------------------------------------------------------------- standalone

CLIENT = textwrap.dedent("""
    import sys, time
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=sys.argv[1], timeout=4.0)
    zk.start(timeout=10)
    zk.create("/eph", b"", ephemeral=True)
    sid, pw = zk.client_id
    print(f"{sid:x} {pw.hex()}", flush=True)
    time.sleep(120)
""")

RECONNECT = textwrap.dedent("""
    import sys
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=sys.argv[1], timeout=4.0,
                     client_id=(int(sys.argv[2], 16), bytes.fromhex(sys.argv[3])))
    try:
        zk.start(timeout=10)
    except Exception as e:
        print("start:", e)
    finally:
        zk.stop()
        zk.close()
""")


def test_session_expiry_and_invalid_session(servers):
    s = servers("session").start()
    client = subprocess.Popen([PYTHON, "-c", CLIENT, s.address], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    _PROCS[client.pid] = client
    try:
        line = client.stdout.readline()  # bounded by the client's own 10 s start timeout
        assert line, client.stderr.read() if client.poll() is not None else "no session"
        sid, pw = line.split()
    finally:
        client.kill()  # no closeSession: the session must expire
        client.wait(timeout=10)
        _PROCS.pop(client.pid, None)
    expiring = f"Expiring session 0x{sid}, timeout of 4000ms exceeded"
    wait_for(lambda: expiring in message_lines(s.log()), 20, f"'{expiring}'")
    # Established is DEBUG in ZooKeeper 3.8: not at INFO.
    assert not any(x.startswith("Established session") for x in message_lines(s.log()))

    r = subprocess.run([PYTHON, "-c", RECONNECT, s.address, sid, pw], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    invalid = re.compile(rf"Invalid session 0x{sid} for client /127\.0\.0\.1:\d+, probably expired")
    wait_for(lambda: any(invalid.fullmatch(x) for x in message_lines(s.log())), 10,
             "'Invalid session ... probably expired'")
    msgs = message_lines(s.log())
    assert f"Reading configuration from: {s.cfg}" in msgs
    assert f"binding to port /127.0.0.1:{s.port}" in msgs
    assert any(x.startswith("Server environment:zookeeper.version=3.8.0") for x in msgs)
    assert any(re.fullmatch(r"Snapshot loaded in \d+ ms, highest zxid is 0x[0-9a-f]+, "
                            r"digest is -?\d+", x) for x in msgs)
    assert s.stop() == 0
    assert "shutting down" in message_lines(s.log())
    # A standalone server has no myid in its lines, as in ZooKeeper.
    assert "[myid:] - INFO  [" in s.log()


def test_snapshot_and_new_log_file_lines(servers):
    s = servers("snapshots", extra_cfg={"snapCount": 10}).start()
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=s.address, timeout=10.0)
    zk.start(timeout=15)
    try:
        for i in range(60):
            zk.create(f"/n{i:03d}", b"x" * 100)
    finally:
        zk.stop()
        zk.close()
    snap = re.compile(r"Snapshotting: 0x([0-9a-f]+) to (.*/version-2/snapshot\.([0-9a-f]+))")

    def snaps():
        found = [m for m in (snap.fullmatch(x) for x in message_lines(s.log())) if m]
        return [m for m in found if int(m.group(1), 16) > 0] or None

    taken = wait_for(snaps, 20, "a 'Snapshotting: 0x...' line after the writes")
    for m in taken:
        assert m.group(1) == m.group(3)
    newlog = [x for x in message_lines(s.log()) if re.fullmatch(r"Creating new log file: log\.[0-9a-f]+", x)]
    assert len(newlog) >= 2, newlog
    logs = {p.name for p in (s.dir / "data" / "version-2").glob("log.*")}
    for x in newlog:
        assert x.split(": ")[1] in logs, (x, logs)


KEYS = {"timestamp", "level", "logger", "thread", "message"}
RFC3339_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_json_format_from_zoo_cfg(servers):
    s = servers("json", extra_cfg={"zkrs.log.format": "json"}).start()
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=s.address, timeout=10.0)
    zk.start(timeout=15)
    zk.create("/j", b"")
    zk.stop()
    zk.close()
    assert s.stop() == 0
    lines = s.log().splitlines()
    assert len(lines) >= 5, lines
    objs = []
    for line in lines:
        o = json.loads(line)  # every line is one JSON object
        assert isinstance(o, dict), line
        assert KEYS <= o.keys(), line
        assert RFC3339_MS.fullmatch(o["timestamp"]), line
        assert o["level"] in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR"), line
        objs.append(o)
    msgs = [o["message"] for o in objs]
    assert f"Reading configuration from: {s.cfg}" in msgs
    assert "shutting down" in msgs
    assert "myid" not in objs[0]  # standalone

    # The environment overrides zoo.cfg.
    t = servers("json-env-text", extra_cfg={"zkrs.log.format": "json"},
                env={"ZKRS_LOG_FORMAT": "text"}).start()
    assert t.stop() == 0
    first = t.log().splitlines()[0]
    assert not first.startswith("{") and "Reading configuration from:" in first, first


@pytest.mark.parametrize("env,cfg", [
    ({"ZKRS_LOG_LEVEL": "WARN"}, {"zkrs.log.level": "DEBUG"}),
    ({"ZOO_LOG4J_PROP": "WARN,CONSOLE"}, {}),
    ({}, {"zkrs.log.level": "warn"}),
], ids=["env-over-zoo-cfg", "zoo-log4j-prop", "zoo-cfg"])
def test_warn_level_has_no_info_lines(servers, env, cfg):
    s = servers("warn-" + "-".join(sorted(env) + sorted(cfg)).lower().replace(".", "-"),
                extra_cfg={"snapCount": 10, **cfg}, env=env).start()
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=s.address, timeout=10.0)
    zk.start(timeout=15)
    for i in range(20):
        zk.create(f"/w{i}", b"")
    zk.stop()
    zk.close()
    assert s.stop() == 0
    text = s.log()
    assert " - INFO " not in text and " - DEBUG " not in text, text[:2000]
    # The control: the same server at the default level does log INFO.
    c = servers("info-control", extra_cfg={"snapCount": 10}).start()
    assert c.stop() == 0
    assert " - INFO  [" in c.log()


def test_bad_log_values_are_refused_with_their_line(servers):
    s = servers("bad-format", extra_cfg={"zkrs.log.format": "xml"})
    r = subprocess.run([str(E.ZKRS_EXE), "server", str(s.cfg)], capture_output=True, text=True,
                       timeout=30, env=s.env)
    assert r.returncode == 2, r.stderr
    n = s.cfg.read_text().splitlines().index("zkrs.log.format=xml") + 1
    assert f"zoo.cfg:{n}: key 'zkrs.log.format': invalid log format 'xml'" in r.stderr, r.stderr
    good = servers("bad-level")
    r = subprocess.run([str(E.ZKRS_EXE), "server", str(good.cfg)], capture_output=True,
                       text=True, timeout=30, env=clean_env(ZKRS_LOG_LEVEL="LOUD"))
    assert r.returncode == 2
    assert "invalid ZKRS_LOG_LEVEL 'LOUD'" in r.stderr, r.stderr
