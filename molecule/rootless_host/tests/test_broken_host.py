"""The broken host after the role stopped in preflight: nothing was changed."""

TARGETS = ("broken",)


def test_nothing_was_installed_or_created(host):
    assert not host.package("podman").is_installed
    assert not host.user("openclaw").exists
    assert not host.file("/etc/containers/openclaw-sandbox-seccomp.json").exists
    assert not host.file("/etc/sysctl.d/60-b4arena-rootless.conf").exists
    assert "openclaw" not in host.file("/etc/subuid").content_string
