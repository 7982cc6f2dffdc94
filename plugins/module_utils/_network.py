# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Podman network specs: what a play asks for, what `podman network inspect` says, and the gap.

Pure functions, unit-tested without Podman. Only fields the play states are compared,
except driver and internal, which always have a meaning (bridge, not internal).
"""

from __future__ import annotations

import ipaddress
import re

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


class SpecError(ValueError):
    """Bad input; the message names the option and the value."""


def parse_network(value, field):
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise SpecError("%s: %r is not a network in CIDR form (like 10.89.0.0/24)" % (field, value)) from None


def parse_address(value, field):
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise SpecError("%s: %r is not an IP address" % (field, value)) from None


def lease_range(ip_range):
    """The lease range Podman stores for ``--ip-range CIDR``: first host after the network address, to the last."""
    net = parse_network(ip_range, "ip_range")
    return str(net.network_address + 1), str(net.broadcast_address)


def desired(params):
    """The compared fields of the play's request, validated and normalised."""
    name = params["name"]
    if not NAME_PATTERN.match(name or ""):
        raise SpecError("name: %r is not a valid network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)" % name)
    spec = {"driver": params["driver"], "internal": params["internal"]}
    if params["dns"] is not None:
        spec["dns_enabled"] = params["dns"]
    subnet = None
    if params["subnet"] is not None:
        subnet = parse_network(params["subnet"], "subnet")
        spec["subnet"] = str(subnet)
    for field in ("gateway", "ip_range"):
        if params[field] is not None and subnet is None:
            raise SpecError("%s: %r needs subnet as well" % (field, params[field]))
    if params["gateway"] is not None:
        gateway = parse_address(params["gateway"], "gateway")
        if gateway not in subnet:
            raise SpecError("gateway: %s is outside subnet %s" % (gateway, subnet))
        spec["gateway"] = str(gateway)
    if params["ip_range"] is not None:
        ip_range = parse_network(params["ip_range"], "ip_range")
        if not ip_range.subnet_of(subnet):
            raise SpecError("ip_range: %s is outside subnet %s" % (ip_range, subnet))
        spec["lease_range"] = list(lease_range(params["ip_range"]))
    if params["labels"] is not None:
        spec["labels"] = {str(k): str(v) for k, v in params["labels"].items()}
    if params["options"]:
        spec["options"] = {str(k): _option_value(v) for k, v in params["options"].items()}
    return spec


def _option_value(value):
    # Podman stores every option as a string; YAML gives true/1500.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def actual(inspect, wanted):
    """The same fields read from one `podman network inspect` entry, only those ``wanted`` has."""
    subnets = inspect.get("subnets") or []
    first = subnets[0] if subnets else {}
    have = {
        "driver": inspect.get("driver"),
        "internal": bool(inspect.get("internal")),
        "dns_enabled": bool(inspect.get("dns_enabled")),
        "labels": inspect.get("labels") or {},
    }
    if "subnet" in wanted:
        have["subnet"] = ", ".join(str(parse_network(s["subnet"], "subnet")) for s in subnets) or None
    if "gateway" in wanted:
        have["gateway"] = first.get("gateway")
    if "lease_range" in wanted:
        lease = first.get("lease_range") or {}
        have["lease_range"] = [lease.get("start_ip"), lease.get("end_ip")] if lease else None
    if "options" in wanted:
        options = inspect.get("options") or {}
        have["options"] = {k: options.get(k) for k in wanted["options"]}
    return {k: v for k, v in have.items() if k in wanted}


def differences(wanted, have):
    """[(field, wanted, have)] for every field that differs, in a stable order."""
    return [(k, wanted[k], have.get(k)) for k in sorted(wanted) if wanted[k] != have.get(k)]


def create_args(params):
    """argv tail for `podman network create`."""
    args = ["network", "create", "--driver", params["driver"]]
    if params["internal"]:
        args.append("--internal")
    if params["dns"] is False:
        args.append("--disable-dns")
    for field, flag in (("subnet", "--subnet"), ("gateway", "--gateway"), ("ip_range", "--ip-range")):
        if params[field] is not None:
            args += [flag, params[field]]
    for key, value in sorted((params["labels"] or {}).items()):
        args += ["--label", "%s=%s" % (key, value)]
    for key, value in sorted((params["options"] or {}).items()):
        args += ["--opt", "%s=%s" % (key, _option_value(value))]
    args.append(params["name"])
    return args
