#!/usr/bin/env python3
"""Instructions per request with the metrics off and on, counted by callgrind: repeatable where
timings on a shared 2-core machine are not.

Each variant runs a fresh standalone zkrs (fsync on) under `valgrind --tool=callgrind`; after it
is ready the counters are zeroed (`callgrind_control -z`), then zkrs-bench runs pipelined create,
set, get and a 90%-read mix (4 sessions x 64), and the counters are dumped after each
(`callgrind_control -d`): every instruction the server executed (all its threads) for that
workload, divided by the requests. Variants:

- `baseline`: --baseline-bin, a zkrs built before the metrics work (optional);
- `off`: this zkrs without `metricsProvider.*` (the always-on counting only);
- `on`: this zkrs with the Prometheus provider (no scrapes during the load; then one scrape is
  counted on its own).

    benches/metrics_instructions.py [--requests 20000] [--baseline-bin PATH] [--out DIR]

Needs valgrind (apt-get install valgrind). Prints a table and writes DIR/results.json. Every
process started here is stopped by pid; every wait is bounded.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from standalone_server import HOST, bench_run, prepare, stop, wait_ready  # noqa: E402

WORKLOADS = (("create", []), ("set", []), ("get", []), ("mixed", ["--read-pct", "90"]))


def control(*args):
    subprocess.run(["callgrind_control", *args], capture_output=True, timeout=120, check=True)


def newest_dump(prefix: Path, seen: set):
    """The dump file callgrind wrote last (not in `seen`), waited for (bounded)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        files = sorted(set(prefix.parent.glob(prefix.name + "*")) - seen)
        if files:
            f = files[-1]
            text = f.read_text(errors="replace")
            m = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
            if m:
                seen.add(f)
                return int(m.group(1))
        time.sleep(0.2)
    raise RuntimeError("callgrind wrote no dump")


def run_variant(name, binary, metrics, bench, requests, work):
    d = work / name
    cfg, port, mport = prepare(d, metrics)
    prefix = d / "callgrind.out"
    log = open(d / "server.log", "wb")
    p = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}.%p",
         str(binary), "server", str(cfg)],
        stdout=log, stderr=subprocess.STDOUT)
    out = {}
    seen: set = set()
    try:
        wait_ready(port, timeout=120.0, interval=0.2)
        time.sleep(1)
        control("-z", str(p.pid))
        for wl, extra in WORKLOADS:
            bench_run(bench, port, wl, requests, extra)
            control("-d", str(p.pid))
            out[wl] = newest_dump(prefix, seen) / requests
        if mport:
            with urllib.request.urlopen(f"http://{HOST}:{mport}/metrics", timeout=60) as r:
                r.read()
            control("-d", str(p.pid))
            out["one_scrape"] = newest_dump(prefix, seen)
    finally:
        stop(p, timeout=120)
        log.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--baseline-bin")
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "zkrs"))
    ap.add_argument("--bench", default=str(ROOT / "target" / "release" / "zkrs-bench"))
    ap.add_argument("--out", default=str(ROOT / "target" / "bench" / "metrics-instructions"))
    a = ap.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("metrics_instructions.py: needs valgrind (apt-get install valgrind)")
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    variants = []
    if a.baseline_bin:
        variants.append(("baseline", a.baseline_bin, False))
    variants += [("off", a.bin, False), ("on", a.bin, True)]
    res = {}
    for name, binary, metrics in variants:
        res[name] = run_variant(name, binary, metrics, a.bench, a.requests, out / "work")
        print(f"{name}: " + ", ".join(f"{k} {v:,.0f}" for k, v in res[name].items()),
              file=sys.stderr)
    (out / "results.json").write_text(json.dumps(res, indent=1))
    names = list(res)
    head = "| server instructions per request | " + " | ".join(names)
    if "baseline" in res:
        head += " | off/baseline"
    head += " | on/off |"
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for wl, _ in WORKLOADS:
        cells = [f"{res[n][wl]:,.0f}" for n in names]
        if "baseline" in res:
            cells.append(f"{res['off'][wl] / res['baseline'][wl]:.3f}")
        cells.append(f"{res['on'][wl] / res['off'][wl]:.3f}")
        print(f"| {wl} (4 x 64, {a.requests} requests) | " + " | ".join(cells) + " |")
    if "one_scrape" in res.get("on", {}):
        print(f"one /metrics scrape after the load: {res['on']['one_scrape']:,} instructions")
    print(f"results: {out / 'results.json'}")


if __name__ == "__main__":
    main()
