# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""User namespace id maps: which host id a container id is, for rootful and rootless containers.

A rootless user U with subordinate range [S, S+C) runs Podman in a namespace where id 0
is U and ids 1..C are S..S+C-1. A container's own namespace is mapped inside that one:
with no --userns, container id X is intermediate X; with ``keep-id:uid=K`` container K is
intermediate 0 (the user), container X < K is X+1 and X > K is X. Composed, container X
is host S+X (X < K), U (X = K), S+X-1 (X > K). Rootful Docker without userns-remap maps
every id to itself.
"""

from __future__ import annotations

import re

IDENTITY_SIZE = 4294967295


class IdMapError(ValueError):
    pass


class IdMap:
    """Extents of (container start, host start, size), as in /proc/PID/uid_map."""

    def __init__(self, extents):
        self.extents = sorted((int(c), int(h), int(n)) for c, h, n in extents)

    @classmethod
    def identity(cls):
        return cls([(0, 0, IDENTITY_SIZE)])

    @classmethod
    def parse(cls, text):
        """The text of /proc/PID/uid_map."""
        return cls(tuple(line.split()) for line in text.splitlines() if line.strip())

    def to_host(self, container_id):
        for c, h, n in self.extents:
            if c <= container_id < c + n:
                return h + container_id - c
        return None

    def to_container(self, host_id):
        for c, h, n in self.extents:
            if h <= host_id < h + n:
                return c + host_id - h
        return None

    def as_list(self):
        return [{"container": c, "host": h, "size": n} for c, h, n in self.extents]


def parse_userns(userns):
    """``keep-id``, ``keep-id:uid=K,gid=G`` or ``default`` as (mode, uid or None, gid or None)."""
    text = (userns or "default").strip()
    if text in ("default", "", "host"):
        return "default", None, None
    m = re.fullmatch(r"keep-id(?::(.*))?", text)
    if not m:
        raise IdMapError("userns %r: use default, keep-id or keep-id:uid=N,gid=N" % userns)
    uid = gid = None
    for part in filter(None, (m.group(1) or "").split(",")):
        key, _sep, value = part.partition("=")
        if key not in ("uid", "gid") or not value.isdigit():
            raise IdMapError("userns %r: unknown keep-id option %r" % (userns, part))
        if key == "uid":
            uid = int(value)
        else:
            gid = int(value)
    return "keep-id", uid, gid


def compose(outer, inner):
    """The map container -> host from ``inner`` (container -> intermediate) and ``outer``
    (intermediate -> host), split wherever an outer extent ends."""
    extents = []
    for start, middle, size in inner.extents:
        c, i, n = start, middle, size
        while n > 0:
            for oc, oh, on in outer.extents:
                if oc <= i < oc + on:
                    step = min(n, oc + on - i)
                    extents.append((c, oh + i - oc, step))
                    break
            else:
                raise IdMapError("intermediate id %d is not mapped to the host" % i)
            c, i, n = c + step, i + step, n - step
    return IdMap(extents)


def rootless_map(user_id, sub_ranges, userns="default", which="uid"):
    """The map from container ids to host ids of a rootless container.

    ``user_id`` is the host uid (or gid) of the rootless user, ``sub_ranges`` its
    subordinate ranges as (start, count) in file order (Podman uses them one after the
    other), ``which`` says whether keep-id's uid or gid option applies.
    """
    total = sum(count for _start, count in sub_ranges)
    intermediate = [(0, user_id, 1)]
    offset = 1
    for start, count in sub_ranges:
        intermediate.append((offset, start, count))
        offset += count
    outer = IdMap(intermediate)
    mode, keep_uid, keep_gid = parse_userns(userns)
    if mode == "default":
        return outer
    keep = keep_uid if which == "uid" else keep_gid
    if keep is None:
        keep = user_id
    if keep > total:
        raise IdMapError(
            "userns %r: container id %d lies beyond the %d subordinate ids of the user" % (userns, keep, total)
        )
    inner = [(keep, 0, 1)]
    if keep > 0:
        inner.append((0, 1, keep))
    if total > keep:
        inner.append((keep + 1, keep + 1, total - keep))
    return compose(outer, IdMap(inner))
