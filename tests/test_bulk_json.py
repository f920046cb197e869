"""The bulk path's JSON hand-over to ArcadeDB: lists go through it, values JSON would change never do."""

from __future__ import annotations

import math

import pytest
from pmkg.kg.bulk import BulkGraphWriter, _rows_json, writer_for
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.store import GraphStore

PROV = {"source": "test", "source_version": "1", "license": "CC0"}


def test_rows_with_lists_are_one_json_text_and_changed_values_are_refused() -> None:
    assert _rows_json([{"id": "HP:1", "xrefs": ["A:1", "B:é"], "n": 3, "f": 0.5}]) is not None
    assert _rows_json([{"f": math.nan}]) is None
    assert _rows_json([{"f": math.inf}]) is None
    assert _rows_json([{"n": 2**70}]) is None  # beyond 64 bits: JSON would hand the engine another number


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    with GraphStore.connect(f"embedded://{tmp_path_factory.mktemp('json') / 'db'}") as graph:
        graph.ensure_schema()
        yield graph


def test_list_and_wide_number_properties_round_trip_exactly(store: GraphStore) -> None:
    writer = writer_for(store, progress=False)
    assert isinstance(writer, BulkGraphWriter) and writer.json_bridge
    nodes = [
        NodeRecord("Gene", "NCBIGene:1", {"name": "A1BG", "xrefs": ["HGNC:5", "Ensembl:ENSG0001"], **PROV}),
        NodeRecord("Gene", "NCBIGene:2", {"name": "Gène", "xrefs": [], **PROV}),
    ]
    edges = [
        EdgeRecord("INTERACTS_WITH", "Gene", "NCBIGene:1", "Gene", "NCBIGene:2",
                   {"pmids": ["123", "456"], "score": 0.25, **PROV}),
        # A number JSON cannot carry unchanged sends its whole chunk through the wrapper's typed path.
        EdgeRecord("COVARIES_WITH", "Gene", "NCBIGene:2", "Gene", "NCBIGene:1",
                   {"count": 1234567890123456789, **PROV}),
    ]
    report = writer.write(nodes, edges)
    assert report.rows_written == 4 and not report.problems()
    rows = store.run("MATCH (n:Gene) RETURN n.id AS id, n.name AS name, n.xrefs AS xrefs ORDER BY id")
    assert rows[0] == {"id": "NCBIGene:1", "name": "A1BG", "xrefs": ["HGNC:5", "Ensembl:ENSG0001"]}
    assert rows[1]["name"] == "Gène"
    pmids = store.run("MATCH (:Gene)-[e:INTERACTS_WITH]->(:Gene) RETURN e.pmids AS pmids, e.score AS score")
    assert pmids == [{"pmids": ["123", "456"], "score": 0.25}]
    count = store.run("MATCH (:Gene)-[e:COVARIES_WITH]->(:Gene) RETURN e.count AS count")
    assert count == [{"count": 1234567890123456789}]
    again = writer_for(store, progress=False).write(nodes, edges)  # a re-run finds everything stored as sent
    assert again.rows_written == 4
    assert store.run("MATCH ()-[e]->() RETURN count(e) AS n")[0]["n"] == 2


def test_a_bridge_asked_for_before_the_jvm_runs_is_found_once_it_runs(tmp_path) -> None:
    """The look-up used to be cached with its first answer: asked before the JVM started (as a bench did), it said
    "no bridge" for good, and every write took the slow per-value path."""
    import subprocess
    import sys

    script = f"""
from pmkg.kg import bulk
from pmkg.kg.store import GraphStore
assert bulk._bridge("com.arcadedb.python.EdgeBatcher") is None  # no JVM yet
with GraphStore.connect("embedded://{tmp_path / 'db'}"):
    assert bulk._bridge("com.arcadedb.python.EdgeBatcher") is not None
    assert bulk._bridge("com.arcadedb.python.NoSuchBatcher") is None
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
