"""Disease Ontology ingest from an OBO fixture cut from the real 2016-09-01 release."""

from __future__ import annotations

import pytest
from pmkg.ingest import disease_ontology
from pmkg.ingest.base import IngestError

from pmkg.workflows.ingest import ingest_sources
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def result():
    return disease_ontology.run(FIXTURES)


def test_terms_hierarchy_and_version(result):
    assert result.source.version == "2016-09-01"
    ids = {n.id for n in result.nodes}
    assert {"DOID:1612", "DOID:10652", "DOID:4"} <= ids  # fixture diseases and the root
    assert ("DOID:1612", "DOID:3463") in {(e.src, e.dst) for e in result.edges}  # breast cancer is_a breast disease
    assert all(e.type == "IS_A" and e.src in ids and e.dst in ids for e in result.edges)


def test_xrefs_are_normalised_and_alt_ids_kept(result):
    breast = next(n for n in result.nodes if n.id == "DOID:1612")
    assert breast.props["name"] == "breast cancer"
    assert breast.props["definition"] == "A thoracic cancer that originates in the mammary gland."
    assert {"MESH:D001943", "OMIM:114480", "UMLS:C0006142", "NCIT:C2910"} <= set(breast.props["xrefs"])
    assert "SNOMEDCT:126926005" in breast.props["xrefs"]
    assert breast.props["alt_ids"] == ["DOID:1648", "DOID:4241"]
    assert disease_ontology.normalise_xref("ORDO:558") == "ORPHANET:558"


def test_obsolete_and_dangling_terms_are_counted_not_dropped_silently(result):
    assert result.skipped == {"obsolete term": 1}
    assert "DOID:9999902" not in {n.id for n in result.nodes}
    assert "DOID:9999999" not in {n.id for n in result.nodes}, "an is_a target the file never defines is no term"
    assert result.unresolved == {"is_a parent obsolete or missing": 1}
    assert any("DOID:9999901" in w and "DOID:9999999" in w for w in result.warnings)
    assert any("DOID:9999901" in w and "has no name" in w for w in result.warnings)


def test_unreadable_obo_fails_with_the_file_named(tmp_path):
    (tmp_path / "disease-ontology").mkdir()
    (tmp_path / "disease-ontology" / "doid.obo").write_bytes(b"\xff\xfe not an ontology")
    with pytest.raises(IngestError, match=r"doid.obo:1: not a readable OBO file"):
        disease_ontology.run(tmp_path)


def test_hierarchy_lands_in_the_graph_next_to_hetionet(store, ingest_outcomes):
    assert {o.name for o in ingest_outcomes if o.ok} >= {"hetionet", "disease-ontology", "pharmacotherapydb"}
    rows = store.run(
        "MATCH (d:Disease {id: 'DOID:1612'})-[:IS_A*1..10]->(root:Disease {id: 'DOID:4'}) RETURN d.sources AS s LIMIT 1"
    )
    assert rows and {"hetionet", "disease-ontology"} <= set(rows[0]["s"])


def test_reingest_of_the_ontology_is_idempotent(store, ingest_outcomes):
    count = "MATCH (:Disease)-[r:IS_A]->(:Disease) RETURN count(r) AS n"
    before = store.run(count)
    ingest_sources(store, FIXTURES, ["disease-ontology"], progress=False)
    assert store.run(count) == before
