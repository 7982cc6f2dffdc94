#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: podman_unit
short_description: Turn a Docker container (its docker inspect record) into a rootless Podman systemd user service
version_added: 0.1.0
description:
  - Converts one C(docker inspect) record into a systemd user service of O(run_as) that runs the
    same container under rootless Podman, keeping image, command, entrypoint, environment, labels,
    published ports (a loopback bind stays loopback), volumes and bind mounts, user, working
    directory, C(--init), restart policy, dropped and added capabilities, no-new-privileges,
    read-only root, tmpfs mounts, resource limits, DNS, extra hosts and health check.
  - The container runs with C(--userns=keep-id:uid=U,gid=G) for its configured user U:G (plain
    C(keep-id) for root), as OpenClaw's own Podman launcher runs the gateway, so files the
    container user owned stay owned by the same container user, which is O(run_as) on the host.
  - Writes a Quadlet C(.container) file (C(~/.config/containers/systemd/NAME.container)) where
    Podman is 4.5 or newer, the first release whose Quadlet has C(PodmanArgs=), and a unit running
    C(podman run) (C(~/.config/systemd/user/NAME.service)) otherwise. It does not reload or start
    the user manager; notify a C(systemctl --user daemon-reload) on change.
  - Refuses what cannot move faithfully and fails, writing nothing, listing each with the reason
    (RV(refused) entries with C(blocking=true)) - privileged mode, host network, PID, IPC or UTS
    namespaces, another container's network, C(--link), devices, C(seccomp=unconfined), published
    host ports below C(net.ipv4.ip_unprivileged_port_start), random published ports, mounts of
    Docker's storage, a user given by name without O(resolved_user). Dropped with a note instead are
    mounts of the Docker socket, the C(docker) supplementary group, AppArmor profiles.
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - b4arena.rootless.attributes
  - b4arena.rootless.rootless
options:
  inspect:
    description:
      - One element of C(docker inspect NAME) output (the dict, not the list). Needed for
        O(state=present).
    type: dict
  name:
    description: Container and service name. Defaults to the Docker container's name.
    type: str
  state:
    description: V(present) writes the unit; V(absent) removes both unit forms for O(name).
    type: str
    choices: [present, absent]
    default: present
  image:
    description: Image reference under Podman, when it differs from the Docker container's C(Config.Image).
    type: str
  image_config:
    description:
      - The image's C(Config) from C(docker image inspect). Values the image already sets (Env,
        Cmd, Entrypoint, WorkingDir, User, Labels) are then left out of the unit.
    type: dict
  volume_map:
    description: Docker volume name to Podman volume name. Unlisted volumes keep their names.
    type: dict
    default: {}
  bind_map:
    description: Docker bind-mount source path to the host path the Podman side mounts instead.
    type: dict
    default: {}
  network_map:
    description:
      - Docker network name to Podman network name. Docker's C(bridge) maps to Podman's default
        rootless network unless listed (for example map C(bridge) to C(openclaw-sandbox-net)).
    type: dict
    default: {}
  seccomp_profile:
    description:
      - Seccomp profile path for the container; Docker keeps a custom profile's contents, not its
        path, so the host's profile takes the place of Docker's (and of Docker's default).
    type: path
  resolved_user:
    description: V(UID:GID) of the container user when the Docker container names its user (C(--user node)).
    type: str
  unprivileged_port_start:
    description: Lowest host port a rootless user can publish. Read from the host's sysctl when unset.
    type: int
  format:
    description: V(quadlet), V(unit), or V(auto) (by the Podman version of O(run_as)).
    type: str
    choices: [auto, quadlet, unit]
    default: auto
  cgroups:
    description:
      - Podman's C(--cgroups) for the service. V(no-conmon) suits a unit on a unified cgroup v2
        host; hosts without delegation to the user (cgroup v1 or hybrid) need V(disabled). Unset
        with a Quadlet file leaves Quadlet's own default.
    type: str
    choices: [enabled, disabled, no-conmon, split]
  backup:
    description: Keep a timestamped copy of a unit file this run replaces.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Read the gateway as Docker runs it
  ansible.builtin.command:
    argv: [docker, inspect, openclaw-gateway]
  register: gateway_inspect
  changed_when: false

- name: Run it as openclaw's rootless Podman service
  b4arena.rootless.podman_unit:
    inspect: "{{ (gateway_inspect.stdout | from_json)[0] }}"
    run_as: openclaw
    seccomp_profile: /etc/containers/openclaw-sandbox-seccomp.json
    bind_map:
      /srv/openclaw/workspace: /home/openclaw/.local/share/b4arena-rootless/binds/srv-openclaw-workspace
  notify: Reload openclaw's user manager
"""

RETURN = r"""
path:
  description: The unit file written (or that would be).
  returned: always
  type: str
  sample: /home/openclaw/.config/systemd/user/openclaw-gateway.service
service:
  description: The systemd user service to start.
  returned: always
  type: str
  sample: openclaw-gateway.service
format:
  description: V(quadlet) or V(unit).
  returned: always
  type: str
refused:
  description: Fields not carried over, each with the value, the reason and whether it blocks the conversion.
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{field: Mounts, value: "/var/run/docker.sock:/var/run/docker.sock", blocking: false,
            reason: the Docker socket has no place under rootless Podman}]
conversion:
  description:
    - The converted container. C(args) are the C(podman run) flags, C(mounts) the mounts with their
      Docker sources.
  returned: when O(state=present)
  type: dict
argv:
  description: The equivalent C(podman run) command, for a manual run.
  returned: when O(state=present)
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.b4arena.rootless.plugins.module_utils._convert import (
    convert,
    render_quadlet,
    render_unit,
    unit_format,
)
from ansible_collections.b4arena.rootless.plugins.module_utils._files import text_diff, write_atomically
from ansible_collections.b4arena.rootless.plugins.module_utils._podman import (
    PodmanError,
    PodmanRunner,
    rootless_context,
)

UNIT_DIRS = {"quadlet": (".config/containers/systemd", ".container"), "unit": (".config/systemd/user", ".service")}
PORT_SYSCTL = "/proc/sys/net/ipv4/ip_unprivileged_port_start"


def unit_path(home, fmt, name):
    directory, suffix = UNIT_DIRS[fmt]
    return os.path.join(home, directory, name + suffix)


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except FileNotFoundError:
        return None


def make_dirs(path, uid, gid, home):
    """Create missing parents of ``path`` below ``home``, owned by the user."""
    missing = []
    directory = os.path.dirname(path)
    while not os.path.isdir(directory) and directory.startswith(home + os.sep):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for directory in reversed(missing):
        os.mkdir(directory, 0o755)
        os.chown(directory, uid, gid)


def resolved(module):
    text = module.params["resolved_user"]
    if text is None:
        return None
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        module.fail_json(msg="resolved_user: %r is not UID:GID" % text)
    return int(parts[0]), int(parts[1])


def port_start(module):
    if module.params["unprivileged_port_start"] is not None:
        return module.params["unprivileged_port_start"]
    text = read_text(PORT_SYSCTL)
    return int(text) if text and text.strip().isdigit() else 1024


def main():
    module = AnsibleModule(
        argument_spec=dict(
            inspect=dict(type="dict"),
            name=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            image=dict(type="str"),
            image_config=dict(type="dict"),
            volume_map=dict(type="dict", default={}),
            bind_map=dict(type="dict", default={}),
            network_map=dict(type="dict", default={}),
            seccomp_profile=dict(type="path"),
            resolved_user=dict(type="str"),
            unprivileged_port_start=dict(type="int"),
            format=dict(type="str", choices=["auto", "quadlet", "unit"], default="auto"),
            cgroups=dict(type="str", choices=["enabled", "disabled", "no-conmon", "split"]),
            backup=dict(type="bool", default=False),
            run_as=dict(type="str"),
            executable=dict(type="str", default="podman"),
        ),
        required_if=[("state", "present", ["inspect"]), ("state", "absent", ["name"])],
        supports_check_mode=True,
    )
    p = module.params
    try:
        context = rootless_context(p["run_as"])
    except PodmanError as e:
        module.fail_json(**e.result())
    home = context.home

    if p["state"] == "absent":
        removed = []
        for fmt in UNIT_DIRS:
            path = unit_path(home, fmt, p["name"])
            if os.path.exists(path):
                removed.append(path)
                if not module.check_mode:
                    os.unlink(path)
        module.exit_json(
            changed=bool(removed),
            removed=removed,
            path=removed[0] if removed else "",
            service=p["name"] + ".service",
            format="",
        )

    inspect = p["inspect"]
    if not isinstance(inspect.get("Config"), dict) or not isinstance(inspect.get("HostConfig"), dict):
        module.fail_json(msg="inspect: not a docker inspect record of a container (no Config and HostConfig)")
    conv = convert(
        inspect,
        image_config=p["image_config"],
        volume_map=p["volume_map"],
        bind_map=p["bind_map"],
        network_map=p["network_map"],
        unprivileged_port_start=port_start(module),
        seccomp_profile=p["seccomp_profile"],
        resolved_user=resolved(module),
        name=p["name"],
        image=p["image"],
    )
    if not conv.name:
        module.fail_json(msg="name: the inspect record has no Name; set name")
    result = dict(
        refused=[r.as_dict() for r in conv.refusals],
        conversion=conv.as_dict(),
        argv=[p["executable"], "run", "--name", conv.name, *conv.run_args(), conv.image, *conv.command],
        service=conv.name + ".service",
    )
    if conv.blocking:
        module.fail_json(
            msg="%s cannot move to rootless Podman as it is: %s"
            % (conv.name, "; ".join("%s %s: %s" % (r.field, r.value, r.reason) for r in conv.blocking)),
            **result,
        )

    if p["format"] == "auto":
        try:
            version = PodmanRunner(module, context, p["executable"]).version()
        except PodmanError as e:
            module.fail_json(**e.result())
    else:
        version = ""
    fmt = unit_format(version, p["format"])
    source = " (id %s)" % inspect["Id"][:12] if inspect.get("Id") else ""
    if fmt == "quadlet":
        content = render_quadlet(conv, cgroups=p["cgroups"], source=source)
    else:
        content = render_unit(
            conv,
            podman=p["executable"] if os.path.isabs(p["executable"]) else "/usr/bin/podman",
            cgroups=p["cgroups"] or "no-conmon",
            source=source,
        )
    path = unit_path(home, fmt, conv.name)
    other = unit_path(home, "unit" if fmt == "quadlet" else "quadlet", conv.name)
    before = read_text(path)
    stale = os.path.exists(other)  # the other form, left by an older Podman, would start the container twice
    result.update(path=path, format=fmt, changed=before != content or stale)
    if module._diff:
        result["diff"] = text_diff(path, before or "", content)
    if result["changed"] and not module.check_mode:
        make_dirs(path, context.uid, context.gid, home)
        backup = write_atomically(module, path, content, backup=p["backup"], mode=0o644)
        os.chown(path, context.uid, context.gid)
        if backup:
            result["backup_file"] = backup
        if stale:
            os.unlink(other)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
