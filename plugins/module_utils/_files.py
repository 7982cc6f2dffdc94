# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way this collection writes a file: temp file beside it, validate, atomic_move."""

from __future__ import annotations

import os
import tempfile


def text_diff(path, before, after):
    """An Ansible diff entry with headers naming the file."""
    return {
        "before_header": "%s (before)" % path,
        "after_header": "%s (after)" % path,
        "before": before,
        "after": after,
    }


def write_atomically(module, path, content, *, backup=False, validate=None, mode=0o644):
    """Write ``content`` (str) to ``path`` without a window where it is half written.

    The temp file lives in the destination directory so the final rename stays on
    one filesystem. ``validate(temp_path)`` may raise to abort before anything is
    replaced. An existing file keeps its mode, owner and SELinux context
    (atomic_move copies them); a new one gets ``mode``. Returns the backup path
    or None.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8", "surrogateescape"))
            f.flush()
            os.fsync(f.fileno())
        if validate is not None:
            validate(tmp)
        creating = not os.path.exists(path)
        backup_file = module.backup_local(path) if backup and not creating else None
        module.atomic_move(tmp, path)
        if creating:
            # atomic_move derives a new file's mode from the umask; state it instead.
            os.chmod(path, mode)
        return backup_file
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
