"""Curator checks written in Java (tests/quorum/Curator*.java), compiled once per run against
Debian's Curator 5.4 and ZooKeeper jars, and run as a child process (by pid, bounded)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import ensemble as E

JAVA_DIR = "/usr/share/java"
CURATOR_CP = ":".join(f"{JAVA_DIR}/{j}" for j in (
    "curator-recipes.jar", "curator-framework.jar", "curator-client.jar", "zookeeper.jar",
    "zookeeper-jute.jar", "guava.jar", "slf4j-api.jar", "slf4j-nop.jar", "netty-handler.jar",
    "netty-transport.jar", "netty-common.jar", "netty-buffer.jar", "netty-resolver.jar",
    "netty-codec.jar", "netty-transport-native-epoll.jar"))


def classes(name: str) -> Path:
    """Compiles tests/quorum/<name>.java once per run; skips without javac or the jars."""
    out = E.WORK_ROOT / f"curator-classes-{name}"
    if (out / f"{name}.class").exists():
        return out
    if shutil.which("javac") is None:
        pytest.skip("no javac")
    for j in ("curator-framework.jar", "curator-client.jar", "guava.jar"):
        if not (Path(JAVA_DIR) / j).exists():
            pytest.skip(f"{JAVA_DIR}/{j} missing (libcurator-framework-java, libguava-java)")
    out.mkdir(parents=True, exist_ok=True)
    src = Path(__file__).resolve().parent / f"{name}.java"
    r = subprocess.run(["javac", "-nowarn", "-Xlint:none", "-cp", CURATOR_CP, "-d", str(out),
                        str(src)], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def run(name: str, *args: str, timeout: float = 120.0) -> list[str]:
    """Runs a compiled check to its end; returns its stdout lines (a "FAIL" line fails)."""
    cls = classes(name)
    p = subprocess.Popen([E.JAVA, "-Xmx128m", "-cp", f"{cls}:{CURATOR_CP}", name, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    E._register(p)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError(f"{name} timed out: {out} {err[-2000:]}")
    lines = out.splitlines()
    assert p.returncode == 0 and not any(l.startswith("FAIL") for l in lines), \
        f"{name} exited {p.returncode}: {lines} {err[-2000:]}"
    return lines
