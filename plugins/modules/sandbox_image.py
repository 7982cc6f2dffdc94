#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sandbox_image
short_description: OpenClaw sandbox images in a rootless user's Podman (build, carry over from Docker, load)
version_added: 0.1.0
description:
  - Puts an image into the Podman storage of O(run_as) from one source, and keeps it current.
  - O(build) builds a Containerfile. A hash over the whole build context (every file's path, type,
    mode and content, the Containerfile, build args and target; entries matched by
    C(.containerignore) or C(.dockerignore) left out) is stored on the image as the label
    C(io.b4arena.rootless.context-hash); the image is rebuilt only when that hash changes.
  - O(from_docker) carries the image O(name) from the host's Docker engine, with every tag it has
    there, and verifies that the image ID (the config digest) is identical on both sides.
  - O(archive) loads a C(docker save) or OCI archive tarball.
  - Before loading (O(from_docker), O(archive)), every file owner in the image's layers is checked
    against the user's subordinate ranges; an owner the ranges cannot map fails early, naming the
    id, a file, and the range size needed, instead of Podman's "insufficient UIDs or GIDs".
  - An optional O(policy) (non-root USER, no setuid/setgid files, required labels) is checked on
    every run; violations fail the task unless O(policy_mode=warn). Before a load, nothing is loaded.
  - O(state=absent) removes the tag O(name) (the image too when that was its last tag).
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - b4arena.rootless.attributes
  - b4arena.rootless.rootless
options:
  name:
    description:
      - Image reference, for example C(openclaw-sandbox:bookworm-slim). A short name is stored by
        Podman as C(localhost/NAME) and still found by its short name.
      - With O(from_docker), the image of this name in Docker is carried over.
    type: str
    required: true
  state:
    description: V(present) ensures the image, V(absent) removes the tag O(name).
    type: str
    choices: [present, absent]
    default: present
  build:
    description: Build the image. Mutually exclusive with O(from_docker) and O(archive).
    type: dict
    suboptions:
      context:
        description: Build context directory.
        type: path
        required: true
      containerfile:
        description:
          - Containerfile or Dockerfile. Defaults to C(Containerfile), else C(Dockerfile), in O(build.context).
        type: path
      args:
        description: Build arguments (C(--build-arg)); part of the hash.
        type: dict
      target:
        description: Target stage of a multi-stage build; part of the hash.
        type: str
  from_docker:
    description:
      - Carry the image O(name) over from the host's Docker engine (C(docker save), then
        C(podman load) as the user), keeping every tag, and fail unless the image ID is identical.
    type: bool
  archive:
    description: Load this image tarball (docker-archive or oci-archive) and tag it O(name).
    type: path
  docker_executable:
    description: The docker CLI, for O(from_docker).
    type: str
    default: docker
  force:
    description: Build or load again even when the image is current.
    type: bool
    default: false
  policy:
    description: Rules the image must follow.
    type: dict
    suboptions:
      non_root_user:
        description: The image's C(USER) must be set and not root.
        type: bool
        default: false
      no_setuid:
        description: No file in the image may be setuid or setgid.
        type: bool
        default: false
      required_labels:
        description: Labels the image must carry.
        type: list
        elements: str
  policy_mode:
    description: V(fail) fails the task on a policy violation, V(warn) only reports it.
    type: str
    choices: [fail, warn]
    default: fail
"""

EXAMPLES = r"""
- name: Build OpenClaw's sandbox image for the sandbox user, only when its context changed
  b4arena.rootless.sandbox_image:
    name: openclaw-sandbox:bookworm-slim
    run_as: openclaw
    build:
      context: /srv/forge/containers
      containerfile: /srv/forge/containers/Dockerfile.openclaw-sandbox

- name: Carry the sandbox image over from Docker, identity verified
  b4arena.rootless.sandbox_image:
    name: openclaw-sandbox:bookworm-slim
    run_as: openclaw
    from_docker: true
    policy:
      non_root_user: true
      no_setuid: true
"""

RETURN = r"""
id:
  description: Image ID (config digest) in the user's Podman; empty after removal.
  returned: always
  type: str
  sample: sha256:83037742bb689b03008153da62601f733dfb20334866c6da79696eec8c0613c3
digest:
  description: Manifest digest Podman reports.
  returned: when the image exists
  type: str
tags:
  description: The image's tags in the user's Podman.
  returned: always
  type: list
  elements: str
  sample: [localhost/openclaw-sandbox:bookworm-slim]
size:
  description: Image size in bytes.
  returned: when the image exists
  type: int
source:
  description: Where the image came from in this run's request, V(build), V(docker) or V(archive).
  returned: when state is present
  type: str
context_hash:
  description: The build context hash (with O(build)).
  returned: with build
  type: str
policy_violations:
  description: Policy rules the image breaks.
  returned: when policy is given
  type: list
  elements: str
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.b4arena.rootless.plugins.module_utils._image import (
    CONTEXT_LABEL,
    ImageArchive,
    ImageError,
    context_files,
    context_hash,
    normalize_tag,
    policy_violations,
    range_problem,
)
from ansible_collections.b4arena.rootless.plugins.module_utils._podman import (
    PodmanError,
    PodmanRunner,
    rootless_context,
)
from ansible_collections.b4arena.rootless.plugins.module_utils._subid import SubidFile

INSUFFICIENT_IDS = "insufficient UIDs or GIDs"


def with_prefix(image_id):
    return image_id if image_id.startswith("sha256:") else "sha256:" + image_id


class ImageTask:
    """One run of the module: the user's Podman, a scratch directory the user can read, the result."""

    def __init__(self, module, runner):
        self.module = module
        self.runner = runner
        self.params = module.params
        self.name = self.params["name"]
        self.scratch = None

    # -- helpers ---------------------------------------------------------------

    def inspect(self):
        return self.runner.inspect("image", self.name)

    def scratch_dir(self):
        """A private directory owned by the Podman user, for files it must read."""
        if self.scratch is None:
            self.scratch = tempfile.mkdtemp(prefix="b4arena-image-")
            self.give(self.scratch)
        return self.scratch

    def give(self, path):
        context = self.runner.context
        if context.switch:
            os.chown(path, context.uid, context.gid, follow_symlinks=False)

    def give_tree(self, top):
        for root, dirs, files in os.walk(top):
            for name in dirs + files:
                self.give(os.path.join(root, name))
        self.give(top)

    def cleanup(self):
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def subordinate_counts(self):
        context = self.runner.context
        keys = (context.user, str(context.uid))
        return tuple(
            sum(r.count for r in SubidFile.load(path).owned_by(keys)) for path in ("/etc/subuid", "/etc/subgid")
        )

    def describe(self, image):
        if image is None:
            return {"id": "", "tags": []}
        return {
            "id": with_prefix(image["Id"]),
            "digest": image.get("Digest"),
            "tags": sorted(image.get("RepoTags") or []),
            "size": image.get("Size"),
        }

    def podman_write(self, args):
        try:
            return self.runner.write(args)
        except PodmanError as e:
            if INSUFFICIENT_IDS in (e.stderr or ""):
                counts = self.subordinate_counts()
                raise PodmanError(
                    "%s: the image owns files with ids beyond %s's subordinate ranges (%d uids, %d gids); "
                    "give it a larger range (b4arena.rootless.subid with count and force) and run "
                    "podman system migrate" % (e, self.runner.context.user, counts[0], counts[1]),
                    cmd=e.cmd,
                    rc=e.rc,
                    stderr=e.stderr,
                ) from None
            raise

    def check_archive(self, archive):
        """Range and policy checks on an archive before anything is loaded."""
        scan = archive.scan()
        uid_count, gid_count = self.subordinate_counts()
        problem = range_problem(scan, uid_count, gid_count, self.runner.context.user, self.name)
        if problem:
            raise ImageError(problem)
        config = archive.config.get("config") or {}
        return self.policy(config.get("User"), config.get("Labels"), scan.setid_paths)

    def policy(self, user, labels, setid_paths):
        rules = self.params["policy"]
        if not rules:
            return None
        violations = policy_violations(rules, user, labels, setid_paths)
        if violations and self.params["policy_mode"] == "fail":
            raise ImageError("image %s breaks its policy: %s" % (self.name, "; ".join(violations)))
        for violation in violations:
            self.module.warn("image %s: %s" % (self.name, violation))
        return violations

    def policy_of_stored(self, image):
        """Policy of an image already in the user's storage (no load happens this run)."""
        if not self.params["policy"]:
            return None
        setid = None
        if self.params["policy"].get("no_setuid"):
            tarball = os.path.join(self.scratch_dir(), "saved.tar")
            self.runner.podman(["save", "--format", "docker-archive", "-o", tarball, self.name])
            with ImageArchive(tarball) as archive:
                setid = archive.scan().setid_paths
        config = image.get("Config") or {}
        return self.policy(config.get("User"), image.get("Labels") or config.get("Labels"), setid)

    # -- sources ---------------------------------------------------------------

    def build(self, current, result):
        spec = self.params["build"]
        context = spec["context"]
        containerfile = spec["containerfile"] or next(
            (
                os.path.join(context, n)
                for n in ("Containerfile", "Dockerfile")
                if os.path.exists(os.path.join(context, n))
            ),
            os.path.join(context, "Containerfile"),
        )
        args = {str(k): str(v) for k, v in (spec["args"] or {}).items()}
        wanted = context_hash(context, containerfile, args, spec["target"])
        result["context_hash"] = wanted
        have = ((current or {}).get("Labels") or {}).get(CONTEXT_LABEL)
        if current is not None and have == wanted and not self.params["force"]:
            return False
        if self.module.check_mode:
            return True
        staged = os.path.join(self.scratch_dir(), "context")
        os.mkdir(staged)
        for rel in context_files(context):
            source, target = os.path.join(context, rel), os.path.join(staged, rel)
            if os.path.isdir(source) and not os.path.islink(source):
                os.makedirs(target, exist_ok=True)
                shutil.copystat(source, target)
            else:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(source, target, follow_symlinks=False)
        staged_file = os.path.join(self.scratch_dir(), "Containerfile")
        shutil.copy2(containerfile, staged_file)
        self.give_tree(self.scratch_dir())
        argv = ["build", "--tag", self.name, "--file", staged_file, "--label", "%s=%s" % (CONTEXT_LABEL, wanted)]
        for key in sorted(args):
            argv += ["--build-arg", "%s=%s" % (key, args[key])]
        if spec["target"]:
            argv += ["--target", spec["target"]]
        self.podman_write([*argv, staged])
        return True

    def docker(self, argv):
        full = [self.params["docker_executable"], *argv]
        rc, out, err = self.module.run_command(full, environ_update={"LC_ALL": "C"})
        if rc != 0:
            raise PodmanError("%s failed (rc %d): %s" % (" ".join(full), rc, err.strip()), cmd=full, rc=rc, stderr=err)
        return out

    def from_docker(self, current, result):
        source = json.loads(self.docker(["image", "inspect", self.name]))[0]
        source_id = with_prefix(source["Id"])
        tags = source.get("RepoTags") or [self.name]
        result["docker_id"] = source_id
        same_image = current is not None and with_prefix(current["Id"]) == source_id and not self.params["force"]
        if same_image:
            missing = sorted({normalize_tag(t) for t in tags} - set(current.get("RepoTags") or []))
            if missing and not self.module.check_mode:
                # The image is there; only names are missing.
                self.podman_write(["tag", source_id, *missing])
            return bool(missing)
        tarball = os.path.join(self.scratch_dir(), "image.tar")
        self.docker(["image", "save", "-o", tarball, *tags])
        self.give(tarball)
        with ImageArchive(tarball) as archive:
            result["policy_violations"] = self.check_archive(archive)
        if self.module.check_mode:
            return True
        self.podman_write(["load", "-i", tarball])
        return True

    def archive(self, current, result):
        path = self.params["archive"]
        with ImageArchive(path) as archive:
            archive_id = archive.image_id
            if current is not None and with_prefix(current["Id"]) == archive_id and not self.params["force"]:
                return False
            result["policy_violations"] = self.check_archive(archive)
        if self.module.check_mode:
            return True
        staged = os.path.join(self.scratch_dir(), "image.tar")
        shutil.copyfile(path, staged)
        self.give(staged)
        self.podman_write(["load", "-i", staged])
        self.podman_write(["tag", archive_id, self.name])
        return True

    # -- the run -----------------------------------------------------------------

    def present(self):
        current = self.inspect()
        sources = {"build": self.build, "docker": self.from_docker, "archive": self.archive}
        source = "build" if self.params["build"] else "docker" if self.params["from_docker"] else "archive"
        result = {"source": source}
        changed = sources[source](current, result)
        after = self.inspect() if changed and not self.module.check_mode else current
        if changed and not self.module.check_mode:
            expected = result.get("docker_id")
            if expected and with_prefix(after["Id"]) != expected:
                raise ImageError(
                    "image ID differs after carrying %s over: Docker has %s, Podman has %s"
                    % (self.name, expected, with_prefix(after["Id"]))
                )
        if not changed and current is not None and self.params["policy"]:
            result["policy_violations"] = self.policy_of_stored(current)
        if changed and source == "build" and not self.module.check_mode and self.params["policy"]:
            result["policy_violations"] = self.policy_of_stored(after)
        result.update(self.describe(after))
        result["changed"] = changed
        if changed:
            before = self.describe(current)
            after_view = {"id": result["id"] or "(new image)", "tags": result["tags"] or [normalize_tag(self.name)]}
            result["diff"] = {"before": {"id": before["id"], "tags": before["tags"]}, "after": after_view}
        if result.get("policy_violations") is None:
            result.pop("policy_violations", None)
        return result

    def absent(self):
        current = self.inspect()
        if current is None:
            return {"changed": False, "id": "", "tags": []}
        if not self.module.check_mode:
            self.runner.write(["rmi", self.name])
        before = self.describe(current)
        return {
            "changed": True,
            "id": "",
            "tags": [],
            "diff": {"before": {"id": before["id"], "tags": before["tags"]}, "after": {"id": "", "tags": []}},
        }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            build=dict(
                type="dict",
                options=dict(
                    context=dict(type="path", required=True),
                    containerfile=dict(type="path"),
                    args=dict(type="dict"),
                    target=dict(type="str"),
                ),
            ),
            from_docker=dict(type="bool"),
            archive=dict(type="path"),
            docker_executable=dict(type="str", default="docker"),
            force=dict(type="bool", default=False),
            policy=dict(
                type="dict",
                options=dict(
                    non_root_user=dict(type="bool", default=False),
                    no_setuid=dict(type="bool", default=False),
                    required_labels=dict(type="list", elements="str"),
                ),
            ),
            policy_mode=dict(type="str", choices=["fail", "warn"], default="fail"),
            run_as=dict(type="str"),
            executable=dict(type="str", default="podman"),
        ),
        mutually_exclusive=[("build", "from_docker", "archive")],
        required_if=[("state", "present", ("build", "from_docker", "archive"), True)],
        supports_check_mode=True,
    )
    if module.params["from_docker"] is False:
        module.fail_json(msg="from_docker: false names no source; give build, from_docker: true or archive")
    task = None
    try:
        task = ImageTask(
            module, PodmanRunner(module, rootless_context(module.params["run_as"]), module.params["executable"])
        )
        result = task.present() if module.params["state"] == "present" else task.absent()
    except ImageError as e:
        module.fail_json(msg=str(e))
    except PodmanError as e:
        module.fail_json(**e.result())
    finally:
        if task is not None:
            task.cleanup()
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
