#!/usr/bin/env python3
"""Server CPU per request with the metrics off and on: what the metrics cost on the request path.

Throughput and latency on a shared 2-core machine swing by 10-30% between runs; the CPU time
the server process spends for a fixed number of requests (utime + stime from /proc/PID/stat,
in clock ticks) is steadier. For each variant, alternately, --rounds times: a fresh standalone
zkrs (fsync on), then zkrs-bench runs pipelined create, set and get and a 90%-read mix, and the
server's CPU time per request is recorded for each. Variants:

- `baseline`: --baseline-bin, a zkrs built before the metrics work (optional);
- `off`: this zkrs without `metricsProvider.*` (the always-on counting only);
- `on`: this zkrs with the Prometheus provider, its /metrics scraped once a second.

    benches/metrics_cpu.py [--rounds 5] [--requests 100000] [--baseline-bin PATH] [--out DIR]

Prints the median CPU µs per request of each variant and the ratios, and the server CPU one
/metrics scrape takes (200 scrapes after the load); writes DIR/results.json.
Every server started here is stopped by pid; every wait is bounded.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from standalone_server import HOST, bench_run, prepare, stop, wait_ready  # noqa: E402


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); after the ")" they are the 12th/13th.
    return (int(fields[11]) + int(fields[12])) / TICK


class Scraper(threading.Thread):
    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.ok = 0

    def run(self):
        while not self.stop.wait(1.0):
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    r.read()
                    self.ok += 1
            except OSError:
                pass


def run_variant(name, binary, metrics, bench, requests, work):
    d = work / name
    cfg, port, mport = prepare(d, metrics)
    log = open(d / "server.log", "wb")
    p = subprocess.Popen([str(binary), "server", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    scraper = None
    out = {}
    try:
        wait_ready(port)
        if mport:
            scraper = Scraper(f"http://{HOST}:{mport}/metrics")
            scraper.start()
        for wl, extra in (("create", []), ("set", []), ("get", []),
                          ("mixed", ["--read-pct", "90"])):
            before = cpu_seconds(p.pid)
            res = bench_run(bench, port, wl, requests, extra)
            after = cpu_seconds(p.pid)
            done = res.get("completed") or requests
            out[wl] = {"cpu_us_per_op": (after - before) * 1e6 / done,
                       "ops_per_sec": res.get("ops_per_s")}
        if scraper:
            out["scrapes"] = scraper.ok
            # What one scrape costs the server, after the load (summaries full of samples).
            n = 200
            before = cpu_seconds(p.pid)
            for _ in range(n):
                with urllib.request.urlopen(scraper.url, timeout=5) as r:
                    size = len(r.read())
            out["scrape"] = {"cpu_ms": (cpu_seconds(p.pid) - before) * 1e3 / n, "bytes": size}
    finally:
        if scraper:
            scraper.stop.set()
            scraper.join(timeout=5)
        stop(p)
        log.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--baseline-bin")
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "zkrs"))
    ap.add_argument("--bench", default=str(ROOT / "target" / "release" / "zkrs-bench"))
    ap.add_argument("--out", default=str(ROOT / "target" / "bench" / "metrics-cpu"))
    a = ap.parse_args()
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    variants = []
    if a.baseline_bin:
        variants.append(("baseline", a.baseline_bin, False))
    variants += [("off", a.bin, False), ("on", a.bin, True)]
    runs = {name: [] for name, _, _ in variants}
    for i in range(a.rounds):
        for name, binary, metrics in variants:
            r = run_variant(name, binary, metrics, a.bench, a.requests, out / "work")
            runs[name].append(r)
            print(f"round {i + 1} {name}: " + ", ".join(
                f"{wl} {v['cpu_us_per_op']:.2f} µs" for wl, v in r.items()
                if wl not in ("scrapes", "scrape")),
                file=sys.stderr)
    table = {}
    for name in runs:
        table[name] = {wl: statistics.median(r[wl]["cpu_us_per_op"] for r in runs[name])
                       for wl in ("create", "set", "get", "mixed")}
    (out / "results.json").write_text(json.dumps({"runs": runs, "medians": table}, indent=1))
    names = list(runs)
    head = "| server CPU µs per request | " + " | ".join(names)
    if "baseline" in runs:
        head += " | off/baseline"
    head += " | on/off |"
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for wl in ("create", "set", "get", "mixed"):
        cells = [f"{table[n][wl]:.2f}" for n in names]
        if "baseline" in runs:
            cells.append(f"{table['off'][wl] / table['baseline'][wl]:.3f}")
        cells.append(f"{table['on'][wl] / table['off'][wl]:.3f}")
        print(f"| {wl} (4 x 64, {a.requests} requests) | " + " | ".join(cells) + " |")
    scrapes = [r["scrape"]["cpu_ms"] for r in runs["on"] if "scrape" in r]
    if scrapes:
        print(f"one /metrics scrape after the load: {statistics.median(scrapes):.3f} ms of server "
              f"CPU (median of {len(scrapes)} x 200), "
              f"{runs['on'][-1]['scrape']['bytes']} bytes")
    print(f"results: {out / 'results.json'}")


if __name__ == "__main__":
    main()
