# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Docker-to-Podman converter: one ``docker inspect`` record in, a rootless service out.

convert() reads the fields of a Docker container that define how it runs and turns them
into ``podman run`` arguments, listing every field it will not carry (a Refusal) with
the reason. Blocking refusals (privileged mode, host namespaces, links, ports a rootless
user cannot bind) mean the container cannot move faithfully; non-blocking ones (the
Docker socket, the docker group) have no place under rootless Podman and are dropped.
render_unit() and render_quadlet() turn the result into a systemd user unit.
"""

from __future__ import annotations

import json
import re

# Paths of Docker's API socket; a mount of one gives the container root on the host.
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
# Quadlet's PodmanArgs= (which carries every flag here) arrived in Podman 4.5.
QUADLET_MIN_VERSION = (4, 5)
RESTART = {"no": "no", "": "no", "always": "always", "unless-stopped": "always", "on-failure": "on-failure"}
SECCOMP_REFUSED = ("unconfined",)


class Refusal:
    def __init__(self, field, value, reason, blocking=True):
        self.field = field
        self.value = value
        self.reason = reason
        self.blocking = blocking

    def as_dict(self):
        return {"field": self.field, "value": self.value, "reason": self.reason, "blocking": self.blocking}


class Mount:
    """A mount of the converted container; ``source`` is a host path (bind) or a volume name."""

    def __init__(self, kind, source, destination, read_only, docker_source):
        self.kind = kind
        self.source = source
        self.destination = destination
        self.read_only = read_only
        self.docker_source = docker_source

    def flag(self):
        return "%s:%s%s" % (self.source, self.destination, ":ro" if self.read_only else "")

    def as_dict(self):
        return {
            "type": self.kind,
            "source": self.source,
            "destination": self.destination,
            "read_only": self.read_only,
            "docker_source": self.docker_source,
        }


class Conversion:
    def __init__(self, name, image):
        self.name = name
        self.image = image
        self.args = []  # podman run flags, without --name and the image
        self.command = []
        self.entrypoint = None
        self.mounts = []
        self.ports = []
        self.restart = "no"
        self.userns = None
        self.refusals = []

    @property
    def blocking(self):
        return [r for r in self.refusals if r.blocking]

    def refuse(self, field, value, reason, blocking=True):
        self.refusals.append(Refusal(field, value, reason, blocking))

    def run_args(self):
        """Every flag of ``podman run`` after ``--name NAME`` and before the image."""
        args = list(self.args)
        if self.entrypoint is not None:
            args += ["--entrypoint", self.entrypoint]
        return args

    def as_dict(self):
        return {
            "name": self.name,
            "image": self.image,
            "args": self.run_args(),
            "command": list(self.command),
            "mounts": [m.as_dict() for m in self.mounts],
            "ports": list(self.ports),
            "restart": self.restart,
            "userns": self.userns,
            "refusals": [r.as_dict() for r in self.refusals],
            "blocking": bool(self.blocking),
        }


def _numeric_user(user):
    """``"1000"`` or ``"1000:1000"`` as (uid, gid or None); None for names."""
    m = re.fullmatch(r"(\d+)(?::(\d+))?", user or "")
    if not m:
        return None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) is not None else None)


def keep_id(user, resolved=None):
    """The --userns value that keeps the container user's files owned by the rootless user.

    ``user`` is the container's configured user; ``resolved`` an optional (uid, gid) for a
    user given by name. Root (or no user) gets plain keep-id: container root is then the
    first subordinate id, never the host user.
    """
    ids = _numeric_user(user) or resolved
    if not user or user in ("0", "root", "0:0") or not ids or ids[0] == 0:
        return "keep-id"
    uid, gid = ids
    return "keep-id:uid=%d,gid=%d" % (uid, gid if gid is not None else uid)


def _strip_image_defaults(values, image_values):
    image_values = set(image_values or [])
    return [v for v in values or [] if v not in image_values]


def _port_flag(host_ip, host_port, port, proto):
    # Docker writes "all addresses" out; Podman's default for an empty address is the same.
    if host_ip in ("0.0.0.0", "::"):  # noqa: S104
        host_ip = ""
    if ":" in host_ip:
        host_ip = "[%s]" % host_ip
    flag = "%s:%s:%s" % (host_ip, host_port, port) if host_ip else ("%s:%s" % (host_port, port) if host_port else port)
    return flag if proto in ("", "tcp") else "%s/%s" % (flag, proto)


def _port_flags(conv, host_config, unprivileged_port_start):
    if host_config.get("PublishAllPorts"):
        conv.refuse("HostConfig.PublishAllPorts", True, "random host ports differ on every start; publish each port")
    for container_port, bindings in sorted((host_config.get("PortBindings") or {}).items()):
        port, _sep, proto = container_port.partition("/")
        for binding in bindings or []:
            host_port = binding.get("HostPort") or ""
            if host_port and int(host_port.split("-")[0]) < unprivileged_port_start:
                conv.refuse(
                    "HostConfig.PortBindings",
                    "%s -> %s" % (container_port, host_port),
                    "a rootless user cannot bind host port %s (net.ipv4.ip_unprivileged_port_start is %d); "
                    "publish a port at or above it and forward, or lower the sysctl"
                    % (host_port, unprivileged_port_start),
                )
                continue
            flag = _port_flag(binding.get("HostIp") or "", host_port, port, proto)
            conv.ports.append(flag)
            conv.args += ["--publish", flag]


def _network_flags(conv, host_config, networks, network_map):
    mode = host_config.get("NetworkMode") or "default"
    if mode == "host":
        conv.refuse("HostConfig.NetworkMode", mode, "host networking shares the host's network namespace")
        return
    if mode.startswith("container:"):
        conv.refuse(
            "HostConfig.NetworkMode",
            mode,
            "joining another container's network namespace needs that container moved first",
        )
        return
    if mode == "none":
        conv.args += ["--network", "none"]
        return
    names = [mode] if mode not in ("default",) else []
    names += sorted(n for n in networks or {} if n not in names)
    mapped = []
    for name in names:
        target = network_map.get(name, name if name not in ("bridge", "default") else None)
        if target and target not in mapped:
            mapped.append(target)
    for target in mapped:
        conv.args += ["--network", target]


def _mount_flags(conv, mounts, volume_map, bind_map, host_config):
    # Docker lists mounts in no fixed order; sorted, the unit stays the same from run to run.
    for mount in sorted(mounts or [], key=lambda m: m.get("Destination") or ""):
        kind = mount.get("Type")
        source = mount.get("Source") or ""
        destination = mount.get("Destination")
        read_only = not mount.get("RW", True)
        if kind == "bind":
            if source in DOCKER_SOCKETS:
                conv.refuse(
                    "Mounts",
                    "%s:%s" % (source, destination),
                    "the Docker socket has no place under rootless Podman (it is root on the host); dropped",
                    blocking=False,
                )
                continue
            if source == "/var/lib/docker" or source.startswith("/var/lib/docker/"):
                conv.refuse("Mounts", source, "a mount of Docker's own storage cannot move to Podman")
                continue
            target = bind_map.get(source, source)
            conv.mounts.append(Mount("bind", target, destination, read_only, source))
        elif kind == "volume":
            name = mount.get("Name")
            conv.mounts.append(Mount("volume", volume_map.get(name, name), destination, read_only, name))
        elif kind == "tmpfs":
            conv.args += ["--tmpfs", destination]
        else:
            conv.refuse("Mounts", "%s:%s" % (kind, destination), "mount type %r has no rootless equivalent" % kind)
    for m in conv.mounts:
        conv.args += ["--volume", m.flag()]
    for path, options in sorted((host_config.get("Tmpfs") or {}).items()):
        conv.args += ["--tmpfs", "%s:%s" % (path, options) if options else path]


def _security_flags(conv, host_config, seccomp_profile):
    if host_config.get("Privileged"):
        conv.refuse("HostConfig.Privileged", True, "privileged mode gives the container every capability and device")
    # UsernsMode and CgroupnsMode "host" are Docker's defaults without userns-remap or on cgroup v1;
    # Podman picks its own there, so only the namespaces that expose host processes count.
    for field in ("PidMode", "IpcMode", "UTSMode"):
        if host_config.get(field) == "host":
            conv.refuse("HostConfig.%s" % field, "host", "host namespaces are not separated from the host")
    if host_config.get("Links"):
        conv.refuse(
            "HostConfig.Links", host_config["Links"], "Podman has no --link; put both on a network and use names"
        )
    for device in host_config.get("Devices") or []:
        conv.refuse(
            "HostConfig.Devices",
            device.get("PathOnHost"),
            "a rootless user can pass only devices it may open itself; decide per device",
        )
    for cap in host_config.get("CapDrop") or []:
        conv.args += ["--cap-drop", cap]
    for cap in host_config.get("CapAdd") or []:
        conv.args += ["--cap-add", cap]
    seccomp_seen = False
    for opt in host_config.get("SecurityOpt") or []:
        key, _sep, value = opt.partition("=" if "=" in opt else ":")
        if key == "no-new-privileges" and value in ("", "true"):
            conv.args += ["--security-opt", "no-new-privileges"]
        elif key == "seccomp":
            seccomp_seen = True
            if value in SECCOMP_REFUSED:
                conv.refuse("HostConfig.SecurityOpt", opt, "seccomp=unconfined removes the syscall filter")
        elif key == "label":
            conv.args += ["--security-opt", opt]
        elif key == "apparmor":
            conv.refuse(
                "HostConfig.SecurityOpt",
                opt,
                "AppArmor profiles are not applied to rootless containers; dropped",
                False,
            )
        else:
            conv.refuse("HostConfig.SecurityOpt", opt, "unknown security option; dropped", blocking=False)
    if seccomp_profile:
        # Docker stores a custom profile's contents, not its path; the host's strict profile
        # (installed by rootless_host) takes its place, and Docker's default is replaced too.
        conv.args += ["--security-opt", "seccomp=%s" % seccomp_profile]
    elif seccomp_seen:
        conv.refuse(
            "HostConfig.SecurityOpt",
            "seccomp",
            "a custom seccomp profile is stored inline by Docker; set seccomp_profile",
            False,
        )
    for opt in host_config.get("GroupAdd") or []:
        if opt in ("docker",):
            conv.refuse(
                "HostConfig.GroupAdd", opt, "the docker group grants the Docker socket; dropped", blocking=False
            )
        else:
            conv.args += ["--group-add", opt]


def _resource_flags(conv, host_config):
    if host_config.get("Memory"):
        conv.args += ["--memory", str(host_config["Memory"])]
    if host_config.get("MemorySwap") and host_config.get("MemorySwap") > 0:
        conv.args += ["--memory-swap", str(host_config["MemorySwap"])]
    if host_config.get("NanoCpus"):
        conv.args += ["--cpus", "%g" % (host_config["NanoCpus"] / 1e9)]
    if host_config.get("PidsLimit") and host_config["PidsLimit"] > 0:
        conv.args += ["--pids-limit", str(host_config["PidsLimit"])]
    for ulimit in host_config.get("Ulimits") or []:
        conv.args += ["--ulimit", "%s=%d:%d" % (ulimit["Name"], ulimit["Soft"], ulimit["Hard"])]
    for server in host_config.get("Dns") or []:
        conv.args += ["--dns", server]
    for entry in host_config.get("ExtraHosts") or []:
        conv.args += ["--add-host", entry]


def _health_flags(conv, config):
    health = config.get("Healthcheck") or {}
    test = health.get("Test") or []
    if not test or test[0] == "NONE":
        return
    cmd = test[1] if test[0] == "CMD-SHELL" else _json_array(test[1:])
    conv.args += ["--health-cmd", cmd]
    for key, flag in (
        ("Interval", "--health-interval"),
        ("Timeout", "--health-timeout"),
        ("StartPeriod", "--health-start-period"),
    ):
        if health.get(key):
            conv.args += [flag, "%ds" % (health[key] // 1_000_000_000)]
    if health.get("Retries"):
        conv.args += ["--health-retries", str(health["Retries"])]


def _json_array(items):
    return json.dumps(list(items))


def convert(
    inspect,
    *,
    image_config=None,
    volume_map=None,
    bind_map=None,
    network_map=None,
    unprivileged_port_start=1024,
    seccomp_profile=None,
    resolved_user=None,
    name=None,
    image=None,
):
    """Convert one ``docker inspect`` record (a dict) into a Conversion.

    ``image_config`` (the image's ``Config`` from ``docker image inspect``) lets values
    the image already sets (Env, Cmd, Entrypoint, WorkingDir, User, Labels) be left out.
    The maps rename volumes, bind sources and networks on the Podman side.
    """
    config = inspect.get("Config") or {}
    host_config = inspect.get("HostConfig") or {}
    image_config = image_config or {}
    conv = Conversion(name or inspect.get("Name", "").lstrip("/"), image or config.get("Image"))

    user = config.get("User") or ""
    conv.userns = keep_id(user, resolved_user)
    if not _numeric_user(user) and user not in ("", "root") and resolved_user is None:
        conv.refuse(
            "Config.User",
            user,
            "user given by name: its uid is needed to keep file ownership (pass resolved_user)",
        )
    conv.args += ["--userns", conv.userns]
    if user and user != image_config.get("User"):
        conv.args += ["--user", user]
    if host_config.get("Init"):
        conv.args += ["--init"]
    if config.get("WorkingDir") and config["WorkingDir"] != image_config.get("WorkingDir"):
        conv.args += ["--workdir", config["WorkingDir"]]
    for env in _strip_image_defaults(config.get("Env"), image_config.get("Env")):
        conv.args += ["--env", env]
    image_labels = image_config.get("Labels") or {}
    for key, value in sorted((config.get("Labels") or {}).items()):
        if image_labels.get(key) != value and not key.startswith("com.docker.compose."):
            conv.args += ["--label", "%s=%s" % (key, value)]
    if config.get("Tty"):
        conv.args += ["--tty"]
    if config.get("StopSignal") and config["StopSignal"] != image_config.get("StopSignal"):
        conv.args += ["--stop-signal", config["StopSignal"]]
    if config.get("StopTimeout") is not None:
        conv.args += ["--stop-timeout", str(config["StopTimeout"])]
    if host_config.get("ReadonlyRootfs"):
        conv.args += ["--read-only"]

    _security_flags(conv, host_config, seccomp_profile)
    _network_flags(conv, host_config, (inspect.get("NetworkSettings") or {}).get("Networks"), network_map or {})
    _port_flags(conv, host_config, unprivileged_port_start)
    _mount_flags(conv, inspect.get("Mounts"), volume_map or {}, bind_map or {}, host_config)
    _resource_flags(conv, host_config)
    _health_flags(conv, config)

    entrypoint = config.get("Entrypoint") or []
    if entrypoint and entrypoint != (image_config.get("Entrypoint") or []):
        conv.entrypoint = entrypoint[0] if len(entrypoint) == 1 else _json_array(entrypoint)
    cmd = config.get("Cmd") or []
    if cmd != (image_config.get("Cmd") or []) or conv.entrypoint is not None:
        conv.command = list(cmd)

    restart = (host_config.get("RestartPolicy") or {}).get("Name") or "no"
    conv.restart = RESTART.get(restart, "on-failure")
    return conv


# --- systemd rendering -------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_./:=,@+-]+")


def systemd_quote(arg):
    """One argv element as systemd's command-line parser reads it back unchanged.

    Specifiers (%) and variable expansion ($) are escaped; anything but a plain word is
    double-quoted with C-style escapes.
    """
    text = str(arg).replace("%", "%%").replace("$", "$$")
    if text and _BARE.fullmatch(text):
        return text
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"%s"' % text


def _join(argv):
    return " ".join(systemd_quote(a) for a in argv)


def _header(conv, source):
    return [
        "# Made by b4arena.rootless from the Docker container %s%s." % (conv.name, source),
        "# Edit the migration's inputs, not this file: the next run rewrites it.",
    ]


def render_unit(conv, *, podman="/usr/bin/podman", cgroups="no-conmon", source=""):
    """A systemd user unit running the container with ``podman run`` (Podman < 4.5)."""
    # The cidfile's specifiers (%t, %n) must stay live, so it is written outside _join,
    # which escapes every % in the container's own arguments.
    cid = "--cidfile=%t/%n.ctr-id"
    run = ["--cgroups=" + cgroups, "--rm", "--sdnotify=conmon", "--replace", "--detach", "--name", conv.name]
    run += [*conv.run_args(), conv.image, *conv.command]
    exec_start = "%s run %s %s" % (podman, cid, _join(run))
    lines = [
        *_header(conv, source),
        "[Unit]",
        "Description=%s (rootless Podman, migrated from Docker)" % conv.name,
        "Wants=network-online.target",
        "After=network-online.target",
        "RequiresMountsFor=%t/containers",
        "",
        "[Service]",
        "Environment=PODMAN_SYSTEMD_UNIT=%n",
        "Restart=%s" % conv.restart,
        "TimeoutStopSec=70",
        # A cidfile left by a stop that did not finish would make podman run refuse to start.
        "ExecStartPre=/bin/rm --force %t/%n.ctr-id",
        "ExecStart=%s" % exec_start,
        "ExecStop=%s stop --ignore --time 10 %s" % (podman, cid),
        "ExecStopPost=%s rm --force --ignore --time 10 %s" % (podman, cid),
        "Type=notify",
        "NotifyAccess=all",
        "",
        "[Install]",
        "WantedBy=default.target",
    ]
    return "\n".join(lines) + "\n"


def render_quadlet(conv, *, cgroups=None, source=""):
    """A Quadlet ``.container`` file (Podman >= 4.5) for the container."""
    args = list(conv.run_args())
    if cgroups:
        args += ["--cgroups=" + cgroups]
    lines = [
        *_header(conv, source),
        "[Unit]",
        "Description=%s (rootless Podman, migrated from Docker)" % conv.name,
        "",
        "[Container]",
        "ContainerName=%s" % conv.name,
        "Image=%s" % conv.image,
    ]
    if conv.command:
        lines.append("Exec=%s" % _join(conv.command))
    if args:
        lines.append("PodmanArgs=%s" % _join(args))
    lines += [
        "",
        "[Service]",
        "Restart=%s" % conv.restart,
        "TimeoutStopSec=70",
        "",
        "[Install]",
        "WantedBy=default.target",
    ]
    return "\n".join(lines) + "\n"


def parse_version(text):
    return tuple(int(p) for p in re.findall(r"\d+", text or "0")[:2]) or (0,)


def unit_format(podman_version, wanted="auto"):
    if wanted != "auto":
        return wanted
    return "quadlet" if parse_version(podman_version) >= QUADLET_MIN_VERSION else "unit"
