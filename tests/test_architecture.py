"""The package layout: one import package (``pmkg``), and imports that only point down the layers.

The import graph is read from the source with ``ast`` (nothing is imported), so a backwards arrow fails here even
when it sits in a function body that no other test runs. An import under ``if TYPE_CHECKING:`` is a type-only
arrow and is allowed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The folders the design card fixes, and what each is installed as.
PACKAGE_DIRS = {
    "pmkg.kg": ROOT / "kg",
    "pmkg.ingest": ROOT / "ingest",
    "pmkg.gnn": ROOT / "gnn",
    "pmkg.queries": ROOT / "queries",
    "pmkg.service": ROOT / "service",
    "pmkg.workflows": ROOT / "pmkg" / "workflows",
    "pmkg.cli": ROOT / "pmkg" / "cli",
}
BARE = ("kg", "ingest", "gnn", "queries", "service")
# Which layers each layer may import (besides itself and the ``pmkg`` root, which holds only the version).
ALLOWED = {
    "pmkg.kg": {"pmkg.queries"},
    "pmkg.queries": set(),
    "pmkg.ingest": {"pmkg.kg"},
    "pmkg.gnn": {"pmkg.kg"},
    "pmkg.workflows": {"pmkg.kg", "pmkg.ingest", "pmkg.gnn", "pmkg.queries"},
    "pmkg.service": {"pmkg.kg", "pmkg.ingest", "pmkg.gnn", "pmkg.queries", "pmkg.workflows"},
    "pmkg.cli": {"pmkg.kg", "pmkg.ingest", "pmkg.gnn", "pmkg.queries", "pmkg.workflows", "pmkg.service"},
}
# Within an allowed arrow, the modules of kg that ingest and gnn may use (the design's "records/schema only" and
# "export types only"; gnn's patient side reads the cohort export type beside the graph export; kg.limits is the
# schema's size and character rules, which the readers apply to a row before a record exists).
NARROW = {
    "pmkg.ingest": {"pmkg.kg.records", "pmkg.kg.schema", "pmkg.kg.limits"},
    "pmkg.gnn": {"pmkg.kg.export", "pmkg.kg.patients"},
}
SCANNED = [*PACKAGE_DIRS.values(), ROOT / "tests", ROOT / "bench", ROOT / "tools"]


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "node_modules" not in p.parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for inner in ast.walk(child):
                    if hasattr(inner, "lineno"):
                        lines.add(inner.lineno)
    return lines


def imports_of(path: Path) -> list[tuple[int, str, bool]]:
    """``(line, imported module, type_only)`` for every absolute import in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    type_only = _type_checking_lines(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, node.lineno in type_only) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, node.lineno in type_only))
            # ``from pmkg.ingest import hetionet`` imports the module pmkg.ingest.hetionet
            found += [(node.lineno, f"{node.module}.{a.name}", node.lineno in type_only) for a in node.names]
    return found


def _within(module: str, allowed: set[str]) -> bool:
    return module == "pmkg.kg" or any(module == m or module.startswith(m + ".") for m in allowed)


def layer_of(module: str) -> str | None:
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def backwards_arrows(dirs: dict[str, Path] = PACKAGE_DIRS, root: Path = ROOT) -> list[str]:
    problems = []
    for layer, folder in dirs.items():
        for path in _python_files(folder):
            for line, module, type_only in imports_of(path):
                target = layer_of(module)
                if target is None or target == layer or type_only:
                    continue
                where = f"{path.relative_to(root)}:{line}"
                if any(p.startswith(where + ":") for p in problems):
                    continue  # ``from a import b`` is one arrow, reported once
                if target not in ALLOWED[layer]:
                    problems.append(f"{where}: {layer} imports {module} (a {target} module)")
                elif layer in NARROW and target == "pmkg.kg" and not _within(module, NARROW[layer]):
                    problems.append(f"{where}: {layer} may use only {sorted(NARROW[layer])}, not {module}")
    return problems


def test_no_module_imports_a_bare_top_level_folder():
    bare = []
    for folder in SCANNED:
        for path in _python_files(folder):
            for line, module, _ in imports_of(path):
                if module.split(".")[0] in BARE:
                    bare.append(f"{path.relative_to(ROOT)}:{line}: import {module} (use pmkg.{module})")
    assert not bare, "\n".join(bare)


def test_imports_run_one_way():
    problems = backwards_arrows()
    assert not problems, "backwards arrows:\n" + "\n".join(problems)


def test_the_checker_sees_a_backwards_arrow(tmp_path):
    bad = tmp_path / "kg"
    bad.mkdir()
    (bad / "sneaky.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pmkg.gnn.model import X\n"
        "def f():\n    from pmkg.workflows.ingest import ingest_sources\n"
    )
    problems = backwards_arrows({"pmkg.kg": bad}, tmp_path)
    assert problems == ["kg/sneaky.py:5: pmkg.kg imports pmkg.workflows.ingest (a pmkg.workflows module)"]


@pytest.mark.parametrize("bare", BARE)
def test_bare_folder_names_do_not_import_even_from_the_checkout(bare):
    """From the repository root the folders are on ``sys.path``; they still refuse to be a top-level package."""
    run = subprocess.run([sys.executable, "-c", f"import {bare}"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode != 0
    assert f"import pmkg.{bare} instead" in run.stderr
    ok = subprocess.run([sys.executable, "-c", f"import pmkg.{bare}"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


def test_module_entry_points_run_under_the_package_name():
    run = subprocess.run(
        [sys.executable, "-m", "pmkg.kg.cypher_lint"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "usage: python -m pmkg.kg.cypher_lint" in run.stdout + run.stderr


def test_package_data_is_reachable_through_the_package():
    from pmkg.ingest.registry import SAMPLE_DATA_DIR
    from pmkg.queries import QUERY_DIR

    assert sorted(QUERY_DIR.glob("*.cypher")), QUERY_DIR
    assert SAMPLE_DATA_DIR.is_dir() and any(SAMPLE_DATA_DIR.iterdir())
