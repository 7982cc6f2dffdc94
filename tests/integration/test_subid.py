"""b4arena.rootless.subid through ansible-playbook on this machine's real files and users."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

from ansible_collections.b4arena.rootless.plugins.module_utils._subid import ShadowLock
from ansible_collections.b4arena.rootless.tests.integration.harness import (
    assert_disjoint,
    parse_ranges,
    playbook_command,
    run,
)

ALLOCATE = """
- name: allocate
  b4arena.rootless.subid:
    users: "{{ agent_users }}"
"""

ALLOCATE_EACH = """
- name: allocate one at a time
  b4arena.rootless.subid:
    name: "{{ item }}"
  loop: "{{ agent_users }}"
"""


def etc_bytes():
    return {p: Path(p).read_bytes() for p in ("/etc/subuid", "/etc/subgid")}


def owned(user, path):
    return [(s, c) for o, s, c in parse_ranges(path) if o == user]


def test_check_mode_then_apply_then_no_change(playbook, make_users):
    users = make_users(3)
    before = etc_bytes()

    checked = playbook(ALLOCATE, {"agent_users": users}, check=True, diff=True)
    assert checked.rc == 0, checked.stderr
    assert checked.stats["changed"] == 1
    assert etc_bytes() == before, "check mode wrote to /etc"

    applied = playbook(ALLOCATE, {"agent_users": users})
    assert applied.rc == 0, applied.stderr
    assert applied.stats["changed"] == 1
    result = applied.task_results("allocate")
    for user in users:
        assert len(owned(user, "/etc/subuid")) == 1 and len(owned(user, "/etc/subgid")) == 1
        entry = next(u for u in result["users"] if u["name"] == user)
        assert (entry["subuid"]["start"], entry["subuid"]["count"]) == owned(user, "/etc/subuid")[0]
    assert_disjoint("/etc/subuid", "/etc/subgid")

    again = playbook(ALLOCATE, {"agent_users": users})
    assert again.rc == 0 and again.stats["changed"] == 0


def test_two_concurrent_runs_and_useradd_never_collide(tmp_path, make_users):
    users = make_users(50)
    # A foreign comment and range that must survive untouched.
    with open("/etc/subuid", "a") as f:
        f.write("# kept across concurrent runs\n")
    tag = os.getpid()
    natives = ["b4t-native-%d-%d" % (tag, i) for i in range(3)]
    mine = set(users) | set(natives)

    def foreign_lines():
        lines = Path("/etc/subuid").read_text().splitlines()
        return [line for line in lines if line.split(":", 1)[0] not in mine]

    foreign = foreign_lines()

    procs = []
    for half in (users[:25], users[25:]):
        argv, env = playbook_command(tmp_path, ALLOCATE_EACH, {"agent_users": half})
        procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    # shadow's own useradd allocates ranges meanwhile, under the same lock.
    for name in natives:
        run(["useradd", "-M", "-s", "/bin/sh", name])
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err + out[-3000:]

    for user in users:
        assert len(owned(user, "/etc/subuid")) == 1, user
        assert len(owned(user, "/etc/subgid")) == 1, user
    for name in natives:
        assert len(owned(name, "/etc/subuid")) == 1, name
    spans = assert_disjoint("/etc/subuid", "/etc/subgid")
    assert {span[2] for span in spans} >= set(users) | set(natives)
    assert foreign_lines() == foreign


def test_absent_removes_only_that_users_ranges(playbook, make_users):
    users = make_users(3)
    assert playbook(ALLOCATE, {"agent_users": users}).rc == 0
    others = {
        p: [line for line in Path(p).read_text().splitlines() if users[1] not in line]
        for p in ("/etc/subuid", "/etc/subgid")
    }

    removed = playbook(
        """
        - name: remove
          b4arena.rootless.subid:
            name: "{{ agent_users[1] }}"
            state: absent
        """,
        {"agent_users": users},
    )
    assert removed.rc == 0 and removed.stats["changed"] == 1
    for path, lines in others.items():
        assert Path(path).read_text().splitlines() == lines


def test_shadow_tools_wait_for_our_lock(make_users):
    (user,) = make_users(1)
    lock = ShadowLock("/etc/subuid")
    lock.acquire()
    try:
        blocked = run(["usermod", "--add-subuids", "4000000000-4000000009", user], check=False)
        assert blocked.returncode != 0
        assert "cannot lock /etc/subuid" in blocked.stderr
    finally:
        lock.release()
    run(["usermod", "--add-subuids", "4000000000-4000000009", user])
    assert owned(user, "/etc/subuid") == [(4000000000, 10)]


def test_rootless_podman_maps_the_allocated_range(playbook, make_users):
    (user,) = make_users(1, home=True)
    applied = playbook(
        """
        - name: allocate
          b4arena.rootless.subid:
            name: "{{ agent_user }}"
            count: 70000
        """,
        {"agent_user": user},
    )
    assert applied.rc == 0, applied.stderr
    sub = applied.task_results("allocate")["subuid"]
    uid = pwd.getpwnam(user).pw_uid
    runtime = Path("/run/user/%d" % uid)
    runtime.mkdir(parents=True, exist_ok=True)
    os.chown(runtime, uid, uid)
    runtime.chmod(0o700)
    out = run(
        [
            "runuser",
            "-u",
            user,
            "--",
            "env",
            "XDG_RUNTIME_DIR=%s" % runtime,
            "podman",
            "unshare",
            "cat",
            "/proc/self/uid_map",
        ],
        cwd="/",
    ).stdout
    rows = [tuple(int(x) for x in line.split()) for line in out.splitlines()]
    assert rows == [(0, uid, 1), (1, sub["start"], sub["count"])], out


def test_bad_input_fails_the_play_and_changes_nothing(playbook):
    before = etc_bytes()
    failed = playbook(
        """
        - name: allocate
          b4arena.rootless.subid:
            name: nobody-at-all-here
        """
    )
    assert failed.rc != 0
    assert "unknown user: nobody-at-all-here" in failed.task_results("allocate")["msg"]
    assert etc_bytes() == before
