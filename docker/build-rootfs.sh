#!/bin/sh
# Lays out the zkrs image's root file system in <out> (the Dockerfile's build stage runs it; the
# tests run it too). No shell runs in the image at start-up: the zkrs binary is the server and,
# busybox style, every command ZooKeeper's images ship (zkServer.sh, zkCli.sh, the official
# image's docker-entrypoint.sh, the Kubernetes images' start and probe scripts). busybox (static)
# is there for manifests that wrap those commands in `sh -c` and for `kubectl exec` sessions.
#
#   docker/build-rootfs.sh <out>
#
# <out>/root is the image's tree; <out>/owned holds /conf /data /datalog /logs, which the
# Dockerfile copies with uid/gid 1000 (the official image's `zookeeper` user). The Kubernetes
# images' conf dir, /opt/zookeeper/conf, is /conf: every contract reads and writes one place
# (zkServer.sh looks in $ZOOCFGDIR=/conf).
# The binary: prebuilt/zkrs in the build context if present (the tests put a release build
# there), else `cargo build --release --locked -p zkrs`. busybox: $BUSYBOX, else /bin/busybox,
# else the busybox-static package is installed.
set -eu
out=${1:?usage: build-rootfs.sh <out>}
src=$(cd "$(dirname "$0")/.." && pwd)
zk_version=3.8.0

if [ -x "$src/prebuilt/zkrs" ]; then
  bin="$src/prebuilt/zkrs"
else
  (cd "$src" && cargo build --release --locked -p zkrs)
  bin="$src/target/release/zkrs"
fi
busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ]; then
  apt-get update -q && apt-get install -y -q --no-install-recommends busybox-static
  busybox=/bin/busybox
fi

rm -rf "$out"
mkdir -p "$out/owned/conf" "$out/owned/data" "$out/owned/datalog" "$out/owned/logs"
out="$out/root"
mkdir -p "$out/usr/local/bin" "$out/bin" "$out/etc" "$out/tmp" \
  "$out/apache-zookeeper-$zk_version-bin/bin" "$out/opt/zookeeper/bin"
chmod 1777 "$out/tmp"

cp "$bin" "$out/usr/local/bin/zkrs"
if command -v strip >/dev/null 2>&1; then strip "$out/usr/local/bin/zkrs"; fi
chmod 755 "$out/usr/local/bin/zkrs"

# The shared libraries the binary needs (glibc, libm, libgcc_s, the loader), from the build
# stage's Debian: the binary is built against the same release.
ldd "$bin" | awk '/=>/ { print $3 } /^[[:space:]]*\/lib/ { print $1 }' | while read -r lib; do
  [ -f "$lib" ] || continue
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done
# Name resolution without NSS modules: glibc's built-in files and dns.
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
printf 'root:x:0:0:root:/root:/bin/sh\nzookeeper:x:1000:1000:zookeeper:/home/zookeeper:/bin/sh\n' \
  > "$out/etc/passwd"
printf 'root:x:0:\nzookeeper:x:1000:\n' > "$out/etc/group"

cp "$busybox" "$out/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$out/bin/$applet" ] || ln -s busybox "$out/bin/$applet"
done

# The commands, where the images the seeds use keep them: the official image's bin/ on PATH,
# the incubator chart's /opt/zookeeper/bin, the Kubernetes tutorial's scripts on PATH.
for cmd in zkServer.sh zkCli.sh docker-entrypoint.sh start-zookeeper stop-zookeeper zookeeper-ready \
  zookeeper-metrics zkGenConfig.sh zkOk.sh zkMetrics.sh; do
  ln -s zkrs "$out/usr/local/bin/$cmd"
done
for cmd in zkServer.sh zkCli.sh; do
  ln -s /usr/local/bin/zkrs "$out/apache-zookeeper-$zk_version-bin/bin/$cmd"
  ln -s /usr/local/bin/zkrs "$out/opt/zookeeper/bin/$cmd"
done
ln -s /conf "$out/opt/zookeeper/conf"
ln -s usr/local/bin/zkrs "$out/docker-entrypoint.sh"
