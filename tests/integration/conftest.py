"""Integration harness: real ansible-playbook runs against this machine, as root.

These tests change /etc/subuid, /etc/subgid and the user database of the
machine they run on (a disposable test machine); everything is restored and
every user created here is removed when the session ends.
"""

from __future__ import annotations

import pwd
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from ansible_collections.b4arena.rootless.tests.integration.harness import (
    ETC_FILES,
    USER_PREFIX,
    PlaybookRun,
    RootlessUser,
    playbook_command,
    run,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def playbook(tmp_path):
    """Run tasks through ansible-playbook; returns a PlaybookRun (failures included)."""

    def play(tasks, extra_vars=None, check=False, diff=False):
        argv, env = playbook_command(tmp_path, tasks, extra_vars, check=check, diff=diff)
        return PlaybookRun(subprocess.run(argv, capture_output=True, text=True, env=env, check=False))

    return play


@pytest.fixture(scope="session", autouse=True)
def restore_etc():
    """Put /etc/subuid and /etc/subgid back as they were, and remove our users."""
    saved = {p: Path(p).read_bytes() if Path(p).exists() else None for p in ETC_FILES}
    yield
    for entry in pwd.getpwall():
        if entry.pw_name.startswith(USER_PREFIX + "-"):
            run(["pkill", "-KILL", "-u", entry.pw_name], check=False)
            run(["userdel", "-r", "-f", entry.pw_name], check=False)
            shutil.rmtree("/run/user/%d" % entry.pw_uid, ignore_errors=True)
    for path, data in saved.items():
        if data is None:
            Path(path).unlink(missing_ok=True)
        else:
            Path(path).write_bytes(data)


@pytest.fixture
def make_users():
    """Create real users without subordinate ranges (useradd would allocate its own)."""
    created = []

    def make(count, home=False):
        names = []
        tag = uuid.uuid4().hex[:6]
        for i in range(count):
            name = "%s-%s-%d" % (USER_PREFIX, tag, i)
            argv = ["useradd", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", "-s", "/bin/sh"]
            argv += ["-m"] if home else ["-M"]
            run([*argv, name])
            # A runtime dir left by an earlier owner of this UID is not this user's.
            shutil.rmtree("/run/user/%d" % pwd.getpwnam(name).pw_uid, ignore_errors=True)
            names.append(name)
        created.extend(names)
        return names

    yield make
    for name in created:
        uid = pwd.getpwnam(name).pw_uid
        run(["pkill", "-KILL", "-u", name], check=False)
        run(["userdel", "-r", "-f", name], check=False)
        shutil.rmtree("/run/user/%d" % uid, ignore_errors=True)


@pytest.fixture(scope="session")
def rootless_user(tmp_path_factory):
    """A user ready for rootless Podman: ranges (from useradd), a runtime dir, overlay storage,
    and the busybox and OpenClaw-like sandbox images.

    There is no systemd here to make /run/user/UID at login or linger, so it is made by hand.
    Overlay and runc are what the rootless_host role configures here; Podman 4.3.1's
    unconfigured fallback, vfs, cannot even exec under --userns keep-id.
    """
    name = "%s-rl-%s" % (USER_PREFIX, uuid.uuid4().hex[:6])
    run(["useradd", "-m", "-s", "/bin/sh", name])
    user = RootlessUser(name)
    config = Path(user.home) / ".config" / "containers"
    config.mkdir(parents=True)
    (config / "storage.conf").write_text('[storage]\ndriver = "overlay"\n')
    # As rootless_host configures a host without a unified cgroup hierarchy: crun refuses
    # hybrid cgroups for some containers, runc runs them all.
    (config / "containers.conf").write_text('[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n')
    for path in (config.parent, config, config / "storage.conf", config / "containers.conf"):
        shutil.chown(path, user.uid, user.uid)
    runtime = Path(user.runtime)
    runtime.mkdir(parents=True, exist_ok=True)
    shutil.chown(runtime, user.uid, user.uid)
    runtime.chmod(0o700)
    tarball = tmp_path_factory.mktemp("image") / "sandbox.tar"
    run(["docker", "save", "-o", str(tarball), "b4arena-test/sandbox:latest", "b4arena-test/openclaw-sandbox:latest"])
    with tarball.open("rb") as image:  # on stdin: pytest's temp dirs are root-only
        user.podman("load", stdin=image)
    yield user
    run(["pkill", "-KILL", "-u", name], check=False)
    run(["userdel", "-r", "-f", name], check=False)
    shutil.rmtree(runtime, ignore_errors=True)
