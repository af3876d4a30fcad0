#!/usr/bin/env python3
"""Turns benches/compare.sh's results.jsonl into the side-by-side table.

For every scenario: the median over rounds for ZooKeeper and for zkrs, the ratio zkrs/ZooKeeper,
the issue's target and whether it is met. Writes one JSON line per scenario (--summary) and
the table as Markdown (--markdown); prints the table as text.
"""

import argparse
import json
import statistics
import sys

# key, description, target: None (information only), ("ratio>=", x), ("ratio<=", x) or
# ("zkrs<=", x) for a figure that is already a ratio of zkrs to itself.
SCENARIOS = [
    ("startup_empty_ms", "start-up to first session, empty (ms)", ("ratio<=", 0.1)),
    ("seq_create_p50_us", "sequential create p50 (µs), 1 session x 1", ("ratio<=", 0.5)),
    ("seq_get_p50_us", "sequential get p50 (µs), 1 x 1", ("ratio<=", 0.5)),
    ("seq_set_p50_us", "sequential set p50 (µs), 1 x 1", ("ratio<=", 0.5)),
    ("seq_create_p99_us", "sequential create p99 (µs)", None),
    ("seq_get_p99_us", "sequential get p99 (µs)", None),
    ("seq_set_p99_us", "sequential set p99 (µs)", None),
    ("pipe_create_ops", "pipelined create (ops/s), 4 x 64", ("ratio>=", 3.0)),
    ("pipe_set_ops", "pipelined set (ops/s), 4 x 64", ("ratio>=", 3.0)),
    ("pipe_get_ops", "pipelined get (ops/s), 4 x 64", ("ratio>=", 3.0)),
    ("mixed90_ops", "mixed 90% reads (ops/s), 32 x 8", ("ratio>=", 3.0)),
    ("load_ops", "loading the znodes (creates/s), 4 x 64", None),
    ("rss_loaded_mb", "RSS with the znodes loaded (MiB)", ("ratio<=", 0.2)),
    ("disk_loaded_mb", "dataDir size with the znodes (MiB)", None),
    ("steady_set_p999_us", "set p999, no snapshot (µs), 4 x 16", None),
    ("snapshot_set_p999_us", "set p999 while snapshotting (µs), 4 x 16", None),
    ("snapshot_p999_vs_steady", "snapshot p999 / steady p999 (x)", ("zkrs<=", 2.0)),
    ("recovery_loaded_ms", "restart with the znodes to first session (ms)", ("ratio<=", 0.25)),
]


def fmt(v):
    if v is None:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def summarize(rows):
    out = []
    for key, desc, target in SCENARIOS:
        entry = {"scenario": key, "description": desc}
        for server in ("zk", "zkrs"):
            vals = [r["value"] for r in rows if r["scenario"] == key and r["server"] == server]
            nums = [v for v in vals if v is not None]
            notes = sorted({r.get("note", "") for r in rows
                            if r["scenario"] == key and r["server"] == server and r.get("note")})
            entry[server] = statistics.median(nums) if nums else None
            entry[server + "_rounds"] = vals
            if notes:
                entry[server + "_note"] = "; ".join(notes)
        zk, zr = entry["zk"], entry["zkrs"]
        # A figure that is itself a ratio (snapshot/steady) is compared to its target, not to ZK.
        own = target is not None and target[0] == "zkrs<="
        entry["ratio"] = zr / zk if not own and zk not in (None, 0) and zr is not None else None
        met = None
        if target:
            kind, x = target
            entry["target"] = f"{kind.replace('ratio', 'zkrs/ZK ')} {x:g}".replace("zkrs<=", "zkrs <=")
            if kind == "ratio>=" and entry["ratio"] is not None:
                met = entry["ratio"] >= x
            elif kind == "ratio<=" and entry["ratio"] is not None:
                met = entry["ratio"] <= x
            elif kind == "zkrs<=" and zr is not None:
                met = zr <= x
        else:
            entry["target"] = ""
        entry["met"] = met
        if any(entry[s] is not None or entry.get(s + "_note") for s in ("zk", "zkrs")):
            out.append(entry)
    return out


def cell(entry, server, footnotes):
    v = entry[server]
    note = entry.get(server + "_note")
    if v is None and note:
        return "n/a (" + note + ")"
    if note:
        # A figure with a caveat (e.g. writes that were not durable): mark it.
        if note not in footnotes:
            footnotes.append(note)
        return fmt(v) + " " + "*" * (footnotes.index(note) + 1)
    return fmt(v)


def table(summary):
    head = ["scenario", "ZooKeeper 3.8", "zkrs", "zkrs/ZK", "target", "met"]
    body = []
    footnotes = []
    for e in summary:
        met = {True: "yes", False: "NO", None: "n/a" if e["target"] else ""}[e["met"]]
        caveat = any(e[s] is not None and e.get(s + "_note") for s in ("zk", "zkrs"))
        if caveat and e["met"] is not None:
            met += " (caveat)"
        e["caveat"] = caveat
        r = e["ratio"]
        own = e["target"].startswith("zkrs <=")
        ratio = ("-" if own else "n/a") if r is None else (f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x")
        body.append([e["description"], cell(e, "zk", footnotes), cell(e, "zkrs", footnotes),
                     ratio, e["target"], met])
    notes = ["*" * (i + 1) + " " + n for i, n in enumerate(footnotes)]
    return head, body, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--results", required=True)
    ap.add_argument("--summary")
    ap.add_argument("--markdown")
    ap.add_argument("--title", default="")
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    summary = summarize(load(a.results))
    head, body, notes = table(summary)
    widths = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
    lines = []
    if a.title:
        lines.append(a.title)
    if a.note:
        lines.append(a.note)
    lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    lines.extend(notes)
    print("\n".join(lines))
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            for e in summary:
                f.write(json.dumps(e) + "\n")
    if a.markdown:
        with open(a.markdown, "w", encoding="utf-8") as f:
            if a.title:
                f.write(a.title + "\n\n")
            f.write("| " + " | ".join(head) + " |\n")
            f.write("|" + "|".join("---" for _ in head) + "|\n")
            for r in body:
                f.write("| " + " | ".join(str(c).replace("*", "\\*") for c in r) + " |\n")
            if notes:
                f.write("\n" + "\n".join(n.replace("*", "\\*") for n in notes) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
