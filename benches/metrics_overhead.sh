#!/usr/bin/env bash
# What the metrics cost: zkrs with the metrics provider off, then on (zoo.cfg's
# PrometheusMetricsProvider lines, and /metrics scraped every second during the run, as a
# Prometheus server would), alternately, PAIRS times; each is one `benches/compare.sh --only
# zkrs --rounds 1` run. With --baseline-bin, a zkrs binary built before the metrics work runs
# first in each round too (what the always-on counting costs). Prints, per scenario, the
# median of each variant and on/off (and off/baseline) (docs/performance.md, "Metrics on").
#
#   benches/metrics_overhead.sh                        # 3 pairs, --scale 0.25 (~10-15 min)
#   benches/metrics_overhead.sh --pairs 1 --quick      # smoke run (compare.sh --quick)
#   benches/metrics_overhead.sh --baseline-bin /path/to/old/zkrs --out DIR --no-build
#
# Every process started here is stopped by pid; every wait is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PAIRS=3
SCALE=0.25
OUT=""
BUILD=1
QUICK=0
BASELINE=""
METRICS_PORT=${ZKRS_METRICS_BENCH_PORT:-23779}
while [ $# -gt 0 ]; do
    case "$1" in
        --pairs) PAIRS=$2; shift ;;
        --scale) SCALE=$2; shift ;;
        --quick) QUICK=1 ;;
        --out) OUT=$2; shift ;;
        --no-build) BUILD=0 ;;
        --baseline-bin) BASELINE=$2; shift ;;
        -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "metrics_overhead.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
OUT=${OUT:-$ROOT/target/bench/metrics-overhead-$(date +%Y%m%d-%H%M%S)}
if [ "$QUICK" = 1 ]; then
    SIZE=(--quick)
else
    SIZE=(--rounds 1 --scale "$SCALE")
fi
mkdir -p "$OUT"
if [ "$BUILD" = 1 ]; then
    (cd "$ROOT" && cargo build --release --locked -p zkrs -p zkrs-bench)
fi

SCRAPER_PID=""
stop_scraper() {
    if [ -n "$SCRAPER_PID" ]; then
        kill "$SCRAPER_PID" 2>/dev/null || true
        wait "$SCRAPER_PID" 2>/dev/null || true
        SCRAPER_PID=""
    fi
}
trap stop_scraper EXIT

# Scrapes /metrics once a second (each scrape bounded to 2 s) until killed; counts successes.
scraper() {
    local n=0 ok=0
    while [ $n -lt 100000 ]; do
        if curl -sf -m 2 -o /dev/null "http://127.0.0.1:$METRICS_PORT/metrics"; then
            ok=$((ok + 1))
            echo "$ok" > "$1"
        fi
        n=$((n + 1))
        sleep 1
    done
}

METRICS_CFG="metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
metricsProvider.httpHost=127.0.0.1
metricsProvider.httpPort=$METRICS_PORT"

for i in $(seq 1 "$PAIRS"); do
    if [ -n "$BASELINE" ]; then
        echo "== round $i/$PAIRS: baseline binary $BASELINE"
        ZKRS_BIN="$BASELINE" "$ROOT/benches/compare.sh" --only zkrs --no-build "${SIZE[@]}" \
            --out "$OUT/base-$i" > "$OUT/base-$i.txt"
    fi
    echo "== pair $i/$PAIRS: metrics off"
    "$ROOT/benches/compare.sh" --only zkrs --no-build "${SIZE[@]}" \
        --out "$OUT/off-$i" > "$OUT/off-$i.txt"
    echo "== pair $i/$PAIRS: metrics on (scraped every second)"
    scraper "$OUT/on-$i.scrapes" &
    SCRAPER_PID=$!
    ZKRS_EXTRA_CFG="$METRICS_CFG" "$ROOT/benches/compare.sh" --only zkrs --no-build \
        "${SIZE[@]}" --out "$OUT/on-$i" > "$OUT/on-$i.txt"
    stop_scraper
    echo "   scrapes answered: $(cat "$OUT/on-$i.scrapes" 2>/dev/null || echo 0)"
done

python3 - "$OUT" "$PAIRS" <<'PY'
import json, statistics, sys
from pathlib import Path
out, pairs = Path(sys.argv[1]), int(sys.argv[2])
vals = {}
desc = {}
for half in ("base", "off", "on"):
    for i in range(1, pairs + 1):
        f = out / f"{half}-{i}" / "summary.jsonl"
        if not f.exists():
            continue
        for line in f.read_text().splitlines():
            r = json.loads(line)
            v = r.get("zkrs")
            if v is None:
                continue
            desc[r["scenario"]] = r.get("description", r["scenario"])
            vals.setdefault(r["scenario"], {"base": [], "off": [], "on": []})[half].append(v)
has_base = any(v["base"] for v in vals.values())
if has_base:
    rows = ["| scenario | baseline | metrics off | metrics on | off/baseline | on/off |",
            "|---|---|---|---|---|---|"]
else:
    rows = ["| scenario | metrics off | metrics on | on/off |", "|---|---|---|---|"]
summary = []
def ratio(a, b):
    return a / b if b else None
def fr(x):
    return f"{x:.3f}" if x is not None else "n/a"
for sc, v in vals.items():
    if not v["off"] or not v["on"]:
        continue
    off, on = statistics.median(v["off"]), statistics.median(v["on"])
    base = statistics.median(v["base"]) if v["base"] else None
    row = {"scenario": sc, "description": desc[sc], "off": off, "on": on,
           "off_runs": v["off"], "on_runs": v["on"], "ratio": ratio(on, off)}
    if base is not None:
        row.update(base=base, base_runs=v["base"], off_vs_base=ratio(off, base))
        rows.append(f"| {desc[sc]} | {base:,.1f} | {off:,.1f} | {on:,.1f} | "
                    f"{fr(ratio(off, base))} | {fr(ratio(on, off))} |")
    else:
        rows.append(f"| {desc[sc]} | {off:,.1f} | {on:,.1f} | {fr(ratio(on, off))} |")
    summary.append(row)
(out / "summary.json").write_text(json.dumps(summary, indent=1))
(out / "table.md").write_text("\n".join(rows) + "\n")
print("\n".join(rows))
print(f"results: {out}")
PY
