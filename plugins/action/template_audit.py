# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of b4arena.rootless.template_audit: runs on the controller, reads the infra repo."""

from __future__ import annotations

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.plugins.filter.core import FilterModule
from ansible.plugins.test.core import TestModule

from ansible_collections.b4arena.rootless.plugins.plugin_utils._template_audit import (
    ALL_RULES,
    SEVERITY_RANK,
    audit_tree,
    failing,
    find_templates,
    make_env,
    summary,
    to_markdown,
    to_sarif,
    unified_diff,
)

ARGUMENT_SPEC = {
    "root": {"type": "path", "required": True},
    "globs": {"type": "list", "elements": "str", "default": ["infra/templates/openclaw-*.j2"]},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "variables": {"type": "dict"},
    "disable": {"type": "list", "elements": "str", "default": []},
    "fail_on": {"type": "str", "choices": ["error", "warning", "info", "never"], "default": "error"},
    "report_dir": {"type": "path"},
    "formats": {
        "type": "list",
        "elements": "str",
        "choices": ["json", "markdown", "sarif"],
        "default": ["json", "markdown", "sarif"],
    },
    "apply_fixes": {"type": "bool", "default": False},
}
REPORT_NAMES = {"json": "rootless-audit.json", "markdown": "rootless-audit.md", "sarif": "rootless-audit.sarif"}


def write_file(path, content):
    """Temp file beside the target, then rename: a reader never sees half a report or template."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(content)
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ansible_filters():
    """Ansible's core filters and tests, so expressions render as they would in a play."""
    return FilterModule().filters(), TestModule().tests()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(ARGUMENT_SPEC)
        root = args["root"]
        if not os.path.isdir(root):
            raise AnsibleActionFail("root: %s is not a directory" % root)
        unknown = sorted(set(args["disable"]) - set(ALL_RULES))
        if unknown:
            raise AnsibleActionFail(
                "disable: unknown rule ids %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(ALL_RULES)))
            )
        if args["report_dir"] and os.path.exists(args["report_dir"]) and not os.path.isdir(args["report_dir"]):
            raise AnsibleActionFail("report_dir: %s exists and is not a directory" % args["report_dir"])

        filters, tests = ansible_filters()
        env = make_env(filters, tests)
        files = find_templates(root, args["globs"])
        findings, fixes = audit_tree(
            root,
            args["globs"],
            env,
            variables=args["variables"],
            disabled=set(args["disable"]),
            exclude=args["exclude"],
        )
        failed_findings = failing(findings, args["fail_on"])
        result.update(
            templates=files,
            findings=[f.as_dict() for f in findings],
            summary=summary(findings, files),
            fixes={path: unified_diff(path, before, after) for path, (before, after) in sorted(fixes.items())},
            reports={},
            changed=False,
        )

        if args["report_dir"]:
            os.makedirs(args["report_dir"], exist_ok=True)
            version = self._collection_version()
            renderers = {
                "json": lambda: (
                    json.dumps(
                        {
                            "summary": result["summary"],
                            "findings": result["findings"],
                            "fixes": result["fixes"],
                            "rules": [r.as_dict() for r in ALL_RULES.values()],
                        },
                        indent=2,
                        sort_keys=True,
                    )
                    + "\n"
                ),
                "markdown": lambda: to_markdown(findings, files, fixes),
                "sarif": lambda: json.dumps(to_sarif(findings, version), indent=2) + "\n",
            }
            for fmt in args["formats"]:
                path = os.path.join(args["report_dir"], REPORT_NAMES[fmt])
                write_file(path, renderers[fmt]())
                result["reports"][fmt] = path

        if args["apply_fixes"] and fixes:
            result["changed"] = True
            result["fixed"] = sorted(fixes)
            if not self._task.check_mode:
                for path, (_before, after) in fixes.items():
                    write_file(os.path.join(root, path), after)
            if self._task.diff:
                result["diff"] = [
                    {"before_header": path, "after_header": path, "before": before, "after": after}
                    for path, (before, after) in sorted(fixes.items())
                ]

        s = result["summary"]
        result["msg"] = "%d templates, %d findings (%s), %d suppressed" % (
            s["templates"],
            s["findings"],
            ", ".join(
                "%d %s" % (s["by_severity"][k], k) for k in sorted(SEVERITY_RANK, key=SEVERITY_RANK.get, reverse=True)
            ),
            s["suppressed"],
        )
        if failed_findings:
            result["failed"] = True
            first = failed_findings[0]
            result["msg"] = "%s; %d at or above %s, first %s:%d:%d %s" % (
                result["msg"],
                len(failed_findings),
                args["fail_on"],
                first.path,
                first.line,
                first.column,
                first.rule.id,
            )
        return result

    @staticmethod
    def _collection_version():
        manifest = os.path.join(os.path.dirname(__file__), "..", "..", "MANIFEST.json")
        try:
            with open(manifest, encoding="utf-8") as f:
                return to_text(json.load(f)["collection_info"]["version"])
        except (OSError, ValueError, KeyError):
            return "0.1.0"
