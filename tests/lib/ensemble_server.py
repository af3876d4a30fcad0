#!/usr/bin/env python3
"""Starts a ZooKeeper ensemble on 127.0.0.1 with tests/quorum/ensemble.py, says which member
is a follower, and keeps the ensemble up until SIGTERM/SIGINT (or until the process that
started this one exits). Used by tests/conformance/run.sh (--server zkrs-ensemble |
zookeeper-ensemble) and tests/differential/run.sh (--ensemble) to point clients at a
follower of a 3-member ensemble.

    ensemble_server.py --kind zkrs|java --root DIR --info FILE [--size 3] [--logs DIR]
                       [--name NAME] [--cfg KEY=VALUE]... [--java-opt OPT]...
                       [--timeout SECONDS]

--root DIR     the ensemble's directory is DIR/NAME (zoo.cfg, data, logs of each member)
--info FILE    written (atomically) once every member is serving, one leader and the
               others following; shell-sourceable:
                 ENSEMBLE_KIND=zkrs ENSEMBLE_SIZE=3
                 ENSEMBLE_FOLLOWER=127.0.0.1:P  ENSEMBLE_FOLLOWER_PORT=P  ENSEMBLE_FOLLOWER_SID=N
                 ENSEMBLE_LEADER=127.0.0.1:P    ENSEMBLE_LEADER_PORT=P    ENSEMBLE_LEADER_SID=N
                 ENSEMBLE_CONNECT=all members   ENSEMBLE_PIDS="pid pid pid"
                 ENSEMBLE_DIR=DIR/NAME          ENSEMBLE_ELECTION_SECONDS=S
               The follower is the lowest sid that follows.
--logs DIR     on exit, each member's log(s) are copied there as
               <name>-s<sid>-<n>-<kind>.log
--cfg K=V      extra zoo.cfg line for every member (Java makes unknown keys
               `zookeeper.<key>` system properties)
--java-opt=O   extra JVM flag for Java members (after ensemble.JAVA_OPTS; with "=", as it
               starts with "-")
--timeout S    how long to wait for the quorum (default 120 s); exit 3 if none

Environment: ZKRS_EXE, ZK_SERVER_CP, QUORUM_JAVA_OPTS, QUORUM_RUST_LOG as for ensemble.py.
Exit status: 0 after a clean stop, 1 if a member exited while it ran, 3 if no quorum formed,
2 on bad arguments.
While it runs, a member that exits is reported on stderr (the ensemble is not repaired: the
caller sees its follower stop answering). Processes are stopped by pid (ensemble.py):
SIGTERM to every member, SIGKILL after 15 s; members also die with this process
(setpriv --pdeathsig KILL).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "quorum"))

import ensemble as E  # noqa: E402

_STOP = False


def _on_stop(signum, _frame):
    global _STOP
    _STOP = True


def _copy_logs(ens: E.Ensemble, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for m in ens:
        for i, p in enumerate(m.logs, 1):
            try:
                shutil.copyfile(p, dest / f"{ens.name}-s{m.sid}-{i}-{m.runs_as}.log")
            except OSError as e:
                print(f"ensemble_server: cannot copy {p}: {e}", file=sys.stderr)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", required=True, choices=E.KINDS)
    ap.add_argument("--size", type=int, default=3)
    ap.add_argument("--root", required=True, type=Path)
    ap.add_argument("--info", required=True, type=Path)
    ap.add_argument("--logs", type=Path)
    ap.add_argument("--name", default=None)
    ap.add_argument("--cfg", action="append", default=[])
    ap.add_argument("--java-opt", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=120.0)
    a = ap.parse_args(argv)
    if a.size < 3:
        ap.error("--size must be at least 3 (an ensemble with followers)")
    extra = {}
    for kv in a.cfg:
        k, sep, v = kv.partition("=")
        if not sep or not k:
            ap.error(f"--cfg wants KEY=VALUE, not {kv!r}")
        extra[k.strip()] = v.strip()
    if a.java_opt:
        E.JAVA_OPTS = [*E.JAVA_OPTS, *a.java_opt]

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s ensemble_server: %(message)s")
    # ensemble.py's SIGTERM handler SIGKILLs every member; a clean stop is wanted here.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_stop)
    parent = os.getppid()

    name = a.name or f"{a.kind}-ensemble"
    ens = E.Ensemble(name, [a.kind] * a.size, root=a.root, extra_cfg=extra)
    rc = 0
    try:
        try:
            leader = ens.start(timeout=a.timeout)
        except E.QuorumTimeout as e:
            print(f"ensemble_server: no quorum: {e}", file=sys.stderr)
            return 3
        followers = sorted((m for m in ens if m is not leader and m.mode() == "follower"),
                           key=lambda m: m.sid)
        if not followers:
            print("ensemble_server: no follower\n" + ens.describe(), file=sys.stderr)
            return 3
        f = followers[0]
        info = {
            "ENSEMBLE_KIND": a.kind,
            "ENSEMBLE_SIZE": str(a.size),
            "ENSEMBLE_FOLLOWER": f.address,
            "ENSEMBLE_FOLLOWER_PORT": str(f.client_port),
            "ENSEMBLE_FOLLOWER_SID": str(f.sid),
            "ENSEMBLE_LEADER": leader.address,
            "ENSEMBLE_LEADER_PORT": str(leader.client_port),
            "ENSEMBLE_LEADER_SID": str(leader.sid),
            "ENSEMBLE_CONNECT": ens.connect_string(),
            "ENSEMBLE_PIDS": " ".join(str(m.pid) for m in ens),
            "ENSEMBLE_DIR": str(ens.dir),
            "ENSEMBLE_ELECTION_SECONDS": f"{ens.last_election_seconds or 0:.1f}",
        }
        tmp = a.info.with_name(a.info.name + ".tmp")
        tmp.write_text("".join(f"{k}='{v}'\n" for k, v in info.items()))
        tmp.replace(a.info)
        logging.info("%s ensemble up in %.1f s: leader s%d, follower s%d at %s (%s)",
                     a.kind, ens.last_election_seconds or 0, leader.sid, f.sid, f.address,
                     ens.status_line())
        reported = set()
        while not _STOP:
            if os.getppid() != parent:
                logging.info("parent %d exited: stopping the ensemble", parent)
                break
            for m in ens:
                if m.sid not in reported and not m.running:
                    m._reap()
                    reported.add(m.sid)
                    rc = 1
                    logging.error("s%d (pid gone) exited with status %s; last lines:\n%s",
                                  m.sid, m.last_exit, m.log_tail(20))
            time.sleep(0.5)
        logging.info("stopping: %s", ens.status_line())
    finally:
        try:
            ens.close(keep=True)
        finally:
            if a.logs is not None:
                _copy_logs(ens, a.logs)
            shutil.rmtree(ens.dir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
