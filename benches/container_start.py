#!/usr/bin/env python3
"""Container image size and start-to-ready time: the zkrs image against an Apache ZooKeeper 3.8
image built the same way (tests/docker/java: Debian's packages on the same debootstrapped
base), both with the official image's defaults (standalone, generated zoo.cfg).

Start-to-ready: from `docker run -d` to the first `srvr` on the published client port that
reports a Mode (polled every 10 ms), per round a new container; the median of the rounds. Also
the 3-member ensemble of docker/compose/ensemble.yml from `docker-compose up -d` to a leader and
two followers, and the RSS of each standalone server after start-up (idle) from the container's
cgroup. Results: a Markdown table on stdout and results.json in --out.

    benches/container_start.py [--rounds 5] [--out benches/results/containers-YYYY-MM-DD]

Needs the images of tests/docker (tests/docker/run.sh builds them, or this script does).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "docker"))

import dockerlib as D  # noqa: E402

HOST = "127.0.0.1"
JAVA_ENV = {}  # the official image's defaults: the JVM's own heap sizing, as users run it


def ready_time(image: str, name: str) -> tuple[float, float]:
    t0 = time.monotonic()
    D.container_run(name, image, publish=(f"{HOST}::2181",), env=JAVA_ENV)
    port = D.host_port(name, 2181)
    deadline = t0 + 120
    while time.monotonic() < deadline:
        if D.srvr_mode(HOST, port) is not None:
            break
        time.sleep(0.01)
    else:
        raise RuntimeError(f"{image} not ready:\n{D.container_logs(name)}")
    elapsed = time.monotonic() - t0
    time.sleep(2.0)
    rss = rss_mib(name)
    D.docker("rm", "-f", "-v", name, check=False)
    return elapsed, rss


def rss_mib(name: str) -> float:
    """The container's memory use (cgroup v1 memory.usage_in_bytes minus cache, or v2)."""
    r = D.docker("stats", "--no-stream", "--format", "{{.MemUsage}}", name, check=False)
    used = r.stdout.split("/")[0].strip()
    units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "B": 1 / 1024 / 1024}
    for u, f in units.items():
        if used.endswith(u):
            return float(used[: -len(u)]) * f
    return float("nan")


def ensemble_time(image: str, project: str) -> float:
    base = 23810 + os.getpid() % 100 * 3
    ports = [base, base + 1, base + 2]
    env = {**os.environ, "ZKRS_IMAGE": image,
           **{f"ZOO{i + 1}_PORT": f"{HOST}:{p}" for i, p in enumerate(ports)}}
    compose = ["docker-compose", "-p", project, "-f", str(ROOT / "docker/compose/ensemble.yml")]
    t0 = time.monotonic()
    D.run([*compose, "up", "-d"], env=env, timeout=180)
    try:
        deadline = t0 + 180
        while time.monotonic() < deadline:
            modes = sorted(str(D.srvr_mode(HOST, p, 0.5)) for p in ports)
            if modes == ["follower", "follower", "leader"]:
                return time.monotonic() - t0
            time.sleep(0.02)
        raise RuntimeError(f"{image}: no quorum")
    finally:
        D.run([*compose, "down", "-v", "-t", "2"], env=env, timeout=180, check=False)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    if not D.engine_available():
        print("skipped: no Docker engine")
        return 0
    D.build_images(lambda m: print(f"[images] {m}", file=sys.stderr))
    images = {"zkrs": D.ZKRS_IMAGE, "java": D.JAVA_IMAGE}
    res = {}
    try:
        for kind, image in images.items():
            starts, rss, ens = [], [], []
            for r in range(a.rounds):
                s, m = ready_time(image, f"zkt-bench-{kind}-{r}")
                starts.append(s)
                rss.append(m)
            for r in range(max(1, a.rounds // 2)):
                ens.append(ensemble_time(image, f"zktbench{kind}{r}"))
            res[kind] = {"image": image, "size_mb": D.image_size_bytes(image) / 1e6,
                         "start_s": starts, "rss_mib": rss, "ensemble_s": ens}
    finally:
        D.cleanup()
    z, j = res["zkrs"], res["java"]
    med = statistics.median
    rows = [
        ("image size (MB)", z["size_mb"], j["size_mb"]),
        ("standalone start to ready (s, median)", med(z["start_s"]), med(j["start_s"])),
        ("idle memory after start (MiB, median)", med(z["rss_mib"]), med(j["rss_mib"])),
        ("3-member compose up to quorum (s, median)", med(z["ensemble_s"]),
         med(j["ensemble_s"])),
    ]
    print(f"| container ({a.rounds} rounds) | zkrs | Java 3.8 (Debian) | zkrs / Java |")
    print("|---|---:|---:|---:|")
    for label, zv, jv in rows:
        print(f"| {label} | {zv:.2f} | {jv:.2f} | {zv / jv:.3f} |")
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
