"""The AdminServer of zkrs against Apache ZooKeeper 3.8's (Debian, Jetty), end to end.

A Java standalone server and a Java ensemble (3 voters + 1 observer) run next to a zkrs
standalone server and a zkrs ensemble of the same shape, all with the AdminServer on. Each gets
the same small kazoo workload; then every command (by primary name and by alias), the
`/commands` pages, bad paths and bad methods are fetched from both, normalized (numbers → their
JSON type, dynamic map keys such as session ids, times and paths → placeholders) and compared
key by key: key sets, nesting, JSON types, and order where Java's order is stable (not inside
`server_stats`, whose bean order varies between JVM runs). A few values must be real after the
workload (node_count, watches, connections, ephemerals). zkrs's `/ready` must turn 503 on a
member whose quorum is lost and 200 again once it is back, while `/live` stays 200.

tests/observability/run.sh installs the dependencies and runs this file; the harness is
tests/quorum/ensemble.py (127.0.0.1 only, bounded waits, every process stopped by pid).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "quorum"))

import ensemble as E  # noqa: E402

pytestmark = pytest.mark.timeout(400)

SERVLET_API = "/usr/share/java/servlet-api.jar"
if SERVLET_API not in E.ZK_SERVER_CP:
    # Without it Debian's ZooKeeper logs "Unable to load jetty" and serves no AdminServer.
    E.ZK_SERVER_CP = E.ZK_SERVER_CP + ":" + SERVLET_API
WORK = Path(os.environ.get("QUORUM_WORK") or E.ROOT / "target" / "observability")
KEEP = os.environ.get("QUORUM_KEEP") == "1"

COMMANDS = [
    "configuration", "connection_stat_reset", "connections", "dirs", "dump", "environment",
    "get_trace_mask", "hash", "initial_configuration", "is_read_only", "last_snapshot",
    "leader", "monitor", "observer_connection_stat_reset", "observers", "ruok",
    "server_stats", "set_trace_mask", "stat_reset", "stats", "system_properties",
    "voting_view", "watch_summary", "watches", "watches_by_path", "zabstate",
]
# Commands that reset statistics run last, as in the captures.
RESETS = ["connection_stat_reset", "observer_connection_stat_reset", "stat_reset"]
ALIASES = {
    "conf": "configuration", "config": "configuration", "cons": "connections",
    "env": "environment", "envi": "environment", "gtmk": "get_trace_mask",
    "icfg": "initial_configuration", "isro": "is_read_only", "lsnp": "last_snapshot",
    "lead": "leader", "mntr": "monitor", "stmk": "set_trace_mask", "srvr": "server_stats",
    "stat": "stats", "obsr": "observers", "sysp": "system_properties", "wchc": "watches",
    "wchp": "watches_by_path", "wchs": "watch_summary", "crst": "connection_stat_reset",
    "orst": "observer_connection_stat_reset", "srst": "stat_reset",
}
EXTRA_REQUESTS = [
    ("GET", "/commands"), ("GET", "/commands/"), ("GET", "/commands/nosuch"),
    ("GET", "/commands/set_trace_mask?traceMask=306"), ("GET", "/commands/stmk?traceMask=notanumber"),
    ("GET", "/nosuch"), ("GET", "/"), ("POST", "/commands/ruok"), ("PUT", "/commands/ruok"),
    ("DELETE", "/commands/ruok"), ("TRACE", "/commands/ruok"), ("OPTIONS", "/commands/ruok"),
    ("HEAD", "/commands/ruok"),
]
# Keys whose values are maps keyed by data (session ids, expiry times, paths, sids).
DYNAMIC_MAPS = {
    "expiry_time_to_session_ids", "session_id_to_ephemeral_paths", "session_id_to_watched_paths",
    "path_to_session_ids", "current_config",
}
# Objects whose key order differs between Java runs (a bean serialized by reflection).
UNORDERED = {"server_stats"}


# ----------------------------------------------------------------------------- servers


class AdminEnsemble(E.Ensemble):
    """An Ensemble whose members run the AdminServer on 127.0.0.1:<own port>; with
    standalone=True its single member gets no server.N lines (a standalone server)."""

    def __init__(self, name, members, *, standalone=False, **kw):
        self.standalone = standalone
        super().__init__(name, members, root=WORK, **kw)
        for m in self:
            m.admin_port = E.free_ports(1)[0]
            self.write_config(m)

    def config_text(self, m):
        out = []
        for line in super().config_text(m).splitlines():
            if line == "admin.enableServer=false":
                out += ["admin.enableServer=true", "admin.serverAddress=127.0.0.1",
                        f"admin.serverPort={getattr(m, 'admin_port', 0)}"]
            elif self.standalone and line.startswith(("server.", "standaloneEnabled", "reconfigEnabled")):
                continue
            else:
                out.append(line)
        return "\n".join(out) + "\n"


def request(m, method, target, timeout=5.0):
    """(status, Content-Type or None, body bytes) of one request to m's AdminServer."""
    conn = http.client.HTTPConnection("127.0.0.1", m.admin_port, timeout=timeout)
    try:
        conn.request(method, target, body=b"" if method in ("POST", "PUT") else None)
        r = conn.getresponse()
        body = r.read()
        return r.status, r.getheader("Content-Type"), body
    finally:
        conn.close()


def get_json(m, target):
    status, ctype, body = request(m, "GET", target)
    return status, ctype, json.loads(body)


def wait_admin(ens, m, timeout=60.0):
    def ok():
        try:
            return request(m, "GET", "/commands/ruok", timeout=2.0)[0] == 200
        except OSError:
            return False
    ens.wait_for(ok, timeout, f"s{m.sid}'s AdminServer")


def start(name, kind, standalone):
    if standalone:
        ens = AdminEnsemble(name, [kind], standalone=True)
        ens.start(wait=False)
        ens.wait_serving(ens[1], timeout=60, mode="standalone")
        leader = ens[1]
    else:
        ens = AdminEnsemble(name, [kind, kind, kind, f"{kind}:observer"])
        leader = ens.start(timeout=120)
    for m in ens:
        wait_admin(ens, m)
    return ens, leader


# ----------------------------------------------------------------------------- workload


def workload(m):
    """The captures' workload in small: znodes, ephemerals, sequentials, fired and pending
    watches (2 data watches and 1 child watch left set). Returns the open kazoo client."""
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=m.address, timeout=30)
    zk.start(timeout=30)
    zk.create("/foo", b"quota-root")
    zk.create("/foo/a", b"a0")
    zk.create("/foo/b", b"b0")
    for _ in range(3):
        zk.create("/foo/seq-", b"", sequence=True)
    zk.create("/foo/eph", b"", ephemeral=True)
    zk.create("/foo/es-", b"", ephemeral=True, sequence=True)
    zk.create("/foo/es-", b"", ephemeral=True, sequence=True)
    zk.create("/bar")
    for c in ("c1", "c2", "c3"):
        zk.create(f"/bar/{c}", b"x" * 10)
    zk.set("/foo/a", b"a1")
    zk.get("/foo/a", watch=lambda e: None)
    zk.set("/foo/a", b"a22")
    zk.get("/foo/b", watch=lambda e: None)
    zk.get_children("/bar", watch=lambda e: None)
    zk.exists("/nope", watch=lambda e: None)
    zk.sync("/")
    return zk


def fetch_all(m):
    """Every command, alias and extra request of m: {name: (status, ctype, parsed or raw)}."""
    out = {}
    for name in [c for c in COMMANDS if c not in RESETS] + list(ALIASES) + RESETS:
        if name in ALIASES and ALIASES[name] in RESETS:
            continue
        status, ctype, body = request(m, "GET", f"/commands/{name}")
        out[name] = (status, ctype, json.loads(body) if ctype == "application/json" else body)
    for name in [a for a, p in ALIASES.items() if p in RESETS]:
        status, ctype, body = request(m, "GET", f"/commands/{name}")
        out[name] = (status, ctype, json.loads(body))
    for method, target in EXTRA_REQUESTS:
        status, ctype, body = request(m, method, target)
        out[f"{method} {target}"] = (status, ctype, body)
    return out


def save_answers(name, answers):
    """Writes what a node answered to target/observability/logs/answers-<name>.json."""
    out = {}
    for k, (status, ctype, body) in answers.items():
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        out[k] = {"status": status, "content_type": ctype, "body": body}
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"answers-{name}.json").write_text(json.dumps(out, indent=1))


# ------------------------------------------------------------------------- normalization


def jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    return type(v).__name__


def shape(v, key=None):
    """A JSON value with its values replaced by their types, dynamic maps collapsed to one
    `<key>` entry, arrays to their first element's shape."""
    if isinstance(v, dict):
        if key in DYNAMIC_MAPS:
            return {"<key>": shape(next(iter(v.values())), None)} if v else {}
        return {k: shape(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(v[0], key)] if v else []
    return jtype(v)


def compare(java, zkrs, path="", ordered=True, problems=None):
    """Differences between two shapes; an empty map/array on either side matches any."""
    problems = [] if problems is None else problems
    if isinstance(java, dict) and isinstance(zkrs, dict):
        if not java or not zkrs:
            return problems
        jk, zk = list(java), list(zkrs)
        if set(jk) != set(zk):
            problems.append(f"{path}: keys only in Java {sorted(set(jk) - set(zk))}, "
                            f"only in zkrs {sorted(set(zk) - set(jk))}")
        elif ordered and jk != zk:
            problems.append(f"{path}: key order Java {jk} zkrs {zk}")
        for k in jk:
            if k in zkrs:
                sub = path.rsplit("/", 1)[-1]
                compare(java[k], zkrs[k], f"{path}/{k}", ordered and k not in UNORDERED
                        and sub not in UNORDERED, problems)
        return problems
    if isinstance(java, list) and isinstance(zkrs, list):
        if java and zkrs:
            compare(java[0], zkrs[0], path + "[]", ordered, problems)
        return problems
    if java != zkrs:
        problems.append(f"{path}: Java {java} zkrs {zkrs}")
    return problems


SERVLET_HASH = re.compile(rb"(Servlet)-[0-9a-f]+")


def normalized_bytes(b):
    return SERVLET_HASH.sub(rb"\1-<hash>", b)


def compare_nodes(java, zkrs, role):
    """All the differences between the answers of a Java and a zkrs node of the same role."""
    problems = []
    for name, (jstatus, jctype, jbody) in java.items():
        zstatus, zctype, zbody = zkrs[name]
        where = f"{role} {name}"
        if name.startswith("HEAD"):
            assert zstatus == 200, where
            continue
        if (jstatus, jctype) != (zstatus, zctype):
            problems.append(f"{where}: Java {jstatus} {jctype}, zkrs {zstatus} {zctype}")
            continue
        if isinstance(jbody, bytes):
            if name.endswith(("/nosuch", "/commands", "/commands/")) or name.startswith(("POST", "GET /")):
                if normalized_bytes(jbody) != normalized_bytes(zbody):
                    problems.append(f"{where}: body Java {jbody[:200]!r} zkrs {zbody[:200]!r}")
            elif jbody != zbody:
                problems.append(f"{where}: body Java {jbody[:200]!r} zkrs {zbody[:200]!r}")
            continue
        if name in ("monitor", "mntr"):
            problems += compare_monitor(jbody, zbody, where)
            continue
        if name in ("system_properties", "sysp"):
            problems += compare_sysp(jbody, zbody, where)
            continue
        problems += [f"{where}{p}" for p in compare(shape(jbody), shape(zbody), "")]
    return problems


def compare_monitor(j, z, where):
    """`monitor`: the provider's keys differ (the JVM's, and what zkrs cannot measure), so:
    the first keys, `command`/`error` last, the types of the common keys, and most of
    ZooKeeper's own keys present."""
    problems = []
    jk = [k for k in j if not k.startswith(("jvm_", "process_"))]
    if list(j)[:2] != list(z)[:2]:
        problems.append(f"{where}: first keys Java {list(j)[:3]} zkrs {list(z)[:3]}")
    if list(z)[-2:] != ["command", "error"]:
        problems.append(f"{where}: last keys {list(z)[-2:]}")
    for k in jk:
        if k in z and jtype(j[k]) != jtype(z[k]) and {jtype(j[k]), jtype(z[k])} != {"int", "float"}:
            problems.append(f"{where}/{k}: Java {jtype(j[k])} zkrs {jtype(z[k])}")
    missing = [k for k in jk if k not in z]
    if len(missing) > len(jk) // 5:
        problems.append(f"{where}: {len(missing)} of Java's {len(jk)} keys missing: {missing[:20]}")
    return problems


def compare_sysp(j, z, where):
    """`system_properties`: zkrs has no JVM; the zoo.cfg properties and the java./os./user.
    keys `envi` shows must be there, sorted, strings."""
    problems = []
    must = [k for k in j if k.startswith(("zookeeper.4lw", "zookeeper.admin."))]
    must += ["java.version", "java.vendor", "java.home", "java.class.path", "os.name",
             "os.arch", "os.version", "user.name", "user.home", "user.dir"]
    for k in must:
        if k not in z:
            problems.append(f"{where}: no {k}")
    keys = [k for k in z if k not in ("command", "error")]
    if keys != sorted(keys):
        problems.append(f"{where}: keys not sorted")
    return problems


# -------------------------------------------------------------------------------- tests


def test_compare_catches_differences():
    """The comparison itself: order, key sets, types and nesting differences are reported;
    dynamic keys, values and (inside server_stats) order are not."""
    java = {"a": 1, "server_stats": {"x": 1, "y": "s"}, "m": {"path_to_session_ids": {"/a": [1]}},
            "command": "c", "error": None}
    same = {"a": 7, "server_stats": {"y": "t", "x": 2}, "m": {"path_to_session_ids": {"/b": [2, 3]}},
            "command": "c", "error": None}
    assert compare(shape(java), shape(same)) == []
    assert compare(shape(java), shape({**same, "a": 1.5}))
    assert compare(shape(java), shape({k: v for k, v in same.items() if k != "a"}))
    assert compare(shape(java), shape({"server_stats": same["server_stats"], **same}))
    assert compare(shape(java), shape({**same, "m": {"path_to_session_ids": {"/b": ["x"]}}}))
    assert compare(shape(java), shape({**same, "error": "e"}))


@pytest.fixture(scope="module")
def standalone_pair():
    made = []
    try:
        answers = {}
        for kind in ("java", "zkrs"):
            ens, m = start(f"admin-standalone-{kind}", kind, standalone=True)
            made.append(ens)
            zk = workload(m)
            try:
                time.sleep(0.5)
                answers[kind] = (m, fetch_all(m), zk.client_id[0])
                save_answers(f"{kind}-standalone", answers[kind][1])
            finally:
                zk.stop()
                zk.close()
        yield answers
    finally:
        for ens in made:
            ens.close(keep=KEEP)


@pytest.fixture(scope="module")
def ensemble_pair():
    made = []
    try:
        answers = {}
        for kind in ("java", "zkrs"):
            ens, leader = start(f"admin-ensemble-{kind}", kind, standalone=False)
            made.append(ens)
            follower = next(m for m in ens.participants if m is not leader)
            zk = workload(follower)
            try:
                time.sleep(1.0)
                answers[kind] = {
                    "leader": (leader, fetch_all(leader)),
                    "follower": (follower, fetch_all(follower)),
                    "observer": (ens[4], fetch_all(ens[4])),
                    "session": zk.client_id[0],
                    "ens": ens,
                }
                for role in ("leader", "follower", "observer"):
                    save_answers(f"{kind}-{role}", answers[kind][role][1])
            finally:
                zk.stop()
                zk.close()
        yield answers
    finally:
        for ens in made:
            ens.close(keep=KEEP)


def test_standalone_matches_java(standalone_pair):
    _, java, _ = standalone_pair["java"]
    _, zkrs, _ = standalone_pair["zkrs"]
    problems = compare_nodes(java, zkrs, "standalone")
    assert not problems, "\n".join(problems)


def test_standalone_values_are_real(standalone_pair):
    jm, java, jsid = standalone_pair["java"]
    zm, zkrs, zsid = standalone_pair["zkrs"]
    for kind, m, a, sid in (("java", jm, java, jsid), ("zkrs", zm, zkrs, zsid)):
        srvr = a["server_stats"][2]
        assert srvr["server_stats"]["server_state"] == "standalone", kind
        assert a["configuration"][2]["client_port"] == m.client_port, kind
        assert a["configuration"][2]["server_id"] == 0, kind
        conns = a["connections"][2]["connections"]
        assert [c["session_id"] for c in conns] == [sid], kind
        assert a["watch_summary"][2]["num_total_watches"] == 2, kind
        assert a["watch_summary"][2]["num_paths"] == 2, kind
        assert sorted(a["watches"][2]["session_id_to_watched_paths"][str(sid)]) == ["/foo/b", "/nope"], kind
        assert sorted(a["watches_by_path"][2]["path_to_session_ids"]) == ["/foo/b", "/nope"], kind
        eph = a["dump"][2]["session_id_to_ephemeral_paths"][str(sid)]
        assert len(eph) == 3 and "/foo/eph" in eph, kind
        assert a["get_trace_mask"][2]["tracemask"] == 306, kind
        assert a["GET /commands/stmk?traceMask=notanumber"][1] == "application/json", kind
        assert a["leader"][2] == {"error": "server is not initialized", "command": "leader"}, kind
        assert a["zabstate"][2] == {"voting": False, "zabstate": "", "command": "zabstate",
                                    "error": None}, kind
        assert "admin.enableServer=true" in a["initial_configuration"][2]["initial_configuration"]
    # Same tree, same count (the root is counted twice in both).
    assert java["server_stats"][2]["node_count"] == zkrs["server_stats"][2]["node_count"]
    assert java["monitor"][2]["znode_count"] == zkrs["monitor"][2]["znode_count"]


def test_aliases_answer_as_primary(standalone_pair, ensemble_pair):
    for kind in ("java", "zkrs"):
        answers = [standalone_pair[kind][1]] + [ensemble_pair[kind][r][1] for r in ("leader", "follower")]
        for a in answers:
            for alias, primary in ALIASES.items():
                status, ctype, body = a[alias]
                assert (status, ctype) == (200, "application/json"), (kind, alias)
                assert body["command"] == primary, (kind, alias, body)


@pytest.mark.parametrize("role", ["leader", "follower", "observer"])
def test_ensemble_matches_java(ensemble_pair, role):
    java = ensemble_pair["java"][role][1]
    zkrs = ensemble_pair["zkrs"][role][1]
    problems = compare_nodes(java, zkrs, role)
    assert not problems, "\n".join(problems)


def test_ensemble_values_are_real(ensemble_pair):
    for kind in ("java", "zkrs"):
        e = ensemble_pair[kind]
        leader, la = e["leader"]
        follower, fa = e["follower"]
        observer, oa = e["observer"]
        sid = e["session"]
        assert la["leader"][2]["is_leader"] is True, kind
        assert fa["leader"][2]["leader_id"] == leader.sid, kind
        assert oa["leader"][2]["leader_id"] == leader.sid, kind
        assert la["zabstate"][2]["zabstate"] == "broadcast", kind
        assert oa["zabstate"][2]["voting"] is False, kind
        assert fa["zabstate"][2]["voting"] is True, kind
        assert sorted(la["voting_view"][2]["current_config"]) == ["1", "2", "3"], kind
        assert la["observers"][2]["synced_observers"] == 1, kind
        assert [o["sid"] for o in la["observers"][2]["observers"]] == [observer.sid], kind
        obs = la["observers"][2]["observers"][0]
        assert obs["remote_socket_address"].startswith("/127.0.0.1:"), (kind, obs)
        assert obs["established"] > 1_600_000_000_000, (kind, obs)
        assert "proposal_stats" in la["server_stats"][2], kind
        assert "proposal_stats" not in fa["server_stats"][2], kind
        assert [c["session_id"] for c in fa["connections"][2]["connections"]] == [sid], kind
        assert fa["watch_summary"][2]["num_total_watches"] == 2, kind
        assert fa["server_stats"][2]["server_stats"]["server_state"] == "follower", kind
        assert oa["server_stats"][2]["server_stats"]["server_state"] == "observer", kind
        # Quorum servers get no zoo.cfg text in ZooKeeper 3.8 (only ZooKeeperServerMain's has it).
        assert la["initial_configuration"][2]["initial_configuration"] is None, kind
    j = ensemble_pair["java"]["follower"][1]
    z = ensemble_pair["zkrs"]["follower"][1]
    assert j["server_stats"][2]["node_count"] == z["server_stats"][2]["node_count"]


def test_ready_follows_the_quorum(ensemble_pair):
    """zkrs only: /ready is 503 once 2 of the 3 voters are gone and 200 when they are back;
    /live stays 200; commands that need a server say it is not serving; monitor is 500."""
    ens = ensemble_pair["zkrs"]["ens"]
    leader = ens.wait_for_quorum(timeout=60)
    for m in ens:
        status, _, body = get_json(m, "/ready")
        assert status == 200 and body["ready"] is True, (m, body)
        assert request(m, "GET", "/live")[0] == 200
    keep = next(m for m in ens.participants if m is not leader)
    gone = [m for m in ens.participants if m is not keep]
    for m in gone:
        m.stop()

    def not_ready():
        try:
            return get_json(keep, "/ready")[0] == 503
        except OSError:
            return False
    ens.wait_for(not_ready, 60, f"s{keep.sid} /ready 503")
    status, ctype, body = get_json(keep, "/ready")
    assert body["ready"] is False and ctype == "application/json", body
    assert request(keep, "GET", "/live")[0] == 200
    status, _, body = get_json(keep, "/commands/srvr")
    assert status == 200
    assert body == {"command": "srvr",
                    "error": "This ZooKeeper instance is not currently serving requests"}, body
    status, ctype, body = get_json(keep, "/commands/monitor")
    assert (status, ctype) == (500, "application/json"), (status, body)
    status, _, body = get_json(keep, "/commands/zabstate")
    assert body["zabstate"] == "" and body["voting"] is False, body
    assert get_json(keep, "/commands/gtmk")[2]["tracemask"] == 306

    for m in gone:
        m.start()
    ens.wait_for_quorum(timeout=90)

    def ready():
        try:
            return all(get_json(m, "/ready")[0] == 200 for m in ens)
        except OSError:
            return False
    ens.wait_for(ready, 60, "every member /ready 200")
    assert all(request(m, "GET", "/live")[0] == 200 for m in ens)
