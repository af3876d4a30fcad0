"""docker/compose/ensemble.yml (the official image's compose example with the zkrs image): the
3-member ensemble comes up; a client writes through every member while the leader is killed
(`docker kill`) and restarted, and while the leader and then a follower are cut off
(`docker network disconnect`); no acknowledged write is lost and every member ends with the
same znodes."""

from __future__ import annotations

import os
import threading
import time

import dockerlib as D

HOST = "127.0.0.1"
COMPOSE_FILE = D.ROOT / "docker" / "compose" / "ensemble.yml"


class Compose:
    def __init__(self, project: str, file, env: dict):
        self.project, self.file = project, file
        self.env = {**os.environ, **env}

    def __call__(self, *args: str, timeout: float = 180, check: bool = True):
        return D.run(["docker-compose", "-p", self.project, "-f", str(self.file), *args],
                     timeout=timeout, check=check, env=self.env)

    def container(self, service: str) -> str:
        return self("ps", "-q", service).stdout.strip()

    def down(self):
        self("down", "-v", "--remove-orphans", "-t", "5", check=False)


class Writer(threading.Thread):
    """Creates /w/<n> through each member in turn; a create that returns is acknowledged."""

    def __init__(self, ports: list[int]):
        super().__init__(daemon=True)
        from kazoo.client import KazooClient
        from kazoo.retry import KazooRetry
        self.clients = []
        for p in ports:
            c = KazooClient(hosts=f"{HOST}:{p}", timeout=10,
                            connection_retry=KazooRetry(max_tries=-1, max_delay=1))
            c.start(timeout=30)
            self.clients.append(c)
        self.clients[0].ensure_path("/w")
        self.acked: list[str] = []
        self.failed = 0
        self.stop_flag = threading.Event()

    def run(self):
        n = 0
        while not self.stop_flag.is_set() and n < 100000:
            c = self.clients[n % len(self.clients)]
            path = f"/w/{n:06d}"
            n += 1
            if not c.connected:
                time.sleep(0.02)
                continue
            try:
                c.create(path, b"x")
                self.acked.append(path)
            except Exception:  # noqa: BLE001 - unacknowledged: may or may not be there
                self.failed += 1
                time.sleep(0.05)

    def count(self) -> int:
        return len(self.acked)

    def stop(self):
        self.stop_flag.set()
        self.join(timeout=30)
        for c in self.clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001
                pass


def modes(ports: dict[str, int]) -> dict[str, str | None]:
    return {s: D.srvr_mode(HOST, p) for s, p in ports.items()}


def leader_of(ports: dict[str, int], among=None) -> str | None:
    ms = modes(ports)
    among = among or list(ports)
    leaders = [s for s in among if ms.get(s) == "leader"]
    followers = [s for s in among if ms.get(s) == "follower"]
    if len(leaders) == 1 and len(followers) == len(among) - 1:
        return leaders[0]
    return None


def test_compose_ensemble_kill_and_partitions():
    base = 21810 + (os.getpid() % 50) * 3
    ports = {"zoo1": base, "zoo2": base + 1, "zoo3": base + 2}
    compose = Compose(f"{D.RUN_ID}ens", COMPOSE_FILE, {
        "ZKRS_IMAGE": D.ZKRS_IMAGE, "ZOO1_PORT": f"{HOST}:{ports['zoo1']}",
        "ZOO2_PORT": f"{HOST}:{ports['zoo2']}", "ZOO3_PORT": f"{HOST}:{ports['zoo3']}"})
    describe = lambda: "\n".join(  # noqa: E731
        f"--- {s}: {modes(ports).get(s)}\n{D.container_logs(compose.container(s), 25)}"
        for s in ports)
    writer = None
    try:
        compose("up", "-d")
        leader = D.wait_for(lambda: leader_of(ports), 90, "a leader and two followers",
                            describe=describe)
        leaders = [leader]
        net = f"{D.RUN_ID}ens_default"
        writer = Writer(list(ports.values()))
        writer.start()
        D.wait_for(lambda: writer.count() >= 60, 60, "writes through every member")

        # 1. kill -9 of the leader: the two others elect, writes go on; it comes back.
        compose_leader = compose.container(leader)
        D.docker("kill", compose_leader)
        rest = [s for s in ports if s != leader]
        leaders.append(D.wait_for(lambda: leader_of(ports, rest), 60, "re-election after kill",
                                  describe=describe))
        n = writer.count()
        D.wait_for(lambda: writer.count() >= n + 40, 60, "writes after the kill")
        D.docker("start", compose_leader)
        D.wait_for(lambda: leader_of(ports), 90, "the killed member back", describe=describe)

        # 2. the leader cut off from the network: the majority elects and serves writes.
        leader = leader_of(ports)
        cid = compose.container(leader)
        D.docker("network", "disconnect", net, cid)
        rest = [s for s in ports if s != leader]
        leaders.append(D.wait_for(lambda: leader_of(ports, rest), 60, "a leader in the majority",
                                  describe=describe))
        n = writer.count()
        D.wait_for(lambda: writer.count() >= n + 40, 60, "writes in the majority")
        D.docker("network", "connect", "--alias", leader, net, cid)
        D.wait_for(lambda: leader_of(ports), 90, "the partition healed", describe=describe)

        # 3. a follower cut off (a minority of one): writes go on without it.
        follower = next(s for s, m in modes(ports).items() if m == "follower")
        cid = compose.container(follower)
        D.docker("network", "disconnect", net, cid)
        n = writer.count()
        D.wait_for(lambda: writer.count() >= n + 40, 60, "writes without the follower")
        D.docker("network", "connect", "--alias", follower, net, cid)
        D.wait_for(lambda: leader_of(ports), 90, "the follower back", describe=describe)
        n = writer.count()
        D.wait_for(lambda: writer.count() >= n + 30, 60, "writes at the end")
        writer.stop()

        # Every acknowledged create is on every member, and the members agree.
        from kazoo.client import KazooClient
        trees = {}
        for s, p in ports.items():
            c = KazooClient(hosts=f"{HOST}:{p}", timeout=10)
            c.start(timeout=30)
            try:
                c.sync("/w")
                trees[s] = set(c.get_children("/w"))
            finally:
                c.stop()
                c.close()
        acked = {p.rsplit("/", 1)[1] for p in writer.acked}
        for s, kids in trees.items():
            lost = acked - kids
            assert not lost, f"{s} lost {len(lost)} acknowledged writes: {sorted(lost)[:10]}"
        assert trees["zoo1"] == trees["zoo2"] == trees["zoo3"]
        print(f"acknowledged {len(acked)} creates ({writer.failed} failed during faults); "
              f"leaders {' -> '.join(leaders)} (kill, then partition); 0 lost")
    finally:
        if writer is not None and writer.is_alive():
            writer.stop()
        compose.down()
