#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rootless_facts
short_description: Preflight facts for OpenClaw sandboxes on rootless Podman, with blockers and warnings
version_added: 0.1.0
description:
  - Reads what decides whether a host can run sandboxes on rootless Podman and sets the fact
    C(rootless) with it, plus a list of C(blockers) and C(warnings), each with an C(id), a
    C(message) and a C(fix).
  - Kernel version (native rootless overlay from 5.13); user-namespace knobs
    (C(kernel.unprivileged_userns_clone), C(user.max_user_namespaces), Ubuntu's
    C(kernel.apparmor_restrict_unprivileged_userns)); C(newuidmap)/C(newgidmap) with setuid or file
    capabilities; cgroup version and, on v2, the controllers delegated to each user; the storage
    driver each user would get; pasta/slirp4netns and whether C(/dev/net/tun) and C(/dev/fuse) are
    usable by users; podman, catatonit, crun and runc; each user's subordinate ranges, linger and
    runtime directory.
  - Changes nothing. With O(fail_on_blockers=true) it fails listing every blocker at once.
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
options:
  users:
    description: Sandbox users to report on (ranges, linger, storage driver, cgroup delegation).
    type: list
    elements: str
    default: []
  expect_install:
    description:
      - The caller installs the packages next (as the C(rootless_host) role does), so missing podman,
        uidmap or catatonit are warnings, not blockers.
    type: bool
    default: false
  allow_enable_userns:
    description:
      - The caller may turn user namespaces on, so disabled ones are warnings, not blockers.
      - Without it, a host whose administrator disabled user namespaces is a blocker, because that
        knob is not flipped silently.
    type: bool
    default: false
  query_podman:
    description:
      - Ask Podman itself (C(podman info) as each ready user) which storage driver it uses, instead of
        predicting it from the configuration.
    type: bool
    default: true
  fail_on_blockers:
    description: Fail, listing every blocker, when there is at least one.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Is this host ready for rootless sandboxes?
  b4arena.rootless.rootless_facts:
    users: [openclaw]
    fail_on_blockers: true

- name: Show what would need fixing
  ansible.builtin.debug:
    var: ansible_facts.rootless.warnings
"""

RETURN = r"""
ansible_facts:
  description: Facts set.
  returned: always
  type: dict
  contains:
    rootless:
      description:
        - C(kernel), C(userns), C(idmap), C(cgroup) (with the runtime to use), C(tools), C(devices),
          C(storage) (per user), C(users), C(podman_version), C(blockers), C(warnings).
      type: dict
blockers:
  description:
    - Findings that stop a rootless sandbox host, each with id, message and fix (also in the fact).
    - Findings that only degrade it are in C(ansible_facts.rootless.warnings).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.b4arena.rootless.plugins.module_utils._podman import (
    PodmanError,
    PodmanRunner,
    rootless_context,
)
from ansible_collections.b4arena.rootless.plugins.module_utils._preflight import HostView, assess


def ask_podman(module, users, podman_path):
    """Podman's version, and `podman info` as each user ready for rootless Podman.

    A user that is not ready (missing, no runtime dir, no ranges) is simply not asked: the
    assessment reports why. A Podman that fails to answer is a warning, not a failure.
    """
    info, problems = {}, []
    for name in users:
        try:
            context = rootless_context(name)
        except PodmanError:
            continue
        try:
            info[name] = PodmanRunner(module, context, podman_path).json(["info", "--format", "json"])
        except PodmanError as e:
            problems.append({"id": "podman_info_failed", "message": "podman info as %s: %s" % (name, e), "fix": ""})
    try:
        version = PodmanRunner(module, rootless_context(None), podman_path).version()
    except PodmanError as e:
        version = None
        problems.append({"id": "podman_version_failed", "message": str(e), "fix": ""})
    return info, version, problems


def main():
    module = AnsibleModule(
        argument_spec=dict(
            users=dict(type="list", elements="str", default=[]),
            expect_install=dict(type="bool", default=False),
            allow_enable_userns=dict(type="bool", default=False),
            query_podman=dict(type="bool", default=True),
            fail_on_blockers=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    host = HostView()
    info, version, problems = {}, None, []
    podman_path = host.which("podman")
    if podman_path and p["query_podman"]:
        info, version, problems = ask_podman(module, p["users"], podman_path)
    facts = assess(
        host,
        p["users"],
        allow_enable_userns=p["allow_enable_userns"],
        expect_install=p["expect_install"],
        podman_info=info,
        podman_version=version,
    )
    facts["warnings"].extend(problems)
    # The findings stay in the fact: "warnings" is a reserved key of module results.
    result = dict(changed=False, ansible_facts={"rootless": facts}, blockers=facts["blockers"])
    if p["fail_on_blockers"] and facts["blockers"]:
        module.fail_json(
            msg="this host cannot run rootless sandboxes: %s"
            % "; ".join("[%s] %s (fix: %s)" % (b["id"], b["message"], b["fix"]) for b in facts["blockers"]),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
