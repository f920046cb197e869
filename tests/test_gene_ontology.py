"""Gene Ontology: go-basic terms and NCBI gene2go annotations, fixtures cut from the real files (cut_go.py)."""

from __future__ import annotations

import gzip
import shutil

import pytest
from pmkg.ingest import gene_ontology
from pmkg.ingest.base import IngestError
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.writer import GraphWriter

from tests.conftest import FIXTURES

GENE2GO = FIXTURES / "go/gene2go.gz"


@pytest.fixture(scope="module")
def result():
    return gene_ontology.run(FIXTURES, Resolver.from_data_dir(FIXTURES))


def _edges(result, rel_type):
    return {(e.src, e.dst): e.props for e in result.edges if e.type == rel_type}


def test_current_terms_with_namespace_and_a_complete_hierarchy(result):
    terms = {n.id: n.props for n in result.nodes}
    assert {n.label for n in result.nodes} == {"GOTerm"} and len(terms) == 326
    mitosis = terms["GO:0000070"]
    assert (mitosis["name"], mitosis["namespace"]) == ("mitotic sister chromatid segregation", "biological_process")
    assert mitosis["alt_ids"] == ["GO:0016359"]
    assert {p["namespace"] for p in terms.values()} == {
        "biological_process",
        "molecular_function",
        "cellular_component",
        "external",  # the damaged term outside the three aspects: warned, kept
    }
    hierarchy = [e for e in result.edges if e.type in ("IS_A", "PART_OF")]
    assert len(hierarchy) == 481 and all(e.src in terms and e.dst in terms for e in hierarchy)
    assert {e.type for e in hierarchy} == {"IS_A", "PART_OF"}
    assert result.skipped["regulates relation (not in the schema)"] == 41
    assert result.skipped["obsolete term"] == 1 and "GO:0000005" not in terms


def test_a_pairs_rows_merge_into_one_edge_with_sorted_evidence(result):
    annotations = _edges(result, "ANNOTATED_WITH")
    assert len(annotations) == 91 and all(src.startswith("NCBIGene:") for src, _ in annotations)
    nat2 = annotations[("NCBIGene:10", "GO:0004060")]  # NAT2 arylamine N-acetyltransferase activity: IBA + TAS
    assert (nat2["evidence"], nat2["category"]) == (["IBA", "TAS"], "Function")
    assert nat2["qualifier"] == nat2["pmids"] == []


def test_retired_and_unknown_ids_are_mapped_or_counted(result):
    annotations = _edges(result, "ANNOTATED_WITH")
    assert ("NCBIGene:10", "GO:0000070") in annotations  # written as its alt_id GO:0016359
    assert result.unresolved_examples == {
        "IS_A target obsolete or missing": ["GO:9999999"],
        "GO term obsolete": ["GO:0000005"],
        "GO term not in the ontology": ["GO:9999999"],
        "gene NCBIGene not in gene_info": ["NCBIGene:999999999"],
    }


def test_malformed_rows_are_warned_with_file_and_line_and_the_rest_kept(result):
    for reason in (
        "wrong column count",
        "malformed tax_id",
        "malformed GeneID",
        "malformed GO id",
        "malformed evidence code",
        "malformed PubMed",
        "NOT-qualified annotation",
        "other taxon",
        "non-GO term id",
    ):
        assert result.skipped[reason] == 1, reason
    warnings = "\n".join(result.warnings)
    assert f"{GENE2GO}:112: expected 8 columns, found 5" in warnings
    assert f"{GENE2GO}:113: tax_id 'human' is not a number" in warnings
    assert f"{GENE2GO}:116: GO_ID 'GO:12345' is not GO:NNNNNNN" in warnings
    assert f"{GENE2GO}:117: Evidence 'ida!' is not a GO evidence code" in warnings
    assert f"{GENE2GO}:118: PubMed 'PMID:123' is not '-' or numbers" in warnings
    assert "term GOX:0000001: id is not GO:NNNNNNN; term skipped" in warnings
    assert "term GO:9999902: IS_A GO:9999999, which is obsolete or not in the file" in warnings
    assert "tax_id '10090'" not in warnings  # other taxa are expected in gene2go: counted, not warned


def test_provenance_version_and_checksums(result):
    assert result.source.version == "2022-07-01"
    for record in [*result.nodes, *result.edges]:
        assert (record.props["source"], record.props["source_version"]) == ("go", "2022-07-01")
        assert record.props["license"].startswith("CC BY 4.0")
    assert len(result.files) == 2 and all(len(digest) == 64 for digest in result.files.values())


def test_corrupt_or_foreign_gene2go_fails_naming_the_file(tmp_path):
    shutil.copytree(FIXTURES / "go", tmp_path / "go")
    (tmp_path / "go/gene2go.gz").write_bytes(GENE2GO.read_bytes()[:300])
    with pytest.raises(IngestError, match=r"gene2go.gz:\d+: not a readable file"):
        gene_ontology.run(tmp_path, Resolver.from_tables())
    (tmp_path / "go/gene2go.gz").write_bytes(gzip.compress(b"#tax_id\tGeneID\tGO_ID\n9606\t1\tGO:0005576\n"))
    with pytest.raises(IngestError, match=r"gene2go.gz:1: header lacks gene2go column\(s\) Evidence"):
        gene_ontology.run(tmp_path, Resolver.from_tables())


def test_annotations_land_in_the_graph_and_a_rewrite_changes_nothing(store, ingest_outcomes, result):
    count = (
        "MATCH (t:GOTerm) WHERE 'go' IN t.sources WITH count(t) AS terms "
        "OPTIONAL MATCH (:Gene)-[a:ANNOTATED_WITH {source: 'go'}]->(:GOTerm) RETURN terms, count(a) AS annotations"
    )
    before = store.run(count)
    assert before == [{"terms": len(result.nodes), "annotations": 91}]
    GraphWriter(store, progress=False).write(result.nodes, result.edges, what="go again")
    assert store.run(count) == before
