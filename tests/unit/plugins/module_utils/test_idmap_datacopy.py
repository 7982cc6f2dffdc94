"""Id maps of rootless containers, and the copy planner, without any engine."""

from __future__ import annotations

import os

import pytest

from ansible_collections.b4arena.rootless.plugins.module_utils._datacopy import (
    CopyError,
    apply,
    manifest_digest,
    plan,
    scan,
)
from ansible_collections.b4arena.rootless.plugins.module_utils._idmap import (
    IdMap,
    IdMapError,
    parse_userns,
    rootless_map,
)

# /proc/PID/uid_map of a real container of uid 1001 with range 100000:65536, read from the host.
SEEN_KEEP_ID_1000 = """\
         0     100000       1000
      1000       1001          1
      1001     101000      64536
"""


def test_keep_id_map_matches_what_podman_made():
    assert (
        rootless_map(1001, [(100000, 65536)], "keep-id:uid=1000,gid=1000").extents
        == IdMap.parse(SEEN_KEEP_ID_1000).extents
    )


def test_default_map_is_user_then_range():
    m = rootless_map(1001, [(100000, 65536)])
    assert (m.to_host(0), m.to_host(1), m.to_host(65536), m.to_host(65537)) == (1001, 100000, 165535, None)
    assert m.to_container(1001) == 0 and m.to_container(5) is None


def test_two_ranges_are_used_one_after_the_other():
    m = rootless_map(1001, [(100000, 10), (200000, 10)])
    assert (m.to_host(1), m.to_host(10), m.to_host(11), m.to_host(21)) == (100000, 100009, 200000, None)
    kept = rootless_map(5, [(100000, 10), (200000, 10)], "keep-id")
    assert (kept.to_host(5), kept.to_host(4), kept.to_host(10), kept.to_host(11)) == (5, 100004, 100009, 200000)


def test_keep_id_uid_beyond_the_range_is_refused():
    with pytest.raises(IdMapError, match="beyond the 10 subordinate ids"):
        rootless_map(1001, [(100000, 10)], "keep-id:uid=1000,gid=1000")


@pytest.mark.parametrize("text", ["auto", "keep-id:uid=x", "keep-id:size=5", "nomap"])
def test_bad_userns_is_named(text):
    with pytest.raises(IdMapError, match=repr(text)):
        parse_userns(text)


def make_tree(root):
    (root / "d").mkdir(parents=True)
    (root / "d" / "f").write_text("one")
    (root / "g").write_text("two")
    os.symlink("d/f", root / "l")


def test_copy_plans_then_applies_then_has_nothing_left(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    make_tree(src)
    same = IdMap.identity()
    source = scan(str(src), same, same)[0]
    actions = plan(source, {}, same, same)
    assert [(a.op, a.path) for a in actions] == [
        ("create", "."),
        ("create", "d"),
        ("create", "d/f"),
        ("create", "g"),
        ("create", "l"),
    ]
    apply(actions, source, str(src), str(dest), uid_map=same, gid_map=same)
    copied = scan(str(dest), same, same)[0]
    assert plan(source, copied, same, same, checksum=True, src_root=str(src), dest_root=str(dest)) == []
    assert manifest_digest(source, str(src)) == manifest_digest(copied, str(dest))


def test_content_mode_kind_and_delete_are_planned(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    make_tree(src)
    make_tree(dest)
    same = IdMap.identity()
    (dest / "g").write_text("changed")
    os.chmod(dest / "d" / "f", 0o600)
    os.unlink(dest / "l")
    (dest / "l").mkdir()
    (dest / "extra").write_text("x")
    os.utime(dest / "d" / "f", ns=(os.stat(src / "d" / "f").st_mtime_ns,) * 2)
    actions = {
        a.path: (a.op, a.what)
        for a in plan(scan(str(src), same, same)[0], scan(str(dest), same, same)[0], same, same, delete=True)
    }
    assert actions["g"][0] == "update" and "content" in actions["g"][1]
    assert actions["d/f"] == ("meta", ["mode"])
    assert actions["l"] == ("update", ["kind"])
    assert actions["extra"] == ("remove", ["kind"])


def test_owners_outside_the_destination_map_are_refused(tmp_path):
    make_tree(tmp_path / "src")
    source = scan(str(tmp_path / "src"), IdMap.identity(), IdMap.identity())[0]
    tiny = IdMap([(5000, 5000, 1)])
    with pytest.raises(CopyError, match="cannot map"):
        plan(source, {}, tiny, tiny)


def test_owners_outside_the_source_map_are_refused(tmp_path):
    make_tree(tmp_path / "src")
    tiny = IdMap([(0, 5000, 1)])
    with pytest.raises(CopyError, match="outside the source namespace"):
        plan(scan(str(tmp_path / "src"), tiny, tiny)[0], {}, tiny, tiny)
