"""The OpenClaw sandbox replay engine: spec, argv, inspect views, their comparison, the probe."""

from __future__ import annotations

import pytest

from ansible_collections.b4arena.rootless.plugins.module_utils._sandbox import (
    SpecError,
    compare_views,
    create_args,
    exec_args,
    keep_id_mode,
    openclaw_view,
    parse_probe,
    percentile,
    proc_security,
    sandbox_spec,
    summarize,
)


def test_defaults_are_openclaws():
    spec, ignored = sandbox_spec({})
    assert spec["image"] == "openclaw-sandbox:bookworm-slim"
    assert spec["tmpfs"] == ["/tmp", "/var/tmp", "/run"] and spec["network"] == "none"
    assert spec["capDrop"] == ["ALL"] and spec["readOnlyRoot"] is True and ignored == []


def test_docker_argv_in_openclaws_order():
    spec = sandbox_spec(
        {"user": "1000:1000", "pidsLimit": 64, "seccompProfile": "/p.json", "binds": ["/w:/workspace"]}
    )[0]
    argv = create_args("docker", "sbx", spec, labels={"openclaw.sessionKey": "k"}, env_file="/e")
    assert argv == [
        "create",
        "--name",
        "sbx",
        "--init",
        "--label",
        "openclaw.sandbox=1",
        "--label",
        "openclaw.sessionKey=k",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--tmpfs",
        "/var/tmp",
        "--tmpfs",
        "/run",
        "--network",
        "none",
        "--user",
        "1000:1000",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--security-opt",
        "seccomp=/p.json",
        "--pids-limit",
        "64",
        "--workdir",
        "/workspace",
        "-v",
        "/w:/workspace",
        "--env-file",
        "/e",
        "openclaw-sandbox:bookworm-slim",
        "sleep",
        "infinity",
    ]


def test_rootless_podman_adds_openclaws_extras_and_leaves_run_to_its_init():
    spec = sandbox_spec({"user": "1000:1000"})[0]
    argv = create_args("podman", "sbx", spec, rootless=True)
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--tmpfs"] == ["/tmp", "/var/tmp"]
    extras = argv[argv.index("--http-proxy=false") : argv.index("--workdir")]
    assert extras == ["--http-proxy=false", "--read-only-tmpfs=true", "--userns", "keep-id:uid=1000,gid=1000"]
    configured = sandbox_spec({"tmpfs": ["/tmp", "/run"]})[0]
    assert "/run" in create_args("podman", "sbx", configured, rootless=True)


@pytest.mark.parametrize(
    "user, mode", [(None, "keep-id"), ("1000", "keep-id:uid=1000"), ("1000:1001", "keep-id:uid=1000,gid=1001")]
)
def test_keep_id_mode(user, mode):
    assert keep_id_mode(user) == mode


@pytest.mark.parametrize(
    "config, message",
    [
        ({"network": "host"}, "sandbox.network: 'host' is refused"),
        ({"apparmorProfile": "unconfined"}, "sandbox.apparmorProfile: 'unconfined' is refused"),
        ({"pidsLimit": True}, "sandbox.pidsLimit: True is not a int"),
        ({"capDrop": ["ALL", ""]}, "list item '' is not a non-empty string"),
        ({"privileged": True}, "sandbox.privileged: not an OpenClaw sandbox.docker key"),
    ],
)
def test_bad_settings_name_the_key(config, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(")):
        sandbox_spec(config)


def test_ignored_keys_are_listed():
    assert sandbox_spec({"setupCommand": "x", "dangerouslyAllowExternalBindSources": True})[1] == [
        "dangerouslyAllowExternalBindSources",
        "setupCommand",
    ]


def test_exec_argv():
    spec = sandbox_spec({})[0]
    assert exec_args("sbx", spec, "id", "/e") == [
        "exec",
        "-i",
        "-w",
        "/workspace",
        "--env-file",
        "/e",
        "sbx",
        "/bin/sh",
        "-lc",
        "id",
    ]


def record(env, tmpfs, labels=None, mounts=()):
    return {
        "Id": "a" * 64,
        "State": {"Running": True, "Paused": False},
        "Config": {"Labels": {"openclaw.sandbox": "1", **(labels or {})}, "Env": env},
        "HostConfig": {"Tmpfs": tmpfs},
        "Mounts": list(mounts),
    }


def test_engine_additions_do_not_break_openclaw():
    spec = sandbox_spec({"tmpfs": ["/tmp"], "env": {"A": "1"}})[0]
    docker = openclaw_view(record(["PATH=/bin", "A=1"], {"/tmp": ""}))
    podman = openclaw_view(record(["PATH=/bin", "A=1", "container=podman"], {"/tmp": "rw,rprivate,nosuid,nodev"}))
    diffs = compare_views(docker, podman, spec, {}, {"A": "1"})
    assert [(d["field"], d["breaks_openclaw"]) for d in diffs] == [(".Config.Env", False), (".HostConfig.Tmpfs", False)]


def test_lost_values_break_openclaw():
    spec = sandbox_spec({"tmpfs": ["/tmp"], "env": {"A": "1"}, "binds": ["/w:/workspace"]})[0]
    bind = {"Type": "bind", "Source": "/w", "Destination": "/workspace", "RW": True}
    docker = openclaw_view(record(["A=1"], {"/tmp": ""}, {"k": "v"}, [bind]))
    podman = openclaw_view(record([], None, {}, [dict(bind, RW=False)]))
    podman[".Id"] = "abc"
    podman[".State.Running"] = "true"
    broken = [d["why"] for d in compare_views(docker, podman, spec, {"k": "v"}, {"A": "1"}) if d["breaks_openclaw"]]
    assert broken == [
        "OpenClaw reads it as a boolean",
        "OpenClaw expects 64 hex digits",
        "podman lost labels OpenClaw set: {'k': 'v'}",
        "podman lost env A OpenClaw set",
        "mount at /workspace (a bind OpenClaw set)",
        "podman lost tmpfs /tmp",
    ]


def test_probe_and_proc(tmp_path):
    probe = parse_probe(
        "hello\nprobe-uid=1000\nprobe-root=read-only\nprobe-ifaces=lo,\nprobe-capeff=0000000000000000\n"
    )
    assert probe == {"uid": "1000", "root": "read-only", "ifaces": ["lo"], "capeff": "0000000000000000"}
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "status").write_text(
        "Uid:\t100999\t100999\t100999\t100999\nGid:\t100999\t100999\t100999\t100999\n"
        "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n"
    )
    assert proc_security(42, str(tmp_path)) == {
        "host_uid": 100999,
        "host_gid": 100999,
        "cap_effective": "0000000000000000",
        "cap_bounding": "0000000000000000",
        "no_new_privs": True,
        "seccomp": "filter",
    }


def test_percentiles_and_summary():
    samples = [0.1 * i for i in range(1, 21)]
    assert percentile(samples, 50) == pytest.approx(1.0) and percentile(samples, 95) == pytest.approx(1.9)
    assert summarize([1.0], ["x: database is locked"]) == {
        "runs": 2,
        "failures": 1,
        "errors": ["x: database is locked"],
        "p50": 1.0,
        "p95": 1.0,
        "min": 1.0,
        "max": 1.0,
    }
