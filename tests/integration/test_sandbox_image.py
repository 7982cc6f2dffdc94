"""b4arena.rootless.sandbox_image through ansible-playbook: real dockerd, a real user's rootless Podman."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.b4arena.rootless.tests.integration.harness import run

IMAGE = """
- name: image
  b4arena.rootless.sandbox_image:
    name: "{{ image }}"
    run_as: "{{ user }}"
    state: "{{ state | default('present') }}"
    build: "{{ build | default(omit) }}"
    from_docker: "{{ from_docker | default(omit) }}"
    archive: "{{ archive | default(omit) }}"
    policy: "{{ policy | default(omit) }}"
"""


def docker_id(ref):
    return json.loads(run(["docker", "image", "inspect", ref]).stdout)[0]["Id"]


def podman_image(user, ref):
    found = user.podman("image", "inspect", ref, check=False)
    return json.loads(found.stdout)[0] if found.returncode == 0 else None


@pytest.fixture(scope="module")
def docker_images(tmp_path_factory):
    """Images in the host's Docker: two names of the sandbox image, and one owning a file as uid 200000."""
    run(["docker", "tag", "b4arena-test/sandbox:latest", "b4t-carry:1"])
    run(["docker", "tag", "b4arena-test/sandbox:latest", "b4t-carry:2"])
    context = tmp_path_factory.mktemp("bigid")
    (context / "Dockerfile").write_text(
        "FROM b4arena-test/sandbox:latest\nRUN touch /big && chown 200000:200000 /big\n"
    )
    run(["docker", "build", "-q", "-t", "b4t-bigid:1", str(context)], env=dict(os.environ, DOCKER_BUILDKIT="0"))
    yield
    run(["docker", "image", "rm", "b4t-carry:1", "b4t-carry:2", "b4t-bigid:1"], check=False)


def test_build_rebuilds_only_when_the_context_changes(playbook, rootless_user, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Containerfile").write_text("FROM b4arena-test/sandbox:latest\nCOPY payload.txt /payload.txt\n")
    (context / "payload.txt").write_text("one\n")
    (context / ".containerignore").write_text("*.tmp\n")
    (context / "scratch.tmp").write_text("ignored\n")
    args = {"image": "b4t-built:1", "user": rootless_user.name, "build": {"context": str(context)}}

    checked = playbook(IMAGE, args, check=True)
    assert checked.rc == 0, checked.stderr
    assert checked.task_results("image")["changed"] is True
    assert podman_image(rootless_user, "b4t-built:1") is None

    built = playbook(IMAGE, args)
    assert built.rc == 0, built.stderr
    first = built.task_results("image")
    assert first["changed"] is True
    stored = podman_image(rootless_user, "b4t-built:1")
    assert "sha256:" + stored["Id"] == first["id"]
    assert stored["Labels"]["io.b4arena.rootless.context-hash"] == first["context_hash"]

    os.utime(context / "payload.txt", (1, 1))
    (context / "scratch.tmp").write_text("still ignored\n")
    assert playbook(IMAGE, args).stats["changed"] == 0

    (context / "payload.txt").write_text("two\n")
    rebuilt = playbook(IMAGE, args)
    assert rebuilt.stats["changed"] == 1
    second = rebuilt.task_results("image")
    assert second["id"] != first["id"] and second["context_hash"] != first["context_hash"]
    out = rootless_user.podman("run", "--rm", "b4t-built:1", "cat", "/payload.txt").stdout
    assert out == "two\n"


def test_from_docker_keeps_the_image_id_and_every_tag(playbook, rootless_user, docker_images):
    args = {"image": "b4t-carry:1", "user": rootless_user.name, "from_docker": True}
    carried = playbook(IMAGE, args)
    assert carried.rc == 0, carried.stderr
    result = carried.task_results("image")
    stored = podman_image(rootless_user, "b4t-carry:1")
    assert result["id"] == docker_id("b4t-carry:1") == "sha256:" + stored["Id"]
    assert {"localhost/b4t-carry:1", "localhost/b4t-carry:2"} <= set(stored["RepoTags"])
    assert playbook(IMAGE, args).stats["changed"] == 0


def test_uid_beyond_the_range_fails_before_loading(playbook, rootless_user, docker_images):
    failed = playbook(IMAGE, {"image": "b4t-bigid:1", "user": rootless_user.name, "from_docker": True})
    assert failed.rc != 0
    msg = failed.task_results("image")["msg"]
    assert "a file owned by uid 200000 (/big) needs a subordinate uid range of at least 200000 ids" in msg
    assert "%s has 65536" % rootless_user.name in msg
    assert podman_image(rootless_user, "b4t-bigid:1") is None


def test_policy_violation_loads_nothing(playbook, rootless_user, docker_images):
    rootless_user.podman("rmi", "--force", "b4t-carry:2", check=False)
    failed = playbook(
        IMAGE,
        {"image": "b4t-carry:2", "user": rootless_user.name, "from_docker": True, "policy": {"non_root_user": True}},
    )
    assert failed.rc != 0
    assert "breaks its policy: USER is ''" in failed.task_results("image")["msg"]


def test_archive_loads_tags_and_absent_removes(playbook, rootless_user, docker_images, tmp_path):
    tarball = tmp_path / "carry.tar"
    run(["docker", "save", "-o", str(tarball), "b4t-carry:1"])
    args = {"image": "b4t-archived:1", "user": rootless_user.name, "archive": str(tarball)}
    loaded = playbook(IMAGE, args)
    assert loaded.rc == 0, loaded.stderr
    assert loaded.task_results("image")["id"] == docker_id("b4t-carry:1")
    assert "localhost/b4t-archived:1" in podman_image(rootless_user, "b4t-archived:1")["RepoTags"]
    assert playbook(IMAGE, args).stats["changed"] == 0

    removed = playbook(IMAGE, {"image": "b4t-archived:1", "user": rootless_user.name, "state": "absent"})
    assert removed.rc == 0 and removed.stats["changed"] == 1
    assert podman_image(rootless_user, "b4t-archived:1") is None
    assert podman_image(rootless_user, "b4t-carry:1") is not None  # other names of the image stay
