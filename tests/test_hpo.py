"""HPO: hp.obo, phenotype.hpoa and genes_to_phenotype, fixtures cut from the 2025-01-16 release.

The fixtures are cut by ``tools/fixtures/cut_hpo.py``.
"""

from __future__ import annotations

import gzip
import shutil

import pytest
from pmkg.ingest import hpo
from pmkg.ingest.base import IngestError
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.writer import GraphWriter

from tests.conftest import FIXTURES

HPOA = FIXTURES / "hpo/phenotype.hpoa.gz"
GENES = FIXTURES / "hpo/genes_to_phenotype.txt.gz"


@pytest.fixture(scope="module")
def result():
    return hpo.run(FIXTURES, Resolver.from_data_dir(FIXTURES))


def _nodes(result, label):
    return {n.id: n.props for n in result.nodes if n.label == label}


def _edges(result, rel_type):
    return {(e.src, e.dst): e.props for e in result.edges if e.type == rel_type}


def test_phenotype_hierarchy_with_each_terms_top_level_branch(result):
    terms = _nodes(result, "Phenotype")
    assert len(terms) == 322
    assert terms["HP:0001250"]["name"] == "Seizure"
    assert terms["HP:0001250"]["category"] == "Phenotypic abnormality"
    assert terms["HP:0000006"]["category"] == "Mode of inheritance"
    assert "HP:0001415" in terms["HP:0000006"]["alt_ids"]
    is_a = [e for e in result.edges if e.type == "IS_A"]
    assert all(e.src in terms and e.dst in terms for e in is_a)
    assert result.skipped["obsolete term"] == 1 and result.skipped["term id is not HP:NNNNNNN"] == 1
    assert result.unresolved_examples["is_a parent obsolete or missing"] == ["HP:9999999"]


def test_omim_and_orphanet_ids_of_one_disease_merge_on_its_canonical_id(result):
    # OMIM:261600 and ORPHA:716 (phenylketonuria) both resolve to DOID:9281 through the fixture's mappings.
    seizure = _edges(result, "HAS_PHENOTYPE")[("DOID:9281", "HP:0001250")]
    assert seizure["database_ids"] == ["OMIM:261600", "ORPHANET:716"]
    assert (seizure["frequency"], seizure["frequency_value"], seizure["evidence"]) == ("Frequent", 0.545, "TAS")
    assert {src for src, _ in _edges(result, "HAS_PHENOTYPE")} >= {"DOID:2352", "DOID:2476", "DOID:9281", "DOID:2843"}


def test_diseases_keep_their_canonical_id_and_mondo_names_them(result):
    diseases = _nodes(result, "Disease")
    # A DOID is the disease-ontology job's node: only the disease-level facts, never a name.
    assert diseases["DOID:2352"].keys() - {"source", "source_version", "license"} == {"inheritance"}
    assert diseases["DOID:2476"]["clinical_course"] == ["Infantile onset", "Middle age onset", "Progressive"]
    # MONDO-only diseases take MONDO's label; what hpoa called them stays a synonym.
    facial_pain = diseases["MONDO:0018362"]
    assert facial_pain["name"] == "persistent idiopathic facial pain"
    assert facial_pain["synonyms"] == ["Persistent idiopathic facial pain"]
    assert facial_pain["xrefs"] == ["ORPHANET:398147"]
    # Unresolved diseases keep their own id (so their edges land) and are counted.
    assert diseases["DECIPHER:16"]["name"].startswith("22q11 deletion syndrome")
    assert result.unresolved_examples["disease DECIPHER"] == ["DECIPHER:16"]
    assert result.unresolved_examples["disease OMIM"] == ["OMIM:141749"]
    assert ("OMIM:141749", "HP:0011904") in _edges(result, "HAS_PHENOTYPE")


def test_aspects_qualifiers_and_retired_terms(result):
    assert result.skipped["aspect H (past medical history) row: not modelled"] == 1
    assert result.skipped["aspect M (clinical modifier) row: not modelled"] == 1
    assert result.skipped["NOT-qualified annotation (the disease lacks the phenotype): no edge"] == 1
    edges = _edges(result, "HAS_PHENOTYPE")
    assert ("DOID:2352", "HP:0000020") in edges  # written as HP:0006942, an alt_id of Urinary incontinence
    assert ("DOID:2352", "HP:0001952") in edges  # written as obsolete HP:0000833, replaced_by HP:0001952
    assert "HP:0000833" not in _nodes(result, "Phenotype")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HP:0040281", ("Very frequent", 0.895, None)),
        ("3/4", ("3/4", 0.75, None)),
        ("12%", ("12%", 0.12, None)),
        ("", (None, None, None)),
        ("5/3", ("5/3", None, "frequency '5/3' is not n/m with 0 <= n <= m and m > 0")),
        ("often", ("often", None, "frequency 'often' is neither an HPO term, n/m nor x%")),
    ],
)
def test_frequencies_are_read_in_each_upstream_form(result, raw, expected):
    ontology = hpo.read_ontology(FIXTURES / "hpo/hp.obo.gz")
    terms = hpo.HpoTerms.from_ontology(ontology, FIXTURES / "hpo/hp.obo.gz", hpo.IngestResult(hpo.SOURCE))
    assert hpo.parse_frequency(raw, terms) == expected


def test_gene_phenotype_links_only_for_phenotypic_abnormalities(result):
    links = _edges(result, "ASSOCIATED_WITH")
    assert links[("NCBIGene:3077", "HP:0001394")]["disease_id"] == ["DOID:2352"]  # HFE, cirrhosis, hemochromatosis
    syncope = links[("NCBIGene:3784", "HP:0001279")]  # KCNQ1 in long QT syndrome 1
    assert (syncope["frequency"], syncope["frequency_value"], syncope["disease_id"]) == ("6/9", 0.6667, ["DOID:2843"])
    assert all(src.startswith("NCBIGene:") for src, _ in links)
    assert result.skipped["term is not a phenotypic abnormality (inheritance, modifier, history)"] == 4
    assert result.unresolved_examples["gene NCBIGene"] == ["NCBIGene:999999999"]


def test_malformed_rows_are_warned_with_file_and_line_and_the_rest_kept(result):
    reasons = ("malformed disease id", "malformed HPO id", "unknown qualifier", "unknown aspect", "malformed gene id")
    for reason in reasons:
        assert result.skipped[reason] == 1, reason
    assert result.skipped["wrong column count"] == 2  # one in each annotation file
    warnings = "\n".join(result.warnings)
    assert f"{HPOA}:91: expected 12 columns, found 6" in warnings
    assert f"{HPOA}:92: database_id 'OMIM-235200' is not OMIM:, ORPHA: or DECIPHER:<digits>" in warnings
    assert f"{HPOA}:96: frequency '5/3' is not n/m" in warnings and "edge kept without frequency_value" in warnings
    assert f"{HPOA}:97: HP:9999999 is not a current HPO term" in warnings
    assert f"{HPOA}:98: onset/modifier 'HP:9999998' is not a current HPO term; kept as the raw id" in warnings
    assert f"{GENES}:43: ncbi_gene_id 'HBB' is not an NCBI Gene number" in warnings
    assert f"{GENES}:45: disease_id 'OMIM-235200' is not OMIM:, ORPHA: or DECIPHER:<digits>; not listed" in warnings


def test_provenance_and_version(result):
    assert result.source.version == "2025-01-16"
    for record in [*result.nodes, *result.edges]:
        assert (record.props["source"], record.props["source_version"]) == ("hpo", "2025-01-16")
        assert record.props["license"].startswith("HPO license")
    assert len(result.files) == 3


def test_a_foreign_hpoa_header_fails_naming_file_and_line(tmp_path):
    shutil.copytree(FIXTURES / "hpo", tmp_path / "hpo")
    (tmp_path / "hpo/phenotype.hpoa.gz").write_bytes(gzip.compress(b"#version: 2019-01-01\nDB\tDB_Object_ID\n"))
    with pytest.raises(IngestError, match=r"phenotype.hpoa.gz:2: expected the hpoa header"):
        hpo.run(tmp_path, Resolver.from_tables())


def test_annotations_land_in_the_graph_and_a_rewrite_changes_nothing(store, ingest_outcomes, result):
    count = (
        "MATCH (:Disease)-[r:HAS_PHENOTYPE {source: 'hpo'}]->(:Phenotype) WITH count(r) AS annotations "
        "OPTIONAL MATCH (:Gene)-[g:ASSOCIATED_WITH {source: 'hpo'}]->(:Phenotype) "
        "RETURN annotations, count(g) AS gene_links"
    )
    before = store.run(count)
    annotations, gene_links = len(_edges(result, "HAS_PHENOTYPE")), len(_edges(result, "ASSOCIATED_WITH"))
    assert before == [{"annotations": annotations, "gene_links": gene_links}]
    GraphWriter(store, progress=False).write(result.nodes, result.edges, what="hpo again")
    assert store.run(count) == before
