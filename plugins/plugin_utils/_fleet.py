# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet rollout on the controller: the batches Ansible will run, and the fleet report.

playbooks/migrate.yml runs the canary hosts as one batch, then the other hosts in batches of
``serial``. Each host's outcome is its rootless_migrate_result; the report is rebuilt from all
of them after every batch, because Ansible skips every later play once a batch fails as a whole
or breaks max_fail_percentage, so no final step can be relied on to write it.
"""

from __future__ import annotations

import datetime
import re

from ansible.utils.helpers import pct_to_int

# A host failing in one of these phases had cut over: its verification is the health gate.
GATE_PHASES = ("cutover", "verify", "commit", "purge")
DONE_PHASES = ("committed", "purged")
_PERCENT = re.compile(r"^([0-9]+)%$")


class FleetError(ValueError):
    pass


def check_serial(serial):
    """serial as Ansible's play keyword takes it: a list of positive counts or "N%" (1..100)."""
    if not isinstance(serial, (list, tuple)) or not serial:
        raise FleetError("rootless_fleet_serial: %r is not a non-empty list of counts or percentages" % (serial,))
    for item in serial:
        if isinstance(item, bool):
            raise FleetError("rootless_fleet_serial: %r is not a count or a percentage" % (item,))
        if isinstance(item, int):
            if item < 1:
                raise FleetError("rootless_fleet_serial: %r is not a positive count" % (item,))
            continue
        text = str(item).strip()
        if text.isdigit() and int(text) >= 1:
            continue
        match = _PERCENT.match(text)
        if not match or not 1 <= int(match.group(1)) <= 100:
            raise FleetError(
                "rootless_fleet_serial: %r is neither a positive count nor a percentage 1%%..100%%" % (item,)
            )
    return list(serial)


def check_max_fail(value):
    if isinstance(value, bool) or not str(value).strip().isdigit() or not 0 <= int(value) <= 100:
        raise FleetError("rootless_fleet_max_fail_percentage: %r is not a whole number 0..100" % (value,))
    return int(value)


def batches(hosts, serial):
    """The batches ansible-playbook makes of hosts for a play with this serial (its own algorithm)."""
    serial = check_serial(serial)
    left = list(hosts)
    total = len(left)
    out = []
    index = 0
    while left:
        size = pct_to_int(serial[index] if isinstance(serial[index], int) else str(serial[index]).strip(), total)
        out.append(left[:size])
        left = left[size:]
        index = min(index + 1, len(serial) - 1)
    return out


def plan(targets, canary_pattern, canary_matched, serial, max_fail_percentage, run, started):  # noqa: PLR0917
    """The rollout: canary hosts first (one batch, no failure allowed), then the others in batches
    of serial. canary_matched are the hosts canary_pattern names; an empty pattern means the first
    target."""
    targets = list(targets)
    if not targets:
        raise FleetError("rootless_migrate_hosts: the pattern matches no host of the inventory")
    if not canary_pattern:
        canary_hosts = targets[:1]
    else:
        wanted = set(canary_matched or [])
        canary_hosts = [name for name in targets if name in wanted]
        if not canary_hosts:
            raise FleetError("rootless_fleet_canary: %r matches none of the hosts to migrate" % (canary_pattern,))
    rest = [name for name in targets if name not in canary_hosts]
    return {
        "run": run,
        "started": float(started),
        "targets": targets,
        "canary": canary_hosts,
        "rest": rest,
        "serial": check_serial(serial),
        "max_fail_percentage": check_max_fail(max_fail_percentage),
        "batches": [canary_hosts, *batches(rest, serial)],
    }


def _iso(epoch):
    return datetime.datetime.fromtimestamp(float(epoch), tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def host_status(result):
    if result is None:
        return "not reached"
    if result.get("failed"):
        return "failed"
    if result.get("check_mode"):
        return "planned"
    if result.get("phase") in DONE_PHASES:
        return "migrated"
    return str(result.get("phase"))


def report(plan, results, now=None):
    """The fleet report: plan is the rollout plan, results maps host -> rootless_migrate_result
    (or None: not reached in this run), with the host's template audit summary under "audit"."""
    now = float(now) if now is not None else datetime.datetime.now(datetime.UTC).timestamp()
    started = float(plan["started"])
    hosts = []
    batch_rows = []
    gate_closed_by = []
    for number, batch in enumerate(plan["batches"]):
        failed = reached = 0
        for name in batch:
            result = results.get(name)
            status = host_status(result)
            reached += status != "not reached"
            entry = {
                "host": name,
                "batch": number,
                "canary": name in plan["canary"],
                "status": status,
                "phase": result.get("phase") if result else None,
                "docker_serving": result.get("docker_serving") if result else True,
                "stopped_in": result.get("stopped_in") if result else None,
                "error": result.get("error") if result else None,
                "started": _iso(result["started"]) if result and result.get("started") else None,
                "seconds": result.get("seconds") if result else None,
                "phases": result.get("phases", {}) if result else {},
                "carried": result.get("carried") if result else None,
                "refused": result.get("refused", []) if result else [],
                "verification": result.get("verification") if result else None,
                "audit": result.get("audit") if result else None,
            }
            if status == "failed":
                failed += 1
                if entry["stopped_in"] in GATE_PHASES:
                    gate_closed_by.append(name)
            hosts.append(entry)
        # The canary batch tolerates no failure; Ansible's rule is failed / size > percentage.
        allowed = 0 if number == 0 else plan["max_fail_percentage"]
        batch_rows.append(
            {
                "batch": number,
                "hosts": list(batch),
                "reached": reached,
                "failed": failed,
                "failed_percent": round(100.0 * failed / len(batch), 1) if batch else 0.0,
                "max_fail_percentage": allowed,
                "over_max_fail": failed * 100 > allowed * len(batch),
            }
        )
    counts = {}
    for entry in hosts:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    not_reached = counts.get("not reached", 0)
    stop = None
    if gate_closed_by:
        stop = "health gate: %s failed after cutting over" % ", ".join(gate_closed_by)
    else:
        over = [b for b in batch_rows if b["over_max_fail"]]
        if over:
            stop = "batch %d: %d of %d failed (%s%%), more than max_fail_percentage %d" % (
                over[0]["batch"], over[0]["failed"], len(over[0]["hosts"]), over[0]["failed_percent"],
                over[0]["max_fail_percentage"],
            )  # fmt: skip
    return {
        "run": plan["run"],
        "started": _iso(started),
        "updated": _iso(now),
        "wall_seconds": round(now - started, 1),
        "settings": {
            "targets": plan["targets"],
            "canary": plan["canary"],
            "serial": plan["serial"],
            "max_fail_percentage": plan["max_fail_percentage"],
        },
        "complete": not_reached == 0,
        "gate": {"open": not gate_closed_by, "closed_by": gate_closed_by},
        # Why the rollout stops after this batch (None: it goes on).
        "stop": stop,
        "counts": counts,
        "batches": batch_rows,
        "hosts": hosts,
    }
