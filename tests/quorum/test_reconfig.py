"""Dynamic reconfiguration (issue 12): the `reconfig` operation, the config files, joiners,
removed members and a removed leader, on all-Java (the reference), all-zkrs and mixed
ensembles, with the same checks (tests/quorum/reconfig_scenarios.py). Clients: kazoo's
`reconfig` as the super user."""

import pytest

import reconfig_scenarios as R

pytestmark = [pytest.mark.timeout(300)]

KINDS = {
    "java": (["java", "java", "java"], "java"),
    "zkrs": (["zkrs", "zkrs", "zkrs"], "zkrs"),
    # Java and zkrs members, a zkrs joiner.
    "mixed": (["java", "zkrs", "java"], "zkrs"),
    # zkrs members, a Java joiner.
    "mixed_java_joiner": (["zkrs", "zkrs", "zkrs"], "java"),
}


def _needs_zkrs(kind, request):
    if kind != "java":
        request.getfixturevalue("zkrs_quorum")


@pytest.mark.parametrize("kind", list(KINDS))
def test_reconfig_add_remove_and_remove_leader(make_ensemble, workload, kind, request):
    _needs_zkrs(kind, request)
    members, joiner = KINDS[kind]
    ens = make_ensemble(members, reconfig=True, extra_cfg=R.RECONFIG_CFG)
    if kind == "mixed":
        ens.start_first([1, 3])
        ens.start(sids=[2])
    else:
        ens.start()
    out = R.add_remove_and_remove_leader(ens, workload, joiner)
    print(f"{kind}: {out}")


@pytest.mark.parametrize("kind", ["java", "zkrs"])
def test_reconfig_errors_take_a_zxid(make_ensemble, kind, request):
    _needs_zkrs(kind, request)
    ens = make_ensemble([kind] * 3, reconfig=True, extra_cfg=R.RECONFIG_CFG)
    ens.start()
    out = R.errors(ens)
    print(f"{kind}: {out}")
    for name in ("BADVERSION", "NEWCONFIGNOQUORUM", "BADARGUMENTS"):
        assert out[name] == 1, out


@pytest.mark.parametrize("kind", list(KINDS))
def test_reconfig_observer_role_changes(make_ensemble, workload, kind, request):
    _needs_zkrs(kind, request)
    members, joiner = KINDS[kind]
    ens = make_ensemble(members, reconfig=True, extra_cfg=R.RECONFIG_CFG)
    if kind == "mixed":
        ens.start_first([1, 3])
        ens.start(sids=[2])
    else:
        ens.start()
    out = R.observer_role_changes(ens, workload, joiner)
    print(f"{kind}: {out}")


@pytest.mark.parametrize("joiners", ["java", "zkrs"])
def test_reconfig_zkcli_on_java_ensemble(make_ensemble, workload, joiners, request):
    """A Java ensemble reconfigured from zkCli.sh to add and remove members of `joiners`."""
    _needs_zkrs(joiners, request)
    ens = make_ensemble(["java"] * 3, reconfig=True, extra_cfg=R.RECONFIG_CFG)
    ens.start()
    out = R.zkcli_adds_and_removes(ens, workload, joiners)
    print(f"{joiners} joiners: {out}")


@pytest.mark.parametrize("leave_leader", [False, True], ids=["followers_leave", "leader_leaves"])
def test_zkrs_self_managing_members_3_5_3(make_ensemble, workload, leave_leader, zkrs_quorum):
    """zkrs.autoMembership: 3 -> 5 -> 3 by starting and stopping processes only."""
    # The first members manage themselves too (they may be the ones that leave).
    ens = make_ensemble(["zkrs"] * 3, reconfig=True,
                        extra_cfg={**R.RECONFIG_CFG, **R.auto_keys()})
    ens.start()
    out = R.scale_3_5_3(ens, workload, leave_leader)
    print(f"leave_leader={leave_leader}: {out}")


@pytest.mark.parametrize("kind", ["java", "zkrs"])
def test_reconfig_leader_killed_mid_reconfig(make_ensemble, workload, kind, request):
    _needs_zkrs(kind, request)
    ens = make_ensemble([kind] * 3, reconfig=True, extra_cfg=R.RECONFIG_CFG)
    ens.start()
    out = R.crash_mid_reconfig(ens, workload)
    print(f"{kind}: {out}")


@pytest.mark.parametrize("kind", ["java", "zkrs"])
def test_reconfig_curator(make_ensemble, kind, request):
    _needs_zkrs(kind, request)
    ens = make_ensemble([kind] * 3, reconfig=True, extra_cfg=R.RECONFIG_CFG)
    ens.start()
    out = R.curator_adds_and_removes(ens, kind)
    print(f"{kind}: {out}")
