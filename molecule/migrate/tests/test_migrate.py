"""Mimas after the migration (and a rollback, two failed runs and a resumed one): the gateway
runs under the rootless user's Podman with its data intact, Docker is masked."""

import json
import shlex

import pytest

PODMAN = (
    "runuser -u openclaw -- env XDG_RUNTIME_DIR=/run/user/{uid} DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{uid}/bus"
)
FETCH = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:18789/').read().decode())"
LISTING = (
    "cd /data && find . -exec stat -c '%u %g %a %n' {} + | LC_ALL=C sort && "
    "find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2"
)


def as_user(host, command):
    uid = host.user("openclaw").uid
    return host.run("%s %s" % (PODMAN.format(uid=uid), command))


def podman_listing(host, source):
    cmd = (
        "podman run --rm --network none --userns keep-id:uid=1000,gid=1000 --user 0:0 -v %s:/data "
        '--entrypoint /bin/sh openclaw-sandbox:bookworm-slim -c "%s"' % (source, LISTING)
    )
    result = as_user(host, cmd)
    assert result.rc == 0, result.stderr
    return result.stdout.splitlines()


def test_docker_is_masked_and_its_socket_gone(host):
    for unit in ("docker.service", "docker.socket"):
        assert host.run("systemctl is-enabled %s" % unit).stdout.strip() == "masked"
        assert host.run("systemctl is-active %s" % unit).stdout.strip() == "inactive"
    assert not host.file("/run/docker.sock").exists
    assert not host.file("/var/run/docker.sock").exists


def purged(host):
    # side_effect purges Docker on the Debian 13 host only.
    return host.backend.get_hostname() == "mimas13"


def test_docker_keeps_its_packages_images_and_volumes_until_purged(host):
    kept = not purged(host)
    assert host.package("docker.io").is_installed == kept
    assert host.file("/var/lib/docker/volumes/openclaw-state/_data/openclaw.json").exists == kept
    if not kept:
        assert host.check_output("find /var/lib/docker -mindepth 1 | wc -l") == "0"


def test_the_phase_is_recorded(host):
    state = json.loads(host.file("/etc/ansible/facts.d/b4arena_rootless_migrate.fact").content_string)
    assert state["phase"] == ("purged" if purged(host) else "committed")


def test_gateway_runs_as_a_user_service_under_rootless_podman(host):
    assert as_user(host, "systemctl --user is-active openclaw-gateway.service").stdout.strip() == "active"
    # Podman 4.3 (Debian 12) gets a unit file, enabled; Podman 5 (Debian 13) a Quadlet file, whose
    # generated service starts at boot by its [Install] section.
    quadlet = host.file("/home/openclaw/.config/containers/systemd/openclaw-gateway.container")
    unit = host.file("/home/openclaw/.config/systemd/user/openclaw-gateway.service")
    assert quadlet.exists != unit.exists
    expected = "generated" if quadlet.exists else "enabled"
    assert as_user(host, "systemctl --user is-enabled openclaw-gateway.service").stdout.strip() == expected
    podman5 = host.run("podman --version").stdout.split()[-1].startswith("5.")
    assert quadlet.exists == podman5
    ps = json.loads(as_user(host, "podman ps --format json").stdout)
    assert [c["Names"] for c in ps] == [["openclaw-gateway"]]
    pid = json.loads(as_user(host, "podman inspect openclaw-gateway").stdout)[0]["State"]["Pid"]
    assert host.run("ps -o user= -p %d" % pid).stdout.strip() == "openclaw"


def test_gateway_answers_on_loopback_only_with_its_settings(host):
    reply = json.loads(host.check_output("python3 -c %s" % shlex.quote(FETCH)))
    # Same uid inside as under Docker; backend switched; the environment survived systemd quoting.
    assert reply == {"ok": True, "uid": 1000, "backend": "podman", "greeting": '50% off $HOME "quoted"'}
    listening = host.check_output("ss -Htln 'sport = :18789'")
    assert "127.0.0.1:18789" in listening and "0.0.0.0:18789" not in listening and "*:18789" not in listening


def test_openclaw_config_points_at_podman_and_keeps_other_keys(host):
    path = as_user(host, "podman volume inspect openclaw-state --format '{{.Mountpoint}}'").stdout.strip()
    config = json.loads(host.file(path + "/openclaw.json").content_string)
    sandbox = config["agents"]["defaults"]["sandbox"]
    assert sandbox["backend"] == "podman"
    assert sandbox["docker"] == {
        "image": "openclaw-sandbox:bookworm-slim",
        "network": "openclaw-sandbox-net",
        "memory": "1g",
    }
    assert config["gateway"] == {"port": 18789}


def test_networks_and_images_are_in_the_users_podman(host):
    networks = {n["name"] for n in json.loads(as_user(host, "podman network ls --format json").stdout)}
    assert {"openclaw-sandbox-net", "openclaw-net"} <= networks
    assert as_user(host, "podman image exists openclaw-sandbox:bookworm-slim").rc == 0


def test_docker_sandboxes_are_gone_and_the_gateway_kept(host):
    if purged(host):
        pytest.skip("Docker was purged on this host")
    # Docker is masked: read its container records from disk.
    records = host.check_output("cat /var/lib/docker/containers/*/config.v2.json")
    names = [json.loads(line)["Name"] for line in records.replace("}{", "}\n{").splitlines() if line.strip()]
    assert names == ["/openclaw-gateway"]


def test_workspace_reads_back_as_docker_had_it(host):
    expected = host.file("/root/expected-workspace.txt").content_string.splitlines()
    state = json.loads(host.file("/etc/ansible/facts.d/b4arena_rootless_migrate.fact").content_string)
    workspace = next(b["podman_path"] for b in state["plan"]["binds"] if b["source"] == "/srv/openclaw/workspace")
    assert podman_listing(host, workspace) == expected
    assert len([line for line in expected if "file-" in line]) == 600  # 300 files: a stat and a hash line each


def test_state_reads_back_with_the_file_written_under_podman(host):
    expected = host.file("/root/expected-state.txt").content_string.splitlines()
    seen = podman_listing(host, "openclaw-state")
    missing = [line for line in expected if line not in seen and not line.endswith("./openclaw.json")]
    assert missing == []
    assert "1000 1000 644 ./written-under-podman.txt" in seen
