"""The fleet after the rollouts: canary, batch-a and batch-b serve from rootless Podman with the
same subordinate ranges; no-userns was refused by preflight and serves from Docker as before."""

import json

FETCH = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:18789/').read().decode())"
STATE = "/etc/ansible/facts.d/b4arena_rootless_migrate.fact"
# uid 1000 (UID_MIN) holds the first deterministic slot: SUB_UID_MIN, 65536 ids.
DETERMINISTIC = "openclaw:100000:65536"


def refused(host):
    return host.backend.get_hostname() == "no-userns"


def gateway(host):
    return json.loads(host.check_output("python3 -c %s" % json.dumps(FETCH)))


def test_the_gateway_serves_from_the_engine_the_rollout_left_it_on(host):
    assert gateway(host)["backend"] == ("docker" if refused(host) else "podman")


def test_docker_serves_on_the_refused_host_and_is_masked_on_the_others(host):
    expected = ("enabled", "active") if refused(host) else ("masked", "inactive")
    enabled = host.run("systemctl is-enabled docker.service").stdout.strip()
    active = host.run("systemctl is-active docker.service").stdout.strip()
    assert (enabled, active) == expected


def test_the_phase_is_recorded(host):
    state = json.loads(host.file(STATE).content_string)
    assert state["phase"] == ("discovered" if refused(host) else "committed")


def test_the_refused_host_got_no_rootless_user_or_ranges(host):
    if not refused(host):
        return
    assert not host.user("openclaw").exists
    assert "openclaw:" not in host.file("/etc/subuid").content_string


def test_migrated_hosts_have_the_same_deterministic_ranges(host):
    if refused(host):
        return
    assert host.user("openclaw").uid == 1000
    for path in ("/etc/subuid", "/etc/subgid"):
        lines = [line for line in host.file(path).content_string.splitlines() if line.startswith("openclaw:")]
        assert lines == [DETERMINISTIC], (path, lines)
