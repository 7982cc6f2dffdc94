"""The reports the template_audit role left on the controller."""

import json
import os
from pathlib import Path

REPORTS = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "audit-reports"


def test_three_reports_on_the_controller():
    assert sorted(p.name for p in REPORTS.iterdir()) == [
        "rootless-audit.json",
        "rootless-audit.md",
        "rootless-audit.sarif",
    ]


def test_the_inventory_value_was_checked_in_place():
    report = json.loads((REPORTS / "rootless-audit.json").read_text())
    via = [f for f in report["findings"] if f.get("via") == "openclaw_sandbox_network"]
    assert [(f["path"], f["rule"], f["line"]) for f in via] == [
        ("infra/templates/openclaw-vars-network.json.j2", "bridge-network", 5)
    ]
    assert report["summary"]["templates"] == 34


def test_sarif_names_the_tool_and_every_rule():
    sarif = json.loads((REPORTS / "rootless-audit.sarif").read_text())
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["name"] == "b4arena.rootless.template_audit"
    assert len(driver["rules"]) == 23
