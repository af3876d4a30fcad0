#!/bin/sh
# zkServer.sh of the Java test image. `start-foreground` runs Debian's ZooKeeper 3.8 jars in the
# foreground with the official image's defaults (config from $ZOOCFGDIR or --config, heap
# $ZK_SERVER_HEAP MB, then $SERVER_JVMFLAGS and $JVMFLAGS); every other subcommand (status,
# version, ...) is zkrs's implementation of the same script, which only talks 4lw.
set -e
args="$*"
confdir=${ZOOCFGDIR:-/conf}
if [ "${1:-}" = "--config" ]; then confdir=$2; shift 2; fi
if [ "${1:-}" = "start-foreground" ]; then
  # zkEnv.sh: the conf dir's java.env (start-zookeeper writes the heap there).
  # shellcheck disable=SC1091
  [ -f "$confdir/java.env" ] && . "$confdir/java.env"
  cp=/etc/zookeeper-image
  for j in zookeeper zookeeper-jute netty-codec netty-resolver netty-handler netty-transport \
    netty-buffer netty-common netty-transport-native-unix-common slf4j-api slf4j-log4j12 \
    log4j-1.2 jetty9-server jetty9-servlet jetty9-http jetty9-io jetty9-util jetty9-security \
    servlet-api jackson2-databind jackson2-core jackson2-annotations commons-cli \
    snappy-java metrics-core; do
    [ -f "/usr/share/java/$j.jar" ] && cp="$cp:/usr/share/java/$j.jar"
  done
  # shellcheck disable=SC2086 # the JVM flags are words, as zkServer.sh passes them
  exec java "-Dzookeeper.log.dir=${ZOO_LOG_DIR:-/logs}" \
    -Dlog4j.configuration=file:/etc/zookeeper-image/log4j.properties \
    "-Xmx${ZK_SERVER_HEAP:-1000}m" -XX:+HeapDumpOnOutOfMemoryError \
    -XX:OnOutOfMemoryError='kill -9 %p' -cp "$cp" $SERVER_JVMFLAGS $JVMFLAGS \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$confdir/${ZOOCFG:-zoo.cfg}"
fi
# shellcheck disable=SC2086
exec zkrs zkServer.sh $args
