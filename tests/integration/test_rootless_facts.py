"""b4arena.rootless.rootless_facts on this machine, through ansible-playbook."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ansible_collections.b4arena.rootless.tests.integration.harness import PlaybookRun, playbook_command, run

FACTS = """
- name: facts
  b4arena.rootless.rootless_facts:
    users: "{{ users }}"
    fail_on_blockers: "{{ fail_on_blockers | default(false) }}"
"""


def test_facts_of_a_ready_rootless_user(playbook, rootless_user):
    result = playbook(FACTS, {"users": [rootless_user.name, "no-such-user-b4t"]})
    assert result.rc == 0, result.stderr
    facts = result.task_results("facts")["ansible_facts"]["rootless"]
    user = facts["users"][rootless_user.name]
    assert user["uid"] == rootless_user.uid and user["runtime_dir"] is True
    assert user["subuid"] and user["subgid"]
    assert facts["users"]["no-such-user-b4t"]["exists"] is False
    # Podman itself answered for the ready user.
    assert facts["storage"][rootless_user.name]["source"] == "podman info"
    assert facts["podman_version"] == run(["podman", "version", "--format", "{{.Client.Version}}"]).stdout.strip()
    assert facts["tools"]["podman"] and facts["tools"]["catatonit"]
    assert facts["idmap"]["newuidmap"]["setuid"] or facts["idmap"]["newuidmap"]["file_caps"]
    expected_cgroup = "v2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "hybrid"
    assert facts["cgroup"]["version"] == expected_cgroup
    assert facts["blockers"] == []


def test_disabled_user_namespaces_block_with_the_knob_named(tmp_path):
    """A host whose user.max_user_namespaces is 0, for real.

    The limit is per user namespace, and a new one holds every capability over itself:
    inside `unshare --user`, setting it to 0 makes further user namespaces fail
    ("No space left on device") without touching the machine's own limit.
    """
    argv, env = playbook_command(tmp_path, FACTS, {"users": [], "fail_on_blockers": True})
    broken = ["unshare", "--user", "--map-root-user", "sh", "-c"]
    broken += ['echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "sh", *argv]
    result = PlaybookRun(subprocess.run(broken, capture_output=True, text=True, env=env, check=False))
    assert Path("/proc/sys/user/max_user_namespaces").read_text().strip() != "0"
    assert result.rc != 0
    msg = result.task_results("facts")["msg"]
    assert "[userns_limit_zero] no user namespaces may be created (user.max_user_namespaces = 0)" in msg
    assert "fix: sysctl user.max_user_namespaces" in msg
