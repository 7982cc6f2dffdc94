#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sandbox_check
short_description: Replay OpenClaw's sandbox lifecycle on Podman or Docker and report each step
version_added: 0.2.0
description:
  - Creates one sandbox exactly as OpenClaw does (C(create --init), its labels, C(--read-only), one
    C(--tmpfs) each, C(--network), C(--user), C(--cap-drop), C(--security-opt no-new-privileges),
    seccomp and AppArmor when configured, limits, C(--workdir), binds, C(--env-file), then
    C(IMAGE sleep infinity); under Podman also C(--http-proxy=false), C(--read-only-tmpfs=true) and,
    rootless, C(--userns keep-id)), starts it, execs a command with C(/bin/sh -lc), inspects it and
    removes it, reporting pass or fail, time, rc and stderr for every step.
  - Reports what OpenClaw reads back from C(inspect) (O(ignore:view)), what a process in the sandbox
    sees (user, read-only root, network interfaces, capabilities) and, from C(/proc) on the host, which
    host user runs the sandbox with which capabilities, C(no_new_privs) and seccomp mode.
  - The sandbox is removed at the end, also after a failed step, so the host is left as it was and
    the module never reports a change.
  - Fails when a step fails; the result still holds every step, so O(ignore:failed_when) can turn it
    into a report.
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - b4arena.rootless.attributes.read_only
attributes:
  check_mode:
    details: Only C(image inspect) runs; the planned C(create) argv is returned.
options:
  engine:
    description:
      - Which flavour of OpenClaw's flags to use (its Podman or its Docker backend) and which CLI to
        run, O(executable), default C(podman) or C(docker), as O(run_as) or the connecting user.
      - V(docker) with O(run_as) is OpenClaw's Docker backend on a host where C(docker) is
        podman-docker (a C(docker) that execs C(podman)), with the Docker flags in the user's rootless Podman.
    type: str
    choices: [podman, docker]
    default: podman
  sandbox:
    description:
      - OpenClaw's C(agents.defaults.sandbox.docker) settings, with OpenClaw's own key names
        (C(image), C(workdir), C(readOnlyRoot), C(tmpfs), C(network), C(user), C(capDrop), C(env),
        C(pidsLimit), C(memory), C(memorySwap), C(cpus), C(seccompProfile), C(apparmorProfile),
        C(dns), C(extraHosts), C(binds)); OpenClaw's defaults fill the rest.
      - C(containerPrefix), C(setupCommand), C(ulimits), C(gpus) and C(dangerouslyAllow*) are accepted
        and listed in RV(ignored_keys); any other key fails. C(network=host) and C(unconfined)
        profiles fail, as OpenClaw refuses them.
    type: dict
    default: {}
  image:
    description: The sandbox image; overrides C(sandbox.image).
    type: str
  name:
    description: Container name of the sandbox; a leftover of that name is removed first.
    type: str
    default: openclaw-sbx-b4arena-check
  command:
    description: What to run in the sandbox, through C(/bin/sh -lc), as OpenClaw runs agent commands.
    type: str
    default: id -u
  labels:
    description: Labels besides C(openclaw.sandbox=1), as OpenClaw adds a session key and a config hash.
    type: dict
    default:
      openclaw.sessionKey: b4arena-check
      openclaw.configHash: b4arena-check
  run_as:
    description:
      - Run the CLI as this user (rootless Podman), the way every module of this collection runs Podman
        (C(setpriv) to the user's ids, a clean environment with C(XDG_RUNTIME_DIR=/run/user/UID)).
        Needs root, the user's runtime directory (linger) and its subordinate ranges; the module fails
        saying which is missing.
      - Without it, the CLI runs as the connecting user.
    type: str
  executable:
    description: The CLI to run, by name on C(PATH) or by path. Default is the O(engine) name.
    type: str
notes:
  - Every command runs as an argument list with C(LC_ALL=C).
  - OpenClaw refuses bind sources such as C(/etc), C(/run) or the engine socket; this module does
    not repeat those checks, it replays what a valid configuration creates.
seealso:
  - module: b4arena.rootless.sandbox_bench
"""

EXAMPLES = r"""
- name: OpenClaw's sandbox lifecycle in the openclaw user's rootless Podman
  b4arena.rootless.sandbox_check:
    run_as: openclaw
    sandbox:
      network: none
      seccompProfile: /etc/containers/seccomp/openclaw-sandbox.json
  register: podman_check

- name: The same definition on Docker, as a report (a failed step does not stop the play)
  b4arena.rootless.sandbox_check:
    engine: docker
  register: docker_check
  failed_when: false
"""

RETURN = r"""
passed:
  description: Every step passed.
  returned: always
  type: bool
steps:
  description:
    - One entry per lifecycle step, in order (C(image inspect), C(inspect absent), C(create), C(start),
      C(inspect running), C(exec), C(inspect), C(rm)), each with C(step), C(ok), C(seconds), C(rc)
      and C(stderr). Empty in check mode.
  returned: always
  type: list
  elements: dict
failed_steps:
  description: Names of the steps that failed.
  returned: always
  type: list
  elements: str
create_argv:
  description: The full C(create) command, as OpenClaw would run it.
  returned: always
  type: list
  elements: str
output:
  description: What O(command) printed.
  returned: unless check mode or the run stopped before exec
  type: str
view:
  description:
    - The fields OpenClaw parses from C(inspect), keyed by their path (C(.Id), C(.State.Running),
      C(.State.Paused), C(.Config.Labels), C(.Config.Env), C(.Mounts) with C(Type), C(Source),
      C(Destination) and C(RW), C(.HostConfig.Tmpfs)).
  returned: when the sandbox was inspected
  type: dict
probe:
  description: Seen from inside the sandbox, C(uid), C(root) (V(read-only) or V(writable)), C(ifaces), C(capeff).
  returned: when exec ran
  type: dict
process:
  description:
    - The sandbox's main process as the host kernel sees it, C(host_uid), C(host_gid), C(cap_effective),
      C(cap_bounding), C(no_new_privs), C(seccomp) (V(disabled), V(strict) or V(filter)).
    - Null when the engine's PIDs are not this host's (a remote engine).
  returned: when the sandbox was inspected
  type: dict
ignored_keys:
  description: Keys of O(sandbox) accepted but not part of the lifecycle.
  returned: always
  type: list
  elements: str
commands:
  description: Every command run, as argv lists.
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.b4arena.rootless.plugins.module_utils._podman import (
    PodmanError,
    PodmanRunner,
    rootless_context,
)
from ansible_collections.b4arena.rootless.plugins.module_utils._sandbox import (
    CliEngine,
    SpecError,
    create_args,
    keep_id_mode,
    replay,
    sandbox_spec,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            engine=dict(type="str", choices=["podman", "docker"], default="podman"),
            sandbox=dict(type="dict", default={}),
            image=dict(type="str"),
            name=dict(type="str", default="openclaw-sbx-b4arena-check"),
            command=dict(type="str", default="id -u"),
            labels=dict(
                type="dict", default={"openclaw.sessionKey": "b4arena-check", "openclaw.configHash": "b4arena-check"}
            ),
            run_as=dict(type="str"),
            executable=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    engine_kind = p["engine"]
    try:
        spec, ignored = sandbox_spec(p["sandbox"], p["image"])
        context = rootless_context(p["run_as"])
        rootless = engine_kind == "podman" and context.uid != 0
        if rootless:
            keep_id_mode(spec["user"])  # refuses a user keep-id cannot map, before anything runs
    except SpecError as e:
        module.fail_json(msg=str(e))
    except PodmanError as e:
        module.fail_json(**e.result())
    runner = PodmanRunner(module, context, p["executable"] or engine_kind)
    engine = CliEngine(runner, engine_kind, rootless=rootless)
    result = {
        "changed": False,
        "ignored_keys": ignored,
        "create_argv": [
            runner.executable,
            *create_args(
                engine_kind,
                p["name"],
                spec,
                labels=p["labels"],
                env_file="ENV_FILE" if spec["env"] else None,
                rootless=rootless,
            ),
        ],
    }
    if module.check_mode:
        rc, _out, err = engine.run(["image", "inspect", spec["image"]])
        result.update(
            passed=rc == 0, steps=[], failed_steps=[] if rc == 0 else ["image inspect"], commands=runner.commands
        )
        if rc != 0:
            module.fail_json(msg="image %s is not in this engine: %s" % (spec["image"], err.strip()), **result)
        module.exit_json(msg="check mode: only image inspect ran", **result)

    outcome = replay(engine, p["name"], spec, command=p["command"], labels=p["labels"])
    outcome.pop("inspect", None)  # large, and view holds what OpenClaw reads of it
    result.update(outcome, commands=runner.commands)
    if not outcome["passed"]:
        first = next(s for s in outcome["steps"] if not s["ok"])
        module.fail_json(
            msg="sandbox lifecycle failed at %s: %s" % (first["step"], first["stderr"] or "rc %s" % first["rc"]),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
