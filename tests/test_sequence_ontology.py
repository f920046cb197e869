"""Sequence Ontology from a fixture cut from the real so.obo (tools/fixtures/cut_sequence_ontology.py)."""

from __future__ import annotations

import gzip
import shutil

import pytest
from pmkg.ingest import sequence_ontology
from pmkg.ingest.base import IngestError
from pmkg.ingest.clinvar import VARIANT_TYPE_TO_SO
from pmkg.kg.writer import GraphWriter

from tests.conftest import FIXTURES

SO_FILE = FIXTURES / "sequence-ontology/so.obo"


@pytest.fixture(scope="module")
def result():
    return sequence_ontology.run(FIXTURES)


def test_every_term_clinvar_maps_to_is_a_node_with_its_ancestors(result):
    terms = {n.id: n.props for n in result.nodes}
    assert {n.label for n in result.nodes} == {"SequenceFeature"} and len(terms) == 47
    assert set(VARIANT_TYPE_TO_SO.values()) <= set(terms)
    assert terms["SO:0001483"]["name"] == "SNV" and "single nucleotide variant" in terms["SO:0001483"]["synonyms"]
    assert terms["SO:0001583"]["alt_ids"] == ["SO:0001584", "SO:0001783"]  # missense_variant's retired ids
    is_a = [e for e in result.edges if e.type == "IS_A"]
    assert len(is_a) == len(result.edges) == 49 and all(e.src in terms and e.dst in terms for e in is_a)
    assert ("SO:0001483", "SO:1000002") in {(e.src, e.dst) for e in is_a}  # SNV is_a substitution


def test_obsolete_and_damaged_terms_are_counted_and_warned(result):
    assert result.skipped == {"obsolete term": 1, "term id is not SO:NNNNNNN": 1}
    assert result.unresolved_examples == {"is_a parent obsolete or missing": ["SO:9999999"]}
    warnings = "\n".join(result.warnings)
    assert f"{SO_FILE}: term SOX:0000001: id is not SO:NNNNNNN; term skipped" in warnings
    assert f"{SO_FILE}: term SO:9999901: has no name; kept with its id as the name" in warnings
    assert f"{SO_FILE}: term SO:9999902: is_a SO:9999999, which is obsolete or not in the file" in warnings


def test_provenance_version_and_a_gzipped_release(result, tmp_path):
    assert result.source.version == "2024-11-18"
    for record in [*result.nodes, *result.edges]:
        assert (record.props["source"], record.props["license"]) == ("sequence-ontology", "CC BY 4.0")
    (tmp_path / "sequence-ontology").mkdir()
    (tmp_path / "sequence-ontology/so.obo.gz").write_bytes(gzip.compress(SO_FILE.read_bytes()))
    assert len(sequence_ontology.run(tmp_path).nodes) == len(result.nodes)


def test_unreadable_file_fails_naming_it(tmp_path):
    shutil.copytree(FIXTURES / "sequence-ontology", tmp_path / "sequence-ontology")
    (tmp_path / "sequence-ontology/so.obo").write_bytes(b"\xff\xfe not an ontology")
    with pytest.raises(IngestError, match=r"so.obo:1: not a readable OBO file"):
        sequence_ontology.run(tmp_path)


def test_variant_types_land_on_these_terms_and_a_rewrite_changes_nothing(store, ingest_outcomes, result):
    count = (
        "MATCH (t:SequenceFeature) WHERE 'sequence-ontology' IN t.sources WITH count(t) AS terms "
        "OPTIONAL MATCH (:Variant)-[r:HAS_VARIANT_TYPE]->(:SequenceFeature) RETURN terms, count(r) AS typed"
    )
    before = store.run(count)
    assert before[0]["terms"] == len(result.nodes) and before[0]["typed"] >= 30
    GraphWriter(store, progress=False).write(result.nodes, result.edges, what="sequence-ontology again")
    assert store.run(count) == before
