"""The migration planner on real docker inspect records."""

from __future__ import annotations

import json
import pathlib

from ansible_collections.b4arena.rootless.plugins.module_utils._migration import build_plan, slug, state_mount

FIXTURES = pathlib.Path(__file__).parents[2] / "fixtures" / "docker_inspect"


def record(name):
    return json.loads((FIXTURES / ("%s.json" % name)).read_text())


def plan_of(*names, **kw):
    image = {"Id": "sha256:abc", "Config": record("image-config")}
    kw.setdefault("images", {"b4arena-test/openclaw-sandbox:latest": image, "openclaw-sandbox:bookworm-slim": image})
    return build_plan([record(n) for n in names], volumes={}, networks={}, user="openclaw", home="/home/openclaw", **kw)


def test_gateway_is_found_by_name_and_sandboxes_are_removed():
    plan = plan_of("openclaw-gateway", "openclaw-sbx-main", "low-port")
    actions = {c["name"]: (c["role"], c["action"]) for c in plan["containers"]}
    assert actions == {
        "openclaw-gateway": ("gateway", "move"),
        "openclaw-sbx-main": ("sandbox", "remove"),
        "low-port": ("other", "leave"),
    }
    assert plan["gateway"]["state_mount"]["name"] == "b4-capture-state"
    assert (
        plan["binds"][0]["podman_path"] == "/home/openclaw/.local/share/b4arena-rootless/binds/tmp-b4-capture-workspace"
    )
    assert plan["blocking"] is False


def test_gateway_found_by_port_drops_the_docker_socket_without_blocking():
    plan = plan_of("gateway-with-socket")
    assert plan["gateway"]["name"] == "gateway-with-socket"
    assert {(r["field"], r["blocking"]) for r in plan["refusals"]} == {
        ("Mounts", False),
        ("HostConfig.GroupAdd", False),
    }
    assert plan["binds"] == []


def test_a_service_that_cannot_move_blocks_the_plan():
    plan = plan_of("openclaw-gateway", "privileged-host", extra=["privileged-host"])
    assert plan["blocking"] is True
    assert {r["container"] for r in plan["refusals"] if r["blocking"]} == {"privileged-host"}


def test_a_missing_image_blocks():
    plan = plan_of("openclaw-gateway", images={})
    assert [r["value"] for r in plan["refusals"]] == ["b4arena-test/openclaw-sandbox:latest"]
    assert plan["blocking"] is True


def test_sandbox_config_on_the_default_bridge_maps_to_the_sandbox_network():
    plan = plan_of(
        "openclaw-gateway", openclaw_config={"agents": {"defaults": {"sandbox": {"docker": {"network": "bridge"}}}}}
    )
    assert plan["openclaw"]["sandbox"] == {
        "mode": "off",
        "backend": "docker",
        "image": "openclaw-sandbox:bookworm-slim",
        "network": "bridge",
    }
    bridge = next(n for n in plan["networks"] if n["name"] == "bridge")
    assert (bridge["podman_name"], bridge["action"]) == ("openclaw-sandbox-net", "map")


def test_state_dir_from_the_environment_and_slugs():
    gw = record("openclaw-gateway")
    gw["Config"]["Env"].append("OPENCLAW_STATE_DIR=/home/node/.openclaw/state")
    mount, rel = state_mount(gw)
    assert (mount["Name"], rel) == ("b4-capture-state", "state")
    assert slug("/srv/open claw//ws/") == "srv-open-claw-ws"
