# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Can this host run OpenClaw sandboxes on rootless Podman? Facts, blockers and warnings.

``assess`` reads the host only through a HostView, so unit tests give it a
made-up host. Each finding names its id, what is wrong, and the fix.
"""

from __future__ import annotations

import os
import pwd
import re
import stat

from ansible_collections.b4arena.rootless.plugins.module_utils._subid import SubidFile

MIN_KERNEL = (4, 18)  # rootless Podman's floor (user namespaces, fuse in userns)
NATIVE_OVERLAY_KERNEL = (5, 13)  # rootless native overlay (5.11 without SELinux)
DELEGATED_NEEDED = ("cpu", "memory", "pids")


class HostView:
    """The real host, read under ``root`` (a chroot or a test directory in tests)."""

    def __init__(self, root="/"):
        self.root = root

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def read(self, path):
        try:
            with open(self.path(path)) as f:
                return f.read()
        except OSError:
            return None

    def stat(self, path):
        try:
            return os.stat(self.path(path))
        except OSError:
            return None

    def has_file_caps(self, path):
        try:
            return bool(os.getxattr(self.path(path), "security.capability"))
        except OSError:
            return False

    def which(self, name, extra=()):
        for directory in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", *extra):
            candidate = os.path.join(directory, name)
            info = self.stat(candidate)
            if info is not None and stat.S_ISREG(info.st_mode) and info.st_mode & 0o111:
                return candidate
        return None

    def kernel_release(self):
        return os.uname().release

    def exists(self, path):
        return os.path.lexists(self.path(path))


def kernel_version(release):
    numbers = [int(n) for n in re.findall(r"\d+", release.split("-", 1)[0])[:3]]
    return tuple(numbers + [0] * (3 - len(numbers)))


def _int(text):
    try:
        return int(text.strip())
    except (AttributeError, ValueError):
        return None


class Findings:
    def __init__(self):
        self.blockers = []
        self.warnings = []

    def block(self, ident, message, fix):
        self.blockers.append({"id": ident, "message": message, "fix": fix})

    def warn(self, ident, message, fix):
        self.warnings.append({"id": ident, "message": message, "fix": fix})


def _device(host, path):
    info = host.stat(path)
    if info is None:
        return {"path": path, "exists": False, "usable": False}
    usable = stat.S_ISCHR(info.st_mode) and info.st_mode & 0o006 == 0o006
    return {"path": path, "exists": True, "mode": "%04o" % stat.S_IMODE(info.st_mode), "usable": bool(usable)}


def check_kernel(host, found):
    release = host.kernel_release()
    version = kernel_version(release)
    if version[:2] < MIN_KERNEL:
        found.block(
            "kernel_too_old",
            "kernel %s is older than %d.%d, the least rootless Podman runs on" % (release, *MIN_KERNEL),
            "upgrade the kernel",
        )
    return {"release": release, "version": list(version), "native_overlay": version[:2] >= NATIVE_OVERLAY_KERNEL}


def check_userns(host, found, allow_enable):
    knobs = {
        "unprivileged_userns_clone": _int(host.read("/proc/sys/kernel/unprivileged_userns_clone")),
        "max_user_namespaces": _int(host.read("/proc/sys/user/max_user_namespaces")),
        "apparmor_restrict_unprivileged_userns": _int(
            host.read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
        ),
    }
    report = found.warn if allow_enable else found.block
    how = "the role enables it (allowed)" if allow_enable else "set rootless_host_allow_enable_userns: true"
    if knobs["unprivileged_userns_clone"] == 0:
        report(
            "userns_disabled",
            "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)",
            "sysctl kernel.unprivileged_userns_clone=1, or %s" % how,
        )
    if knobs["max_user_namespaces"] == 0:
        report(
            "userns_limit_zero",
            "no user namespaces may be created (user.max_user_namespaces = 0)",
            "sysctl user.max_user_namespaces to a bounded value such as 15000, or %s" % how,
        )
    return knobs


def check_idmap(host, found, expect_install):
    tools = {}
    for name in ("newuidmap", "newgidmap"):
        path = host.which(name)
        info = host.stat(path) if path else None
        setuid = bool(info and info.st_mode & stat.S_ISUID and info.st_uid == 0)
        caps = bool(path and host.has_file_caps(path))
        tools[name] = {"path": path, "setuid": setuid, "file_caps": caps}
        if path is None:
            (found.warn if expect_install else found.block)(
                "%s_missing" % name, "%s is not installed" % name, "install the uidmap package"
            )
        elif not (setuid or caps):
            found.block(
                "%s_unprivileged" % name,
                "%s has neither the setuid bit (owned by root) nor file capabilities" % path,
                "reinstall uidmap (dpkg --verify uidmap), or chmod u+s %s" % path,
            )
    return tools


def check_cgroup(host, found, users):
    if host.exists("/sys/fs/cgroup/cgroup.controllers"):
        version = "v2"
    elif host.exists("/sys/fs/cgroup/unified"):
        version = "hybrid"
    else:
        version = "v1"
    delegated = {}
    if version == "v2":
        for name, entry in users.items():
            if entry.get("uid") is None:
                continue
            text = host.read(
                "/sys/fs/cgroup/user.slice/user-%d.slice/user@%d.service/cgroup.controllers"
                % (entry["uid"], entry["uid"])
            )
            delegated[name] = text.split() if text else []
            missing = [c for c in DELEGATED_NEEDED if c not in delegated[name]]
            if missing:
                found.warn(
                    "cgroup_not_delegated",
                    "controllers %s are not delegated to %s: sandbox limits (memory, cpus, pids) "
                    "are silently not applied" % (", ".join(missing), name),
                    "enable linger and start user@%d.service; add Delegate=cpu cpuset io memory pids "
                    "in a drop-in for user@.service" % entry["uid"],
                )
    else:
        found.warn(
            "cgroup_not_unified",
            "cgroup %s: rootless Podman cannot apply resource limits and falls back to cgroupfs; "
            "crun does not support hybrid hierarchies, so runc is chosen" % version,
            "boot with the unified hierarchy (systemd.unified_cgroup_hierarchy=1)",
        )
    runtime = "crun" if version == "v2" else "runc"
    return {"version": version, "delegated": delegated, "runtime": runtime}


def check_tools(host, found, expect_install):
    catatonit = host.which("catatonit", extra=("/usr/libexec/podman",))
    tools = {
        "podman": host.which("podman"),
        "catatonit": catatonit,
        "pasta": host.which("pasta"),
        "slirp4netns": host.which("slirp4netns"),
        "fuse_overlayfs": host.which("fuse-overlayfs"),
        "crun": host.which("crun"),
        "runc": host.which("runc"),
    }
    missing = found.warn if expect_install else found.block
    if tools["podman"] is None:
        missing("podman_missing", "podman is not installed", "install the podman package")
    if tools["catatonit"] is None:
        missing(
            "catatonit_missing",
            "catatonit is not installed: OpenClaw starts sandboxes with --init, which needs it",
            "install the catatonit package",
        )
    if tools["pasta"] is None and tools["slirp4netns"] is None:
        found.warn(
            "network_helper_missing",
            "neither pasta nor slirp4netns is installed: rootless containers on a network cannot start",
            "install passt (pasta) or slirp4netns",
        )
    return tools


def check_devices(host, found, tools):
    devices = {"tun": _device(host, "/dev/net/tun"), "fuse": _device(host, "/dev/fuse")}
    if not devices["tun"]["usable"] and (tools["pasta"] or tools["slirp4netns"]):
        found.warn(
            "tun_unusable",
            "/dev/net/tun is %s: rootless networking (pasta, slirp4netns) needs it readable and writable by users"
            % ("missing" if not devices["tun"]["exists"] else "mode " + devices["tun"]["mode"]),
            "chmod 0666 /dev/net/tun (udev does so on a standard host)",
        )
    return devices


def storage_driver(host, users, podman_info):
    """The storage driver each user would get, and where that answer comes from.

    Without a configured driver the answer is not predictable: Debian 12's Podman 4.3.1
    was seen to fall back to vfs on a 6.x kernel that supports native rootless overlay.
    """
    system_conf = host.read("/etc/containers/storage.conf") or ""
    result = {}
    for name, entry in users.items():
        info = (podman_info or {}).get(name)
        if info:
            result[name] = {"driver": info["store"]["graphDriverName"], "source": "podman info"}
            continue
        conf = host.read(os.path.join(entry.get("home") or "/nonexistent", ".config/containers/storage.conf"))
        configured = _driver_in(conf) or _driver_in(system_conf)
        result[name] = {"driver": configured, "source": "storage.conf" if configured else "unconfigured"}
    return result


def _driver_in(text):
    match = re.search(r'^\s*driver\s*=\s*"([^"]*)"', text or "", re.MULTILINE)
    return match.group(1) if match and match.group(1) else None


def check_users(host, names, *, subuid_file, subgid_file, pwd_lookup):
    users = {}
    files = {"subuid": SubidFile.load(subuid_file), "subgid": SubidFile.load(subgid_file)}
    for name in names:
        entry = pwd_lookup(name)
        if entry is None:
            users[name] = {"exists": False, "uid": None}
            continue
        keys = (name, str(entry.pw_uid))
        ranges = {k: [r.as_dict() for r in f.owned_by(keys)] for k, f in files.items()}
        users[name] = {
            "exists": True,
            "uid": entry.pw_uid,
            "home": entry.pw_dir,
            "subuid": ranges["subuid"],
            "subgid": ranges["subgid"],
            "linger": host.exists("/var/lib/systemd/linger/%s" % name),
            "runtime_dir": host.exists("/run/user/%d" % entry.pw_uid),
        }
    return users


def default_pwd_lookup(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def assess(
    host,
    names,
    *,
    allow_enable_userns=False,
    expect_install=False,
    podman_info=None,
    podman_version=None,
    subuid_file="/etc/subuid",
    subgid_file="/etc/subgid",
    pwd_lookup=default_pwd_lookup,
):
    """All facts about the host for rootless sandboxes, with blockers and warnings.

    ``podman_info`` maps user names to what `podman info` said as that user, where it ran.
    """
    found = Findings()
    kernel = check_kernel(host, found)
    userns = check_userns(host, found, allow_enable_userns)
    idmap = check_idmap(host, found, expect_install)
    tools = check_tools(host, found, expect_install)
    devices = check_devices(host, found, tools)
    users = check_users(host, names, subuid_file=subuid_file, subgid_file=subgid_file, pwd_lookup=pwd_lookup)
    cgroup = check_cgroup(host, found, users)
    storage = storage_driver(host, users, podman_info)
    fix_storage = 'set driver = "overlay" in ~%s/.config/containers/storage.conf'
    for name, choice in storage.items():
        if choice["driver"] == "vfs":
            found.warn(
                "storage_vfs",
                "%s would store images with vfs (a full copy per layer and container: slow and large)" % name,
                fix_storage % name,
            )
        elif choice["driver"] is None and users[name].get("exists"):
            found.warn(
                "storage_unconfigured",
                "no storage driver is configured for %s: Podman may fall back to vfs" % name,
                fix_storage % name,
            )
    if (
        tools["podman"]
        and tools["podman"] != "/usr/bin/podman"
        and userns["apparmor_restrict_unprivileged_userns"] == 1
    ):
        found.warn(
            "apparmor_userns",
            "apparmor_restrict_unprivileged_userns is 1 and podman is %s, which the podman AppArmor "
            "profile does not cover" % tools["podman"],
            "use the packaged /usr/bin/podman, or add a local AppArmor profile allowing userns for it",
        )
    return {
        "kernel": kernel,
        "userns": userns,
        "idmap": idmap,
        "cgroup": cgroup,
        "tools": tools,
        "devices": devices,
        "storage": storage,
        "users": users,
        "podman_version": podman_version,
        "blockers": found.blockers,
        "warnings": found.warnings,
    }
