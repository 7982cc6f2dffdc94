# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Options of every module that runs Podman through module_utils/_podman.py.
    DOCUMENTATION = r"""
options:
  run_as:
    description:
      - Run Podman as this user (rootless), not as the user Ansible connected as or became.
      - Needs root. Podman runs through C(setpriv) with the user's UID, GID and groups, a clean
        environment (C(HOME), C(USER), C(XDG_RUNTIME_DIR=/run/user/UID), C(DBUS_SESSION_BUS_ADDRESS)
        when the user bus exists, C(LC_ALL=C)) and no login shell.
      - The user must have a runtime directory (C(loginctl enable-linger USER)) and a range in both
        C(/etc/subuid) and C(/etc/subgid); the module fails saying which is missing.
      - Without it, Podman runs as the current user, with C(XDG_RUNTIME_DIR) set when missing.
    type: str
  executable:
    description: The podman binary, by name on C(PATH) or by path.
    type: str
    default: podman
notes:
  - Every command runs as an argument list with C(LC_ALL=C); output is read with C(--format json).
    In check mode only read-only commands run.
"""
