# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: openclaw_inspect_diff
short_description: Differences between Docker's and Podman's inspect of one OpenClaw sandbox
version_added: 0.2.0
description:
  - Compares the fields OpenClaw parses from C(inspect) (C(.Id), C(.State.Running), C(.State.Paused),
    C(.Config.Labels), C(.Config.Env), C(.Mounts), C(.HostConfig.Tmpfs)), as the
    RV(b4arena.rootless.sandbox_check#module:view) of one sandbox definition run on each engine.
  - Each difference says whether it breaks OpenClaw (a value OpenClaw set is lost or changed, or a field
    has another shape) or is something an engine adds on its own.
author:
  - b4arena infrastructure team (@b4arena)
options:
  _input:
    description: The view from Docker.
    type: dict
    required: true
  podman:
    description: The view from Podman.
    type: dict
    required: true
  sandbox:
    description: The OpenClaw C(sandbox.docker) settings both ran with.
    type: dict
    default: {}
  labels:
    description: Labels set besides C(openclaw.sandbox=1).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: What OpenClaw would see differently
  ansible.builtin.debug:
    msg: "{{ docker_check.view | b4arena.rootless.openclaw_inspect_diff(podman_check.view, sandbox=settings) }}"
"""

RETURN = r"""
_value:
  description: Differences, each with C(field), C(breaks_openclaw), C(why), C(docker), C(podman).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.b4arena.rootless.plugins.module_utils._sandbox import SpecError, compare_views, sandbox_spec


def openclaw_inspect_diff(docker, podman, sandbox=None, labels=None):
    for name, view in (("docker", docker), ("podman", podman)):
        if not isinstance(view, dict) or ".Config.Env" not in view:
            raise AnsibleFilterError("openclaw_inspect_diff: %s is not a sandbox_check view: %r" % (name, view))
    try:
        spec = sandbox_spec(sandbox or {})[0]
    except SpecError as e:
        raise AnsibleFilterError("openclaw_inspect_diff: %s" % e) from None
    return compare_views(docker, podman, spec, labels or {}, spec["env"])


class FilterModule:
    def filters(self):
        return {"openclaw_inspect_diff": openclaw_inspect_diff}
