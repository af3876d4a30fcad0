"""Shared by benches/metrics_cpu.py and benches/metrics_instructions.py: a fresh standalone zkrs
on loopback (fsync on, no AdminServer), optionally with the Prometheus provider, and its stop."""

import shutil
import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"
PROMETHEUS_CLASS = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_ready(port, timeout=10.0, interval=0.01):
    """Until the server answers `ruok` (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=5) as s:
                s.sendall(b"ruok")
                if s.recv(4) == b"imok":
                    return
        except OSError:
            time.sleep(interval)
    raise RuntimeError(f"server on {port} not ready after {timeout} s")


def prepare(d: Path, metrics: bool):
    """A fresh data directory and zoo.cfg under `d`; returns (zoo.cfg, client port, metrics
    port or None)."""
    shutil.rmtree(d, ignore_errors=True)
    (d / "data").mkdir(parents=True)
    port = free_port()
    cfg = [
        "tickTime=2000", f"dataDir={d / 'data'}", f"clientPort={port}",
        f"clientPortAddress={HOST}", "maxClientCnxns=0", "admin.enableServer=false",
        "4lw.commands.whitelist=*",
    ]
    mport = None
    if metrics:
        mport = free_port()
        cfg += [f"metricsProvider.className={PROMETHEUS_CLASS}",
                f"metricsProvider.httpHost={HOST}", f"metricsProvider.httpPort={mport}"]
    (d / "zoo.cfg").write_text("\n".join(cfg) + "\n")
    return d / "zoo.cfg", port, mport


def stop(p: subprocess.Popen, timeout=10.0):
    """SIGTERM, then SIGKILL after `timeout` s, by pid."""
    p.terminate()
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=30)


def bench_run(bench, port, workload, requests, extra=()):
    """One zkrs-bench run, pipelined (4 sessions x 64, 100-byte values); its JSON report."""
    import json
    r = subprocess.run(
        [str(bench), "run", "--server", f"{HOST}:{port}", "--workload", workload,
         "--sessions", "4", "--window", "64", "--requests", str(requests), "--size", "100",
         "--warmup", "0", "--output", "json", *extra],
        capture_output=True, text=True, timeout=1800, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])
