"""Neo4j 5 compatibility gate: every Cypher statement pmkg sends must pass Neo4j's own linter.

Tests run against ArcadeDB; users run Neo4j 5. This module runs after every other test (see conftest) and
lints (a) every ``queries/*.cypher`` file and (b) every statement any ``GraphStore`` sent during the run,
with its parameters declared, so an undeclared ``$param`` is a real error.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from pmkg.kg.cypher_lint import Statement, format_failures, lint_statements, statements_from_cypher_file
from pmkg.kg.dialect import ARCADEDB, NEO4J
from pmkg.queries import QUERY_DIR

pytestmark = pytest.mark.neo4j_gate

# A full run sends far more distinct statements than this; fewer means the recorder stopped recording.
MIN_DISTINCT_STATEMENTS = 25


def _library() -> list[Statement]:
    return [s for path in sorted(QUERY_DIR.glob("*.cypher")) for s in statements_from_cypher_file(path)]


def _distinct(session_statements) -> list[Statement]:
    # Named queries are linted from their files (every $parameter declared) by the test below; the generated
    # evidence queries take Neo4j's linter about 15 s each, so they are not linted a second time here.
    library = {s.query for s in _library()}
    origins: dict[str, set[str]] = defaultdict(set)
    params: dict[str, set[str]] = defaultdict(set)
    for sent in session_statements:
        if sent.query in library:
            continue
        origins[sent.query].add(sent.origin)
        params[sent.query].update(sent.params)
    return [
        Statement(origin=", ".join(sorted(origins[q])[:3]), query=q, params=tuple(sorted(params[q]))) for q in origins
    ]


def test_query_library_is_valid_neo4j5():
    statements = _library()
    assert len(statements) >= 2
    results = lint_statements(statements)
    assert not any(r.errors for r in results), format_failures(results)


def test_dialects_share_one_ddl_so_linting_neo4j_covers_both():
    # ArcadeDB accepts Neo4j 5's DDL verbatim; the day a dialect needs its own syntax, this shows both variants
    # and the Neo4j one is what gets linted below.
    assert ARCADEDB.schema_statements() == NEO4J.schema_statements()
    results = lint_statements([Statement("kg/dialect.py (NEO4J)", q) for q in NEO4J.schema_statements()])
    assert not any(r.errors for r in results), format_failures(results)


def test_every_statement_sent_during_the_run_is_valid_neo4j5(session_statements):
    statements = _distinct(session_statements)
    assert len(statements) >= MIN_DISTINCT_STATEMENTS, f"only {len(statements)} statements were recorded"
    results = lint_statements(statements)
    failing = [r for r in results if r.errors]
    assert not failing, format_failures(results)
    print(f"\nNeo4j 5 gate: {len(statements)} distinct statements checked, 0 diagnostics")
