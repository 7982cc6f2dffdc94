# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rollout_plan
short_description: The batches of a fleet rollout - canary first, then batches of serial
version_added: 0.3.0
description:
  - Orders the hosts to migrate the way C(playbooks/migrate.yml) runs them - the canary hosts as one batch, then
    the other hosts in batches of O(serial), sized exactly as C(ansible-playbook) sizes the batches of a play
    with that C(serial) (a percentage is of the hosts after the canary, rounded down, at least one; the last
    entry repeats).
  - Fails naming the setting and its value when O(serial) or O(max_fail_percentage) is not something
    C(ansible-playbook) accepts, or when O(canary) names none of the hosts.
author:
  - b4arena infrastructure team (@b4arena)
options:
  _input:
    description: The hosts to migrate, in inventory order.
    type: list
    elements: str
    required: true
  canary:
    description: The canary host pattern as given; empty means the first host.
    type: str
    default: ""
  canary_hosts:
    description: The hosts O(canary) matches in the inventory.
    type: list
    elements: str
    default: []
  serial:
    description: Batch sizes after the canary, counts or percentages such as C(25%).
    type: list
    elements: raw
    required: true
  max_fail_percentage:
    description: The share of a batch that may fail before the rollout stops, 0 to 100.
    type: int
    default: 0
  run:
    description: An identifier of this rollout.
    type: str
    default: ""
  started:
    description: When the rollout started, seconds since the epoch.
    type: float
    default: 0
"""

EXAMPLES = r"""
- name: Plan the rollout
  ansible.builtin.set_fact:
    fleet_plan: >-
      {{ query('inventory_hostnames', 'all') | b4arena.rootless.rollout_plan(canary='canary',
         canary_hosts=query('inventory_hostnames', 'canary'), serial=[1, '25%', '100%'], max_fail_percentage=10) }}
"""

RETURN = r"""
_value:
  description:
    - C(targets), C(canary), C(rest), C(serial), C(max_fail_percentage), C(run), C(started), and C(batches) - a list
      of host lists, the canary batch first.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.b4arena.rootless.plugins.plugin_utils._fleet import FleetError, plan


def rollout_plan(targets, serial, *, canary="", canary_hosts=None, max_fail_percentage=0, run="", started=0):
    try:
        return plan(targets, canary, canary_hosts, serial, max_fail_percentage, run, started)
    except FleetError as e:
        raise AnsibleFilterError("rollout_plan: %s" % e) from None


class FilterModule:
    def filters(self):
        return {"rollout_plan": rollout_plan}
