# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The migration plan: what a Docker CE host running OpenClaw holds, and how each part moves.

build_plan() is pure: it takes what Docker reported (inspect records of containers,
images, volumes and networks) and decides, per part, whether it moves, is recreated,
removed or left, with the reason. The migration_plan module gathers the records.
"""

from __future__ import annotations

import re

from ansible_collections.b4arena.rootless.plugins.module_utils._convert import convert

GATEWAY_PORT = "18789/tcp"
GATEWAY_NAMES = ("openclaw-gateway", "openclaw_gateway")
DEFAULT_STATE_DIR = "/home/node/.openclaw"
CONFIG_NAME = "openclaw.json"
DEFAULT_SANDBOX_IMAGE = "openclaw-sandbox:bookworm-slim"


def slug(path):
    """A bind source path as one directory name: /srv/openclaw/workspace -> srv-openclaw-workspace."""
    text = re.sub(r"[^A-Za-z0-9._]+", "-", path.strip("/")) or "root"
    return text.strip("-")


def _mounts(inspect):
    """A container's mounts in a fixed order (Docker lists them in no particular one)."""
    return sorted(inspect.get("Mounts") or [], key=lambda m: m.get("Destination") or "")


def find_gateway(containers, wanted=""):
    """The gateway's inspect record: by name when given, else a container publishing the
    gateway port or carrying a gateway name. None when there is none."""
    by_name = {c["Name"].lstrip("/"): c for c in containers}
    if wanted:
        return by_name.get(wanted)
    for name in GATEWAY_NAMES:
        if name in by_name:
            return by_name[name]
    for c in containers:
        if GATEWAY_PORT in ((c.get("HostConfig") or {}).get("PortBindings") or {}):
            return c
    return None


def env_value(inspect, key):
    for item in (inspect.get("Config") or {}).get("Env") or []:
        name, _sep, value = item.partition("=")
        if name == key:
            return value
    return None


def state_mount(inspect):
    """The mount holding OpenClaw's state directory, and the state dir's path inside it."""
    state_dir = env_value(inspect, "OPENCLAW_STATE_DIR") or DEFAULT_STATE_DIR
    best = None
    for mount in inspect.get("Mounts") or []:
        dest = mount.get("Destination") or ""
        if state_dir == dest or state_dir.startswith(dest.rstrip("/") + "/"):
            if best is None or len(dest) > len(best.get("Destination")):
                best = mount
    if best is None:
        return None, state_dir
    return best, state_dir[len(best["Destination"].rstrip("/")) :].lstrip("/")


def sandbox_settings(config):
    """OpenClaw's agents.defaults.sandbox backend, image and network, with OpenClaw's defaults."""
    sandbox = ((config or {}).get("agents") or {}).get("defaults", {}).get("sandbox") or {}
    docker = sandbox.get("docker") or {}
    return {
        "mode": sandbox.get("mode", "off"),
        "backend": sandbox.get("backend", "docker"),
        "image": docker.get("image", DEFAULT_SANDBOX_IMAGE),
        "network": docker.get("network", "none"),
    }


def build_plan(
    containers,
    *,
    images,
    volumes,
    networks,
    user,
    home,
    gateway="",
    extra=(),
    sandbox_prefix="openclaw-sbx-",
    network_map=None,
    openclaw_config=None,
    resolved_users=None,
    seccomp_profile=None,
    unprivileged_port_start=1024,
    sizes=None,
    host_config=None,
):
    """Decide how every part moves. ``images``/``volumes``/``networks`` map names to inspect
    records (absent names were not found); ``resolved_users`` maps an image's user name to
    (uid, gid); ``sizes`` maps host paths to (files, bytes); ``host_config`` is the path of
    the OpenClaw configuration of a gateway running on the host, not in a container."""
    # Sandboxes on Docker's default bridge move to openclaw-sandbox-net; a moved service on it
    # gets Podman's default rootless network (its published ports work the same) unless mapped.
    service_networks = dict(network_map or {})
    network_map = dict({"bridge": "openclaw-sandbox-net"}, **service_networks)
    resolved_users = resolved_users or {}
    sizes = sizes or {}
    gw = find_gateway(containers, gateway)
    moving = ([gw] if gw else []) + [c for c in containers if c["Name"].lstrip("/") in extra and c is not gw]
    moving_ids = {id(c) for c in moving}
    plan = {
        "user": user,
        "gateway": None,
        "containers": [],
        "images": [],
        "volumes": [],
        "binds": [],
        "networks": [],
        "openclaw": None,
        "refusals": [],
        "blocking": False,
    }
    bind_root = "%s/.local/share/b4arena-rootless/binds" % home.rstrip("/")
    bind_map = {}
    for c in moving:
        for m in _mounts(c):
            if m.get("Type") == "bind" and m["Source"] not in ("/var/run/docker.sock", "/run/docker.sock"):
                bind_map.setdefault(m["Source"], "%s/%s" % (bind_root, slug(m["Source"])))

    used_networks = {}
    used_images = {}
    for c in containers:
        name = c["Name"].lstrip("/")
        image = (c.get("Config") or {}).get("Image")
        entry = {
            "name": name,
            "id": c.get("Id", "")[:12],
            "image": image,
            "running": bool((c.get("State") or {}).get("Running")),
        }
        if id(c) in moving_ids:
            user_name = (c.get("Config") or {}).get("User") or ""
            conv = convert(
                c,
                image_config=(images.get(image) or {}).get("Config"),
                bind_map=bind_map,
                network_map=service_networks,
                seccomp_profile=seccomp_profile,
                resolved_user=resolved_users.get(user_name),
                unprivileged_port_start=unprivileged_port_start,
            )
            entry.update(
                role="gateway" if c is gw else "service",
                action="move",
                reason="runs as a rootless Podman user service",
                service=name + ".service",
                userns=conv.userns,
                refused=[r.as_dict() for r in conv.refusals],
                restart_policy=((c.get("HostConfig") or {}).get("RestartPolicy") or {}).get("Name") or "no",
                resolved_user="%d:%d" % resolved_users[user_name] if user_name in resolved_users else None,
            )
            plan["refusals"].extend(dict(r.as_dict(), container=name) for r in conv.refusals)
            used_images.setdefault(image, []).append(name)
            for net in (c.get("NetworkSettings") or {}).get("Networks") or {}:
                if net != "bridge" or net in service_networks:
                    used_networks.setdefault(net, []).append(name)
            for m in _mounts(c):
                if m.get("Type") == "volume":
                    plan["volumes"].append(
                        {
                            "name": m["Name"],
                            "container": name,
                            "destination": m["Destination"],
                            "userns": conv.userns,
                            "docker_path": (volumes.get(m["Name"]) or {}).get("Mountpoint", m.get("Source")),
                            "files": sizes.get(m.get("Source"), (0, 0))[0],
                            "bytes": sizes.get(m.get("Source"), (0, 0))[1],
                        }
                    )
                elif m.get("Type") == "bind" and m["Source"] in bind_map:
                    plan["binds"].append(
                        {
                            "source": m["Source"],
                            "container": name,
                            "destination": m["Destination"],
                            "userns": conv.userns,
                            "podman_path": bind_map[m["Source"]],
                            "files": sizes.get(m["Source"], (0, 0))[0],
                            "bytes": sizes.get(m["Source"], (0, 0))[1],
                        }
                    )
        elif name.startswith(sandbox_prefix):
            entry.update(
                role="sandbox",
                action="remove",
                reason="an idle OpenClaw sandbox; OpenClaw recreates sandboxes on demand",
            )
            for net in (c.get("NetworkSettings") or {}).get("Networks") or {}:
                used_networks.setdefault(net, []).append(name)
        else:
            entry.update(
                role="other",
                action="leave",
                reason="not part of OpenClaw; list it in rootless_migrate_containers to move it",
            )
        plan["containers"].append(entry)

    settings = sandbox_settings(openclaw_config)
    if gw is not None:
        mount, rel = state_mount(gw)
        plan["gateway"] = {
            "name": gw["Name"].lstrip("/"),
            "service": gw["Name"].lstrip("/") + ".service",
            "ports": sorted(
                "%s->%s:%s" % (p, b.get("HostIp") or "*", b.get("HostPort"))
                for p, bs in ((gw.get("HostConfig") or {}).get("PortBindings") or {}).items()
                for b in bs or []
            ),
            "state_mount": None
            if mount is None
            else {
                "type": mount["Type"],
                "name": mount.get("Name"),
                "source": mount["Source"],
                "destination": mount["Destination"],
                "path": rel,
            },
        }
        if mount is not None:
            plan["openclaw"] = {
                "install": "container",
                "config": ("%s/%s" % (rel, CONFIG_NAME)).lstrip("/"),
                "found": openclaw_config is not None,
                "sandbox": settings,
            }
    elif host_config is not None:
        plan["openclaw"] = {
            "install": "host",
            "config": host_config,
            "found": openclaw_config is not None,
            "sandbox": settings,
        }
    if settings["network"] not in ("none", "host"):
        used_networks.setdefault(settings["network"], []).append("openclaw sandbox config")
    if openclaw_config is not None and settings["image"] not in used_images:
        used_images.setdefault(settings["image"], []).append("openclaw sandboxes")

    for ref, users in sorted(used_images.items()):
        found = images.get(ref)
        plan["images"].append(
            {"ref": ref, "id": (found or {}).get("Id"), "used_by": users, "action": "carry" if found else "missing"}
        )
        if not found:
            plan["refusals"].append(
                {
                    "field": "image",
                    "value": ref,
                    "blocking": True,
                    "container": ", ".join(users),
                    "reason": "not in Docker's image store: build it or load it first",
                }
            )
    for name, users in sorted(used_networks.items()):
        net = networks.get(name) or {}
        target = network_map.get(name, name)
        if name in ("none", "host"):
            continue
        plan["networks"].append(
            {
                "name": name,
                "podman_name": target,
                "used_by": users,
                "internal": bool(net.get("Internal")),
                "action": "map" if name in network_map else "recreate",
                "reason": "Docker's default bridge becomes %s" % target
                if name == "bridge"
                else "recreated in the user's rootless Podman",
            }
        )
    plan["containers"].sort(key=lambda c: c["name"])
    plan["blocking"] = any(r["blocking"] for r in plan["refusals"])
    return plan
