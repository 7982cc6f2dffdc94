"""The openclaw_inspect_diff filter: its front door (the comparison itself is tested in test_sandbox.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.b4arena.rootless.plugins.filter.openclaw_inspect_diff import FilterModule

DIFF = FilterModule().filters()["openclaw_inspect_diff"]
VIEW = {".Id": "a" * 64, ".State.Running": True, ".State.Paused": False, ".Config.Labels": {"openclaw.sandbox": "1"},
        ".Config.Env": ["A=1"], ".Mounts": [], ".HostConfig.Tmpfs": {"/tmp": ""}}  # fmt: skip


def test_same_view_no_difference():
    assert DIFF(VIEW, dict(VIEW), sandbox={"tmpfs": ["/tmp"], "env": {"A": "1"}}) == []


def test_not_a_view_names_the_side():
    with pytest.raises(AnsibleFilterError, match="podman is not a sandbox_check view: None"):
        DIFF(VIEW, None)


def test_bad_settings_name_the_key():
    with pytest.raises(AnsibleFilterError, match=r"sandbox\.network: 'host' is refused"):
        DIFF(VIEW, VIEW, sandbox={"network": "host"})
