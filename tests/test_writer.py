"""The batched writer: what it cannot write is counted and explained, and the rest still lands."""

from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.writer import GraphWriter

PROV = {"source": "writer-test", "source_version": "1", "license": "CC0"}


def test_invalid_and_dangling_records_are_reported_and_the_rest_written(store, ingest_outcomes):
    nodes = [
        NodeRecord("SideEffect", "UMLS:C9999901", {"name": "good", **PROV}),
        NodeRecord("SideEffect", "C9999902", {"name": "no prefix", **PROV}),  # not a CURIE
    ]
    edges = [
        EdgeRecord("CAUSES_SIDE_EFFECT", "Drug", "DRUGBANK:DB00945", "SideEffect", "UMLS:C9999901", PROV),
        EdgeRecord("CAUSES_SIDE_EFFECT", "Drug", "DRUGBANK:DB99999", "SideEffect", "UMLS:C9999901", PROV),  # dangling
        EdgeRecord("CAUSES_SIDE_EFFECT", "Drug", "DRUGBANK:DB00945", "SideEffect", "UMLS:C9999901", {}),  # no prov
    ]
    report = GraphWriter(store, batch_size=1, progress=False).write(nodes, edges)
    assert report.nodes["SideEffect"].written == 1 and report.nodes["SideEffect"].invalid == 1
    stats = report.edges["Drug-CAUSES_SIDE_EFFECT-SideEffect"]
    assert (stats.rows, stats.written, stats.invalid, stats.dangling) == (3, 1, 1, 1)
    problems = "\n".join(report.problems())
    assert "C9999902" in problems and "DRUGBANK:DB99999" in problems and "lacks provenance" in problems
    rows = store.run("MATCH (:Drug)-[r:CAUSES_SIDE_EFFECT]->(s:SideEffect {id: 'UMLS:C9999901'}) RETURN count(r) AS n")
    assert rows == [{"n": 1}]
    store.run("MATCH (s:SideEffect {source: 'writer-test'}) DETACH DELETE s", write=True)
