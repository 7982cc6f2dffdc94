"""The collection as a user gets it: built tarball, installed into a fresh collections path."""

from __future__ import annotations

import json
import os
import tarfile

from ansible_collections.b4arena.rootless.tests.integration.harness import BIN, run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_tarball_builds_installs_and_runs(tmp_path):
    dist, installed = tmp_path / "dist", tmp_path / "collections"
    run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist), REPO])
    (tarball,) = dist.glob("b4arena-rootless-*.tar.gz")
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "plugins/modules/subid.py" in names and "README.md" in names
    dev_only = [n for n in names if n.split("/")[0] in {"tests", "molecule", "scripts", "bench", ".venv", ".cache"}]
    assert dev_only == []

    # Only the fresh path (plus the pinned ansible package's own collections) is searched:
    # PYTHONPATH would show ansible this checkout through sys.path.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed))
    env.pop("PYTHONPATH", None)
    out = run([str(BIN / "ansible-galaxy"), "collection", "install", "-p", str(installed), str(tarball)], env=env)
    assert "b4arena.rootless:" in out.stdout
    assert (installed / "ansible_collections/b4arena/rootless/plugins/modules/subid.py").exists()

    doc = json.loads(run([str(BIN / "ansible-doc"), "--json", "b4arena.rootless.subid"], env=env).stdout)
    assert doc["b4arena.rootless.subid"]["doc"]["collection"] == "b4arena.rootless"
    files = tmp_path / "etc"
    files.mkdir()
    result = run(
        [
            str(BIN / "ansible"),
            "localhost",
            "-m",
            "b4arena.rootless.subid",
            "-a",
            "name=fleetuser uid=4000 subuid_file=%s/subuid subgid_file=%s/subgid" % (files, files),
            "-e",
            "ansible_python_interpreter=/usr/bin/python3",
        ],
        env=env,
    )
    assert '"changed": true' in result.stdout
    assert (files / "subuid").read_text() == "fleetuser:100000:65536\n"
