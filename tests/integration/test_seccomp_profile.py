"""The rootless_host role's seccomp profile, in real rootless containers started the way OpenClaw starts sandboxes."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "roles/rootless_host/files/openclaw-sandbox-seccomp.json"
IMAGE = "b4arena-test/openclaw-sandbox:latest"
# OpenClaw's create flags for a Podman sandbox (see the README), minus labels and names.
OPENCLAW_FLAGS = [
    "--init", "--read-only", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", "--tmpfs", "/run",
    "--network", "none", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
    "--userns", "keep-id", "--read-only-tmpfs=true", "--http-proxy=false",
]  # fmt: skip
# What issue #5 says must be denied, by probe name.
DENIED = [
    "unshare_user", "unshare_mount", "clone_newuser", "clone_newnet", "clone3", "setns", "mount", "umount2",
    "pivot_root", "fsopen", "open_tree", "keyctl", "add_key", "request_key", "userfaultfd", "io_uring_setup",
    "bpf", "perf_event_open", "ptrace", "process_vm_readv", "socket_alg", "socket_vsock", "socket_netlink",
    "socket_packet",
]  # fmt: skip
ALLOWED = ["socket_unix", "socket_inet", "socket_inet6", "fork"]


@pytest.fixture(scope="session")
def profile_path(rootless_user):
    """The profile where the user's Podman can read it, as the role installs it."""
    target = Path(rootless_user.home) / ".config/containers/openclaw-sandbox-seccomp.json"
    shutil.copy(PROFILE, target)
    shutil.chown(target, rootless_user.uid, rootless_user.uid)
    return str(target)


def sandbox(user, *command, profile=None):
    flags = list(OPENCLAW_FLAGS)
    if profile:
        flags += ["--security-opt", "seccomp=%s" % profile]
    return user.podman("run", "--rm", *flags, IMAGE, *command)


def probe(user, profile=None):
    out = sandbox(user, "/usr/local/bin/syscall-probe", profile=profile).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def test_profile_is_valid_and_explains_every_rule():
    profile = json.loads(PROFILE.read_text())
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO" and profile["defaultErrnoRet"] == 38
    denied = set()
    for rule in profile["syscalls"]:
        assert rule["comment"], rule["names"]
        if rule["action"] == "SCMP_ACT_ERRNO":
            denied.update(rule["names"])
    allowed = {
        n for r in profile["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" and "args" not in r for n in r["names"]
    }
    must_deny = {"userfaultfd", "keyctl", "add_key", "request_key", "unshare", "setns", "mount", "umount2",
                 "fsopen", "fsmount", "move_mount", "open_tree", "pivot_root", "clone3", "io_uring_setup",
                 "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "ptrace",
                 "process_vm_readv", "process_vm_writev"}  # fmt: skip
    assert must_deny <= denied
    assert not allowed & denied
    assert "socket" not in allowed and "clone" not in allowed  # only with argument filters


def test_every_dangerous_syscall_is_refused_and_the_basics_work(rootless_user, profile_path):
    verdicts = probe(rootless_user, profile_path)
    for name in DENIED:
        assert verdicts[name] in ("EPERM", "ENOSYS"), (name, verdicts[name])
    for name in ALLOWED:
        assert verdicts[name] == "ok", (name, verdicts[name])


def test_podmans_default_profile_is_weaker(rootless_user):
    """Why the role ships its own profile: Podman's default lets a sandbox make user namespaces."""
    verdicts = probe(rootless_user)
    assert verdicts["unshare_user"] == "ok"
    assert verdicts["keyctl"] == "ok"


WORKLOAD = textwrap.dedent(
    """
    import asyncio, hashlib, json, os, socket, subprocess, tempfile, threading
    with tempfile.NamedTemporaryFile("w+", dir="/tmp") as f:
        f.write("data"); f.flush(); f.seek(0); assert f.read() == "data"
    assert subprocess.run(["sh", "-c", "echo sub"], capture_output=True, text=True).stdout == "sub\\n"
    box = []
    t = threading.Thread(target=box.append, args=(1,)); t.start(); t.join(); assert box == [1]
    async def main():
        await asyncio.sleep(0)
        return 2
    assert asyncio.run(main()) == 2
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); s.close()
    a, b = socket.socketpair(); a.sendall(b"x"); assert b.recv(1) == b"x"
    print(json.dumps({"sha": hashlib.sha256(b"x").hexdigest()[:8], "pid": os.getpid() > 0}))
    """
)


def test_shell_python_and_tools_work_under_the_profile(rootless_user, profile_path):
    assert sandbox(rootless_user, "python3", "-c", WORKLOAD, profile=profile_path).stdout.strip() == (
        '{"sha": "2d711642", "pid": true}'
    )
    script = "cd /tmp && git init -q repo && echo '{\"a\": 1}' | jq .a && echo hit | rg -c hit && bash -c 'echo bash'"
    assert sandbox(rootless_user, "bash", "-c", script, profile=profile_path).stdout.split() == ["1", "1", "bash"]


def test_no_new_privileges_and_no_capabilities(rootless_user, profile_path):
    status = sandbox(rootless_user, "cat", "/proc/self/status", profile=profile_path).stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["NoNewPrivs"].strip() == "1"
    assert int(fields["CapEff"].strip(), 16) == 0
    assert int(fields["CapPrm"].strip(), 16) == 0
    assert fields["Seccomp"].strip() == "2"
