"""The one write helper: temp file beside the target, validate, atomic move."""

from __future__ import annotations

import os

import pytest

from ansible_collections.b4arena.rootless.plugins.module_utils._files import write_atomically


class FakeModule:
    """Only the two AnsibleModule methods the helper calls, doing the real file work."""

    def backup_local(self, path):
        raise AssertionError("no backup was asked for")

    def atomic_move(self, src, dest):
        os.rename(src, dest)


def test_failed_validation_leaves_target_and_no_temp(tmp_path):
    target = tmp_path / "subuid"
    target.write_text("old\n")

    def reject(tmp):
        assert open(tmp).read() == "new\n"
        raise ValueError("bad content")

    with pytest.raises(ValueError, match="bad content"):
        write_atomically(FakeModule(), str(target), "new\n", validate=reject)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["subuid"]
