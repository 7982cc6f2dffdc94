"""Sandbox start latency, create to first exec output, through playbooks/bench.yml on this machine.

Variants: rootful Docker (this machine's dockerd), rootless Podman's CLI configured as the
rootless_host role configures a host like this one (overlay, runc on hybrid cgroups, cgroupfs,
num_locks, the collection's seccomp profile), the same user's Podman through its REST API (the
podman package), and an untuned user (Podman's defaults; only runc is set, since the default
crun cannot run here on hybrid cgroups). Writes bench/results/sandbox.png too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import matplotlib

from ansible_collections.b4arena.rootless.tests.integration.harness import BIN, RootlessUser
from ansible_collections.b4arena.rootless.tests.integration.harness import run as run_cmd

REPO = Path(__file__).resolve().parents[1]
IMAGE = "openclaw-sandbox:bookworm-slim"
TUNED, UNTUNED = "b4bench-tuned", "b4bench-untuned"
SIZES = [int(s) for s in os.environ.get("BENCH_SANDBOX_SIZES", "1,5,10,20").split(",")]
REPEAT = int(os.environ.get("BENCH_SANDBOX_REPEAT", "3"))


def make_user(name, tarball, config):
    run_cmd(["useradd", "-m", "-s", "/bin/sh", name])
    user = RootlessUser(name)
    conf = Path(user.home) / ".config" / "containers"
    conf.mkdir(parents=True)
    for file, text in config.items():
        (conf / file).write_text(text)
    run_cmd(["chown", "-R", "%d:%d" % (user.uid, user.gid), str(Path(user.home) / ".config")])
    runtime = Path(user.runtime)
    runtime.mkdir(parents=True, exist_ok=True)
    shutil.chown(runtime, user.uid, user.gid)
    runtime.chmod(0o700)
    with open(tarball, "rb") as image:
        user.podman("load", stdin=image)
    user.podman("tag", "b4arena-test/openclaw-sandbox:latest", IMAGE)
    driver = user.podman("info", "--format", "{{.Store.GraphDriverName}}").stdout.strip()
    return driver


def drop_user(name):
    subprocess.run(["pkill", "-KILL", "-u", name], check=False)
    try:
        runtime = RootlessUser(name).runtime
    except KeyError:
        return
    subprocess.run(["userdel", "-r", "-f", name], check=False, capture_output=True)
    shutil.rmtree(runtime, ignore_errors=True)


def chart(data, path):
    matplotlib.use("Agg")  # no display; pyplot picks its backend at import
    import matplotlib.pyplot as plt  # noqa: PLC0415

    variants = list(data["results"])
    sizes = [str(s) for s in data["sizes"]]
    fig, ax = plt.subplots(figsize=(9, 5))
    width = 0.8 / len(variants)
    for i, name in enumerate(variants):
        rows = [data["results"][name][s] for s in sizes]
        xs = [j + i * width for j in range(len(sizes))]
        ax.bar(xs, [r.get("p50", 0) for r in rows], width, label="%s p50" % name)
        ax.scatter(xs, [r.get("p95", 0) for r in rows], marker="_", s=200, color="black")
    ax.set_xticks([j + width * (len(variants) - 1) / 2 for j in range(len(sizes))], ["%s at once" % s for s in sizes])
    ax.set_ylabel("seconds, create to first exec output (bar p50, dash p95)")
    ax.set_title("OpenClaw sandbox start: Docker vs rootless Podman (%s)" % data["machine"])
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def run_bench():
    with tempfile.TemporaryDirectory() as tmp:
        tarball = Path(tmp) / "sandbox.tar"
        run_cmd(["docker", "tag", "b4arena-test/openclaw-sandbox:latest", IMAGE])
        run_cmd(["docker", "save", "-o", str(tarball), "b4arena-test/openclaw-sandbox:latest"])
        tarball.chmod(0o644)
        profile = REPO / "roles" / "rootless_host" / "files" / "openclaw-sandbox-seccomp.json"
        seccomp = Path(tmp) / "seccomp.json"
        shutil.copy(profile, seccomp)
        Path(tmp).chmod(0o755)
        seccomp.chmod(0o644)
        tuned_driver = make_user(
            TUNED,
            tarball,
            {
                "storage.conf": '[storage]\ndriver = "overlay"\n',
                "containers.conf": '[containers]\nseccomp_profile = "%s"\n\n[engine]\nruntime = "runc"\n'
                'cgroup_manager = "cgroupfs"\nevents_logger = "file"\nnum_locks = 2048\n' % seccomp,
            },
        )
        untuned_driver = make_user(UNTUNED, tarball, {"containers.conf": '[engine]\nruntime = "runc"\n'})
        reports = Path(tmp) / "reports"
        argv = [
            str(BIN / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            str(REPO / "playbooks" / "bench.yml"),
            "-e",
            json.dumps(
                {
                    "ansible_python_interpreter": str(BIN / "python"),
                    "sandbox_check_user": TUNED,
                    "sandbox_check_bench_untuned_user": UNTUNED,
                    "sandbox_check_bench_sizes": SIZES,
                    "sandbox_check_bench_repeat": REPEAT,
                    "sandbox_check_report_dir": str(reports),
                }
            ),
        ]
        started = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError("playbooks/bench.yml failed:\n%s" % proc.stdout[-4000:])
        data = json.loads((reports / "sandbox-bench-localhost.json").read_text())
    data["storage"] = {"podman-cli": tuned_driver, "podman-api": tuned_driver, "podman-untuned": untuned_driver}
    data["playbook_wall_s"] = round(wall, 1)
    return data


def run():
    try:
        data = run_bench()
    finally:
        drop_user(TUNED)
        drop_user(UNTUNED)
    data["machine"] = "Debian 12, kernel %s, %d cores" % (os.uname().release, len(os.sched_getaffinity(0)))
    print(
        "   create -> first exec output, OpenClaw's sandbox flags, %d rounds per size (%s)" % (REPEAT, data["machine"])
    )
    print(
        "   %-15s %-8s %5s %8s %8s %7s %7s %5s"
        % ("variant", "storage", "n", "p50 s", "p95 s", "x p50", "x p95", "fail")
    )
    for name, sizes in data["results"].items():
        for size, row in sorted(sizes.items(), key=lambda kv: int(kv[0])):
            print(
                "   %-15s %-8s %5s %8s %8s %7s %7s %5s"
                % (
                    name,
                    data["storage"].get(name, "overlay2"),
                    size,
                    row.get("p50", "-"),
                    row.get("p95", "-"),
                    row.get("ratio_p50", "-"),
                    row.get("ratio_p95", "-"),
                    row["failures"],
                )
            )
    for name, sizes in data["results"].items():
        for size, row in sizes.items():
            for error in row["errors"]:
                print("   failed start, %s at %s: %s" % (name, size, error))
    png = Path(__file__).parent / "results" / "sandbox.png"
    png.parent.mkdir(exist_ok=True)
    chart(data, png)
    print("   chart -> %s" % png)
    return data
