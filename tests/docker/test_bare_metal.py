"""Seed 002: a bare-metal ensemble of three hosts (zk1.zq.com, zk2.zq.com, zk3.zq.com) with the
zkrs binary where the seed untars ZooKeeper (/opt/zookeeper/bin/zkServer.sh), the seed's
zoo.cfg and myid files, started with `zkServer.sh start` on each host and checked with
`zkServer.sh status` (Mode: leader / follower), then one member stopped with
`zkServer.sh stop`. The hosts are containers of the zkrs image used as plain machines (no
entrypoint, no ZOO_* or ZOOCFGDIR: zkServer.sh finds bin/../conf as on a host)."""

from __future__ import annotations

import dockerlib as D

ZOO_CFG = """tickTime=2000
initLimit=10
syncLimit=5
dataDir=/data/zookeeper/data
dataLogDir=/data/zookeeper/logs
clientPort=2181
server.1=zk1.zq.com:2888:3888
server.2=zk2.zq.com:2888:3888
server.3=zk3.zq.com:2888:3888
"""
ZKSERVER = "/opt/zookeeper/bin/zkServer.sh"


def on_host(host: str, script: str, **kw):
    # A login shell on a host: no image environment for ZooKeeper.
    return D.exec_in(host, "env", "-u", "ZOOCFGDIR", "-u", "ZOO_LOG_DIR", "sh", "-c", script,
                     **kw)


def test_seed_002_bare_metal_ensemble_with_zkserver_sh():
    net = D.network_create(f"zkt-bm-{D.RUN_ID}")
    hosts = {i: f"zkt-bm-{i}-{D.RUN_ID}" for i in (1, 2, 3)}
    for i, name in hosts.items():
        D.container_run(name, D.ZKRS_IMAGE, "3600", network=net,
                        aliases=(f"zk{i}.zq.com",), hostname=f"hdss7-{i}",
                        entrypoint="sleep", user="0:0")
    for i, name in hosts.items():
        r = on_host(name, f"cat > /opt/zookeeper/conf/zoo.cfg && mkdir -p /data/zookeeper/data "
                          f"/data/zookeeper/logs && echo {i} > /data/zookeeper/data/myid",
                    input=ZOO_CFG.encode(), check=True)
        r = on_host(name, f"{ZKSERVER} start")
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert r.stdout.strip() == "Starting zookeeper ... STARTED", r.stdout
        assert r.stderr == ("ZooKeeper JMX enabled by default\n"
                            "Using config: /opt/zookeeper/bin/../conf/zoo.cfg\n"), r.stderr

    def statuses():
        out = {}
        for i, name in hosts.items():
            r = on_host(name, f"{ZKSERVER} status")
            out[i] = (r.returncode, r.stdout, r.stderr)
        return out

    def modes():
        st = statuses()
        ms = sorted(next((ln for ln in o.splitlines() if ln.startswith("Mode: ")), "")
                    for _, o, _ in st.values())
        return ms == ["Mode: follower", "Mode: follower", "Mode: leader"] and st

    st = D.wait_for(modes, 60, "Mode: leader and two followers",
                    describe=lambda: "\n".join(f"{k}: {v}" for k, v in statuses().items()))
    for i, (rc, out, err) in st.items():
        assert rc == 0
        assert out.splitlines()[0] == "Client port found: 2181. Client address: localhost. " \
                                      "Client SSL: false.", out
        assert err == ("ZooKeeper JMX enabled by default\n"
                       "Using config: /opt/zookeeper/bin/../conf/zoo.cfg\n"), err
    # zkServer.sh stop on a follower: it stops; the two others keep a quorum.
    follower = next(i for i, (_, out, _) in st.items() if "Mode: follower" in out)
    r = on_host(hosts[follower], f"{ZKSERVER} stop")
    assert r.stdout.strip() == "Stopping zookeeper ... STOPPED", (r.stdout, r.stderr)
    r = on_host(hosts[follower], f"{ZKSERVER} status")
    assert r.returncode == 1 and \
        "Error contacting service. It is probably not running." in r.stdout + r.stderr, r
    rest = [i for i in hosts if i != follower]
    D.wait_for(lambda: sorted(
        next((ln for ln in on_host(hosts[i], f"{ZKSERVER} status").stdout.splitlines()
              if ln.startswith("Mode: ")), "") for i in rest) ==
        ["Mode: follower", "Mode: leader"], 30, "the two others serving")
