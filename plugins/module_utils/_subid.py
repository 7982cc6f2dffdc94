# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Subordinate ID files (/etc/subuid, /etc/subgid): model, allocator and lock.

Pure Python with no Ansible imports, so the planner can be unit-tested on plain
text. The module b4arena.rootless.subid is the front door to it.

Format (shadow's subuid(5)): one ``owner:start:count`` per line, owner a user
name or a UID, several lines per owner allowed. Comment and blank lines are not
shadow syntax but appear in real files; they are kept byte for byte.
"""

from __future__ import annotations

import bisect
import errno
import os
import time

# IDs are 32-bit and (uid_t)-1 = 4294967295 means "no id", so every id of a
# range must stay below it.
ID_LIMIT = 2**32 - 1

# shadow's built-in defaults when login.defs does not set a key.
LOGIN_DEFS_DEFAULTS = {
    "UID_MIN": 1000,
    "SUB_UID_MIN": 100000,
    "SUB_UID_MAX": 600100000,
    "SUB_UID_COUNT": 65536,
    "SUB_GID_MIN": 100000,
    "SUB_GID_MAX": 600100000,
    "SUB_GID_COUNT": 65536,
}

KINDS = ("subuid", "subgid")
KEY_PREFIX = {"subuid": "SUB_UID_", "subgid": "SUB_GID_"}


class SubidError(Exception):
    """A refusal; the message names the file, line and value where there is one."""

    def __init__(self, message, path=None, lineno=None):
        where = ""
        if path is not None:
            where = "%s line %d: " % (path, lineno) if lineno else "%s: " % path
        super().__init__(where + message)


class Range:
    """One ``owner:start:count`` entry; ``end`` is exclusive."""

    __slots__ = ("count", "dead", "lineno", "owner", "raw", "start")

    def __init__(self, owner, start, count, lineno=None, raw=None):
        self.owner = owner
        self.start = start
        self.count = count
        self.lineno = lineno  # None for an entry this run adds
        self.raw = raw if raw is not None else "%s:%d:%d\n" % (owner, start, count)
        self.dead = False  # set once removed from its file while planning

    @property
    def end(self):
        return self.start + self.count

    def as_dict(self):
        return {"start": self.start, "count": self.count}

    def describe(self):
        return "%s:%d:%d" % (self.owner, self.start, self.count)


def _parse_id(text):
    # Plain decimal only: shadow writes decimal, and "0x10" or "010" in an id file
    # is far more likely a typo than intent.
    if not text.isdigit() or not text.isascii():
        raise ValueError(text)
    return int(text)


def parse_range(line, path, lineno):
    """Parse one non-comment line; raise SubidError naming the file, line and value."""
    body = line.rstrip("\n")
    fields = body.split(":")
    if len(fields) != 3:
        raise SubidError("malformed entry %r: expected owner:start:count" % body, path, lineno)
    owner, start_text, count_text = fields
    if not owner or any(c.isspace() for c in owner):
        raise SubidError("malformed entry %r: owner %r is not a user name or UID" % (body, owner), path, lineno)
    try:
        start = _parse_id(start_text)
    except ValueError:
        raise SubidError("malformed entry %r: start %r is not a number" % (body, start_text), path, lineno) from None
    try:
        count = _parse_id(count_text)
    except ValueError:
        raise SubidError("malformed entry %r: count %r is not a number" % (body, count_text), path, lineno) from None
    if count == 0:
        raise SubidError("malformed entry %r: count is 0" % body, path, lineno)
    if start + count > ID_LIMIT:
        raise SubidError(
            "entry %r reaches id %d, past the last valid id %d" % (body, start + count - 1, ID_LIMIT - 1),
            path,
            lineno,
        )
    return Range(owner, start, count, lineno, line)


def is_passive(line):
    """Comment and blank lines: kept as they are, never parsed."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


class SubidFile:
    """The lines of one subordinate id file, editable without touching foreign lines.

    ``items`` holds, in file order, either a Range or a passive line (str); a
    removed entry leaves None behind so positions stay stable while planning.
    """

    def __init__(self, path, items=None, exists=True):
        self.path = path
        self.items = items if items is not None else []
        self.exists = exists
        self._by_owner = {}
        for item in self.items:
            if isinstance(item, Range):
                self._by_owner.setdefault(item.owner, []).append(item)

    @classmethod
    def parse(cls, path, text, exists=True):
        items = []
        for lineno, line in enumerate(text.splitlines(True), start=1):
            items.append(line if is_passive(line) else parse_range(line, path, lineno))
        return cls(path, items, exists)

    @classmethod
    def load(cls, path):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return cls(path, exists=False)
        return cls.parse(path, data.decode("utf-8", "surrogateescape"))

    def render(self):
        parts = []
        for item in self.items:
            if item is None:
                continue
            text = item.raw if isinstance(item, Range) else item
            if parts and not parts[-1].endswith("\n"):
                # Only a last line can lack its newline; something now follows it.
                parts[-1] += "\n"
            parts.append(text)
        return "".join(parts)

    def ranges(self):
        return [item for item in self.items if isinstance(item, Range)]

    def owned_by(self, keys):
        found = []
        for key in keys:
            found.extend(self._by_owner.get(key, ()))
        if len(found) > 1:
            found.sort(key=self.items.index)
        return found

    def replace(self, keys, new_range):
        """Put new_range where the owner's first entry was (or append); drop the others."""
        old = self.owned_by(keys)
        if old:
            first = self.items.index(old[0])
            for r in old:
                self.items[self.items.index(r)] = None
                r.dead = True
            self.items[first] = new_range
        else:
            self.items.append(new_range)
        for key in keys:
            self._by_owner.pop(key, None)
        self._by_owner.setdefault(new_range.owner, []).append(new_range)
        return old

    def remove(self, keys):
        old = self.owned_by(keys)
        for r in old:
            self.items[self.items.index(r)] = None
            r.dead = True
        for key in keys:
            self._by_owner.pop(key, None)
        return old


class IntervalSet:
    """Disjoint, sorted half-open intervals; overlapping or touching ones merge."""

    def __init__(self, intervals=()):
        self._starts = []
        self._ends = []
        for start, end in sorted(intervals):
            if self._ends and start <= self._ends[-1]:
                self._ends[-1] = max(self._ends[-1], end)
            else:
                self._starts.append(start)
                self._ends.append(end)

    def add(self, start, end):
        i = bisect.bisect_left(self._ends, start)
        j = bisect.bisect_right(self._starts, end)
        if i < j:
            start = min(start, self._starts[i])
            end = max(end, self._ends[j - 1])
        self._starts[i:j] = [start]
        self._ends[i:j] = [end]

    def first_fit(self, count, low, high):
        """Lowest start >= low whose [start, start+count) is free and ends by high."""
        candidate = low
        i = bisect.bisect_right(self._ends, candidate)
        while candidate + count <= high:
            if i == len(self._starts) or self._starts[i] >= candidate + count:
                return candidate
            candidate = max(candidate, self._ends[i])
            i += 1
        return None


class RangeIndex:
    """Every range of both files, sorted by start, with the file each is in.

    Answers "which ranges meet [start, end)" by bisecting on start and walking
    back only as far as the longest range could reach.
    """

    def __init__(self, files):
        entries = sorted(((r.start, f.path, r) for f in files.values() for r in f.ranges()), key=lambda e: e[0])
        self._starts = [e[0] for e in entries]
        self._entries = [(e[1], e[2]) for e in entries]
        self._longest = max((entry[1].count for entry in self._entries), default=0)

    def add(self, path, r):
        i = bisect.bisect_right(self._starts, r.start)
        self._starts.insert(i, r.start)
        self._entries.insert(i, (path, r))
        self._longest = max(self._longest, r.count)

    def meeting(self, start, end, exclude_owners=()):
        hits = []
        i = bisect.bisect_left(self._starts, end) - 1
        while i >= 0 and self._starts[i] + self._longest > start:
            path, r = self._entries[i]
            if r.end > start and not r.dead and r.owner not in exclude_owners:
                hits.append((path, r))
            i -= 1
        hits.reverse()
        return hits


def parse_login_defs(text, path):
    """The SUB_* and UID_MIN keys of login.defs, shadow's defaults for the rest."""
    values = dict(LOGIN_DEFS_DEFAULTS)
    for lineno, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#") or fields[0] not in LOGIN_DEFS_DEFAULTS:
            continue
        try:
            values[fields[0]] = _parse_id(fields[1])
        except ValueError:
            raise SubidError("%s is %r, not a number" % (fields[0], fields[1]), path, lineno) from None
    for kind in KINDS:
        prefix = KEY_PREFIX[kind]
        low, high = values[prefix + "MIN"], values[prefix + "MAX"]
        if low > high or high >= ID_LIMIT:
            raise SubidError(
                "%sMIN %d .. %sMAX %d is not a usable range of ids" % (prefix, low, prefix, high),
                path,
            )
    return values


def load_login_defs(path):
    try:
        with open(path) as f:
            return parse_login_defs(f.read(), path)
    except FileNotFoundError:
        return dict(LOGIN_DEFS_DEFAULTS)


def subid_source(nsswitch_text):
    """The sources nsswitch.conf names for ``subid:``; [] when it names none."""
    for raw in nsswitch_text.splitlines():
        key, sep, rest = raw.split("#", 1)[0].partition(":")
        if sep and key.strip() == "subid":
            return [word for word in rest.split() if not word.startswith("[")]
    return []


class Request:
    """What one user should have: resolved name and uid plus explicit settings."""

    __slots__ = ("count", "name", "start", "uid")

    def __init__(self, name, uid=None, start=None, count=None):
        self.name = name
        self.uid = uid
        self.start = start
        self.count = count

    @property
    def keys(self):
        # A file may name the owner by user name or by UID: both are this user.
        return (self.name,) if self.uid is None else (self.name, str(self.uid))


class Planner:
    """Computes the new content of both files before anything is written.

    ``files`` maps "subuid"/"subgid" to SubidFile; ``kinds`` the ones to manage.
    Allocation avoids every range of every other owner in *both* files, so a
    user's uid and gid ranges never collide with anyone's.
    """

    def __init__(self, files, kinds, defs, strategy="first_fit", force=False):
        self.files = files
        self.kinds = kinds
        self.defs = defs
        self.strategy = strategy
        self.force = force
        self.warnings = []
        self._occupied = IntervalSet((r.start, r.end) for f in files.values() for r in f.ranges())
        self._index = RangeIndex(files)
        self._added = []  # (keys, path, Range) this run wrote, for verify()
        # first_fit's answer for a given (count, low, high) only moves up while
        # ranges are added, so each search resumes where the last one ended:
        # bulk allocation stays linear in the file size.
        self._resume = {}

    def bounds(self, kind):
        prefix = KEY_PREFIX[kind]
        return self.defs[prefix + "MIN"], self.defs[prefix + "MAX"] + 1

    def default_count(self, kind):
        return self.defs[KEY_PREFIX[kind] + "COUNT"]

    # -- conflicts -------------------------------------------------------------

    def _others_overlapping(self, keys, start, end):
        """Every other owner's range in either file that meets [start, end)."""
        return self._index.meeting(start, end, keys)

    def _conflict_message(self, hits):
        return "; ".join("%s line %s has %s" % (path, r.lineno or "(new)", r.describe()) for path, r in hits)

    # -- placement -------------------------------------------------------------

    def _deterministic_start(self, request, kind, count):
        if request.uid is None:
            raise SubidError("strategy deterministic needs the uid of user %r" % request.name)
        uid_min = self.defs["UID_MIN"]
        if request.uid < uid_min:
            raise SubidError(
                "strategy deterministic: uid %d of user %r is below UID_MIN %d" % (request.uid, request.name, uid_min)
            )
        low, high = self.bounds(kind)
        start = low + (request.uid - uid_min) * count
        if start + count > high:
            raise SubidError(
                "strategy deterministic: user %r (uid %d) maps to %d:%d, past %sMAX %d"
                % (request.name, request.uid, start, count, KEY_PREFIX[kind], high - 1)
            )
        return start

    def _fits(self, keys, start, count, kinds):
        for kind in kinds:
            low, high = self.bounds(kind)
            if start < low or start + count > high:
                return False
        return not self._others_overlapping(keys, start, start + count)

    def _allocate(self, request, count, kinds, preferred):
        """A start free in every file of ``kinds``, preferring ones the user already has."""
        keys = request.keys
        if self.strategy == "deterministic":
            starts = {self._deterministic_start(request, kind, count) for kind in kinds}
            if len(starts) > 1:
                raise SubidError(
                    "strategy deterministic gives user %r different starts %s in subuid and subgid "
                    "(SUB_UID_MIN and SUB_GID_MIN differ); manage each kind separately" % (request.name, sorted(starts))
                )
            start = starts.pop()
            hits = self._others_overlapping(keys, start, start + count)
            if hits:
                raise SubidError(
                    "strategy deterministic: range %d:%d of user %r overlaps another owner: %s"
                    % (start, count, request.name, self._conflict_message(hits))
                )
            return start
        for start in preferred:
            if self._fits(keys, start, count, kinds):
                return start
        low = max(self.bounds(kind)[0] for kind in kinds)
        high = min(self.bounds(kind)[1] for kind in kinds)
        owned = [r for kind in kinds for r in self.files[kind].owned_by(keys)]
        if owned:
            # The user's own old ranges are about to be replaced: they do not block.
            space = IntervalSet(
                (r.start, r.end) for f in self.files.values() for r in f.ranges() if r.owner not in keys
            )
            start = space.first_fit(count, low, high)
        else:
            resume_key = (count, low, high)
            start = self._occupied.first_fit(count, self._resume.get(resume_key, low), high)
            if start is not None:
                self._resume[resume_key] = start
        if start is None:
            names = " and ".join(
                "%sMIN %d .. %sMAX %d" % (KEY_PREFIX[k], self.bounds(k)[0], KEY_PREFIX[k], self.bounds(k)[1] - 1)
                for k in kinds
            )
            raise SubidError(
                "no free range of %d ids left for user %r within %s in %s"
                % (count, request.name, names, ", ".join(self.files[k].path for k in kinds))
            )
        return start

    # -- per-user decisions ----------------------------------------------------

    def _problems(self, request, kind, owned):
        """Why the ranges a user already has are not acceptable as they are."""
        problems = []
        for r in owned:
            hits = self._others_overlapping(request.keys, r.start, r.end)
            if hits:
                problems.append(
                    "%s line %d: %s overlaps another owner (%s)"
                    % (self.files[kind].path, r.lineno, r.describe(), self._conflict_message(hits))
                )
        if request.count is not None and not any(r.count == request.count for r in owned):
            problems.append(
                "%s: %s has %s, not the requested count %d"
                % (self.files[kind].path, request.name, ", ".join(r.describe() for r in owned), request.count)
            )
        if self.strategy == "deterministic":
            count = request.count if request.count is not None else self.default_count(kind)
            want = self._deterministic_start(request, kind, count)
            if not any(r.start == want and r.count == count for r in owned):
                problems.append(
                    "%s: %s has %s, not the deterministic range %d:%d"
                    % (self.files[kind].path, request.name, ", ".join(r.describe() for r in owned), want, count)
                )
        return problems

    def _set(self, request, kind, start, count):
        new = Range(request.name, start, count)
        self.files[kind].replace(request.keys, new)
        self._occupied.add(start, start + count)
        self._index.add(self.files[kind].path, new)
        self._added.append((request.keys, self.files[kind].path, new))
        return new

    def ensure_present(self, request):
        """Plan one user's ranges; returns (changed, {kind: Range or None})."""
        changed = False
        kinds = list(self.kinds)
        if request.start is not None:
            count = request.count if request.count is not None else self.default_count(kinds[0])
            if request.start + count > ID_LIMIT:
                raise SubidError(
                    "start %d with count %d reaches id %d, past the last valid id %d"
                    % (request.start, count, request.start + count - 1, ID_LIMIT - 1)
                )
            hits = self._others_overlapping(request.keys, request.start, request.start + count)
            if hits:
                raise SubidError(
                    "start %d count %d for user %r overlaps another owner: %s"
                    % (request.start, count, request.name, self._conflict_message(hits))
                )
            for kind in kinds:
                owned = self.files[kind].owned_by(request.keys)
                if not (len(owned) == 1 and owned[0].start == request.start and owned[0].count == count):
                    self._set(request, kind, request.start, count)
                    changed = True
            return changed, self.current(request)

        needs = []
        for kind in kinds:
            owned = self.files[kind].owned_by(request.keys)
            if not owned:
                needs.append(kind)
                continue
            problems = self._problems(request, kind, owned)
            if not problems:
                continue
            if self.force:
                needs.append(kind)
            else:
                self.warnings.extend(p + "; kept (force: true replaces it)" for p in problems)
        if needs:
            # Prefer a start the user already holds in another managed file, then
            # its old start in the file itself, so "both" ends with equal starts.
            preferred = []
            for kind in kinds:
                preferred.extend(r.start for r in self.files[kind].owned_by(request.keys) if kind not in needs)
            for kind in needs:
                preferred.extend(r.start for r in self.files[kind].owned_by(request.keys))
            count = request.count if request.count is not None else self.default_count(needs[0])
            start = self._allocate(request, count, needs, preferred)
            for kind in needs:
                self._set(request, kind, start, count)
            changed = True
        return changed, self.current(request)

    def ensure_absent(self, request):
        changed = False
        for kind in self.kinds:
            if self.files[kind].remove(request.keys):
                changed = True
        return changed, self.current(request)

    def verify(self):
        """Re-check the plan with the range index: nothing this run wrote meets another owner."""
        for keys, path, r in self._added:
            if r.dead:
                continue
            hits = self._others_overlapping(keys, r.start, r.end)
            if hits:
                raise SubidError(
                    "internal error: planned %s overlaps %s" % (r.describe(), self._conflict_message(hits)), path
                )

    def current(self, request):
        result = {}
        for kind in KINDS:
            owned = self.files[kind].owned_by(request.keys) if kind in self.files else []
            result[kind] = owned[0].as_dict() if owned else None
            result[kind + "_ranges"] = [r.as_dict() for r in owned]
        return result


class ShadowLock:
    """The lock shadow's commonio takes: hard-link ``PATH.PID`` to ``PATH.lock``.

    useradd, usermod and newusers take the same lock, so none of them can
    interleave with a module run. A lock whose holder no longer exists is stale
    and is broken, as shadow does.
    """

    def __init__(self, path, timeout=30.0):
        self.path = path
        self.lock_path = path + ".lock"
        self.timeout = timeout
        self.held = False

    def _holder(self):
        try:
            with open(self.lock_path) as f:
                text = f.read().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else text

    @staticmethod
    def _alive(pid):
        try:
            os.kill(pid, 0)
        except OSError as e:
            return e.errno != errno.ESRCH
        return True

    def acquire(self):
        pid_path = "%s.%d" % (self.path, os.getpid())
        with open(pid_path, "w") as f:
            f.write(str(os.getpid()))
        deadline = time.monotonic() + self.timeout
        delay = 0.01
        try:
            while True:
                try:
                    os.link(pid_path, self.lock_path)
                except FileExistsError:
                    holder = self._holder()
                    if isinstance(holder, int) and not self._alive(holder):
                        # Stale: its holder died without unlinking it.
                        try:
                            os.unlink(self.lock_path)
                        except FileNotFoundError:
                            pass
                        continue
                    if time.monotonic() >= deadline:
                        raise SubidError(
                            "could not lock %s within %g s: %s is held by %s"
                            % (
                                self.path,
                                self.timeout,
                                self.lock_path,
                                "pid %d" % holder if isinstance(holder, int) else repr(holder),
                            )
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.25)
                    continue
                if os.stat(pid_path).st_nlink != 2:
                    raise SubidError("could not lock %s: link count of %s is not 2" % (self.path, pid_path))
                self.held = True
                return
        finally:
            os.unlink(pid_path)

    def release(self):
        if self.held:
            os.unlink(self.lock_path)
            self.held = False

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()
        return False
