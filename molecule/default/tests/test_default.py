"""The default scenario's host: systemd up, Docker engine active, nested containers run."""


def test_systemd_is_pid_1_and_running(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state in ("running", "degraded"), state


def test_docker_engine_is_active(host):
    assert host.service("docker").is_running
    assert host.socket("unix:///run/docker.sock").is_listening


def test_a_container_runs_inside(host):
    out = host.check_output("docker run --rm --network none b4arena-test/sandbox:latest echo nested-ok")
    assert out.strip() == "nested-ok"


def test_rootless_devices_usable_by_users(host):
    for dev in ("/dev/fuse", "/dev/net/tun"):
        assert host.run("test -c %s" % dev).rc == 0, dev
        assert host.file(dev).mode == 0o666, dev


def test_converge_wrote_its_marker(host):
    assert host.file("/etc/b4arena-test-host").content_string.startswith("Debian")
