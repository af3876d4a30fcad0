#!/usr/bin/env python3
"""3-member ensembles side by side: Apache ZooKeeper 3.8 (Debian) and zkrs, on loopback, fsync
on, clients and members on the same machine.

For each kind, one ensemble (started with tests/quorum/ensemble.py) and these scenarios:

- create, set: pipelined, `--sessions` sessions spread over the three members (one zkrs-bench
  process per member, run at the same time; ops/s summed);
- mixed: 90% getData / 10% setData, the same way;
- seq-set: one session, one request at a time (p50/p99 latency of a replicated write);
- kind `zkrs+metrics`: zkrs members with the Prometheus provider on (each its own port) and
  every member's /metrics scraped once a second during the run, as a Prometheus server would;
  compared with plain `zkrs`, it shows what the metrics cost (docs/performance.md).
- failover: a client writes in a loop (one create at a time, through a follower); the leader is
  killed (-9); the time from the kill to the first acknowledged write (this includes the
  client library's reconnect back-off: kazoo waits 0.1, 0.2, 0.4, ... s between attempts), and
  to both remaining members answering `srvr` as leader and follower (polled every 5 ms from
  the kill, the server-side failover), is measured `--failovers` times.

Usage: benches/ensemble.py [--quick] [--kinds java,zkrs[,zkrs+metrics]] [--scenarios LIST]
       [--failovers N] [--rounds N]
       [--out DIR]
Writes DIR/results.json and prints a table. `--quick` is a smoke run (tiny counts).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "quorum"))

import ensemble as E  # noqa: E402
from kazoo.client import KazooClient  # noqa: E402

BENCH = ROOT / "target" / "release" / "zkrs-bench"


def bench(members, workload, sessions, window, requests, size=100, keys=1000, read_pct=90,
          label="", max_seconds=60):
    """Runs one zkrs-bench per member at once; returns summed ops/s and the worst p50/p99."""
    per = max(1, sessions // len(members))
    procs = []
    for i, m in enumerate(members):
        cmd = [str(BENCH), "run", "--server", m.address, "--workload", workload,
               "--sessions", str(per), "--window", str(window),
               "--requests", str(max(1, requests // len(members))), "--size", str(size),
               "--keys", str(keys), "--read-pct", str(read_pct), "--output", "json",
               "--max-seconds", str(max_seconds), "--root", f"/bench-{label}-{i}",
               "--seed", str(i + 1)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    results = []
    for p in procs:
        out, err = p.communicate(timeout=max_seconds + 120)
        line = [ln for ln in out.splitlines() if ln.startswith("{")]
        if p.returncode != 0 or not line:
            raise RuntimeError(f"zkrs-bench failed ({p.returncode}): {err[-800:]}")
        results.append(json.loads(line[-1]))
    ops = sum(r.get("ops_per_s", 0.0) for r in results)

    def worst(q):
        vals = [r.get(q) for r in results if r.get(q) is not None]
        return max(vals) if vals else None

    return {"ops_per_sec": ops, "p50_us": worst("p50_us"), "p99_us": worst("p99_us"),
            "raw": results}


def failover(ens, rounds):
    """Kill -9 the leader while a client writes through a follower; seconds from the kill to
    the first acknowledged write and to every member serving again."""
    out = []
    for r in range(rounds):
        leader = ens.wait_for_quorum(timeout=90)
        follower = next(m for m in ens if m is not leader and m.running)
        others = ",".join(m.address for m in ens if m is not leader)
        c = KazooClient(hosts=others, timeout=10.0)
        c.start(timeout=30)
        c.ensure_path("/failover")
        n = 0
        deadline = time.time() + 120
        c.create(f"/failover/r{r}-{n}", b"x")
        rest = [m for m in ens if m is not leader and m.running]
        serving = {}

        def poll_serving():
            while time.time() < deadline and len(serving) < len(rest):
                for m in rest:
                    if m.sid not in serving:
                        s = m.srvr(timeout=0.5)
                        if s and s.get("mode") in ("leader", "follower"):
                            serving[m.sid] = time.time() - t_kill
                time.sleep(0.005)

        t_kill = time.time()
        leader.kill()
        poller = threading.Thread(target=poll_serving, daemon=True)
        poller.start()
        first_ack = None
        while time.time() < deadline:
            n += 1
            try:
                c.create(f"/failover/r{r}-{n}", b"x")
                first_ack = time.time() - t_kill
                break
            except Exception:  # noqa: BLE001 - any error means "not yet"
                time.sleep(0.005)
        c.stop()
        c.close()
        poller.join(timeout=120)
        alive = [m for m in ens if m.running]
        ens.wait_for_quorum(members=alive, timeout=90)
        all_serving = time.time() - t_kill
        leader.start()
        ens.wait_for_quorum(timeout=90)
        out.append({"first_ack_s": first_ack, "quorum_s": all_serving,
                    "serving_s": max(serving.values()) if len(serving) == len(rest) else None,
                    "via": follower.sid})
    return out


class Scraper:
    """GETs every member's /metrics once a second until stopped (bounded per request)."""

    def __init__(self, urls):
        self.urls = urls
        self.stop_event = threading.Event()
        self.ok = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        import urllib.request
        while not self.stop_event.wait(1.0):
            for url in self.urls:
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        r.read()
                        self.ok += 1
                except OSError:
                    pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        if self.thread.ident is not None:
            self.thread.join(timeout=5)


def run_kind(kind, quick, out_dir, scenarios=("create", "set", "mixed", "seq_set", "failover"),
             failovers=5):
    member_cfg = None
    urls = []
    if kind == "zkrs+metrics":
        ports = dict(zip((1, 2, 3), E.free_ports(3)))
        urls = [f"http://{E.HOST}:{p}/metrics" for p in ports.values()]

        def member_cfg(m):
            return {
                "metricsProvider.className":
                    "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
                "metricsProvider.httpHost": m.host,
                "metricsProvider.httpPort": ports[m.sid],
            }
    runs_as = "zkrs" if kind == "zkrs+metrics" else kind
    ens = E.Ensemble(f"bench-{kind.replace('+', '-')}", [runs_as] * 3, tick_time=2000,
                     init_limit=10, sync_limit=5, root=out_dir / "work", member_cfg=member_cfg)
    scraper = Scraper(urls)
    try:
        ens.start()
        if urls:
            scraper.__enter__()
        members = list(ens)
        scale = 0.02 if quick else 1.0
        res = {"kind": kind}
        if "create" in scenarios:
            res["create"] = bench(members, "create", 32, 8, int(200_000 * scale), label="c")
        if "set" in scenarios:
            res["set"] = bench(members, "set", 32, 8, int(200_000 * scale), label="s")
        if "mixed" in scenarios:
            res["mixed"] = bench(members, "mixed", 32, 8, int(400_000 * scale), label="m")
        if "seq_set" in scenarios:
            res["seq_set"] = bench(members[:1], "set", 1, 1, int(5_000 * scale) or 50,
                                   label="q")
        if "failover" in scenarios:
            res["failover"] = failover(ens, 1 if quick else failovers)
        if urls:
            res["scrapes"] = scraper.ok
        return res
    finally:
        if urls:
            scraper.__exit__(None, None, None)
        ens.close(keep=False)


def median_of(results, scenario, field, fmt):
    cells = []
    for r in results:
        vals = [f[field] for f in r.get(scenario, []) if f.get(field) is not None]
        cells.append(fmt.format(statistics.median(vals)) if vals else "-")
    return " | ".join(cells)


def pooled(runs):
    """The median of each figure over a kind's rounds (one round: that round)."""
    out = {"kind": runs[0]["kind"], "rounds": len(runs)}
    for key in ("create", "set", "mixed"):
        vals = [r[key]["ops_per_sec"] for r in runs if key in r]
        if vals:
            out[key] = {"ops_per_sec": statistics.median(vals)}
    p50 = [r["seq_set"]["p50_us"] for r in runs if "seq_set" in r]
    if p50:
        out["seq_set"] = {
            "p50_us": statistics.median(p50),
            "p99_us": statistics.median(r["seq_set"]["p99_us"] for r in runs if "seq_set" in r),
        }
    fo = [f for r in runs for f in r.get("failover", [])]
    if fo:
        out["failover"] = fo
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--kinds", default="java,zkrs")
    ap.add_argument("--scenarios", default="create,set,mixed,seq_set,failover")
    ap.add_argument("--failovers", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the kinds alternately this many times; the table shows medians")
    ap.add_argument("--out", default=str(ROOT / "target" / "bench" / "ensemble"))
    a = ap.parse_args()
    out_dir = Path(a.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    scenarios = tuple(a.scenarios.split(","))
    kinds = a.kinds.split(",")
    raw = [run_kind(k, a.quick, out_dir, scenarios, a.failovers)
           for _ in range(max(1, a.rounds)) for k in kinds]
    (out_dir / "raw.json").write_text(json.dumps(raw, indent=1))
    results = [pooled([r for r in raw if r["kind"] == k]) for k in kinds]
    (out_dir / "results.json").write_text(json.dumps(results, indent=1))
    print("| scenario | " + " | ".join(r["kind"] for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for key in ("create", "set", "mixed"):
        if all(key in r for r in results):
            print(f"| {key} ops/s | "
                  + " | ".join(f"{r[key]['ops_per_sec']:.0f}" for r in results) + " |")
    if all("seq_set" in r for r in results):
        print("| seq set p50 / p99 (µs) | " + " | ".join(
            f"{r['seq_set']['p50_us']:.0f} / {r['seq_set']['p99_us']:.0f}" for r in results)
            + " |")
    if all("failover" in r for r in results):
        print("| failover, kill -9 to first acknowledged write, median (s) | "
              + median_of(results, "failover", "first_ack_s", "{:.2f}") + " |")
        print("| failover, kill -9 to both members serving, median (s) | "
              + median_of(results, "failover", "serving_s", "{:.3f}") + " |")
    print(f"results: {out_dir / 'results.json'}")

if __name__ == "__main__":
    main()
