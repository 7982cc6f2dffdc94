"""b4arena.rootless.sandbox_check: OpenClaw's sandbox lifecycle on a real rootless Podman and a real dockerd."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ansible_collections.b4arena.rootless.plugins.module_utils._sandbox import compare_views, sandbox_spec
from ansible_collections.b4arena.rootless.tests.integration.harness import BIN, PlaybookRun, parse_ranges, run

REPO = Path(__file__).resolve().parents[2]

IMAGE = "b4arena-test/openclaw-sandbox:latest"

CHECK = """
- name: check
  b4arena.rootless.sandbox_check:
    engine: "{{ engine | default('podman') }}"
    run_as: "{{ user | default(omit) }}"
    image: "{{ image | default(omit) }}"
    sandbox: "{{ sandbox | default({}) }}"
    command: "{{ command | default(omit) }}"
    name: "{{ sbx | default(omit) }}"
    executable: "{{ executable | default(omit) }}"
  register: check
  ignore_errors: "{{ soft | default(false) }}"
"""


def owned_ids(user):
    """The host uids a rootless user's containers can run as: its own and its subordinate range."""
    ids = {user.uid}
    for owner, start, count in parse_ranges("/etc/subuid"):
        if owner in (user.name, str(user.uid)):
            ids.update(range(start, start + count))
    return ids


def leftovers(user=None):
    if user is None:
        return run(["docker", "ps", "-a", "--format", "{{.Names}}", "--filter", "name=b4t-sbx"]).stdout.split()
    return user.podman("ps", "-a", "--format", "{{.Names}}", "--filter", "name=b4t-sbx").stdout.split()


def test_podman_lifecycle_passes_as_the_rootless_user(playbook, rootless_user):
    done = playbook(
        CHECK,
        {
            "user": rootless_user.name,
            "image": IMAGE,
            "sbx": "b4t-sbx-podman",
            "command": "echo hello; id -u",
            "sandbox": {"env": {"AGENT_NAME": "a b$c"}},
        },
    )
    assert done.rc == 0, done.task_results("check").get("msg")
    result = done.task_results("check")
    assert result["changed"] is False
    assert [s["step"] for s in result["steps"]] == [
        "image inspect",
        "inspect absent",
        "create",
        "start",
        "inspect running",
        "exec",
        "inspect",
        "rm",
    ]
    assert result["passed"] and result["failed_steps"] == []
    # The image's USER (sandbox, 1000) wins over keep-id's default user: inside it is 1000, which
    # keep-id maps to one of the user's subordinate ids on the host; never root, never outside the
    # user's own ids.
    assert result["output"].split() == ["hello", "1000"]
    assert result["process"]["host_uid"] in owned_ids(rootless_user)
    assert result["process"]["cap_effective"] == "0000000000000000"
    assert result["process"]["no_new_privs"] is True
    assert result["probe"]["root"] == "read-only"
    assert result["probe"]["ifaces"] == ["lo"]
    argv = result["create_argv"]
    for flag in ("--init", "--read-only", "--http-proxy=false", "--read-only-tmpfs=true"):
        assert flag in argv
    assert argv[argv.index("--userns") + 1] == "keep-id"
    assert argv[argv.index("--network") + 1] == "none"
    # OpenClaw's default tmpfs under Podman leaves /run to Podman's init
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--tmpfs"] == ["/tmp", "/var/tmp"]
    assert "AGENT_NAME=a b$c" in result["view"][".Config.Env"]
    assert result["view"][".Config.Labels"]["openclaw.sandbox"] == "1"
    assert leftovers(rootless_user) == []


def test_docker_lifecycle_passes_and_matches_what_openclaw_reads(playbook, rootless_user):
    """The same definition on dockerd and on Podman: the fields OpenClaw parses, compared."""
    sandbox = {"env": {"AGENT_NAME": "x"}, "tmpfs": ["/tmp", "/var/tmp"], "memory": "256m", "pidsLimit": 64}
    docker = playbook(CHECK, {"engine": "docker", "image": IMAGE, "sbx": "b4t-sbx-docker", "sandbox": sandbox})
    podman = playbook(CHECK, {"user": rootless_user.name, "image": IMAGE, "sbx": "b4t-sbx-docker", "sandbox": sandbox})
    assert docker.rc == 0, docker.task_results("check")
    assert podman.rc == 0, podman.task_results("check")
    d, p = docker.task_results("check"), podman.task_results("check")
    # Rootful Docker, no user namespace: the image's uid 1000 is host uid 1000, whoever that is there
    assert d["process"]["host_uid"] == 1000 and d["output"].strip() == "1000"
    assert p["process"]["host_uid"] != 1000 and p["output"].strip() == "1000"
    assert "--userns" not in d["create_argv"] and "--http-proxy=false" not in d["create_argv"]
    diffs = compare_views(
        d["view"],
        p["view"],
        sandbox_spec(sandbox)[0],
        {"openclaw.sessionKey": "b4arena-check", "openclaw.configHash": "b4arena-check"},
        sandbox["env"],
    )
    assert [x for x in diffs if x["breaks_openclaw"]] == []
    # What does differ is what each engine adds on its own: tmpfs options, env defaults
    assert {x["field"] for x in diffs} <= {".Config.Env", ".HostConfig.Tmpfs", ".Config.Labels", ".Mounts"}
    assert leftovers() == []


def test_failed_step_is_reported_and_cleaned_up(playbook, rootless_user):
    done = playbook(
        CHECK,
        {"user": rootless_user.name, "image": IMAGE, "sbx": "b4t-sbx-fail", "command": "exit 3", "soft": True},
    )
    assert done.rc == 0, done.task_results("check").get("msg")
    result = done.task_results("check")
    assert result["passed"] is False
    assert result["failed_steps"] == ["exec"]
    assert result["msg"].startswith("sandbox lifecycle failed at exec")
    assert result["steps"][-1]["step"] == "rm" and result["steps"][-1]["ok"]
    assert leftovers(rootless_user) == []


def test_missing_image_fails_at_the_first_step_and_creates_nothing(playbook, rootless_user):
    done = playbook(
        CHECK, {"user": rootless_user.name, "image": "b4t-no-such:1", "sbx": "b4t-sbx-noimage", "soft": True}
    )
    result = done.task_results("check")
    assert result["failed_steps"] == ["image inspect"]
    assert [s["step"] for s in result["steps"]] == ["image inspect"]
    assert leftovers(rootless_user) == []


def test_check_mode_runs_only_image_inspect(playbook, rootless_user):
    done = playbook(CHECK, {"user": rootless_user.name, "image": IMAGE, "sbx": "b4t-sbx-check"}, check=True)
    assert done.rc == 0, done.task_results("check").get("msg")
    result = done.task_results("check")
    assert result["steps"] == [] and result["changed"] is False
    assert [c[-3:] for c in result["commands"]] == [["image", "inspect", IMAGE]]


@pytest.mark.parametrize(
    "sandbox, message",
    [
        ({"network": "host"}, "sandbox.network: 'host' is refused by OpenClaw"),
        ({"seccompProfile": "unconfined"}, "sandbox.seccompProfile: 'unconfined' is refused"),
        ({"tmpfs": "/tmp"}, "sandbox.tmpfs: '/tmp' is not a list"),
        ({"readOnly": True}, "sandbox.readOnly: not an OpenClaw sandbox.docker key"),
        ({"user": "sandbox"}, "sandbox.user: 'sandbox' must be a numeric UID or UID:GID"),
        ({"user": "0:0"}, "sandbox.user: '0:0' cannot be UID or GID 0"),
    ],
)
def test_bad_sandbox_settings_name_the_field(playbook, rootless_user, sandbox, message):
    done = playbook(
        CHECK, {"user": rootless_user.name, "image": IMAGE, "sandbox": sandbox, "sbx": "b4t-sbx-bad", "soft": True}
    )
    result = done.task_results("check")
    assert message in result["msg"]
    assert "commands" not in result
    assert leftovers(rootless_user) == []


def test_docker_flags_through_podman_docker(playbook, rootless_user):
    """OpenClaw's Docker backend on a host whose docker is podman-docker (a docker that execs
    podman, as Debian's podman-docker package installs it): the same flags, the user's Podman,
    and what OpenClaw reads from inspect still parses."""
    with tempfile.TemporaryDirectory(prefix="b4t-podman-docker-") as bindir:  # the user must reach it
        shim = Path(bindir) / "docker"
        shim.write_text('#!/bin/sh\nexec podman "$@"\n')
        shim.chmod(0o755)
        Path(bindir).chmod(0o755)
        args = {"engine": "docker", "image": IMAGE, "sbx": "b4t-sbx-shim", "sandbox": {"env": {"A": "1"}}}
        shimmed = playbook(CHECK, dict(args, user=rootless_user.name, executable=str(shim)))
    docker = playbook(CHECK, args)
    assert shimmed.rc == 0, shimmed.task_results("check").get("msg")
    assert docker.rc == 0, docker.task_results("check").get("msg")
    s, d = shimmed.task_results("check"), docker.task_results("check")
    assert "--userns" not in s["create_argv"] and "--http-proxy=false" not in s["create_argv"]
    assert s["process"]["host_uid"] in owned_ids(rootless_user) and s["process"]["host_uid"] != rootless_user.uid
    assert s["view"][".Config.Labels"]["openclaw.sandbox"] == "1"
    diffs = compare_views(d["view"], s["view"], sandbox_spec({"env": {"A": "1"}})[0], {}, {"A": "1"})
    assert [x for x in diffs if x["breaks_openclaw"]] == []
    assert leftovers(rootless_user) == []


def verify_playbook(tmp_path, user, *extra):
    argv = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(REPO / "playbooks" / "verify.yml")]
    argv += [
        "-e",
        json.dumps(
            {
                "ansible_python_interpreter": sys.executable,
                "sandbox_check_user": user,
                "sandbox_check_sandbox": {"image": IMAGE},
                "sandbox_check_report_dir": str(tmp_path),
            }
        ),
    ]
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
    return PlaybookRun(subprocess.run([*argv, *extra], capture_output=True, text=True, env=env, check=False))


def test_verify_playbook_reports_podman_and_docker_on_this_host(tmp_path, rootless_user):
    done = verify_playbook(tmp_path, rootless_user.name)
    assert done.rc == 0, done.stderr
    assert done.stats["changed"] == 0
    found = json.loads((tmp_path / "sandbox-check-localhost.json").read_text())
    assert found["failures"] == []
    assert found["lifecycle"]["podman"]["passed"] and found["lifecycle"]["docker"]["passed"]
    assert [d for d in found["inspect_diff"] if d["breaks_openclaw"]] == []
    assert found["openclaw"] == {"skipped": "no sandbox_check_openclaw_command"}
    assert "All checks passed." in (tmp_path / "sandbox-check-localhost.md").read_text()


def test_verify_playbook_fails_naming_the_failed_checks(tmp_path, rootless_user):
    done = verify_playbook(
        tmp_path, rootless_user.name, "-e", json.dumps({"sandbox_check_sandbox": {"image": "b4t-none:1"}})
    )
    failed = [
        t["task"]["name"] + ": " + str(t["hosts"]["localhost"].get("msg"))
        for play in done.data["plays"]
        for t in play["tasks"]
        if t["hosts"].get("localhost", {}).get("failed")
    ]
    assert done.rc == 2 and "Every sandbox check passed" in failed[-1], failed
    found = json.loads((tmp_path / "sandbox-check-localhost.json").read_text())
    assert "podman: image inspect" in found["failures"]
    assert "docker: image inspect" in found["failures"]
    assert "runs as an unprivileged host user" in found["failures"]


def test_verify_playbook_in_check_mode_runs_no_check(tmp_path, rootless_user):
    done = verify_playbook(tmp_path, rootless_user.name, "--check")
    assert done.rc == 0, done.stderr
    assert not (tmp_path / "sandbox-check-localhost.json").exists()
