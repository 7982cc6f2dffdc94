"""The template audit on a corpus of realistic infra templates, against hand-reviewed expectations."""

from __future__ import annotations

import json
import os
import pathlib

import jsonschema
import pytest
import yaml

from ansible_collections.b4arena.rootless.plugins.plugin_utils._template_audit import (
    RULES,
    audit_text,
    audit_tree,
    failing,
    find_templates,
    make_env,
    summary,
    to_markdown,
    to_sarif,
    unified_diff,
)

CORPUS = pathlib.Path(__file__).parents[2] / "fixtures" / "infra_repo"
GLOBS = ["infra/templates/openclaw-*.j2"]
EXPECTED = yaml.safe_load((CORPUS / "expected.yml").read_text())
TEMPLATES = find_templates(str(CORPUS), GLOBS)


def described(findings):
    return ["%s:%d:%d%s" % (f.rule.id, f.line, f.column, " suppressed" if f.suppressed else "") for f in findings]


@pytest.fixture(scope="module")
def corpus_findings():
    findings, fixes = audit_tree(str(CORPUS), GLOBS, make_env())
    return findings, fixes


def test_the_corpus_is_large_and_every_template_is_expected():
    assert len(TEMPLATES) >= 30
    assert sorted(EXPECTED["without_variables"]) == TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES, ids=[os.path.basename(t) for t in TEMPLATES])
def test_exact_rules_lines_and_columns(corpus_findings, template):
    findings = [f for f in corpus_findings[0] if f.path == template]
    assert described(findings) == EXPECTED["without_variables"][template]


def test_clean_templates_produce_nothing(corpus_findings):
    clean = [t for t, found in EXPECTED["without_variables"].items() if not found]
    assert len(clean) >= 8
    assert not [f for f in corpus_findings[0] if f.path in clean]


def test_every_rule_fires_somewhere_in_the_corpus(corpus_findings):
    fired = {f.rule.id for f in corpus_findings[0]}
    assert {r.id for r in RULES} <= fired


def test_values_through_variables_are_reported_at_the_expression():
    findings, _fixes = audit_tree(str(CORPUS), GLOBS, make_env(), variables=EXPECTED["variables"])
    via = ["%s %s:%d:%d via %s" % (f.path, f.rule.id, f.line, f.column, f.via) for f in findings if f.via]
    assert via == EXPECTED["with_variables"]


def test_suppression_needs_a_reason_and_a_known_rule():
    text = (
        "{# rootless-audit: ignore docker-cli migration pending, tracked in INFRA-12 #}\n"
        "docker run x\n"
        "docker ps\n"
        "{# rootless-audit: ignore docker-cli #}\n"
        "docker ps\n"
    )
    findings, _fixed = audit_text("t.sh.j2", text, make_env())
    assert described(findings) == [
        "docker-cli:2:1 suppressed",
        "docker-cli:3:1",
        "suppression-without-reason:4:3",
        "docker-cli:5:1",
    ]
    assert findings[0].suppressed == "migration pending, tracked in INFRA-12"
    assert [f.rule.id for f in failing(findings, "error")] == ["docker-cli", "docker-cli"]
    assert summary(findings, ["t.sh.j2"])["suppressed"] == 1


def test_a_syntax_error_is_a_finding_with_its_line():
    findings, fixed = audit_text("t.j2", "ok\n{% for x in y %}\n{{ x }\n", make_env())
    assert [(f.rule.id, f.line) for f in findings] == [("syntax-error", 3)]
    assert fixed is None


def test_whitespace_control_keeps_lines_exact():
    text = "a: 1\n{%- if x -%}\n\n   privileged: true\n{%- endif %}\n"
    findings, _fixed = audit_text("c.compose.yml.j2", text, make_env())
    assert described(findings) == ["privileged:4:4"]


def test_fixes_are_a_diff_and_leave_suppressed_findings_alone():
    text = (
        "[Unit]\nAfter=network-online.target docker.service\nRequires=docker.service\n[Service]\n"
        "{# rootless-audit: ignore docker-cli kept for the old hosts #}\nExecStartPre=/usr/bin/docker pull x\n"
        "ExecStart=/usr/bin/docker run --network=bridge x\n"
    )
    fixed = audit_text("g.service.j2", text, make_env())[1]
    diff = unified_diff("g.service.j2", text, fixed)
    assert diff.startswith("--- a/g.service.j2\n+++ b/g.service.j2\n")
    assert fixed == (
        "[Unit]\nAfter=network-online.target\n[Service]\n"
        "{# rootless-audit: ignore docker-cli kept for the old hosts #}\nExecStartPre=/usr/bin/docker pull x\n"
        "ExecStart=/usr/bin/podman run --network=openclaw-sandbox-net x\n"
    )
    assert audit_text("g.service.j2", fixed, make_env())[0][0].suppressed


def test_sarif_validates_against_the_2_1_0_schema(corpus_findings):
    schema_path = os.environ.get("SARIF_SCHEMA")
    assert schema_path, "run through make unit, which fetches the schema (scripts/sarif-schema.sh)"
    schema = json.loads(pathlib.Path(schema_path).read_text())
    log = to_sarif(corpus_findings[0])
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(corpus_findings[0])
    assert any(r.get("suppressions") for r in results)
    first = results[0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"]["uri"].startswith("infra/templates/openclaw-")
    assert first["region"]["startLine"] >= 1


def test_markdown_lists_findings_and_fixes(corpus_findings):
    findings, fixes = corpus_findings
    text = to_markdown(findings, TEMPLATES, fixes)
    assert "## infra/templates/openclaw-gateway.service.j2" in text
    assert "| 4:1 | error | docker-unit-dependency |" in text
    assert "```diff" in text
