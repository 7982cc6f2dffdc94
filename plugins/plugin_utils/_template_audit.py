# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The template audit: what in an infra repo's Jinja2 templates breaks under rootless Podman.

Each template is lexed by Jinja2 itself. Rules run over a copy of the source in which
everything but literal text (including text inside {% if %} branches, macros and raw blocks)
and string literals in expressions is blanked out, so every match keeps the template's own
line and column. With variables given, each {{ expression }} is also evaluated and its value
checked, reported at the expression. Suppression: {# rootless-audit: ignore RULE reason #}
on the line of a finding or the line before it.
"""

from __future__ import annotations

import difflib
import fnmatch
import glob
import json
import os
import re

import jinja2

SEVERITY_RANK = {"info": 1, "warning": 2, "error": 3}
SARIF_LEVEL = {"info": "note", "warning": "warning", "error": "error"}
SUPPRESSION = re.compile(r"^\s*rootless-audit:\s*ignore\s+([\w-]+)(?:\s+(.*?))?\s*$", re.S)
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "b4arena.rootless.template_audit"


class Rule:
    # Positional: the rule table below reads as id, severity, title, explanation, fix, patterns.
    def __init__(self, rule_id, severity, title, explanation, fix, patterns, *, kinds=None, check=None, autofix=None):  # noqa: PLR0917
        self.id = rule_id
        self.severity = severity
        self.title = title
        self.explanation = explanation
        self.fix = fix
        self.patterns = [re.compile(p, re.M | re.I) for p in patterns]
        self.kinds = kinds
        self.check = check  # match -> bool, for conditions a regex cannot say
        self.autofix = autofix  # match text -> replacement text

    def as_dict(self):
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "explanation": self.explanation,
            "fix": self.fix,
        }


def _low_port(match):
    return int(match.group("port")) < 1024


def _drop_docker_units(text):
    """The dependency line without docker's units; no line at all when nothing else is left."""
    key, _sep, value = text.rstrip("\n").partition("=")
    kept = [u for u in value.split() if u not in ("docker.service", "docker.socket")]
    return "%s=%s\n" % (key, " ".join(kept)) if kept else ""


# docker at a command position: line start, after a separator, quote, "=" or systemd's
# ExecStart prefixes (-, @, +, !).
_CLI = r"(?:(?<=[\s\"'=;(|&`@+!-])|^)(?:/usr(?:/local)?/bin/)?docker\s+"
_SUBCOMMANDS = (
    "run|exec|ps|inspect|start|stop|restart|rm|rmi|pull|push|build|create|logs|cp|network|volume|image|"
    "container|system|info|version|kill|wait|update|tag|save|load|login|stats|top|events"
)

RULES = [
    Rule(
        "docker-cli",
        "error",
        "docker CLI invocation",
        "The docker CLI talks to the rootful Docker daemon, which is gone after the migration.",
        "Run podman as the rootless user (or a Quadlet unit); podman takes the same subcommands.",
        [_CLI + r"(?:%s)\b" % _SUBCOMMANDS],
        autofix=lambda text: re.sub(r"docker(\s+)", r"podman\1", text, count=1),
    ),
    Rule(
        "docker-compose",
        "error",
        "docker compose invocation",
        "Compose files run by docker compose need the Docker daemon.",
        "Turn each service into a Quadlet .container unit of the rootless user, or use podman compose.",
        [r"\bdocker-compose\b", _CLI + r"compose\b"],
        autofix=lambda text: re.sub(r"docker[- ]compose", "podman compose", text, count=1),
    ),
    Rule(
        "docker-socket",
        "error",
        "Docker socket path",
        "The Docker socket is root on the host; it does not exist after the migration, and under Podman "
        "nothing may be mounted in its place into a sandbox.",
        "Drop the mount. A tool that needs an engine API gets the user's Podman socket "
        "(/run/user/UID/podman/podman.sock), never inside a sandbox.",
        [r"/(?:var/)?run/docker\.sock\b"],
    ),
    Rule(
        "docker-host",
        "error",
        "DOCKER_HOST setting",
        "DOCKER_HOST points clients at the Docker daemon (or its socket).",
        "Use CONTAINER_HOST=unix:///run/user/UID/podman/podman.sock for the rootless user's Podman.",
        [r"\bDOCKER_HOST\b"],
    ),
    Rule(
        "docker-group",
        "error",
        "docker group membership",
        "Membership of the docker group is root-equivalent access to the Docker socket.",
        "Remove it; the rootless user runs its own Podman and needs no group.",
        [
            r"\bgroup_add\s*:\s*(?:\n\s*-\s*)?\[?\s*[\"']?docker\b",
            r"--group-add[= ][\"']?docker\b",
            r"^\s*SupplementaryGroups=.*\bdocker\b",
            r"\busermod\s+-a?G\s+docker\b",
            r"\bgpasswd\s+-a\s+\S+\s+docker\b",
        ],
    ),
    Rule(
        "docker-unit-dependency",
        "error",
        "unit depends on docker.service",
        "A unit that requires or orders after docker.service or docker.socket waits for a masked unit.",
        "Make it a user unit of the rootless user (After=network-online.target, WantedBy=default.target, linger on).",
        [r"^\s*(?:Requires|Requisite|After|Wants|BindsTo|PartOf)=.*\bdocker\.(?:service|socket)\b.*\n?"],
        kinds={"systemd"},
        autofix=_drop_docker_units,
    ),
    Rule(
        "bridge-network",
        "warning",
        "Docker bridge network",
        "Docker's bridge network does not exist in the rootless user's Podman.",
        "Use openclaw-sandbox-net (created by rootless_host) for sandboxes that need a network.",
        [
            r"\bnetwork(?:_mode)?[\"']?\s*[:=]\s*[\"']?bridge\b",
            r"--net(?:work)?[= ][\"']?bridge\b",
            r"^\s*Network=bridge\b",
        ],
        autofix=lambda text: re.sub(r"bridge$", "openclaw-sandbox-net", text, flags=re.I),
    ),
    Rule(
        "host-network",
        "error",
        "host networking",
        "Host networking shares the host's network namespace; rootless Podman cannot give it the host's ports "
        "and OpenClaw refuses it for sandboxes.",
        "Publish the ports the service needs on a rootless network instead.",
        [
            r"\bnetwork(?:_mode)?[\"']?\s*[:=]\s*[\"']?host\b",
            r"--net(?:work)?[= ][\"']?host\b",
            r"^\s*Network=host\b",
            r"\bhostNetwork\s*:\s*true\b",
        ],
    ),
    Rule(
        "loopback-in-container",
        "warning",
        "localhost used from inside a container",
        "Inside a container, localhost is the container itself; under rootless networking the host's loopback is "
        "not reachable at all by default.",
        "Reach a host service through host.containers.internal (slirp4netns with allow_host_loopback, or pasta's "
        "--map-gw), or put both on one rootless network and use the service's name.",
        [r"\b(?:https?|wss?|redis|postgres(?:ql)?|mysql|amqp|mongodb|tcp)://(?:localhost|127\.0\.0\.1|\[::1\])\b"],
        kinds={"compose", "env", "json"},
        autofix=lambda text: re.sub(r"localhost|127\.0\.0\.1|\[::1\]", "host.containers.internal", text),
    ),
    Rule(
        "docker-subnet",
        "error",
        "Docker's default subnet or docker0",
        "172.17.0.0/16 and docker0 belong to Docker's bridge; traffic from rootless containers comes from the "
        "rootless network's addresses instead.",
        "Trust the rootless network's range (slirp4netns 10.0.2.0/24, or the pasta host address), or better an "
        "authenticated identity rather than an address.",
        [r"\b172\.17\.\d{1,3}\.\d{1,3}(?:/\d{1,2})?\b", r"\bdocker0\b"],
    ),
    Rule(
        "ip-trust",
        "warning",
        "trust keyed to a source address",
        "Allow-lists, trusted proxies and address-based auth see a different source address once the service "
        "runs behind rootless networking (slirp4netns rewrites it, pasta keeps the host's).",
        "Re-derive the addresses from the rootless network in use, or authenticate by token or mTLS identity.",
        [
            r"\b(?:set_real_ip_from|allow|trusted_proxies|trustedProxies|trusted_proxy|allowFrom|allowedIps|ip_allowlist|"
            r"remote_ip|real_ip_header|X-Forwarded-For)\b[^\n]*?\b\d{1,3}(?:\.\d{1,3}){3}\b"
        ],
    ),
    Rule(
        "privileged",
        "error",
        "privileged container",
        "Privileged mode hands the container every capability and device; rootless Podman cannot make it safe.",
        "Drop it and add only the capabilities the service needs, if any.",
        [r"\bprivileged[\"']?\s*[:=]\s*[\"']?true\b", r"--privileged\b"],
    ),
    Rule(
        "cap-add",
        "warning",
        "added capabilities",
        "Added capabilities under rootless Podman apply only inside the user namespace, and OpenClaw drops all.",
        "Check the service still needs them; most do not once it runs rootless.",
        [r"\bcap_add\s*:", r"--cap-add\b", r"^\s*AddCapability=", r"\"capAdd\"\s*:"],
    ),
    Rule(
        "low-port",
        "error",
        "published host port below 1024",
        "A rootless user cannot bind ports below net.ipv4.ip_unprivileged_port_start (1024).",
        "Publish a port at or above 1024 and forward to it, or lower the sysctl deliberately.",
        [
            r"^\s*-\s*[\"']?(?:[\d.]+:)?(?P<port>\d{1,5}):\d+",
            r"(?:-p|--publish)[= ][\"']?(?:[\d.]+:)?(?P<port>\d{1,5}):\d+",
            r"^\s*PublishPort=(?:[\d.]+:)?(?P<port>\d{1,5}):\d+",
        ],
        check=_low_port,
    ),
    Rule(
        "daemon-json",
        "warning",
        "Docker daemon setting",
        "daemon.json settings (userns-remap, live-restore, runtimes, storage) have no meaning for rootless Podman.",
        "Carry what matters into the user's containers.conf and storage.conf (rootless_host writes both).",
        [
            r"\"(?:userns-remap|live-restore|default-runtime|data-root|storage-driver|iptables|icc|default-address-pools|"
            r"exec-opts)\"\s*:",
            r"/etc/docker/daemon\.json\b",
        ],
    ),
    Rule(
        "restart-policy",
        "warning",
        "daemon restart policy",
        "A restart policy is kept by the Docker daemon; rootless Podman has no daemon to restart containers.",
        "Run the container as a systemd user service (Quadlet Restart=) with linger on for the user.",
        [r"\brestart\s*:\s*[\"']?(?:always|unless-stopped)\b", r"--restart[= ][\"']?(?:always|unless-stopped)\b"],
    ),
    Rule(
        "root-user",
        "warning",
        "container user root",
        "Root in a rootless container is the user's first subordinate id; files it writes to bind mounts are "
        "owned by that id on the host.",
        "Run as the image's user, or as the rootless user with --userns keep-id.",
        [
            r"^\s*user\s*:\s*[\"']?(?:0|root)(?::0)?[\"']?\s*$",
            r"--user[= ][\"']?(?:0|root)(?::0)?\b",
            r"\"user\"\s*:\s*\"(?:0|root)(?::0)?\"",
        ],
    ),
    Rule(
        "fixed-uid-chown",
        "warning",
        "chown to a fixed uid",
        "Under a user namespace, uid N inside a container is a different uid on the host.",
        "Let Podman map ownership (volume option :U, or podman unshare chown), or use --userns keep-id.",
        [r"\bchown\s+(?:-\w+\s+)*\d+(?::\d+)?\b"],
    ),
    Rule(
        "bind-without-relabel",
        "info",
        "bind mount without SELinux relabel",
        "On SELinux hosts, a bind mount without :z or :Z is unreadable to the container.",
        "Add :z (shared) or :Z (private to this container).",
        [
            r"^\s*-\s*[\"']?/[^:\s\"']+:/[^:\s\"']+(?=[\"']?\s*$)",
            r"(?:-v|--volume)[= ][\"']?/[^:\s\"']+:/[^:\s\"']+(?=[\"']?(?:\s|$))",
            r"^\s*Volume=/[^:\s]+:/[^:\s]+$",
        ],
        autofix=lambda text: text + ":z",
    ),
    Rule(
        "inspect-format",
        "warning",
        "docker inspect field that differs under Podman",
        "podman inspect returns different JSON for networking, health and host config (for example no "
        ".NetworkSettings.IPAddress for rootless containers, .State.Healthcheck instead of .State.Health "
        "in older Podman).",
        "Read the field from podman inspect on the target Podman version, or use podman's own --format fields.",
        [
            r"\binspect\b[^\n]*(?:\.NetworkSettings\.(?:IPAddress|Gateway|Networks|Ports)|\.State\.Health|"
            r"\.HostConfig\.(?:NetworkMode|PortBindings|Binds)|\.Config\.Hostname)"
        ],
    ),
]
META_RULES = [
    Rule(
        "syntax-error", "error", "template does not parse", "Jinja2 cannot parse the template.", "Fix the syntax.", []
    ),
    Rule(
        "suppression-without-reason",
        "warning",
        "suppression without a reason",
        "A rootless-audit suppression must say why the finding does not apply; this one is ignored.",
        "Write the reason after the rule id.",
        [],
    ),
    Rule(
        "suppression-unknown-rule",
        "warning",
        "suppression of an unknown rule",
        "The suppression names no rule of the audit; it suppresses nothing.",
        "Use a rule id from the rule list.",
        [],
    ),
]
ALL_RULES = {r.id: r for r in RULES + META_RULES}


# What a template renders, judged by its name (without .j2) and text; the first match wins.
KINDS = [
    ("docker-daemon", lambda name, text: "daemon.json" in name),
    (
        "systemd",
        lambda name, text: bool(
            re.search(r"\.(service|socket|timer|container|network|volume|pod|mount)$", name)
            or re.search(r"^\[(Unit|Service|Container)\]", text, re.M)
        ),
    ),
    (
        "compose",
        lambda name, text: (
            "compose" in name or (name.endswith((".yml", ".yaml")) and bool(re.search(r"^services\s*:", text, re.M)))
        ),
    ),
    ("env", lambda name, text: name.endswith("env") or ".env." in name),
    ("nginx", lambda name, text: "nginx" in name or bool(re.search(r"^\s*server\s*\{", text, re.M))),
    ("caddy", lambda name, text: "caddy" in name),
    ("json", lambda name, text: name.endswith(".json")),
    ("shell", lambda name, text: name.endswith(".sh")),
]


def file_kind(path, text):
    name = os.path.basename(path).lower()
    name = name[:-3] if name.endswith(".j2") else name
    return next((kind for kind, test in KINDS if test(name, text)), "text")


class Finding:
    def __init__(self, rule, path, line, column, snippet, *, via=None, message=None):
        self.rule = rule
        self.path = path
        self.line = line
        self.column = column
        self.snippet = snippet
        self.via = via
        self.message = message or rule.title
        self.suppressed = None  # the reason, when suppressed
        self.fixable = False

    @property
    def severity(self):
        return self.rule.severity

    def as_dict(self):
        out = {
            "rule": self.rule.id,
            "severity": self.rule.severity,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "snippet": self.snippet,
            "fix": self.rule.fix,
        }
        if self.via:
            out["via"] = self.via
        if self.suppressed is not None:
            out["suppressed"] = self.suppressed
        return out


class Source:
    """A template's text, its line starts, and the scan text where only literals remain."""

    def __init__(self, text):
        self.text = text.replace("\r\n", "\n")
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def position(self, offset):
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.line_starts[lo] + 1

    def line_text(self, line):
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)]


def _blank(text):
    return re.sub(r"[^\n]", " ", text)


def make_env(filters=None, tests=None):
    """A Jinja2 environment that lexes templates keeping every character (the trailing newline too)."""
    # Nothing is rendered to HTML: escaping would change the values the rules check.
    env = jinja2.Environment(  # noqa: S701
        keep_trailing_newline=True, extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"]
    )
    env.filters.update(filters or {})
    env.tests.update(tests or {})
    return env


def lex(env, source):
    """(scan text, comments as (offset, text), expressions as (start, end, source)); raises TemplateSyntaxError.

    Tokens are placed back at their offsets in the source: whitespace control ({%- -%})
    drops characters from the tokens, so their lengths alone do not give positions.
    """
    text = source.text
    scan = list(_blank(text))
    comments = []
    expressions = []
    pos = 0
    expression = None
    for _lineno, kind, value in env.lex(text):
        offset = text.find(value, pos)
        if offset < 0:
            raise ValueError("internal error: token %r not found in the template after offset %d" % (value, pos))
        if kind == "data":
            scan[offset : offset + len(value)] = value
        elif kind == "string":
            scan[offset + 1 : offset + len(value) - 1] = value[1:-1]
        elif kind == "comment":
            comments.append((offset, value))
        if kind == "variable_begin":
            expression = [offset, ""]
        elif kind == "variable_end" and expression is not None:
            expressions.append((expression[0], offset + len(value), expression[1].strip()))
            expression = None
        elif expression is not None:
            expression[1] += value
        pos = offset + len(value)
    return "".join(scan), comments, expressions


def _matches(rule, text):
    """Matches of any of the rule's patterns; where two overlap, the first found counts once."""
    spans = []
    for pattern in rule.patterns:
        for m in pattern.finditer(text):
            if (rule.check is None or rule.check(m)) and not any(m.start() < e and s < m.end() for s, e in spans):
                spans.append((m.start(), m.end()))
                yield m


def audit_text(path, text, env, *, variables=None, disabled=()):
    """Findings of one template and the text with every suggested fix applied."""
    source = Source(text)
    findings = []
    try:
        env.parse(source.text)
        scan, comments, expressions = lex(env, source)
    except jinja2.TemplateSyntaxError as e:  # a finding with its line, never a crash
        line = e.lineno or 1
        finding = Finding(
            ALL_RULES["syntax-error"],
            path,
            line,
            1,
            source.line_text(min(line, len(source.line_starts))),
            message="template does not parse: %s" % (e.message or e),
        )
        return [finding], None

    kind = file_kind(path, source.text)
    checked, segments = _rendered(env, scan, expressions, variables)
    edits = []
    for rule in RULES:
        if rule.id in disabled or (rule.kinds and kind not in rule.kinds):
            continue
        lines_seen = set()
        for m in _matches(rule, checked):
            start = _to_source(segments, m.start())
            end = _to_source(segments, m.end() - 1)
            line, column = source.position(start)
            if line in lines_seen:  # one finding per rule and line
                continue
            lines_seen.add(line)
            expr = _via(segments, m.start(), m.end())
            f = Finding(
                rule,
                path,
                line,
                column,
                source.line_text(line).strip(),
                via=expr,
                message="%s (value of {{ %s }})" % (rule.title, expr) if expr else None,
            )
            literal = source.text[start : end + 1]
            if rule.autofix and not expr and literal == m.group(0):
                edits.append((start, end + 1, rule.autofix(literal)))
                f.fixable = True
            findings.append(f)

    _apply_suppressions(findings, comments, source, path)
    fixed = _apply_edits(
        source.text, [e for e, f in zip(edits, [f for f in findings if f.fixable], strict=True) if f.suppressed is None]
    )
    findings.sort(key=lambda f: (f.line, f.column, f.rule.id))
    return findings, fixed


def _rendered(env, scan, expressions, variables):
    """The scan text with each {{ expression }} replaced by its value (when variables are given),
    and segments (rendered start, rendered end, source start, expression or None) to map back."""
    if variables is None:
        return scan, [(0, len(scan), 0, None)]
    pieces = []
    segments = []
    pos = 0
    out = 0
    for start, end, expr in expressions:
        value = _evaluate(env, expr, variables)
        if value is None:
            continue
        pieces.append(scan[pos:start])
        segments.append((out, out + start - pos, pos, None))
        out += start - pos
        pieces.append(value)
        segments.append((out, out + len(value), start, expr))
        out += len(value)
        pos = end
    pieces.append(scan[pos:])
    segments.append((out, out + len(scan) - pos, pos, None))
    return "".join(pieces), segments


def _to_source(segments, rendered):
    """Source offset of a rendered offset: inside a value, the offset of its {{."""
    for r_start, r_end, s_start, expr in segments:
        if r_start <= rendered < r_end:
            return s_start if expr else s_start + rendered - r_start
    return segments[-1][2] + rendered - segments[-1][0]


def _via(segments, start, end):
    """The first expression whose value the rendered span [start, end) overlaps, or None."""
    for r_start, r_end, _s_start, expr in segments:
        if expr and r_start < end and start < r_end:
            return expr
    return None


def _evaluate(env, expr, variables):
    try:
        value = env.compile_expression(expr, undefined_to_none=True)(**variables)
    except Exception:  # an expression needing loop variables or filters it cannot have here
        return None
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _apply_suppressions(findings, comments, source, path):
    for offset, text in comments:
        m = SUPPRESSION.match(text)
        if not m:
            continue
        line, column = source.position(offset)
        rule_id, reason = m.group(1), (m.group(2) or "").strip()
        if rule_id not in ALL_RULES:
            findings.append(
                Finding(
                    ALL_RULES["suppression-unknown-rule"],
                    path,
                    line,
                    column,
                    source.line_text(line).strip(),
                    message="suppression of unknown rule %r" % rule_id,
                )
            )
            continue
        if not reason:
            findings.append(
                Finding(
                    ALL_RULES["suppression-without-reason"],
                    path,
                    line,
                    column,
                    source.line_text(line).strip(),
                    message="suppression of %s without a reason (ignored)" % rule_id,
                )
            )
            continue
        end_line = source.position(offset + len(text))[0]
        for f in findings:
            if f.rule.id == rule_id and line <= f.line <= end_line + 1 and f.suppressed is None:
                f.suppressed = reason


def _apply_edits(text, edits):
    if not edits:
        return text
    out = []
    pos = 0
    for start, end, replacement in sorted(edits):
        if start < pos:  # overlapping fixes: keep the first
            continue
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def unified_diff(path, before, after):
    return "".join(
        difflib.unified_diff(
            before.splitlines(True), after.splitlines(True), fromfile="a/%s" % path, tofile="b/%s" % path
        )
    )


def find_templates(root, globs):
    found = set()
    for pattern in globs:
        for path in glob.glob(os.path.join(root, pattern), recursive=True):
            if os.path.isfile(path):
                found.add(os.path.relpath(path, root))
    return sorted(found)


def audit_tree(root, globs, env, *, variables=None, disabled=(), exclude=()):
    """Audit every template under ``root`` matching ``globs``; returns (findings, fixes by path)."""
    findings = []
    fixes = {}
    for rel in find_templates(root, globs):
        if any(fnmatch.fnmatch(rel, pattern) for pattern in exclude):
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        found, fixed = audit_text(rel, text, env, variables=variables, disabled=disabled)
        findings.extend(found)
        if fixed is not None and fixed != text.replace("\r\n", "\n"):
            fixes[rel] = (text, fixed)
    return findings, fixes


def summary(findings, files):
    active = [f for f in findings if f.suppressed is None]
    by_severity = {s: sum(1 for f in active if f.severity == s) for s in SEVERITY_RANK}
    by_rule = {}
    for f in active:
        by_rule[f.rule.id] = by_rule.get(f.rule.id, 0) + 1
    return {
        "templates": len(files),
        "findings": len(active),
        "suppressed": len(findings) - len(active),
        "by_severity": by_severity,
        "by_rule": dict(sorted(by_rule.items())),
    }


def failing(findings, fail_on):
    if fail_on == "never":
        return []
    threshold = SEVERITY_RANK[fail_on]
    return [f for f in findings if f.suppressed is None and SEVERITY_RANK[f.severity] >= threshold]


def to_markdown(findings, files, fixes):
    s = summary(findings, files)
    lines = [
        "# Rootless Podman audit of the infra templates",
        "",
        "%d templates, %d findings (%s), %d suppressed."
        % (
            s["templates"],
            s["findings"],
            ", ".join("%d %s" % (n, k) for k, n in sorted(s["by_severity"].items(), reverse=True)),
            s["suppressed"],
        ),
        "",
    ]
    by_path = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    for path in sorted(by_path):
        lines += [
            "## %s" % path,
            "",
            "| line:col | severity | rule | finding | fix |",
            "| --- | --- | --- | --- | --- |",
        ]
        for f in by_path[path]:
            what = f.message.replace("|", "\\|") + (" (suppressed: %s)" % f.suppressed if f.suppressed else "")
            lines.append(
                "| %d:%d | %s | %s | %s | %s |"
                % (f.line, f.column, f.severity, f.rule.id, what, f.rule.fix.replace("|", "\\|"))
            )
        if path in fixes:
            lines += ["", "Suggested fix:", "", "```diff", unified_diff(path, *fixes[path]).rstrip("\n"), "```"]
        lines.append("")
    if not by_path:
        lines.append("Nothing found.")
    return "\n".join(lines) + "\n"


def to_sarif(findings, version="0.1.0"):
    rules = RULES + META_RULES
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f in findings:
        result = {
            "ruleId": f.rule.id,
            "ruleIndex": index[f.rule.id],
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": "%s. %s" % (f.message, f.rule.fix)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path.replace(os.sep, "/"), "uriBaseId": "SRCROOT"},
                        "region": {"startLine": f.line, "startColumn": f.column, "snippet": {"text": f.snippet}},
                    }
                }
            ],
        }
        if f.suppressed is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": f.suppressed}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL,
                        "version": version,
                        "informationUri": "https://github.com/b4arena/rootless",
                        "rules": [
                            {
                                "id": r.id,
                                "name": r.id.replace("-", " ").title().replace(" ", ""),
                                "shortDescription": {"text": r.title},
                                "fullDescription": {"text": r.explanation},
                                "help": {"text": r.fix},
                                "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
                            }
                            for r in rules
                        ],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the audited repository's root"}}},
                "results": results,
            }
        ],
    }
