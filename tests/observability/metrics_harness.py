"""Harness of tests/observability/test_metrics.py: zkrs servers with the Prometheus metrics
provider on loopback, the captures' kazoo workload, and a real Prometheus server.

Modelled on tests/quorum/ensemble.py: every process is started here, recorded by pid, and
stopped by pid (SIGTERM, then SIGKILL after a bounded wait) at teardown, at exit and on
SIGTERM/SIGINT. Ports are picked below the kernel's ephemeral range. Every wait is bounded
in time and in iterations.

Environment: ZKRS_EXE (the zkrs binary), METRICS_WORK (work directory, default
target/observability), PROMETHEUS_BIN (default: `prometheus` on PATH), ZKCLI (default
/usr/share/zookeeper/bin/zkCli.sh; the quota setup falls back to kazoo writes without it).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
# Ports come from the quorum harness's allocator (below the ephemeral range, never twice).
sys.path.insert(0, str(ROOT / "tests" / "quorum"))
from ensemble import free_ports  # noqa: E402
WORK = Path(os.environ.get("METRICS_WORK", ROOT / "target" / "observability"))
CAPTURES = Path(__file__).resolve().parent / "captures-3.8.0"
PROMETHEUS_CLASS = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"

_PROCS: dict[int, subprocess.Popen] = {}


def _register(p: subprocess.Popen) -> None:
    _PROCS[p.pid] = p


def stop_pid(p: subprocess.Popen, timeout: float = 10.0) -> int | None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout`; reaps it."""
    if p.poll() is None:
        try:
            os.kill(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=10)
    _PROCS.pop(p.pid, None)
    return p.returncode


def _stop_everything() -> None:
    for p in list(_PROCS.values()):
        try:
            stop_pid(p, timeout=5)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def _on_signal(signum, _frame):
    _stop_everything()
    sys.exit(128 + signum)


atexit.register(_stop_everything)
for _sig in (signal.SIGTERM, signal.SIGINT):
    try:
        signal.signal(_sig, _on_signal)
    except ValueError:  # not the main thread
        pass


def wait_until(what: str, check, timeout: float, interval: float = 0.1):
    """Calls `check` until it returns a truthy value (at most `timeout` s and
    timeout/interval + 1 calls); returns that value or raises AssertionError."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        try:
            v = check()
        except Exception:  # noqa: BLE001 - retried until the deadline
            v = None
        if v:
            return v
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# ----------------------------------------------------------------------------- zkrs


def fourlw(port: int, cmd: str, timeout: float = 5.0) -> str | None:
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(cmd.encode())
            chunks = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return None


def http_get(port: int, path: str = "/metrics", method: str = "GET", timeout: float = 5.0):
    """(status, content type, body) of one request to 127.0.0.1:port."""
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def parse_samples(text: str) -> dict[str, float]:
    """{sample name with labels (trailing comma kept): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, value = line.rsplit(" ", 1)
        out[key] = float(value)
    return out


def family_types(text: str) -> dict[str, str]:
    return {
        m.group(1): m.group(2)
        for m in re.finditer(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE)
    }


class Server:
    """One zkrs process with the Prometheus provider (standalone or an ensemble member)."""

    def __init__(self, directory: Path, sid: int | None = None):
        self.dir = directory
        self.sid = sid
        self.client_port, self.metrics_port = free_ports(2)
        self.proc: subprocess.Popen | None = None
        self.extra = ""

    def config(self, servers: str = "") -> str:
        data = self.dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        if self.sid is not None:
            (data / "myid").write_text(f"{self.sid}\n")
        return (
            "tickTime=2000\ninitLimit=10\nsyncLimit=5\n"
            f"dataDir={data}\nclientPort={self.client_port}\nclientPortAddress={HOST}\n"
            "maxClientCnxns=0\n4lw.commands.whitelist=*\n"
            f"metricsProvider.className={PROMETHEUS_CLASS}\n"
            f"metricsProvider.httpHost={HOST}\nmetricsProvider.httpPort={self.metrics_port}\n"
            f"{self.extra}{servers}"
        )

    def start(self, servers: str = "") -> "Server":
        exe = os.environ.get("ZKRS_EXE", str(ROOT / "target" / "release" / "zkrs"))
        self.dir.mkdir(parents=True, exist_ok=True)
        cfg = self.dir / "zoo.cfg"
        cfg.write_text(self.config(servers))
        log = open(self.dir / "server.log", "ab")
        self.proc = subprocess.Popen(
            [exe, "server", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        _register(self.proc)
        (self.dir / "pid").write_text(f"{self.proc.pid}\n")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_pid(self.proc)
            self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.proc is not None:
            _PROCS.pop(self.proc.pid, None)
        self.proc = None

    def mode(self) -> str | None:
        text = fourlw(self.client_port, "srvr") or ""
        m = re.search(r"^Mode: (\S+)", text, re.MULTILINE)
        return m.group(1) if m else None

    def metrics(self, names: list[str] | None = None) -> str:
        path = "/metrics"
        if names:
            path += "?" + "&".join(f"name[]={urllib.parse.quote(n)}" for n in names)
        status, _, body = http_get(self.metrics_port, path)
        assert status == 200, (status, body[:200])
        return body

    def samples(self) -> dict[str, float]:
        return parse_samples(self.metrics())

    def hostport(self) -> str:
        return f"{HOST}:{self.client_port}"

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join((self.dir / "server.log").read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def start_standalone(directory: Path) -> Server:
    if directory.exists():
        shutil.rmtree(directory)
    s = Server(directory).start()
    wait_until("standalone serving", lambda: s.mode() == "standalone" and s.metrics(), 30)
    return s


def start_ensemble(directory: Path, n: int = 3) -> list[Server]:
    if directory.exists():
        shutil.rmtree(directory)
    members = [Server(directory / f"s{i}", sid=i) for i in range(1, n + 1)]
    lines = ""
    for m in members:
        q, e = free_ports(2)
        lines += f"server.{m.sid}={HOST}:{q}:{e}\n"
    for m in members:
        m.start(lines)

    def formed():
        modes = [m.mode() for m in members]
        return modes.count("leader") == 1 and modes.count("follower") == n - 1

    try:
        wait_until("an elected ensemble", formed, 60, interval=0.3)
    except AssertionError:
        for m in members:
            print(f"--- s{m.sid} mode {m.mode()}\n{m.log_tail()}")
        raise
    return members


# ------------------------------------------------------------------------- workload


def set_quota(server: Server, zk) -> str:
    """`setquota -n 100 /foo`, `setquota -b 10000 /foo` as the captures ran them (zkCli.sh);
    without zkCli.sh, the nodes zkCli writes, through kazoo."""
    zkcli = os.environ.get("ZKCLI", "/usr/share/zookeeper/bin/zkCli.sh")
    if os.access(zkcli, os.X_OK) and shutil.which("java"):
        r = subprocess.run(
            [zkcli, "-server", server.hostport()],
            input="setquota -n 100 /foo\nsetquota -b 10000 /foo\nlistquota /foo\nquit\n",
            capture_output=True, text=True, timeout=90,
        )
        return "zkCli.sh: " + r.stdout[-400:]
    zk.ensure_path("/zookeeper/quota/foo")
    zk.create("/zookeeper/quota/foo/zookeeper_limits",
              b"count=100,bytes=10000,countHardLimit=-1,byteHardLimit=-1")
    zk.create("/zookeeper/quota/foo/zookeeper_stats", b"count=0,bytes=0")
    return "kazoo"


def walk(zk, path: str = "/") -> list[tuple[str, int, bool]]:
    """(path, data length, ephemeral) of every znode, as the captures' kazoo walk."""
    out = []
    data, stat = zk.get(path)
    out.append((path, len(data or b""), stat.ephemeralOwner != 0))
    for child in sorted(zk.get_children(path)):
        out.extend(walk(zk, (path.rstrip("/") + "/" + child)))
    return out


def workload(zk) -> tuple[int, int]:
    """README "Sequence" step 4: 10 reads and 21 writes on one session. Returns (reads,
    writes)."""
    from kazoo.exceptions import NodeExistsError, NoNodeError

    def cb(_event):
        pass

    zk.create("/foo/a", b"a0")
    zk.create("/foo/b", b"b0")
    for _ in range(3):
        zk.create("/foo/seq-", b"s", sequence=True)
    zk.create("/foo/eph", b"e", ephemeral=True)
    for _ in range(2):
        zk.create("/foo/es-", b"", ephemeral=True, sequence=True)
    zk.create("/bar")
    for c in ("c1", "c2", "c3"):
        zk.create(f"/bar/{c}", b"x" * 10)
    zk.set("/foo/a", b"a1")
    zk.set("/foo/a", b"a22")
    zk.get("/foo/a", watch=cb)
    zk.set("/foo/a", b"a333")
    zk.get_children("/foo", watch=cb)
    zk.create("/foo/c")
    zk.exists("/bar/c1", watch=cb)
    zk.delete("/bar/c1")
    zk.delete("/foo/seq-0000000003")
    t = zk.transaction()
    t.create("/foo/m1", b"m")
    t.set_data("/foo/b", b"b1")
    t.delete("/bar/c2")
    t.check("/foo/a", 3)
    results = t.commit()
    assert not any(isinstance(r, Exception) for r in results), results
    try:
        zk.create("/foo/a")
        raise AssertionError("create /foo/a succeeded")
    except NodeExistsError:
        pass
    t = zk.transaction()
    t.create("/foo/m2")
    t.delete("/nonexistent")
    results = t.commit()
    assert any(isinstance(r, Exception) for r in results), results
    try:
        zk.get("/nope")
        raise AssertionError("get /nope succeeded")
    except NoNodeError:
        pass
    zk.get("/foo/b")
    zk.get_children("/bar")
    zk.exists("/foo")
    zk.get("/foo/b", watch=cb)
    zk.get_children("/bar", watch=cb)
    zk.exists("/nope", watch=cb)
    return 10, 21


# ----------------------------------------------------------------------- Prometheus


class Prometheus:
    """A real Prometheus server scraping the given jobs every second."""

    def __init__(self, directory: Path, jobs: dict[str, list[int]]):
        self.dir = directory
        self.port = free_ports(1)[0]
        self.jobs = jobs
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Prometheus":
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        scrape = []
        for job, ports in self.jobs.items():
            targets = ", ".join(f'"{HOST}:{p}"' for p in ports)
            scrape.append(
                f"  - job_name: {job}\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
                f"    static_configs:\n      - targets: [{targets}]\n"
            )
        cfg = self.dir / "prometheus.yml"
        cfg.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n" + "".join(scrape)
        )
        exe = os.environ.get("PROMETHEUS_BIN") or shutil.which("prometheus") or "prometheus"
        log = open(self.dir / "prometheus.log", "ab")
        self.proc = subprocess.Popen(
            [exe, f"--config.file={cfg}", f"--storage.tsdb.path={self.dir / 'tsdb'}",
             f"--web.listen-address={HOST}:{self.port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()
        _register(self.proc)
        wait_until("Prometheus ready", lambda: self.get("/-/ready"), 60, interval=0.3)
        return self

    def get(self, path: str) -> str | None:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port}{path}", timeout=5) as r:
                return r.read().decode()
        except OSError:
            return None

    def query(self, expr: str) -> list[dict]:
        text = self.get("/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        assert text is not None, f"query failed: {expr}"
        doc = json.loads(text)
        assert doc.get("status") == "success", doc
        return doc["data"]["result"]

    def targets(self) -> list[dict]:
        text = self.get("/api/v1/targets")
        return json.loads(text)["data"]["activeTargets"] if text else []

    def stop(self) -> None:
        if self.proc is not None:
            stop_pid(self.proc)
            self.proc = None

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join((self.dir / "prometheus.log").read_text().splitlines()[-n:])
        except OSError:
            return ""
