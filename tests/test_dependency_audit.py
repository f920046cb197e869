"""The dependency audit runs offline: every installed dependency was audited at its version, none is known vulnerable.

Issue 14, item 9: ``pip-audit`` skipped all 90 packages ("not found") because no vulnerability service answers
here, so it audited nothing. ``tools/audit_dependencies.py check`` fails instead of skipping: an unaudited or
changed pin fails the check as a known-vulnerable one does (docs/reliability-and-security.md, "Dependency audit").
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "tools" / "audit_dependencies.py"


def _tool():
    spec = importlib.util.spec_from_file_location("audit_dependencies", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_installed_dependency_was_audited_and_none_is_known_vulnerable():
    done = subprocess.run([sys.executable, str(TOOL), "check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "packages audited at their installed versions" in done.stdout and "against " in done.stdout


def test_the_audit_covers_the_whole_closure_including_fastapi_and_the_test_tools():
    tool = _tool()
    closure = tool.dependency_closure()
    for name in ("fastapi", "starlette", "uvicorn", "h11", "neo4j", "torch", "pytest", "jinja2"):
        assert name in closure, name
    audited = json.loads(tool.SNAPSHOT.read_text())["packages"]
    assert set(closure) <= set(audited)


def test_an_unaudited_or_changed_pin_fails_and_so_does_a_recorded_advisory(tmp_path):
    tool = _tool()
    snapshot = tmp_path / "audit.json"
    snapshot.write_text(
        json.dumps(
            {
                "source": "test",
                "audited_at": "2026-12-06",
                "packages": {
                    "fastapi": {"version": "0.165.0", "advisories": []},
                    "uvicorn": {"version": "0.10.0", "advisories": []},
                    "jinja2": {"version": "2.10", "advisories": ["PYSEC-2019-217"]},
                },
            }
        )
    )
    installed = {"fastapi": "0.165.0", "uvicorn": "0.55.0", "jinja2": "2.10", "h11": "0.16.0"}
    problems = tool.check(snapshot, installed)
    assert any(p.startswith("uvicorn 0.55.0: the snapshot audited 0.10.0") for p in problems)
    assert any(p.startswith("h11 0.16.0: not in the audit snapshot") for p in problems)
    assert any(p.startswith("jinja2 2.10: known vulnerable (PYSEC-2019-217)") for p in problems)
    assert not any(p.startswith("fastapi") for p in problems)


def test_advisory_ranges_are_matched_as_osv_and_safety_db_state_them():
    tool = _tool()
    record = {
        "id": "PYSEC-TEST-1",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Starlette"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.27.0"}]}],
                "versions": ["0.26.1"],
            }
        ],
    }
    assert tool.affected_by_osv(record, "starlette", "0.26.1")
    assert tool.affected_by_osv(record, "starlette", "0.13.0")
    assert not tool.affected_by_osv(record, "starlette", "0.27.0")
    assert not tool.affected_by_osv(record, "fastapi", "0.13.0")
    entries = [{"id": "pyup.io-38765", "specs": ["<0.11.7"], "v": "<0.11.7"}]
    assert tool.affected_by_safety(entries, "0.11.6") == ["pyup.io-38765"]
    assert tool.affected_by_safety(entries, "0.55.0") == []
