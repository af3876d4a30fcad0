#!/usr/bin/env bash
# Cross-checks zkrs-storage against Apache ZooKeeper 3.8's own persistence classes (Debian
# package `zookeeper`). NOT run by CI; its output is committed:
#   - ZooKeeper restores the data directories zkrs writes (plain, gzip and snappy snapshots
#     plus txn logs) and must report the state zkrs expects (java-compat/expected.txt);
#   - ZooKeeper writes the same tree as snapshot.<z>.gz and snapshot.<z>.snappy, copied to
#     ../golden/ and read by `cargo test -p zkrs-storage --test java_compat`.
# Needs java/javac 17 and /usr/share/java/zookeeper.jar (apt-get install zookeeper).
# Touches only a temp dir (removed at exit) and ../golden/zk38-snapshot.*.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../../.." && pwd)"
WORK="$(mktemp -d /tmp/zkrs-java-compat.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
CP="/usr/share/java/zookeeper.jar"
[ -e "$CP" ] || { echo "needs /usr/share/java/zookeeper.jar (apt-get install zookeeper)" >&2; exit 1; }

# 1. zkrs writes three data directories and the state it expects.
(cd "$ROOT" && ZKRS_JAVA_COMPAT_OUT="$WORK" cargo test -q -p zkrs-storage --test java_compat \
    -- --ignored write_dirs_for_zookeeper >/dev/null)

# 2. ZooKeeper restores each one.
javac -cp "$CP" -d "$WORK/classes" "$HERE/JavaCompat.java"
JAVA="java -Dzookeeper.snapshot.trust.empty=false -cp $CP:$WORK/classes JavaCompat"
: > "$WORK/actual.txt"
for d in plain gz snappy; do
    echo "$d $($JAVA read "$WORK/$d" 2>/dev/null)" >> "$WORK/actual.txt"
done
diff -u "$WORK/expected.txt" "$WORK/actual.txt"
cp "$WORK/actual.txt" "$HERE/zookeeper-read.txt"

# 3. ZooKeeper writes the tree compressed; zkrs must read those files.
mkdir -p "$WORK/out"
$JAVA write "$WORK/plain" "$WORK/out" >/dev/null 2>&1
for f in "$WORK"/out/version-2/snapshot.*; do
    cp "$f" "$HERE/../golden/zk38-$(basename "$f")"
done
(cd "$ROOT" && cargo test -q -p zkrs-storage --test java_compat)
echo "java-compat: ZooKeeper read every zkrs directory; zkrs read ZooKeeper's gz and snappy snapshots"
