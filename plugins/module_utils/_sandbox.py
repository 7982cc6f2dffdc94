# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenClaw's sandbox lifecycle, replayed: the spec, the engine argv, the steps, the checks.

OpenClaw (``agents.defaults.sandbox``) creates every sandbox with the same flags through the
``docker`` or ``podman`` CLI; this module builds those argv lists from OpenClaw's own
``sandbox.docker.*`` keys, runs the lifecycle step by step through a runner (PodmanRunner for
both CLIs, or the REST API through the ``podman`` Python package), and reads what OpenClaw
reads back from ``inspect``. The sandbox_check and sandbox_bench modules are front doors to it.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import tempfile
import threading
import time

from ansible_collections.b4arena.rootless.plugins.module_utils._podman import PodmanError

DEFAULT_IMAGE = "openclaw-sandbox:bookworm-slim"
DEFAULT_COMMAND = "id -u"

# OpenClaw's sandbox.docker keys this replay applies, their types, and OpenClaw's defaults.
SPEC_KEYS = {
    "image": (str, DEFAULT_IMAGE),
    "workdir": (str, "/workspace"),
    "readOnlyRoot": (bool, True),
    "tmpfs": (list, ["/tmp", "/var/tmp", "/run"]),  # noqa: S108 - paths inside the sandbox
    "network": (str, "none"),
    "user": (str, None),
    "capDrop": (list, ["ALL"]),
    "env": (dict, {}),
    "pidsLimit": (int, None),
    "memory": (str, None),
    "memorySwap": (str, None),
    "cpus": ((int, float), None),
    "seccompProfile": (str, None),
    "apparmorProfile": (str, None),
    "dns": (list, []),
    "extraHosts": (list, []),
    "binds": (list, []),
}
# Keys OpenClaw has that do not change how a sandbox is created and started.
IGNORED_KEYS = ("containerPrefix", "setupCommand", "ulimits", "gpus")

# What OpenClaw parses from `inspect` (see docs/openclaw.md of this collection).
INSPECT_FIELDS = (
    ".State.Running",
    ".State.Paused",
    ".Config.Labels",
    ".Config.Env",
    ".Id",
    ".Mounts[].Type/Source/Destination/RW",
    ".HostConfig.Tmpfs",
)

STEPS = ("image inspect", "inspect absent", "create", "start", "inspect running", "exec", "inspect", "rm")


class SpecError(ValueError):
    """Input that names a field and its value; nothing has run."""


def sandbox_spec(config, image=None):
    """OpenClaw's ``sandbox.docker`` mapping -> the full spec with OpenClaw's defaults.

    Returns (spec, ignored) where ignored lists keys that do not affect the lifecycle."""
    config = dict(config or {})
    spec, ignored = {}, []
    for key in config:
        if key in IGNORED_KEYS or key.startswith("dangerouslyAllow"):
            ignored.append(key)
        elif key not in SPEC_KEYS:
            raise SpecError("sandbox.%s: not an OpenClaw sandbox.docker key (known: %s)" % (key, ", ".join(SPEC_KEYS)))
    for key, (kind, default) in SPEC_KEYS.items():
        value = config.get(key, default)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            raise SpecError("sandbox.%s: %r is not a %s" % (key, value, getattr(kind, "__name__", "number")))
        spec[key] = value
    if image:
        spec["image"] = image
    spec["_tmpfs_default"] = "tmpfs" not in config
    if spec["network"] == "host":
        raise SpecError("sandbox.network: 'host' is refused by OpenClaw (sandboxes never share the host network)")
    for key in ("seccompProfile", "apparmorProfile"):
        if spec[key] == "unconfined":
            raise SpecError("sandbox.%s: 'unconfined' is refused by OpenClaw" % key)
    for item in spec["tmpfs"] + spec["capDrop"] + spec["dns"] + spec["extraHosts"] + spec["binds"]:
        if not isinstance(item, str) or not item:
            raise SpecError("sandbox: list item %r is not a non-empty string" % (item,))
    return spec, sorted(ignored)


def keep_id_mode(user):
    """Podman's --userns for a rootless sandbox, as OpenClaw derives it from sandbox.docker.user."""
    if not user:
        return "keep-id"
    match = re.match(r"^(\d+)(?::(\d+))?$", user.strip())
    if not match:
        raise SpecError("sandbox.user: %r must be a numeric UID or UID:GID under rootless Podman (keep-id)" % user)
    uid, gid = int(match.group(1)), match.group(2)
    if uid == 0 or (gid is not None and int(gid) == 0):
        raise SpecError("sandbox.user: %r cannot be UID or GID 0 under rootless Podman (keep-id)" % user)
    return "keep-id:uid=%d,gid=%d" % (uid, int(gid)) if gid is not None else "keep-id:uid=%d" % uid


def create_args(engine, name, spec, *, labels=None, env_file=None, rootless=False):
    """The ``create`` arguments OpenClaw gives ``engine`` (docker | podman), in OpenClaw's order.

    Podman gets OpenClaw's extras: no proxy env, writable tmpfs under a read-only root, and,
    rootless, ``--userns keep-id`` (mapped to sandbox.docker.user when set); its default tmpfs
    leaves /run alone, where Podman mounts its init."""
    args = ["create", "--name", name, "--init"]
    for key, value in [("openclaw.sandbox", "1"), *sorted((labels or {}).items())]:
        args += ["--label", "%s=%s" % (key, value)]
    if spec["readOnlyRoot"]:
        args.append("--read-only")
    tmpfs = spec["tmpfs"]
    if engine == "podman" and spec.get("_tmpfs_default"):
        tmpfs = [path for path in tmpfs if path != "/run"]
    for path in tmpfs:
        args += ["--tmpfs", path]
    args += ["--network", spec["network"]]
    if spec["user"]:
        args += ["--user", spec["user"]]
    for cap in spec["capDrop"]:
        args += ["--cap-drop", cap]
    args += ["--security-opt", "no-new-privileges"]
    if spec["seccompProfile"]:
        args += ["--security-opt", "seccomp=%s" % spec["seccompProfile"]]
    if spec["apparmorProfile"]:
        args += ["--security-opt", "apparmor=%s" % spec["apparmorProfile"]]
    for server in spec["dns"]:
        args += ["--dns", server]
    for entry in spec["extraHosts"]:
        args += ["--add-host", entry]
    for flag, key in (("--pids-limit", "pidsLimit"), ("--memory", "memory"), ("--memory-swap", "memorySwap")):
        if spec[key] is not None:
            args += [flag, str(spec[key])]
    if spec["cpus"] is not None:
        args += ["--cpus", str(spec["cpus"])]
    if engine == "podman":
        args.append("--http-proxy=false")
        if spec["readOnlyRoot"]:
            args.append("--read-only-tmpfs=true")
        if rootless:
            args += ["--userns", keep_id_mode(spec["user"])]
    args += ["--workdir", spec["workdir"]]
    for bind in spec["binds"]:
        args += ["-v", bind]
    if env_file:
        args += ["--env-file", env_file]
    return [*args, spec["image"], "sleep", "infinity"]


def exec_args(name, spec, command, env_file=None):
    args = ["exec", "-i", "-w", spec["workdir"]]
    if env_file:
        args += ["--env-file", env_file]
    return [*args, name, "/bin/sh", "-lc", command]


def openclaw_view(record):
    """The part of an ``inspect`` record OpenClaw parses, in one comparable shape."""
    state = record.get("State") or {}
    config = record.get("Config") or {}
    host = record.get("HostConfig") or {}
    mounts = [
        {"Type": m.get("Type"), "Source": m.get("Source"), "Destination": m.get("Destination"), "RW": m.get("RW")}
        for m in record.get("Mounts") or []
    ]
    return {
        ".Id": record.get("Id"),
        ".State.Running": state.get("Running"),
        ".State.Paused": state.get("Paused"),
        ".Config.Labels": config.get("Labels"),
        ".Config.Env": config.get("Env"),
        ".Mounts": sorted(mounts, key=lambda m: (str(m["Destination"]), str(m["Source"]))),
        ".HostConfig.Tmpfs": host.get("Tmpfs"),
    }


def _env_map(entries):
    return dict(e.split("=", 1) if "=" in e else (e, None) for e in entries or [])


def compare_views(docker, podman, spec, labels, env):
    """Differences between two openclaw_view()s of one sandbox definition.

    Each difference says whether it breaks OpenClaw: a value OpenClaw set (a label, an env
    entry, a tmpfs path, a bind) missing or different, or a field of another type or shape, does;
    entries an engine adds on its own (its env defaults, tmpfs mount options) do not."""
    out = []

    def add(field, breaks, why, d, p):
        out.append({"field": field, "breaks_openclaw": breaks, "why": why, "docker": d, "podman": p})

    for field in (".State.Running", ".State.Paused"):
        if docker[field] != podman[field] or not isinstance(podman[field], bool):
            add(field, True, "OpenClaw reads it as a boolean", docker[field], podman[field])
    hexid = re.compile(r"^[0-9a-f]{64}$")
    if not (isinstance(podman[".Id"], str) and hexid.match(podman[".Id"])):
        add(".Id", True, "OpenClaw expects 64 hex digits", docker[".Id"], podman[".Id"])

    want_labels = {"openclaw.sandbox": "1", **(labels or {})}
    for engine_name, view in (("docker", docker), ("podman", podman)):
        got = view[".Config.Labels"] or {}
        missing = {k: v for k, v in want_labels.items() if got.get(k) != v}
        if missing:
            add(".Config.Labels", True, "%s lost labels OpenClaw set: %s" % (engine_name, missing), None, None)
    d_extra = sorted(set(docker[".Config.Labels"] or {}) - set(want_labels))
    p_extra = sorted(set(podman[".Config.Labels"] or {}) - set(want_labels))
    if d_extra != p_extra:
        add(".Config.Labels", False, "labels the engine or image adds", d_extra, p_extra)

    d_env, p_env = _env_map(docker[".Config.Env"]), _env_map(podman[".Config.Env"])
    for key, value in sorted((env or {}).items()):
        if p_env.get(key) != str(value):
            add(".Config.Env", True, "podman lost env %s OpenClaw set" % key, d_env.get(key), p_env.get(key))
    engine_added = {k: (d_env.get(k), p_env.get(k)) for k in set(d_env) | set(p_env) if d_env.get(k) != p_env.get(k)}
    for key in sorted(engine_added):
        if key not in (env or {}):
            add(".Config.Env", False, "%s set by the engine, not by OpenClaw" % key, *engine_added[key])

    d_mounts = {m["Destination"]: m for m in docker[".Mounts"]}
    p_mounts = {m["Destination"]: m for m in podman[".Mounts"]}
    for dest in sorted(set(d_mounts) | set(p_mounts)):
        d, p = d_mounts.get(dest), p_mounts.get(dest)
        if d == p:
            continue
        requested = any(b.split(":")[1] == dest for b in spec["binds"] if ":" in b)
        add(".Mounts", requested, "mount at %s%s" % (dest, " (a bind OpenClaw set)" if requested else ""), d, p)

    d_tmpfs, p_tmpfs = docker[".HostConfig.Tmpfs"] or {}, podman[".HostConfig.Tmpfs"] or {}
    if not isinstance(podman[".HostConfig.Tmpfs"], (dict, type(None))):
        add(".HostConfig.Tmpfs", True, "OpenClaw reads a path -> options map", d_tmpfs, podman[".HostConfig.Tmpfs"])
    else:
        for path in spec["tmpfs"]:
            if path not in p_tmpfs:
                add(".HostConfig.Tmpfs", True, "podman lost tmpfs %s" % path, d_tmpfs.get(path), None)
        for path in sorted(set(d_tmpfs) | set(p_tmpfs)):
            if path in spec["tmpfs"] and path in p_tmpfs and d_tmpfs.get(path) != p_tmpfs.get(path):
                add(".HostConfig.Tmpfs", False, "mount options of %s" % path, d_tmpfs.get(path), p_tmpfs.get(path))
    return out


def proc_security(pid, proc="/proc"):
    """What the kernel says about a sandbox's process: host uid, capabilities, no_new_privs, seccomp."""
    fields = {}
    with open(os.path.join(proc, str(pid), "status")) as f:
        for line in f:
            key, _sep, value = line.partition(":")
            fields[key] = value.strip()
    seccomp = {"0": "disabled", "1": "strict", "2": "filter"}
    return {
        "host_uid": int(fields["Uid"].split()[0]),
        "host_gid": int(fields["Gid"].split()[0]),
        "cap_effective": fields.get("CapEff"),
        "cap_bounding": fields.get("CapBnd"),
        "no_new_privs": fields.get("NoNewPrivs") == "1",
        "seccomp": seccomp.get(fields.get("Seccomp"), fields.get("Seccomp")),
    }


# Run inside the sandbox after the command: what a process there can do. One line each.
PROBE = (
    "echo probe-uid=$(id -u); "
    "(touch /probe-ro 2>/dev/null && echo probe-root=writable) || echo probe-root=read-only; "
    "echo probe-ifaces=$(cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ,); "
    "echo probe-capeff=$(grep CapEff /proc/self/status | cut -f2)"
)


def parse_probe(text):
    probe = {}
    for line in text.splitlines():
        if line.startswith("probe-") and "=" in line:
            key, value = line[len("probe-") :].split("=", 1)
            probe[key] = value.strip()
    if "ifaces" in probe:
        probe["ifaces"] = [i for i in probe["ifaces"].split(",") if i]
    return probe


class CliEngine:
    """A sandbox engine driven through its CLI (docker, podman, or podman-docker's docker).

    ``runner`` is a PodmanRunner whose executable is the CLI; ``kind`` picks the flavour of
    OpenClaw's flags (docker | podman)."""

    def __init__(self, runner, kind, rootless=False):
        self.runner = runner
        self.kind = kind
        self.rootless = rootless
        self.stalled = threading.Event()  # never set: a CLI call cannot leave a service stuck

    def run(self, args, data=None):
        rc, out, err = self.runner.run([self.runner.executable, *args], data=data)
        return rc, out, err

    def inspect(self, name):
        rc, out, err = self.run(["inspect", name])
        if rc != 0:
            return None, err
        return json.loads(out)[0], err

    def env_file(self, env):
        """A 0600 file the engine's user can read, as OpenClaw writes one; None without env."""
        if not env:
            return None
        ctx = self.runner.context
        base = ctx.env.get("XDG_RUNTIME_DIR") if ctx.switch else None
        fd, path = tempfile.mkstemp(prefix="b4arena-sandbox-env-", dir=base)
        with os.fdopen(fd, "w") as f:
            f.write("".join("%s=%s\n" % kv for kv in sorted(env.items())))
        if ctx.switch:
            os.chown(path, ctx.uid, ctx.gid)
        return path

    def create(self, name, spec, labels, env_file):
        return self.run(create_args(self.kind, name, spec, labels=labels, env_file=env_file, rootless=self.rootless))

    def start(self, name):
        return self.run(["start", name])

    def exec(self, name, spec, command, env_file):
        return self.run(exec_args(name, spec, command, env_file), data="\n")

    def remove(self, name):
        return self.run(["rm", "-f", name])


class ApiEngine:
    """Rootless Podman through its REST API (the ``podman`` Python package), for the benchmark.

    Takes OpenClaw's spec to the API's create fields; only what the benchmark needs. Each
    thread gets its own client (one HTTP connection, a request timeout), so that concurrent
    starts are concurrent requests and a stuck request fails that start instead of the run."""

    def __init__(self, client_factory, rootless=True):
        self.client_factory = client_factory
        self.rootless = rootless
        self._local = threading.local()
        # Set when a request timed out: the service is stuck (Podman 4.3.1's can deadlock under
        # concurrent keep-id creates), so every later call fails at once instead of waiting.
        self.stalled = threading.Event()

    @property
    def client(self):
        if getattr(self._local, "client", None) is None:
            self._local.client = self.client_factory()
        return self._local.client

    def _call(self, fn):
        if self.stalled.is_set():
            return 1, "", "not tried: the API service stopped answering earlier"
        try:
            fn()
            return 0, "", ""
        except Exception as e:  # any API error is this step's failure, reported as text
            if "Timeout" in type(e).__name__:
                self.stalled.set()
            return 1, "", "%s: %s" % (type(e).__name__, e)

    def create(self, name, spec, labels, env_file):
        fields = dict(
            name=name,
            command=["sleep", "infinity"],
            init=True,
            labels={"openclaw.sandbox": "1", **(labels or {})},
            read_only=bool(spec["readOnlyRoot"]),
            # The API takes tmpfs as mounts (podman-py refuses its docker-style tmpfs keyword).
            mounts=[
                {"type": "tmpfs", "source": "tmpfs", "target": path}
                for path in spec["tmpfs"]
                if not (spec.get("_tmpfs_default") and path == "/run")
            ],
            network_mode=spec["network"],
            cap_drop=list(spec["capDrop"]),
            security_opt=["no-new-privileges"],
            working_dir=spec["workdir"],
            environment=dict(spec["env"]),
        )
        if spec["user"]:
            fields["user"] = spec["user"]
        if self.rootless:
            fields["userns_mode"] = keep_id_mode(spec["user"])
        return self._call(lambda: self.client.containers.create(spec["image"], **fields))

    def start(self, name):
        return self._call(lambda: self.client.containers.get(name).start())

    def exec(self, name, spec, command, env_file):
        out = {}

        def run():
            rc, output = self.client.containers.get(name).exec_run(["/bin/sh", "-lc", command], workdir=spec["workdir"])
            out.update(rc=rc, output=output)
            if rc != 0:
                raise RuntimeError("exec exited %s: %r" % (rc, output))

        rc, _out, err = self._call(run)
        text = out.get("output") or b""
        return rc, text.decode(errors="replace") if isinstance(text, bytes) else str(text), err

    def remove(self, name):
        return self._call(lambda: self.client.containers.get(name).remove(force=True))


class ApiService:
    """``podman system service`` as the variant's user, for the length of one variant.

    The one process here not run through run_command: it has to outlive the call that starts it."""

    def __init__(self, context, executable):
        self.context = context
        self.socket = os.path.join(context.env["XDG_RUNTIME_DIR"], "b4arena-bench-%d.sock" % os.getpid())
        self.argv = context.wrap([executable, "system", "service", "--time=0", "unix://" + self.socket])
        self.proc = None

    def __enter__(self):
        env = (
            dict(os.environ, **self.context.env)
            if not self.context.switch
            else {"LC_ALL": "C", "PATH": os.environ["PATH"]}
        )
        self.proc = subprocess.Popen(self.argv, env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else "timeout"
                self.__exit__(None, None, None)
                raise PodmanError("podman system service did not start: %s" % err.strip(), cmd=self.argv)
            time.sleep(0.05)
        return "unix://" + self.socket

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if os.path.exists(self.socket):
            os.unlink(self.socket)


def _step(steps, name, started, rc, out, err, ok=None):  # noqa: PLR0917 - a command result spread out
    ok = (rc == 0) if ok is None else ok
    steps.append(
        {
            "step": name,
            "ok": ok,
            "seconds": round(time.monotonic() - started, 4),
            "rc": rc,
            "stderr": (err or "").strip()[-2000:],
        }
    )
    return ok


def replay(engine, name, spec, *, command=DEFAULT_COMMAND, labels=None, probe=True, proc="/proc"):
    """OpenClaw's lifecycle for one sandbox, step by step; the sandbox is removed at the end.

    Returns a dict: steps (each ok or not, with time, rc, stderr), passed, output of the command,
    the inspect record seen while running, its openclaw_view, the in-sandbox probe and the
    host-side process security (when the engine reports a host PID)."""
    steps = []
    result = {"steps": steps, "output": None, "inspect": None, "view": None, "probe": None, "process": None}
    env_file = engine.env_file(spec["env"])
    try:
        t = time.monotonic()
        rc, out, err = engine.run(["image", "inspect", spec["image"]])
        if not _step(steps, "image inspect", t, rc, out, err):
            return _finish(result)
        t = time.monotonic()
        rc, out, err = engine.run(["inspect", "--format", "{{.State.Running}}", name])
        if rc == 0:  # a leftover of an earlier run: OpenClaw removes and recreates it
            engine.remove(name)
        _step(steps, "inspect absent", t, rc, out, err, ok=True)
        t = time.monotonic()
        rc, out, err = engine.create(name, spec, labels, env_file)
        if not _step(steps, "create", t, rc, out, err):
            return _finish(result)
        t = time.monotonic()
        rc, out, err = engine.start(name)
        if not _step(steps, "start", t, rc, out, err):
            return _finish(result)
        t = time.monotonic()
        record, err = engine.inspect(name)
        running = bool(record and (record.get("State") or {}).get("Running"))
        _step(steps, "inspect running", t, 0 if record else 1, "", err, ok=running)
        t = time.monotonic()
        full = command + ("; " + PROBE if probe else "")
        rc, out, err = engine.exec(name, spec, full, env_file)
        _step(steps, "exec", t, rc, out, err)
        result["output"] = "\n".join(line for line in out.splitlines() if not line.startswith("probe-"))
        if probe:
            result["probe"] = parse_probe(out)
        t = time.monotonic()
        record, err = engine.inspect(name)
        _step(steps, "inspect", t, 0 if record else 1, "", err)
        if record:
            result["inspect"] = record
            result["view"] = openclaw_view(record)
            pid = (record.get("State") or {}).get("Pid")
            if pid:
                try:
                    result["process"] = proc_security(pid, proc)
                except OSError:
                    result["process"] = None  # the engine's PID is not in this PID namespace
    finally:
        t = time.monotonic()
        rc, out, err = engine.remove(name)
        if steps and steps[-1]["step"] != "image inspect":
            _step(steps, "rm", t, rc, out, err)
        if env_file:
            os.unlink(env_file)
    return _finish(result)


def _finish(result):
    result["passed"] = bool(result["steps"]) and all(s["ok"] for s in result["steps"])
    result["failed_steps"] = [s["step"] for s in result["steps"] if not s["ok"]]
    return result


# --- benchmark: create -> first exec output, alone and many at once ------------------------


def percentile(samples, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def time_to_first_output(engine, name, spec, command="true"):
    """Seconds from create to the exec's output, and the error if a step failed."""
    started = time.monotonic()
    for call in (
        lambda: engine.create(name, spec, None, None),
        lambda: engine.start(name),
        lambda: engine.exec(name, spec, "echo ready; " + command, None),
    ):
        rc, out, err = call()
        if rc != 0:
            return None, (err or out).strip()[-500:]
    return time.monotonic() - started, None


def burst(engine, prefix, spec, count):
    """Start ``count`` sandboxes at once (one thread each); returns (samples, errors).

    Every sandbox is removed afterwards, also after failures."""
    samples, errors = [], []
    lock = threading.Lock()
    gate = threading.Barrier(count)

    def one(i):
        name = "%s-%d" % (prefix, i)
        gate.wait()
        seconds, error = time_to_first_output(engine, name, spec)
        with lock:
            if error is None:
                samples.append(seconds)
            else:
                errors.append("%s: %s" % (name, error))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(count):
        engine.remove("%s-%d" % (prefix, i))
    return samples, errors


def summarize(samples, errors):
    out = {"runs": len(samples) + len(errors), "failures": len(errors), "errors": errors[:5]}
    if samples:
        out.update(
            p50=round(percentile(samples, 50), 4),
            p95=round(percentile(samples, 95), 4),
            min=round(min(samples), 4),
            max=round(max(samples), 4),
        )
    return out
