#!/usr/bin/env python3
"""One interactive zkCli session against fresh zkrs ensembles, for tests/cli/run.sh.

    ensemble_session.py --work DIR --session FILE --out PREFIX -- CLIENT-COMMAND...

Starts, under DIR, two ensembles of three zkrs members (tests/quorum/ensemble.py): "main"
with reconfigEnabled=true and a super user (DigestAuthenticationProvider.superDigest), whose
leader must be sid 3 (the client talks to sid 1; the session removes and re-adds sid 2), and
"disabled" with reconfigEnabled=false. Then runs CLIENT-COMMAND (`-server <sid 1>` is
appended) and feeds it the session, one line every --delay seconds. Writes PREFIX.o,
PREFIX.e (stdout, stderr: every port of both ensembles, and the session's file directory,
replaced by their names so that runs on other ports compare equal) and PREFIX.rc.

Session lines: @NAME@ is substituted (@SERVER@ the client's member, @PW@ the super password,
@DIR@ a directory for files, @C1@..@C5@ / @Q1@..@Q5@ / @E1@..@E5@ the client, quorum and
election ports of sids 1..5 (4 and 5 are never started), @DISABLED@ sid 1 of the
reconfigEnabled=false ensemble). `#sleep N` idles; `#write NAME TEXT` writes @DIR@/NAME
with TEXT (`\\n` for newlines) and sends nothing.

Every wait is bounded; every process started here is stopped by pid (ensemble.py's
Member.stop, and its atexit hook on any failure)."""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "quorum"))

from ensemble import Ensemble, free_ports  # noqa: E402

SUPER_PASSWORD = "cli-reconfig"
SUPER_DIGEST = "super:" + base64.b64encode(
    hashlib.sha1(f"super:{SUPER_PASSWORD}".encode()).digest()).decode()


def start_main(work: Path, kind: str, tries: int = 4) -> Ensemble:
    """The reconfig ensemble, restarted from scratch (bounded) until sid 3 leads."""
    for attempt in range(tries):
        ens = Ensemble(f"main{attempt}", [kind] * 3, reconfig=True,
                       root=work,
                       extra_cfg={"DigestAuthenticationProvider.superDigest": SUPER_DIGEST})
        leader = ens.start(timeout=60)
        if leader.sid == 3:
            # The first leader writes the dynamic config files; let every member get there.
            ens.wait_for(lambda: all("dynamicConfigFile=" in m.cfg_path.read_text()
                                     for m in ens.running), 30, "dynamicConfigFile=")
            return ens
        ens.close()
    raise SystemExit(f"ensemble_session: sid 3 did not lead in {tries} fresh ensembles")


def feed(proc: subprocess.Popen, lines: list[str], subst, files: Path, delay: float):
    try:
        for line in lines:
            if line.startswith("#sleep "):
                time.sleep(float(line.split()[1]))
                continue
            if line.startswith("#write "):
                _, name, text = line.split(" ", 2)
                (files / name).write_text(subst(text).replace("\\n", "\n"))
                continue
            proc.stdin.write((subst(line) + "\n").encode())
            proc.stdin.flush()
            time.sleep(delay)
        time.sleep(1)
    except BrokenPipeError:
        pass
    finally:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--session", required=True, type=Path)
    ap.add_argument("--out", required=True)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--timeout", type=float, default=120.0)
    # --kind java: Apache ZooKeeper members instead (to tell server from CLI differences).
    ap.add_argument("--kind", default="zkrs", choices=("zkrs", "java"))
    ap.add_argument("client", nargs="+")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    files = a.work / "files"
    files.mkdir(exist_ok=True)

    ens = start_main(a.work, a.kind)
    disabled = Ensemble("disabled", [a.kind] * 3, reconfig=False, root=a.work)
    try:
        disabled.start(timeout=60)
        names: dict[str, str] = {"SERVER": ens[1].address, "PW": SUPER_PASSWORD,
                                 "DIR": str(files), "DISABLED": disabled[1].address}
        spare = free_ports(6)
        for sid in (1, 2, 3, 4, 5):
            if sid <= 3:
                m = ens[sid]
                ports = (m.client_port, m.quorum_port, m.election_port)
            else:
                ports = tuple(spare[(sid - 4) * 3:(sid - 4) * 3 + 3])
            for kind, p in zip("CQE", ports):
                names[f"{kind}{sid}"] = str(p)
        for m in disabled:
            for kind, p in zip("CQE", (m.client_port, m.quorum_port, m.election_port)):
                names[f"D{kind}{m.sid}"] = str(p)

        def subst(s: str) -> str:
            return re.sub(r"@([A-Z0-9]+)@", lambda mt: names.get(mt.group(1), mt.group(0)), s)

        lines = a.session.read_text().splitlines()
        o_path, e_path = Path(a.out + ".o"), Path(a.out + ".e")
        with open(o_path, "wb") as o, open(e_path, "wb") as e:
            proc = subprocess.Popen([*a.client, "-server", names["SERVER"]],
                                    stdin=subprocess.PIPE, stdout=o, stderr=e)
            t = threading.Thread(target=feed, args=(proc, lines, subst, files, a.delay),
                                 daemon=True)
            t.start()
            try:
                rc = proc.wait(timeout=a.timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
                rc = "timeout"
            t.join(timeout=10)
        Path(a.out + ".rc").write_text(f"{rc}\n")

        # Ports and the file directory by name, longest first (no port is a prefix problem:
        # matches are bounded by non-digits).
        reverse = {v: k for k, v in names.items() if k not in ("SERVER", "DISABLED", "PW")}
        for path in (o_path, e_path):
            text = path.read_text(errors="replace")
            text = text.replace(str(files), "<dir>")
            text = re.sub(r"(?<![0-9])([0-9]{4,5})(?![0-9])",
                          lambda mt: f"<{reverse[mt.group(1)]}>" if mt.group(1) in reverse
                          else mt.group(1), text)
            path.write_text(text)
    finally:
        keep = os.environ.get("CLI_KEEP") == "1"
        ens.close(keep=keep)
        disabled.close(keep=keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
