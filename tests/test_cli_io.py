"""``pmkg export rdf`` and ``pmkg ingest --neo4j-import-dir``: the bulk formats, from the command line."""

from __future__ import annotations

import shlex

import pytest
from pmkg.kg.rdf import read_rdf
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.store import GraphStore
from pmkg.kg.writer import GraphWriter
from typer.testing import CliRunner

from pmkg.cli import app
from tests.conftest import FIXTURES

runner = CliRunner()
PROV = {"source": "rdf-test", "source_version": "1", "license": "CC0 1.0"}

# A small graph with every kind of value the exporter must carry: text that needs escaping, numbers, booleans,
# lists, a CURIE with characters an IRI cannot hold, two sources on one edge, and a patient that must stay out.
NODES = [
    NodeRecord("Drug", "DRUGBANK:DB00945", {"name": 'Aspirin "ASA"\nline two', "xrefs": ["CHEBI:15365"], **PROV}),
    NodeRecord("Disease", "DOID:1612", {"name": "breast cancer", "alt_ids": ["DOID:1648", "DOID:4241"], **PROV}),
    NodeRecord("Gene", "NCBIGene:5742", {"name": "PTGS1", "pharmacogene": True, "score": 0.25, "rank": 3, **PROV}),
    NodeRecord("Variant", "CLINVAR:NM_000546.6:c.215C>G{x}", {"name": "an id an IRI cannot hold as is", **PROV}),
    NodeRecord("Patient", "PMKG.PATIENT:p1", {"name": "never exported", **PROV}),
]
EDGES = [
    EdgeRecord("TREATS", "Drug", "DRUGBANK:DB00945", "Disease", "DOID:1612", {"n_curators": 3, **PROV}),
    EdgeRecord(
        "TREATS", "Drug", "DRUGBANK:DB00945", "Disease", "DOID:1612", {**PROV, "source": "rdf-test-2", "pmids": ["1"]}
    ),
    EdgeRecord("TARGETS", "Drug", "DRUGBANK:DB00945", "Gene", "NCBIGene:5742", {"evidence": "CHEMBL", **PROV}),
    EdgeRecord("HAS_DIAGNOSIS", "Patient", "PMKG.PATIENT:p1", "Disease", "DOID:1612", dict(PROV)),
]


@pytest.fixture(scope="module")
def small_graph(tmp_path_factory):
    uri = f"embedded://{tmp_path_factory.mktemp('rdf') / 'db'}"
    with GraphStore.connect(uri) as store:
        store.ensure_schema()
        report = GraphWriter(store, progress=False).write(NODES, EDGES, what="rdf test graph")
        assert not report.problems()
        yield uri, store


def test_export_rdf_round_trips_a_small_graph(small_graph, tmp_path):
    uri, store = small_graph
    out = tmp_path / "graph.ttl"
    result = runner.invoke(app, ["export", "rdf", "-g", uri, "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "4 nodes, 3 edges" in result.output and "left out 1 patients and 1 patient edges" in result.output
    assert "@prefix DOID: <https://bioregistry.io/DOID:>" in out.read_text()

    nodes, edges = read_rdf(out)
    stored = store.run("MATCH (n) WHERE NOT n:Patient RETURN labels(n)[0] AS label, properties(n) AS props")
    assert sorted((n.label, n.id, n.props) for n in nodes) == sorted(
        (row["label"], row["props"]["id"], {k: v for k, v in row["props"].items() if k != "id"}) for row in stored
    )
    aspirin = next(n for n in nodes if n.id == "DRUGBANK:DB00945")
    assert aspirin.props["name"] == 'Aspirin "ASA"\nline two' and aspirin.props["xrefs"] == ["CHEBI:15365"]
    gene = next(n for n in nodes if n.id == "NCBIGene:5742")
    assert (gene.props["pharmacogene"], gene.props["score"], gene.props["rank"]) == (True, 0.25, 3)
    stored_edges = store.run(
        "MATCH (a)-[e]->(b) WHERE NOT a:Patient "
        "RETURN type(e) AS type, a.id AS src, b.id AS dst, properties(e) AS props"
    )
    assert sorted((e.type, e.src, e.dst, sorted(e.props.items())) for e in edges) == sorted(
        (row["type"], row["src"], row["dst"], sorted(row["props"].items())) for row in stored_edges
    )
    assert {e.props["source"] for e in edges if e.type == "TREATS"} == {"rdf-test", "rdf-test-2"}


def test_export_rdf_needs_an_output_file(small_graph):
    result = runner.invoke(app, ["export", "rdf", "-g", small_graph[0]])
    assert result.exit_code == 2 and "--out" in result.output


def test_ingest_writes_neo4j_import_files_and_prints_the_command(tmp_path):
    out = tmp_path / "import"
    sources = ["--source", "hetionet", "--source", "pharmacotherapydb"]
    result = runner.invoke(
        app,
        ["ingest", "--data-dir", str(FIXTURES), *sources, "--neo4j-import-dir", str(out), "--quiet"]
        + ["--report", str(tmp_path / "report.json")],
    )
    assert result.exit_code == 0, result.output
    command = next(line for line in result.output.splitlines() if "neo4j-admin database import full" in line)
    words = shlex.split(command.split(" && ", 1)[1])
    # Neo4j 5 operations manual: the database name right after `full` (5.19+ would read a trailing name as a file).
    assert words[:6] == ["neo4j-admin", "database", "import", "full", "neo4j", "--overwrite-destination"]
    assert {"--id-type=string", "--array-delimiter=U+001F"} <= set(words)
    assert "--nodes=Drug=nodes/Drug.header.csv,nodes/Drug.csv" in words
    treats = "relationships/Drug-TREATS-Disease"
    assert f"--relationships=TREATS={treats}.header.csv,{treats}.csv" in words
    assert (out / "nodes/Drug.header.csv").read_text().startswith("id:ID(Drug),:LABEL,")
    header = (out / f"{treats}.header.csv").read_text().strip().split(",")
    assert header[:3] == [":START_ID(Drug)", ":END_ID(Disease)", ":TYPE"] and "n_curators:long" in header
    for argument in words:
        if argument.startswith(("--nodes=", "--relationships=")):
            for path in argument.split("=", 2)[2].split(","):
                assert (out / path).is_file(), path
    assert (out / "import.sh").is_file() and (out / "schema.cypher").is_file() and (tmp_path / "report.md").is_file()


def test_neo4j_import_of_a_missing_source_fails_with_exit_code_1(tmp_path):
    result = runner.invoke(
        app, ["ingest", "--data-dir", str(tmp_path), "--source", "sider", "--neo4j-import-dir", str(tmp_path / "o")]
    )
    assert result.exit_code == 1 and "sider failed" in result.output and "meddra_all_se" in result.output
