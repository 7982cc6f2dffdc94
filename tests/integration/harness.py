"""Helpers for the integration tests: run playbooks and commands, read id files."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

BIN = Path(sys.executable).parent
ETC_FILES = ("/etc/subuid", "/etc/subgid")
USER_PREFIX = "b4t"


def run(argv, check=True, **kw):
    """Run an argv list; on failure show what it printed."""
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(
            "%s exited %d\nstdout:\n%s\nstderr:\n%s" % (argv, proc.returncode, proc.stdout, proc.stderr)
        )
    return proc


class PlaybookRun:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stderr = proc.stderr
        self.data = json.loads(proc.stdout)

    @property
    def stats(self):
        return self.data["stats"]["localhost"]

    def task_results(self, name):
        """Host results of the task named ``name`` (list of per-host results; loops folded in)."""
        for play in self.data["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"] == name:
                    return task["hosts"]["localhost"]
        raise KeyError(name)


def playbook_command(tmp_path, tasks, extra_vars=None, *, check=False, diff=False, python=sys.executable):
    """Write a one-play playbook of ``tasks`` (YAML text) and return its argv and env.

    ``python`` runs the modules; a task that becomes another user needs one that user can run.
    """
    path = tmp_path / ("play-%s.yml" % uuid.uuid4().hex[:8])
    path.write_text(
        "- name: integration play\n  hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
        + textwrap.indent(textwrap.dedent(tasks), "    ")
    )
    argv = [str(BIN / "ansible-playbook"), "-i", "localhost,", str(path)]
    argv += ["-e", "ansible_python_interpreter=%s" % python]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
    return argv, env


def parse_ranges(path):
    """(owner, start, count) of every range line, for independent checks."""
    out = []
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            owner, start, count = line.split(":")
            out.append((owner, int(start), int(count)))
    return out


def assert_disjoint(*paths):
    """No two different owners' ranges meet, across all the given files."""
    spans = sorted({(s, s + c, o) for p in paths for o, s, c in parse_ranges(p)})
    reach, reach_owner = -1, None  # furthest end seen so far, and whose it is
    for start, end, owner in spans:
        assert not (start < reach and owner != reach_owner), "%s %d-%d meets %s (up to %d)" % (
            owner,
            start,
            end,
            reach_owner,
            reach,
        )
        if end > reach:
            reach, reach_owner = end, owner
    return spans


class RootlessUser:
    """A real unprivileged user with rootless Podman, driven independently of the modules."""

    def __init__(self, name):
        entry = pwd.getpwnam(name)
        self.name = name
        self.uid = entry.pw_uid
        self.gid = entry.pw_gid
        self.home = entry.pw_dir
        self.runtime = "/run/user/%d" % self.uid

    def podman(self, *args, check=True, **kw):
        argv = ["runuser", "-u", self.name, "--", "env", "XDG_RUNTIME_DIR=%s" % self.runtime, "podman", *args]
        return run(argv, check=check, cwd="/", **kw)

    def podman_json(self, *args):
        return json.loads(self.podman(*args).stdout)


# One HTTP request to Debian's mirror, in busybox sh: busybox-static's wget crashes in
# glibc's static name lookup, so nc (busybox's own resolver) carries it. stdin stays
# open a while, because nc half-closes at EOF and the mirror's front end then drops
# the request unanswered.
MIRROR_PROBE = (
    '(printf "HEAD /debian/dists/bookworm/Release HTTP/1.1\\r\\n'
    'Host: deb.debian.org\\r\\nConnection: close\\r\\n\\r\\n"; sleep 5)'
    " | nc -w 10 deb.debian.org 80 | head -1"
)
