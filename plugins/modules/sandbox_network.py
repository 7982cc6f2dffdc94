#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sandbox_network
short_description: Podman networks for OpenClaw sandboxes, in a rootless user's Podman
version_added: 0.1.0
description:
  - Creates, checks and removes a Podman network in the Podman of O(run_as), for sandboxes that
    need a network (for example C(openclaw-sandbox-net), which replaces Docker's C(bridge)).
  - Idempotent against C(podman network inspect). Compared are O(driver) and O(internal) always,
    and O(dns), O(subnet), O(gateway), O(ip_range), O(labels) and O(options) when given; CIDRs are
    normalised first. When nothing differs, no write command runs.
  - A network that differs is not changed unless O(recreate=true); without it the module fails
    and lists every difference. Recreating refuses while containers are attached, naming them,
    unless O(force=true).
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - b4arena.rootless.attributes
  - b4arena.rootless.rootless
options:
  name:
    description: Network name.
    type: str
    required: true
  state:
    description: V(present) creates or checks the network, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  driver:
    description: Network driver. Rootless Podman supports V(bridge).
    type: str
    choices: [bridge, macvlan, ipvlan]
    default: bridge
  internal:
    description: No route out of the network (no egress); containers on it reach only each other.
    type: bool
    default: false
  dns:
    description:
      - V(true) runs Podman's DNS for the network (container names resolve), V(false) disables it.
      - Not compared when unset; Podman then decides (enabled when aardvark-dns is installed).
    type: bool
  subnet:
    description: Subnet in CIDR form. When unset, Podman picks a free one and it is not compared.
    type: str
  gateway:
    description: Gateway address inside O(subnet). Needs O(subnet).
    type: str
  ip_range:
    description:
      - CIDR inside O(subnet) from which container addresses are leased. Needs O(subnet).
      - Podman stores it as the lease range from the first address after the network address to the
        last address of the CIDR; the comparison uses that.
    type: str
  options:
    description:
      - Driver options, such as C(mtu) or C(isolate). Each given key is compared as a string.
    type: dict
  labels:
    description: Labels of the network. When given, they must match exactly.
    type: dict
  recreate:
    description: Remove and create the network again when it differs from the request.
    type: bool
    default: false
  force:
    description:
      - With O(recreate=true) or O(state=absent), remove the network even though containers are
        attached; Podman removes those containers with it (C(podman network rm --force)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The network sandboxes use for egress (Docker's bridge becomes this)
  b4arena.rootless.sandbox_network:
    name: openclaw-sandbox-net
    run_as: openclaw
    labels:
      io.b4arena.purpose: openclaw-sandbox

- name: A network with no route out, for sandboxes that talk only to each other
  b4arena.rootless.sandbox_network:
    name: openclaw-sandbox-internal
    run_as: openclaw
    internal: true
    dns: false
    subnet: 10.90.0.0/24

- name: Change the MTU, recreating the network if no sandbox is attached
  b4arena.rootless.sandbox_network:
    name: openclaw-sandbox-net
    run_as: openclaw
    options:
      mtu: 1400
    recreate: true
"""

RETURN = r"""
network:
  description:
    - The network as C(podman network inspect) reports it after the run; in check mode, before.
    - Empty after removal or when it does not exist.
  returned: always
  type: dict
  sample:
    name: openclaw-sandbox-net
    driver: bridge
    internal: false
    dns_enabled: true
    subnets: [{subnet: 10.89.0.0/24, gateway: 10.89.0.1}]
differences:
  description: Fields that differed from the request, each with what was asked and what was found.
  returned: when the network existed and differed
  type: list
  elements: dict
  sample: [{field: internal, wanted: true, found: false}]
attached:
  description: Containers attached to the network when it was to be recreated or removed.
  returned: when it was to be recreated or removed
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.b4arena.rootless.plugins.module_utils._network import (
    SpecError,
    actual,
    create_args,
    desired,
    differences,
)
from ansible_collections.b4arena.rootless.plugins.module_utils._podman import (
    PodmanError,
    PodmanRunner,
    rootless_context,
)


def attached(runner, name):
    containers = runner.json(["ps", "--all", "--filter", "network=%s" % name, "--format", "json"]) or []
    return sorted(n for c in containers for n in c.get("Names") or [])


def remove(module, runner, name, result):
    users = attached(runner, name)
    result["attached"] = users
    if users and not module.params["force"]:
        module.fail_json(
            msg="network %s has attached containers: %s; stop and remove them, or set force: true "
            "to remove them with the network" % (name, ", ".join(users)),
            **result,
        )
    if not module.check_mode:
        runner.write(["network", "rm", *(["--force"] if users else []), name])


def run(module, runner):
    p = module.params
    name = p["name"]
    before = runner.inspect("network", name)
    result = {"changed": False, "network": before or {}}

    if p["state"] == "absent":
        if before is None:
            return result
        remove(module, runner, name, result)
        result.update(changed=True, network={})
        result["diff"] = {"before": {"name": name, "state": "present"}, "after": {"name": name, "state": "absent"}}
        return result

    wanted = desired(p)
    if before is None:
        result["changed"] = True
        result["diff"] = {"before": {}, "after": dict(wanted, name=name)}
        if not module.check_mode:
            runner.write(create_args(p))
            result["network"] = runner.inspect("network", name)
        return result

    have = actual(before, wanted)
    gaps = differences(wanted, have)
    if not gaps:
        return result
    result["differences"] = [{"field": f, "wanted": w, "found": h} for f, w, h in gaps]
    if not p["recreate"]:
        module.fail_json(
            msg="network %s differs from the request (%s); set recreate: true to replace it"
            % (name, "; ".join("%s: wanted %r, found %r" % gap for gap in gaps)),
            **result,
        )
    remove(module, runner, name, result)
    result["changed"] = True
    result["diff"] = {"before": have, "after": wanted}
    if not module.check_mode:
        runner.write(create_args(p))
        result["network"] = runner.inspect("network", name)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            driver=dict(type="str", choices=["bridge", "macvlan", "ipvlan"], default="bridge"),
            internal=dict(type="bool", default=False),
            dns=dict(type="bool"),
            subnet=dict(type="str"),
            gateway=dict(type="str"),
            ip_range=dict(type="str"),
            options=dict(type="dict"),
            labels=dict(type="dict"),
            recreate=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            run_as=dict(type="str"),
            executable=dict(type="str", default="podman"),
        ),
        supports_check_mode=True,
    )
    try:
        if module.params["state"] == "present":
            desired(module.params)  # bad input fails before anything runs
        runner = PodmanRunner(module, rootless_context(module.params["run_as"]), module.params["executable"])
        result = run(module, runner)
    except SpecError as e:
        module.fail_json(msg=str(e))
    except PodmanError as e:
        module.fail_json(**e.result())
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
