"""The zkrs image against the official `zookeeper` image's contract (docker-library docs,
31z4/zookeeper-docker 3.8): the same ZOO_* variables and defaults, the same generated zoo.cfg
and myid, /conf /data /datalog /logs, uid 1000, ports, `zkServer.sh start-foreground`; a
healthcheck; clients: the Java zkCli from the host and the image's own zkCli.sh."""

from __future__ import annotations

import os
import subprocess
import urllib.request

import pytest

import dockerlib as D

HOST = "127.0.0.1"
ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"

# The official image's zoo.cfg for the default environment, line for line (its entrypoint
# writes these in this order; packaging-and-operations.md 1.3).
DEFAULT_ZOO_CFG = """dataDir=/data
dataLogDir=/datalog
tickTime=2000
initLimit=5
syncLimit=2
autopurge.snapRetainCount=3
autopurge.purgeInterval=0
maxClientCnxns=60
standaloneEnabled=true
admin.enableServer=true
server.1=localhost:2888:3888;2181
"""


def java_zkcli(port: int, *cmd: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["CLIENT_JVMFLAGS"] = "-Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    r = D.run(["timeout", "-k", "5", str(int(timeout)), ZKCLI, "-server", f"{HOST}:{port}", *cmd],
              timeout=timeout + 10, check=False, env=env)
    return r


def cli_lines(out: str) -> list[str]:
    """zkCli's answer without the Java client's log and banner lines."""
    skip = ("SLF4J: ", "WATCHER::", "WatchedEvent state:", "Connecting to ", "log4j:",
            "Welcome to ZooKeeper", "JLine support")
    return [ln for ln in out.splitlines() if ln and not ln.startswith(skip)
            and " INFO " not in ln and " WARN " not in ln]


def start(name: str, image: str = D.ZKRS_IMAGE, env: dict | None = None, **kw) -> int:
    D.container_run(name, image, env=env, publish=(f"{HOST}::2181", f"{HOST}::8080",
                                                   *kw.pop("publish", ())), **kw)
    port = D.host_port(name, 2181)
    D.wait_for(lambda: D.srvr_mode(HOST, port), 60, f"{name} serving",
               describe=lambda: D.container_logs(name))
    return port


def test_defaults_generate_the_official_zoo_cfg_and_myid():
    port = start("zkt-img-default")
    cfg = D.exec_in("zkt-img-default", "cat", "/conf/zoo.cfg", check=True).stdout
    assert cfg == DEFAULT_ZOO_CFG, cfg
    assert D.exec_in("zkt-img-default", "cat", "/data/myid", check=True).stdout == "1\n"
    # One server listed: standalone, as ZooKeeper ("only one server specified").
    assert D.srvr_mode(HOST, port) == "standalone"
    # The server runs as uid/gid 1000 and is PID 1 (exec, no shell left in between).
    status = D.exec_in("zkt-img-default", "cat", "/proc/1/status", check=True).stdout
    uid = next(ln for ln in status.splitlines() if ln.startswith("Uid:")).split()[1:]
    gid = next(ln for ln in status.splitlines() if ln.startswith("Gid:")).split()[1:]
    assert set(uid) == {"1000"} and set(gid) == {"1000"}, (uid, gid)
    comm = D.exec_in("zkt-img-default", "cat", "/proc/1/cmdline", check=True).stdout
    assert "server" in comm.split("\0"), comm
    # The data directories belong to uid 1000 and the server wrote there.
    owners = D.exec_in("zkt-img-default", "stat", "-c", "%u %n", "/data", "/datalog", "/logs",
                       "/data/version-2", check=True).stdout.split()
    assert owners[0::2] == ["1000"] * 4, owners
    # No 4lw whitelist line: only srvr, as ZooKeeper's built-in default.
    assert D.fourlw(HOST, port, "ruok") == \
        "ruok is not executed because it is not in the whitelist.\n"
    # The AdminServer on 8080.
    admin = D.host_port("zkt-img-default", 8080)
    with urllib.request.urlopen(f"http://{HOST}:{admin}/commands/ruok", timeout=5) as r:
        assert r.status == 200 and b'"command" : "ruok"' in r.read()
    # Image metadata: the official image's volumes and ports, plus 7000 for metrics.
    meta = D.docker("image", "inspect", "--format",
                    "{{json .Config.Volumes}} {{json .Config.ExposedPorts}} "
                    "{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.WorkingDir}}",
                    D.ZKRS_IMAGE).stdout
    for want in ('"/data"', '"/datalog"', '"/logs"', '"2181/tcp"', '"2888/tcp"', '"3888/tcp"',
                 '"8080/tcp"', '"7000/tcp"', '["/docker-entrypoint.sh"]',
                 '["zkServer.sh","start-foreground"]', "/apache-zookeeper-3.8.0-bin"):
        assert want in meta, (want, meta)


def test_official_env_examples():
    """The docker-library documentation's variables: ZOO_MY_ID, ZOO_SERVERS,
    ZOO_4LW_COMMANDS_WHITELIST, the timing and limit variables, ZOO_CFG_EXTRA (its example is
    the Prometheus provider), ZOO_ADMINSERVER_ENABLED."""
    env = {
        "ZOO_MY_ID": "7",
        "ZOO_TICK_TIME": "3000", "ZOO_INIT_LIMIT": "10", "ZOO_SYNC_LIMIT": "4",
        "ZOO_MAX_CLIENT_CNXNS": "100", "ZOO_AUTOPURGE_PURGEINTERVAL": "1",
        "ZOO_AUTOPURGE_SNAPRETAINCOUNT": "5", "ZOO_ADMINSERVER_ENABLED": "false",
        "ZOO_4LW_COMMANDS_WHITELIST": "srvr,ruok,mntr",
        "ZOO_SERVERS": "server.7=localhost:2888:3888;2181",
        "ZOO_CFG_EXTRA": "metricsProvider.className=org.apache.zookeeper.metrics.prometheus."
                         "PrometheusMetricsProvider metricsProvider.httpPort=7070",
    }
    port = start("zkt-img-env", env=env, publish=(f"{HOST}::7070",))
    cfg = D.exec_in("zkt-img-env", "cat", "/conf/zoo.cfg", check=True).stdout
    assert cfg == (
        "dataDir=/data\ndataLogDir=/datalog\ntickTime=3000\ninitLimit=10\nsyncLimit=4\n"
        "autopurge.snapRetainCount=5\nautopurge.purgeInterval=1\nmaxClientCnxns=100\n"
        "standaloneEnabled=true\nadmin.enableServer=false\n"
        "server.7=localhost:2888:3888;2181\n4lw.commands.whitelist=srvr,ruok,mntr\n"
        "metricsProvider.className=org.apache.zookeeper.metrics.prometheus."
        "PrometheusMetricsProvider\nmetricsProvider.httpPort=7070\n"), cfg
    assert D.exec_in("zkt-img-env", "cat", "/data/myid", check=True).stdout == "7\n"
    assert D.fourlw(HOST, port, "ruok") == "imok"
    assert "zk_server_state\tstandalone" in D.fourlw(HOST, port, "mntr")
    metrics = D.host_port("zkt-img-env", 7070)
    with urllib.request.urlopen(f"http://{HOST}:{metrics}/metrics", timeout=5) as r:
        assert b"\nznode_count " in r.read()
    # admin.enableServer=false: nothing answers on 8080 inside the container.
    r = D.exec_in("zkt-img-env", "sh", "-c", "echo | nc -w 2 127.0.0.1 8080; echo rc=$?")
    assert "rc=1" in r.stdout, r.stdout


def test_mounted_zoo_cfg_is_used_as_is_and_kept_on_restart(tmp_path_factory):
    """A /conf/zoo.cfg that exists is not touched (mounted or left by an earlier start): the
    environment does not apply then, as the official image documents."""
    conf = D.temp_dir("conf-")
    (conf / "zoo.cfg").write_text("tickTime=2000\ndataDir=/data\nclientPort=2181\n"
                                  "4lw.commands.whitelist=*\nadmin.enableServer=false\n")
    os.chmod(conf, 0o777)
    port = start("zkt-img-mounted", volumes=(f"{conf}:/conf",),
                 env={"ZOO_TICK_TIME": "9999"})
    assert (conf / "zoo.cfg").read_text().startswith("tickTime=2000\n")
    assert "tickTime=2000" in D.fourlw(HOST, port, "conf")
    # Generated once, then kept across `docker restart` even when it would now differ.
    port2 = start("zkt-img-restart", env={"ZOO_TICK_TIME": "2500"})
    D.docker("restart", "-t", "10", "zkt-img-restart", timeout=60)
    port2 = D.host_port("zkt-img-restart", 2181)
    D.wait_for(lambda: D.srvr_mode(HOST, port2), 60, "restarted")
    cfg = D.exec_in("zkt-img-restart", "cat", "/conf/zoo.cfg", check=True).stdout
    assert cfg.count("tickTime=") == 1 and "tickTime=2500" in cfg


def test_healthcheck_reports_healthy():
    start("zkt-img-health")
    D.wait_for(lambda: D.docker("inspect", "--format", "{{.State.Health.Status}}",
                                "zkt-img-health").stdout.strip() == "healthy",
               60, "the healthcheck", interval=1.0)


def test_java_zkcli_from_the_host_and_the_images_zkcli():
    port = start("zkt-img-cli")
    r = java_zkcli(port, "create", "/from-java", "hello")
    assert "Created /from-java" in r.stdout + r.stderr, r.stdout + r.stderr
    r = java_zkcli(port, "get", "/from-java")
    assert cli_lines(r.stdout)[-1:] == ["hello"], r.stdout
    # The image's zkCli.sh (zkrs's, in the binary), one-shot and interactive.
    r = D.exec_in("zkt-img-cli", "zkCli.sh", "-server", "localhost:2181", "get", "/from-java")
    assert "hello" in r.stdout.splitlines(), r.stdout + r.stderr
    r = D.exec_in("zkt-img-cli", "zkCli.sh", "-server", "localhost:2181",
                  input=b"create /from-image x\nls /\nquit\n")
    # zkCli prints "Created ..." on stderr, as Java's CreateCommand does.
    assert "Created /from-image" in r.stderr, r.stdout + r.stderr
    assert "[from-image, from-java, zookeeper]" in r.stdout, r.stdout
    r = java_zkcli(port, "ls", "/")
    assert "[from-image, from-java, zookeeper]" in r.stdout, r.stdout
    # Also where the incubator chart's image keeps it.
    r = D.exec_in("zkt-img-cli", "/opt/zookeeper/bin/zkCli.sh", "get", "/from-image")
    assert "x" in r.stdout.splitlines(), r.stdout + r.stderr


def test_zkserver_status_in_the_image():
    start("zkt-img-status")
    r = D.exec_in("zkt-img-status", "zkServer.sh", "status")
    assert r.returncode == 0 and "Mode: standalone" in r.stdout, (r.stdout, r.stderr)
    r = D.exec_in("zkt-img-status", "zkServer.sh", "version")
    assert r.returncode == 0 and "3.8.0" in r.stdout, (r.stdout, r.stderr)


@pytest.mark.parametrize("image", [D.ZKRS_IMAGE, D.JAVA_IMAGE], ids=["zkrs", "java"])
def test_both_images_serve_the_same_contract(image):
    """The Java image built here honours the same contract (it is the reference for the
    compose, seed and StatefulSet scenarios)."""
    name = "zkt-img-" + ("zkrs" if image == D.ZKRS_IMAGE else "java")
    env = {"JVMFLAGS": "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"}
    port = start(name, image=image, env=env)
    cfg = D.exec_in(name, "cat", "/conf/zoo.cfg", check=True).stdout
    assert cfg == DEFAULT_ZOO_CFG
    assert D.srvr_mode(HOST, port) == "standalone"
    r = java_zkcli(port, "create", "/x", "y")
    assert "Created /x" in r.stdout + r.stderr
