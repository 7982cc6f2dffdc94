"""The rootless execution context and the command runner: argv, environment, error paths.

run_command is scripted here only to reach parsing and error branches; the
integration tests run the same code against real rootless Podman.
"""

from __future__ import annotations

import os
import pwd

import pytest

from ansible_collections.b4arena.rootless.plugins.module_utils._podman import (
    PodmanError,
    PodmanRunner,
    RootlessContext,
    rootless_context,
)

NOBODY = pwd.getpwnam("nobody")


class ScriptedModule:
    """Answers run_command from a list of (rc, out, err) and records what was asked."""

    def __init__(self, answers, check_mode=False):
        self.answers = list(answers)
        self.check_mode = check_mode
        self.calls = []

    def run_command(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        return self.answers.pop(0)


def user_context():
    return RootlessContext(
        "nobody", NOBODY.pw_uid, NOBODY.pw_gid, "/no/such/home/b4arena", switch=True, env={"HOME": "/h", "LC_ALL": "C"}
    )


def test_wrap_switches_user_with_a_clean_environment():
    argv = user_context().wrap(["podman", "ps"])
    assert argv == [
        "setpriv",
        "--reuid=%d" % NOBODY.pw_uid,
        "--regid=%d" % NOBODY.pw_gid,
        "--init-groups",
        "--",
        "env",
        "-i",
        "HOME=/h",
        "LC_ALL=C",
        "podman",
        "ps",
    ]


def test_failed_command_reports_argv_rc_and_stderr():
    module = ScriptedModule([(125, "", "Error: boom\n")])
    runner = PodmanRunner(module, user_context())
    with pytest.raises(PodmanError) as caught:
        runner.podman(["network", "inspect", "x"])
    result = caught.value.result()
    assert result["msg"] == "podman network inspect x failed (rc 125): Error: boom"
    assert (result["cmd"], result["rc"], result["stderr"]) == (
        ["podman", "network", "inspect", "x"],
        125,
        "Error: boom\n",
    )
    # Commands run from / when the user's home does not exist, in the C locale.
    assert module.calls[0][1]["cwd"] == "/"
    assert module.calls[0][1]["environ_update"]["LC_ALL"] == "C"


def test_output_that_is_not_json_is_an_error():
    runner = PodmanRunner(ScriptedModule([(0, "not json", "")]), user_context())
    with pytest.raises(PodmanError, match="printed output that is not JSON"):
        runner.json(["network", "ls", "--format", "json"])


def test_allowed_nonzero_rc_gives_none():
    runner = PodmanRunner(ScriptedModule([(1, "", "")]), user_context())
    assert runner.json(["network", "exists", "x"], ok_rcs=(0, 1)) is None


def test_write_refused_in_check_mode_without_running():
    module = ScriptedModule([], check_mode=True)
    with pytest.raises(PodmanError, match=r"write command .* attempted in check mode"):
        PodmanRunner(module, user_context()).write(["network", "create", "x"])
    assert module.calls == []


def test_context_for_the_current_user_does_not_switch():
    context = rootless_context(None)
    assert context.switch is False and context.uid == os.geteuid()
    assert context.wrap(["podman", "info"]) == ["podman", "info"]


def test_context_refuses_unknown_and_root_users():
    with pytest.raises(PodmanError, match="run_as: user 'no-such-user-x' does not exist"):
        rootless_context("no-such-user-x")
    with pytest.raises(PodmanError, match="run_as: 'root' is root"):
        rootless_context("root")


def test_context_needs_a_runtime_dir(tmp_path):
    with pytest.raises(PodmanError, match=r"'nobody' has no runtime directory .*loginctl enable-linger nobody"):
        rootless_context("nobody", runtime_root=str(tmp_path))


def test_context_needs_subordinate_ranges(tmp_path):
    (tmp_path / str(NOBODY.pw_uid)).mkdir()
    (tmp_path / "subuid").write_text("nobody:100000:65536\n")
    (tmp_path / "subgid").write_text("someone:100000:65536\n")
    with pytest.raises(PodmanError, match=r"'nobody' has no subordinate id range in .*subgid"):
        rootless_context(
            "nobody",
            subuid_file=str(tmp_path / "subuid"),
            subgid_file=str(tmp_path / "subgid"),
            runtime_root=str(tmp_path),
        )


def test_context_environment_for_a_ready_user(tmp_path):
    runtime = tmp_path / str(NOBODY.pw_uid)
    runtime.mkdir()
    (runtime / "bus").write_text("")
    for name in ("subuid", "subgid"):
        (tmp_path / name).write_text("%d:100000:65536\n" % NOBODY.pw_uid)  # owner by UID counts
    context = rootless_context(
        "nobody", subuid_file=str(tmp_path / "subuid"), subgid_file=str(tmp_path / "subgid"), runtime_root=str(tmp_path)
    )
    assert context.switch is True
    assert context.env["XDG_RUNTIME_DIR"] == str(runtime)
    assert context.env["DBUS_SESSION_BUS_ADDRESS"] == "unix:path=%s/bus" % runtime
    assert context.env["HOME"] == NOBODY.pw_dir and context.env["LC_ALL"] == "C"
