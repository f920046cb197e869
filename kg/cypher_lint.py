"""Neo4j 5 compatibility gate: lint Cypher statements with Neo4j's own linter.

The linting itself is done by ``tools/cypher-lint/lint.mjs`` (Node, ``@neo4j-cypher/language-support``);
this module feeds it a whole batch in one process call and turns the answer into :class:`LintResult`.
The gate never passes silently: without Node or the installed npm package it raises
:class:`CypherLintUnavailable` saying what to run.

Command line: ``python -m pmkg.kg.cypher_lint FILE_OR_DIR ...`` lints ``.cypher`` files (directories are searched
recursively) and exits 1 when Neo4j reports an error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOOL_DIR = REPO_ROOT / "tools" / "cypher-lint"
TOOL_DIR_ENV = "PMKG_CYPHER_LINT_DIR"
LINTER_PACKAGE = "@neo4j-cypher/language-support"
# Generous: ~500 statements take well under a minute, but a cold CI runner can be slow and a hung node
# process must still end the build rather than stall it.
TIMEOUT_S = 900.0
_STATEMENT_PREVIEW_LINES = 6


class CypherLintUnavailable(RuntimeError):
    """Node or the npm-installed linter is missing, so no verdict can be given."""


@dataclass(frozen=True)
class Statement:
    origin: str
    query: str
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning"
    message: str
    line: int  # 1-based, within Statement.query
    column: int  # 1-based


@dataclass
class LintResult:
    statement: Statement
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity != "error"]


def tool_dir() -> Path:
    override = os.environ.get(TOOL_DIR_ENV)
    return Path(override).resolve() if override else DEFAULT_TOOL_DIR


def _install_command(directory: Path) -> str:
    try:
        prefix = directory.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        prefix = str(directory)
    return f"npm ci --prefix {prefix}"


def lint_statements(statements: Sequence[Statement]) -> list[LintResult]:
    """Lint every statement with Neo4j's linter in a single ``node`` process; results keep input order."""
    statements = list(statements)
    if not statements:
        return []
    directory = tool_dir()
    install = _install_command(directory)
    node = shutil.which("node")
    if node is None:
        raise CypherLintUnavailable(
            "The Neo4j Cypher lint gate needs Node.js (`node` is not on PATH). Install Node.js 20 or newer, "
            f"then run `{install}` from the repository root."
        )
    script = directory / "lint.mjs"
    if not script.is_file():
        raise CypherLintUnavailable(f"The Neo4j Cypher lint tool is missing: {script} does not exist.")
    if not (directory / "node_modules" / LINTER_PACKAGE / "package.json").is_file():
        raise CypherLintUnavailable(
            f"The Neo4j Cypher linter ({LINTER_PACKAGE}) is not installed in {directory / 'node_modules'}. "
            f"Run `{install}` from the repository root."
        )

    payload = {"statements": [{"origin": s.origin, "query": s.query, "params": list(s.params)} for s in statements]}
    try:
        proc = subprocess.run(
            [node, str(script)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=directory,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"Neo4j Cypher lint gate timed out after {TIMEOUT_S:.0f} s") from exc
    if proc.returncode != 0:
        detail = proc.stderr.strip() or proc.stdout.strip()
        if "ERR_MODULE_NOT_FOUND" in detail or "Cannot find package" in detail:
            raise CypherLintUnavailable(
                f"The Neo4j Cypher linter is not installed correctly ({detail.splitlines()[0]}). "
                f"Run `{install}` from the repository root."
            )
        raise RuntimeError(f"Neo4j Cypher lint gate failed (node exited {proc.returncode}):\n{detail}")

    try:
        raw = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"Neo4j Cypher lint gate wrote unreadable output: {proc.stdout[:500]!r}") from exc
    if not isinstance(raw, list) or len(raw) != len(statements):
        raise RuntimeError(
            f"Neo4j Cypher lint gate answered for {len(raw) if isinstance(raw, list) else '?'} statements, "
            f"expected {len(statements)}"
        )
    return [
        LintResult(
            statement=s,
            diagnostics=[
                Diagnostic(str(d["severity"]), str(d["message"]), int(d["line"]), int(d["column"]))
                for d in r["diagnostics"]
            ],
        )
        for s, r in zip(statements, raw, strict=True)
    ]


_ORIGIN_WITH_LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+)$")


def _location(origin: str, diag: Diagnostic) -> str:
    """``path:line:col`` in the source file when the origin names one, else the statement-relative spot."""
    m = _ORIGIN_WITH_LINE.match(origin)
    if m:
        line = int(m["line"]) + diag.line - 1
        return f"{m['path']}:{line}:{diag.column}"
    return f"{origin} @ {diag.line}:{diag.column}"


def _format_result(result: LintResult, diagnostics: list[Diagnostic]) -> list[str]:
    lines = result.statement.query.splitlines() or [""]
    out = [f"{result.statement.origin}:"]
    for text in lines[:_STATEMENT_PREVIEW_LINES]:
        out.append(f"    | {text}")
    if len(lines) > _STATEMENT_PREVIEW_LINES:
        out.append(f"    | ... ({len(lines) - _STATEMENT_PREVIEW_LINES} more lines)")
    for diag in diagnostics:
        where = _location(result.statement.origin, diag)
        out.append(f"  {diag.severity} at {diag.line}:{diag.column} ({where}): {diag.message}")
        if 1 <= diag.line <= len(lines):
            out.append(f"    > {lines[diag.line - 1]}")
            out.append("      " + " " * max(diag.column - 1, 0) + "^")
    return out


def format_failures(results: Sequence[LintResult], include_warnings: bool = False) -> str:
    """A readable report of the statements Neo4j rejects ("" when there are none).

    Each entry shows the origin, the first lines of the statement and every diagnostic with its line:column
    in the statement (and in the source file when the origin is ``path:LINE``), plus a caret under the spot.
    """
    blocks: list[str] = []
    failing = 0
    for result in results:
        shown = result.diagnostics if include_warnings else result.errors
        if not shown:
            continue
        failing += bool(result.errors)
        blocks.append("\n".join(_format_result(result, shown)))
    if not blocks:
        return ""
    head = f"Neo4j 5 Cypher lint: {failing} of {len(results)} statements rejected"
    return head + "\n\n" + "\n\n".join(blocks)


def mask_cypher(text: str) -> str:
    """``text`` with comments and string literals blanked (same length, newlines kept), for ``$`` scanning.

    Backtick-quoted names are kept because ``$`odd name``` is a parameter; a ``$`` *inside* a quoted name is
    not, which the parameter pattern handles by consuming whole quoted names.
    """
    out = list(text)
    i, n = 0, len(text)

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        two = text[i : i + 2]
        ch = text[i]
        if two == "//":
            end = text.find("\n", i)
            end = n if end == -1 else end
            blank(i, end)
            i = end
        elif two == "/*":
            end = text.find("*/", i + 2)
            end = n if end == -1 else end + 2
            blank(i, end)
            i = end
        elif ch in "'\"":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            blank(i, min(j + 1, n))
            i = j + 1
        elif ch == "`":
            end = text.find("`", i + 1)
            while end != -1 and text[end + 1 : end + 2] == "`":  # `` escapes a backtick inside a quoted name
                end = text.find("`", end + 2)
            i = n if end == -1 else end + 1
        else:
            i += 1
    return "".join(out)


_PARAM_OR_QUOTED_NAME = re.compile(r"\$(?:`(?P<quoted>(?:[^`]|``)+)`|(?P<plain>\w+))|`(?:[^`]|``)*`")


def cypher_parameters(query: str) -> tuple[str, ...]:
    """Names of the ``$name`` parameters used in ``query``, in first-use order, outside strings and comments."""
    names: dict[str, None] = {}
    for m in _PARAM_OR_QUOTED_NAME.finditer(mask_cypher(query)):
        if m["quoted"] is not None:
            names[m["quoted"].replace("``", "`")] = None
        elif m["plain"] is not None:
            names[m["plain"]] = None
    return tuple(names)


def _origin_path(path: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        # Outside the checkout (an installed package, a temp dir): queries/NAME.cypher still names it.
        return f"{resolved.parent.name}/{resolved.name}"


def statements_from_cypher_file(path: Path) -> list[Statement]:
    """The one statement of a ``queries/*.cypher`` file: a header of ``//`` lines, then the statement.

    The origin is ``queries/NAME.cypher:LINE`` with LINE the first line of the statement body, so diagnostic
    lines (relative to the statement) map straight back to the file. A file with no statement yields none.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("//")):
        start += 1
    body = "\n".join(lines[start:]).rstrip()
    if not body:
        return []
    return [Statement(origin=f"{_origin_path(Path(path))}:{start + 1}", query=body, params=cypher_parameters(body))]


def _cypher_files(targets: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.cypher")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or directory: {target}")
    return files


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m pmkg.kg.cypher_lint FILE_OR_DIR ...  (lints .cypher files against Neo4j 5)")
        return 0 if args else 2
    try:
        files = _cypher_files(args)
    except FileNotFoundError as exc:
        print(f"cypher_lint: {exc}", file=sys.stderr)
        return 2
    statements = [s for f in files for s in statements_from_cypher_file(f)]
    if not statements:
        # A gate that checked nothing must not look like a pass.
        print(f"cypher_lint: no Cypher statements found in {' '.join(args)}", file=sys.stderr)
        return 2
    try:
        results = lint_statements(statements)
    except CypherLintUnavailable as exc:
        print(f"cypher_lint: {exc}", file=sys.stderr)
        return 2
    errors = sum(len(r.errors) for r in results)
    warnings = sum(len(r.warnings) for r in results)
    if errors:
        print(format_failures(results), file=sys.stderr)
        print(f"{len(results)} statements checked, {errors} Neo4j errors, {warnings} warnings", file=sys.stderr)
        return 1
    if warnings:
        print(format_failures(results, include_warnings=True))
        print(f"{len(results)} statements checked, 0 Neo4j errors, {warnings} warnings")
    else:
        print(f"{len(results)} statements checked, 0 Neo4j diagnostics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
