"""pytest fixtures for the ensemble tests (tests/quorum/run.sh runs them).

make_ensemble(members, **kw) → ensemble.Ensemble named after the test; closed (every
    process stopped by pid) at teardown; its directory target/quorum/<test>/ is removed
    unless the test failed or QUORUM_KEEP=1. On failure its state and log tails are
    printed (pytest shows them under "Captured stdout teardown").
workload(hosts, **kw) → ensemble.Workload, stopped and closed at teardown.
zkrs_quorum → skips the test ("zkrs quorum mode not available") unless `zkrs server`
    accepts a server.N configuration (checked once per run, see
    ensemble.zkrs_quorum_support).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ensemble as E  # noqa: E402

KEEP = os.environ.get("QUORUM_KEEP") == "1"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    # One block per test in target/quorum/logs/notes.txt: outcome, duration and what the
    # test printed (election times, sync modes, rolling-replacement steps).
    if rep.when == "call" or (rep.when == "setup" and not rep.passed):
        notes = E.WORK_ROOT / "logs" / "notes.txt"
        try:
            notes.parent.mkdir(parents=True, exist_ok=True)
            with open(notes, "a") as f:
                f.write(f"{item.nodeid}: {rep.outcome} ({rep.duration:.1f} s)\n")
                for line in (rep.capstdout or "").splitlines():
                    if line.strip() and not line.startswith((" ", "\t", "---", "20")):
                        f.write(f"    {line[:200]}\n")
        except OSError:
            pass


def _failed(node) -> bool:
    for when in ("setup", "call"):
        rep = getattr(node, "rep_" + when, None)
        if rep is not None and rep.failed:
            return True
    return False


@pytest.fixture
def workload(make_ensemble):  # set up after, so torn down before, the ensembles
    made = []

    def make(hosts, **kw):
        w = E.Workload(hosts, **kw)
        made.append(w)
        return w

    yield make
    for w in made:
        try:
            w.close()
        except Exception as e:  # noqa: BLE001
            print(f"closing {w.name}: {e}")


@pytest.fixture
def make_ensemble(request):
    made = []

    def make(members, **kw):
        name = request.node.name + (f"-{len(made) + 1}" if made else "")
        ens = E.Ensemble(name, members, **kw)
        made.append(ens)
        return ens

    yield make
    failed = _failed(request.node)
    for ens in made:
        if failed:
            try:
                print(ens.describe(40))
            except Exception as e:  # noqa: BLE001
                print(f"describe failed: {e}")
        ens.close(keep=KEEP or failed)
        if failed or KEEP:
            print(f"kept {ens.dir}")


@pytest.fixture(scope="session")
def zkrs_quorum_detail():
    return E.zkrs_quorum_support()


@pytest.fixture
def zkrs_quorum(zkrs_quorum_detail):
    ok, detail = zkrs_quorum_detail
    if not ok:
        pytest.skip(f"{E.ZKRS_UNAVAILABLE} ({detail})")
    return detail


def pytest_report_header(config):
    return [
        f"quorum harness: zkrs={E.ZKRS_EXE} zkrs-as-java={E.ZKRS_AS_JAVA} work={E.WORK_ROOT}",
        f"java opts: {' '.join(E.JAVA_OPTS)}",
    ]
