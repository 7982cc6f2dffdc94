"""The sample inventories in inventories/ plan the rollouts the README describes: playbooks/migrate.yml
limited to the controller runs only its plan play (every host left untouched) and writes the fleet
report of what it would do, from any working directory. --limit needs localhost in the inventory,
so it is added as a second source and kept out of the hosts to migrate."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin"
PLANS = {
    "mimas": [["mimas"]],
    "fleet": [["mimas"], ["enceladus"], ["tethys"], ["dione", "rhea", "titan", "hyperion", "iapetus"]],
}


def plan_only(tmp_path, inventory, *extra, report_dir=True):
    """inventory: a sample's name under inventories/, or a path. report_dir=False leaves the
    report directory to the inventory."""
    reports = tmp_path / "reports"
    settings = {"rootless_migrate_hosts": "all:!localhost"}
    if report_dir:
        settings["rootless_fleet_report_dir"] = str(reports)
    argv = [
        str(BIN / "ansible-playbook"),
        str(REPO / "playbooks" / "migrate.yml"),
        *("-i", str(REPO / "inventories" / inventory), "-i", "localhost,", "--limit", "localhost"),
        *("-e", json.dumps(settings), *extra),
    ]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/", check=False)
    return proc, reports


@pytest.mark.parametrize("inventory", sorted(PLANS))
def test_sample_inventory_plans_the_documented_batches(tmp_path, inventory):
    proc, reports = plan_only(tmp_path, inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((reports / "fleet.json").read_text())
    assert [b["hosts"] for b in report["batches"]] == PLANS[inventory]
    assert {h["status"] for h in report["hosts"]} == {"not reached"}
    assert not report["complete"]
    assert report["gate"] == {"open": True, "closed_by": []}
    markdown = (reports / "fleet.md").read_text()
    assert "those not reached were not touched and stay on Docker" in markdown


def test_fleet_max_fail_percentage_is_read_from_group_vars_and_overridable(tmp_path):
    _proc, reports = plan_only(tmp_path, "fleet")
    assert json.loads((reports / "fleet.json").read_text())["settings"]["max_fail_percentage"] == 10
    proc, reports = plan_only(tmp_path / "strict", "fleet", "-e", "rootless_fleet_max_fail_percentage=0")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((reports / "fleet.json").read_text())["settings"]["max_fail_percentage"] == 0


def test_a_canary_pattern_matching_nothing_stops_before_any_host(tmp_path):
    proc, reports = plan_only(tmp_path, "fleet", "-e", "rootless_fleet_canary=saturn")
    assert proc.returncode != 0
    assert "rootless_fleet_canary: 'saturn' matches none of the hosts to migrate" in proc.stdout + proc.stderr
    assert not reports.exists()


def test_an_inventorys_rootless_migrate_report_dir_is_the_fleet_reports_too(tmp_path):
    """make demo's inventory sets only rootless_migrate_report_dir: plans and fleet report go there."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n  hosts:\n    mimas:\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n"
        "    rootless_migrate_report_dir: '{{ inventory_dir }}/demo-reports'\n"
    )
    proc, _reports = plan_only(tmp_path, inventory, report_dir=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((tmp_path / "demo-reports" / "fleet.json").read_text())["settings"]["canary"] == ["mimas"]
