# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copying a directory tree from one user namespace's view to another's.

Volume data moves from rootful Docker (host id = container id) into a rootless user's
storage, where the same container id is a different host id, and back on rollback.
scan() reads a tree into entries keyed by relative path, with owners translated into
container ids; plan() compares two scans and lists what to do; apply() does it. Files
are written beside their final name and renamed into place, so a reader never sees half
a file. Regular files, directories and symbolic links are carried with mode, owner and
modification time; other file types are listed as skipped. Hard links become separate
files; extended attributes and ACLs are not carried.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat

KINDS = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "link"}


class CopyError(Exception):
    pass


class Entry:
    __slots__ = ("gid", "host_gid", "host_uid", "kind", "mode", "mtime_ns", "path", "size", "target", "uid")

    def __init__(self, path, kind, *, mode, uid, gid, size, mtime_ns, target, host_uid, host_gid):
        self.path = path  # relative; "." is the root
        self.kind = kind
        self.mode = mode  # permission bits only
        self.uid = uid  # container ids (None when the map does not cover the host id)
        self.gid = gid
        self.size = size
        self.mtime_ns = mtime_ns
        self.target = target  # symlink target
        self.host_uid = host_uid
        self.host_gid = host_gid


def sha256(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def scan(root, uid_map, gid_map):
    """Every entry under ``root`` (which must be a directory), owners as container ids."""
    if not os.path.isdir(root) or os.path.islink(root):
        raise CopyError("%s is not a directory" % root)
    entries = {}
    skipped = []
    stack = ["."]
    while stack:
        rel = stack.pop()
        full = os.path.normpath(os.path.join(root, rel))
        st = os.lstat(full)
        kind = KINDS.get(stat.S_IFMT(st.st_mode))
        if kind is None:
            skipped.append(rel)
            continue
        entries[rel] = Entry(
            rel,
            kind,
            mode=stat.S_IMODE(st.st_mode),
            uid=uid_map.to_container(st.st_uid),
            gid=gid_map.to_container(st.st_gid),
            size=st.st_size if kind == "file" else 0,
            mtime_ns=st.st_mtime_ns,
            target=os.readlink(full) if kind == "link" else None,
            host_uid=st.st_uid,
            host_gid=st.st_gid,
        )
        if kind == "dir":
            with os.scandir(full) as it:
                names = sorted(e.name for e in it)
            stack.extend(os.path.normpath(os.path.join(rel, n)) for n in reversed(names))
    return entries, sorted(skipped)


class Action:
    __slots__ = ("op", "path", "what")

    def __init__(self, op, path, what):
        self.op = op  # "create", "update", "meta", "remove"
        self.path = path
        self.what = what  # which of content/mode/owner/mtime/kind differ

    def as_dict(self):
        return {"op": self.op, "path": self.path, "what": list(self.what)}


def plan(source, dest, dest_uid_map, dest_gid_map, *, delete=False, checksum=False, src_root=None, dest_root=None):
    """Actions that make ``dest`` equal ``source`` (two scans); raises CopyError on unmappable owners."""
    unmapped = sorted(p for p, e in source.items() if e.uid is None or e.gid is None)
    if unmapped:
        raise CopyError(
            "%d source entries are owned by ids outside the source namespace's map, first: %s"
            % (len(unmapped), ", ".join(unmapped[:5]))
        )
    beyond = sorted(
        p for p, e in source.items() if dest_uid_map.to_host(e.uid) is None or dest_gid_map.to_host(e.gid) is None
    )
    if beyond:
        e = source[beyond[0]]
        raise CopyError(
            "%d source entries are owned by container ids the destination namespace cannot map "
            "(first: %s, uid %s gid %s); widen the user's subordinate range" % (len(beyond), beyond[0], e.uid, e.gid)
        )
    actions = []
    for path in sorted(source):
        src = source[path]
        have = dest.get(path)
        if have is None:
            actions.append(Action("create", path, ["kind"]))
            continue
        what = []
        if have.kind != src.kind:
            what.append("kind")
        elif src.kind == "file" and (
            have.size != src.size
            or have.mtime_ns != src.mtime_ns
            or (checksum and sha256(os.path.join(src_root, path)) != sha256(os.path.join(dest_root, path)))
        ):
            what.append("content")
        elif src.kind == "link" and have.target != src.target:
            what.append("content")
        if "kind" not in what:
            if src.kind != "link" and have.mode != src.mode:
                what.append("mode")
            if (have.uid, have.gid) != (src.uid, src.gid):
                what.append("owner")
            if src.kind != "dir" and "content" not in what and have.mtime_ns != src.mtime_ns:
                what.append("mtime")
        if what:
            actions.append(Action("update" if ("content" in what or "kind" in what) else "meta", path, what))
    if delete:
        doomed = sorted((p for p in dest if p not in source), reverse=True)
        actions.extend(Action("remove", p, ["kind"]) for p in doomed)
    return actions


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _set_meta(path, entry, uid, gid):
    os.lchown(path, uid, gid)
    if entry.kind != "link":
        os.chmod(path, entry.mode)
    os.utime(path, ns=(entry.mtime_ns, entry.mtime_ns), follow_symlinks=False)


def apply(actions, source, src_root, dest_root, *, uid_map, gid_map):
    """Carry out the actions; directories get their times last, after their contents changed."""
    dirs_touched = []
    for action in actions:
        target = os.path.normpath(os.path.join(dest_root, action.path))
        if action.op == "remove":
            _remove(target)
            continue
        entry = source[action.path]
        uid, gid = uid_map.to_host(entry.uid), gid_map.to_host(entry.gid)
        if action.op in ("create", "update"):
            if "kind" in action.what and os.path.lexists(target):
                _remove(target)
            if entry.kind == "dir":
                os.makedirs(target, exist_ok=True)
            elif entry.kind == "link":
                tmp = os.path.join(os.path.dirname(target), ".%s.b4arena-tmp" % os.path.basename(target))
                _remove(tmp)
                os.symlink(entry.target, tmp)
                _set_meta(tmp, entry, uid, gid)
                os.replace(tmp, target)
                continue
            else:
                tmp = os.path.join(os.path.dirname(target), ".%s.b4arena-tmp" % os.path.basename(target))
                shutil.copyfile(os.path.join(src_root, action.path), tmp, follow_symlinks=False)
                _set_meta(tmp, entry, uid, gid)
                os.replace(tmp, target)
                continue
        _set_meta(target, entry, uid, gid)
        if entry.kind == "dir":
            dirs_touched.append((target, entry))
    # Creating or removing children moved the parents' mtimes: put them back, deepest first.
    for path in sorted({a.path for a in actions if a.op in ("create", "update", "remove")}, reverse=True):
        parent = os.path.dirname(path) or "."
        if parent in source and source[parent].kind == "dir":
            entry = source[parent]
            os.utime(os.path.join(dest_root, parent), ns=(entry.mtime_ns, entry.mtime_ns))
    for target, entry in dirs_touched:
        os.utime(target, ns=(entry.mtime_ns, entry.mtime_ns))


def manifest_digest(entries, root, checksum=True):
    """One sha256 over every entry's path, kind, mode, container owner and content."""
    digest = hashlib.sha256()
    for path in sorted(entries):
        e = entries[path]
        content = (
            e.target
            if e.kind == "link"
            else (sha256(os.path.join(root, path)) if checksum and e.kind == "file" else e.size)
        )
        digest.update(
            ("%s\0%s\0%o\0%s\0%s\0%s\n" % (path, e.kind, e.mode, e.uid, e.gid, content)).encode(
                "utf-8", "surrogateescape"
            )
        )
    return digest.hexdigest()
