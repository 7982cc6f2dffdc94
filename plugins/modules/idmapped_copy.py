#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: idmapped_copy
short_description: Copy container data between user namespaces, keeping owners as the container sees them
version_added: 0.1.0
description:
  - Makes the directory O(dest) hold what O(src) holds, with every owner translated so that a
    container sees the same uid and gid on both sides. A Docker volume (rootful, host id =
    container id) moves into a rootless user's storage, where container uid 1000 is, for example,
    the user itself under C(keep-id:uid=1000) or a subordinate id otherwise; O(src_user) and
    O(dest_user) with O(src_userns) and O(dest_userns) say which namespace each side belongs to.
  - Plans first and acts only on real differences; a second run with nothing changed on either side
    changes nothing. Files are compared by size and modification time, and also by SHA-256 with
    O(checksum=true). Each file is written beside its final name and renamed into place.
  - Regular files, directories and symbolic links are carried with permission bits, owner and
    modification time. Other file types (sockets, FIFOs, devices) are not copied and are listed in
    RV(skipped). Hard links become separate files; extended attributes and ACLs are not carried.
  - Fails, changing nothing, when a source owner falls outside the source namespace's map or maps
    to no host id on the destination side (for example a uid beyond the user's subordinate range).
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - b4arena.rootless.attributes
options:
  src:
    description: Directory to copy from. Its contents are copied, not the directory itself.
    type: path
    required: true
  dest:
    description: Directory to copy into; created (with the source root's owner and mode) when missing.
    type: path
    required: true
  src_user:
    description:
      - The rootless user whose namespace O(src) belongs to. Unset means rootful (Docker without
        C(userns-remap)), where every container id is the same host id.
    type: str
  src_userns:
    description: The C(--userns) the source side's containers run with; used with O(src_user).
    type: str
    default: default
  dest_user:
    description: The rootless user whose namespace O(dest) belongs to; unset means rootful.
    type: str
  dest_userns:
    description:
      - The C(--userns) the destination side's containers run with, used with O(dest_user).
        V(default) (no C(--userns)), V(keep-id), or V(keep-id:uid=N,gid=N).
    type: str
    default: default
  delete:
    description: Remove what O(dest) holds that O(src) does not. Off, nothing in O(dest) is removed.
    type: bool
    default: false
  checksum:
    description: Compare file contents by SHA-256 too, not only size and modification time.
    type: bool
    default: false
  verify:
    description:
      - After copying, read both trees again and compare a digest of every path, type, mode,
        container owner and SHA-256; fail when they differ. With O(delete=false) only the paths of
        O(src) are compared.
    type: bool
    default: true
notes:
  - Needs root on the host (it reads and writes files of many owners).
"""

EXAMPLES = r"""
- name: Docker volume openclaw-state into the rootless Podman volume of the same name
  b4arena.rootless.idmapped_copy:
    src: /var/lib/docker/volumes/openclaw-state/_data
    dest: /home/openclaw/.local/share/containers/storage/volumes/openclaw-state/_data
    dest_user: openclaw
    dest_userns: keep-id:uid=1000,gid=1000
    delete: true

- name: Back again on rollback, keeping what the Podman side wrote
  b4arena.rootless.idmapped_copy:
    src: /home/openclaw/.local/share/containers/storage/volumes/openclaw-state/_data
    src_user: openclaw
    src_userns: keep-id:uid=1000,gid=1000
    dest: /var/lib/docker/volumes/openclaw-state/_data
"""

RETURN = r"""
counts:
  description: Number of entries created, updated (content or type), changed in metadata only, and removed.
  returned: always
  type: dict
  sample: {create: 312, update: 0, meta: 0, remove: 0}
changes:
  description: The first 100 actions, each with the relative path and what differed.
  returned: always
  type: list
  elements: dict
  sample: [{op: create, path: notes/a.txt, what: [kind]}]
skipped:
  description: Relative paths of source entries of other types, not copied.
  returned: always
  type: list
  elements: str
entries:
  description: Number of entries in O(src) (the root directory included).
  returned: always
  type: int
bytes:
  description: Total size of the regular files in O(src).
  returned: always
  type: int
digest:
  description:
    - SHA-256 over every path, type, mode, container owner and content of O(dest) after the run,
      equal to the digest of O(src). Compare it with another run's to prove nothing changed.
  returned: when O(verify=true) and not in check mode
  type: str
uid_map:
  description: The destination's map from container uid to host uid, as extents.
  returned: always
  type: list
  elements: dict
"""

import os
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.b4arena.rootless.plugins.module_utils._datacopy import (
    CopyError,
    apply,
    manifest_digest,
    plan,
    scan,
)
from ansible_collections.b4arena.rootless.plugins.module_utils._idmap import IdMap, IdMapError, rootless_map
from ansible_collections.b4arena.rootless.plugins.module_utils._subid import SubidError, SubidFile

CHANGES_SHOWN = 100


def namespace_maps(module, side):
    """(uid map, gid map) of one side, failing with the option's name on a bad value."""
    user = module.params["%s_user" % side]
    userns = module.params["%s_userns" % side]
    if not user:
        return IdMap.identity(), IdMap.identity()
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        module.fail_json(msg="%s_user: user %r does not exist" % (side, user))
    maps = []
    for which, path, own_id in (("uid", "/etc/subuid", entry.pw_uid), ("gid", "/etc/subgid", entry.pw_gid)):
        try:
            ranges = SubidFile.load(path).owned_by((entry.pw_name, str(entry.pw_uid)))
        except SubidError as e:
            module.fail_json(msg=str(e))
        if not ranges:
            module.fail_json(msg="%s_user: %r has no subordinate range in %s" % (side, user, path))
        try:
            maps.append(rootless_map(own_id, [(r.start, r.count) for r in ranges], userns, which))
        except IdMapError as e:
            module.fail_json(msg="%s_userns: %s" % (side, e))
    return maps[0], maps[1]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            src_user=dict(type="str"),
            src_userns=dict(type="str", default="default"),
            dest_user=dict(type="str"),
            dest_userns=dict(type="str", default="default"),
            delete=dict(type="bool", default=False),
            checksum=dict(type="bool", default=False),
            verify=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    src, dest = os.path.abspath(p["src"]), os.path.abspath(p["dest"])
    if not os.path.isdir(src):
        module.fail_json(msg="src: %s is not a directory" % src)
    if src == dest or dest.startswith(src + os.sep) or src.startswith(dest + os.sep):
        module.fail_json(msg="dest: %s and src %s overlap" % (dest, src))
    if os.path.lexists(dest) and not os.path.isdir(dest):
        module.fail_json(msg="dest: %s exists and is not a directory" % dest)
    src_uids, src_gids = namespace_maps(module, "src")
    dest_uids, dest_gids = namespace_maps(module, "dest")

    try:
        source, skipped = scan(src, src_uids, src_gids)
        existing = scan(dest, dest_uids, dest_gids)[0] if os.path.isdir(dest) else {}
        actions = plan(
            source,
            existing,
            dest_uids,
            dest_gids,
            delete=p["delete"],
            checksum=p["checksum"],
            src_root=src,
            dest_root=dest,
        )
    except (CopyError, OSError) as e:
        module.fail_json(msg="src %s: %s" % (src, e))

    counts = {op: sum(1 for a in actions if a.op == op) for op in ("create", "update", "meta", "remove")}
    result = dict(
        changed=bool(actions),
        counts=counts,
        changes=[a.as_dict() for a in actions[:CHANGES_SHOWN]],
        skipped=skipped,
        entries=len(source),
        bytes=sum(e.size for e in source.values()),
        uid_map=dest_uids.as_list(),
    )
    if module._diff and actions:
        shown = ["%s %s (%s)" % (a.op, a.path, ", ".join(a.what)) for a in actions[:CHANGES_SHOWN]]
        if len(actions) > CHANGES_SHOWN:
            shown.append("... and %d more" % (len(actions) - CHANGES_SHOWN))
        result["diff"] = {
            "before_header": dest,
            "after_header": "%s (as %s)" % (dest, src),
            "before": "",
            "after": "\n".join(shown) + "\n",
        }
    if module.check_mode:
        module.exit_json(**result)

    try:
        if actions:
            apply(actions, source, src, dest, uid_map=dest_uids, gid_map=dest_gids)
        if p["verify"]:
            copied = scan(dest, dest_uids, dest_gids)[0]
            if not p["delete"]:
                copied = {path: e for path, e in copied.items() if path in source}
            want, got = manifest_digest(source, src), manifest_digest(copied, dest)
            if want != got:
                module.fail_json(
                    msg="dest %s does not read back equal to src %s after the copy" % (dest, src), **result
                )
            result["digest"] = got
    except (CopyError, OSError) as e:
        module.fail_json(msg="copying %s to %s: %s" % (src, dest, e), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
