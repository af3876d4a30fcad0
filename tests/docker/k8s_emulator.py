"""A StatefulSet run with containers exactly as its manifest describes it, for tests on a
machine without Kubernetes: what the API server, the StatefulSet controller, the kubelet and
cluster DNS would do, reduced to what a ZooKeeper ensemble can observe.

- Pods: one container per ordinal, named and hostnamed `<sts>-<i>` with the domain
  `<serviceName>.<ns>.svc.<domain>` (Docker writes /etc/hosts as the kubelet does:
  `<ip> <fqdn> <short>`), on one network; each gets a fresh IP from the network's range, so
  a recreated pod comes back with a new address.
- DNS: per-pod names `<pod>.<serviceName>.<ns>.svc.<domain>` are network aliases (present while
  the pod exists, as with `publishNotReadyAddresses: true`); every other Service selecting the
  pods is an alias `<svc>` and `<svc>.<ns>.svc.<domain>` on each pod (Docker's DNS round-robins
  over them; unlike kube-proxy it also answers with pods that are not ready).
- Storage: each volumeClaimTemplate is one Docker volume per ordinal (`<claim>-<sts>-<i>`),
  kept when a pod is deleted, as a PVC is; fsGroup is applied to it (group and setgid bit)
  before the first pod mounts it (`subPath` is not emulated: the volume's root is mounted).
  ConfigMaps feed `envFrom`/`env.valueFrom`; secret and configMap volumes are files.
- Container: `command` replaces the image's entrypoint and `args` its command; env and envFrom;
  securityContext runAsUser/runAsGroup (fsGroup as a supplementary group).
- Probes: exec (`docker exec`, timeoutSeconds), httpGet (from the host to the pod's IP) and
  tcpSocket, with initialDelaySeconds, periodSeconds, failureThreshold; liveness failures
  restart the container, as the kubelet does.
- Controller: podManagementPolicy OrderedReady (create in order, each after the previous is
  Running and Ready; delete in reverse order) or Parallel; RollingUpdate from the highest
  ordinal down, each pod deleted, recreated from the new template and Ready before the next;
  pod deletion runs the preStop hook, then SIGTERM with terminationGracePeriodSeconds.
"""

from __future__ import annotations

import copy
import shlex
import threading
import time
import urllib.request

import yaml

import dockerlib as D


def load_manifest(path) -> list[dict]:
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


class Pod:
    def __init__(self, sts: "StatefulSet", ordinal: int, template: dict, ip: str):
        self.sts, self.ordinal, self.template, self.ip = sts, ordinal, template, ip
        self.name = f"{sts.name}-{ordinal}"
        self.ready = False
        self.live_failures = 0
        self.restarts = 0
        self.stop_probes = threading.Event()
        self.probe_thread: threading.Thread | None = None
        self.probe_log: list[str] = []

    @property
    def container(self) -> dict:
        return self.template["spec"]["containers"][0]

    # -------------------------------------------------------------- probes

    def _probe(self, probe: dict) -> bool:
        timeout = probe.get("timeoutSeconds", 1)
        if "exec" in probe:
            try:
                r = D.exec_in(self.name, *probe["exec"]["command"], timeout=timeout + 5)
            except D.DockerError:
                return False
            return r.returncode == 0
        if "httpGet" in probe:
            g = probe["httpGet"]
            port = self._port(g["port"])
            try:
                with urllib.request.urlopen(f"http://{self.ip}:{port}{g.get('path', '/')}",
                                            timeout=timeout) as r:
                    return 200 <= r.status < 400
            except Exception:  # noqa: BLE001 - HTTPError (>= 400) and connection errors
                return False
        if "tcpSocket" in probe:
            import socket
            try:
                with socket.create_connection((self.ip, self._port(probe["tcpSocket"]["port"])),
                                              timeout=timeout):
                    return True
            except OSError:
                return False
        raise ValueError(f"unsupported probe {probe}")

    def _port(self, port) -> int:
        if isinstance(port, int):
            return port
        for p in self.container.get("ports", []):
            if p.get("name") == port:
                return p["containerPort"]
        raise ValueError(f"no container port named {port}")

    def _probe_loop(self):
        c = self.container
        ready_p, live_p = c.get("readinessProbe"), c.get("livenessProbe")
        started = time.monotonic()
        next_ready = started + (ready_p or {}).get("initialDelaySeconds", 0)
        next_live = started + (live_p or {}).get("initialDelaySeconds", 0)
        ready_fail = 0
        while not self.stop_probes.is_set():
            now = time.monotonic()
            if ready_p is None:
                self.ready = D.container_running(self.name)
            elif now >= next_ready:
                ok = self._probe(ready_p)
                if ok:
                    ready_fail = 0
                    self.ready = True
                else:
                    ready_fail += 1
                    if ready_fail >= ready_p.get("failureThreshold", 3) or not self.ready:
                        self.ready = False
                next_ready = time.monotonic() + ready_p.get("periodSeconds", 10)
            if live_p is not None and time.monotonic() >= next_live:
                if self._probe(live_p):
                    self.live_failures = 0
                else:
                    self.live_failures += 1
                    if self.live_failures >= live_p.get("failureThreshold", 3):
                        self.probe_log.append(f"{time.strftime('%T')} liveness failed: restart")
                        self.restarts += 1
                        self.ready = False
                        D.docker("restart", "-t", "10", self.name, check=False, timeout=60)
                        self.live_failures = 0
                        started = time.monotonic()
                        next_ready = started + (ready_p or {}).get("initialDelaySeconds", 0)
                        next_live = started + live_p.get("initialDelaySeconds", 0)
                        continue
                next_live = time.monotonic() + live_p.get("periodSeconds", 10)
            self.stop_probes.wait(0.2)

    # -------------------------------------------------------------- lifecycle

    def create(self):
        sts, c = self.sts, self.container
        spec = self.template["spec"]
        sec = spec.get("securityContext", {}) or {}
        csec = c.get("securityContext", {}) or {}
        uid = csec.get("runAsUser", sec.get("runAsUser"))
        gid = csec.get("runAsGroup", sec.get("runAsGroup"))
        fs_group = sec.get("fsGroup")
        env = {}
        for src in c.get("envFrom", []):
            env.update(sts.config_maps[src["configMapRef"]["name"]])
        for e in c.get("env", []):
            if "value" in e:
                env[e["name"]] = str(e["value"])
            elif "configMapKeyRef" in e.get("valueFrom", {}):
                ref = e["valueFrom"]["configMapKeyRef"]
                env[e["name"]] = sts.config_maps[ref["name"]][ref["key"]]
            elif "fieldRef" in e.get("valueFrom", {}):
                field = e["valueFrom"]["fieldRef"]["fieldPath"]
                env[e["name"]] = {"metadata.name": self.name, "metadata.namespace": sts.ns,
                                  "status.podIP": self.ip}[field]
        volumes = []
        pod_volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for m in c.get("volumeMounts", []):
            ro = ":ro" if m.get("readOnly") else ""
            if m["name"] in pod_volumes:
                src = sts.projected_volume(pod_volumes[m["name"]], fs_group)
            else:
                src = sts.volume_for(m["name"], self.ordinal, fs_group)
            volumes.append(f"{src}:{m['mountPath']}{ro}")
        fqdn_domain = f"{sts.service_name}.{sts.ns}.svc.{sts.domain}"
        aliases = [f"{self.name}.{fqdn_domain}"]
        for svc in sts.client_services:
            aliases += [svc, f"{svc}.{sts.ns}.svc.{sts.domain}"]
        extra = ["--domainname", fqdn_domain]
        if fs_group is not None:
            extra += ["--group-add", str(fs_group)]
        user = None
        if uid is not None:
            user = f"{uid}:{gid if gid is not None else 0}"
        command, args = c.get("command"), c.get("args")
        entrypoint = None
        cmd_args: list[str] = []
        if command:
            entrypoint = command[0]
            cmd_args = list(command[1:]) + list(args or [])
        elif args:
            cmd_args = list(args)
        D.container_run(self.name, c["image"], *cmd_args, env=env, network=sts.network,
                        aliases=tuple(aliases), hostname=self.name, ip=self.ip,
                        volumes=tuple(volumes), entrypoint=entrypoint, user=user,
                        extra=tuple(extra))
        self.probe_thread = threading.Thread(target=self._probe_loop, daemon=True)
        self.probe_thread.start()

    def delete(self, grace: bool = True):
        """Deletes the pod: preStop, then SIGTERM and the grace period (or at once)."""
        self.stop_probes.set()
        if self.probe_thread is not None:
            self.probe_thread.join(timeout=30)
        spec = self.template["spec"]
        grace_s = spec.get("terminationGracePeriodSeconds", 30)
        if grace:
            pre = self.container.get("lifecycle", {}).get("preStop", {})
            if "exec" in pre and D.container_running(self.name):
                t0 = time.monotonic()
                r = D.exec_in(self.name, *pre["exec"]["command"], timeout=grace_s + 5)
                self.probe_log.append(f"preStop exit {r.returncode} in "
                                      f"{time.monotonic() - t0:.1f} s: {r.stdout}{r.stderr}")
                print(f"[k8s] {self.name} {self.probe_log[-1]}", flush=True)
                grace_s = max(2, grace_s - int(time.monotonic() - t0))
            D.docker("stop", "-t", str(grace_s), self.name, check=False, timeout=grace_s + 30)
        # -v: the image's anonymous volumes go with the container (the claims are named).
        D.docker("rm", "-f", "-v", self.name, check=False, timeout=60)
        self.ready = False


class StatefulSet:
    def __init__(self, manifest: list[dict], network: str, subnet_prefix: str,
                 image: str | None = None, ns: str = "default", domain: str = "cluster.local"):
        self.docs = manifest
        sts = next(d for d in manifest if d["kind"] == "StatefulSet")
        self.spec = sts["spec"]
        self.name = sts["metadata"]["name"]
        self.ns, self.domain = ns, domain
        self.service_name = self.spec["serviceName"]
        self.replicas = self.spec.get("replicas", 1)
        self.policy = self.spec.get("podManagementPolicy", "OrderedReady")
        self.template = copy.deepcopy(self.spec["template"])
        if image:
            self.template["spec"]["containers"][0]["image"] = image
        labels = self.template["metadata"].get("labels", {})
        self.client_services = [
            d["metadata"]["name"] for d in manifest
            if d["kind"] == "Service" and d["metadata"]["name"] != self.service_name
            and all(labels.get(k) == v for k, v in d["spec"].get("selector", {}).items())]
        self.config_maps = {d["metadata"]["name"]: d.get("data", {}) for d in manifest
                            if d["kind"] == "ConfigMap"}
        self.secrets = {}
        for d in manifest:
            if d["kind"] == "Secret":
                import base64
                data = {k: base64.b64decode(v).decode() for k, v in d.get("data", {}).items()}
                data.update(d.get("stringData", {}))
                self.secrets[d["metadata"]["name"]] = data
        self.claims = {t["metadata"]["name"] for t in self.spec.get("volumeClaimTemplates", [])}
        self.network = network
        self.subnet_prefix = subnet_prefix  # e.g. "172.30.5." (a /24)
        self.next_host = 10
        self.pods: dict[int, Pod] = {}
        self.volumes: set[str] = set()

    # -------------------------------------------------------------- resources

    def create_network(self):
        D.network_create(self.network, "--subnet", f"{self.subnet_prefix}0/24")

    def fresh_ip(self) -> str:
        self.next_host += 1
        if self.next_host > 250:
            raise RuntimeError("out of pod addresses")
        return f"{self.subnet_prefix}{self.next_host}"

    def volume_for(self, claim: str, ordinal: int, fs_group) -> str:
        if claim not in self.claims:
            raise ValueError(f"volume {claim} is not a volumeClaimTemplate")
        name = f"{claim}-{self.name}-{ordinal}-{D.RUN_ID}"
        if name not in self.volumes:
            D.volume_create(name)
            self.volumes.add(name)
            if fs_group is not None:
                # What the kubelet does for fsGroup: the group owns the volume, setgid dirs.
                D.docker("run", "--rm", "--label", D.LABEL, "-v", f"{name}:/v", "--entrypoint",
                         "sh", D.ZKRS_IMAGE, "-c",
                         f"chgrp -R {fs_group} /v && chmod -R g+rwX /v && chmod g+s /v",
                         timeout=60)
        return name

    def projected_volume(self, vol: dict, fs_group) -> str:
        """A secret or configMap volume: its keys as files in a host directory, mode
        defaultMode, group fsGroup (as the kubelet projects them)."""
        import os
        if "secret" in vol:
            data, mode = self.secrets[vol["secret"]["secretName"]], vol["secret"]
        elif "configMap" in vol:
            data, mode = self.config_maps[vol["configMap"]["name"]], vol["configMap"]
        else:
            raise ValueError(f"unsupported volume {vol}")
        d = D.temp_dir(f"vol-{vol['name']}-")
        os.chmod(d, 0o755)
        for k, v in data.items():
            f = d / k
            f.write_text(v)
            if fs_group is not None:
                os.chown(f, 0, int(fs_group))
            os.chmod(f, mode.get("defaultMode", 0o644))
        return str(d)

    # -------------------------------------------------------------- controller

    def create_pod(self, i: int) -> Pod:
        pod = Pod(self, i, copy.deepcopy(self.template), self.fresh_ip())
        self.pods[i] = pod
        pod.create()
        return pod

    def wait_ready(self, pods, timeout: float = 120, describe=None):
        pods = list(pods)
        D.wait_for(lambda: all(p.ready for p in pods), timeout,
                   "pods ready: " + ", ".join(p.name for p in pods), interval=0.5,
                   describe=describe or self.describe)

    def up(self, timeout: float = 180):
        """Creates replicas pods as the controller would."""
        self.scale(self.replicas, timeout)

    def scale(self, replicas: int, timeout: float = 180):
        self.replicas = replicas
        missing = [i for i in range(replicas) if i not in self.pods]
        extra = sorted((i for i in self.pods if i >= replicas), reverse=True)
        if self.policy == "Parallel":
            new = [self.create_pod(i) for i in missing]
            threads = [threading.Thread(target=self.pods[i].delete) for i in extra]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=timeout)
            for i in extra:
                del self.pods[i]
            self.wait_ready(new, timeout)
        else:
            for i in missing:
                pod = self.create_pod(i)
                self.wait_ready([pod], timeout)
            for i in extra:
                self.pods.pop(i).delete()

    def delete_pod(self, i: int, timeout: float = 180, grace: bool = True) -> Pod:
        """`kubectl delete pod`: the controller recreates it (same volume, new IP)."""
        self.pods.pop(i).delete(grace=grace)
        pod = self.create_pod(i)
        self.wait_ready([pod], timeout)
        return pod

    def rolling_update(self, image: str, timeout: float = 180, between=None):
        """A new template (only the image changes): pods replaced from the highest ordinal
        down, each Ready before the next (RollingUpdate, partition 0)."""
        self.template["spec"]["containers"][0]["image"] = image
        for i in sorted(self.pods, reverse=True):
            self.delete_pod(i, timeout)
            if between is not None:
                between(i)

    def describe(self) -> str:
        out = []
        for i, p in sorted(self.pods.items()):
            out.append(f"--- {p.name} ip={p.ip} ready={p.ready} restarts={p.restarts} "
                       f"image={p.container['image']} {p.probe_log[-3:]}")
            out.append(D.container_logs(p.name, 25))
        return "\n".join(out)

    def teardown(self):
        for p in list(self.pods.values()):
            p.stop_probes.set()
        for p in list(self.pods.values()):
            D.docker("rm", "-f", "-v", p.name, check=False)
        self.pods.clear()


def shell_words(cmd: str) -> list[str]:
    return shlex.split(cmd)


class ServiceProxy:
    """A ClusterIP Service as kube-proxy makes it: a stable address on the host
    (127.0.0.1:<port>) whose connections go to the Service's port on a Ready pod, round
    robin; the endpoints follow the pods' readiness and addresses."""

    def __init__(self, sts: StatefulSet, target_port: int):
        import socket
        self.sts, self.target_port = sts, target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.rr = 0
        self.conns: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def endpoints(self) -> list[str]:
        return [p.ip for _, p in sorted(self.sts.pods.items()) if p.ready]

    def _accept(self):
        import socket
        self.listener.settimeout(0.5)
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                continue
            eps = self.endpoints()
            if not eps:
                client.close()
                continue
            self.rr += 1
            ip = eps[self.rr % len(eps)]
            try:
                upstream = socket.create_connection((ip, self.target_port), timeout=3)
            except OSError:
                client.close()
                continue
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        import socket
        src.settimeout(None)
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                dst.sendall(b)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.stopped.set()
        self.listener.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass
