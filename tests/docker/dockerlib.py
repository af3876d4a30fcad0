"""Docker helpers for the container tests (tests/docker): the images (a Debian bookworm base
made by debootstrap and `docker import`, the zkrs image from docker/Dockerfile, a Java
ZooKeeper 3.8 image from Debian's packages), containers, networks and 4lw probes.

Every container, network and volume a test makes carries the label `zkrs-test=<run id>` and a
name starting with `zkt-`; `cleanup()` removes them by label (never by image name), so a test
run never touches anything else on the engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("DOCKER_WORK") or ROOT / "target" / "docker")
ZKRS_EXE = Path(os.environ.get("ZKRS_EXE") or ROOT / "target" / "release" / "zkrs")
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
RUN_ID = os.environ.get("ZKT_RUN_ID") or f"{os.getpid()}"
LABEL = f"zkrs-test={RUN_ID}"

BASE_IMAGE = "zkrs-test/bookworm:latest"
ZKRS_IMAGE = "zkrs-test/zkrs:latest"
JAVA_IMAGE = "zkrs-test/zookeeper-java:3.8"


class DockerError(RuntimeError):
    pass


def run(args: list[str], timeout: float = 120, check: bool = True, input: bytes | None = None,
        env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Runs a command (bounded by `timeout`), capturing output as text."""
    try:
        cp = subprocess.run(args, input=input, capture_output=True, timeout=timeout,
                            env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise DockerError(f"timed out after {timeout:.0f} s: {' '.join(args)}") from e
    out = subprocess.CompletedProcess(args, cp.returncode,
                                      cp.stdout.decode("utf-8", "replace"),
                                      cp.stderr.decode("utf-8", "replace"))
    if check and cp.returncode != 0:
        raise DockerError(f"exit {cp.returncode}: {' '.join(args)}\n{out.stdout}\n{out.stderr}")
    return out


def docker(*args: str, timeout: float = 120, check: bool = True,
           input: bytes | None = None) -> subprocess.CompletedProcess:
    return run(["docker", *args], timeout=timeout, check=check, input=input)


def engine_available() -> bool:
    try:
        return run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=30,
                   check=False).returncode == 0
    except (OSError, DockerError):
        return False


def image_exists(ref: str) -> bool:
    return docker("image", "inspect", ref, check=False, timeout=30).returncode == 0


def image_label(ref: str, key: str) -> str | None:
    r = docker("image", "inspect", "--format", "{{json .Config.Labels}}", ref, check=False)
    if r.returncode != 0:
        return None
    labels = json.loads(r.stdout.strip() or "null") or {}
    return labels.get(key)


def image_size_bytes(ref: str) -> int:
    return int(docker("image", "inspect", "--format", "{{.Size}}", ref).stdout.strip())


def mirror_host_args() -> list[str]:
    """`--add-host` for the Debian mirror when the host resolves it through /etc/hosts (the
    containers do not see the host's /etc/hosts)."""
    host = MIRROR.split("://", 1)[-1].split("/", 1)[0]
    try:
        ip = socket.gethostbyname(host)
    except OSError:
        return []
    return ["--add-host", f"{host}:{ip}"]


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def build_base_image(log) -> None:
    """Debian bookworm (minbase plus busybox-static) from debootstrap, imported as BASE_IMAGE.
    Reused while it exists on the engine."""
    if image_exists(BASE_IMAGE):
        return
    rootfs = WORK / "rootfs-bookworm"
    if rootfs.exists():
        shutil.rmtree(rootfs)
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    log(f"debootstrap bookworm (minbase + busybox-static) from {MIRROR}")
    run(["debootstrap", "--variant=minbase", "--include=busybox-static", "bookworm",
         str(rootfs), MIRROR], timeout=900)
    # The container's resolver: Docker writes /etc/hosts and /etc/resolv.conf at run time.
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    try:
        r = subprocess.run(["docker", "import", "-", BASE_IMAGE], stdin=tar.stdout,
                           capture_output=True, timeout=600)
    finally:
        tar.stdout.close()
        tar.wait(timeout=600)
    if r.returncode != 0:
        raise DockerError(f"docker import failed: {r.stderr.decode()}")
    shutil.rmtree(rootfs)
    log(f"base image {BASE_IMAGE} in {time.monotonic() - t0:.0f} s")


def _stripped_binary(dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    run(["strip", "-o", str(dest), str(ZKRS_EXE)])


def build_zkrs_image(log) -> None:
    """docker/Dockerfile with the base image as the build stage and the release binary as
    prebuilt/zkrs (the only difference from a user's build: no cargo in the image)."""
    ctx = WORK / "zkrs-context"
    if ctx.exists():
        shutil.rmtree(ctx)
    shutil.copytree(ROOT / "docker", ctx / "docker",
                    ignore=shutil.ignore_patterns("compose", "kubernetes", "*.md"))
    _stripped_binary(ctx / "prebuilt" / "zkrs")
    digest = _digest([ctx / "prebuilt" / "zkrs", *sorted((ctx / "docker").iterdir())])
    if image_label(ZKRS_IMAGE, "zkrs-test.digest") == digest:
        return
    t0 = time.monotonic()
    docker("build", "-q", "-f", str(ctx / "docker" / "Dockerfile"),
           "--build-arg", f"BUILD_IMAGE={BASE_IMAGE}", "--label", f"zkrs-test.digest={digest}",
           "-t", ZKRS_IMAGE, str(ctx), timeout=900)
    log(f"zkrs image {ZKRS_IMAGE} in {time.monotonic() - t0:.0f} s "
        f"({image_size_bytes(ZKRS_IMAGE) / 1e6:.1f} MB)")


def build_java_image(log) -> None:
    """tests/docker/java/Dockerfile: Debian's ZooKeeper 3.8 and OpenJDK 17 JRE on the base."""
    ctx = WORK / "java-context"
    if ctx.exists():
        shutil.rmtree(ctx)
    shutil.copytree(ROOT / "tests" / "docker" / "java", ctx)
    _stripped_binary(ctx / "zkrs")
    digest = _digest(sorted(ctx.iterdir()))
    if image_label(JAVA_IMAGE, "zkrs-test.digest") == digest:
        return
    t0 = time.monotonic()
    docker("build", "-q", *mirror_host_args(), "--build-arg", f"BASE_IMAGE={BASE_IMAGE}",
           "--label", f"zkrs-test.digest={digest}", "-t", JAVA_IMAGE, str(ctx), timeout=1800)
    log(f"Java image {JAVA_IMAGE} in {time.monotonic() - t0:.0f} s "
        f"({image_size_bytes(JAVA_IMAGE) / 1e6:.1f} MB)")


def build_images(log) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    build_base_image(log)
    build_zkrs_image(log)
    build_java_image(log)


# ----------------------------------------------------------------------------- containers


def cleanup() -> None:
    """Removes every container, network and volume of this run (by label)."""
    ids = docker("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
    if ids:
        docker("rm", "-f", "-v", *ids, check=False, timeout=120)
    nets = docker("network", "ls", "-q", "--filter", f"label={LABEL}", check=False).stdout.split()
    for n in nets:
        docker("network", "rm", n, check=False)
    vols = docker("volume", "ls", "-q", "--filter", f"label={LABEL}", check=False).stdout.split()
    if vols:
        docker("volume", "rm", "-f", *vols, check=False)


def network_create(name: str, *extra: str) -> str:
    docker("network", "create", "--label", LABEL, *extra, name)
    return name


def volume_create(name: str) -> str:
    docker("volume", "create", "--label", LABEL, name)
    return name


def container_run(name: str, image: str, *args: str, env: dict | None = None,
                  network: str | None = None, aliases: tuple[str, ...] = (),
                  hostname: str | None = None, publish: tuple[str, ...] = (),
                  volumes: tuple[str, ...] = (), ip: str | None = None,
                  entrypoint: str | None = None, user: str | None = None,
                  extra: tuple[str, ...] = ()) -> str:
    cmd = ["run", "-d", "--name", name, "--label", LABEL]
    for k, v in (env or {}).items():
        cmd += ["-e", f"{k}={v}"]
    if network:
        cmd += ["--network", network]
        for a in aliases:
            cmd += ["--network-alias", a]
        if ip:
            cmd += ["--ip", ip]
    if hostname:
        cmd += ["--hostname", hostname]
    for p in publish:
        cmd += ["-p", p]
    for v in volumes:
        cmd += ["-v", v]
    if entrypoint is not None:
        cmd += ["--entrypoint", entrypoint]
    if user is not None:
        cmd += ["--user", user]
    cmd += [*extra, image, *args]
    docker(*cmd, timeout=120)
    return name


def container_ip(name: str, network: str) -> str:
    fmt = "{{json .NetworkSettings.Networks}}"
    nets = json.loads(docker("inspect", "--format", fmt, name).stdout)
    return nets[network]["IPAddress"]


def container_running(name: str) -> bool:
    r = docker("inspect", "--format", "{{.State.Running}}", name, check=False)
    return r.stdout.strip() == "true"


def container_logs(name: str, tail: int = 60) -> str:
    r = docker("logs", "--tail", str(tail), name, check=False, timeout=30)
    return r.stdout + r.stderr


def host_port(name: str, port: int) -> int:
    out = docker("port", name, f"{port}/tcp").stdout.strip().splitlines()[0]
    return int(out.rsplit(":", 1)[1])


def exec_in(name: str, *cmd: str, timeout: float = 30, check: bool = False,
            user: str | None = None, input: bytes | None = None) -> subprocess.CompletedProcess:
    args = ["exec"]
    if input is not None:
        args.append("-i")
    if user:
        args += ["--user", user]
    return docker(*args, name, *cmd, timeout=timeout, check=check, input=input)


# ----------------------------------------------------------------------------- probes


def fourlw(host: str, port: int, cmd: str, timeout: float = 2.0) -> str:
    """A four-letter word; '' when the member does not answer."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(cmd.encode())
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return ""


def srvr_mode(host: str, port: int, timeout: float = 2.0) -> str | None:
    for line in fourlw(host, port, "srvr", timeout).splitlines():
        if line.startswith("Mode: "):
            return line[6:].strip()
    return None


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25, describe=None):
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() >= deadline:
            extra = ("\n" + describe()) if describe else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{extra}")
        time.sleep(interval)


def temp_dir(prefix: str) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=WORK))
