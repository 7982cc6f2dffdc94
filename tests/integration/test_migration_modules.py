"""The migration's building blocks on real engines: id maps against Podman's own, volume data
carried from dockerd into a rootless user's Podman (and back), and a Docker container turned into
a rootless service that Podman accepts."""

from __future__ import annotations

import json
import pwd
import shutil
import uuid
from pathlib import Path

import pytest

from ansible_collections.b4arena.rootless.plugins.module_utils._idmap import IdMap, rootless_map
from ansible_collections.b4arena.rootless.tests.integration.harness import parse_ranges, run

SANDBOX = "b4arena-test/sandbox:latest"
# What a container sees of a tree: owner, group, mode and name of every entry, and every file's hash.
LISTING = "cd /data && find . -exec stat -c '%u %g %a %n' {} + | sort && find . -type f -exec sha256sum {} + | sort -k2"

COPY = """
- name: copy
  b4arena.rootless.idmapped_copy:
    src: "{{ src }}"
    dest: "{{ dest }}"
    src_user: "{{ src_user | default(omit) }}"
    src_userns: "{{ src_userns | default(omit) }}"
    dest_user: "{{ dest_user | default(omit) }}"
    dest_userns: "{{ dest_userns | default(omit) }}"
    delete: "{{ delete | default(false) }}"
"""

UNIT = """
- name: unit
  b4arena.rootless.podman_unit:
    inspect: "{{ inspect }}"
    run_as: "{{ user }}"
    bind_map: "{{ bind_map | default({}) }}"
    format: "{{ format | default('auto') }}"
    state: "{{ state | default('present') }}"
    name: "{{ name | default(omit) }}"
"""


def ranges_of(user, path):
    return [(s, c) for owner, s, c in parse_ranges(path) if owner in (user.name, str(user.uid))]


@pytest.mark.parametrize("userns", ["default", "keep-id", "keep-id:uid=1000,gid=1000", "keep-id:uid=70,gid=80"])
def test_rootless_map_is_the_map_podman_makes(rootless_user, userns):
    flags = [] if userns == "default" else ["--userns", userns]
    cid = rootless_user.podman("run", "--detach", *flags, SANDBOX, "sleep", "60").stdout.strip()
    try:
        pid = rootless_user.podman_json("inspect", cid)[0]["State"]["Pid"]
        # Read from the host, the map is container id -> host id, with nothing composed by hand.
        seen = {which: IdMap.parse(Path("/proc/%d/%s_map" % (pid, which)).read_text()) for which in ("uid", "gid")}
    finally:
        rootless_user.podman("rm", "-f", "-t", "0", cid)
    for which, path, own in (("uid", "/etc/subuid", rootless_user.uid), ("gid", "/etc/subgid", rootless_user.gid)):
        expected = rootless_map(own, ranges_of(rootless_user, path), userns, which)
        assert seen[which].extents == expected.extents, which


@pytest.fixture
def docker_volume():
    """A Docker volume with files of mixed owners, modes, a symlink and a nested tree, written by a container."""
    name = "b4t-vol-%s" % uuid.uuid4().hex[:6]
    run(["docker", "volume", "create", name])
    script = (
        "mkdir -p /data/notes/deep /data/root-only && "
        "for i in $(seq 1 40); do echo note $i > /data/notes/n$i.txt; done && "
        "echo secret > /data/root-only/key && chmod 0600 /data/root-only/key && "
        "echo deep > /data/notes/deep/file && ln -s notes/n1.txt /data/latest && "
        "chown -R 1000:1000 /data/notes && chown 1001:1002 /data/notes/n2.txt && chmod 0640 /data/notes/n3.txt"
    )
    run(["docker", "run", "--rm", "-v", "%s:/data" % name, SANDBOX, "sh", "-c", script])
    yield name
    run(["docker", "volume", "rm", "-f", name], check=False)


def docker_listing(volume):
    return run(["docker", "run", "--rm", "-v", "%s:/data" % volume, SANDBOX, "sh", "-c", LISTING]).stdout


def podman_listing(user, volume, userns):
    # As root inside, like the Docker side, so root-only files can be read and hashed too.
    argv = ["run", "--rm", "--userns", userns, "--user", "0:0", "-v", "%s:/data" % volume, SANDBOX, "sh", "-c", LISTING]
    return user.podman(*argv).stdout


def test_volume_moves_into_rootless_podman_and_back(playbook, rootless_user, docker_volume):
    userns = "keep-id:uid=1000,gid=1000"
    volume = docker_volume
    rootless_user.podman("volume", "create", volume)
    # Podman chowns a new volume's root to the container user at its first mount: mount it
    # once before the copy, which then sets the root's owner as Docker had it.
    rootless_user.podman("run", "--rm", "--userns", userns, "-v", "%s:/data" % volume, SANDBOX, "true")
    dest = rootless_user.podman_json("volume", "inspect", volume)[0]["Mountpoint"]
    src = json.loads(run(["docker", "volume", "inspect", volume]).stdout)[0]["Mountpoint"]
    args = {"src": src, "dest": dest, "dest_user": rootless_user.name, "dest_userns": userns, "delete": True}
    try:
        checked = playbook(COPY, args, check=True, diff=True)
        assert checked.rc == 0, checked.stderr
        assert checked.task_results("copy")["counts"]["create"] > 40
        assert not list(Path(dest).iterdir()), "check mode copied something"

        copied = playbook(COPY, args)
        assert copied.rc == 0, copied.stderr
        result = copied.task_results("copy")
        assert result["changed"] is True and result["digest"]
        # Container uid 1000 is the user itself under keep-id:uid=1000; root stays root inside.
        assert Path(dest, "notes", "n1.txt").stat().st_uid == rootless_user.uid
        assert podman_listing(rootless_user, volume, userns) == docker_listing(volume)

        again = playbook(COPY, args)
        assert again.task_results("copy")["changed"] is False, again.task_results("copy")["changes"]
        assert again.task_results("copy")["digest"] == result["digest"]

        # The gateway writes under Podman; rollback carries it back with Docker's owners.
        rootless_user.podman(
            "run",
            "--rm",
            "--userns",
            userns,
            "--user",
            "1000:1000",
            "-v",
            "%s:/data" % volume,
            SANDBOX,
            "sh",
            "-c",
            "echo written under podman > /data/notes/after.txt",
        )
        back = {"src": dest, "dest": src, "src_user": rootless_user.name, "src_userns": userns}
        returned = playbook(COPY, back)
        assert returned.rc == 0, returned.stderr
        assert returned.task_results("copy")["counts"] == {"create": 1, "update": 0, "meta": 0, "remove": 0}
        assert Path(src, "notes", "after.txt").stat().st_uid == 1000
        assert docker_listing(volume) == podman_listing(rootless_user, volume, userns)
    finally:
        rootless_user.podman("volume", "rm", "-f", volume, check=False)


def test_copy_refuses_owners_the_user_cannot_map(playbook, rootless_user, tmp_path):
    src = tmp_path / "big"
    src.mkdir()
    (src / "far").write_text("x")
    shutil.chown(src / "far", 900000, 900000)
    dest = tmp_path / "dest"
    result = playbook(COPY, {"src": str(src), "dest": str(dest), "dest_user": rootless_user.name})
    assert result.rc != 0
    msg = result.task_results("copy")["msg"]
    assert "container ids the destination namespace cannot map" in msg and "far" in msg
    assert not dest.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        ({"src": "/nonexistent-b4t", "dest": "/tmp/b4t-x"}, "src: /nonexistent-b4t is not a directory"),
        ({"src": "/etc", "dest": "/etc/b4t-inside"}, "overlap"),
        (
            {"src": "/etc", "dest": "/tmp/b4t-y", "dest_user": "no-such-user-b4t"},
            "dest_user: user 'no-such-user-b4t' does not exist",
        ),
    ],
)
def test_copy_bad_input_names_the_field(playbook, args, message):
    result = playbook(COPY, args)
    assert result.rc != 0
    assert message in result.task_results("copy")["msg"]
    assert not Path(args["dest"]).exists()


def test_copy_bad_userns_names_the_field(playbook, rootless_user, tmp_path):
    result = playbook(
        COPY, {"src": str(tmp_path), "dest": "/tmp/b4t-z", "dest_user": rootless_user.name, "dest_userns": "auto"}
    )
    assert result.rc != 0
    assert "dest_userns" in result.task_results("copy")["msg"]


@pytest.fixture
def gateway_inspect(tmp_path):
    """docker inspect of a created (never started) gateway-like container."""
    name = "b4t-gw-%s" % uuid.uuid4().hex[:6]
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    run(
        [
            "docker",
            "create",
            "--name",
            name,
            "--init",
            "--user",
            "1000:1000",
            "-p",
            "127.0.0.1:28789:8000",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            "--read-only",
            "-e",
            'GREETING=50% off $HOME "quoted"',
            "-v",
            "%s:/workspace:ro" % workspace,
            "b4arena-test/openclaw-sandbox:latest",
            "python3",
            "-m",
            "http.server",
            "8000",
        ]
    )
    yield json.loads(run(["docker", "inspect", name]).stdout)[0]
    run(["docker", "rm", "-f", name], check=False)


def test_docker_container_becomes_a_rootless_service(playbook, rootless_user, gateway_inspect, tmp_path):
    name = gateway_inspect["Name"].lstrip("/")
    bind = Path(rootless_user.home) / "workspace-copy"
    bind.mkdir()
    shutil.chown(bind, rootless_user.uid, rootless_user.uid)
    source = gateway_inspect["Mounts"][0]["Source"]
    args = {"inspect": gateway_inspect, "user": rootless_user.name, "bind_map": {source: str(bind)}}
    unit_path = Path(rootless_user.home, ".config/systemd/user/%s.service" % name)

    checked = playbook(UNIT, args, check=True, diff=True)
    assert checked.rc == 0, checked.stderr
    assert checked.task_results("unit")["changed"] is True
    assert not unit_path.exists()

    written = playbook(UNIT, args)
    assert written.rc == 0, written.stderr
    result = written.task_results("unit")
    assert result["format"] == "unit"  # Podman 4.3.1 here: no Quadlet with PodmanArgs
    assert result["path"] == str(unit_path)
    assert unit_path.stat().st_uid == rootless_user.uid
    assert unit_path.parent.stat().st_uid == rootless_user.uid
    assert "--publish 127.0.0.1:28789:8000" in unit_path.read_text()
    assert playbook(UNIT, args).task_results("unit")["changed"] is False

    # Podman accepts the converted flags, and the container runs as Docker ran it.
    argv = result["argv"]
    rootless_user.podman(*argv[1:2], "--detach", *argv[2:])
    try:
        state = rootless_user.podman_json("inspect", name)[0]
        assert state["State"]["Running"] is True
        assert state["Config"]["User"] == "1000:1000"
        env = rootless_user.podman("exec", name, "sh", "-c", 'echo "$GREETING"; id -u; cat /proc/self/uid_map').stdout
        lines = env.splitlines()
        assert lines[0] == '50% off $HOME "quoted"'
        assert lines[1] == "1000"
        assert ["1000", "0", "1"] in [line.split() for line in lines[2:]]
        host_user = run(["ps", "-o", "user=", "-p", str(state["State"]["Pid"])]).stdout.strip()
        assert host_user == rootless_user.name
    finally:
        rootless_user.podman("rm", "-f", name, check=False)

    removed = playbook(UNIT, {"inspect": {}, "user": rootless_user.name, "state": "absent", "name": name})
    assert removed.rc == 0, removed.stderr
    assert not unit_path.exists()


def test_blocking_refusals_fail_and_write_nothing(playbook, rootless_user):
    name = "b4t-priv-%s" % uuid.uuid4().hex[:6]
    run(["docker", "create", "--name", name, "--privileged", "--network", "host", SANDBOX, "sleep", "1"])
    try:
        inspect = json.loads(run(["docker", "inspect", name]).stdout)[0]
    finally:
        run(["docker", "rm", "-f", name])
    result = playbook(UNIT, {"inspect": inspect, "user": rootless_user.name})
    assert result.rc != 0
    task = result.task_results("unit")
    assert "HostConfig.Privileged True" in task["msg"] and "HostConfig.NetworkMode host" in task["msg"]
    assert {r["field"] for r in task["refused"] if r["blocking"]} == {"HostConfig.Privileged", "HostConfig.NetworkMode"}
    home = pwd.getpwnam(rootless_user.name).pw_dir
    assert not Path(home, ".config/systemd/user/%s.service" % name).exists()


PLAN = """
- name: plan
  b4arena.rootless.migration_plan:
    user: "{{ user }}"
    gateway: "{{ gateway | default('') }}"
"""


@pytest.fixture
def docker_host(tmp_path):
    """A gateway named by user (the image's 'sandbox'), a state volume with OpenClaw's config, a
    workspace bind, two idle sandboxes (one on a user network) and an unrelated container."""
    tag = uuid.uuid4().hex[:6]
    names = {
        "gw": "b4t-gw-%s" % tag,
        "sbx1": "openclaw-sbx-%s-a" % tag,
        "sbx2": "openclaw-sbx-%s-b" % tag,
        "other": "b4t-other-%s" % tag,
        "net": "b4t-net-%s" % tag,
        "vol": "b4t-state-%s" % tag,
    }
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "a.txt").write_text("hello")
    run(["docker", "network", "create", names["net"]])
    run(["docker", "volume", "create", names["vol"]])
    config = {"agents": {"defaults": {"sandbox": {"mode": "all", "docker": {"network": names["net"]}}}}}
    run(
        [
            "docker",
            "run",
            "--rm",
            "-v",
            "%s:/s" % names["vol"],
            SANDBOX,
            "sh",
            "-c",
            "echo '%s' > /s/openclaw.json" % json.dumps(config),
        ]
    )
    image = "b4arena-test/openclaw-sandbox:latest"
    run(["docker", "tag", image, "openclaw-sandbox:bookworm-slim"])
    run(
        [
            "docker",
            "create",
            "--name",
            names["gw"],
            "--user",
            "sandbox",
            "-p",
            "127.0.0.1:18789:18789",
            "-v",
            "%s:/home/node/.openclaw" % names["vol"],
            "-v",
            "%s:/workspace" % workspace,
            image,
            "sleep",
            "1",
        ]
    )
    run(["docker", "create", "--name", names["sbx1"], "--network", "none", image, "sleep", "1"])
    run(["docker", "create", "--name", names["sbx2"], "--network", names["net"], image, "sleep", "1"])
    run(["docker", "create", "--name", names["other"], SANDBOX, "sleep", "1"])
    yield names, str(workspace)
    run(["docker", "rm", "-f", names["gw"], names["sbx1"], names["sbx2"], names["other"]], check=False)
    run(["docker", "volume", "rm", names["vol"]], check=False)
    run(["docker", "network", "rm", names["net"]], check=False)


def test_plan_reads_the_docker_host(playbook, docker_host, rootless_user):
    names, workspace = docker_host
    result = playbook(PLAN, {"user": rootless_user.name, "gateway": names["gw"]}, check=True)
    assert result.rc == 0, result.stderr
    task = result.task_results("plan")
    plan = task["plan"]
    assert task["changed"] is False
    roles = {c["name"]: (c["role"], c["action"]) for c in plan["containers"]}
    assert roles[names["gw"]] == ("gateway", "move")
    assert roles[names["sbx1"]] == roles[names["sbx2"]] == ("sandbox", "remove")
    assert roles[names["other"]] == ("other", "leave")
    gw = next(c for c in plan["containers"] if c["name"] == names["gw"])
    # "sandbox" resolved from the image's /etc/passwd to the uid the gateway's files belong to.
    assert gw["userns"] == "keep-id:uid=1000,gid=1000" and gw["resolved_user"] == "1000:1000"
    assert plan["openclaw"]["install"] == "container" and plan["openclaw"]["config"] == "openclaw.json"
    assert plan["openclaw"]["sandbox"]["network"] == names["net"]
    assert {n["name"]: n["action"] for n in plan["networks"]} == {names["net"]: "recreate"}
    assert [v["name"] for v in plan["volumes"]] == [names["vol"]]
    assert plan["volumes"][0]["files"] == 1
    assert plan["binds"][0]["source"] == workspace and plan["binds"][0]["files"] == 1
    assert plan["binds"][0]["podman_path"].startswith(rootless_user.home + "/.local/share/b4arena-rootless/binds/")
    assert {i["ref"] for i in plan["images"]} == {
        "b4arena-test/openclaw-sandbox:latest",
        "openclaw-sandbox:bookworm-slim",
    }
    assert plan["blocking"] is False
    assert names["gw"] in task["inspect"]


def test_plan_names_a_missing_gateway(playbook, rootless_user):
    result = playbook(PLAN, {"user": rootless_user.name, "gateway": "no-such-gateway-b4t"})
    assert result.rc != 0
    assert "gateway: no Docker container named 'no-such-gateway-b4t'" in result.task_results("plan")["msg"]


def test_plan_finds_an_openclaw_running_on_the_host(playbook, rootless_user):
    """No gateway container: OpenClaw runs on the host as the user; only its sandboxes move."""
    run(["docker", "tag", "b4arena-test/openclaw-sandbox:latest", "openclaw-sandbox:bookworm-slim"])
    state = Path(rootless_user.home, ".openclaw")
    state.mkdir()
    (state / "openclaw.json").write_text(
        json.dumps({"agents": {"defaults": {"sandbox": {"docker": {"network": "bridge"}}}}})
    )
    try:
        result = playbook(PLAN, {"user": rootless_user.name}, check=True)
        assert result.rc == 0, result.stderr
        plan = result.task_results("plan")["plan"]
        assert plan["gateway"] is None
        assert plan["openclaw"] == {
            "install": "host",
            "config": str(state / "openclaw.json"),
            "found": True,
            "sandbox": {
                "mode": "off",
                "backend": "docker",
                "image": "openclaw-sandbox:bookworm-slim",
                "network": "bridge",
            },
        }
        assert [(n["name"], n["podman_name"]) for n in plan["networks"]] == [("bridge", "openclaw-sandbox-net")]
        assert [i["ref"] for i in plan["images"]] == ["openclaw-sandbox:bookworm-slim"]
    finally:
        shutil.rmtree(state)
