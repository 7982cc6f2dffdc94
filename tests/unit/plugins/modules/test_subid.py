"""The subid module's front door: arguments, check/diff mode, files, refusals."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.b4arena.rootless.plugins.modules import subid
from ansible_collections.b4arena.rootless.tests.unit.conftest import warning_texts

FOREIGN = "# hand-kept\nroot:100000:65536\n\n"


@pytest.fixture
def etc(tmp_path):
    (tmp_path / "subuid").write_text(FOREIGN)
    (tmp_path / "subgid").write_text(FOREIGN)
    (tmp_path / "nsswitch.conf").write_text("passwd: files\nsubid: files\n")
    return tmp_path


def args(etc, **kw):
    base = dict(
        subuid_file=str(etc / "subuid"),
        subgid_file=str(etc / "subgid"),
        login_defs=str(etc / "login.defs"),
        nsswitch_conf=str(etc / "nsswitch.conf"),
    )
    base.update(kw)
    return base


def snapshot(etc):
    return {p.name: p.read_bytes() for p in sorted(etc.iterdir())}


def test_allocates_then_is_idempotent(etc, run_module):
    first = run_module(subid.main, args(etc, name="agent", uid=5001))
    assert first["changed"] is True
    assert first["subuid"] == first["subgid"] == {"start": 165536, "count": 65536}
    assert (etc / "subuid").read_text() == FOREIGN + "agent:165536:65536\n"
    again = run_module(subid.main, args(etc, name="agent", uid=5001))
    assert again["changed"] is False
    assert again["users"][0]["changed"] is False


def test_check_mode_writes_nothing_and_diffs(etc, run_module):
    before = snapshot(etc)
    result = run_module(subid.main, args(etc, name="agent", uid=5001), check=True, diff=True)
    assert result["changed"] is True
    assert snapshot(etc) == before
    assert [d["before_header"] for d in result["diff"]] == [
        str(etc / "subuid") + " (before)",
        str(etc / "subgid") + " (before)",
    ]
    assert result["diff"][0]["after"].endswith("agent:165536:65536\n")


def test_bulk_users_existing_on_this_host(etc, run_module):
    result = run_module(subid.main, args(etc, users=["daemon", "bin"]))
    assert [u["name"] for u in result["users"]] == ["daemon", "bin"]
    assert result["users"][1]["subuid"]["start"] == result["users"][0]["subuid"]["start"] + 65536


def test_unknown_users_are_all_named_and_nothing_changes(etc, run_module):
    before = snapshot(etc)
    result = run_module(subid.main, args(etc, users=["daemon", "no-such-user-1", "no-such-user-2"]))
    assert result["failed"] is True
    assert "unknown users: no-such-user-1, no-such-user-2" in result["msg"]
    assert snapshot(etc) == before


def test_absent_of_an_unknown_user_removes_its_lines(etc, run_module):
    (etc / "subuid").write_text(FOREIGN + "gone:200000:65536\n")
    result = run_module(subid.main, args(etc, name="gone", state="absent"))
    assert result["changed"] is True
    assert (etc / "subuid").read_text() == FOREIGN


def test_uid_that_contradicts_the_user_is_refused(etc, run_module):
    result = run_module(subid.main, args(etc, name="root", uid=4242))
    assert result["failed"] is True
    assert result["msg"] == "uid: 4242 given for user 'root', but 'root' has uid 0"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (dict(name="bad:name"), "name: 'bad:name' is not a valid user name"),
        (dict(name="bad name"), "name: 'bad name' is not a valid user name"),
        (dict(users=[]), "users: the list is empty"),
        (dict(users=["ok", ""]), "users: '' is not a valid user name"),
        (dict(name="a", uid=1, count=0), "count: 0 must be at least 1"),
        (dict(name="a", uid=1, start=-5), "start: -5 must not be negative"),
        (dict(name="a", uid=1, start=2**32), "start: 4294967296 is past the last valid id 4294967294"),
        (dict(name="a", uid=-1), "uid: -1 is not a valid UID"),
        (dict(name="a", uid=1, lock_timeout=-1), "lock_timeout: -1.0 must not be negative"),
        (dict(name="a", state="absent", count=5), "start and count do not apply to state=absent"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(etc, run_module, extra, message):
    before = snapshot(etc)
    result = run_module(subid.main, args(etc, **extra))
    assert result["failed"] is True
    assert message in result["msg"]
    assert snapshot(etc) == before


def test_same_path_for_both_files_is_refused(etc, run_module):
    result = run_module(subid.main, args(etc, name="a", uid=1, subgid_file=str(etc / "subuid")))
    assert "subuid_file and subgid_file are both" in result["msg"]


def test_nsswitch_non_files_source_changes_nothing(etc, run_module):
    (etc / "nsswitch.conf").write_text("subid: sss\n")
    before = snapshot(etc)
    result = run_module(subid.main, args(etc, name="agent", uid=5001))
    assert result["failed"] is True
    assert "sends subid to sss, not files" in result["msg"]
    assert snapshot(etc) == before


def test_malformed_file_is_refused_with_file_and_line(etc, run_module):
    (etc / "subgid").write_text(FOREIGN + "x:y:z\n")
    before = snapshot(etc)
    result = run_module(subid.main, args(etc, name="agent", uid=5001))
    assert result["msg"] == "%s line 4: malformed entry 'x:y:z': start 'y' is not a number" % (etc / "subgid")
    assert snapshot(etc) == before


def test_backup_only_on_change_and_mode_owner_kept(etc, run_module):
    os.chmod(etc / "subuid", 0o600)
    os.chown(etc / "subuid", 1234, 4321)
    result = run_module(subid.main, args(etc, name="agent", uid=5001, backup=True, kind="subuid"))
    assert len(result["backup_files"]) == 1
    assert Path(result["backup_files"][0]).read_text() == FOREIGN
    info = (etc / "subuid").stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o600, 1234, 4321)
    again = run_module(subid.main, args(etc, name="agent", uid=5001, backup=True, kind="subuid"))
    assert "backup_files" not in again
    assert len(list(etc.glob("subuid.*"))) == 1


def test_new_files_are_created_world_readable(tmp_path, run_module):
    result = run_module(subid.main, args(tmp_path, name="agent", uid=5001))
    assert result["changed"] is True
    for name in ("subuid", "subgid"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["subgid", "subuid"]


def test_a_live_lock_holder_makes_the_run_fail_cleanly(etc, run_module):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (etc / "subgid.lock").write_text(str(holder.pid))
        before = snapshot(etc)
        result = run_module(subid.main, args(etc, name="agent", uid=5001, lock_timeout=0.1))
        assert result["failed"] is True
        assert "subgid.lock is held by pid %d" % holder.pid in result["msg"]
        assert snapshot(etc) == before  # and our subuid lock was released
    finally:
        holder.kill()
        holder.wait()


def test_warnings_reach_the_user(etc, run_module):
    (etc / "subuid").write_text(FOREIGN + "agent:300000:10\n")
    (etc / "subgid").write_text(FOREIGN + "agent:300000:10\n")
    result = run_module(subid.main, args(etc, name="agent", uid=5001, count=65536))
    assert result["changed"] is False
    assert any("not the requested count 65536" in w for w in warning_texts(result))
