"""sandbox_network vs containers.podman.podman_network: per-call time of a no-op on the same rootless network."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from ansible_collections.b4arena.rootless.tests.integration.harness import RootlessUser, playbook_command

CALLS = 15
USER = "b4bench-net"
NETWORK = "openclaw-sandbox-net"

TASKS = """
- name: ours
  b4arena.rootless.sandbox_network:
    name: %(net)s
    run_as: %(user)s
  loop: "{{ range(%(calls)d) | list }}"

- name: containers.podman
  containers.podman.podman_network:
    name: %(net)s
  become: true
  become_user: %(user)s
  become_method: ansible.builtin.su
  environment:
    XDG_RUNTIME_DIR: /run/user/%(uid)d
  loop: "{{ range(%(calls)d) | list }}"
"""


def seconds(task):
    duration = task["task"]["duration"]
    start, end = (datetime.fromisoformat(duration[k].replace("Z", "+00:00")) for k in ("start", "end"))
    return (end - start).total_seconds()


def run_bench():
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", USER], check=True)
    user = RootlessUser(USER)
    runtime = Path(user.runtime)
    runtime.mkdir(parents=True, exist_ok=True)
    shutil.chown(runtime, user.uid, user.uid)
    runtime.chmod(0o700)
    user.podman("network", "create", NETWORK)
    with tempfile.TemporaryDirectory() as workdir:
        argv, env = playbook_command(
            Path(workdir),
            TASKS % {"net": NETWORK, "user": USER, "uid": user.uid, "calls": CALLS},
            python="/usr/bin/python3",  # the become user cannot run this checkout's virtualenv
        )
        started = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - started
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    if proc.returncode != 0:
        failures = [
            "%s: %s" % (t["task"]["name"], item.get("msg"))
            for t in tasks
            for item in t["hosts"]["localhost"].get("results", [t["hosts"]["localhost"]])
            if item.get("failed")
        ]
        raise RuntimeError("benchmark playbook failed: %s" % "; ".join(failures[:3]))
    results = {}
    for task in tasks:
        host = task["hosts"]["localhost"]
        assert not host.get("changed"), "a no-op call changed something: %s" % task["task"]["name"]
        results[task["task"]["name"]] = seconds(task) / CALLS
    return results, wall


def run():
    try:
        per_call, wall = run_bench()
    finally:
        subprocess.run(["pkill", "-KILL", "-u", USER], check=False)
        runtime = RootlessUser(USER).runtime
        subprocess.run(["userdel", "-r", "-f", USER], check=False, capture_output=True)
        shutil.rmtree(runtime, ignore_errors=True)
    ours, theirs = per_call["ours"], per_call["containers.podman"]
    print("   no-op per call, %d calls each, rootless network %s:" % (CALLS, NETWORK))
    print("     b4arena.rootless.sandbox_network (run_as)        %.3f s" % ours)
    print("     containers.podman.podman_network (become_user)   %.3f s" % theirs)
    print("     ratio ours / containers.podman                   %.2f" % (ours / theirs))
    return {
        "calls": CALLS,
        "sandbox_network_s": round(ours, 4),
        "podman_network_s": round(theirs, 4),
        "ratio": round(ours / theirs, 3),
        "playbook_wall_s": round(wall, 2),
    }
