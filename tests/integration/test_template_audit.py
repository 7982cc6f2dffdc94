"""playbooks/audit.yml through ansible-playbook on a copy of the template corpus: reports, failing,
fixes (and check mode), from any working directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "unit" / "fixtures" / "infra_repo"
BIN = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin"


@pytest.fixture
def infra(tmp_path):
    repo = tmp_path / "infra-repo"
    shutil.copytree(CORPUS / "infra", repo / "infra")
    return repo


def audit(tmp_path, repo, *extra):
    """playbooks/audit.yml run from an unrelated directory, reports where asked."""
    reports = tmp_path / "reports"
    argv = [
        str(BIN / "ansible-playbook"),
        str(REPO / "playbooks" / "audit.yml"),
        "-e",
        json.dumps({"template_audit_root": str(repo), "template_audit_report_dir": str(reports)}),
        *extra,
    ]
    env = dict(
        os.environ,
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
    )
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/", check=False)
    data = json.loads(proc.stdout)
    task = next(
        t
        for p in data["plays"]
        for t in p["tasks"]
        if t["task"]["name"].endswith(": Audit the templates for what breaks under rootless Podman")
    )
    return proc.returncode, task["hosts"]["localhost"], reports


def test_errors_fail_the_play_with_all_three_reports(tmp_path, infra):
    rc, result, reports = audit(tmp_path, infra)
    assert rc != 0
    assert result["summary"]["templates"] == 34
    assert "at or above error" in result["msg"]
    assert sorted(p.name for p in reports.iterdir()) == [
        "rootless-audit.json",
        "rootless-audit.md",
        "rootless-audit.sarif",
    ]
    saved = json.loads((reports / "rootless-audit.json").read_text())
    assert saved["summary"] == result["summary"]
    sarif = json.loads((reports / "rootless-audit.sarif").read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == len(result["findings"])


def test_fail_on_never_reports_without_failing(tmp_path, infra):
    rc, result, _reports = audit(tmp_path, infra, "-e", "template_audit_fail_on=never")
    assert rc == 0
    assert result["summary"]["by_severity"]["error"] > 0
    assert result["changed"] is False


def test_fixes_only_with_apply_fixes_and_never_in_check_mode(tmp_path, infra):
    unit = infra / "infra/templates/openclaw-backup.service.j2"
    before = unit.read_text()
    rc, result, _reports = audit(tmp_path, infra, "-e", "template_audit_fail_on=never")
    assert "-After=docker.service" in result["fixes"]["infra/templates/openclaw-backup.service.j2"]
    assert unit.read_text() == before

    rc, result, _reports = audit(
        tmp_path,
        infra,
        "-e",
        "template_audit_fail_on=never",
        "-e",
        "template_audit_apply_fixes=true",
        "--check",
        "--diff",
    )
    assert rc == 0 and result["changed"] is True
    assert unit.read_text() == before

    rc, fixed, _reports = audit(
        tmp_path, infra, "-e", "template_audit_fail_on=never", "-e", "template_audit_apply_fixes=true"
    )
    assert fixed["changed"] is True and "infra/templates/openclaw-backup.service.j2" in fixed["fixed"]
    assert "docker" not in unit.read_text().replace("# {{ ansible_managed }}", "")
    rc, again, _reports = audit(tmp_path, infra, "-e", "template_audit_fail_on=never")
    assert again["summary"]["findings"] < result["summary"]["findings"]


def test_bad_input_names_the_field(tmp_path):
    rc, result, _reports = audit(tmp_path, tmp_path / "missing")
    assert rc != 0
    assert "root:" in result["msg"] and "is not a directory" in result["msg"]
