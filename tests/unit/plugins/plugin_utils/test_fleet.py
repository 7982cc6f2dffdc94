"""The fleet rollout's plan and report (plugin_utils/_fleet.py) and their filters."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.executor.playbook_executor import PlaybookExecutor

from ansible_collections.b4arena.rootless.plugins.filter.fleet_report import FilterModule as ReportFilters
from ansible_collections.b4arena.rootless.plugins.filter.rollout_plan import FilterModule as PlanFilters
from ansible_collections.b4arena.rootless.plugins.plugin_utils import _fleet

CASES = yaml.safe_load((Path(__file__).parent / "fleet_cases.yml").read_text())
PLAN = PlanFilters().filters()["rollout_plan"]
REPORT = ReportFilters().filters()["fleet_report"]


def ansible_batches(hosts, serial):
    """The batches ansible-playbook itself makes for a play with this serial."""
    executor = SimpleNamespace(_inventory=SimpleNamespace(get_hosts=lambda pattern, order: list(pattern)))
    play = SimpleNamespace(hosts=list(hosts), order="inventory", serial=list(serial))
    return PlaybookExecutor._get_serialized_batches(executor, play)


@pytest.mark.parametrize("case", CASES["plans"], ids=[c["id"] for c in CASES["plans"]])
def test_plan_case(case):
    args = dict(
        canary=case.get("canary", ""),
        canary_hosts=case.get("canary_hosts", []),
        serial=case["serial"],
        max_fail_percentage=case.get("max_fail_percentage", 0),
        run="r1",
        started=100,
    )
    if "error" in case:
        with pytest.raises(AnsibleFilterError, match="^rollout_plan: " + re.escape(case["error"])):
            PLAN(case["targets"], **args)
        return
    plan = PLAN(case["targets"], **args)
    assert plan["batches"] == case["batches"]
    assert plan["canary"] + plan["rest"] == [h for b in case["batches"] for h in b]
    # After the canary, exactly the batches ansible-playbook makes of the rest with this serial.
    assert plan["batches"][1:] == ansible_batches(plan["rest"], plan["serial"])


@pytest.mark.parametrize("count", range(1, 13))
@pytest.mark.parametrize("serial", [[1, "25%", "100%"], ["30%"], [2, "50%"], ["1%", 3], ["100%"]])
def test_batches_match_ansible_for_any_fleet_size(count, serial):
    hosts = ["h%d" % i for i in range(count)]
    assert _fleet.batches(hosts, serial) == ansible_batches(hosts, serial)


def result(phase, failed=False, stopped_in=None, **extra):
    base = {
        "phase": phase,
        "failed": failed,
        "stopped_in": stopped_in,
        "error": "boom" if failed else None,
        "docker_serving": phase in ("none", "discovered", "staged"),
        "check_mode": False,
        "started": 110.0,
        "seconds": 12.5,
        "phases": {"discover": 1.0},
        "carried": {"images": [], "volumes": [], "binds": [], "containers": []},
        "refused": [],
        "verification": None,
    }
    base.update(extra)
    return base


PLAN_4 = _fleet.plan(["c", "a", "b", "d"], "c", ["c"], ["100%"], 34, "r1", 100)


def test_report_counts_batches_and_hosts_not_reached():
    report = REPORT(PLAN_4, {"c": result("committed"), "a": result("discovered", True, "stage")}, now=160)
    assert report["wall_seconds"] == 60.0
    assert report["started"] == "1970-01-01T00:01:40Z"
    assert [(h["host"], h["status"], h["batch"]) for h in report["hosts"]] == [
        ("c", "migrated", 0),
        ("a", "failed", 1),
        ("b", "not reached", 1),
        ("d", "not reached", 1),
    ]
    assert report["counts"] == {"migrated": 1, "failed": 1, "not reached": 2}
    assert report["batches"][1] == {"batch": 1, "hosts": ["a", "b", "d"], "reached": 1, "failed": 1,
                                    "failed_percent": 33.3, "max_fail_percentage": 34,
                                    "over_max_fail": False}  # fmt: skip
    assert not report["complete"]
    # Failing before the cut-over leaves the gate open: max_fail_percentage decides, 1 of 3 < 34%.
    assert report["gate"] == {"open": True, "closed_by": []}
    assert report["stop"] is None
    assert report["hosts"][2]["docker_serving"] is True


def test_a_failure_after_cut_over_closes_the_gate():
    results = {"c": result("committed"), "a": result("staged", True, "verify"), "b": result("committed"), "d": None}
    report = REPORT(PLAN_4, results, now=200)
    assert report["gate"] == {"open": False, "closed_by": ["a"]}
    assert report["stop"] == "health gate: a failed after cutting over"


@pytest.mark.parametrize(
    ("max_fail", "failing", "stop"),
    [
        (34, "a", None),
        (33, "a", "batch 1: 1 of 3 failed (33.3%), more than max_fail_percentage 33"),
        (66, "ab", "batch 1: 2 of 3 failed (66.7%), more than max_fail_percentage 66"),
        (67, "ab", None),
        (100, "abd", None),
    ],
)
def test_max_fail_percentage_is_ansibles_rule_failed_share_strictly_above(max_fail, failing, stop):
    plan = _fleet.plan(["c", "a", "b", "d"], "c", ["c"], ["100%"], max_fail, "r1", 100)
    results = {h: result("discovered", True, "stage") if h in failing else result("committed") for h in "cabd"}
    assert REPORT(plan, results, now=200)["stop"] == stop


def test_the_canary_batch_tolerates_no_failure():
    results = {"c": result("discovered", True, "stage"), "a": None, "b": None, "d": None}
    report = REPORT(_fleet.plan(["c", "a", "b", "d"], "", [], ["100%"], 100, "r1", 100), results, now=200)
    assert report["batches"][0]["max_fail_percentage"] == 0
    assert report["stop"] == "batch 0: 1 of 1 failed (100.0%), more than max_fail_percentage 0"


def test_check_mode_hosts_are_planned_and_audits_are_attached():
    results = {h: result("none", check_mode=True) for h in "cabd"}
    results["a"]["audit"] = {"findings": 2}
    report = REPORT(PLAN_4, results, now=200)
    assert {h["status"] for h in report["hosts"]} == {"planned"}
    assert report["complete"]
    assert [h["audit"] for h in report["hosts"]] == [None, {"findings": 2}, None, None]


def test_report_filter_rejects_what_is_not_a_plan():
    with pytest.raises(AnsibleFilterError, match="fleet_report: the input is not a rollout_plan: 'x'"):
        REPORT("x", {})
    with pytest.raises(AnsibleFilterError, match="fleet_report: results is not a mapping of host to result: \\[\\]"):
        REPORT(PLAN_4, [])
