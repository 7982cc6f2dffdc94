"""The real OpenClaw on a migrated host, and what sandbox_check reported before and after."""

import json
import os
from pathlib import Path

import pytest

REPORTS = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "reports"


def report(stage):
    return json.loads((REPORTS / stage / "sandbox-check-mimas.json").read_text())


def as_user(host, command):
    uid = host.user("openclaw").uid
    return host.run("runuser -u openclaw -- env XDG_RUNTIME_DIR=/run/user/%d %s" % (uid, command))


@pytest.mark.parametrize("stage", ["staged", "migrated"])
def test_every_check_passed(stage):
    found = report(stage)
    assert found["failures"] == []
    assert found["lifecycle"]["podman"]["passed"] is True
    assert all(check["ok"] for check in found["security"])
    assert (REPORTS / stage / "sandbox-check-mimas.md").read_text().startswith("# Sandbox check: mimas")


def test_staged_host_compared_docker_and_podman(host):
    found = report("staged")
    assert found["lifecycle"]["docker"]["passed"] is True
    assert found["openclaw_backend"] == "docker"  # before migration, OpenClaw still used Docker
    diff = found["inspect_diff"]
    assert isinstance(diff, list)
    assert [d for d in diff if d["breaks_openclaw"]] == []
    # Both run the image's user (uid 1000): Docker as host uid 1000 whoever that is, Podman (keep-id)
    # as the rootless user, which here has that uid too
    assert found["lifecycle"]["docker"]["process"]["host_uid"] == 1000
    assert found["lifecycle"]["podman"]["process"]["host_uid"] == host.user("openclaw").uid


def test_migrated_host_ran_a_real_openclaw_turn_in_a_podman_sandbox():
    found = report("migrated")
    assert found["openclaw_backend"] == "podman"
    assert found["lifecycle"]["docker"] == {"skipped": "no Docker daemon answers"}
    openclaw = found["openclaw"]
    assert openclaw["skipped"] == ""
    assert openclaw["version"].startswith("OpenClaw 2026.9.6")
    assert openclaw["tool_summary"] == {"calls": 1, "tools": ["exec"], "failures": 0}
    assert "B4ARENA_SANDBOX_OK" in openclaw["reply"]
    assert openclaw["containers"] and all(n.startswith("openclaw-sbx-podman-") for n in openclaw["containers"])
    assert {c["check"] for c in openclaw["checks"] if not c["ok"]} == set()
    # The command ran as the sandbox's user with no capabilities, no_new_privs and a seccomp filter
    assert "CapEff:\t0000000000000000" in openclaw["reply"]
    assert "NoNewPrivs:\t1" in openclaw["reply"]
    assert "Seccomp:\t2" in openclaw["reply"]


def test_the_model_stub_was_asked_with_the_exec_tool(host):
    log = host.file("/var/log/model-stub.jsonl").content_string.splitlines()
    bodies = [json.loads(line)["body"] for line in log]
    assert any(any(t["function"]["name"] == "exec" for t in b.get("tools", [])) for b in bodies)


def test_recreate_left_no_sandbox_and_docker_is_masked(host):
    assert as_user(host, "podman ps --all --filter label=openclaw.sandbox=1 --format '{{.Names}}'").stdout.strip() == ""
    assert host.run("systemctl is-enabled docker.service").stdout.strip() == "masked"
