"""Ensemble test harness: ZooKeeper ensembles of Apache ZooKeeper 3.8 (Debian) and zkrs
members on loopback, for tests/quorum/test_*.py.

Everything here talks to 127.0.0.0/8 only, bounds every wait in count and time, and
stops the processes it starts by pid (never by name): on `Ensemble.close()`, at interpreter
exit (atexit), on SIGTERM/SIGHUP, and (for members started from the main thread) through
`setpriv --pdeathsig KILL` when the test process itself dies. tests/quorum/run.sh also
sweeps the pid files left under target/quorum/ after the run.

Main API (see each docstring):

    ens = Ensemble("name", ["java", "java", "zkrs:observer"], tick_time=2000, ...)
    ens.start()                       # start every member, wait for one leader
    leader = ens.wait_for_quorum()    # exactly one leader, every other running member
                                      # following/observing; returns the leader Member
    m = ens[2]                        # Member by sid
    m.stop() / m.kill() / m.pause() / m.resume() / m.start() / m.restart() / m.swap("zkrs")
    m.srvr() / m.mntr() / m.mode() / m.zxid()
    ens.partition([1], [2, 3]); ens.heal()     # needs Ensemble(..., proxied=True)
    w = Workload(ens.connect_string(), prefix="/w"); w.write(200); w.start_background()
    trees = verify(ens, [w])          # every acked write on every member, equal trees
    ens.close()

Environment (set by tests/quorum/run.sh; all optional):
    ZKRS_EXE              the zkrs binary (default target/release/zkrs)
    ZK_SERVER_CP          classpath of Apache ZooKeeper's server
    QUORUM_WORK           root of the per-test directories (default target/quorum)
    QUORUM_JAVA_OPTS      JVM flags (default: small heap, serial GC, C1 only: see JAVA_OPTS)
    QUORUM_ZKRS_AS_JAVA=1 run Apache ZooKeeper wherever a test asks for zkrs (to check the
                          zkrs/mixed tests' own logic on an all-Java ensemble)
    QUORUM_RUST_LOG       RUST_LOG for zkrs members (default "info")

Start-up time: one JVM reaches "Mode:" in about 1 s alone on this 2-core machine; three or
four JVMs started together need 3-8 s to elect a leader (they compete for the cores while
JIT-compiling). zkrs starts in milliseconds. Waits below are sized for 5 JVMs.
"""

from __future__ import annotations

import atexit
import collections
import logging
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK_ROOT = Path(os.environ.get("QUORUM_WORK") or ROOT / "target" / "quorum")
HOST = "127.0.0.1"

JAVA_DIR = "/usr/share/java"
ZK_SERVER_CP = os.environ.get("ZK_SERVER_CP") or ":".join(
    f"{JAVA_DIR}/{j}"
    for j in (
        "zookeeper.jar",
        "zookeeper-jute.jar",
        # zookeeper.jar's manifest lacks netty-codec (Debian packaging bug); no SLF4J
        # binding by default: log4j 1.2 through slf4j-log4j12.
        "netty-codec.jar",
        "netty-resolver.jar",
        "slf4j-log4j12.jar",
        "log4j-1.2.jar",
    )
)
JAVA = os.environ.get("QUORUM_JAVA") or "java"
# Several JVMs share 2 cores: a small heap, the serial GC and C1 only keep start-up and
# RSS down (a ZooKeeper JVM idles at ~70 MB; the default heap would be 1/4 of RAM).
JAVA_OPTS = (
    os.environ.get("QUORUM_JAVA_OPTS")
    or "-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k"
).split()
ZKRS_EXE = Path(os.environ.get("ZKRS_EXE") or ROOT / "target" / "release" / "zkrs")
ZKRS_AS_JAVA = os.environ.get("QUORUM_ZKRS_AS_JAVA") == "1"
RUST_LOG = os.environ.get("QUORUM_RUST_LOG") or "info"

KINDS = ("java", "zkrs")
ROLES = ("participant", "observer")

log = logging.getLogger("quorum")

# ----------------------------------------------------------------------------- processes
#
# Every process the harness starts is in _LIVE until it has been reaped. _kill_everything()
# (atexit, SIGTERM, SIGHUP) SIGKILLs what is left, by pid.

_LIVE: dict[int, subprocess.Popen] = {}
_LIVE_LOCK = threading.Lock()


def _register(proc: subprocess.Popen) -> None:
    with _LIVE_LOCK:
        _LIVE[proc.pid] = proc


def _reap(proc: subprocess.Popen) -> None:
    with _LIVE_LOCK:
        _LIVE.pop(proc.pid, None)


def _kill_everything() -> None:
    with _LIVE_LOCK:
        procs = list(_LIVE.values())
        _LIVE.clear()
    for p in procs:
        if p.poll() is None:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(p.pid, sig)
                except ProcessLookupError:
                    pass
    for p in procs:
        try:
            p.wait(timeout=10)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(_kill_everything)


def _on_fatal_signal(signum, _frame):
    _kill_everything()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


if threading.current_thread() is threading.main_thread():
    for _sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(_sig, _on_fatal_signal)

# `setpriv --pdeathsig KILL` (util-linux) makes the kernel SIGKILL a member when the thread
# that started it dies, even if this process is SIGKILLed. It fires on the death of the
# starting *thread*, so it is only used for members started from the main thread.
SETPRIV = shutil.which("setpriv")


# --------------------------------------------------------------------------------- ports

_USED_PORTS: set[int] = set()


def _port_floor_ceiling() -> tuple[int, int]:
    """Ports below the kernel's ephemeral range, so an outgoing connection cannot take a
    port between allocation and the server's bind."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    ceiling = min(low, 32768)
    return (max(10000, ceiling - 12000), ceiling)


def free_ports(count: int, host: str = HOST) -> list[int]:
    """`count` distinct ports that are bindable on `host` now and not handed out before in
    this process (bounded: 5000 attempts)."""
    lo, hi = _port_floor_ceiling()
    ports: list[int] = []
    for _ in range(5000):
        if len(ports) == count:
            break
        p = random.randrange(lo, hi)
        if p in _USED_PORTS or p in ports:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((host, p))
        except OSError:
            continue
        finally:
            s.close()
        ports.append(p)
    if len(ports) < count:
        raise RuntimeError(f"could not find {count} free ports on {host}")
    _USED_PORTS.update(ports)
    return ports


# ----------------------------------------------------------------------------------- 4lw


def fourlw(host: str, port: int, cmd: str, timeout: float = 3.0) -> str | None:
    """Sends a four-letter word; the whole answer, or None if the server did not answer
    (refused, reset, or nothing within `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(cmd.encode())
            chunks = []
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                s.settimeout(left)
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return None


NOT_SERVING = "not serving"


def parse_srvr(text: str | None) -> dict | None:
    """srvr → {"mode": leader|follower|observer|standalone|"not serving", "zxid": int|None,
    "raw": text}; None when there was no answer."""
    if text is None:
        return None
    if "not currently serving" in text:
        return {"mode": NOT_SERVING, "zxid": None, "raw": text}
    fields = {}
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if sep:
            fields[k.strip()] = v.strip()
    mode = fields.get("Mode")
    if mode is None:
        return {"mode": NOT_SERVING, "zxid": None, "raw": text}
    zxid = fields.get("Zxid")
    try:
        zxid_val = int(zxid, 16) if zxid is not None else None
    except ValueError:
        zxid_val = None
    return {"mode": mode, "zxid": zxid_val, "raw": text, "fields": fields}


def parse_mntr(text: str | None) -> dict:
    out = {}
    for line in (text or "").splitlines():
        k, _, v = line.partition("\t")
        if k:
            out[k.strip()] = v.strip()
    return out


def zxid_str(z: int | None) -> str:
    return "-" if z is None else f"0x{z:x} (epoch {z >> 32}, counter {z & 0xFFFFFFFF})"


# ------------------------------------------------------------------------ zkrs detection

_ZKRS_SUPPORT: tuple[bool, str] | None = None
ZKRS_UNAVAILABLE = "zkrs quorum mode not available"


def zkrs_quorum_support() -> tuple[bool, str]:
    """(available, detail), computed once: a zkrs member of a 3-server config is started;
    if it exits 2 within 3 s with "quorum mode is not implemented yet" on stderr, quorum
    mode is unavailable. A missing binary is also "unavailable". Any other outcome (still
    running after 3 s, or another failure) counts as available, so a broken quorum mode
    fails the tests instead of skipping them. With QUORUM_ZKRS_AS_JAVA=1: available."""
    global _ZKRS_SUPPORT
    if _ZKRS_SUPPORT is not None:
        return _ZKRS_SUPPORT
    if ZKRS_AS_JAVA:
        _ZKRS_SUPPORT = (True, "QUORUM_ZKRS_AS_JAVA=1: zkrs members run Apache ZooKeeper")
        return _ZKRS_SUPPORT
    if not (ZKRS_EXE.is_file() and os.access(ZKRS_EXE, os.X_OK)):
        _ZKRS_SUPPORT = (False, f"no zkrs binary at {ZKRS_EXE}")
        return _ZKRS_SUPPORT
    d = WORK_ROOT / "_zkrs_probe"
    shutil.rmtree(d, ignore_errors=True)
    (d / "data").mkdir(parents=True)
    (d / "data" / "myid").write_text("1\n")
    ports = free_ports(9)
    lines = [
        "tickTime=2000", "initLimit=10", "syncLimit=5", f"dataDir={d / 'data'}",
        f"clientPort={ports[0]}", f"clientPortAddress={HOST}", "standaloneEnabled=false",
        "reconfigEnabled=false", "admin.enableServer=false", "4lw.commands.whitelist=*",
    ]
    for i in range(3):
        lines.append(
            f"server.{i + 1}={HOST}:{ports[3 + i]}:{ports[6 + i]};{HOST}:{ports[i]}"
        )
    (d / "zoo.cfg").write_text("\n".join(lines) + "\n")
    err_path = d / "stderr.log"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [str(ZKRS_EXE), "server", str(d / "zoo.cfg")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            env=dict(os.environ, RUST_LOG="warn"),
        )
    _register(proc)
    try:
        try:
            rc = proc.wait(timeout=3)  # the refusal comes within milliseconds
        except subprocess.TimeoutExpired:
            rc = None
        if rc is None:
            _ZKRS_SUPPORT = (True, "zkrs server kept running on a 3-server config")
        else:
            err_text = err_path.read_text(errors="replace")
            if rc == 2 and "quorum mode is not implemented yet" in err_text:
                _ZKRS_SUPPORT = (False, "zkrs server exits 2: quorum mode is not implemented yet")
            else:
                _ZKRS_SUPPORT = (
                    True,
                    f"zkrs server exited {rc} on a 3-server config (not the 'not "
                    f"implemented' refusal): {err_text.strip()[-300:]}",
                )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        _reap(proc)
        shutil.rmtree(d, ignore_errors=True)
    return _ZKRS_SUPPORT


# -------------------------------------------------------------------------- link proxies


def rewrite_election_hello(buf: bytes, advertise: str) -> tuple[bytes | None, bytes]:
    """The first message on an election connection (QuorumCnxManager.startConnection):
    long protocolVersion (-65536 V1 / -65535 V2), long sid, int len, `len` bytes of the
    initiator's election address ("host:port", V2 "h1:p1|h2:p2"). A receiver with the
    higher sid drops the connection and connects back to *that address*, which would
    bypass the proxies; so the address is replaced by `advertise` (the proxy the receiver
    must use to reach the initiator). Returns (rewritten message, rest of buf) once buf
    holds the whole message, (None, buf) while it does not. A pre-3.5 hello (a bare sid,
    first long ≥ 0) has no address and passes unchanged."""
    if len(buf) < 8:
        return None, buf
    version = int.from_bytes(buf[:8], "big", signed=True)
    if version >= 0:
        return buf[:8], buf[8:]
    if len(buf) < 20:
        return None, buf
    n = int.from_bytes(buf[16:20], "big", signed=True)
    if n < 0 or n > 2048:  # not a hello we understand: leave it alone
        return buf, b""
    if len(buf) < 20 + n:
        return None, buf
    addr = advertise.encode()
    return buf[:16] + len(addr).to_bytes(4, "big") + addr, buf[20 + n:]


class _ProxyConn:
    """One proxied TCP connection from member `src` to member `dst`. Bytes src→dst obey the
    state of link (src, dst), bytes dst→src that of (dst, src). On election connections
    the initiator's hello is rewritten (see rewrite_election_hello)."""

    def __init__(self, proxies: "LinkProxies", src: int, dst: int, down: socket.socket,
                 port_kind: str = "quorum"):
        self.proxies = proxies
        self.src, self.dst = src, dst
        self.port_kind = port_kind
        self.down = down
        self.up: socket.socket | None = None
        self.tainted = False  # some bytes were discarded: the stream is broken
        self.closed = False
        self.lock = threading.Lock()

    def links(self) -> set:
        return {(self.src, self.dst), (self.dst, self.src)}

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for s in (self.down, self.up):
            if s is None:
                continue
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        self.proxies._forget(self)

    def run(self, target: tuple[str, int]) -> None:
        state = self.proxies.state(self.src, self.dst)
        if state == "drop":
            self.close()
            return
        if state == "up":
            # The client's connect already succeeded (the proxy accepted it). If the target
            # refuses, retry for a while before closing: a server that is about to listen
            # (a new leader opening its quorum port) would otherwise be seen as "connected,
            # then EOF", which a Java learner treats as a failed leader (it goes back to
            # LOOKING) instead of retrying its connect as it does on ECONNREFUSED.
            deadline = time.monotonic() + self.proxies.connect_patience
            while True:
                try:
                    self.up = socket.create_connection(target, timeout=3)
                    self.up.settimeout(None)
                    self.up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    break
                except ConnectionRefusedError:
                    if (time.monotonic() >= deadline or self.closed
                            or self.proxies.state(self.src, self.dst) != "up"):
                        self.close()
                        return
                    time.sleep(0.1)
                except OSError:
                    self.close()
                    return
            threading.Thread(
                target=self._pump, args=(self.up, self.down, (self.dst, self.src)),
                daemon=True, name=f"proxy {self.dst}->{self.src}",
            ).start()
        else:
            # A partitioned link: the connect "succeeds" but nothing gets through.
            self.tainted = True
        advertise = None
        if self.port_kind == "election":
            advertise = self.proxies.election_advert.get((self.dst, self.src))
        self._pump(self.down, self.up, (self.src, self.dst), advertise)

    def _pump(self, frm: socket.socket, to: socket.socket | None, link: tuple,
              advertise: str | None = None) -> None:
        hello = b"" if advertise else None  # election hello not yet forwarded
        while not self.closed:
            try:
                r, _, _ = select.select([frm], [], [], 0.5)
            except (OSError, ValueError):
                break
            if not r:
                continue
            try:
                data = frm.recv(65536)
            except OSError:
                break
            if not data:
                break
            state = self.proxies.state(*link)
            if state == "drop":
                break
            if state == "freeze" or to is None:
                self.tainted = True
                continue
            if hello is not None:
                msg, rest = rewrite_election_hello(hello + data, advertise)
                if msg is None:
                    hello += data
                    continue
                data = msg + rest
                hello = None
            try:
                to.sendall(data)
            except OSError:
                break
        self.close()


class LinkProxies:
    """TCP proxies for the quorum and election ports, one listener per ordered member pair
    and port type, so every link can be cut on its own.

    Link states: "up" (bytes pass), "freeze" (bytes are read and discarded, connections
    stay open and new connects succeed: a silent partition, detected by the protocol's
    timeouts), "drop" (connections are closed, new ones closed at once: a partition
    detected immediately). Healing closes every connection that lost bytes.

    connect_patience: how long a proxied connect waits for a target that refuses (see
    _ProxyConn.run)."""

    def __init__(self, connect_patience: float = 5.0):
        self.connect_patience = connect_patience
        # (src, dst) → "host:port" of the election proxy src uses to reach dst
        self.election_advert: dict[tuple[int, int], str] = {}
        self._state: dict[tuple[int, int], str] = {}
        self._conns: set[_ProxyConn] = set()
        self._listeners: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False

    def state(self, src: int, dst: int) -> str:
        return self._state.get((src, dst), "up")

    def add(self, src: int, dst: int, target: tuple[str, int], host: str = HOST,
            port_kind: str = "quorum") -> int:
        """A listener for connections from src to dst's `target`; port_kind "election"
        also registers it as the address dst is told to use for src (see
        rewrite_election_hello). Returns its port."""
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((host, 0))
        ls.listen(16)
        self._listeners.append(ls)
        port = ls.getsockname()[1]
        if port_kind == "election":
            self.election_advert[(src, dst)] = f"{host}:{port}"
        threading.Thread(
            target=self._accept_loop, args=(ls, src, dst, target, port_kind), daemon=True,
            name=f"proxy-listen {src}->{dst}",
        ).start()
        return port

    def _accept_loop(self, ls, src, dst, target, port_kind):
        while not self._closed:
            try:
                r, _, _ = select.select([ls], [], [], 0.5)
            except (OSError, ValueError):
                return
            if not r:
                continue
            try:
                down, _ = ls.accept()
            except OSError:
                if self._closed:
                    return
                continue
            down.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c = _ProxyConn(self, src, dst, down, port_kind)
            with self._lock:
                self._conns.add(c)
            threading.Thread(target=c.run, args=(target,), daemon=True,
                             name=f"proxy {src}->{dst}").start()

    def _forget(self, c: _ProxyConn) -> None:
        with self._lock:
            self._conns.discard(c)

    def set_link(self, src: int, dst: int, state: str) -> None:
        assert state in ("up", "freeze", "drop"), state
        with self._lock:
            self._state[(src, dst)] = state
            victims = [c for c in self._conns if (src, dst) in c.links()] if state == "drop" else []
        for c in victims:
            c.close()

    def heal(self) -> None:
        with self._lock:
            self._state.clear()
            victims = [c for c in self._conns if c.tainted]
        for c in victims:
            c.close()

    def close(self) -> None:
        self._closed = True
        for ls in self._listeners:
            try:
                ls.close()
            except OSError:
                pass
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            c.close()


# -------------------------------------------------------------------------------- member

# Sync-mode lines a Java learner logs (Learner.syncWithLeader, 3.8).
JAVA_LEARNER_SYNC = (
    ("Getting a diff from the leader", "DIFF"),
    ("Getting a snapshot from leader", "SNAP"),
    ("Truncating log to get in sync with the leader", "TRUNC"),
)
# A Java leader's LearnerHandler (3.8): "Synchronizing with Learner sid: N ..." then, on the
# same thread, the decision.
JAVA_LEADER_SYNC = (
    (re.compile(r"Sending DIFF zxid="), "DIFF"),
    (re.compile(r"Sending TRUNC"), "TRUNC"),
    (re.compile(r"Sending snapshot last zxid of peer"), "SNAP"),
)
_JAVA_THREAD = re.compile(r"^\S+ \S+ \S+\s+\[(.*?):[A-Za-z0-9$]+@\d+\] - ")
# zkrs logs Java's wording (Learner.syncWithLeader's lines on a learner, LearnerHandler's
# "Sending ..." with "peer sid: N" on a leader). Otherwise a line naming a sync and one of
# the mode words in capitals ("sync with sid 3: SNAP", "synced by DIFF from leader 2").
ZKRS_LEARNER_SYNC = JAVA_LEARNER_SYNC
_ZKRS_SYNC = re.compile(r"(?i:sync).*\b(DIFF|SNAP|TRUNC)\b|\b(DIFF|SNAP|TRUNC)\b.*(?i:sync)")
_PEER_SID = re.compile(r"(?:peer |learner |follower |observer )?sid:? ?(\d+)", re.I)

# LearnerHandler at DEBUG: a Java leader logs its TRUNC decision ("Sending TRUNC to follower
# zxidToSend=...") only at DEBUG; DIFF and SNAP are at INFO.
LOG4J_PROPERTIES = """\
log4j.rootLogger=INFO, CONSOLE
log4j.logger.org.apache.zookeeper.server.quorum.LearnerHandler=DEBUG
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
"""


class Member:
    """One ensemble member (a server id) with its directory, config and current process."""

    def __init__(self, ens: "Ensemble", sid: int, kind: str, role: str):
        assert kind in KINDS, kind
        assert role in ROLES, role
        self.ens = ens
        self.sid = sid
        self.kind = kind
        self.role = role
        self.host = HOST
        self.client_port, self.quorum_port, self.election_port = free_ports(3)
        self.dir = ens.dir / f"s{sid}"
        self.data_dir = self.dir / "data"
        self.cfg_path = self.dir / "zoo.cfg"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.logs: list[Path] = []
        self.last_exit: int | None = None

    # -- identity
    @property
    def address(self) -> str:
        return f"{self.host}:{self.client_port}"

    @property
    def runs_as(self) -> str:
        """The kind actually started: "java" for zkrs members under QUORUM_ZKRS_AS_JAVA=1."""
        return "java" if (self.kind == "java" or ZKRS_AS_JAVA) else "zkrs"

    @property
    def is_observer(self) -> bool:
        return self.role == "observer"

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<s{self.sid} {self.kind}{'/obs' if self.is_observer else ''} {self.address} {state}>"

    # -- process control
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self) -> list[str]:
        if self.runs_as == "java":
            return [
                JAVA, *JAVA_OPTS, "-Dfile.encoding=UTF-8", "-Djava.net.preferIPv4Stack=true",
                f"-Dzookeeper.log.dir={self.dir}",
                f"-Dlog4j.configuration=file:{self.dir / 'log4j.properties'}",
                *(f"-D{k}={v}" for k, v in self.ens.java_props.items()),
                "-cp", ZK_SERVER_CP,
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(self.cfg_path),
            ]
        return [str(ZKRS_EXE), "server", str(self.cfg_path)]

    def start(self) -> "Member":
        """Starts the member on its data dir (no wait; see Ensemble.wait_for_quorum)."""
        if self.running:
            raise RuntimeError(f"{self!r} is already running")
        self._reap()
        self.ens.write_config(self)
        self.starts += 1
        logf = self.dir / f"server-{self.starts}-{self.runs_as}.log"
        self.logs.append(logf)
        env = dict(os.environ)
        if self.runs_as == "zkrs":
            env["RUST_LOG"] = RUST_LOG
        cmd = self.command()
        if SETPRIV and threading.current_thread() is threading.main_thread():
            cmd = [SETPRIV, "--pdeathsig", "KILL", "--", *cmd]  # execs: same pid
        with open(logf, "ab") as out:
            out.write(f"# harness: start {self.starts} of s{self.sid} as {self.runs_as}: "
                      f"{' '.join(self.command())}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, env=env,
            )
        _register(self.proc)
        (self.dir / "pid").write_text(f"{self.proc.pid}\n")
        log.info("started s%d (%s, pid %d) log %s", self.sid, self.runs_as, self.proc.pid, logf)
        return self

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def _reap(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            self.last_exit = self.proc.returncode
            _reap(self.proc)
            try:
                (self.dir / "pid").unlink()
            except FileNotFoundError:
                pass

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (after SIGCONT, in case it was paused), SIGKILL after `timeout` s.
        Returns the exit status (None if it was not running)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self._signal(signal.SIGCONT)
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("s%d (pid %d) ignored SIGTERM for %.0f s: SIGKILL",
                            self.sid, self.proc.pid, timeout)
                self._signal(signal.SIGKILL)
                self.proc.wait(timeout=30)
        self._reap()
        return self.last_exit

    def kill(self) -> int | None:
        """kill -9, then reap."""
        if self.proc is None:
            return None
        self._signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reap()
        return self.last_exit

    def pause(self) -> None:
        """SIGSTOP: the process keeps its sockets but does nothing (a hung server)."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def restart(self, kind: str | None = None, graceful: bool = True) -> "Member":
        """Stop (SIGTERM, or kill -9 with graceful=False) and start again on the same data
        dir, optionally as another kind."""
        if graceful:
            self.stop()
        else:
            self.kill()
        if kind is not None:
            self.swap(kind)
        return self.start()

    def swap(self, kind: str) -> None:
        """Changes the member's implementation (java ↔ zkrs) for its next start. The data
        dir, myid and zoo.cfg stay: both read and write the same on-disk format."""
        assert kind in KINDS, kind
        if self.running:
            raise RuntimeError(f"stop {self!r} before swapping its kind")
        self.kind = kind

    # -- 4lw
    def fourlw(self, cmd: str, timeout: float = 3.0) -> str | None:
        return fourlw(self.host, self.client_port, cmd, timeout)

    def srvr(self, timeout: float = 3.0) -> dict | None:
        return parse_srvr(self.fourlw("srvr", timeout))

    def mntr(self, timeout: float = 3.0) -> dict:
        return parse_mntr(self.fourlw("mntr", timeout))

    def mode(self) -> str | None:
        """leader/follower/observer/standalone, "not serving", or None (no answer)."""
        s = self.srvr()
        return s["mode"] if s else None

    def zxid(self) -> int | None:
        s = self.srvr()
        return s["zxid"] if s else None

    # -- logs
    def log_mark(self) -> tuple[int, int]:
        """A position in this member's logs (file index, byte offset) for log_text(since=)."""
        if not self.logs:
            return (0, 0)
        last = self.logs[-1]
        return (len(self.logs) - 1, last.stat().st_size if last.exists() else 0)

    def log_text(self, since: tuple[int, int] | None = None) -> str:
        parts = []
        for i, p in enumerate(self.logs):
            if since is not None and i < since[0]:
                continue
            try:
                with open(p, "rb") as f:
                    if since is not None and i == since[0]:
                        f.seek(since[1])
                    parts.append(f.read().decode("utf-8", "replace"))
            except FileNotFoundError:
                pass
        return "".join(parts)

    def log_tail(self, lines: int = 30) -> str:
        if not self.logs:
            return "(never started)"
        try:
            text = self.logs[-1].read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def learner_sync_modes(self, since=None) -> list[str]:
        """Sync modes this member logged as a learner (DIFF/SNAP/TRUNC, oldest first)."""
        text = self.log_text(since)
        modes = []
        needles = JAVA_LEARNER_SYNC if self.runs_as == "java" else ZKRS_LEARNER_SYNC
        for line in text.splitlines():
            found = [mode for needle, mode in needles if needle in line]
            if not found and self.runs_as == "zkrs":
                m = _ZKRS_SYNC.search(line)
                if m and not _PEER_SID.search(line):
                    found = [m.group(1) or m.group(2)]
            modes += found
        return modes

    def leader_sync_modes(self, since=None) -> dict[int, list[str]]:
        """Sync modes this member logged as a leader, per learner sid."""
        text = self.log_text(since)
        by_thread: dict[str, int] = {}
        out: dict[int, list[str]] = collections.defaultdict(list)
        for line in text.splitlines():
            if self.runs_as == "java":
                m = _JAVA_THREAD.match(line)
                if not m:
                    continue
                thread = m.group(1)
                s = re.search(r"Synchronizing with Learner sid: (\d+)", line)
                if s:
                    by_thread[thread] = int(s.group(1))
                    continue
                for rx, mode in JAVA_LEADER_SYNC:
                    if rx.search(line):
                        sid = by_thread.get(thread)
                        sm = re.search(r"peer sid: ?(\d+)", line)
                        if sm:
                            sid = int(sm.group(1))
                        if sid is not None:
                            out[sid].append(mode)
                        break
            else:
                sm = _PEER_SID.search(line)
                if not sm:
                    continue
                mode = next((md for rx, md in JAVA_LEADER_SYNC if rx.search(line)), None)
                if mode is None:
                    m = _ZKRS_SYNC.search(line)
                    mode = (m.group(1) or m.group(2)) if m else None
                if mode is not None:
                    out[int(sm.group(1))].append(mode)
        return dict(out)


# ------------------------------------------------------------------------------ ensemble


def _parse_spec(spec) -> tuple[str, str]:
    if isinstance(spec, (tuple, list)):
        kind, role = spec[0], (spec[1] if len(spec) > 1 else "participant")
    elif isinstance(spec, dict):
        kind, role = spec["kind"], spec.get("role", "participant")
    else:
        kind, _, role = str(spec).partition(":")
        role = role or "participant"
    if role == "obs":
        role = "observer"
    return kind, role


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "ensemble"


class QuorumTimeout(AssertionError):
    pass


class Ensemble:
    """N members on loopback, each with its own directory under target/quorum/<name>/.

    members: a list of specs, one per member, sids 1..N in order (or `sids=`): "java",
    "zkrs", "java:observer", ("zkrs", "observer"), {"kind": "java", "role": "observer"}.

    Each member gets a client, quorum and election port on 127.0.0.1 and a zoo.cfg with
    tickTime/initLimit/syncLimit, dataDir, clientPort(+Address), `server.N=127.0.0.1:qp:ep
    [:observer];127.0.0.1:cp` for every member, 4lw.commands.whitelist=*,
    admin.enableServer=false, standaloneEnabled=false, reconfigEnabled=false,
    peerType=observer for observers, snapCount if given, `member_cfg(member)` (a dict per
    member, e.g. its metrics port), and `extra_cfg` (a dict; unknown
    keys become `zookeeper.<key>` system properties in Java: e.g. {"commitLogCount": 100,
    "snapshotSizeFactor": -1}). `extra_cfg_by_kind` adds keys for one kind only.
    `java_props` (a dict) become `-Dkey=value` JVM flags of the Java members (properties
    Java reads only from the JVM, e.g. {"readonlymode.enabled": "true"}).

    proxied=True routes every member-to-member quorum and election connection through a
    LinkProxies listener in this process (member j's zoo.cfg names, for server i ≠ j, the
    proxy j→i), so `partition()` can cut links. Client connections are direct.
    """

    def __init__(self, name: str, members, *, sids=None, tick_time: int = 2000,
                 init_limit: int = 10, sync_limit: int = 5, snap_count: int | None = None,
                 extra_cfg: dict | None = None, extra_cfg_by_kind: dict | None = None,
                 proxied: bool = False, root: Path | None = None, reconfig: bool = False,
                 java_props: dict | None = None, member_cfg=None):
        self.name = _safe_name(name)
        self.dir = Path(root or WORK_ROOT) / self.name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        specs = [_parse_spec(s) for s in members]
        sids = list(sids) if sids is not None else list(range(1, len(specs) + 1))
        assert len(sids) == len(specs) and len(set(sids)) == len(sids)
        self.tick_time = tick_time
        self.init_limit = init_limit
        self.sync_limit = sync_limit
        self.snap_count = snap_count
        self.extra_cfg = dict(extra_cfg or {})
        self.extra_cfg_by_kind = {k: dict(v) for k, v in (extra_cfg_by_kind or {}).items()}
        # member_cfg(member) -> dict: keys for one member (e.g. its own metrics port).
        self.member_cfg = member_cfg
        # reconfig=True: `reconfigEnabled=true`, and a member's zoo.cfg is written only until
        # the member rewrites it itself (`dynamicConfigFile=`); see add_member().
        self.reconfig = reconfig
        self.java_props = dict(java_props or {})
        self.members: dict[int, Member] = {}
        # The members every initial config lists (add_member() adds members outside it).
        self.config_sids: set[int] = set()
        for sid, (kind, role) in zip(sids, specs):
            m = Member(self, sid, kind, role)
            m.dir.mkdir(parents=True)
            m.data_dir.mkdir()
            (m.data_dir / "myid").write_text(f"{sid}\n")
            (m.dir / "log4j.properties").write_text(LOG4J_PROPERTIES)
            self.members[sid] = m
            self.config_sids.add(sid)
        self.proxies: LinkProxies | None = None
        # proxy_ports[(src, dst)] = (quorum port, election port) that src uses to reach dst
        self.proxy_ports: dict[tuple[int, int], tuple[int, int]] = {}
        if proxied:
            self.proxies = LinkProxies()
            for src in self.members:
                for dst, d in self.members.items():
                    if src != dst:
                        qp = self.proxies.add(src, dst, (d.host, d.quorum_port))
                        ep = self.proxies.add(src, dst, (d.host, d.election_port),
                                              port_kind="election")
                        self.proxy_ports[(src, dst)] = (qp, ep)
        self.closed = False
        self.last_election_seconds: float | None = None
        for m in self.members.values():
            self.write_config(m)

    # -- access
    def __getitem__(self, sid: int) -> Member:
        return self.members[sid]

    def __iter__(self):
        return iter(self.members.values())

    @property
    def participants(self) -> list[Member]:
        return [m for m in self if not m.is_observer]

    @property
    def observers(self) -> list[Member]:
        return [m for m in self if m.is_observer]

    @property
    def running(self) -> list[Member]:
        return [m for m in self if m.running]

    def connect_string(self, sids=None) -> str:
        ms = self.members.values() if sids is None else [self[s] for s in sids]
        return ",".join(m.address for m in ms)

    # -- config
    def server_line(self, viewer: Member, m: Member) -> str:
        if viewer.sid == m.sid or self.proxies is None:
            qp, ep = m.quorum_port, m.election_port
        else:
            qp, ep = self.proxy_ports[(viewer.sid, m.sid)]
        role = ":observer" if m.is_observer else ""
        return f"server.{m.sid}={m.host}:{qp}:{ep}{role};{m.host}:{m.client_port}"

    def config_text(self, m: Member) -> str:
        lines = [
            f"# {m.dir.name} of ensemble {self.name}: written by tests/quorum/ensemble.py",
            f"tickTime={self.tick_time}",
            f"initLimit={self.init_limit}",
            f"syncLimit={self.sync_limit}",
            f"dataDir={m.data_dir}",
            f"clientPort={m.client_port}",
            f"clientPortAddress={m.host}",
            "maxClientCnxns=0",
            "4lw.commands.whitelist=*",
            "admin.enableServer=false",
            "standaloneEnabled=false",
            f"reconfigEnabled={'true' if self.reconfig else 'false'}",
        ]
        if m.is_observer:
            lines.append("peerType=observer")
        if self.snap_count is not None:
            lines.append(f"snapCount={self.snap_count}")
        extra = dict(self.extra_cfg)
        extra.update(self.extra_cfg_by_kind.get(m.runs_as, {}))
        if self.member_cfg is not None:
            extra.update(self.member_cfg(m))
        for k, v in extra.items():
            lines.append(f"{k}={v}")
        auto = getattr(m, "auto", None)
        for k, v in (auto or {}).items():
            lines.append(f"{k}={v}")
        for other in self.members.values():
            if (other.sid in self.config_sids and auto is None) or other.sid == m.sid:
                lines.append(self.server_line(m, other))
        return "\n".join(lines) + "\n"

    def write_config(self, m: Member) -> None:
        if self.reconfig and m.cfg_path.exists() and \
                "dynamicConfigFile=" in m.cfg_path.read_text():
            return  # the member's own (ZooKeeper rewrites zoo.cfg after a reconfig)
        m.cfg_path.write_text(self.config_text(m))

    def add_member(self, kind: str = "zkrs", role: str = "participant",
                   auto: dict | None = None) -> Member:
        """A new member (next sid) whose config lists the initial members plus itself, as
        ZooKeeper's docs tell a joiner to start; the others' configs do not list it. With
        `auto` (zkrs's self-managing members), its config lists only itself plus the `auto`
        keys (zkrs.autoMembership...). Not started."""
        assert self.proxies is None, "add_member on a proxied ensemble"
        sid = max(self.members) + 1
        m = Member(self, sid, kind, role)
        m.auto = dict(auto) if auto is not None else None
        m.dir.mkdir(parents=True)
        m.data_dir.mkdir()
        (m.data_dir / "myid").write_text(f"{sid}\n")
        (m.dir / "log4j.properties").write_text(LOG4J_PROPERTIES)
        self.members[sid] = m
        self.write_config(m)
        return m

    def server_spec(self, m: Member, role: str | None = None) -> str:
        """`server.N=host:quorum:election[:role];host:client`, for reconfig -add."""
        role = role or m.role
        return (f"server.{m.sid}={m.host}:{m.quorum_port}:{m.election_port}:{role}"
                f";{m.host}:{m.client_port}")

    # -- lifecycle
    def start(self, sids=None, wait: bool = True, timeout: float = 90.0, stagger: float = 0.0):
        """Starts the given members (default: all), in the given order, `stagger` seconds
        apart; with wait=True waits for a quorum of the running members and returns the
        leader."""
        order = list(sids) if sids is not None else list(self.members)
        for i, sid in enumerate(order):
            if i and stagger:
                time.sleep(stagger)
            self[sid].start()
        if wait:
            return self.wait_for_quorum(timeout=timeout)
        return None

    def start_first(self, sids, settle: float = 0.5, timeout: float = 60.0) -> None:
        """Starts `sids` and waits until each answers `ruok` (its client port is open; a Java
        member starts its election right after), then `settle` seconds more, so that members
        started next find them in the election. A JVM takes seconds to get there, a zkrs
        member milliseconds: without this wait two zkrs members can elect each other before
        a Java member with a higher sid has started."""
        for sid in sids:
            self[sid].start()
        for sid in sids:
            m = self[sid]
            self.wait_for(lambda m=m: m.fourlw("ruok", timeout=1.0) == "imok", timeout,
                          f"s{sid} answering ruok")
        time.sleep(settle)

    def stop_all(self) -> None:
        """SIGTERM every running member at once, then wait for each (SIGKILL after 15 s)."""
        for m in self.running:
            m._signal(signal.SIGCONT)
            m._signal(signal.SIGTERM)
        for m in self.members.values():
            m.stop()

    def kill_all(self) -> None:
        for m in self.running:
            m._signal(signal.SIGKILL)
        for m in self.members.values():
            m.kill()

    def close(self, keep: bool = False) -> None:
        """Stops every member and proxy; removes the directory unless keep."""
        if self.closed:
            return
        self.closed = True
        try:
            self.stop_all()
        finally:
            if self.proxies is not None:
                self.proxies.close()
            if not keep:
                shutil.rmtree(self.dir, ignore_errors=True)

    # -- partitions (proxied ensembles)
    def partition(self, *groups, mode: str = "freeze") -> None:
        """Cuts every link between members of different groups, both directions. Members
        not named in any group stay connected to everyone. mode: "freeze" (silent) or
        "drop" (connections reset)."""
        if self.proxies is None:
            raise RuntimeError("partition() needs Ensemble(..., proxied=True)")
        where = {}
        for gi, g in enumerate(groups):
            for sid in g:
                where[sid] = gi
        for a, ga in where.items():
            for b, gb in where.items():
                if ga != gb:
                    self.proxies.set_link(a, b, mode)

    def cut(self, src: int, dst: int, mode: str = "freeze") -> None:
        """One direction only: bytes from src to dst are lost (or src→dst connections reset)."""
        if self.proxies is None:
            raise RuntimeError("cut() needs Ensemble(..., proxied=True)")
        self.proxies.set_link(src, dst, mode)

    def heal(self) -> None:
        if self.proxies is not None:
            self.proxies.heal()

    # -- state
    def status(self, members=None) -> dict[int, dict | None]:
        ms = self.running if members is None else members
        return {m.sid: m.srvr(timeout=2.0) for m in ms}

    def status_line(self, members=None) -> str:
        parts = []
        for sid, s in self.status(members).items():
            if s is None:
                parts.append(f"s{sid}=no answer")
            else:
                parts.append(f"s{sid}={s['mode']}@{zxid_str(s['zxid']).split()[0]}")
        return ", ".join(parts)

    def leader(self) -> Member | None:
        for m in self.running:
            if m.mode() == "leader":
                return m
        return None

    def describe(self, log_lines: int = 25) -> str:
        out = [f"ensemble {self.name} ({self.dir})"]
        for m in self.members.values():
            s = m.srvr(timeout=1.5) if m.running else None
            exit_s = f", last exit {m.last_exit}" if m.last_exit is not None else ""
            out.append(f"  {m!r} pid={m.pid} mode={s['mode'] if s else None} "
                       f"zxid={zxid_str(s['zxid']) if s else '-'}{exit_s}")
        for m in self.members.values():
            if m.logs:
                out.append(f"--- s{m.sid} {m.logs[-1]} (last {log_lines} lines)")
                out.append(m.log_tail(log_lines))
        return "\n".join(out)

    def wait_for_quorum(self, members=None, timeout: float = 90.0,
                        exclude=()) -> Member:
        """Waits until, among `members` (default: every running member, minus `exclude`
        sids), exactly one participant reports Mode: leader, every other participant
        follower and every observer observer (`srvr`, each poll bounded to 2 s), and the
        leader's `mntr` (when it has the keys) counts those followers/observers as synced.
        Fails at once if one of them exits. Returns the leader; sets last_election_seconds."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        last = ""
        polls = 0
        while True:
            polls += 1
            ms = [m for m in (members if members is not None else self.running)
                  if m.sid not in exclude]
            for m in ms:
                if not m.running:
                    m._reap()
                    raise QuorumTimeout(
                        f"s{m.sid} exited (status {m.last_exit}) while waiting for a quorum\n"
                        + self.describe())
            st = {m.sid: m.srvr(timeout=2.0) for m in ms}
            last = ", ".join(f"s{sid}={(s or {}).get('mode', 'no answer')}" for sid, s in st.items())
            leaders = [m for m in ms if st[m.sid] and st[m.sid]["mode"] == "leader"]
            ok = len(leaders) == 1 and not leaders[0].is_observer
            for m in ms:
                if not ok:
                    break
                want = "observer" if m.is_observer else ("leader" if m in leaders else "follower")
                ok = bool(st[m.sid]) and st[m.sid]["mode"] == want
            if ok:
                ld = leaders[0]
                mn = ld.mntr(timeout=2.0)
                nf = sum(1 for m in ms if not m.is_observer) - 1
                no = sum(1 for m in ms if m.is_observer)
                if "zk_synced_followers" in mn and int(float(mn["zk_synced_followers"] or 0)) < nf:
                    ok = False
                    last += f" (leader mntr: {mn['zk_synced_followers']} synced followers)"
                if ok and "zk_synced_observers" in mn and int(float(mn["zk_synced_observers"] or 0)) < no:
                    ok = False
                    last += f" (leader mntr: {mn['zk_synced_observers']} synced observers)"
                if ok:
                    self.last_election_seconds = time.monotonic() - t0
                    log.info("quorum after %.1f s (%d polls): %s", self.last_election_seconds,
                             polls, last)
                    return ld
            if time.monotonic() >= deadline:
                raise QuorumTimeout(
                    f"no stable quorum within {timeout:.0f} s (last: {last})\n" + self.describe())
            time.sleep(0.25)

    def wait_for(self, predicate, timeout: float, what: str, interval: float = 0.25):
        """Polls predicate() (bounded) until it returns a true value, which it returns."""
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v:
                return v
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n"
                                     + self.describe())
            time.sleep(interval)

    def wait_serving(self, m: Member, timeout: float = 60.0, mode: str | None = None) -> str:
        """Waits until m answers srvr with a Mode (optionally a given one); returns it."""
        def ok():
            if not m.running:
                raise AssertionError(f"s{m.sid} exited (status {m.proc.returncode})\n"
                                     + self.describe())
            s = m.srvr(timeout=2.0)
            if s and s["mode"] != NOT_SERVING and (mode is None or s["mode"] == mode):
                return s["mode"]
            return None
        return self.wait_for(ok, timeout, f"s{m.sid} serving" + (f" as {mode}" if mode else ""))

    # -- logs
    def log_marks(self) -> dict[int, tuple[int, int]]:
        return {sid: m.log_mark() for sid, m in self.members.items()}

    def sync_modes(self, learner_sid: int, since: dict | None = None) -> list[tuple[str, str]]:
        """How `learner_sid` was synced after `since` (Ensemble.log_marks()): a list of
        (mode, source) from the learner's own log and from every Java leader's log, oldest
        first per source. Empty when no log says (e.g. zkrs on both ends with an unknown
        log format)."""
        out = []
        learner = self[learner_sid]
        for mode in learner.learner_sync_modes(since.get(learner_sid) if since else None):
            out.append((mode, f"s{learner_sid} ({learner.runs_as} learner) log"))
        for m in self.members.values():
            if m.sid == learner_sid:
                continue
            for mode in m.leader_sync_modes(since.get(m.sid) if since else None).get(learner_sid, []):
                out.append((mode, f"s{m.sid} ({m.runs_as} leader) log"))
        return out

    def last_sync_mode(self, learner_sid: int, since: dict | None = None) -> str | None:
        modes = self.sync_modes(learner_sid, since)
        return modes[-1][0] if modes else None


# ------------------------------------------------------------------------------ clients

logging.getLogger("kazoo").setLevel(logging.ERROR)


def kazoo_client(hosts: str, timeout: float = 30.0, **kw):
    """A started KazooClient (connection retries forever 0.05-1 s apart; no command retry:
    the caller decides what an error means)."""
    from kazoo.client import KazooClient
    from kazoo.retry import KazooRetry

    start_timeout = kw.pop("start_timeout", 30)
    c = KazooClient(
        hosts=hosts, timeout=timeout,
        connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=1.0),
        command_retry=None, **kw,
    )
    c.start(timeout=start_timeout)
    return c


def member_client(m: Member, timeout: float = 15.0):
    """A client connected to this member only."""
    return kazoo_client(m.address, timeout=timeout)


class Workload:
    """Writes unique znodes under `prefix` and records every acknowledged write.

    acked:     path → data of every create the server acknowledged
    uncertain: path → data of creates whose outcome is unknown (connection loss / timeout)
    errors:    Counter of exception class names
    states:    [(monotonic time, KazooState)] of the session; `lost` counts LOST (expired)
    """

    def __init__(self, hosts: str, prefix: str = "/w", session_timeout: float = 30.0,
                 name: str = "w", op_timeout: float = 20.0):
        from kazoo.protocol.states import KazooState

        self._KazooState = KazooState
        self.hosts = hosts
        self.prefix = prefix.rstrip("/")
        self.name = name
        self.op_timeout = op_timeout
        self.acked: dict[str, bytes] = {}
        self.uncertain: dict[str, bytes] = {}
        self.errors: collections.Counter = collections.Counter()
        self.states: list = []
        self.lost = 0
        self.seq = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closing = False  # kazoo reports LOST when we close the session ourselves
        self.client = kazoo_client(hosts, timeout=session_timeout)
        self.session_id = self.client.client_id[0] if self.client.client_id else None
        self.client.add_listener(self._on_state)
        self._ensure_prefix()

    def _on_state(self, state):
        self.states.append((time.monotonic(), state))
        if state == self._KazooState.LOST and not self._closing:
            self.lost += 1

    def _ensure_prefix(self):
        from kazoo.exceptions import NodeExistsError

        parts = [p for p in self.prefix.split("/") if p]
        path = ""
        for p in parts:
            path += "/" + p
            try:
                self.client.create(path, b"")
            except NodeExistsError:
                pass

    @property
    def session_expired(self) -> bool:
        return self.lost > 0 or self.errors.get("SessionExpiredError", 0) > 0

    def write_one(self, sequential: bool = False) -> bool:
        """One create; True if acknowledged."""
        from kazoo.exceptions import KazooException
        from kazoo.handlers.threading import KazooTimeoutError

        with self._lock:
            self.seq += 1
            n = self.seq
        data = f"{self.name}:{n}".encode()
        path = f"{self.prefix}/{self.name}-{n:08d}" + ("-" if sequential else "")
        try:
            got = self.client.create_async(path, data, sequence=sequential).get(timeout=self.op_timeout)
        except (KazooException, KazooTimeoutError) as e:
            self.errors[type(e).__name__] += 1
            if not sequential:
                self.uncertain[path] = data
            return False
        self.acked[got] = data
        return True

    def write(self, n: int, sequential: bool = False, timeout: float = 120.0) -> int:
        """Writes until n creates are acknowledged (or `timeout`); returns how many were."""
        deadline = time.monotonic() + timeout
        done = 0
        while done < n and time.monotonic() < deadline:
            if self.write_one(sequential):
                done += 1
            else:
                time.sleep(0.05)
        return done

    def start_background(self, interval: float = 0.0, sequential: bool = False) -> None:
        """Writes in a thread until stop(), `interval` s apart."""
        assert self._thread is None
        self._stop.clear()

        def run():
            while not self._stop.is_set():
                if not self.write_one(sequential):
                    self._stop.wait(0.1)
                elif interval:
                    self._stop.wait(interval)

        self._thread = threading.Thread(target=run, daemon=True, name=f"workload {self.name}")
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise AssertionError(f"workload {self.name} did not stop within {timeout} s")
            self._thread = None

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self._closing = True
            try:
                self.client.stop()
                self.client.close()
            except Exception:  # noqa: BLE001
                pass

    def summary(self) -> str:
        return (f"workload {self.name}: {len(self.acked)} acked, {len(self.uncertain)} uncertain, "
                f"errors {dict(self.errors)}, session expired: {self.session_expired}")


# -------------------------------------------------------------------- trees and checks

# Each member's /zookeeper/config is rebuilt from its own zoo.cfg (Java resets it after a
# SNAP; with proxied ensembles the server lines differ), so it is not replicated state.
DEFAULT_EXCLUDE = ("/zookeeper/config",)
STAT_FIELDS = ("czxid", "mzxid", "pzxid", "version", "cversion", "aversion",
               "ephemeralOwner", "dataLength", "numChildren")


def dump_tree(client, root: str = "/", exclude=DEFAULT_EXCLUDE, acls: bool = True,
              timeout: float = 30.0) -> dict:
    """The whole tree under `root`: path → (data, (Stat fields that replicas share), ACLs).
    Pipelined level by level with the async API."""
    out = {}
    level = [root]
    deadline = time.monotonic() + timeout
    while level:
        reqs = []
        for p in level:
            reqs.append((p, client.get_async(p), client.get_children_async(p),
                         client.get_acls_async(p) if acls else None))
        nxt = []
        for p, g, ch, ac in reqs:
            left = max(0.1, deadline - time.monotonic())
            data, stat = g.get(timeout=left)
            children = ch.get(timeout=left)
            acl = None
            if ac is not None:
                acl_list, _ = ac.get(timeout=left)
                acl = tuple(sorted((a.perms, a.id.scheme, a.id.id) for a in acl_list))
            out[p] = (data, tuple(getattr(stat, f) for f in STAT_FIELDS), acl)
            for c in sorted(children):
                cp = (p.rstrip("/") + "/" + c)
                if cp not in exclude:
                    nxt.append(cp)
        level = nxt
    return out


def member_tree(m: Member, root: str = "/", exclude=DEFAULT_EXCLUDE) -> dict:
    """Connects to m alone, syncs (so every write committed before is applied there) and
    dumps its tree."""
    c = member_client(m)
    try:
        c.sync(root)
        return dump_tree(c, root, exclude)
    finally:
        c.stop()
        c.close()


def _fmt_node(n) -> str:
    if n is None:
        return "absent"
    data, stat, acl = n
    fields = ", ".join(f"{k}={(hex(v) if 'zxid' in k or k == 'ephemeralOwner' else v)}"
                       for k, v in zip(STAT_FIELDS, stat))
    return f"data={data[:40]!r} {fields} acl={acl}"


def compare_trees(trees: dict[int, dict], limit: int = 10) -> list[str]:
    """Differences between members' trees (first `limit`), against the first member's."""
    if not trees:
        return []
    sids = list(trees)
    ref_sid = sids[0]
    ref = trees[ref_sid]
    diffs = []
    for sid in sids[1:]:
        t = trees[sid]
        for p in sorted(set(ref) | set(t)):
            if ref.get(p) != t.get(p):
                diffs.append(f"{p}: s{ref_sid} {_fmt_node(ref.get(p))} | s{sid} {_fmt_node(t.get(p))}")
                if len(diffs) >= limit:
                    return diffs
    return diffs


def check_workloads(tree: dict, workloads, sid: int) -> list[str]:
    """Every acked write present with its data; nothing under a prefix that was not written."""
    problems = []
    for w in workloads:
        missing = [p for p, d in w.acked.items() if p not in tree or tree[p][0] != d]
        if missing:
            problems.append(f"s{sid}: {len(missing)} of {len(w.acked)} acknowledged writes of "
                            f"{w.name} missing or different, e.g. {missing[:5]}")
        pre = w.prefix + "/"
        phantom = [p for p in tree if p.startswith(pre) and p not in w.acked
                   and p not in w.uncertain and p.count("/") == pre.count("/")
                   and p.rsplit("/", 1)[1].startswith(w.name + "-")]
        if phantom:
            problems.append(f"s{sid}: {len(phantom)} znodes of {w.name} that were never written, "
                            f"e.g. {phantom[:5]}")
    return problems


def digest_mismatches(ms) -> dict[int, int]:
    """Members whose `mntr` reports zk_digest_mismatches_count > 0 (Apache ZooKeeper 3.8
    compares the tree digest a leader attaches to each txn with its own after applying it;
    the count lives as long as the process)."""
    out = {}
    for m in ms:
        v = m.mntr(timeout=2.0).get("zk_digest_mismatches_count", "0")
        try:
            n = int(v)
        except ValueError:
            continue
        if n:
            out[m.sid] = n
    return out


def verify(ens: Ensemble, workloads=(), members=None, timeout: float = 60.0,
           exclude=DEFAULT_EXCLUDE, digest_mismatches_fail: bool = False) -> dict[int, dict]:
    """The end-of-test check: on every member (default: every running member), connected to
    it alone, after a sync: every acknowledged write of `workloads` is present with its
    data, nothing was created under a workload's prefix that it did not write, and all
    members' trees (paths, data, ACLs, czxid, mzxid, pzxid, version, cversion, aversion,
    ephemeralOwner, dataLength, numChildren) are identical: the "digest equal" check.
    Retries for up to `timeout` s (a member may still be applying), then raises
    AssertionError naming the differences. Returns the trees by sid.

    Java members' digest mismatch counts are printed; with digest_mismatches_fail=True
    they fail the check. Not by default: a Java 3.8.0 follower that loses its leader
    while commits are in flight counts a mismatch as it shuts its pipeline down
    ("First digest mismatch on txn" next to "shutdown Follower" in its log), although its
    tree is then resynced and correct."""
    ms = list(members) if members is not None else ens.running
    assert ms, "no member to verify"
    deadline = time.monotonic() + timeout
    attempt = 0
    previous, same = None, 0
    while True:
        attempt += 1
        problems = []
        trees = {}
        for m in ms:
            try:
                trees[m.sid] = member_tree(m, exclude=exclude)
            except Exception as e:  # noqa: BLE001 - reported below
                problems.append(f"s{m.sid}: cannot read its tree: {type(e).__name__}: {e}")
        for sid, t in trees.items():
            problems += check_workloads(t, workloads, sid)
        problems += compare_trees(trees)
        mism = digest_mismatches(ms)
        if mism and digest_mismatches_fail:
            problems += [f"s{sid}: mntr zk_digest_mismatches_count={n}" for sid, n in mism.items()]
        if not problems:
            if mism:
                print(f"note: digest mismatches counted (mntr): "
                      + ", ".join(f"s{sid}={n}" for sid, n in mism.items()))
            log.info("verify: %d members, %d znodes each, identical (attempt %d)",
                     len(trees), len(next(iter(trees.values()))), attempt)
            return trees
        # The same differences 4 times in a row (≥ 3 s): the members have settled apart.
        same = same + 1 if problems == previous else 0
        previous = problems
        if time.monotonic() >= deadline or same >= 3:
            raise AssertionError(
                f"members disagree after {attempt} attempts:\n  " + "\n  ".join(problems[:20])
                + "\n" + "\n".join(w.summary() for w in workloads) + "\n" + ens.describe(10))
        time.sleep(1.0)


# ------------------------------------------------------------------------------ manual use

def _main(argv=None) -> int:
    """python tests/quorum/ensemble.py java java zkrs:observer [--seconds N]
    Starts an ensemble under target/quorum/manual/, prints its status and connect string,
    and stops it after N seconds (default 60) or on Ctrl-C."""
    import argparse

    ap = argparse.ArgumentParser(description=_main.__doc__)
    ap.add_argument("members", nargs="+")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--proxied", action="store_true")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    ens = Ensemble("manual", a.members, proxied=a.proxied)
    try:
        leader = ens.start()
        print(f"leader s{leader.sid}; {ens.status_line()}")
        print(f"connect string: {ens.connect_string()}")
        time.sleep(a.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        ens.close(keep=a.keep)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
