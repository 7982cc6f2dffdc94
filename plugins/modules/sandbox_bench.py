#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sandbox_bench
short_description: Time OpenClaw sandbox starts on Docker and rootless Podman, alone and many at once
version_added: 0.2.0
description:
  - For every variant in O(variants), starts O(sizes) sandboxes at once (one thread each, released
    together), O(repeat) times, and times each from C(create) to the first output of an C(exec) in it,
    with OpenClaw's sandbox flags (see M(b4arena.rootless.sandbox_check)). Every sandbox is removed
    after each round.
  - Reports per variant and size the median (p50) and 95th percentile (p95) in seconds, failures with
    their errors, and the ratio of each p50 and p95 to the variant named in O(baseline).
  - Figures only, nothing is asserted about them. A failed start (for example C(database is locked)
    or lock exhaustion under load) is counted and fails the module unless O(allow_failures=true).
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - b4arena.rootless.attributes.read_only
attributes:
  check_mode:
    details: Nothing runs in check mode.
options:
  variants:
    description: What to measure, each a mapping.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Label of the variant in the results.
        type: str
        required: true
      engine:
        description:
          - V(docker) runs the C(docker) CLI as the connecting user (rootful dockerd).
          - V(podman) runs the C(podman) CLI as O(variants[].run_as).
          - V(podman_api) drives the Podman of O(variants[].run_as) through its REST API with the
            C(podman) Python package, on a C(podman system service) the module starts as that user
            for the run and stops afterwards.
        type: str
        choices: [docker, podman, podman_api]
        required: true
      run_as:
        description: The rootless user for V(podman) and V(podman_api).
        type: str
      executable:
        description: The CLI to run. Default is C(docker) or C(podman).
        type: str
  sizes:
    description: How many sandboxes start at once, one round per size.
    type: list
    elements: int
    default: [1, 5, 10, 20]
  repeat:
    description: Rounds per size; samples are pooled across rounds.
    type: int
    default: 3
  image:
    description: The sandbox image, present in every variant's storage.
    type: str
    default: openclaw-sandbox:bookworm-slim
  sandbox:
    description: OpenClaw's C(sandbox.docker) settings, as for M(b4arena.rootless.sandbox_check).
    type: dict
    default: {}
  baseline:
    description: Name of the variant the ratios divide by.
    type: str
    default: docker
  allow_failures:
    description: Report failed starts without failing the module.
    type: bool
    default: false
requirements:
  - The C(podman) Python package on the target for V(podman_api).
seealso:
  - module: b4arena.rootless.sandbox_check
"""

EXAMPLES = r"""
- name: Sandbox start latency, Docker against rootless Podman
  b4arena.rootless.sandbox_bench:
    variants:
      - {name: docker, engine: docker}
      - {name: podman, engine: podman, run_as: openclaw}
      - {name: podman-api, engine: podman_api, run_as: openclaw}
    sizes: [1, 5, 10, 20]
  register: bench
"""

RETURN = r"""
figures:
  description:
    - Per variant name, per size (as a string), C(runs), C(failures), C(errors) (the first five),
      C(p50), C(p95), C(min), C(max) in seconds, C(ratio_p50) and C(ratio_p95) to O(baseline).
    - C(stalled=true) when a REST request timed out at that size (the service stopped answering);
      larger sizes of that variant are then not measured, and its sandboxes are removed through the CLI.
    - Not C(results), which Ansible keeps for loops.
  returned: always
  type: dict
failures:
  description: Failed starts over all variants and sizes.
  returned: always
  type: int
variants:
  description: Per variant, its engine, user and the CLI or API version measured; for the API also
    C(cleanup), the errors of removing leftover sandboxes (empty when none).
  returned: always
  type: dict
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.b4arena.rootless.plugins.module_utils._podman import (
    PodmanError,
    PodmanRunner,
    rootless_context,
)
from ansible_collections.b4arena.rootless.plugins.module_utils._sandbox import (
    ApiEngine,
    ApiService,
    CliEngine,
    SpecError,
    burst,
    sandbox_spec,
    summarize,
    time_to_first_output,
)

# Seconds one REST request may take before the service counts as stuck.
API_TIMEOUT = 60

try:
    from podman import PodmanClient
except ImportError:
    PodmanClient = None
    PODMAN_IMPORT_ERROR = traceback.format_exc()
else:
    PODMAN_IMPORT_ERROR = None


def measure(engine, spec, sizes, repeat, tag):
    error = time_to_first_output(engine, "b4arena-bench-%s-warm" % tag, spec)[1]
    engine.remove("b4arena-bench-%s-warm" % tag)
    if error:
        raise PodmanError("warm-up sandbox failed: %s" % error)
    out = {}
    for size in sizes:
        samples, errors = [], []
        for round_no in range(repeat):
            got, failed = burst(engine, "b4arena-bench-%s-%d-%d" % (tag, size, round_no), spec, size)
            samples += got
            errors += failed
        out[str(size)] = summarize(samples, errors)
        if engine.stalled.is_set():
            out[str(size)]["stalled"] = True  # larger sizes would only wait on the stuck service
            break
    return out


def client_factory(url, opened):
    """A factory of API clients for ApiEngine (one per thread); ``opened`` collects them to close."""

    def new_client():
        opened.append(PodmanClient(base_url=url, timeout=API_TIMEOUT))
        return opened[-1]

    return new_client


def remove_leftovers(runner):
    """Remove the benchmark's sandboxes through the CLI after the API service stopped; bounded,
    since a service killed while holding Podman's locks can leave them held."""
    argv = [
        "timeout",
        "120",
        runner.executable,
        "ps",
        "--all",
        "--format",
        "{{.Names}}",
        "--filter",
        "name=^b4arena-bench-",
    ]
    rc, out, err = runner.run(argv)
    names = out.split() if rc == 0 else []
    if names:
        rc, out, err = runner.run(["timeout", "120", runner.executable, "rm", "--force", *names])
    return [] if rc == 0 else ["leftover sandboxes not removed: %s" % (err or out).strip()]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            variants=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    engine=dict(type="str", choices=["docker", "podman", "podman_api"], required=True),
                    run_as=dict(type="str"),
                    executable=dict(type="str"),
                ),
            ),
            sizes=dict(type="list", elements="int", default=[1, 5, 10, 20]),
            repeat=dict(type="int", default=3),
            image=dict(type="str", default="openclaw-sandbox:bookworm-slim"),
            sandbox=dict(type="dict", default={}),
            baseline=dict(type="str", default="docker"),
            allow_failures=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    names = [v["name"] for v in p["variants"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="variants: names must be unique, got %s" % names)
    bad = [s for s in p["sizes"] if s < 1]
    if bad or p["repeat"] < 1:
        module.fail_json(msg="sizes and repeat: must be at least 1, got sizes=%s repeat=%s" % (p["sizes"], p["repeat"]))
    for v in p["variants"]:
        if v["engine"] == "docker" and v["run_as"]:
            module.fail_json(msg="variants[%s].run_as: %r is for the podman engines" % (v["name"], v["run_as"]))
        if v["engine"] != "docker" and not v["run_as"]:
            module.fail_json(msg="variants[%s].run_as: required for engine %s" % (v["name"], v["engine"]))
    if any(v["engine"] == "podman_api" for v in p["variants"]) and PodmanClient is None:
        module.fail_json(msg=missing_required_lib("podman"), exception=PODMAN_IMPORT_ERROR)
    try:
        spec = sandbox_spec(p["sandbox"], p["image"])[0]
    except SpecError as e:
        module.fail_json(msg=str(e))
    if module.check_mode:
        module.exit_json(changed=False, figures={}, failures=0, variants={}, msg="check mode: nothing measured")

    results, about = {}, {}
    try:
        for i, v in enumerate(p["variants"]):
            kind = "docker" if v["engine"] == "docker" else "podman"
            context = rootless_context(v["run_as"])
            runner = PodmanRunner(module, context, v["executable"] or kind)
            version = runner.json(["version", "--format", "json"])["Client"]["Version"]
            about[v["name"]] = {"engine": v["engine"], "user": context.user, "version": version}
            if v["engine"] == "podman_api":
                with ApiService(context, runner.executable) as url:
                    with PodmanClient(base_url=url, timeout=API_TIMEOUT) as client:
                        about[v["name"]]["api_version"] = client.version().get("Version")
                    clients = []
                    try:
                        results[v["name"]] = measure(
                            ApiEngine(client_factory(url, clients), rootless=context.uid != 0),
                            spec,
                            p["sizes"],
                            p["repeat"],
                            str(i),
                        )
                    finally:
                        for client in clients:
                            client.close()
                about[v["name"]]["cleanup"] = remove_leftovers(runner)
            else:
                engine = CliEngine(runner, kind, rootless=kind == "podman" and context.uid != 0)
                results[v["name"]] = measure(engine, spec, p["sizes"], p["repeat"], str(i))
    except (PodmanError, SpecError) as e:
        module.fail_json(msg="variant %s: %s" % (v["name"], e), figures=results)

    base = results.get(p["baseline"])
    for sizes in results.values():
        for size, row in sizes.items():
            ref = (base or {}).get(size, {})
            for q in ("p50", "p95"):
                if ref.get(q) and row.get(q) is not None:
                    row["ratio_" + q] = round(row[q] / ref[q], 2)
    failures = sum(row["failures"] for sizes in results.values() for row in sizes.values())
    result = dict(changed=False, figures=results, failures=failures, variants=about)
    if failures and not p["allow_failures"]:
        module.fail_json(msg="%d sandbox starts failed" % failures, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
