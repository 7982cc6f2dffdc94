"""subid: allocate 1,000 real users in one bulk call into files already holding 10,000 ranges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from ansible_collections.b4arena.rootless.plugins.module_utils._subid import (
    Planner,
    Request,
    SubidFile,
    parse_login_defs,
)

USERS = 1000
EXISTING = 10000
PREFIX = "b4bench"
BIN = Path(sys.executable).parent
# 11,000 ranges of 65,536 ids pass shadow's default SUB_UID_MAX (600,100,000):
# a fleet this size needs a larger MAX, as a real one would set in login.defs.
LOGIN_DEFS = "SUB_UID_MAX 4000000000\nSUB_GID_MAX 4000000000\n"


def foreign_ranges():
    """10,000 ranges of other owners, with a 1,000-id gap after every 7th (holes too small to use)."""
    lines, start = ["# fleet ranges\n"], 100000
    for i in range(EXISTING):
        lines.append("fleet-%d:%d:65536\n" % (i, start))
        start += 65536 + (1000 if i % 7 == 0 else 0)
    return "".join(lines)


def make_users(home):
    # newusers creates each home directory: keep them in the benchmark's temp dir.
    spec = "".join("%s-%d:x:::bench:%s/%d:/usr/sbin/nologin\n" % (PREFIX, i, home, i) for i in range(USERS))
    started = time.perf_counter()
    subprocess.run(["newusers"], input=spec, text=True, check=True)
    return time.perf_counter() - started


def remove_users():
    for i in range(USERS):
        subprocess.run(["userdel", "%s-%d" % (PREFIX, i)], check=False, capture_output=True)


def play(workdir, names, subuid, subgid, login_defs):
    playbook = Path(workdir) / "bulk.yml"
    playbook.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
        "    - name: bulk\n      b4arena.rootless.subid:\n        users: '{{ names }}'\n"
        "        subuid_file: %s\n        subgid_file: %s\n        login_defs: %s\n" % (subuid, subgid, login_defs)
    )
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    argv = [str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook)]
    argv += ["-e", json.dumps({"names": names, "ansible_python_interpreter": sys.executable})]
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - started
    task = json.loads(proc.stdout)["plays"][0]["tasks"][0]
    duration = task["task"]["duration"]
    seconds = (stamp(duration["end"]) - stamp(duration["start"])).total_seconds()
    return wall, seconds, task["hosts"]["localhost"]


def stamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def engine_only(text, names):
    files = {k: SubidFile.parse(k, text) for k in ("subuid", "subgid")}
    started = time.perf_counter()
    planner = Planner(files, ["subuid", "subgid"], parse_login_defs(LOGIN_DEFS, "login.defs"))
    for i, name in enumerate(names):
        planner.ensure_present(Request(name, 2000 + i))
    planner.verify()
    for f in files.values():
        f.render()
    return time.perf_counter() - started


def run():
    names = ["%s-%d" % (PREFIX, i) for i in range(USERS)]
    text = foreign_ranges()
    engine_s = engine_only(text, names)
    figures = {"users": USERS, "existing_ranges": EXISTING, "engine_s": round(engine_s, 3)}
    print("   planner alone, %d users into %d ranges: %.3f s" % (USERS, EXISTING, engine_s))
    with tempfile.TemporaryDirectory() as workdir:
        subuid, subgid = Path(workdir) / "subuid", Path(workdir) / "subgid"
        subuid.write_text(text)
        subgid.write_text(text)
        login_defs = Path(workdir) / "login.defs"
        login_defs.write_text(LOGIN_DEFS)
        try:
            newusers_s = make_users(workdir)
            print("   (setup: shadow's newusers made %d users with their ranges in %.1f s)" % (USERS, newusers_s))
            wall, task_s, result = play(workdir, names, subuid, subgid, login_defs)
            assert result["changed"] and len(result["users"]) == USERS
            print("   module, one bulk call: task %.2f s (ansible-playbook wall %.2f s)" % (task_s, wall))
            wall2, task2_s, result2 = play(workdir, names, subuid, subgid, login_defs)
            assert not result2["changed"]
            print("   module, same call again (no change): task %.2f s (wall %.2f s)" % (task2_s, wall2))
            figures.update(
                newusers_s=round(newusers_s, 2),
                module_task_s=round(task_s, 3),
                playbook_wall_s=round(wall, 3),
                noop_task_s=round(task2_s, 3),
                noop_playbook_wall_s=round(wall2, 3),
                target_s=2.0,
            )
            print("   target: under 2 s for the bulk call -> %s" % ("met" if task_s < 2.0 else "MISSED"))
        finally:
            remove_users()
    return figures
