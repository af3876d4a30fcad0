#!/usr/bin/env python3
"""Pools several benches/compare.sh runs: medians over all their rounds, one Markdown table.

    benches/pool.py benches/results/final-run1 benches/results/final-run2 ...

Reads each DIR/summary.jsonl (per-round values, description and target of every scenario) and
prints, per scenario, the median over every round of every run for each server, the ratio
zkrs/ZooKeeper, the per-round ratios (or per-round values for zkrs-only ratios), and whether
the target is met by the pooled medians. Single runs on a shared 2-core machine vary a lot;
pooling is how docs/performance.md reports the final numbers.
"""
import json
import statistics
import sys


def fmt(v):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def met(target, ratio):
    # Targets look like "zkrs/ZK <= 0.5", "zkrs/ZK >= 3" or "zkrs <= 2".
    if not target or ratio is None:
        return ""
    op, bound = target.split()[-2:]
    bound = float(bound)
    return "yes" if (ratio <= bound if op == "<=" else ratio >= bound) else "NO"


def main(dirs):
    order, rows = [], {}
    for d in dirs:
        with open(f"{d}/summary.jsonl") as f:
            for line in f:
                s = json.loads(line)
                key = s["scenario"]
                if key not in rows:
                    order.append(key)
                    rows[key] = {"s": s, "zk": [], "zkrs": []}
                for server in ("zk", "zkrs"):
                    rows[key][server] += [v for v in s.get(f"{server}_rounds") or [] if v is not None]
    print(f"Pooled over {len(dirs)} runs: " + ", ".join(dirs))
    print()
    print("| scenario | ZooKeeper 3.8 | zkrs | zkrs/ZK | per round | target | met |")
    print("|---|---|---|---|---|---|---|")
    for key in order:
        r = rows[key]
        s = r["s"]
        zk = statistics.median(r["zk"]) if r["zk"] else None
        zr = statistics.median(r["zkrs"]) if r["zkrs"] else None
        own = (s.get("target") or "").startswith("zkrs <=")
        if own:
            # A zkrs-only ratio (snapshot p999 / steady p999): the medians are the ratio.
            ratio, per = zr, [fmt(v) for v in r["zkrs"]]
            ratio_s = "-"
        elif zk and zr is not None:
            ratio = zr / zk
            per = [f"{b / a:.2f}" for a, b in zip(r["zk"], r["zkrs"]) if a]
            ratio_s = f"{ratio:.3g}x"
        else:
            ratio, per, ratio_s = None, [], "n/a"
        print(f"| {s['description']} | {fmt(zk)} | {fmt(zr)} | {ratio_s} | {' '.join(per)} "
              f"| {s.get('target') or ''} | {met(s.get('target'), ratio)} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
