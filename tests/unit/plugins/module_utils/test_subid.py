"""Unit tests of the subordinate-id engine: YAML cases, the lock, and properties."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.b4arena.rootless.plugins.module_utils._subid import (
    ID_LIMIT,
    IntervalSet,
    Planner,
    Request,
    ShadowLock,
    SubidError,
    SubidFile,
    parse_login_defs,
    subid_source,
)

CASES = yaml.safe_load((Path(__file__).parent / "subid_cases.yml").read_text())


def run_case(case):
    files = {k: SubidFile.parse(k, case.get(k, "")) for k in ("subuid", "subgid")}
    defs = parse_login_defs(case.get("login_defs", ""), "login.defs")
    planner = Planner(
        files,
        case.get("kinds", ["subuid", "subgid"]),
        defs,
        case.get("strategy", "first_fit"),
        case.get("force", False),
    )
    results = []
    for r in case["requests"]:
        request = Request(r["name"], r.get("uid"), r.get("start"), r.get("count"))
        if case.get("state", "present") == "present":
            changed, ranges = planner.ensure_present(request)
        else:
            changed, ranges = planner.ensure_absent(request)
        results.append(dict(name=request.name, changed=changed, **ranges))
    planner.verify()
    return files, results, planner.warnings


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_planner_case(case):
    if "error" in case:
        with pytest.raises(SubidError, match=re.escape(case["error"])):
            run_case(case)
        return
    files, results, warnings = run_case(case)
    expect = case["expect"]
    for kind in ("subuid", "subgid"):
        want = expect.get(kind, case.get(kind, ""))
        assert files[kind].render() == want, kind
    for got, want in zip(results, expect.get("results", []), strict=False):
        for key, value in want.items():
            assert got[key] == value, (got["name"], key)
    if "warnings" in expect:
        if not expect["warnings"]:
            assert warnings == []
        for fragment in expect["warnings"]:
            assert any(fragment in w for w in warnings), (fragment, warnings)


def test_cases_cover_every_refusal_the_issue_names():
    errors = " ".join(c.get("error", "") for c in CASES)
    for needle in ("malformed", "overlaps another owner", "past the last valid id", "no free range"):
        assert needle in errors


# -- smaller pieces -------------------------------------------------------------


def test_interval_set_merges_and_fits():
    s = IntervalSet([(10, 20), (20, 30), (40, 50), (5, 12)])
    assert s.first_fit(10, 0, 100) == 30
    assert s.first_fit(5, 0, 100) == 0
    assert s.first_fit(11, 0, 100) == 50
    assert s.first_fit(60, 0, 100) is None
    s.add(30, 40)
    assert s.first_fit(1, 5, 100) == 50


def test_nsswitch_subid_sources():
    assert subid_source("passwd: files\nsubid: sss # ranges from sssd\n") == ["sss"]
    assert subid_source("subid:  files\n") == ["files"]
    assert subid_source("passwd: files systemd\n") == []
    assert subid_source("subid: files [NOTFOUND=return] sss\n") == ["files", "sss"]


def test_render_round_trips_arbitrary_foreign_content():
    text = "# a\n\n  \t\nroot:100000:65536\n# trailing comment without newline"
    assert SubidFile.parse("f", text).render() == text


def test_load_missing_file_is_empty(tmp_path):
    f = SubidFile.load(str(tmp_path / "nope"))
    assert not f.exists and f.render() == ""


def test_load_keeps_non_utf8_bytes(tmp_path):
    path = tmp_path / "subuid"
    path.write_bytes(b"# caf\xe9\nroot:100000:65536\n")
    f = SubidFile.load(str(path))
    assert f.render().encode("utf-8", "surrogateescape") == path.read_bytes()


# -- the shadow lock ------------------------------------------------------------


def test_lock_is_exclusive_and_released(tmp_path):
    target = str(tmp_path / "subuid")
    with ShadowLock(target, timeout=0):
        assert Path(target + ".lock").read_text() == str(os.getpid())
        with pytest.raises(
            SubidError, match=r"could not lock .* within 0.05 s: .*subuid.lock is held by pid %d$" % os.getpid()
        ):
            ShadowLock(target, timeout=0.05).acquire()
    assert not Path(target + ".lock").exists()
    assert list(tmp_path.iterdir()) == []


def test_stale_lock_of_a_dead_process_is_broken(tmp_path):
    target = str(tmp_path / "subuid")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    Path(target + ".lock").write_text(dead.stdout.strip())
    with ShadowLock(target, timeout=0):
        assert Path(target + ".lock").read_text() == str(os.getpid())


def test_lock_with_garbage_content_is_not_treated_as_stale(tmp_path):
    target = str(tmp_path / "subuid")
    Path(target + ".lock").write_text("garbage")
    with pytest.raises(SubidError, match="is held by 'garbage'"):
        ShadowLock(target, timeout=0.02).acquire()


# -- properties -----------------------------------------------------------------

OWNERS = ["u%d" % i for i in range(12)]


@st.composite
def foreign_files(draw):
    """A subuid/subgid pair with comments and non-overlapping foreign ranges."""
    lines = {"subuid": [], "subgid": []}
    cursor = 100000
    for i in range(draw(st.integers(0, 8))):
        cursor += draw(st.integers(0, 70000))
        count = draw(st.integers(1, 70000))
        for kind in draw(st.sampled_from([("subuid",), ("subgid",), ("subuid", "subgid")])):
            lines[kind].append("foreign%d:%d:%d\n" % (i, cursor, count))
        cursor += count
        if draw(st.booleans()):
            lines[draw(st.sampled_from(["subuid", "subgid"]))].append(draw(st.sampled_from(["# note\n", "\n"])))
    return {k: "".join(v) for k, v in lines.items()}


operations = st.lists(
    st.tuples(
        st.sampled_from(OWNERS),
        st.sampled_from(["present", "present", "present", "absent"]),
        st.one_of(st.none(), st.integers(1, 200000)),
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


def all_ranges(files):
    return [r for f in files.values() for r in f.ranges()]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=foreign_files(), ops=operations, kinds=st.sampled_from([["subuid", "subgid"], ["subuid"], ["subgid"]]))
def test_no_sequence_of_operations_overlaps_or_loses_a_foreign_line(start, ops, kinds):
    defs = parse_login_defs("", "login.defs")
    texts = dict(start)
    for owner, state, count, force in ops:
        files = {k: SubidFile.parse(k, texts[k]) for k in texts}
        planner = Planner(files, kinds, defs, "first_fit", force)
        request = Request(owner, 5000 + OWNERS.index(owner), None, count)
        if state == "present":
            planner.ensure_present(request)
        else:
            planner.ensure_absent(request)
        planner.verify()
        texts = {k: files[k].render() for k in files}

        # Every line that is not one of our users' survives, in order.
        for kind in texts:
            kept = [line for line in texts[kind].splitlines(True) if not line.startswith("u")]
            assert kept == start[kind].splitlines(True)
        # No range of one of our users meets another owner's range in either file.
        ranges = all_ranges(files)
        for a in ranges:
            if not a.owner.startswith("u"):
                continue
            for b in ranges:
                if b.owner != a.owner:
                    assert not (a.start < b.end and b.start < a.end), (a.describe(), b.describe())
            assert a.end <= ID_LIMIT
        # "present" leaves the user a range in every managed file.
        if state == "present":
            for kind in kinds:
                assert files[kind].owned_by((owner,)), (owner, kind)
