"""b4arena.rootless.sandbox_bench: a small real measurement on dockerd, rootless Podman's CLI and its REST API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.b4arena.rootless.tests.integration.harness import BIN, PlaybookRun, run

REPO = Path(__file__).resolve().parents[2]

IMAGE = "b4arena-test/openclaw-sandbox:latest"

BENCH = """
- name: bench
  b4arena.rootless.sandbox_bench:
    variants: "{{ variants }}"
    sizes: "{{ sizes | default([1, 3]) }}"
    repeat: 1
    image: "{{ image | default('b4arena-test/openclaw-sandbox:latest') }}"
  register: bench
  ignore_errors: "{{ soft | default(false) }}"
"""


def test_measures_every_variant_and_leaves_nothing(playbook, rootless_user):
    variants = [
        {"name": "docker", "engine": "docker"},
        {"name": "podman-cli", "engine": "podman", "run_as": rootless_user.name},
        {"name": "podman-api", "engine": "podman_api", "run_as": rootless_user.name},
    ]
    done = playbook(BENCH, {"variants": variants})
    result = done.task_results("bench")
    assert done.rc == 0, result.get("msg")
    assert result["changed"] is False and result["failures"] == 0
    assert set(result["figures"]) == {"docker", "podman-cli", "podman-api"}
    for name, sizes in result["figures"].items():
        assert set(sizes) == {"1", "3"}
        assert sizes["1"]["runs"] == 1 and sizes["3"]["runs"] == 3
        for row in sizes.values():
            assert 0 < row["p50"] <= row["p95"] <= row["max"]
            assert row["ratio_p50"] > 0
        assert result["variants"][name]["version"]
    assert result["figures"]["docker"]["1"]["ratio_p50"] == 1.0
    assert result["variants"]["podman-api"]["api_version"]
    names = run(["docker", "ps", "-a", "--format", "{{.Names}}"]).stdout.split()
    assert not [n for n in names if n.startswith("b4arena-bench-")]
    left = rootless_user.podman("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert not [n for n in left if n.startswith("b4arena-bench-")]
    # the API service it started is gone with its socket
    assert not [p for p in (run(["pgrep", "-u", rootless_user.name, "-a", "podman"], check=False).stdout.splitlines())
                if "system service" in p]  # fmt: skip


def test_a_failed_start_is_counted_and_fails(playbook, rootless_user):
    variants = [{"name": "podman-cli", "engine": "podman", "run_as": rootless_user.name}]
    done = playbook(BENCH, {"variants": variants, "image": "b4t-no-such:1", "soft": True})
    result = done.task_results("bench")
    assert result["failed"] and "warm-up sandbox failed" in result["msg"]


def test_check_mode_measures_nothing(playbook, rootless_user):
    variants = [{"name": "podman-cli", "engine": "podman", "run_as": rootless_user.name}]
    done = playbook(BENCH, {"variants": variants}, check=True)
    assert done.rc == 0
    assert done.task_results("bench")["figures"] == {}


@pytest.mark.parametrize(
    "variants, message",
    [
        ([{"name": "a", "engine": "docker"}, {"name": "a", "engine": "docker"}], "variants: names must be unique"),
        ([{"name": "d", "engine": "docker", "run_as": "nobody"}], "variants[d].run_as: 'nobody' is for the podman"),
        ([{"name": "p", "engine": "podman"}], "variants[p].run_as: required for engine podman"),
    ],
)
def test_bad_variants_name_the_field(playbook, variants, message):
    done = playbook(BENCH, {"variants": variants, "soft": True})
    assert message in done.task_results("bench")["msg"]


def test_bad_sizes_name_the_field(playbook):
    done = playbook(BENCH, {"variants": [{"name": "d", "engine": "docker"}], "sizes": [0], "soft": True})
    assert "sizes and repeat: must be at least 1" in done.task_results("bench")["msg"]


def test_bench_playbook_prints_and_writes_the_figures(tmp_path, rootless_user):
    argv = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(REPO / "playbooks" / "bench.yml")]
    argv += ["-e", json.dumps({"ansible_python_interpreter": sys.executable, "sandbox_check_user": rootless_user.name,
                               "sandbox_check_sandbox": {"image": IMAGE}, "sandbox_check_report_dir": str(tmp_path),
                               "sandbox_check_bench_sizes": [1, 2], "sandbox_check_bench_repeat": 1})]  # fmt: skip
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
    done = PlaybookRun(subprocess.run(argv, capture_output=True, text=True, env=env, check=False))
    assert done.rc == 0, done.stderr
    assert done.stats["changed"] == 0
    found = json.loads((tmp_path / "sandbox-bench-localhost.json").read_text())
    assert set(found["results"]) == {"docker", "podman-cli", "podman-api"}
    name = (
        "b4arena.rootless.sandbox_check : "
        + "Print the table (seconds from create to first exec output; ratio to the baseline)"
    )
    table = done.task_results(name)["msg"]
    assert table[0].split() == ["variant", "n", "p50", "s", "p95", "s", "x", "p50", "x", "p95", "fail"]
    assert len(table) == 1 + 3 * 2
