#!/usr/bin/python
# Copyright: (c) 2026, b4arena
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented as an action plugin (plugins/action/template_audit.py) and runs on
# the controller; this file holds its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: template_audit
short_description: Audit an infra repo's Jinja2 templates for what breaks under rootless Podman
version_added: 0.1.0
description:
  - Reads the templates under O(root) matching O(globs) (by default C(infra/templates/openclaw-*.j2)) on the
    controller and reports every Docker assumption that breaks once OpenClaw runs on rootless Podman, each
    finding with its rule id, severity, the template's own line and column, an explanation and a suggested fix.
  - Rules - C(docker-cli), C(docker-compose), C(docker-socket), C(docker-host), C(docker-group),
    C(docker-unit-dependency), C(bridge-network), C(host-network), C(loopback-in-container), C(docker-subnet),
    C(ip-trust), C(privileged), C(cap-add), C(low-port), C(daemon-json), C(restart-policy), C(root-user),
    C(fixed-uid-chown), C(bind-without-relabel), C(inspect-format); and C(syntax-error),
    C(suppression-without-reason), C(suppression-unknown-rule) about the templates themselves.
  - Each template is lexed by Jinja2 itself. Literal text is checked wherever it stands, also inside
    C({% if %}) branches, macros and raw blocks, as are string literals inside expressions. A template that
    does not parse is a C(syntax-error) finding with its line, never a crash.
  - With O(variables), each C({{ expression }}) is rendered with them too, and values that arrive through
    variables are checked in place; such findings are reported at the expression's line and column and name
    the expression.
  - "A finding is suppressed by C({# rootless-audit: ignore RULE-ID reason #}) on its line or the line before.
    A suppression without a reason is itself a finding and suppresses nothing."
  - Writes JSON, Markdown and SARIF 2.1.0 reports to O(report_dir) on the controller. Fails when an
    unsuppressed finding at or above O(fail_on) remains. Suggested fixes are returned as a unified diff per
    template and applied only with O(apply_fixes=true).
author:
  - b4arena infrastructure team (@b4arena)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  action:
    description: Runs as an action plugin on the controller.
    support: full
  check_mode:
    support: full
    details: With O(apply_fixes=true), check mode reports the fixes without writing templates; reports are written.
  diff_mode:
    support: full
    details: With O(apply_fixes=true), the diff shows each template before and after its fixes.
  platform:
    platforms: posix
options:
  root:
    description: The infra repository's root directory on the controller.
    type: path
    required: true
  globs:
    description: Glob patterns of the templates, relative to O(root); C(**) matches across directories.
    type: list
    elements: str
    default: ["infra/templates/openclaw-*.j2"]
  exclude:
    description: Glob patterns, relative to O(root), of templates to leave out.
    type: list
    elements: str
    default: []
  variables:
    description:
      - Variables to render expressions with, for example an inventory host's variables. Unset, only the
        templates' literal text is checked.
    type: dict
  disable:
    description: Rule ids not to check.
    type: list
    elements: str
    default: []
  fail_on:
    description: Fail when an unsuppressed finding of this severity or higher remains; V(never) only reports.
    type: str
    choices: [error, warning, info, never]
    default: error
  report_dir:
    description:
      - Directory on the controller for C(rootless-audit.json), C(rootless-audit.md) and C(rootless-audit.sarif).
        Created when missing. Unset, no report files are written.
    type: path
  formats:
    description: Which reports to write to O(report_dir).
    type: list
    elements: str
    choices: [json, markdown, sarif]
    default: [json, markdown, sarif]
  apply_fixes:
    description:
      - Write the suggested fixes into the templates (C(docker) to C(podman), C(docker-compose) to C(podman compose),
        docker units dropped from dependencies, C(bridge) to C(openclaw-sandbox-net), C(localhost) to
        C(host.containers.internal) inside containers, C(:z) on bind mounts). Suppressed findings are not fixed.
    type: bool
    default: false
notes:
  - Runs on the controller only; the host the task runs for does not matter.
"""

EXAMPLES = r"""
- name: Audit the infra repo before the fleet moves
  b4arena.rootless.template_audit:
    root: "{{ playbook_dir }}/.."
    report_dir: "{{ playbook_dir }}/reports"
    fail_on: error

- name: Check values as Mimas's inventory gives them, too
  b4arena.rootless.template_audit:
    root: /srv/infra
    variables: "{{ hostvars['mimas'] }}"
    fail_on: never
"""

RETURN = r"""
templates:
  description: The templates audited, relative to O(root).
  returned: always
  type: list
  elements: str
findings:
  description:
    - Every finding - C(rule), C(severity), C(path), C(line), C(column), C(message), C(snippet), C(fix); C(via) (the
      expression) for a value that arrived through a variable; C(suppressed) (the reason) when suppressed.
  returned: always
  type: list
  elements: dict
summary:
  description: Counts of templates, findings by severity and by rule, and suppressed findings.
  returned: always
  type: dict
fixes:
  description: A unified diff of the suggested fixes per template.
  returned: always
  type: dict
reports:
  description: Paths of the report files written, by format.
  returned: always
  type: dict
fixed:
  description: The templates the fixes were written to (or would be, in check mode).
  returned: when O(apply_fixes=true) and there were fixes
  type: list
  elements: str
"""
