"""Seed 000: an observer on a host outside the ensemble's network, started by docker-compose
with its own zoo.cfg, joining a running Apache ZooKeeper 3.8 ensemble through published
quorum and election ports only. docker/compose/observer/ensemble.yml runs the Java ensemble
(the image built here from Debian's packages) with its ports published on the seed's
load-balancer addresses (added to lo for the test); docker/compose/observer/docker-compose.yaml
runs the zkrs observer in a second network. Reads on the observer see the ensemble's writes."""

from __future__ import annotations

import os
import subprocess

import dockerlib as D
from test_compose import Compose

HOST = "127.0.0.1"
OBS_DIR = D.ROOT / "docker" / "compose" / "observer"
LB_IPS = ["10.1.0.12", "10.1.0.13", "10.1.0.6"]


def add_lb_addresses() -> list[str]:
    added = []
    have = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", "lo"], capture_output=True,
                          text=True, check=True).stdout
    for ip in LB_IPS:
        if f" {ip}/" not in have:
            subprocess.run(["ip", "addr", "add", f"{ip}/32", "dev", "lo"], check=True)
            added.append(ip)
    return added


def test_seed_000_zkrs_observer_joins_a_java_ensemble_through_published_ports():
    from kazoo.client import KazooClient

    added = add_lb_addresses()
    ens = Compose(f"{D.RUN_ID}seedens", OBS_DIR / "ensemble.yml", {
        "ZK_IMAGE": D.JAVA_IMAGE,
        "ZK_JVMFLAGS": "-Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"})
    obs_project = f"{D.RUN_ID}seedobs"
    obs_port = 22180 + os.getpid() % 100
    obs = Compose(obs_project, OBS_DIR / "docker-compose.yaml",
                  {"ZKRS_IMAGE": D.ZKRS_IMAGE, "OBSERVER_PORT": f"{HOST}:{obs_port}"})

    def describe():
        out = []
        for s in ("zoo1", "zoo2", "zoo3"):
            out.append(f"--- {s}\n{D.container_logs(ens.container(s), 20)}")
        out.append(f"--- observer\n{D.container_logs(obs.container('zookeeper'), 40)}")
        return "\n".join(out)

    try:
        ens("up", "-d")
        members = {ip: 2181 for ip in LB_IPS}

        def quorum():
            ms = [str(D.srvr_mode(ip, p)) for ip, p in members.items()]
            return sorted(ms) == ["follower", "follower", "leader"] and ms

        D.wait_for(quorum, 120, "the Java ensemble", describe=describe)
        writer = KazooClient(hosts=",".join(f"{ip}:2181" for ip in LB_IPS), timeout=15)
        writer.start(timeout=30)
        writer.create("/seed000/before", b"written before the observer", makepath=True)

        # The seed's preparation of the observer's volume (myid 4, owned by uid 1000).
        vol = f"{obs_project}_data"
        D.docker("volume", "create", "--label", D.LABEL, vol)
        D.docker("run", "--rm", "--label", D.LABEL, "-v", f"{vol}:/v", "--entrypoint", "sh",
                 D.ZKRS_IMAGE, "-c",
                 "mkdir -p /v/data/version-2 /v/log/version-2 && echo 4 > /v/data/myid "
                 "&& chown -R 1000:1000 /v")
        obs("up", "-d")
        D.wait_for(lambda: D.srvr_mode(HOST, obs_port) == "observer", 90,
                   "the zkrs observer observing", describe=describe)
        # The observer is on another network: it cannot reach the members by name.
        cid = obs.container("zookeeper")
        r = D.exec_in(cid, "sh", "-c", "nslookup zoo1 >/dev/null 2>&1 && echo found || echo none")
        assert "none" in r.stdout, r.stdout

        reader = KazooClient(hosts=f"{HOST}:{obs_port}", timeout=15, read_only=False)
        reader.start(timeout=30)
        try:
            data, _ = reader.get("/seed000/before")
            assert data == b"written before the observer"
            for i in range(50):
                writer.create(f"/seed000/n{i:03d}", str(i).encode())
            reader.sync("/seed000")
            kids = reader.get_children("/seed000")
            assert len([k for k in kids if k.startswith("n")]) == 50, kids
            data, _ = reader.get("/seed000/n049")
            assert data == b"49"
            # A write through the observer is forwarded to the Java leader.
            reader.create("/seed000/via-observer", b"o")
            writer.sync("/seed000")
            assert writer.get("/seed000/via-observer")[0] == b"o"
            leader_ip = next(ip for ip in LB_IPS if D.srvr_mode(ip, 2181) == "leader")
            mntr = D.fourlw(leader_ip, 2181, "mntr")
            assert "zk_synced_observers\t1" in mntr, mntr
        finally:
            reader.stop()
            reader.close()
            writer.stop()
            writer.close()
    finally:
        obs.down()
        ens.down()
        for ip in added:
            subprocess.run(["ip", "addr", "del", f"{ip}/32", "dev", "lo"], check=False)
