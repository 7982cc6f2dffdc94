"""Preflight assessment against made-up host trees (YAML cases)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from ansible_collections.b4arena.rootless.plugins.module_utils._preflight import HostView, assess, kernel_version

DATA = yaml.safe_load((Path(__file__).parent / "preflight_cases.yml").read_text())


class FakeHost(HostView):
    def __init__(self, root, kernel):
        super().__init__(str(root))
        self.kernel = kernel

    def kernel_release(self):
        return self.kernel


def build_host(tmp_path, case):
    files = dict(DATA["base"]["files"], **case.get("files", {}))
    for path, spec in files.items():
        if spec is None:
            continue
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, dict) and "char" in spec:
            os.mknod(target, stat.S_IFCHR | 0o600, os.makedev(*spec["char"]))
            os.chmod(target, int(spec["mode"], 8))
        elif isinstance(spec, dict):
            target.write_text(spec.get("text", ""))
            os.chmod(target, int(spec["mode"], 8))
        else:
            target.write_text(spec)
    return FakeHost(tmp_path, case.get("kernel", DATA["base"]["kernel"]))


def lookup_for(users):
    def lookup(name):
        entry = users.get(name)
        return None if entry is None else SimpleNamespace(pw_uid=entry["uid"], pw_dir=entry["home"])

    return lookup


def dig(facts, dotted):
    value = facts
    for key in dotted.split("."):
        value = value[key]
    return value


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["id"] for c in DATA["cases"]])
def test_case(tmp_path, case):
    host = build_host(tmp_path, case)
    users = case.get("users", DATA["base"]["users"])
    facts = assess(
        host,
        list(users),
        allow_enable_userns=case.get("allow_enable_userns", False),
        expect_install=case.get("expect_install", False),
        podman_info=case.get("podman_info"),
        subuid_file=host.path("/etc/subuid"),
        subgid_file=host.path("/etc/subgid"),
        pwd_lookup=lookup_for(users),
    )
    if "blockers" in case:
        assert [b["id"] for b in facts["blockers"]] == case["blockers"]
    if "warnings" in case:
        assert [w["id"] for w in facts["warnings"]] == case["warnings"]
    for finding in facts["blockers"] + facts["warnings"]:
        assert finding["message"] and finding["fix"], finding
    for dotted, want in case.get("facts", {}).items():
        assert dig(facts, dotted) == want, dotted


@pytest.mark.parametrize(
    ("release", "version"),
    [("6.1.0-25-amd64", (6, 1, 0)), ("6.18.44-fc-v782", (6, 18, 44)), ("5.15", (5, 15, 0)), ("4.19.0+1", (4, 19, 0))],
)
def test_kernel_version(release, version):
    assert kernel_version(release) == version
