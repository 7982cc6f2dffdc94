# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_report
short_description: The fleet report of a rollout, from each host's rootless_migrate_result
version_added: 0.3.0
description:
  - Per host, in rollout order - its batch, the status (C(migrated), C(failed), C(not reached), C(planned) in check
    mode, or the phase it stopped at), the phase reached, whether Docker still serves, where and why it failed, the
    run's wall time and each phase's seconds, what was carried over and what was refused, what verification saw,
    and the template audit summary.
  - For the rollout - the wall time so far, the counts by status, each batch's failure share, whether every host was
    reached, and the health gate (closed by any host that failed after it had cut over).
author:
  - b4arena infrastructure team (@b4arena)
options:
  _input:
    description: The rollout plan from P(b4arena.rootless.rollout_plan#filter).
    type: dict
    required: true
  results:
    description:
      - Host name to its C(rootless_migrate_result), or null when the host was not reached. An C(audit) key in a
        result, the C(summary) of a P(b4arena.rootless.template_audit#module) run, is reported with the host.
    type: dict
    required: true
  now:
    description: The time of the report, seconds since the epoch; the current time when unset.
    type: float
"""

EXAMPLES = r"""
- name: Write the fleet report
  ansible.builtin.copy:
    dest: /srv/reports/fleet.json
    content: "{{ fleet_plan | b4arena.rootless.fleet_report(results) | to_nice_json }}"
    mode: "0644"
  vars:
    results: "{{ dict(fleet_plan.targets | zip(fleet_plan.targets | map('extract', hostvars)
                 | map(attribute='rootless_migrate_result', default=none))) }}"
"""

RETURN = r"""
_value:
  description:
    - C(run), C(started), C(updated), C(wall_seconds), C(settings), C(complete), C(gate) (C(open), C(closed_by)),
      C(counts), C(batches) and C(hosts).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.b4arena.rootless.plugins.plugin_utils._fleet import report


def fleet_report(rollout, results, now=None):
    if not isinstance(rollout, dict) or "batches" not in rollout:
        raise AnsibleFilterError("fleet_report: the input is not a rollout_plan: %r" % (rollout,))
    if not isinstance(results, dict):
        raise AnsibleFilterError("fleet_report: results is not a mapping of host to result: %r" % (results,))
    return report(rollout, results, now)


class FilterModule:
    def filters(self):
        return {"fleet_report": fleet_report}
