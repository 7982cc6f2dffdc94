"""The Docker-to-Podman converter on real docker inspect records, and its systemd rendering."""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from ansible_collections.b4arena.rootless.plugins.module_utils._convert import (
    convert,
    keep_id,
    render_quadlet,
    render_unit,
    systemd_quote,
    unit_format,
)

HERE = pathlib.Path(__file__).parent
FIXTURES = HERE.parents[1] / "fixtures" / "docker_inspect"
CASES = yaml.safe_load((HERE / "convert_cases.yml").read_text())


def fixture(name):
    return json.loads((FIXTURES / ("%s.json" % name)).read_text())


def contains_in_order(args, wanted):
    """Each [flag, value] pair appears as adjacent items, pairs in the given order."""
    pos = 0
    for pair in wanted:
        for i in range(pos, len(args) - len(pair) + 1):
            if args[i : i + len(pair)] == pair:
                pos = i + len(pair)
                break
        else:
            return pair
    return None


def contains_sequence(args, seq):
    return any(args[i : i + len(seq)] == seq for i in range(len(args) - len(seq) + 1))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_convert_case(case):
    options = dict(case["options"])
    if "resolved_user" in options:
        options["resolved_user"] = tuple(options["resolved_user"])
    conv = convert(fixture(case["fixture"]), image_config=fixture("image-config"), **options)
    args = conv.run_args()
    assert contains_in_order(args, case["args"]) is None, args
    for flags in case["absent"]:
        assert not contains_sequence(args, flags.split(" ")), (flags, args)
    assert conv.command == case["command"]
    assert conv.restart == case["restart"]
    assert [[r.field, r.blocking] for r in conv.refusals] == case["refusals"]
    assert bool(conv.blocking) == any(b for _f, b in case["refusals"])


def test_refusal_names_value_and_reason():
    conv = convert(fixture("low-port"), image_config=fixture("image-config"), resolved_user=(1000, 1000))
    values = sorted(r.value for r in conv.refusals)
    assert values == ["8080/tcp -> 80", "8443/tcp -> 443"]
    assert all("ip_unprivileged_port_start is 1024" in r.reason for r in conv.refusals)


@pytest.mark.parametrize(
    "user, resolved, expected",
    [
        ("", None, "keep-id"),
        ("root", None, "keep-id"),
        ("0:0", None, "keep-id"),
        ("1000", None, "keep-id:uid=1000,gid=1000"),
        ("1000:1001", None, "keep-id:uid=1000,gid=1001"),
        ("node", (1000, 1000), "keep-id:uid=1000,gid=1000"),
        ("node", None, "keep-id"),
    ],
)
def test_keep_id(user, resolved, expected):
    assert keep_id(user, resolved) == expected


def systemd_split(line):
    """systemd's reading of an ExecStart= value: specifiers and $$ undone, C-style quotes."""
    words, word, quoted, i, in_word = [], [], False, 0, False
    escapes = {"n": "\n", "t": "\t", "\\": "\\", '"': '"'}
    while i < len(line):
        ch = line[i]
        if ch == "%" and line[i + 1] == "%":
            word.append("%")
            in_word = True
            i += 2
            continue
        if ch == "$" and line[i + 1] == "$":
            word.append("$")
            in_word = True
            i += 2
            continue
        if quoted and ch == "\\":
            word.append(escapes[line[i + 1]])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
            in_word = True
        elif ch == " " and not quoted:
            if in_word:
                words.append("".join(word))
            word, in_word = [], False
        else:
            word.append(ch)
            in_word = True
        i += 1
    if in_word:
        words.append("".join(word))
    return words


@pytest.mark.parametrize(
    "arg", ["plain", "", "two words", '50% off $HOME "quoted"', "back\\slash", "tab\there", "new\nline", "a=b,c:d"]
)
def test_systemd_quote_round_trip(arg):
    assert systemd_split(systemd_quote(arg)) == [arg]


def test_unit_runs_the_converted_argv_with_live_specifiers():
    conv = convert(fixture("openclaw-gateway"), image_config=fixture("image-config"))
    unit = render_unit(conv, cgroups="disabled", source=" (id abc)")
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))[len("ExecStart=") :]
    argv = exec_start.split(" ", 3)
    assert argv[:3] == ["/usr/bin/podman", "run", "--cidfile=%t/%n.ctr-id"]
    words = systemd_split(argv[3])
    assert words[:7] == [
        "--cgroups=disabled",
        "--rm",
        "--sdnotify=conmon",
        "--replace",
        "--detach",
        "--name",
        "openclaw-gateway",
    ]
    assert words[7:] == [*conv.run_args(), conv.image, *conv.command]
    assert "Restart=always" in unit
    assert "WantedBy=default.target" in unit
    assert "(id abc)" in unit


def test_quadlet_keeps_name_image_command_and_flags():
    conv = convert(fixture("openclaw-gateway"), image_config=fixture("image-config"))
    lines = render_quadlet(conv, cgroups="disabled").splitlines()
    assert "ContainerName=openclaw-gateway" in lines
    assert "Image=b4arena-test/openclaw-sandbox:latest" in lines
    assert systemd_split(next(x for x in lines if x.startswith("Exec="))[5:]) == conv.command
    podman_args = systemd_split(next(x for x in lines if x.startswith("PodmanArgs="))[11:])
    assert podman_args == [*conv.run_args(), "--cgroups=disabled"]


@pytest.mark.parametrize(
    "version, wanted, expected",
    [
        ("4.3.1", "auto", "unit"),
        ("4.4.4", "auto", "unit"),
        ("4.5.0", "auto", "quadlet"),
        ("5.4.2", "auto", "quadlet"),
        ("5.4.2", "unit", "unit"),
    ],
)
def test_unit_format(version, wanted, expected):
    assert unit_format(version, wanted) == expected
