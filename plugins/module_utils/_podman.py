# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running Podman as a rootless user: the execution context and the one command runner.

Every module of this collection that talks to Podman goes through PodmanRunner:
argv lists only, C locale, JSON parsed, errors naming the command, rc and
stderr, and write commands refused in check mode.
"""

from __future__ import annotations

import json
import os
import pwd

from ansible_collections.b4arena.rootless.plugins.module_utils._subid import SubidFile

# The environment Podman gets, rebuilt from nothing: Ansible's own variables (or
# root's HOME) must not leak into a rootless user's storage and config lookup.
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class PodmanError(Exception):
    """A failed Podman (or helper) command, or an unusable execution context."""

    def __init__(self, message, cmd=None, rc=None, stderr=None):
        self.cmd = cmd
        self.rc = rc
        self.stderr = stderr
        super().__init__(message)

    def result(self):
        """Fields for fail_json."""
        out = {"msg": str(self)}
        if self.cmd is not None:
            out.update(cmd=self.cmd, rc=self.rc, stderr=self.stderr)
        return out


class RootlessContext:
    """Who Podman runs as and with what environment."""

    def __init__(self, user, uid, gid, home, *, switch, env):
        self.user = user
        self.uid = uid
        self.gid = gid
        self.home = home
        self.switch = switch  # True: wrap commands in setpriv to become the user
        self.env = env

    def wrap(self, argv):
        if not self.switch:
            return list(argv)
        prefix = ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid, "--init-groups", "--", "env", "-i"]
        return prefix + ["%s=%s" % kv for kv in sorted(self.env.items())] + list(argv)


def user_environment(entry, runtime_dir):
    env = {
        "HOME": entry.pw_dir,
        "USER": entry.pw_name,
        "LOGNAME": entry.pw_name,
        "PATH": SAFE_PATH,
        "XDG_RUNTIME_DIR": runtime_dir,
        "LC_ALL": "C",
        "LANG": "C",
    }
    bus = os.path.join(runtime_dir, "bus")
    if os.path.exists(bus):
        env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=%s" % bus
    return env


def rootless_context(run_as=None, subuid_file="/etc/subuid", subgid_file="/etc/subgid", runtime_root="/run/user"):
    """Resolve the execution context, or raise PodmanError saying what is missing and how to fix it."""
    euid = os.geteuid()
    if run_as is None:
        entry = pwd.getpwuid(euid)
        env = {"LC_ALL": "C", "LANG": "C"}
        if euid != 0 and not os.environ.get("XDG_RUNTIME_DIR"):
            candidate = os.path.join(runtime_root, str(euid))
            if os.path.isdir(candidate):
                env["XDG_RUNTIME_DIR"] = candidate
        return RootlessContext(entry.pw_name, euid, entry.pw_gid, entry.pw_dir, switch=False, env=env)

    try:
        entry = pwd.getpwnam(run_as)
    except KeyError:
        raise PodmanError("run_as: user %r does not exist" % run_as) from None
    if entry.pw_uid == 0:
        raise PodmanError("run_as: %r is root; rootless Podman needs an unprivileged user" % run_as)
    if euid not in (0, entry.pw_uid):
        raise PodmanError(
            "run_as: switching to %r needs root, but this task runs as uid %d (use become: true)" % (run_as, euid)
        )
    runtime_dir = os.path.join(runtime_root, str(entry.pw_uid))
    if not os.path.isdir(runtime_dir):
        raise PodmanError(
            "run_as: %r has no runtime directory %s: enable lingering (loginctl enable-linger %s) "
            "so its user manager runs without a login" % (run_as, runtime_dir, run_as)
        )
    keys = (entry.pw_name, str(entry.pw_uid))
    for path in (subuid_file, subgid_file):
        if not SubidFile.load(path).owned_by(keys):
            raise PodmanError(
                "run_as: %r has no subordinate id range in %s; give it one (b4arena.rootless.subid) "
                "and run podman system migrate as the user" % (run_as, path)
            )
    return RootlessContext(
        entry.pw_name,
        entry.pw_uid,
        entry.pw_gid,
        entry.pw_dir,
        switch=entry.pw_uid != euid,
        env=user_environment(entry, runtime_dir),
    )


class PodmanRunner:
    """Runs podman (and helpers) as the context's user; reads always, writes never in check mode."""

    def __init__(self, module, context, executable="podman"):
        self.module = module
        self.context = context
        self.executable = executable
        self.commands = []  # every argv run, for the module's result

    def run(self, argv, data=None, binary=False):
        """Any command as the context's user: (rc, stdout, stderr), whatever the rc; recorded."""
        full = self.context.wrap(argv)
        self.commands.append(full)
        kwargs = {}
        if binary:
            kwargs.update(binary_data=True, encoding=None)
        rc, out, err = self.module.run_command(
            full,
            data=data,
            environ_update=self.context.env if not self.context.switch else {"LC_ALL": "C", "LANG": "C"},
            cwd=self.context.home if os.path.isdir(self.context.home) else "/",
            **kwargs,
        )
        return rc, out, err

    def podman(self, args, data=None, ok_rcs=(0,)):
        """A read-only podman command; returns (rc, stdout, stderr), raising on other rcs."""
        argv = [self.executable, *args]
        rc, out, err = self.run(argv, data=data)
        if rc not in ok_rcs:
            raise PodmanError(
                "%s failed (rc %d): %s" % (" ".join(argv), rc, (err or out).strip()), cmd=argv, rc=rc, stderr=err
            )
        return rc, out, err

    def json(self, args, ok_rcs=(0,)):
        rc, out = self.podman(args, ok_rcs=ok_rcs)[:2]
        if rc != 0:
            return None
        try:
            return json.loads(out) if out.strip() else None
        except ValueError as e:
            argv = [self.executable, *args]
            raise PodmanError("%s printed output that is not JSON: %s" % (" ".join(argv), e), cmd=argv, rc=rc) from None

    def inspect(self, kind, name):
        """`podman KIND inspect NAME` as a dict, or None when no such object exists."""
        if self.podman([kind, "exists", name], ok_rcs=(0, 1))[0] != 0:
            return None
        return self.json([kind, "inspect", name])[0]

    def write(self, args, data=None):
        """A podman command that changes state; never runs in check mode."""
        if self.module.check_mode:
            raise PodmanError("internal error: write command %r attempted in check mode" % (args,))
        return self.podman(args, data=data)

    def version(self):
        info = self.json(["version", "--format", "json"])
        return info["Client"]["Version"]
