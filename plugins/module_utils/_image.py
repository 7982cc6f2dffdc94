# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sandbox images without an engine: build-context hashing, image archives, policy.

Pure Python, unit-tested on small files. The module b4arena.rootless.sandbox_image
is the front door; it runs Podman and Docker, this file only reads and decides.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import posixpath
import re
import stat
import tarfile

CONTEXT_LABEL = "io.b4arena.rootless.context-hash"
IGNORE_FILES = (".containerignore", ".dockerignore")


class ImageError(Exception):
    """Bad input, an unreadable archive, or a refused image; the message says which and why."""


# -- build context -----------------------------------------------------------------


def read_ignore_patterns(context):
    """Patterns of .containerignore (or .dockerignore) in the context, in order."""
    for name in IGNORE_FILES:
        path = os.path.join(context, name)
        if os.path.exists(path):
            with open(path) as f:
                lines = [line.strip() for line in f]
            return [line for line in lines if line and not line.startswith("#")]
    return []


@functools.lru_cache(maxsize=256)
def _glob(pattern):
    """Docker's pattern syntax as a regex: ``*`` and ``?`` stay within one path element,
    ``**`` spans any number of them, and a match also covers everything below it."""
    pattern = posixpath.normpath(pattern.lstrip("/"))
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(pattern[i : end + 1].replace("[!", "[^", 1))
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + "(?:/.*)?$")


def _pattern_matches(pattern, rel):
    return _glob(pattern).match(rel) is not None


def ignored(rel, patterns):
    """Docker's rule: the last matching pattern wins; ``!`` re-includes."""
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _pattern_matches(pattern[1:] if negated else pattern, rel):
            excluded = not negated
    return excluded


def context_files(context):
    """Relative paths (POSIX) of every entry of the build context that is not ignored, sorted."""
    if not os.path.isdir(context):
        raise ImageError("build.context: %r is not a directory" % context)
    patterns = read_ignore_patterns(context)
    found = []
    for root, dirs, files in os.walk(context):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            rel = os.path.relpath(os.path.join(root, name), context).replace(os.sep, "/")
            if not ignored(rel, patterns):
                found.append(rel)
    return sorted(found)


def context_hash(context, containerfile, build_args=None, target=None):
    """SHA-256 over everything that shapes a build: each context entry's path, type, mode and
    content (or link target), the Containerfile, the build args and the target stage."""
    digest = hashlib.sha256()

    def feed(*parts):
        for part in parts:
            digest.update(part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogateescape"))
            digest.update(b"\0")

    try:
        with open(containerfile, "rb") as f:
            feed("containerfile", f.read())
    except OSError as e:
        raise ImageError("build.containerfile: cannot read %r: %s" % (containerfile, e.strerror)) from None
    for key in sorted(build_args or {}):
        feed("arg", key, build_args[key])
    feed("target", target or "")
    for rel in context_files(context):
        path = os.path.join(context, rel)
        info = os.lstat(path)
        feed("entry", rel, oct(stat.S_IMODE(info.st_mode)), stat.S_IFMT(info.st_mode))
        if stat.S_ISLNK(info.st_mode):
            feed(os.readlink(path))
        elif stat.S_ISREG(info.st_mode):
            file_digest = hashlib.sha256()
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    file_digest.update(block)
            feed(file_digest.hexdigest())
    return "sha256:" + digest.hexdigest()


# -- names -------------------------------------------------------------------------


def normalize_tag(reference):
    """How Podman names a short reference: ``name:tag`` -> ``localhost/name:tag``; tag defaults to latest."""
    name, tag = reference, "latest"
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = reference.rsplit(":", 1)
    first = name.split("/", 1)[0]
    if "/" not in name or not ("." in first or ":" in first or first == "localhost"):
        name = "localhost/" + name
    return "%s:%s" % (name, tag)


# -- archives ----------------------------------------------------------------------


class ArchiveScan:
    """What the layers of an image hold that matters before loading it rootless."""

    def __init__(self):
        self.max_uid, self.max_uid_path = 0, None
        self.max_gid, self.max_gid_path = 0, None
        self.setid_paths = []
        self.entries = 0

    def add(self, member):
        self.entries += 1
        if member.uid > self.max_uid:
            self.max_uid, self.max_uid_path = member.uid, member.name
        if member.gid > self.max_gid:
            self.max_gid, self.max_gid_path = member.gid, member.name
        if member.isfile() and member.mode & (stat.S_ISUID | stat.S_ISGID):
            self.setid_paths.append("/" + member.name.lstrip("./"))


class ImageArchive:
    """A docker-archive (``docker save``) or oci-archive tarball, read without unpacking it."""

    def __init__(self, path):
        self.path = path
        try:
            self._tar = tarfile.open(path)
        except (OSError, tarfile.TarError) as e:
            raise ImageError("archive: %r is not a readable tar archive: %s" % (path, e)) from None
        names = set(self._tar.getnames())
        if "manifest.json" in names:
            self.format = "docker-archive"
            manifest = self._json("manifest.json")[0]
            config_name = manifest["Config"]
            self.repo_tags = manifest.get("RepoTags") or []
            self.layer_names = manifest["Layers"]
        elif "index.json" in names:
            self.format = "oci-archive"
            index = self._json("index.json")
            entry = index["manifests"][0]
            manifest = self._json(self._blob(entry["digest"]))
            config_name = self._blob(manifest["config"]["digest"])
            ref = (entry.get("annotations") or {}).get("org.opencontainers.image.ref.name")
            self.repo_tags = [ref] if ref else []
            self.layer_names = [self._blob(layer["digest"]) for layer in manifest["layers"]]
        else:
            raise ImageError(
                "archive: %r has neither manifest.json (docker-archive) nor index.json (oci-archive)" % path
            )
        raw = self._read(config_name)
        self.image_id = "sha256:" + hashlib.sha256(raw).hexdigest()
        self.config = json.loads(raw)

    @staticmethod
    def _blob(digest):
        algorithm, hexdigest = digest.split(":", 1)
        return "blobs/%s/%s" % (algorithm, hexdigest)

    def _read(self, name):
        member = self._tar.extractfile(name)
        if member is None:
            raise ImageError("archive: %r lacks %s" % (self.path, name))
        return member.read()

    def _json(self, name):
        return json.loads(self._read(name))

    def scan(self):
        result = ArchiveScan()
        for name in self.layer_names:
            with tarfile.open(fileobj=self._tar.extractfile(name), mode="r|*") as layer:
                for member in layer:
                    result.add(member)
        return result

    def close(self):
        self._tar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def range_problem(scan, subuid_count, subgid_count, user, image):
    """Why the user's subordinate ranges cannot hold the image's file owners, or None.

    Rootless Podman maps container id 0 to the user and ids 1..N to the N subordinate
    ids, so an owner id K needs at least K subordinate ids.
    """
    problems = []
    for kind, top, path, count in (
        ("uid", scan.max_uid, scan.max_uid_path, subuid_count),
        ("gid", scan.max_gid, scan.max_gid_path, subgid_count),
    ):
        if top > count:
            problems.append(
                "a file owned by %s %d (/%s) needs a subordinate %s range of at least %d ids, and %s has %d"
                % (kind, top, path.lstrip("./"), kind, top, user, count)
            )
    if not problems:
        return None
    return (
        "image %s cannot be stored by %s's rootless Podman: %s (Podman would fail with "
        "'insufficient UIDs or GIDs available in user namespace'); give %s a larger range "
        "(b4arena.rootless.subid with count and force) and run podman system migrate"
        % (image, user, "; ".join(problems), user)
    )


# -- policy ------------------------------------------------------------------------


def policy_violations(policy, config_user, labels, setid_paths=None):
    """Each rule of ``policy`` the image breaks, as a sentence."""
    violations = []
    if policy.get("non_root_user"):
        user = (config_user or "").split(":", 1)[0]
        if user in ("", "0", "root"):
            violations.append("USER is %r: the image runs as root; set a non-root USER" % (config_user or ""))
    if policy.get("no_setuid") and setid_paths:
        shown = ", ".join(setid_paths[:10]) + (
            " and %d more" % (len(setid_paths) - 10) if len(setid_paths) > 10 else ""
        )
        violations.append("%d setuid/setgid file(s): %s" % (len(setid_paths), shown))
    for label in policy.get("required_labels") or []:
        if label not in (labels or {}):
            violations.append("label %s is missing" % label)
    return violations
