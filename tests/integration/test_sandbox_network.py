"""b4arena.rootless.sandbox_network through ansible-playbook against a real user's rootless Podman."""

from __future__ import annotations

import pytest

from ansible_collections.b4arena.rootless.tests.integration.harness import MIRROR_PROBE

NETWORK = """
- name: network
  b4arena.rootless.sandbox_network:
    name: "{{ net }}"
    run_as: "{{ user }}"
    state: "{{ state | default('present') }}"
    internal: "{{ internal | default(false) }}"
    dns: "{{ dns | default(omit) }}"
    subnet: "{{ subnet | default(omit) }}"
    labels: "{{ labels | default(omit) }}"
    options: "{{ options | default(omit) }}"
    recreate: "{{ recreate | default(false) }}"
    force: "{{ force | default(false) }}"
"""


def network_ids(user):
    return {n["name"]: n["id"] for n in user.podman_json("network", "ls", "--format", "json")}


def test_check_create_noop_and_absent(playbook, rootless_user):
    base = {"net": "b4t-net-a", "user": rootless_user.name, "labels": {"purpose": "sandbox"}, "subnet": "10.91.0.0/24"}

    checked = playbook(NETWORK, base, check=True, diff=True)
    assert checked.rc == 0, checked.stderr
    assert checked.task_results("network")["changed"] is True
    assert "b4t-net-a" not in network_ids(rootless_user)

    created = playbook(NETWORK, base)
    assert created.rc == 0, created.stderr
    network = created.task_results("network")["network"]
    assert network["labels"] == {"purpose": "sandbox"}
    assert network["subnets"][0]["subnet"] == "10.91.0.0/24"
    first_id = network_ids(rootless_user)["b4t-net-a"]

    again = playbook(NETWORK, base)
    assert again.rc == 0 and again.stats["changed"] == 0
    assert network_ids(rootless_user)["b4t-net-a"] == first_id

    removed = playbook(NETWORK, dict(base, state="absent"))
    assert removed.rc == 0 and removed.stats["changed"] == 1
    assert "b4t-net-a" not in network_ids(rootless_user)
    assert playbook(NETWORK, dict(base, state="absent")).stats["changed"] == 0


def test_drift_fails_listing_every_difference_and_changes_nothing(playbook, rootless_user):
    base = {"net": "b4t-net-drift", "user": rootless_user.name, "labels": {"a": "1"}}
    assert playbook(NETWORK, base).rc == 0
    before = network_ids(rootless_user)["b4t-net-drift"]

    drifted = playbook(NETWORK, dict(base, internal=True, dns=False, labels={"a": "2"}, options={"mtu": 1400}))
    assert drifted.rc != 0
    result = drifted.task_results("network")
    assert {d["field"] for d in result["differences"]} == {"internal", "dns_enabled", "labels", "options"}
    assert "set recreate: true" in result["msg"]
    assert network_ids(rootless_user)["b4t-net-drift"] == before


def test_recreate_refuses_while_a_container_is_attached(playbook, rootless_user):
    base = {"net": "b4t-net-busy", "user": rootless_user.name}
    assert playbook(NETWORK, base).rc == 0
    rootless_user.podman(
        "create", "--name", "b4t-attached", "--network", "b4t-net-busy", "b4arena-test/sandbox:latest", "sleep", "1"
    )
    refused = playbook(NETWORK, dict(base, internal=True, recreate=True))
    assert refused.rc != 0
    assert "has attached containers: b4t-attached" in refused.task_results("network")["msg"]
    assert network_ids(rootless_user)["b4t-net-busy"]

    forced = playbook(NETWORK, dict(base, internal=True, recreate=True, force=True))
    assert forced.rc == 0, forced.stderr
    assert forced.task_results("network")["network"]["internal"] is True
    assert rootless_user.podman("container", "exists", "b4t-attached", check=False).returncode == 1


@pytest.mark.parametrize(("internal", "reaches"), [(False, True), (True, False)], ids=["egress", "internal"])
def test_internal_network_has_no_egress(playbook, rootless_user, internal, reaches):
    net = "b4t-net-%s" % ("internal" if internal else "egress")
    assert playbook(NETWORK, {"net": net, "user": rootless_user.name, "internal": internal}).rc == 0
    probe = rootless_user.podman(
        "run", "--rm", "--network", net, "b4arena-test/sandbox:latest", "sh", "-c", MIRROR_PROBE, check=False
    )
    answered = probe.stdout.startswith("HTTP/1.1 ")
    assert answered is reaches, (probe.stdout, probe.stderr)


def test_user_without_runtime_dir_fails_clearly(playbook, make_users):
    (user,) = make_users(1)
    failed = playbook(NETWORK, {"net": "b4t-net-x", "user": user})
    assert failed.rc != 0
    msg = failed.task_results("network")["msg"]
    assert "has no runtime directory" in msg and "loginctl enable-linger %s" % user in msg
