"""Patient ingest: Phenopacket v2 + VCF -> pseudonymous Patient nodes and edges, validation, privacy, deletion.

Real phenopackets (phenopacket-store, BSD-3-Clause) and a VCF written from PharmCAT's definitions, both cut by
tools/fixtures/cut_patients.py, into the session's real embedded store.
"""

from __future__ import annotations

import json
import logging

import pytest
from pmkg.ingest.patients import (
    PatientIngestError,
    Pseudonymiser,
    build_patients,
    variant_id,
)
from pmkg.ingest.phenopackets import PhenopacketError, parse_phenopacket, read_phenopacket
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.export import export_graph
from pmkg.kg.patients import delete_patient, export_cohort, write_patients
from typer.testing import CliRunner

from tests.conftest import FIXTURES

PATIENTS = FIXTURES / "patients"
PACKETS = PATIENTS / "phenopackets"
# Real mappings (Disease Ontology 2016 xrefs); only the first disease's DOID is outside the fixture graph.
DISEASES = {"OMIM:277600": "DOID:0050475", "OMIM:248200": "DOID:0050817"}
GENES = {f"NCBIGene:{n}": f"NCBIGene:{n}" for n in (1557, 1565, 54658)}
SYMBOLS = {"CYP2C19": "NCBIGene:1557", "CYP2D6": "NCBIGene:1565", "UGT1A1": "NCBIGene:54658"}
DRUG_NAMES = {"clopidogrel": "DRUGBANK:DB00758", "codeine": "DRUGBANK:DB00318"}


def resolver() -> Resolver:
    return Resolver.from_tables(diseases=DISEASES, genes=GENES, gene_symbols=SYMBOLS, drug_names=DRUG_NAMES)


@pytest.fixture(scope="module")
def pseudonymiser(tmp_path_factory) -> Pseudonymiser:
    return Pseudonymiser.from_key_file(tmp_path_factory.mktemp("key") / "patient-key")


@pytest.fixture(scope="module")
def ingest(pseudonymiser):
    return build_patients([PACKETS, PATIENTS / "genotypes.vcf"], resolver(), pseudonymiser, FIXTURES)


def records_of(ingest, patient_id, rel_type):
    return [e for e in ingest.result.edges if e.src == patient_id and e.type == rel_type]


def test_real_phenopackets_parse_with_excluded_features_diseases_and_variants():
    packet = read_phenopacket(PACKETS / "PMID_24573067_CASE_REPORT.json")
    assert packet.id == "PMID_24573067_CASE_REPORT" and packet.sex == "FEMALE" and packet.age_years == 80
    assert [f.excluded for f in packet.features].count(True) == 4 and len(packet.features) == 7
    assert [d.id for d in packet.diseases] == ["OMIM:148600", "OMIM:148600"]  # diseases[] and the interpretation
    (variant,) = packet.variants
    assert (variant.chrom, variant.pos, variant.ref, variant.alt) == ("chr15", 67236719, "TG", "T")
    assert (variant.zygosity, variant.gene_id, variant.acmg) == ("heterozygous", "HGNC:25662", "PATHOGENIC")
    structural = read_phenopacket(PACKETS / "PMID_10874631_II_2.json")
    assert len(structural.variants) == 2 and sum(v.chrom is None for v in structural.variants) == 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["subject"].__setitem__("sex", "Jane Doe"), "field subject.sex does not follow .* Sex values"),
        (lambda d: d["phenotypicFeatures"][1]["type"].__setitem__("idd", "x"), r"phenotypicFeatures\[1\].type.idd"),
        (lambda d: d["phenotypicFeatures"][2]["type"].__setitem__("id", "fits"), r"phenotypicFeatures\[2\].type.id"),
        (lambda d: d.pop("metaData"), "field metaData is required"),
        (lambda d: d["metaData"].__setitem__("phenopacketSchemaVersion", "1.0"), "must be 2.x"),
    ],
)
def test_schema_errors_name_the_field_and_never_the_value(mutate, message):
    document = json.loads((PACKETS / "PMID_24573067_CASE_REPORT.json").read_text())
    mutate(document)
    with pytest.raises(PhenopacketError, match=message) as info:
        parse_phenopacket(document, "case.json")
    assert str(info.value).startswith("case.json: ")
    assert "Jane Doe" not in str(info.value) and "fits" not in str(info.value)


def test_a_malformed_file_is_reported_and_the_other_patients_still_load(ingest):
    (error,) = ingest.file_errors
    assert "broken_excluded_is_text.json: field phenotypicFeatures[0].excluded" in error
    assert ingest.result.skipped["unreadable or invalid file"] == 1
    # Four valid phenopackets plus the VCF-only sample; two phenopackets are also VCF samples.
    assert len(ingest.patients) == 5 and not ingest.synthetic


def test_patients_get_stable_pseudonyms_and_no_original_ids(ingest, pseudonymiser):
    ids = {p.id for p in ingest.patients}
    assert pseudonymiser.pseudonym("PMID_24573067_CASE_REPORT") in ids
    assert all(pid.startswith("PMKG.PATIENT:") and len(pid) == len("PMKG.PATIENT:") + 20 for pid in ids)
    stored = json.dumps([n.props for n in ingest.result.nodes] + [e.props for e in ingest.result.edges])
    assert "PMID_24573067" not in stored and "CASE REPORT" not in stored and "VCF-ONLY" not in stored


def test_edges_carry_excluded_zygosity_and_resolved_diseases(ingest, pseudonymiser):
    pid = pseudonymiser.pseudonym("PMID_19836009_Family_B_II_2")
    phenotypes = records_of(ingest, pid, "HAS_PHENOTYPE")
    assert len(phenotypes) == 9 and sum(e.props["excluded"] for e in phenotypes) == 3
    (diagnosis,) = records_of(ingest, pid, "HAS_DIAGNOSIS")
    assert diagnosis.dst == "DOID:0050475" and diagnosis.props["origin"] == ["diseases", "interpretation"]
    (carries,) = records_of(ingest, pid, "CARRIES")
    assert carries.props["zygosity"] == "homozygous" and carries.dst.startswith("PMKG.VARIANT:GRCh38-chr")
    # OMIM:148600 and OMIM:601718 reach no DOID through these tables: counted, kept under their own id.
    assert ingest.result.unresolved["disease OMIM (no DOID)"] == 2


def test_vcf_samples_get_diplotypes_pgx_recommendations_and_pharmacogene_variants(ingest, pseudonymiser):
    pid = pseudonymiser.pseudonym("PMID_24573067_CASE_REPORT")
    diplotypes = {e.props["gene_symbol"]: e.props for e in records_of(ingest, pid, "HAS_DIPLOTYPE")}
    assert diplotypes["CYP2C19"]["diplotype"] == "*2/*2"
    assert diplotypes["CYP2C19"]["cpic_phenotype"] == "Poor Metabolizer"
    assert diplotypes["CYP2D6"]["cpic_lookup_key"] == "0.0"
    assert diplotypes["UGT1A1"]["diplotype"] == "*28/*28"
    recommendation = {e.dst: e.props for e in records_of(ingest, pid, "HAS_PGX_RECOMMENDATION")}
    clopidogrel = recommendation["DRUGBANK:DB00758"]
    assert clopidogrel["cpic_action"] == "avoid" and clopidogrel["contraindicated_by_cpic"]
    assert clopidogrel["guideline_source"] == "CPIC" and clopidogrel["classification"] == "Strong"
    assert "prasugrel or ticagrelor" in clopidogrel["text"]
    variants = records_of(ingest, pid, "CARRIES")
    from_vcf = [e for e in variants if e.props["origin"] == "vcf"]
    assert {e.props["zygosity"] for e in from_vcf} == {"homozygous"} and "dbSNP:rs4244285" in {e.dst for e in from_vcf}
    vcf_only = pseudonymiser.pseudonym("VCF-ONLY-SAMPLE-1")
    assert {e.props["gene_symbol"] for e in records_of(ingest, vcf_only, "HAS_DIPLOTYPE")} == set(SYMBOLS)


def test_logs_name_patients_by_pseudonym_only(pseudonymiser, caplog):
    with caplog.at_level(logging.DEBUG):
        build_patients([PACKETS, PATIENTS / "genotypes.vcf"], resolver(), pseudonymiser, FIXTURES)
    text = caplog.text
    for secret in ("PMID_24573067", "CASE REPORT", "HP:0007530", "AAGAB", "chr15", "Jane"):
        assert secret not in text


def test_synthetic_and_real_patients_are_never_ingested_together(tmp_path, pseudonymiser):
    document = json.loads((PACKETS / "PMID_24573067_CASE_REPORT.json").read_text())
    document["id"] = "SYN-X"
    document["metaData"]["externalReferences"] = [{"id": "pmkg:synthetic-cohort", "description": "synthetic: true"}]
    (tmp_path / "synthetic.json").write_text(json.dumps(document))
    with pytest.raises(PatientIngestError, match="mix synthetic"):
        build_patients([tmp_path / "synthetic.json", PACKETS], resolver(), pseudonymiser, FIXTURES)


def test_variant_ids_prefer_dbsnp_and_fall_back_to_position():
    assert variant_id("chr10", 1, "G", "A", "rs4244285") == "dbSNP:rs4244285"
    assert variant_id("15", 67236719, "TG", "T", None, "hg38") == "PMKG.VARIANT:GRCh38-chr15-67236719-TG-T"


def test_written_patients_are_exported_by_pseudonym_and_never_in_the_training_export(store, ingest_outcomes, ingest):
    outcome = write_patients(store, ingest, progress=False)
    assert outcome.patients == 5
    # No HPO in the fixture graph: every HP term is reported as missing, not dropped silently.
    assert outcome.not_in_graph["Phenotype"] > 0 and "Disease" in outcome.not_in_graph
    cohort = export_cohort(store, synthetic=False)
    assert set(ingest_ids := [p.id for p in ingest.patients]) <= set(cohort.patients)
    assert {pid for pid, *_ in cohort.pgx} <= set(ingest_ids)
    export = export_graph(store, progress=False)
    assert "Patient" not in export.node_ids
    assert not [v for v in export.node_ids.get("Variant", []) if v.startswith("PMKG.VARIANT:")]
    assert not {k for k in export.edges if "Patient" in (k[0], k[2])}


def test_delete_removes_the_patient_every_edge_and_variants_only_they_carried(store, ingest, pseudonymiser):
    write_patients(store, ingest, progress=False)
    pid = pseudonymiser.pseudonym("PMID_19836009_Family_B_II_2")
    (carries,) = records_of(ingest, pid, "CARRIES")
    before = store.run("MATCH (p:Patient {id: $id})-[r]-() RETURN count(r) AS n", {"id": pid})[0]["n"]
    assert before > 0
    counts = delete_patient(store, pid)
    assert counts == {"patients": 1, "edges": before, "variants": 1}
    assert store.run("MATCH (p:Patient {id: $id}) RETURN count(p) AS n", {"id": pid})[0]["n"] == 0
    assert store.run("MATCH (v:Variant {id: $id}) RETURN count(v) AS n", {"id": carries.dst})[0]["n"] == 0
    # A variant another patient still carries stays (UGT1A1*28: this patient is *28/*28, the VCF-only one *1/*28).
    other = pseudonymiser.pseudonym("PMID_24573067_CASE_REPORT")
    carriers = pseudonymiser.pseudonym("VCF-ONLY-SAMPLE-1")
    shared = (
        {e.dst for e in records_of(ingest, other, "CARRIES")} & {e.dst for e in records_of(ingest, carriers, "CARRIES")}
    ).pop()
    delete_patient(store, other)
    assert store.run("MATCH (v:Variant {id: $id}) RETURN count(v) AS n", {"id": shared})[0]["n"] == 1
    assert delete_patient(store, pid) == {"patients": 0, "edges": 0, "variants": 0}


def test_cli_ingests_patients_and_deletes_one_by_original_id(graph_uri, ingest_outcomes, tmp_path):
    from pmkg.cli import app

    key = tmp_path / "key"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["ingest", "patients", str(PACKETS), str(PATIENTS / "genotypes.vcf"), "--data-dir", str(FIXTURES),
         "--key-file", str(key), "--report", str(tmp_path / "report.json"), "-g", graph_uri, "-q"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # one file failed validation; the rest loaded
    assert "broken_excluded_is_text.json: field phenotypicFeatures[0].excluded" in result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["patients"] == 5 and report["files with errors"] == 1
    deleted = runner.invoke(
        app, ["patients", "delete", "VCF-ONLY-SAMPLE-1", "--original", "--key-file", str(key), "-g", graph_uri]
    )
    assert deleted.exit_code == 0, deleted.output
    assert "deleted PMKG.PATIENT:" in deleted.output and "VCF-ONLY" not in deleted.output
    missing = runner.invoke(app, ["patients", "delete", "PMKG.PATIENT:0000", "-g", graph_uri])
    assert missing.exit_code == 1 and "no patient PMKG.PATIENT:0000" in missing.output


def test_medical_actions_become_resolved_treatments_and_vcf_samples_can_be_renamed(tmp_path, pseudonymiser):
    document = json.loads((PACKETS / "PMID_16546111_A_IV_5.json").read_text())
    document["medicalActions"] = [
        {"treatment": {"agent": {"id": "DRUGBANK:DB00758", "label": "clopidogrel"}}},
        {"treatment": {"agent": {"id": "CHEBI:000000", "label": "unknown"}}},
    ]
    document["files"] = [{"uri": "genotypes.vcf", "individualToFileIdentifiers": {document["id"]: "VCF-ONLY-SAMPLE-1"}}]
    (tmp_path / "packet.json").write_text(json.dumps(document))
    ingest = build_patients([tmp_path / "packet.json", PATIENTS / "genotypes.vcf"], resolver(), pseudonymiser, FIXTURES)
    pid = pseudonymiser.pseudonym(document["id"])
    (node,) = [n for n in ingest.result.nodes if n.id == pid]
    assert node.props["treatments"] == ["DRUGBANK:DB00758"] and ingest.result.unresolved["treatment agent"] == 1
    # The phenopacket names VCF-ONLY-SAMPLE-1 as its sample, so that sample's genotypes are this patient's.
    diplotypes = {e.props["gene_symbol"]: e.props["diplotype"] for e in records_of(ingest, pid, "HAS_DIPLOTYPE")}
    assert diplotypes["UGT1A1"] == "*1/*28"
    assert pseudonymiser.pseudonym("VCF-ONLY-SAMPLE-1") not in {p.id for p in ingest.patients}
    # The VCF's sample named like this phenopacket is someone else: skipped and counted, never merged into it.
    assert [n.id for n in ingest.result.nodes if n.label == "Patient"].count(pid) == 1
    assert ingest.result.skipped["VCF sample named like another patient's phenopacket"] == 1
