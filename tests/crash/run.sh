#!/usr/bin/env bash
# Crash test for zkrs's durable storage (issue 4). Runs the Rust test
# crates/zkrs/tests/crash.rs against the real binary:
#   - ZKRS_CRASH_ROUNDS (default 20) SIGKILLs of `zkrs server` under a write load from 4
#     connections (multis of two creates, 4 in flight each), each followed by a restart on
#     the same dataDir that checks every acknowledged write is present, no multi is
#     half-applied and each connection's writes form a prefix; every third kill also tears
#     the end of the newest txn log;
#   - a disk-full run on a small tmpfs (when this user may mount one; skipped otherwise):
#     the server must stop with exit 1 and every acknowledged write must be there after a
#     restart on a disk with room.
# Prints per-round lines and `N passed, M failed`; exit 1 on any failure. Loopback only;
# every process it starts is killed; the tmpfs is unmounted on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${ZKRS_CRASH_ROUNDS:-20}"

MNT=""
cleanup() {
    if [ -n "$MNT" ]; then
        umount "$MNT" 2>/dev/null || true
        rmdir "$MNT" 2>/dev/null || true
    fi
}
trap cleanup EXIT

MNT="$(mktemp -d /tmp/zkrs-diskfull.XXXXXX)"
if mount -t tmpfs -o size=3m tmpfs "$MNT" 2>/dev/null; then
    export ZKRS_DISKFULL_DIR="$MNT"
else
    echo "note: cannot mount a tmpfs here; the disk-full test is skipped"
    rmdir "$MNT"; MNT=""
fi

cargo build -q -p zkrs --bin zkrs
OUT="$(mktemp /tmp/zkrs-crash-out.XXXXXX)"
status=0
ZKRS_CRASH_ROUNDS="$ROUNDS" cargo test -q -p zkrs --test crash -- --nocapture --test-threads=1 \
    2>&1 | tee "$OUT" | grep -E "^(round|crash test|disk full|ok:|FAILED|/f|[0-9]+ passed)" || status=1
passed=$(grep -E "^[0-9]+ passed, [0-9]+ failed" "$OUT" | awk '{p+=$1} END {print p+0}')
failed=$(grep -E "^[0-9]+ passed, [0-9]+ failed" "$OUT" | awk '{f+=$3} END {print f+0}')
dpassed=$(grep -E "^disk full: " "$OUT" | awk '{print $3+0}')
dfailed=$(grep -E "^disk full: " "$OUT" | awk '{print $5+0}')
passed=$((passed + ${dpassed:-0})); failed=$((failed + ${dfailed:-0}))
if grep -q "test result: FAILED" "$OUT"; then status=1; fi
rm -f "$OUT"
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$status" -ne 0 ]; then exit 1; fi
