"""template_audit: time to audit 1,000 templates (the corpus, copied round-robin), against a 5 s target.

Two figures: the audit engine alone (what the action plugin calls), and the whole task through
ansible-playbook with reports written, which adds Ansible's start-up and the report files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ansible_collections.b4arena.rootless.plugins.plugin_utils._template_audit import audit_tree, make_env

TEMPLATES = 1000
TARGET_SECONDS = 5.0
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "unit" / "fixtures" / "infra_repo" / "infra" / "templates"


def make_repo(root):
    sources = sorted(CORPUS.glob("openclaw-*.j2"))
    target = root / "infra" / "templates"
    target.mkdir(parents=True)
    for i in range(TEMPLATES):
        src = sources[i % len(sources)]
        shutil.copy(src, target / ("openclaw-%04d-%s" % (i, src.name[len("openclaw-") :])))


def run():
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_repo(root)
        env = make_env()
        start = time.perf_counter()
        findings, fixes = audit_tree(str(root), ["infra/templates/openclaw-*.j2"], env)
        engine = time.perf_counter() - start

        argv = [
            str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "ansible-playbook"),
            str(REPO / "playbooks" / "audit.yml"),
            "-e",
            json.dumps(
                {
                    "template_audit_root": str(root),
                    "template_audit_report_dir": str(root / "reports"),
                    "template_audit_fail_on": "never",
                }
            ),
        ]
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd="/")
        playbook = time.perf_counter() - start

    figures = {
        "templates": TEMPLATES,
        "findings": len(findings),
        "templates_with_fixes": len(fixes),
        "engine_seconds": round(engine, 3),
        "playbook_seconds": round(playbook, 3),
        "target_seconds": TARGET_SECONDS,
        "engine_share_of_target": round(engine / TARGET_SECONDS, 3),
        "playbook_share_of_target": round(playbook / TARGET_SECONDS, 3),
    }
    print("   %d templates, %d findings" % (TEMPLATES, len(findings)))
    print(
        "   audit engine:            %6.2f s  (%.0f%% of the %g s target)"
        % (engine, 100 * engine / TARGET_SECONDS, TARGET_SECONDS)
    )
    print(
        "   playbooks/audit.yml:     %6.2f s  (%.0f%% of the target, with Ansible's start and 3 reports)"
        % (playbook, 100 * playbook / TARGET_SECONDS)
    )
    return figures
