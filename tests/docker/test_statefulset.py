"""StatefulSets run with containers as their manifests describe them (k8s_emulator.py): the
Kubernetes tutorial's manifest (seed 001) with only the image changed, rolled from Java
ZooKeeper 3.8 to zkrs pod by pod (2, 1, 0) with a client connected throughout, and a pod lost
and recreated with a new IP; deploy/kubernetes/zookeeper.yaml (zkrs's own) up, a pod lost,
scaled 3 -> 5 -> 3 by `replicas` alone. No acknowledged write may be lost."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

import dockerlib as D
import k8s_emulator as K

TUTORIAL = D.ROOT / "tests" / "docker" / "k8s" / "tutorial-zookeeper.yaml"
INCUBATOR = D.ROOT / "tests" / "docker" / "k8s" / "incubator-zookeeper.yaml"
OURS = D.ROOT / "deploy" / "kubernetes" / "zookeeper.yaml"


def subnet(n: int) -> str:
    return f"172.30.{(os.getpid() + n) % 200 + 20}."


class Writer(threading.Thread):
    """One kazoo session through the client Service for the whole test; creates /sts/<n>."""

    def __init__(self, address: str):
        super().__init__(daemon=True)
        from kazoo.client import KazooClient
        from kazoo.retry import KazooRetry
        self.client = KazooClient(hosts=address, timeout=20,
                                  connection_retry=KazooRetry(max_tries=-1, max_delay=1))
        self.states: list[str] = []
        self.client.add_listener(lambda s: self.states.append(str(s)))
        self.client.start(timeout=60)
        self.session_id = self.client.client_id[0]
        self.client.ensure_path("/sts")
        self.acked: list[str] = []
        self.failed = 0
        self.stop_flag = threading.Event()

    def run(self):
        n = 0
        while not self.stop_flag.is_set() and n < 200000:
            path = f"/sts/{n:06d}"
            n += 1
            if not self.client.connected:
                time.sleep(0.05)
                continue
            try:
                self.client.create(path, b"x")
                self.acked.append(path)
            except Exception:  # noqa: BLE001 - not acknowledged
                self.failed += 1
                time.sleep(0.05)
            time.sleep(0.01)

    def progress(self, more: int, timeout: float = 60):
        n = len(self.acked)
        D.wait_for(lambda: len(self.acked) >= n + more, timeout, f"{more} more writes")

    def stop(self):
        self.stop_flag.set()
        self.join(timeout=30)
        self.client.stop()
        self.client.close()


def check_no_loss(sts: K.StatefulSet, writer: Writer, port: int = 2181) -> int:
    from kazoo.client import KazooClient
    acked = {p.rsplit("/", 1)[1] for p in writer.acked}
    trees = {}
    for i, pod in sorted(sts.pods.items()):
        c = KazooClient(hosts=f"{pod.ip}:{port}", timeout=15)
        c.start(timeout=30)
        try:
            c.sync("/sts")
            trees[pod.name] = set(c.get_children("/sts"))
        finally:
            c.stop()
            c.close()
        lost = acked - trees[pod.name]
        assert not lost, f"{pod.name} lost {len(lost)} acknowledged writes"
    assert len({frozenset(t) for t in trees.values()}) == 1, "members differ"
    return len(acked)


def modes(sts: K.StatefulSet) -> dict[str, str | None]:
    return {p.name: D.srvr_mode(p.ip, 2181) for _, p in sorted(sts.pods.items())}


def quorum(sts: K.StatefulSet) -> bool:
    ms = list(modes(sts).values())
    return ms.count("leader") == 1 and ms.count("follower") == len(ms) - 1


def voters(sts: K.StatefulSet) -> list[str]:
    from kazoo.client import KazooClient
    pod = next(p for p in sts.pods.values() if p.ready)
    c = KazooClient(hosts=f"{pod.ip}:2181", timeout=15)
    c.start(timeout=30)
    try:
        c.sync("/zookeeper/config")
        text = c.get("/zookeeper/config")[0].decode()
    finally:
        c.stop()
        c.close()
    return sorted(ln.split("=", 1)[0] for ln in text.splitlines()
                  if ln.startswith("server.") and ":participant" in ln)


def test_tutorial_manifest_java_to_zkrs_rolling_update():
    net = f"zkt-k8s-tut-{D.RUN_ID}"
    sts = K.StatefulSet(K.load_manifest(TUTORIAL), net, subnet(0), image=D.JAVA_IMAGE)
    sts.create_network()
    svc = writer = None
    try:
        sts.up(timeout=180)
        D.wait_for(lambda: quorum(sts), 90, "a Java quorum", describe=sts.describe)
        svc = K.ServiceProxy(sts, 2181)
        writer = Writer(f"127.0.0.1:{svc.port}")
        writer.start()
        writer.progress(50)

        kinds = []

        def after(i: int):
            D.wait_for(lambda: quorum(sts), 90, f"quorum after zk-{i} rolled",
                       describe=sts.describe)
            writer.progress(30)
            kinds.append(f"zk-{i}")

        sts.rolling_update(D.ZKRS_IMAGE, timeout=180, between=after)
        assert kinds == ["zk-2", "zk-1", "zk-0"]
        assert all(p.container["image"] == D.ZKRS_IMAGE for p in sts.pods.values())
        # A pod lost (no grace) and recreated by the controller: same volume, new address.
        old_ip = sts.pods[1].ip
        pod = sts.delete_pod(1, grace=False)
        assert pod.ip != old_ip
        D.wait_for(lambda: quorum(sts), 90, "quorum after zk-1 came back", describe=sts.describe)
        writer.progress(30)
        assert writer.client.client_id[0] == writer.session_id, "the session changed"
        writer.stop()
        n = check_no_loss(sts, writer)
        print(f"Java -> zkrs by pods 2, 1, 0 and zk-1 lost: {n} acknowledged creates through "
              f"the Service, {writer.failed} failed during the changes, 0 lost, one session "
              f"(states {writer.states})")
    finally:
        if writer is not None and writer.is_alive():
            writer.stop()
        if svc is not None:
            svc.close()
        sts.teardown()


def test_zkrs_manifest_scales_by_replicas_alone():
    net = f"zkt-k8s-own-{D.RUN_ID}"
    sts = K.StatefulSet(K.load_manifest(OURS), net, subnet(1), image=D.ZKRS_IMAGE)
    sts.create_network()
    svc = writer = None
    try:
        sts.up(timeout=120)
        D.wait_for(lambda: quorum(sts), 60, "a quorum", describe=sts.describe)
        assert voters(sts) == ["server.1", "server.2", "server.3"]
        svc = K.ServiceProxy(sts, 2181)
        writer = Writer(f"127.0.0.1:{svc.port}")
        writer.start()
        writer.progress(50)

        old_ip = sts.pods[0].ip
        pod = sts.delete_pod(0, grace=False)
        assert pod.ip != old_ip
        D.wait_for(lambda: quorum(sts), 60, "quorum after zk-0 came back", describe=sts.describe)
        writer.progress(30)

        t0 = time.monotonic()
        sts.scale(5, timeout=120)
        D.wait_for(lambda: voters(sts) == [f"server.{i}" for i in range(1, 6)], 60,
                   "5 voters", describe=sts.describe)
        D.wait_for(lambda: quorum(sts), 60, "a quorum of 5", describe=sts.describe)
        up_s = time.monotonic() - t0
        writer.progress(30)

        t0 = time.monotonic()
        sts.scale(3, timeout=120)
        D.wait_for(lambda: voters(sts) == ["server.1", "server.2", "server.3"], 60,
                   "3 voters again", describe=sts.describe)
        D.wait_for(lambda: quorum(sts), 60, "a quorum of 3", describe=sts.describe)
        down_s = time.monotonic() - t0
        writer.progress(30)
        writer.stop()
        n = check_no_loss(sts, writer)
        print(f"3 -> 5 in {up_s:.1f} s, 5 -> 3 in {down_s:.1f} s; {n} acknowledged creates, "
              f"{writer.failed} failed during the changes, 0 lost")
    finally:
        if writer is not None and writer.is_alive():
            writer.stop()
        if svc is not None:
            svc.close()
        sts.teardown()


def test_incubator_chart_manifest_with_the_zkrs_image():
    """Seed 003: the incubator chart's StatefulSet (k8szk image: `sh -c "zkGenConfig.sh &&
    exec zkServer.sh start-foreground"`, zkOk.sh probes, OrderedReady) with the zkrs image, and
    the seed's commands: zkCli.sh in /opt/zookeeper/bin one-shot, zkMetrics.sh."""
    net = f"zkt-k8s-inc-{D.RUN_ID}"
    sts = K.StatefulSet(K.load_manifest(INCUBATOR), net, subnet(2), image=D.ZKRS_IMAGE)
    sts.create_network()
    try:
        sts.up(timeout=150)
        D.wait_for(lambda: quorum(sts), 60, "a quorum", describe=sts.describe)
        pod = sts.pods[0].name
        cfg = D.exec_in(pod, "cat", "/opt/zookeeper/conf/zoo.cfg", check=True).stdout
        assert "server.3=myzk-zookeeper-2.myzk-zookeeper-headless.default.svc.cluster.local" \
            ":2888:3888" in cfg, cfg
        r = D.exec_in(pod, "/opt/zookeeper/bin/zkCli.sh", "create", "/foo", "bar")
        assert "Created /foo" in r.stdout + r.stderr, r.stdout + r.stderr
        r = D.exec_in(sts.pods[2].name, "/opt/zookeeper/bin/zkCli.sh", "get", "/foo")
        assert "bar" in r.stdout.splitlines(), r.stdout + r.stderr
        r = D.exec_in(pod, "zkMetrics.sh")
        assert "zk_server_state" in r.stdout and "zk_znode_count" in r.stdout, r.stdout
        r = D.exec_in(pod, "zkServer.sh", "status")
        assert r.returncode == 0 and "Mode: " in r.stdout, (r.stdout, r.stderr)
    finally:
        sts.teardown()


@pytest.mark.parametrize("manifest", [OURS, TUTORIAL, INCUBATOR],
                         ids=["zkrs", "tutorial", "incubator"])
def test_manifests_validate_against_kubernetes_schemas(manifest):
    """kubernetes-validate (PyPI) with --strict: every resource against Kubernetes' schemas,
    unknown fields rejected."""
    exe = os.path.join(os.path.dirname(sys.executable), "kubernetes-validate")
    r = D.run([exe, "--strict", str(manifest)], check=False, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "passed for resource statefulset/" in r.stdout + r.stderr
