"""The rootless_host role's host, checked as the sandbox user with sandboxes started the way OpenClaw starts them."""

from __future__ import annotations

import json
import shlex

import pytest

TARGETS = ("mimas", "mimas13")
IMAGE = "openclaw-sandbox:bookworm-slim"
PROFILE = "/etc/containers/openclaw-sandbox-seccomp.json"
OPENCLAW_FLAGS = (
    "--init --read-only --tmpfs /tmp --tmpfs /var/tmp --tmpfs /run --network none --cap-drop ALL "
    "--security-opt no-new-privileges --userns keep-id --read-only-tmpfs=true --http-proxy=false "
    "--security-opt seccomp=" + PROFILE
)
DENIED = (
    "unshare_user unshare_mount clone_newuser clone_newnet clone3 setns mount umount2 pivot_root fsopen "
    "open_tree keyctl add_key request_key userfaultfd io_uring_setup bpf perf_event_open ptrace "
    "process_vm_readv socket_alg socket_vsock socket_netlink socket_packet"
).split()
MIRROR = (
    "import urllib.request; "
    "print(urllib.request.urlopen('http://deb.debian.org/debian/dists/bookworm/Release', timeout=10).status)"
)


def uid(host, user="openclaw"):
    return int(host.check_output("id -u %s" % user))


def podman(host, args, user="openclaw"):
    """Run podman as the sandbox user, the way its user manager's environment has it."""
    return host.run(
        "cd / && runuser -u %s -- env XDG_RUNTIME_DIR=/run/user/%d podman %s" % (user, uid(host, user), args)
    )


def sandbox(host, command, flags=OPENCLAW_FLAGS):
    result = podman(host, "run --rm %s %s %s" % (flags, IMAGE, command))
    assert result.rc == 0, result.stderr
    return result.stdout


def test_container_root_is_the_user_on_the_host(host):
    """Without keep-id, uid 0 in a container is the user's own UID on the host, nothing more."""
    rows = [line.split() for line in sandbox(host, "cat /proc/self/uid_map", flags="--rm").splitlines()]
    assert rows[0] == ["0", str(uid(host)), "1"]
    subuid = next(line for line in host.file("/etc/subuid").content_string.splitlines() if line.startswith("openclaw:"))
    start, count = subuid.split(":")[1:]
    assert rows[1] == ["1", start, count]


def test_dangerous_syscalls_are_refused(host):
    verdicts = dict(line.split("=", 1) for line in sandbox(host, "/usr/local/bin/syscall-probe").splitlines())
    for name in DENIED:
        assert verdicts[name] in ("EPERM", "ENOSYS"), (name, verdicts[name])
    for name in ("socket_unix", "socket_inet", "socket_inet6", "fork"):
        assert verdicts[name] == "ok", name


def test_the_strict_profile_is_the_users_default(host):
    flags = OPENCLAW_FLAGS.replace("--security-opt seccomp=" + PROFILE, "")
    verdicts = dict(line.split("=", 1) for line in sandbox(host, "/usr/local/bin/syscall-probe", flags).splitlines())
    assert verdicts["unshare_user"] in ("EPERM", "ENOSYS")
    assert verdicts["keyctl"] in ("EPERM", "ENOSYS")


def test_shell_python_and_files_work(host):
    script = "echo shell && python3 -c 'print(sum(range(10)))' && echo data > /tmp/f && cat /tmp/f"
    assert sandbox(host, "bash -c %s" % shlex.quote(script)).split() == ["shell", "45", "data"]


def test_no_new_privileges_and_no_capabilities(host):
    fields = dict(line.split(":", 1) for line in sandbox(host, "cat /proc/self/status").splitlines() if ":" in line)
    assert fields["NoNewPrivs"].strip() == "1"
    assert int(fields["CapEff"], 16) == 0 and int(fields["CapPrm"], 16) == 0


def test_no_engine_socket_inside(host):
    sockets = "/var/run/docker.sock /run/docker.sock /run/podman/podman.sock /run/user/*/podman/podman.sock"
    check = "for s in %s; do test -e $s && echo $s; done; true" % sockets
    assert sandbox(host, "bash -c %s" % shlex.quote(check)).strip() == ""


def test_only_loopback_without_a_network(host):
    devices = [line.split(":")[0].strip() for line in sandbox(host, "cat /proc/net/dev").splitlines()[2:]]
    assert devices == ["lo"]


@pytest.mark.parametrize(("network", "reaches"), [("openclaw-sandbox-net", True), ("openclaw-sandbox-internal", False)])
def test_egress_only_on_the_egress_network(host, network, reaches):
    flags = OPENCLAW_FLAGS.replace("--network none", "--network " + network)
    result = podman(host, "run --rm %s %s python3 -c %s" % (flags, IMAGE, shlex.quote(MIRROR)))
    assert (result.rc == 0 and result.stdout.strip() == "200") is reaches, result.stderr


def test_storage_is_overlay(host):
    assert podman(host, "info --format {{.Store.GraphDriverName}}").stdout.strip() == "overlay"


def test_sandbox_image_carried_over_with_its_identity(host):
    docker_id = host.check_output("docker image inspect --format {{.Id}} %s" % IMAGE)
    podman_id = podman(host, "image inspect --format {{.Id}} %s" % IMAGE).stdout.strip()
    assert docker_id == "sha256:" + podman_id


def test_users_ranges_do_not_overlap(host):
    for path in ("/etc/subuid", "/etc/subgid"):
        spans = {}
        for line in host.file(path).content_string.splitlines():
            owner, start, count = line.split(":")
            spans[owner] = (int(start), int(start) + int(count))
        a, b = spans["openclaw"], spans["agent2"]
        assert a[1] <= b[0] or b[1] <= a[0], (path, a, b)


def test_linger_user_manager_and_sysctl_persisted(host):
    for user in ("openclaw", "agent2"):
        assert host.file("/var/lib/systemd/linger/%s" % user).exists
        assert host.service("user@%d" % uid(host, user)).is_running
    assert "user.max_user_namespaces=15000" in host.file("/etc/sysctl.d/60-b4arena-rootless.conf").content_string


def test_openclaw_config_merged_without_touching_other_keys(host):
    config = json.loads(host.file("/home/agent2/.openclaw/openclaw.json").content_string)
    sandbox_config = config["agents"]["defaults"]["sandbox"]
    assert sandbox_config["backend"] == "podman"
    assert sandbox_config["docker"]["seccompProfile"] == PROFILE
    assert sandbox_config["docker"]["network"] == "openclaw-sandbox-net"
    assert sandbox_config["docker"]["memory"] == "1g" and sandbox_config["mode"] == "all"
    assert config["gateway"] == {"port": 18789}
    assert config["agents"]["defaults"]["model"] == {"primary": "stub/m"}


def test_podman5_gets_transient_store_and_pasta(host):
    """The version-gated settings: on Podman >= 4.4 (Debian 13's 5.x) they are set and in effect."""
    version = podman(host, "version --format {{.Client.Version}}").stdout.strip()
    if tuple(int(n) for n in version.split(".")[:2]) < (4, 4):
        pytest.skip("Podman %s has neither setting" % version)
    assert podman(host, "info --format {{.Store.TransientStore}}").stdout.strip() == "true"
    conf = host.file("/home/openclaw/.config/containers/containers.conf").content_string
    assert 'default_rootless_network_cmd = "pasta"' in conf
