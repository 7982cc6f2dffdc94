"""Build-context hashing, ignore rules, image archives, range checks and policy, without an engine."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

import pytest

from ansible_collections.b4arena.rootless.plugins.module_utils._image import (
    ImageArchive,
    ImageError,
    context_files,
    context_hash,
    ignored,
    normalize_tag,
    policy_violations,
    range_problem,
)

# -- context hash ------------------------------------------------------------------


@pytest.fixture
def context(tmp_path):
    (tmp_path / "Containerfile").write_text("FROM scratch\nCOPY . /\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print('hi')\n")
    (tmp_path / "notes.log").write_text("noise\n")
    (tmp_path / ".dockerignore").write_text("# logs stay out\n*.log\n")
    return tmp_path


def digest(ctx, **kw):
    return context_hash(str(ctx), str(ctx / "Containerfile"), kw.get("args"), kw.get("target"))


def test_hash_is_stable_and_ignores_mtime(context):
    first = digest(context)
    os.utime(context / "app" / "main.py", (1, 1))
    assert digest(context) == first


@pytest.mark.parametrize(
    "change",
    [
        lambda c: (c / "app" / "main.py").write_text("print('bye')\n"),
        lambda c: (c / "app" / "main.py").chmod(0o755),
        lambda c: (c / "app" / "new.txt").write_text(""),
        lambda c: (c / "app" / "empty-dir").mkdir(),
        lambda c: os.symlink("main.py", c / "app" / "link"),
        lambda c: (c / "Containerfile").write_text("FROM scratch\n"),
        lambda c: (c / ".dockerignore").write_text(""),
    ],
    ids=["content", "mode", "new-file", "new-dir", "symlink", "containerfile", "ignore-file"],
)
def test_hash_changes_with_what_shapes_the_build(context, change):
    before = digest(context)
    change(context)
    assert digest(context) != before


def test_hash_covers_args_and_target(context):
    assert digest(context, args={"A": "1"}) != digest(context, args={"A": "2"})
    assert digest(context, target="one") != digest(context, target="two")


def test_ignored_files_do_not_change_the_hash(context):
    before = digest(context)
    (context / "notes.log").write_text("more noise\n")
    (context / "other.log").write_text("x\n")
    assert digest(context) == before


def test_containerignore_wins_over_dockerignore(context):
    (context / ".containerignore").write_text("app\n")
    assert "app/main.py" not in context_files(str(context))
    assert "notes.log" in context_files(str(context))


@pytest.mark.parametrize(
    ("rel", "patterns", "expected"),
    [
        ("a.log", ["*.log"], True),
        ("dir/a.log", ["*.log"], False),
        ("dir/a.log", ["**/*.log"], True),
        ("build/x/y", ["build"], True),
        ("build", ["/build"], True),
        ("keep.log", ["*.log", "!keep.log"], False),
        ("keep.log", ["!keep.log", "*.log"], True),
        ("src/main.py", ["src/*.py"], True),
    ],
)
def test_ignore_rules(rel, patterns, expected):
    assert ignored(rel, patterns) is expected


def test_unreadable_containerfile_and_missing_context(tmp_path):
    with pytest.raises(ImageError, match=r"build.containerfile: cannot read .*nope"):
        context_hash(str(tmp_path), str(tmp_path / "nope"))
    with pytest.raises(ImageError, match=r"build.context: .* is not a directory"):
        context_files(str(tmp_path / "missing"))


# -- names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("openclaw-sandbox:bookworm-slim", "localhost/openclaw-sandbox:bookworm-slim"),
        ("openclaw-sandbox", "localhost/openclaw-sandbox:latest"),
        ("team/img:1", "localhost/team/img:1"),
        ("registry.example:5000/img:2", "registry.example:5000/img:2"),
        ("localhost/img:3", "localhost/img:3"),
        ("quay.io/org/img", "quay.io/org/img:latest"),
    ],
)
def test_normalize_tag(ref, expected):
    assert normalize_tag(ref) == expected


# -- archives ----------------------------------------------------------------------


def layer(entries):
    """A layer tar from (name, uid, gid, mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, uid, gid, mode in entries:
            info = tarfile.TarInfo(name)
            info.uid, info.gid, info.mode = uid, gid, mode
            tar.addfile(info, io.BytesIO(b""))
    return buf.getvalue()


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def docker_archive(path, layers, config, tags):
    raw = json.dumps(config).encode()
    config_name = hashlib.sha256(raw).hexdigest() + ".json"
    with tarfile.open(path, "w") as tar:
        add(tar, config_name, raw)
        names = []
        for i, data in enumerate(layers):
            names.append("layer%d/layer.tar" % i)
            add(tar, names[-1], data)
        add(tar, "manifest.json", json.dumps([{"Config": config_name, "RepoTags": tags, "Layers": names}]).encode())
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def oci_archive(path, layers, config, ref):
    blobs = {}

    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return digest

    config_digest = blob(json.dumps(config).encode())
    manifest = {"config": {"digest": config_digest}, "layers": [{"digest": blob(d)} for d in layers]}
    manifest_digest = blob(json.dumps(manifest).encode())
    index = {"manifests": [{"digest": manifest_digest, "annotations": {"org.opencontainers.image.ref.name": ref}}]}
    with tarfile.open(path, "w") as tar:
        for digest, data in blobs.items():
            add(tar, "blobs/sha256/" + digest.split(":")[1], data)
        add(tar, "index.json", json.dumps(index).encode())
    return config_digest


CONFIG = {"config": {"User": "1000", "Labels": {"org.opencontainers.image.title": "sandbox"}}}


def test_docker_archive_identity_tags_and_scan(tmp_path):
    path = tmp_path / "img.tar"
    image_id = docker_archive(
        path,
        [layer([("bin/", 0, 0, 0o755), ("bin/su", 0, 0, 0o4755)]), layer([("home/x/f", 70000, 65000, 0o644)])],
        CONFIG,
        ["img:1", "img:latest"],
    )
    with ImageArchive(str(path)) as archive:
        assert archive.format == "docker-archive"
        assert archive.image_id == image_id
        assert archive.repo_tags == ["img:1", "img:latest"]
        assert archive.config["config"]["User"] == "1000"
        scan = archive.scan()
    assert (scan.max_uid, scan.max_uid_path, scan.max_gid) == (70000, "home/x/f", 65000)
    assert scan.setid_paths == ["/bin/su"]


def test_oci_archive_identity_and_scan(tmp_path):
    path = tmp_path / "img.oci.tar"
    image_id = oci_archive(path, [layer([("etc/shadow", 0, 42, 0o640)])], CONFIG, "img:oci")
    with ImageArchive(str(path)) as archive:
        assert (archive.format, archive.image_id, archive.repo_tags) == ("oci-archive", image_id, ["img:oci"])
        assert archive.scan().max_gid == 42


def test_not_an_image_archive(tmp_path):
    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    with pytest.raises(ImageError, match="is not a readable tar archive"):
        ImageArchive(str(tmp_path / "junk.tar"))
    with tarfile.open(tmp_path / "plain.tar", "w") as tar:
        add(tar, "hello.txt", b"hi")
    with pytest.raises(ImageError, match=r"has neither manifest.json \(docker-archive\) nor index.json"):
        ImageArchive(str(tmp_path / "plain.tar"))


def test_range_problem_names_id_file_and_size_needed(tmp_path):
    path = tmp_path / "img.tar"
    docker_archive(path, [layer([("data/big", 200000, 10, 0o644)])], CONFIG, ["img:1"])
    with ImageArchive(str(path)) as archive:
        scan = archive.scan()
    assert range_problem(scan, 200000, 65536, "agent", "img:1") is None
    message = range_problem(scan, 65536, 65536, "agent", "img:1")
    assert "a file owned by uid 200000 (/data/big) needs a subordinate uid range of at least 200000 ids" in message
    assert "agent has 65536" in message and "insufficient UIDs or GIDs" in message


# -- policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "user", "labels", "setid", "expected"),
    [
        ({"non_root_user": True}, "", {}, [], ["USER is '': the image runs as root; set a non-root USER"]),
        ({"non_root_user": True}, "root:root", {}, [], ["USER is 'root:root'"]),
        ({"non_root_user": True}, "0", {}, [], ["USER is '0'"]),
        ({"non_root_user": True}, "sandbox", {}, [], []),
        ({"no_setuid": True}, "", {}, ["/bin/su"], ["1 setuid/setgid file(s): /bin/su"]),
        ({"required_labels": ["a", "b"]}, "", {"a": "1"}, [], ["label b is missing"]),
        ({}, "", {}, ["/bin/su"], []),
    ],
)
def test_policy(policy, user, labels, setid, expected):
    got = policy_violations(policy, user, labels, setid)
    assert len(got) == len(expected)
    for sentence, start in zip(got, expected, strict=True):
        assert sentence.startswith(start)
