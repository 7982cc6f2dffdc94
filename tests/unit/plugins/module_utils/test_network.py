"""Network spec normalisation and comparison, from YAML cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.b4arena.rootless.plugins.module_utils._network import (
    SpecError,
    actual,
    create_args,
    desired,
    differences,
)

DATA = yaml.safe_load((Path(__file__).parent / "network_cases.yml").read_text())


def params_of(case):
    return dict(DATA["defaults"], **case["params"])


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["id"] for c in DATA["cases"]])
def test_case(case):
    params = params_of(case)
    wanted = desired(params)
    if "desired" in case:
        assert wanted == case["desired"]
    if "create" in case:
        assert create_args(params) == case["create"]
    if "inspect" in case:
        gaps = differences(wanted, actual(case["inspect"], wanted))
        assert [list(g) for g in gaps] == case["differences"]


@pytest.mark.parametrize("case", DATA["errors"], ids=[c["error"] for c in DATA["errors"]])
def test_bad_input_names_the_option(case):
    with pytest.raises(SpecError, match="^" + re.escape(case["error"])):
        desired(params_of(case))
