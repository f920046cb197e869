"""Evidence paths: the metapath catalogue, the DWPC weights, names and provenance, patients, the sanity rate."""

from __future__ import annotations

import json

import pytest
from pmkg.kg.explain import ExplainError, explain_drug_disease, explain_patient_drug, resolve_node
from pmkg.kg.explain_check import check_indications
from pmkg.kg.metapaths import DRUG_DISEASE, METAPATHS, PATIENT_DRUG, QUERIES, check_catalogue, evidence_query
from pmkg.kg.queries import run_query
from pmkg.queries import QUERY_DIR

from tests.explain_world import PATIENT, TEST_MODEL, write_test_predictions

ETOPOSIDE, ULCERATIVE_COLITIS = "DRUGBANK:DB00773", "DOID:8577"


def test_catalogue_walks_only_schema_edges_and_names_are_unique():
    check_catalogue(DRUG_DISEASE)
    check_catalogue(PATIENT_DRUG)
    assert len(METAPATHS) == len(DRUG_DISEASE) + len(PATIENT_DRUG)
    assert all(m.labels[0] == "Drug" and m.target == "Disease" for m in DRUG_DISEASE)
    assert all(m.labels[0] == "Patient" and m.target == "Drug" for m in PATIENT_DRUG)


def test_query_files_are_generated_from_the_catalogue():
    for name in QUERIES:
        on_disk = (QUERY_DIR / f"{name}.cypher").read_text(encoding="utf-8")
        assert on_disk == evidence_query(name), f"queries/{name}.cypher is stale: run `python -m pmkg.kg.metapaths`"


def _distinct_neighbours(store, pattern: str, node_id: str) -> int:
    return store.run(f"MATCH {pattern} WHERE n.id = $id RETURN count(DISTINCT x) AS k", {"id": node_id})[0]["k"]


def test_a_path_weighs_its_degree_product_and_reproduces_in_cypher(store, ingest_outcomes):
    # Fixture rows: etoposide -TARGETS-> ABCB1 <-ASSOCIATED_WITH- ulcerative colitis is the pair's only path.
    result = explain_drug_disease(store, ETOPOSIDE, ULCERATIVE_COLITIS)
    assert [p.metapath for p in result.paths] == ["CbGaD"]
    path = result.paths[0]
    assert path.node_ids == [ETOPOSIDE, "NCBIGene:5243", ULCERATIVE_COLITIS]
    assert path.node_names == ["Etoposide", "ABCB1", "ulcerative colitis"]
    assert path.node_labels == ["Drug", "Gene", "Disease"] and path.relationships == ["TARGETS", "ASSOCIATED_WITH"]
    assert path.sources == ["hetionet v1.0", "hetionet v1.0"]
    degrees = [
        _distinct_neighbours(store, "(n:Drug)-[:TARGETS]->(x:Gene)", ETOPOSIDE),
        _distinct_neighbours(store, "(n:Gene)<-[:TARGETS]-(x:Drug)", "NCBIGene:5243"),
        _distinct_neighbours(store, "(n:Gene)<-[:ASSOCIATED_WITH]-(x:Disease)", "NCBIGene:5243"),
        _distinct_neighbours(store, "(n:Disease)-[:ASSOCIATED_WITH]->(x:Gene)", ULCERATIVE_COLITIS),
    ]
    product = degrees[0] * degrees[1] * degrees[2] * degrees[3]
    assert path.pdp == pytest.approx(product**-0.4) and path.dwpc == pytest.approx(path.pdp)
    assert path.contribution == pytest.approx(1.0)
    rows = store.run(path.cypher)
    assert rows and [node["id"] for node in rows[0]["p"][::2]] == path.node_ids


def test_contributions_rank_paths_and_add_up_per_metapath(store, ingest_outcomes):
    # Betaxolol and hypertension: three paths of three metapaths in the fixture graph.
    result = explain_drug_disease(store, "DRUGBANK:DB00195", "DOID:10763", n=50)
    assert [p.rank for p in result.paths] == list(range(1, len(result.paths) + 1))
    contributions = [p.contribution for p in result.paths]
    assert contributions == sorted(contributions, reverse=True) and sum(contributions) == pytest.approx(1.0)
    assert sum(m.share for m in result.metapaths) == pytest.approx(1.0)
    for share in result.metapaths:
        mine = [p for p in result.paths if p.metapath == share.metapath]
        assert share.paths == len(mine) and share.dwpc == pytest.approx(sum(p.pdp for p in mine))
    assert {m.metapath for m in result.metapaths} == {"CrCtD", "CbGbCtD", "CcSEcCtD"}
    top = result.paths[0]
    assert top.path == "(Betaxolol)-[:RESEMBLES]-(Acebutolol)-[:TREATS]->(hypertension)"
    assert top.sources == ["hetionet v1.0", "pharmacotherapydb v1.0"]
    # Without damping every path weighs 1: the DWPC is the plain path count.
    counts = explain_drug_disease(store, "DRUGBANK:DB00195", "DOID:10763", n=50, damping=0.0)
    assert all(p.pdp == 1.0 for p in counts.paths) and all(m.dwpc == m.paths for m in counts.metapaths)


def test_pair_context_names_known_status_and_prediction(store, ingest_outcomes):
    write_test_predictions(store)
    result = explain_drug_disease(store, "Acetylsalicylic acid", "ulcerative colitis", n=3)
    assert (result.source_id, result.target_id) == ("DRUGBANK:DB00945", ULCERATIVE_COLITIS)
    assert result.known is None
    assert result.prediction == {"score": 0.9, "probability": 0.004, "rank": 7, "model_version": TEST_MODEL}
    known = explain_drug_disease(store, ETOPOSIDE, "DOID:1324")  # etoposide treats lung cancer
    assert known.known == "treats" and known.prediction is None
    assert all(p.node_ids[1:-1] and ETOPOSIDE not in p.node_ids[1:] for p in known.paths)
    json.dumps(known.to_dict())  # plain data, as the HTTP service serves it


def test_unknown_or_ambiguous_names_say_what_to_do(store, ingest_outcomes):
    with pytest.raises(ExplainError, match="no Disease with id or name 'DOID:0000000'.*find_disease"):
        explain_drug_disease(store, ETOPOSIDE, "DOID:0000000")
    with pytest.raises(ExplainError, match="unknown label"):
        resolve_node(store, "Compound", ETOPOSIDE)
    assert resolve_node(store, "Drug", "etoposide") == (ETOPOSIDE, "Etoposide")  # case-insensitive name
    with pytest.raises(ExplainError, match="between 1 and"):
        explain_drug_disease(store, ETOPOSIDE, ULCERATIVE_COLITIS, n=0)


def test_top_paths_go_through_targets_and_disease_genes_more_than_random_ones(store, ingest_outcomes):
    # The known indications of lung cancer in the fixture graph (the full-graph rate: bench/bench_explain.py).
    treating = "MATCH (c:Drug)-[:TREATS]->(:Disease {id: 'DOID:1324'}) RETURN c.id AS drug ORDER BY drug"
    result = check_indications(store, [(row["drug"], "DOID:1324") for row in store.run(treating)], k=1)
    # Fixture graph alone: 10 pairs with paths, 0.40 against 0.27. Other tests may add edges to the session graph
    # (the download-cache ingest does), so only the comparison is asserted.
    assert len(result.with_paths) >= 10 and result.top_paths == len(result.with_paths)
    assert result.top_rate > 1.2 * result.random_rate > 0
    widest = max(p.paths for p in result.pairs)
    assert result.at(widest).top_rate == pytest.approx(result.at(widest).random_rate)  # k covers every pool


def test_patient_drug_paths_go_through_the_patient_record(world_store):
    # The world holds PharmGKB and CPIC records only; PharmGKB made the drug nodes, so its spelling names them.
    clopidogrel = explain_patient_drug(world_store, PATIENT, "DRUGBANK:DB00758")
    assert [p.metapath for p in clopidogrel.paths] == ["PgGrC"]
    assert clopidogrel.paths[0].node_names == [PATIENT, "CYP2C19", "clopidogrel"]
    assert set(clopidogrel.paths[0].sources[1].split("; ")) == {"pharmgkb 2025-01-05", "cpic 2024-03-25-16-13"}
    prasugrel = explain_patient_drug(world_store, PATIENT, "prasugrel")
    assert {p.metapath for p in prasugrel.paths} == {"PcVrC", "PgGrC"}
    assert sum(p.contribution for p in prasugrel.paths) == pytest.approx(1.0)
    donepezil = explain_patient_drug(world_store, PATIENT, "DRUGBANK:DB00843")
    assert {p.node_names[1] for p in donepezil.paths} == {"Dementia", "Parkinsonism"}
    assert all(p.metapath == "PhPhDtC" and p.node_names[2] == "Alzheimer's disease" for p in donepezil.paths)
    levodopa = explain_patient_drug(world_store, PATIENT, "DRUGBANK:DB01235")
    assert [p.metapath for p in levodopa.paths] == ["PdDpC"]
    exported = json.dumps([e.to_dict() for e in (clopidogrel, prasugrel, donepezil, levodopa)])
    assert "Poor Metabolizer" not in exported and "homozygous" not in exported  # ids and term names only
    _, rows = run_query(world_store, "patient_drug_evidence", {"patient": PATIENT, "drug": "DRUGBANK:DB06209"})
    assert {m["metapath"]: m["paths"] for m in rows[0]["metapaths"]} == {"PcVrC": 1, "PgGrC": 1}


def test_a_patient_ingested_from_a_vcf_is_explained_through_the_diplotype_called_for_them(world_store, tmp_path):
    """Issue C's ingest path (VCF -> star alleles -> HAS_DIPLOTYPE) and issue E's patient metapaths meet."""
    from pmkg.ingest.patients import Pseudonymiser, build_patients
    from pmkg.ingest.xrefs import Resolver
    from pmkg.kg.patients import delete_patient, write_patients

    from tests.conftest import FIXTURES

    genes = {"CYP2C19": "NCBIGene:1557", "CYP2D6": "NCBIGene:1565", "UGT1A1": "NCBIGene:54658"}
    resolver = Resolver.from_tables(genes={g: g for g in genes.values()}, gene_symbols=genes)
    pseudonymiser = Pseudonymiser.from_key_file(tmp_path / "patient-key")
    ingest = build_patients([FIXTURES / "patients" / "genotypes.vcf"], resolver, pseudonymiser, FIXTURES)
    curated = "MATCH (v:Variant {id: 'dbSNP:rs4244285'}) RETURN v.sources AS sources, COUNT { (v)-[:IN_GENE]->() } AS n"
    before = world_store.run(curated)
    write_patients(world_store, ingest, progress=False)
    try:
        assert any(e.dst == "dbSNP:rs4244285" for e in ingest.result.edges if e.type == "CARRIES")
        assert world_store.run(curated) == before  # a curated variant gets the patient's edge, never their traces
        called = {
            e.src: e.props.get("diplotype")
            for e in ingest.result.edges
            if e.type == "HAS_DIPLOTYPE" and e.dst == "NCBIGene:1557"
        }
        assert called, "the fixture VCF gives at least one CYP2C19 call"
        for patient in called:
            explanation = explain_patient_drug(world_store, patient, "DRUGBANK:DB00758")
            (path,) = [p for p in explanation.paths if p.metapath == "PgGrC"]
            assert path.node_ids == [patient, "NCBIGene:1557", "DRUGBANK:DB00758"]
            assert path.node_names[1:] == ["CYP2C19", "clopidogrel"]
    finally:
        for patient in ingest.patients:
            delete_patient(world_store, patient.id)
    assert world_store.run("MATCH (p:Patient) RETURN count(p) AS n")[0]["n"] == 1  # the world's own patient
    assert world_store.run(curated) == before
