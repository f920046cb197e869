"""Every named query on the embedded store, with the rows the fixtures make it return."""

from __future__ import annotations

import pytest
from pmkg.kg.browser_guide import example_params
from pmkg.kg.queries import load_library, run_query

from tests.conftest import FIXTURE_SOURCES
from tests.explain_world import TEST_MODEL, write_test_predictions

WORLD_QUERIES = {"similar_diseases_by_phenotype", "pgx_annotations_for_gene", "patient_drug_evidence"}


@pytest.fixture(scope="module")
def predicted(store, ingest_outcomes):
    write_test_predictions(store)
    return store


def test_every_query_runs_its_own_example_and_returns_its_declared_columns(predicted, world_store):
    for name, query in load_library().items():
        graph = world_store if name in WORLD_QUERIES else predicted
        _, rows = run_query(graph, name, example_params(query))
        assert all(list(row) == list(query.columns) for row in rows), name


def test_repurposing_candidates_carry_probability_and_known_status(predicted):
    _, rows = run_query(predicted, "repurposing_candidates", {"disease": "DOID:7148"})
    assert [(r["rank"], r["drug_id"], r["probability"], r["known_status"]) for r in rows] == [
        (1, "DRUGBANK:DB00945", 0.031, "palliates"),  # aspirin is a symptomatic treatment of rheumatoid arthritis
        (2, "DRUGBANK:DB00773", 0.012, "novel"),
    ]
    assert rows[0]["palliates"] is True and {r["model_version"] for r in rows} == {TEST_MODEL}


def test_diseases_for_a_drug_lists_indications_then_predictions(predicted):
    _, rows = run_query(predicted, "diseases_for_drug", {"drug": "DRUGBANK:DB00945"})
    assert [(r["status"], r["disease_id"]) for r in rows] == [
        ("treats", "DOID:3393"),
        ("palliates", "DOID:7148"),
        ("palliates", "DOID:9074"),
        ("predicted", "DOID:7148"),
        ("predicted", "DOID:8577"),
    ]
    assert rows[0]["sources"] == ["pharmacotherapydb"] and rows[3]["probability"] == 0.031 and rows[3]["rank"] == 1
    _, top = run_query(predicted, "diseases_for_drug", {"drug": "DRUGBANK:DB00945", "k": "1"})
    assert [r["disease_id"] for r in top if r["status"] == "predicted"] == ["DOID:7148"]


def test_drugs_targeting_the_genes_of_a_disease(predicted):
    _, rows = run_query(predicted, "drugs_targeting_disease_genes", {"disease": "DOID:2841"})  # asthma
    assert rows[0] == {
        "drug_id": "DRUGBANK:DB00122",
        "drug_name": "Choline",
        "shared_genes": 1,
        "genes": ["PDE4B"],
        "target_sources": ["hetionet"],
        "known_status": "none",
    }
    # The complete DaG table adds asthma's VEGFA association, which bevacizumab targets.
    assert [(r["drug_id"], r["genes"]) for r in rows[1:]] == [("DRUGBANK:DB00112", ["VEGFA"])]


def test_phenotype_overlap_ranks_by_jaccard_not_by_shared_count(world_store):
    _, rows = run_query(world_store, "similar_diseases_by_phenotype", {"disease": "DOID:14330"})
    assert [(r["disease_id"], r["shared"], r["phenotypes"]) for r in rows] == [
        ("DOID:0060367", 20, 23),  # autosomal dominant Parkinson disease 1: 20 / (71 + 23 - 20)
        ("DOID:0060368", 22, 49),  # more phenotypes shared, but of a larger set
        ("DOID:10652", 12, 37),  # Alzheimer's disease
    ]
    assert [r["jaccard"] for r in rows] == pytest.approx([20 / 74, 22 / 98, 12 / 96])
    assert "Dementia" in rows[2]["shared_phenotypes"] and len(rows[0]["shared_phenotypes"]) == 10
    _, strict = run_query(world_store, "similar_diseases_by_phenotype", {"disease": "DOID:14330", "min_shared": "21"})
    assert [r["disease_id"] for r in strict] == ["DOID:0060368"]


def test_pgx_annotations_of_a_gene_by_symbol_or_id(world_store):
    _, by_symbol = run_query(world_store, "pgx_annotations_for_gene", {"gene": "CYP2C19"})
    _, by_id = run_query(world_store, "pgx_annotations_for_gene", {"gene": "NCBIGene:1557"})
    assert by_symbol == by_id
    assert [(r["level"], r["variant_id"], r["drug_name"], r["source"], r["level_of_evidence"]) for r in by_id] == [
        ("gene", None, "citalopram", "pharmgkb", "1A"),
        ("gene", None, "clopidogrel", "pharmgkb", "1A"),
        ("gene", None, "omeprazole", "pharmgkb", "1A"),
        ("variant", "dbSNP:rs4244285", "prasugrel", "pharmgkb", "3"),
        ("gene", None, "prasugrel", "pharmgkb", "3"),
        ("gene", None, "citalopram", "cpic", None),
        ("gene", None, "clopidogrel", "cpic", None),
        ("gene", None, "omeprazole", "cpic", None),
    ]
    clopidogrel_cpic = by_id[6]
    assert "avoid" in clopidogrel_cpic["actions"] and "clopidogrel" in clopidogrel_cpic["guideline"]


def test_provenance_lists_every_source_with_its_version_and_the_model(predicted):
    _, rows = run_query(predicted, "provenance", {})
    sources = {r["name"]: r for r in rows if r["kind"] == "source"}
    # Patient-ingest tests share this session store and add the patients' own Source node.
    assert set(sources) - {"pmkg-patients"} == set(FIXTURE_SOURCES)
    assert sources["disease-ontology"]["version"] == "2016-09-01" and sources["hetionet"]["version"] == "v1.0"
    assert all(sources[s]["sha256"] and sources[s]["files"] and sources[s]["license"] for s in FIXTURE_SOURCES)
    # A patient Source names no files (file names can identify patients) but always its licence terms.
    assert all(r["license"] and not r["files"] for n, r in sources.items() if n == "pmkg-patients")
    assert [(r["name"], r["version"], r["edges"]) for r in rows if r["kind"] == "model"] == [
        ("PREDICTED_TREATS", TEST_MODEL, 3)
    ]


def test_graph_statistics_match_direct_counts(predicted):
    _, rows = run_query(predicted, "graph_statistics", {})
    counts = {(r["kind"], r["name"]): r for r in rows}
    drugs = predicted.run("MATCH (n:Drug) RETURN count(n) AS n")[0]["n"]
    assert counts[("node", "Drug")]["count"] == drugs
    treats = counts[("relationship", "TREATS")]
    assert treats["count"] == 306 and treats["sources"] == ["pharmacotherapydb"]
    assert counts[("relationship", "PREDICTED_TREATS")]["sources"] == [TEST_MODEL]


def test_find_by_name_puts_exact_matches_first(predicted):
    _, diseases = run_query(predicted, "find_disease", {"name": "COLITIS"})
    assert [r["disease_id"] for r in diseases] == ["DOID:0060180", "DOID:8577"]  # colitis, ulcerative colitis
    _, drugs = run_query(predicted, "find_drug", {"name": "etoposide phosphate"})  # a synonym
    assert [(r["drug_id"], r["matched"]) for r in drugs] == [("DRUGBANK:DB00773", "etoposide phosphate")]


def test_typos_get_a_suggestion_and_a_query_describes_itself():
    from pmkg.kg.queries import QueryError, get_query
    from typer.testing import CliRunner

    from pmkg.cli import app

    with pytest.raises(QueryError, match="no query named 'evidence_path' \\(did you mean 'evidence_paths'\\?\\)"):
        get_query("evidence_path")
    with pytest.raises(QueryError, match="no parameter 'drg' \\(did you mean 'drug'\\?\\)"):
        get_query("evidence_paths").bind({"drg": "DRUGBANK:DB00773"})
    assert get_query("diseases_for_drug").summary == "Diseases for a drug"
    described = CliRunner().invoke(app, ["query", "evidence_paths", "--list"])
    assert described.exit_code == 0
    assert "damping (float[0..1], default 0.4)" in described.output
    assert "example: pmkg query evidence_paths" in described.output
