"""The bulk path builds exactly the graph the plain MERGE path builds, and stays idempotent and resumable."""

from __future__ import annotations

import dataclasses

import pytest
from pmkg.ingest import hetionet, pharmacotherapydb
from pmkg.kg import bulk as bulk_module
from pmkg.kg.bulk import BulkGraphWriter, writer_for
from pmkg.kg.records import NodeRecord
from pmkg.kg.store import GraphStore, record_statements
from pmkg.kg.writer import GraphWriter

from pmkg.workflows.ingest import ingest_sources
from tests.conftest import FIXTURES

SOURCES = ["hetionet", "disease-ontology", "pharmacotherapydb"]


def graph_digest(store: GraphStore) -> dict[str, list]:
    """Everything ingest writes, in a comparable form (Source nodes differ only in ingest time)."""
    nodes = store.run(
        "MATCH (n) WHERE NOT n:Source RETURN labels(n)[0] AS label, n.id AS id, n.name AS name, "
        "n.source AS source, n.sources AS sources, n.xrefs AS xrefs ORDER BY label, id"
    )
    edges = store.run(
        "MATCH (a)-[e]->(b) RETURN a.id AS src, type(e) AS type, b.id AS dst, e.source AS source, "
        "e.source_version AS version, e.license AS license ORDER BY src, type, dst, source"
    )
    return {"nodes": nodes, "edges": edges}


@pytest.fixture(scope="module")
def plain_store(tmp_path_factory: pytest.TempPathFactory):
    with GraphStore.connect(f"embedded://{tmp_path_factory.mktemp('plain') / 'db'}") as graph:
        ingest_sources(graph, FIXTURES, SOURCES, progress=False, bulk=False)
        yield graph


@pytest.fixture(scope="module")
def bulk_store(tmp_path_factory: pytest.TempPathFactory):
    with GraphStore.connect(f"embedded://{tmp_path_factory.mktemp('bulk') / 'db'}") as graph:
        outcomes = ingest_sources(graph, FIXTURES, SOURCES, progress=False, bulk=True)
        assert all(outcome.ok for outcome in outcomes)
        yield graph


def test_the_owner_of_an_embedded_store_gets_the_bulk_writer(bulk_store):
    assert isinstance(writer_for(bulk_store), BulkGraphWriter)
    assert type(writer_for(bulk_store, bulk=False)) is GraphWriter


def test_bulk_and_plain_paths_build_the_same_graph(plain_store, bulk_store):
    plain, bulk = graph_digest(plain_store), graph_digest(bulk_store)
    assert len(bulk["nodes"]) > 1000 and len(bulk["edges"]) > 1000
    assert bulk == plain


def test_bulk_rerun_is_idempotent(bulk_store):
    before = graph_digest(bulk_store)
    ingest_sources(bulk_store, FIXTURES, SOURCES, progress=False, bulk=True)
    assert graph_digest(bulk_store) == before


def test_a_killed_run_resumes_without_duplicates(tmp_path, bulk_store):
    """Half a source written (as if the process died mid-write), then a full run: no duplicate edges."""
    with GraphStore.connect(f"embedded://{tmp_path / 'db'}") as graph:
        graph.ensure_schema()
        result = hetionet.run(FIXTURES)
        writer = writer_for(graph, progress=False)
        writer.write(result.nodes, result.edges[: len(result.edges) // 2], what="half of hetionet")
        ingest_sources(graph, FIXTURES, ["hetionet", "pharmacotherapydb"], progress=False)
        duplicates = graph.run(
            "MATCH (a)-[e]->(b) WITH a, b, type(e) AS t, e.source AS s, count(e) AS n WHERE n > 1 RETURN count(*) AS d"
        )
        assert duplicates == [{"d": 0}]
        count = "MATCH ()-[e]->() WHERE e.source IN ['hetionet', 'pharmacotherapydb'] RETURN count(e) AS n"
        assert graph.run(count) == bulk_store.run(count)


def _ingest_with(graph: GraphStore, pipelined: bool) -> None:
    graph.ensure_schema()
    writer = writer_for(graph, progress=False)
    writer.pipelined = pipelined
    for source in (hetionet, pharmacotherapydb):
        result = source.run(FIXTURES)
        writer.write(result.nodes, result.edges, what=result.source.name)


def test_pipelined_and_unpipelined_bulk_paths_build_the_same_graph(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk_module, "PIPELINE_CHUNK_EDGES", 97)  # many chunks per group
    digests = []
    for pipelined in (True, False):
        with GraphStore.connect(f"embedded://{tmp_path / str(pipelined)}") as graph:
            _ingest_with(graph, pipelined)
            digests.append(graph_digest(graph))
    assert len(digests[0]["edges"]) > 1000 and digests[0] == digests[1]


def test_a_group_the_engine_refuses_midway_is_merged_without_duplicates(tmp_path, monkeypatch):
    """The third chunk of the largest edge group fails in the JVM after two were handed over: the batch is closed
    (committing what it took) and MERGE writes the whole group; nothing is lost and nothing doubled."""
    monkeypatch.setattr(bulk_module, "PIPELINE_CHUNK_EDGES", 40)
    real_call = bulk_module.edges_call
    calls = {"n": 0}

    def third_chunk_refused(*args, **kwargs):
        call = real_call(*args, **kwargs)
        calls["n"] += args[1] == "TARGETS"
        if args[1] == "TARGETS" and calls["n"] == 3:

            def refused():
                call()
                raise RuntimeError("the engine refused the chunk")

            return refused
        return call

    with GraphStore.connect(f"embedded://{tmp_path / 'pipelined'}") as expected:
        _ingest_with(expected, pipelined=True)
        want = graph_digest(expected)
    monkeypatch.setattr(bulk_module, "edges_call", third_chunk_refused)
    with GraphStore.connect(f"embedded://{tmp_path / 'refused'}") as graph:
        _ingest_with(graph, pipelined=True)
        assert calls["n"] >= 3
        assert graph_digest(graph) == want


def test_bulk_writer_reports_dangling_edges(bulk_store):
    from pmkg.kg.records import EdgeRecord

    prov = {"source": "bulk-test", "source_version": "1", "license": "CC0"}
    report = writer_for(bulk_store, progress=False).write(
        [], [EdgeRecord("TREATS", "Drug", "DRUGBANK:DB99999", "Disease", "DOID:1612", prov)]
    )
    stats = report.edges["Drug-TREATS-Disease"]
    assert (stats.written, stats.dangling) == (0, 1)
    assert "DRUGBANK:DB99999" in report.problems()[0]


def test_a_rerun_merges_only_the_records_that_changed(bulk_store):
    result = pharmacotherapydb.run(FIXTURES)
    writer = writer_for(bulk_store, progress=False)
    with record_statements() as sent:
        report = writer.write(result.nodes, result.edges, what="pharmacotherapydb again")
    assert not [s.query for s in sent if "MERGE" in s.query], "an unchanged re-run reads, it does not rewrite"
    assert not report.problems() and report.edges["Drug-TREATS-Disease"].written == 306

    edge = next(e for e in result.edges if e.type == "TREATS")
    node = next(n for n in result.nodes if n.label == "Disease")
    moved_edge = dataclasses.replace(edge, props={**edge.props, "n_curators": 99})
    changed = dataclasses.replace(node, props={**node.props, "category": "changed by a newer release"})
    renamed = dataclasses.replace(node, props={**node.props, "name": "renamed, but the Disease Ontology owns it"})
    with record_statements() as sent:
        writer.write([changed, renamed], [moved_edge], what="one changed node and edge")
    assert len([s for s in sent if "MERGE" in s.query]) == 2
    assert bulk_store.run("MATCH (d:Disease {id: $id}) RETURN d.name AS name, d.category AS c", {"id": node.id}) == [
        {"name": node.props["name"], "c": "changed by a newer release"}
    ]
    count = "MATCH (:Drug)-[e:TREATS {n_curators: 99}]->(:Disease) RETURN count(e) AS n"
    assert bulk_store.run(count) == [{"n": 1}]
    writer.write([node], [edge], what="the fixture's values again")  # leave the module's graph as it was
    assert bulk_store.run(count) == [{"n": 0}]


@pytest.mark.parametrize("bulk", [False, True], ids=["plain", "bulk"])
def test_a_later_source_does_not_rename_a_node_but_its_owner_can(bulk_store, bulk):
    """Names used to follow whichever source ran last (CPIC's "clopidogrel" over DrugBank's "Clopidogrel")."""
    drug = "DRUGBANK:DB90077" if bulk else "DRUGBANK:DB90078"
    unnamed = "DRUGBANK:DB90087" if bulk else "DRUGBANK:DB90088"
    fresh = "DRUGBANK:DB90097" if bulk else "DRUGBANK:DB90098"
    owner = {"source": "hetionet", "source_version": "v1.0", "license": "CC0-1.0"}
    later = {"source": "cpic", "source_version": "2024", "license": "CC0-1.0"}
    writer = writer_for(bulk_store, progress=False, bulk=bulk)
    name = "MATCH (d:Drug {id: $id}) RETURN d.name AS name, d.sources AS sources, d.cpic_note AS note"
    try:
        writer.write(
            [NodeRecord("Drug", drug, {"name": "Clopidogrel", **owner}), NodeRecord("Drug", unnamed, owner)], []
        )
        writer.write(
            [
                NodeRecord("Drug", drug, {"name": "clopidogrel", "cpic_note": "kept", **later}),
                NodeRecord("Drug", unnamed, {"name": "filled in", **later}),
            ],
            [],
        )
        assert bulk_store.run(name, {"id": drug}) == [
            {"name": "Clopidogrel", "sources": ["hetionet", "cpic"], "note": "kept"}
        ]
        assert bulk_store.run(name, {"id": unnamed})[0]["name"] == "filled in"  # nobody had named it
        writer.write([NodeRecord("Drug", drug, {"name": "Clopidogrel bisulfate", **owner})], [])
        assert bulk_store.run(name, {"id": drug})[0]["name"] == "Clopidogrel bisulfate"  # a newer owner release
        writer.write([NodeRecord("Drug", unnamed, {"name": "renamed", **later})], [])
        assert bulk_store.run(name, {"id": unnamed})[0]["name"] == "filled in"  # cpic does not own it
        # Within one write too: the first record of an id makes the node, a later one of another source adds.
        one_write = [NodeRecord("Drug", fresh, {"name": "Warfarin", **owner}), NodeRecord("Drug", fresh, later)]
        writer.write([*one_write, NodeRecord("Drug", fresh, {"name": "warfarin", **later})], [])
        assert bulk_store.run(name, {"id": fresh})[0]["name"] == "Warfarin"
    finally:
        bulk_store.run("MATCH (d:Drug) WHERE d.id IN $ids DETACH DELETE d", {"ids": [drug, unnamed, fresh]}, write=True)
