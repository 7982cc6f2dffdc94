"""Helpers to run a module's main() in-process with real arguments."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    pass


@pytest.fixture
def run_module(capsys, monkeypatch):
    """Run ``main`` with ``args``; return its JSON result (failed results included).

    The module runs as on a target: importing any controller code (a filter plugin's test does)
    flags the process as the controller, and module warnings would then go to the controller's
    display instead of into the result."""
    monkeypatch.setattr("ansible.module_utils._internal.is_controller", False)

    def run(main, args, check=False, diff=False):
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        with patch_module_args(args), pytest.raises(SystemExit):
            main()
        return json.loads(capsys.readouterr().out)

    return run


def warning_texts(result):
    """Warning messages of a result; ansible-core 2.19 wraps each in an event dict."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
