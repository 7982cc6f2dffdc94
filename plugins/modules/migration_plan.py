#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: migration_plan
short_description: Read a Docker CE host running OpenClaw and plan its move to rootless Podman
version_added: 0.1.0
description:
  - Asks the Docker engine for every container (full C(docker inspect)), and for the images,
    volumes and networks the OpenClaw gateway and its sandboxes use; reads OpenClaw's configuration
    from the gateway's state mount (or from the user's home when the gateway runs on the host);
    measures the data in volumes and bind mounts; and returns a plan saying, per part, what moves
    and how, what is recreated, removed or left on Docker, and what cannot carry over, with the
    reason.
  - The gateway is the container named by O(gateway), else one named C(openclaw-gateway), else one
    publishing port 18789. It and the containers in O(containers) move as rootless user services
    (their conversion is the one M(b4arena.rootless.podman_unit) makes); containers named with
    O(sandbox_prefix) are OpenClaw's idle sandboxes, removed at cut-over (OpenClaw recreates them);
    every other container is left on Docker.
  - Changes nothing; in check mode it runs the same read-only commands.
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - b4arena.rootless.attributes.read_only
options:
  user:
    description: The rootless user that will run the gateway and the sandboxes.
    type: str
    required: true
  gateway:
    description: Docker container name of the OpenClaw gateway; empty finds it.
    type: str
    default: ""
  containers:
    description: Names of further Docker containers to move as rootless services.
    type: list
    elements: str
    default: []
  sandbox_prefix:
    description: Name prefix of OpenClaw's sandbox containers.
    type: str
    default: openclaw-sbx-
  network_map:
    description:
      - Docker network name to rootless Podman network name. C(bridge) maps to
        C(openclaw-sandbox-net) unless given here.
    type: dict
    default: {}
  seccomp_profile:
    description: Seccomp profile the moved containers get (see M(b4arena.rootless.podman_unit)).
    type: path
  docker:
    description: The docker CLI, by name on C(PATH) or by path.
    type: str
    default: docker
notes:
  - Needs root (it reads Docker's volumes and the bind-mounted directories to size them).
  - A container's user given by name is resolved to numbers from the image's C(/etc/passwd) and
    C(/etc/group), copied out of a created (never started) container.
"""

EXAMPLES = r"""
- name: Plan Mimas's move
  b4arena.rootless.migration_plan:
    user: openclaw
  register: plan

- name: Stop before anything changes when something cannot move
  ansible.builtin.assert:
    that: not plan.plan.blocking
    fail_msg: "{{ plan.plan.refusals | selectattr('blocking') | list }}"
"""

RETURN = r"""
plan:
  description:
    - The plan. C(containers) lists every Docker container with its C(role) (gateway, service,
      sandbox, other), C(action) (move, remove, leave) and C(reason); C(gateway) the gateway's
      name, service, ports and state mount; C(images) the images to carry (C(id) is Docker's image
      ID, verified again when carried); C(volumes) and C(binds) the data to copy with file counts and
      bytes and the C(userns) the data will be seen through; C(networks) the networks to recreate or
      map; C(openclaw) where OpenClaw's configuration is and its sandbox settings; C(refusals)
      everything that cannot carry over (C(blocking) ones stop the migration).
  returned: always
  type: dict
docker_version:
  description: The Docker engine's version.
  returned: always
  type: str
inspect:
  description: Full C(docker inspect) records of the containers that move, by name.
  returned: always
  type: dict
image_configs:
  description: The C(Config) of each image found, by reference, for M(b4arena.rootless.podman_unit).
  returned: always
  type: dict
"""

import io
import json
import os
import pwd
import tarfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.b4arena.rootless.plugins.module_utils._migration import (
    build_plan,
    find_gateway,
    sandbox_settings,
    state_mount,
)

PORT_SYSCTL = "/proc/sys/net/ipv4/ip_unprivileged_port_start"


class Docker:
    def __init__(self, module, executable):
        self.module = module
        self.executable = executable

    def run(self, args, ok_rcs=(0,), binary=False):
        argv = [self.executable, *args]
        kwargs = {"binary_data": True, "encoding": None} if binary else {}
        rc, out, err = self.module.run_command(argv, environ_update={"LC_ALL": "C", "LANG": "C"}, **kwargs)
        if rc not in ok_rcs:
            text = err.decode("utf-8", "replace") if binary else err
            self.module.fail_json(msg="%s failed (rc %d): %s" % (" ".join(argv), rc, text.strip()), cmd=argv, rc=rc)
        return rc, out

    def json(self, args):
        out = self.run(args)[1]
        try:
            return json.loads(out)
        except ValueError as e:
            self.module.fail_json(
                msg="%s printed output that is not JSON: %s" % (" ".join([self.executable, *args]), e)
            )

    def inspect_each(self, kind, names):
        """Inspect records by name, leaving out names Docker does not know."""
        found = {}
        for name in sorted(set(names)):
            rc, out = self.run([kind, "inspect", name], ok_rcs=(0, 1))
            if rc == 0:
                found[name] = json.loads(out)[0]
        return found


def tree_size(path):
    files = size = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            files += 1
            size += st.st_size
    return files, size


def image_file(docker, image, path):
    """A file's text from an image, through a created container; never runs the image."""
    cid = docker.run(["create", image])[1].strip()
    try:
        rc, out = docker.run(["cp", "%s:%s" % (cid, path), "-"], ok_rcs=(0, 1), binary=True)
    finally:
        docker.run(["rm", cid])
    if rc != 0:
        return ""
    with tarfile.open(fileobj=io.BytesIO(out)) as tar:
        member = tar.next()
        return (
            tar.extractfile(member).read().decode("utf-8", "replace") if member is not None and member.isfile() else ""
        )


def resolve_user(docker, image, user):
    """(uid, gid) of a user named in ``user`` (``name`` or ``name:group``) inside ``image``."""
    name, _sep, group = user.partition(":")
    passwd = {
        f[0]: f
        for f in (line.split(":") for line in image_file(docker, image, "/etc/passwd").splitlines())
        if len(f) > 3
    }
    if name not in passwd and not name.isdigit():
        return None
    uid = int(name) if name.isdigit() else int(passwd[name][2])
    gid = int(passwd[name][3]) if name in passwd else uid
    if group:
        groups = {
            f[0]: f
            for f in (line.split(":") for line in image_file(docker, image, "/etc/group").splitlines())
            if len(f) > 2
        }
        if group.isdigit():
            gid = int(group)
        elif group in groups:
            gid = int(groups[group][2])
        else:
            return None
    return uid, gid


def read_config(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except ValueError as e:
        raise ValueError("%s is not JSON: %s" % (path, e)) from None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            user=dict(type="str", required=True),
            gateway=dict(type="str", default=""),
            containers=dict(type="list", elements="str", default=[]),
            sandbox_prefix=dict(type="str", default="openclaw-sbx-"),
            network_map=dict(type="dict", default={}),
            seccomp_profile=dict(type="path"),
            docker=dict(type="str", default="docker"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        home = pwd.getpwnam(p["user"]).pw_dir
    except KeyError:
        home = "/home/%s" % p["user"]  # created later by rootless_host
    docker = Docker(module, p["docker"])
    version = docker.json(["version", "--format", "{{json .}}"])
    server = (version.get("Server") or {}).get("Version")
    if not server:
        module.fail_json(msg="docker: the Docker engine did not answer (is dockerd running?)", docker=version)

    ids = docker.run(["ps", "--all", "--quiet", "--no-trunc"])[1].split()
    containers = docker.json(["inspect", *ids]) if ids else []
    names = {c["Name"].lstrip("/") for c in containers}
    if p["gateway"] and p["gateway"] not in names:
        module.fail_json(
            msg="gateway: no Docker container named %r (found: %s)" % (p["gateway"], ", ".join(sorted(names)) or "none")
        )
    missing = [n for n in p["containers"] if n not in names]
    if missing:
        module.fail_json(msg="containers: no Docker container named %s" % ", ".join(repr(n) for n in missing))

    gw = find_gateway(containers, p["gateway"])
    moving = ([gw] if gw else []) + [c for c in containers if c["Name"].lstrip("/") in p["containers"] and c is not gw]
    config = None
    host_config = None
    try:
        if gw is not None:
            mount, rel = state_mount(gw)
            if mount is not None:
                config = read_config(os.path.join(mount["Source"], rel, "openclaw.json"))
        else:
            candidate = os.path.join(home, ".openclaw", "openclaw.json")
            if os.path.exists(candidate):
                host_config = candidate
                config = read_config(candidate)
    except ValueError as e:
        module.fail_json(msg="openclaw configuration: %s" % e)

    image_refs = {c["Config"]["Image"] for c in moving}
    if config is not None:
        image_refs.add(sandbox_settings(config)["image"])
    images = docker.inspect_each("image", image_refs)
    volumes = docker.inspect_each(
        "volume", [m["Name"] for c in moving for m in c.get("Mounts") or [] if m.get("Type") == "volume"]
    )
    sandbox_nets = [n for c in containers for n in ((c.get("NetworkSettings") or {}).get("Networks") or {})]
    networks = docker.inspect_each("network", sandbox_nets)

    resolved = {}
    for c in moving:
        user = c["Config"].get("User") or ""
        if user and not user.replace(":", "").isdigit() and user not in ("root",) and c["Config"]["Image"] in images:
            ids_found = resolve_user(docker, c["Config"]["Image"], user)
            if ids_found:
                resolved[user] = ids_found
    sizes = {}
    for c in moving:
        for m in c.get("Mounts") or []:
            if m.get("Type") in ("volume", "bind") and os.path.isdir(m.get("Source") or ""):
                sizes[m["Source"]] = tree_size(m["Source"])
    try:
        with open(PORT_SYSCTL) as f:
            port_start = int(f.read().strip())
    except (OSError, ValueError):
        port_start = 1024

    plan = build_plan(
        containers,
        images=images,
        volumes=volumes,
        networks=networks,
        user=p["user"],
        home=home,
        gateway=p["gateway"],
        extra=p["containers"],
        sandbox_prefix=p["sandbox_prefix"],
        network_map=p["network_map"],
        openclaw_config=config,
        resolved_users=resolved,
        seccomp_profile=p["seccomp_profile"],
        unprivileged_port_start=port_start,
        sizes=sizes,
        host_config=host_config,
    )
    module.exit_json(
        changed=False,
        plan=plan,
        docker_version=server,
        inspect={c["Name"].lstrip("/"): c for c in moving},
        image_configs={ref: img.get("Config") for ref, img in images.items()},
    )


if __name__ == "__main__":
    main()
