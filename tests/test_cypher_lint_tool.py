"""The Neo4j 5 Cypher lint gate (kg.cypher_lint + tools/cypher-lint) really fails and really passes.

Every statement goes through Neo4j's linter in ONE node process (module fixture): its analyser has a
warm-up of a few seconds, which a process per test would pay again and again. Requires
`npm ci --prefix tools/cypher-lint`; without it the fixture fails with that instruction, never skips.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pmkg.kg import cypher_lint
from pmkg.kg.cypher_lint import (
    CypherLintUnavailable,
    LintResult,
    Statement,
    format_failures,
    lint_statements,
    statements_from_cypher_file,
)

# Statements the project emits (schema setup, batched writes, export, path query, schema introspection).
PROJECT_STATEMENTS = [
    Statement("constraint", "CREATE CONSTRAINT drug_id_unique IF NOT EXISTS FOR (n:Drug) REQUIRE n.id IS UNIQUE"),
    Statement("index", "CREATE INDEX drug_name IF NOT EXISTS FOR (n:Drug) ON (n.name)"),
    Statement("merge_nodes", "UNWIND $rows AS row MERGE (n:Drug {id: row.id}) SET n += row.props", ("rows",)),
    Statement(
        "merge_edges",
        "UNWIND $rows AS row MATCH (a:Drug {id: row.src}) MATCH (b:Disease {id: row.dst}) "
        "MERGE (a)-[e:TREATS {source: row.source}]->(b) SET e += row.props",
        ("rows",),
    ),
    Statement(
        "edge_export", "MATCH (a:Drug)-[e:TREATS]->(b:Disease) RETURN collect(a.id) AS src, collect(b.id) AS dst"
    ),
    Statement(
        "shortest_path",
        "MATCH p = shortestPath((a:Drug {id: $drug})-[*..3]-(b:Disease {id: $disease})) RETURN p",
        ("drug", "disease"),
    ),
    Statement("show_constraints", "SHOW CONSTRAINTS YIELD name, labelsOrTypes RETURN name, labelsOrTypes"),
]

SYNTAX_ERROR = Statement("kg/example.py:syntax_error", "MATCH (n RETURN n")
UNDECLARED = Statement("undeclared_param", "MATCH (n:Drug {id: $id})\nRETURN n.name AS name, $limit AS lim", ("id",))
NEO4J4_CONSTRAINT = Statement("neo4j4_constraint", "CREATE CONSTRAINT ON (n:Drug) ASSERT n.id IS UNIQUE")
UNKNOWN_FUNCTION = Statement("apoc_function", "RETURN apoc.coll.sum([1, 2]) AS s")
DEPRECATED_ONLY = Statement("deprecated_id", "MATCH (n:Drug) RETURN id(n) AS i")
TWO_STATEMENTS = Statement("two_statements", "RETURN 1 AS a;\nRETURN 2 AS b")

BATCH = [*PROJECT_STATEMENTS, SYNTAX_ERROR, UNDECLARED, NEO4J4_CONSTRAINT, UNKNOWN_FUNCTION, DEPRECATED_ONLY,
         TWO_STATEMENTS]  # fmt: skip


@pytest.fixture(scope="module")
def results() -> dict[str, LintResult]:
    out = lint_statements(BATCH)
    assert [r.statement for r in out] == BATCH  # same order, one result per statement
    return {r.statement.origin: r for r in out}


@pytest.mark.parametrize("origin", [s.origin for s in PROJECT_STATEMENTS])
def test_project_statements_pass_neo4j5(results: dict[str, LintResult], origin: str) -> None:
    assert results[origin].diagnostics == [], format_failures([results[origin]], include_warnings=True)


def test_syntax_error_fails_and_names_origin(results: dict[str, LintResult]) -> None:
    result = results[SYNTAX_ERROR.origin]
    assert [(d.line, d.column) for d in result.errors] == [(1, 10)]
    assert result.errors[0].message.startswith("Invalid input 'RETURN'")
    report = format_failures(list(results.values()))
    assert "kg/example.py:syntax_error:" in report
    assert "| MATCH (n RETURN n" in report
    assert "error at 1:10" in report and "Invalid input 'RETURN'" in report


def test_undeclared_parameter_is_an_error_declared_one_is_not(results: dict[str, LintResult]) -> None:
    result = results[UNDECLARED.origin]
    # $id is declared; $limit is not. The linter names the parameter and points at it.
    assert [(d.severity, d.message, d.line, d.column) for d in result.diagnostics] == [
        ("error", "Parameter $limit is not defined.", 2, 24)
    ]


def test_removed_neo4j4_constraint_syntax_is_an_error(results: dict[str, LintResult]) -> None:
    (error,) = results[NEO4J4_CONSTRAINT.origin].errors
    assert "ON and ASSERT should not be used" in error.message
    assert (error.line, error.column) == (1, 19)


def test_function_missing_from_neo4j5_is_an_error(results: dict[str, LintResult]) -> None:
    (error,) = results[UNKNOWN_FUNCTION.origin].errors
    assert error.message.startswith("Function apoc.coll.sum is not present in the database")


def test_deprecation_is_a_warning_not_an_error(results: dict[str, LintResult]) -> None:
    result = results[DEPRECATED_ONLY.origin]
    assert result.errors == []
    assert result.warnings and all("deprecated" in d.message for d in result.warnings)
    assert format_failures([result]) == ""


def test_two_statements_in_one_query_is_an_error(results: dict[str, LintResult]) -> None:
    (error,) = results[TWO_STATEMENTS.origin].errors
    assert error.message.startswith("[pmkg gate] more than one statement")
    assert (error.line, error.column) == (2, 1)


def test_statements_from_cypher_file(tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    path = queries / "drug_targets.cypher"
    path.write_text(
        "// Targets of a drug.\n"
        "// params: $drug (a CURIE) -- a $ in the header is not a parameter\n"
        "\n"
        "MATCH (d:Drug {id: $drug})-[:TARGETS]->(g:Gene) // $ignored in a comment\n"
        "WHERE g.symbol <> '$notParam' AND g.tier IN $tiers /* $alsoIgnored */\n"
        "RETURN g.id AS gene, $drug AS drug, `odd$name` AS x, $`quoted name` AS y\n",
        encoding="utf-8",
    )
    (stmt,) = statements_from_cypher_file(path)
    assert stmt.origin == "queries/drug_targets.cypher:4"
    assert stmt.params == ("drug", "tiers", "quoted name")
    assert stmt.query.startswith("MATCH (d:Drug {id: $drug})") and stmt.query.endswith("AS y")


def test_cli_fails_on_a_bad_file_and_points_into_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    # Tiny statements on purpose: this is a second node process, and its warm-up grows with clause variety.
    (queries / "good.cypher").write_text("// fine\nRETURN $id AS id\n")
    (queries / "bad.cypher").write_text("// header\n// more header\nWITH $id AS id\nRETURN m\n")
    assert cypher_lint.main([str(queries)]) == 1
    err = capsys.readouterr().err
    assert "queries/bad.cypher:3:" in err
    assert "(queries/bad.cypher:4:8): Variable `m` not defined" in err
    assert "queries/good.cypher" not in err
    assert "2 statements checked, 1 Neo4j errors" in err


def test_missing_install_raises_with_the_command_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = tmp_path / "cypher-lint"
    bare.mkdir()
    shutil.copy(cypher_lint.DEFAULT_TOOL_DIR / "lint.mjs", bare / "lint.mjs")
    monkeypatch.setenv(cypher_lint.TOOL_DIR_ENV, str(bare))
    with pytest.raises(CypherLintUnavailable, match=r"npm ci --prefix .*cypher-lint"):
        lint_statements([PROJECT_STATEMENTS[0]])

    monkeypatch.delenv(cypher_lint.TOOL_DIR_ENV)
    monkeypatch.setenv("PATH", str(tmp_path))  # no node here
    with pytest.raises(CypherLintUnavailable, match=r"`npm ci --prefix tools/cypher-lint`"):
        lint_statements([PROJECT_STATEMENTS[0]])
