#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: subid
short_description: Allocate non-overlapping subordinate UID/GID ranges (/etc/subuid, /etc/subgid)
version_added: 0.1.0
description:
  - Gives each user its own range of subordinate IDs for rootless containers, distinct from
    every other owner's range in both C(/etc/subuid) and C(/etc/subgid).
  - A new range goes into the first free hole at or above C(SUB_UID_MIN)/C(SUB_GID_MIN) whose
    last id stays within C(SUB_UID_MAX)/C(SUB_GID_MAX) (read from O(login_defs)), or, with
    O(strategy=deterministic), at C(MIN + (uid - UID_MIN) * count) so a user gets the same range
    on every host of a fleet.
  - A user that already has a range keeps it (no churn). A range of the wrong count, one that
    overlaps another owner, or one off its deterministic place is reported in the warnings and
    kept unless O(force=true).
  - Lines of other owners, comments and blank lines are kept byte for byte. The file is changed
    under the same lock C(useradd) and C(usermod) take (C(FILE.lock), linked the way shadow's
    commonio does), written to a temp file, re-parsed, then moved into place.
  - After a user's range changes, run C(podman system migrate) as that user.
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - b4arena.rootless.attributes
options:
  name:
    description:
      - The user whose ranges to manage.
      - The user must exist unless O(uid) is given or O(state=absent).
      - Mutually exclusive with O(users).
    type: str
  users:
    description:
      - Several users in one call; allocations are planned together and written once.
      - Every user must exist for O(state=present). Unknown users are all named in one error.
      - Mutually exclusive with O(name), O(uid) and O(start).
    type: list
    elements: str
  uid:
    description:
      - UID of O(name), for a user that does not exist on the managed host (for example in a
        chroot whose files O(subuid_file) and O(subgid_file) point into).
      - When the user exists and has another UID, the module fails.
      - Lines whose owner is this UID belong to the user as much as lines naming it.
    type: int
  state:
    description:
      - V(present) ensures each user has a range in the files of O(kind).
      - V(absent) removes every range of the user (by name or UID) from the files of O(kind),
        and nothing else.
    type: str
    choices: [present, absent]
    default: present
  count:
    description:
      - Number of subordinate ids in a new range.
      - Defaults to C(SUB_UID_COUNT) (C(SUB_GID_COUNT) for O(kind=subgid)) from O(login_defs),
        else 65536.
      - When given, an existing range of another count is reported and kept unless O(force=true).
    type: int
  start:
    description:
      - First id of the range, instead of allocating one. Only with O(name).
      - The range O(start)..O(start)+O(count)-1 must overlap no other owner's range in either
        file and stay below id 4294967295; the user's ranges become exactly this one.
    type: int
  kind:
    description:
      - Which files to manage. V(both) gives the user the same start in both, as C(useradd) does.
    type: str
    choices: [both, subuid, subgid]
    default: both
  strategy:
    description:
      - V(first_fit) allocates the lowest free hole.
      - V(deterministic) places the range at C(SUB_UID_MIN + (uid - UID_MIN) * count), as shadow's
        C(SUB_UID_DETERMINISTIC) does, and fails when that place overlaps another owner.
    type: str
    choices: [first_fit, deterministic]
    default: first_fit
  force:
    description:
      - Replace an existing range that has the wrong count, overlaps another owner's range, or
        (with O(strategy=deterministic)) is not at its deterministic place.
      - The replacement keeps the old start when it still fits and overlaps nothing.
    type: bool
    default: false
  subuid_file:
    description: Path of the subordinate UID file.
    type: path
    default: /etc/subuid
  subgid_file:
    description: Path of the subordinate GID file.
    type: path
    default: /etc/subgid
  login_defs:
    description:
      - Path of login.defs, read for C(SUB_UID_MIN), C(SUB_UID_MAX), C(SUB_UID_COUNT), the
        C(SUB_GID_*) keys and C(UID_MIN). Shadow's defaults apply when it or a key is missing.
    type: path
    default: /etc/login.defs
  nsswitch_conf:
    description:
      - Path of nsswitch.conf. When its C(subid:) line names a source other than C(files)
        (for example C(sss)), the files are not where ranges come from, and the module fails
        without changing anything.
    type: path
    default: /etc/nsswitch.conf
  lock_timeout:
    description: Seconds to wait for another holder of C(FILE.lock) before failing.
    type: float
    default: 30
  backup:
    description: Keep a timestamped copy of each file the module changes.
    type: bool
    default: false
notes:
  - Files are read and planned while both locks are held, so two concurrent runs (or a run and
    a C(useradd)) cannot hand out the same ids. Check mode takes no lock and writes nothing.
seealso:
  - name: subuid(5)
    description: The file format.
    link: https://man7.org/linux/man-pages/man5/subuid.5.html
"""

EXAMPLES = r"""
- name: Give the sandbox user its subordinate ranges
  b4arena.rootless.subid:
    name: openclaw

- name: Allocate ranges for a fleet of agent users in one call, the same on every host
  b4arena.rootless.subid:
    users: "{{ agent_users }}"
    strategy: deterministic
    count: 65536
    backup: true

- name: Pin a user's range explicitly
  b4arena.rootless.subid:
    name: builder
    start: 300000
    count: 131072

- name: Remove a departed user's ranges
  b4arena.rootless.subid:
    name: olduser
    state: absent
"""

RETURN = r"""
users:
  description: One entry per requested user, in request order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: User name.
      type: str
    uid:
      description: UID, or null for an unknown user being removed.
      type: int
    changed:
      description: Whether this user's ranges changed (or would, in check mode).
      type: bool
    subuid:
      description: The user's first subordinate UID range after the run, or null.
      type: dict
      sample: {start: 100000, count: 65536}
    subgid:
      description: The user's first subordinate GID range after the run, or null.
      type: dict
      sample: {start: 100000, count: 65536}
    subuid_ranges:
      description: All of the user's subordinate UID ranges after the run.
      type: list
      elements: dict
    subgid_ranges:
      description: All of the user's subordinate GID ranges after the run.
      type: list
      elements: dict
subuid:
  description: With O(name), the user's first subordinate UID range after the run.
  returned: when name is given
  type: dict
  sample: {start: 100000, count: 65536}
subgid:
  description: With O(name), the user's first subordinate GID range after the run.
  returned: when name is given
  type: dict
  sample: {start: 100000, count: 65536}
backup_files:
  description: Backups made, one per changed file, when O(backup=true).
  returned: changed and backup
  type: list
  elements: str
"""

import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.b4arena.rootless.plugins.module_utils._files import text_diff, write_atomically
from ansible_collections.b4arena.rootless.plugins.module_utils._subid import (
    ID_LIMIT,
    KINDS,
    Planner,
    Request,
    ShadowLock,
    SubidError,
    SubidFile,
    load_login_defs,
    subid_source,
)


def bad_name(name):
    return not name or ":" in name or any(c.isspace() for c in name)


def check_params(module):
    """Refuse bad input before touching anything, naming the field and the value."""
    p = module.params
    names = [p["name"]] if p["name"] is not None else p["users"]
    if not names:
        module.fail_json(msg="users: the list is empty; name at least one user")
    for name in names:
        if bad_name(name):
            field = "name" if p["name"] is not None else "users"
            module.fail_json(
                msg="%s: %r is not a valid user name (empty, or contains ':' or whitespace)" % (field, name)
            )
    if p["count"] is not None and p["count"] < 1:
        module.fail_json(msg="count: %r must be at least 1" % p["count"])
    if p["start"] is not None and p["start"] < 0:
        module.fail_json(msg="start: %r must not be negative" % p["start"])
    if p["start"] is not None and p["start"] >= ID_LIMIT:
        module.fail_json(msg="start: %r is past the last valid id %d" % (p["start"], ID_LIMIT - 1))
    if p["uid"] is not None and not 0 <= p["uid"] < ID_LIMIT:
        module.fail_json(msg="uid: %r is not a valid UID" % p["uid"])
    if p["lock_timeout"] < 0:
        module.fail_json(msg="lock_timeout: %r must not be negative" % p["lock_timeout"])
    if p["subuid_file"] == p["subgid_file"]:
        module.fail_json(msg="subuid_file and subgid_file are both %r; they must be two files" % p["subuid_file"])
    if p["state"] == "absent" and (p["start"] is not None or p["count"] is not None):
        module.fail_json(msg="start and count do not apply to state=absent")
    return names


def check_nsswitch(module):
    try:
        with open(module.params["nsswitch_conf"]) as f:
            sources = subid_source(f.read())
    except FileNotFoundError:
        return
    if sources and sources != ["files"]:
        module.fail_json(
            msg="%s sends subid to %s, not files: subordinate ranges do not come from %s and %s, "
            "so this module changes nothing; manage them in that source"
            % (
                module.params["nsswitch_conf"],
                " ".join(sources),
                module.params["subuid_file"],
                module.params["subgid_file"],
            )
        )


def resolve(module, names):
    """Requests with UIDs; every unknown user is named in one failure."""
    p = module.params
    requests, unknown = [], []
    for name in names:
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            uid = None
        if p["uid"] is not None:
            if uid is not None and uid != p["uid"]:
                module.fail_json(msg="uid: %d given for user %r, but %r has uid %d" % (p["uid"], name, name, uid))
            uid = p["uid"]
        if uid is None and p["state"] == "present":
            unknown.append(name)
        requests.append(Request(name, uid, p["start"], p["count"]))
    if unknown:
        module.fail_json(
            msg="unknown user%s: %s (create %s first, or give uid for a user of another root)"
            % ("s" if len(unknown) > 1 else "", ", ".join(unknown), "them" if len(unknown) > 1 else "it")
        )
    return requests


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            users=dict(type="list", elements="str"),
            uid=dict(type="int"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            count=dict(type="int"),
            start=dict(type="int"),
            kind=dict(type="str", choices=["both", "subuid", "subgid"], default="both"),
            strategy=dict(type="str", choices=["first_fit", "deterministic"], default="first_fit"),
            force=dict(type="bool", default=False),
            subuid_file=dict(type="path", default="/etc/subuid"),
            subgid_file=dict(type="path", default="/etc/subgid"),
            login_defs=dict(type="path", default="/etc/login.defs"),
            nsswitch_conf=dict(type="path", default="/etc/nsswitch.conf"),
            lock_timeout=dict(type="float", default=30),
            backup=dict(type="bool", default=False),
        ),
        required_one_of=[("name", "users")],
        mutually_exclusive=[("name", "users"), ("users", "uid"), ("users", "start")],
        supports_check_mode=True,
    )
    p = module.params
    names = check_params(module)
    check_nsswitch(module)
    requests = resolve(module, names)
    kinds = list(KINDS) if p["kind"] == "both" else [p["kind"]]
    paths = {"subuid": p["subuid_file"], "subgid": p["subgid_file"]}

    # Lock in shadow's order (subuid, then subgid); check mode writes nothing, not even a lock.
    locks = [] if module.check_mode else [ShadowLock(paths[k], p["lock_timeout"]) for k in KINDS]
    held = []
    try:
        for lock in locks:
            lock.acquire()
            held.append(lock)
        defs = load_login_defs(p["login_defs"])
        files = {k: SubidFile.load(paths[k]) for k in KINDS}
        before = {k: files[k].render() for k in KINDS}
        planner = Planner(files, kinds, defs, p["strategy"], p["force"])
        results = []
        for request in requests:
            if p["state"] == "present":
                changed, ranges = planner.ensure_present(request)
            else:
                changed, ranges = planner.ensure_absent(request)
            results.append(dict(name=request.name, uid=request.uid, changed=changed, **ranges))
        planner.verify()

        diffs, backups = [], []
        for kind in kinds:
            after = files[kind].render()
            if after == before[kind]:
                continue
            diffs.append(text_diff(paths[kind], before[kind], after))
            if not module.check_mode:
                backup = write_atomically(
                    module,
                    paths[kind],
                    after,
                    backup=p["backup"],
                    validate=SubidFile.load,
                )
                if backup:
                    backups.append(backup)
    except SubidError as e:
        module.fail_json(msg=str(e))
    finally:
        for lock in reversed(held):
            lock.release()

    for warning in planner.warnings:
        module.warn(warning)
    result = dict(changed=bool(diffs), users=results)
    if p["name"] is not None:
        result.update(subuid=results[0]["subuid"], subgid=results[0]["subgid"])
    if backups:
        result["backup_files"] = backups
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
