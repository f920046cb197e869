"""Tumour profiles in, biomarker-matched therapies out: the real CIViC cases on the CIViC fixture (real rows).

BRAF V600E melanoma -> vemurafenib and dabrafenib (+ trametinib) from level A/B items; EGFR L858R NSCLC -> erlotinib,
gefitinib, afatinib; EGFR T790M -> osimertinib with resistance warnings on erlotinib and gefitinib; KRAS G12C NSCLC ->
sotorasib. Scored through the patient scorer (a small drug-patient model, tests/service_support.py), the CLI and HTTP.
"""

from __future__ import annotations

import copy
import json
import logging

import pytest
from pmkg.ingest.civic import load_knowledge
from pmkg.ingest.phenopackets import PhenopacketError, parse_phenopacket
from pmkg.ingest.tumour import TumourInputError, TumourVariant, match_variants, read_tumour_vcf, variants_of_packet
from pmkg.ingest.vcf import VcfError
from pmkg.ingest.xrefs import Resolver
from typer.testing import CliRunner

from pmkg.cli import app as cli_app
from pmkg.workflows.oncology import NOTICE, biomarker_therapies, disease_fit, drug_biomarkers, merge_order
from pmkg.workflows.patient_scoring import PatientInputError, score_patient
from tests.conftest import FIXTURES
from tests.service_support import client, connector, make_app, patient_model_for_service, trained_for_service

MELANOMA, SKIN_MELANOMA, NSCLC, LUNG_ADENOCARCINOMA = "DOID:1909", "DOID:8923", "DOID:3908", "DOID:3910"
VEMURAFENIB, DABRAFENIB, TRAMETINIB = "DRUGBANK:DB08881", "DRUGBANK:DB08912", "DRUGBANK:DB08911"
ERLOTINIB, GEFITINIB, AFATINIB, OSIMERTINIB = (
    "DRUGBANK:DB00530",
    "DRUGBANK:DB00317",
    "DRUGBANK:DB08916",
    "DRUGBANK:DB09330",
)
SOTORASIB = "PMKG.DRUG:sotorasib"
HGVS_P = {
    ("BRAF", "V600E"): "NP_004324.2:p.Val600Glu",
    ("EGFR", "L858R"): "NP_005219.2:p.Leu858Arg",
    ("EGFR", "T790M"): "NP_005219.2:p.Thr790Met",
    ("KRAS", "G12C"): "NP_004976.2:p.Gly12Cys",
}
HGNC = {"BRAF": "HGNC:1097", "EGFR": "HGNC:3236", "KRAS": "HGNC:6407"}
ROUTE = "/v1/patients/recommendations"


def tumour_packet(pid: str, disease: str, *changes: tuple[str, str]) -> dict:
    """A Phenopacket v2 of a tumour patient: the diagnosis, a tumour biosample and its variant interpretations."""
    interpretations = [
        {
            "subjectOrBiosampleId": "tumour-1",
            "interpretationStatus": "CONTRIBUTORY",
            "variantInterpretation": {
                "variationDescriptor": {
                    "id": f"var-{i}",
                    "geneContext": {"valueId": HGNC[gene], "symbol": gene},
                    "expressions": [{"syntax": "hgvs.p", "value": HGVS_P[(gene, change)]}],
                }
            },
        }
        for i, (gene, change) in enumerate(changes)
    ]
    return {
        "id": pid,
        "metaData": {"phenopacketSchemaVersion": "2.0"},
        "subject": {"id": pid},
        "diseases": [{"term": {"id": disease}}],
        "biosamples": [
            {"id": "tumour-1", "tumorProgression": {"id": "NCIT:C84509", "label": "Primary Malignant Neoplasm"}}
        ],
        "interpretations": [
            {
                "id": "int-1",
                "progressStatus": "SOLVED",
                "diagnosis": {"disease": {"id": disease}, "genomicInterpretations": interpretations},
            }
        ],
    }


@pytest.fixture(scope="module")
def civic():
    resolver = Resolver.from_data_dir(FIXTURES)
    return load_knowledge(FIXTURES, resolver), resolver


def ranked(civic, disease, *changes):
    knowledge, resolver = civic
    variants = [TumourVariant("x", "phenopacket", gene, proteins=(change,), somatic=True) for gene, change in changes]
    match = match_variants(variants, knowledge, resolver)
    result = biomarker_therapies(knowledge, match, {disease})
    biomarkers = drug_biomarkers(result)
    recommended, warned = merge_order([], biomarkers, 10)
    return result, biomarkers, recommended, warned


# ---- the ranking, on the CIViC fixture ------------------------------------------------------------------------------


def test_braf_v600e_melanoma_gets_vemurafenib_and_dabrafenib_from_level_a_and_b(civic):
    result, biomarkers, recommended, _ = ranked(civic, MELANOMA, ("BRAF", "V600E"))
    assert recommended[0] == VEMURAFENIB and set(recommended[:3]) == {VEMURAFENIB, DABRAFENIB, TRAMETINIB}
    vemurafenib = biomarkers[VEMURAFENIB]
    # the level A item is filed under skin melanoma, a subtype of melanoma: it counts, as 'narrower'
    assert vemurafenib.best_level == "A" and vemurafenib.evidence_ids[0] == "CIVIC.EID:1409"
    assert "Skin Melanoma, a subtype of the patient's disease" in vemurafenib.reason
    assert (
        biomarkers[DABRAFENIB].best_level in ("A", "B")
        and "in combination with trametinib" in biomarkers[DABRAFENIB].reason
    )
    combo = next(t for t in result.therapies if t.therapy_name == "dabrafenib + trametinib")
    assert {"CIVIC.EID:6178", "CIVIC.EID:95"} <= {line.evidence_id for line in combo.sensitivity}
    assert combo.drug_ids == [DABRAFENIB, TRAMETINIB]


def test_egfr_l858r_nsclc_gets_erlotinib_gefitinib_and_afatinib(civic):
    _, biomarkers, recommended, warned = ranked(civic, NSCLC, ("EGFR", "L858R"))
    assert {ERLOTINIB, GEFITINIB, AFATINIB} <= set(recommended[:5])
    assert all(biomarkers[d].best_level == "A" for d in (ERLOTINIB, GEFITINIB, AFATINIB))
    assert biomarkers[ERLOTINIB].evidence_ids[0] in ("CIVIC.EID:2994", "CIVIC.EID:11240")
    assert ERLOTINIB not in warned


def test_egfr_t790m_gets_osimertinib_and_resistance_warnings_on_first_generation_inhibitors(civic):
    result, biomarkers, recommended, warned = ranked(civic, NSCLC, ("EGFR", "T790M"))
    assert recommended[0] == OSIMERTINIB and biomarkers[OSIMERTINIB].evidence_ids[:2] == [
        "CIVIC.EID:1592",
        "CIVIC.EID:1867",
    ]
    assert warned[:2] == [ERLOTINIB, GEFITINIB]
    assert (
        biomarkers[ERLOTINIB].resistance_level == "A"
        and "CIVIC.EID:238" in biomarkers[ERLOTINIB].resistance_evidence_ids
    )
    assert ERLOTINIB not in recommended and GEFITINIB not in recommended
    # with L858R as well (T790M after erlotinib), erlotinib's level A resistance outranks its level A sensitivity
    result, biomarkers, recommended, warned = ranked(civic, NSCLC, ("EGFR", "L858R"), ("EGFR", "T790M"))
    erlotinib = next(t for t in result.therapies if t.therapy_name == "erlotinib")
    assert erlotinib.best_level == "A" and erlotinib.resistance_outranks
    assert ERLOTINIB in warned and OSIMERTINIB in recommended[:3]
    assert result.therapies.index(erlotinib) > max(
        i for i, t in enumerate(result.therapies) if not t.resistance_outranks and t.sensitivity
    )


def test_kras_g12c_nsclc_gets_sotorasib_a_drug_drugcentral_2016_lacks(civic):
    _, biomarkers, recommended, _ = ranked(civic, NSCLC, ("KRAS", "G12C"))
    assert recommended[0] == SOTORASIB and biomarkers[SOTORASIB].best_level == "A"
    assert biomarkers[SOTORASIB].evidence_ids == ["CIVIC.EID:9431"]


def test_disease_fit_walks_the_disease_ontology(civic):
    knowledge, _ = civic
    assert disease_fit(knowledge, SKIN_MELANOMA, {MELANOMA}) == "narrower"
    assert disease_fit(knowledge, NSCLC, {LUNG_ADENOCARCINOMA}) == "broader"
    assert disease_fit(knowledge, "DOID:162", {MELANOMA}) == "pan-cancer"
    assert disease_fit(knowledge, "DOID:9256", {MELANOMA}) == "other"
    assert disease_fit(knowledge, None, {MELANOMA}) == disease_fit(knowledge, "DOID:0080522", {MELANOMA}) == "unknown"
    assert disease_fit(knowledge, MELANOMA, set()) == "no diagnosis"


def test_does_not_support_is_evidence_against_never_support(civic):
    result, _, _, _ = ranked(civic, "DOID:9256", ("BRAF", "V600E"))  # colorectal cancer
    dabrafenib = next(t for t in result.therapies if t.therapy_name == "dabrafenib")
    assert "CIVIC.EID:1406" in {line.evidence_id for line in dabrafenib.against}
    assert "CIVIC.EID:1406" not in {line.evidence_id for line in dabrafenib.sensitivity}


def test_multi_variant_profiles_match_only_when_every_variant_is_present(civic):
    knowledge, resolver = civic
    one = match_variants(
        [TumourVariant("x", "phenopacket", "BRAF", proteins=("V600E",), somatic=True)], knowledge, resolver
    )
    assert 4170 not in one.profiles and 12 in one.profiles and 17 in one.profiles  # V600 matches by codon
    both = match_variants(
        [TumourVariant("x", "phenopacket", "BRAF", proteins=(c,), somatic=True) for c in ("V600E", "V600M")],
        knowledge,
        resolver,
    )
    assert 4170 in both.profiles  # BRAF V600E AND BRAF V600M
    unmatched = match_variants(
        [TumourVariant("x", "phenopacket", "BRAF", proteins=("G469A",), somatic=True)], knowledge, resolver
    )
    assert not unmatched.matches and unmatched.unmatched == {"matches no CIViC variant": 1}


# ---- tumour input -------------------------------------------------------------------------------------------------

TUMOUR_VCF = """##fileformat=VCFv4.2
{reference}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR
7\t55259515\t.\tT\tG\t.\tPASS\t.\tGT\t0/0\t0/1
7\t55249071\t.\tC\tT\t.\tPASS\t.\tGT\t0/0\t0/1
12\t25398285\t.\tC\tA\t.\tLowQual\t.\tGT\t0/0\t0/1
1\t1000\t.\tC\tA\t.\tPASS\t.\tGT\t0/0\t0/0
"""


def test_a_tumour_vcf_matches_on_the_assembly_its_header_states(civic):
    knowledge, resolver = civic
    vcf = read_tumour_vcf(TUMOUR_VCF.format(reference="##reference=GRCh37\n"))
    assert vcf.assembly == "GRCh37" and vcf.skipped == {"not PASS": 1, "not carried by the tumour sample": 1}
    match = match_variants(vcf.variants, knowledge, resolver)
    assert {(m.civic_ids, m.matched_by) for m in match.matches} == {
        ((33,), "coordinates GRCh37"),
        ((34,), "coordinates GRCh37"),
    }
    assert 4432 in match.profiles  # EGFR L858R OR EGFR Exon 19 Deletion
    # hg19 in a contig line, or the flag, say the same
    contig = read_tumour_vcf(TUMOUR_VCF.format(reference="##contig=<ID=7,length=159138663,assembly=hg19>\n"))
    assert (
        contig.assembly == "GRCh37"
        and read_tumour_vcf(TUMOUR_VCF.format(reference=""), assembly="GRCh37").assembly == "GRCh37"
    )


def test_an_unstated_or_contradicted_build_is_an_error_never_a_guess():
    with pytest.raises(TumourInputError, match="tumour_vcf: the header states no genome assembly.*--assembly"):
        read_tumour_vcf(TUMOUR_VCF.format(reference=""))
    with pytest.raises(TumourInputError, match="tumour_vcf: the header names no build pmkg knows"):
        read_tumour_vcf(TUMOUR_VCF.format(reference="##reference=file:///data/ref.fa\n"))
    with pytest.raises(TumourInputError, match="assembly: says GRCh38 but the tumour_vcf header says GRCh37"):
        read_tumour_vcf(TUMOUR_VCF.format(reference="##reference=GRCh37\n"), assembly="GRCh38")
    with pytest.raises(VcfError, match="tumour_vcf:3: POS must be"):
        read_tumour_vcf(
            "##reference=GRCh37\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n7\tx\t.\tT\tG\t.\tPASS\t.\n"
        )


def test_grch38_matches_build_independently_through_annotated_protein_changes(civic):
    knowledge, resolver = civic
    annotated = (
        "##fileformat=VCFv4.2\n##reference=hg38\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr7\t140753336\t.\tA\tT\t.\tPASS\tANN=T|missense_variant|MODERATE|BRAF|ENSG00000157764|transcript|"
        "ENST00000646891.2|protein_coding|15/18|c.1799T>A|p.Val600Glu|1919/2527|1799/2301|600/766||\n"
        "chr12\t25245350\t.\tC\tA\t.\tPASS\t.\n"
    )
    vcf = read_tumour_vcf(annotated)
    match = match_variants(vcf.variants, knowledge, resolver)
    assert vcf.assembly == "GRCh38" and {(m.civic_ids, m.matched_by) for m in match.matches} == {
        ((12,), "protein change"),
        ((17,), "codon"),
    }
    # GRCh38 coordinates without an annotation: CIViC has GRCh37 coordinates only, so counted, not matched
    assert match.unmatched == {"matches no CIViC variant": 1}


def test_bad_tumour_input_names_the_field_and_never_the_value(civic):
    knowledge, resolver = civic
    bad_hgvs = tumour_packet("p1", MELANOMA, ("BRAF", "V600E"))
    descriptor = bad_hgvs["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"][
        "variationDescriptor"
    ]
    descriptor["expressions"][0]["value"] = "NP_004324.2:p.Val600Glux"
    with pytest.raises(PhenopacketError) as hgvs_error:
        parse_phenopacket(bad_hgvs, "phenopacket")
    assert (
        "field interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation."
        "variationDescriptor.expressions[0].value" in str(hgvs_error.value)
    )
    assert "Val600Glux" not in str(hgvs_error.value)
    unknown = tumour_packet("p2", MELANOMA, ("BRAF", "V600E"))
    gene = unknown["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"][
        "variationDescriptor"
    ]["geneContext"]
    gene.update(valueId="HGNC:NOPE1", symbol="NOPE1")
    with pytest.raises(TumourInputError) as gene_error:
        match_variants(variants_of_packet(parse_phenopacket(unknown, "phenopacket")), knowledge, resolver)
    assert gene_error.value.field.endswith("variationDescriptor.geneContext") and "NOPE1" not in str(gene_error.value)


# ---- through the patient scorer, the CLI and HTTP ------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(store, ingest_outcomes, tmp_path_factory):
    return trained_for_service(store, tmp_path_factory), patient_model_for_service(store, tmp_path_factory)


@pytest.fixture(scope="module")
def scorer(served):
    return served[1].patients.scorer


def test_the_patient_recommendation_puts_biomarker_therapies_first_with_level_and_evidence_ids(scorer):
    result = score_patient(tumour_packet("mel-1", MELANOMA, ("BRAF", "V600E")), scorer=scorer, top_k=10)
    top = [d.drug_id for d in result.drugs[:3]]
    assert top[0] == VEMURAFENIB and DABRAFENIB in top
    vemurafenib = result.drugs[0]
    assert vemurafenib.sources[0] == "civic" and vemurafenib.biomarker["best_level"] == "A"
    assert "CIVIC.EID:1409" in vemurafenib.reasons[0] and vemurafenib.score is not None
    # the model's own ranking follows the biomarker-matched drugs, each saying why it is there
    assert any(d.sources == ["model"] and d.reasons[0].startswith("model: rank") for d in result.drugs)
    assert result.notice == NOTICE and result.tumour["variants"][0]["name"] == "BRAF V600E"
    assert result.biomarker_therapies[0]["sensitivity"][0]["evidence_id"].startswith("CIVIC.EID:")
    assert json.dumps(result.to_dict())  # JSON-safe


def test_t790m_resistance_is_a_warning_at_the_end_of_the_list(scorer):
    result = score_patient(tumour_packet("lung-1", NSCLC, ("EGFR", "T790M")), scorer=scorer, top_k=5)
    assert result.drugs[0].drug_id == OSIMERTINIB
    warned = {d.drug_id: d for d in result.drugs if d.warning}
    assert {ERLOTINIB, GEFITINIB} <= set(warned)
    assert (
        "resistance outranks sensitivity" in warned[ERLOTINIB].warning and "CIVIC.EID:238" in warned[ERLOTINIB].warning
    )
    assert [d.drug_id for d in result.drugs[-len(warned) :]] == list(warned)  # warnings come last


def test_sotorasib_a_civic_only_drug_comes_first_for_kras_g12c(scorer):
    result = score_patient(tumour_packet("lung-2", NSCLC, ("KRAS", "G12C")), scorer=scorer, top_k=5)
    first = result.drugs[0]
    # the model scores it only because the graph it was trained on holds CIViC's PMKG.DRUG node (else: null)
    assert first.drug_id == SOTORASIB and first.sources[0] == "civic"
    assert first.drug_name == "Sotorasib" and first.biomarker["evidence_ids"] == ["CIVIC.EID:9431"]


def test_bad_input_to_the_scorer_names_the_field(scorer):
    packet = tumour_packet("mel-2", MELANOMA, ("BRAF", "V600E"))
    with pytest.raises(PatientInputError, match="tumour_vcf: the header states no genome assembly"):
        score_patient(packet, scorer=scorer, tumour_vcf=TUMOUR_VCF.format(reference=""))
    gene = packet["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"][
        "variationDescriptor"
    ]["geneContext"]
    gene.update(valueId="HGNC:NOPE1", symbol="NOPE1")
    with pytest.raises(PatientInputError, match=r"^phenopacket: field interpretations\[0\].*geneContext"):
        score_patient(packet, scorer=scorer)


def test_cli_scores_a_tumour_patient_and_refuses_bad_input_with_exit_2(served, tmp_path, caplog):
    model_dir = served[1].model_dir
    packet = tmp_path / "mel.json"
    packet.write_text(json.dumps(tumour_packet("mel-secret-7", MELANOMA, ("BRAF", "V600E"))))
    runner = CliRunner()
    base = ["patients", "score", str(packet), "--model", str(model_dir), "--data-dir", str(FIXTURES)]
    with caplog.at_level(logging.DEBUG):
        result = runner.invoke(cli_app, [*base, "--format", "json"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["drugs"][0]["drug_id"] == VEMURAFENIB and output["drugs"][0]["biomarker"]["best_level"] == "A"
    assert DABRAFENIB in [d["drug_id"] for d in output["drugs"][:3]] and output["notice"] == NOTICE
    table = runner.invoke(cli_app, base)
    assert (
        table.exit_code == 0 and "A CIVIC.EID:1409" in table.output and "not clinical decision support" in table.output
    )
    vcf = tmp_path / "tumour.vcf"
    vcf.write_text(TUMOUR_VCF.format(reference=""))
    unstated = runner.invoke(cli_app, [*base, "--tumour-vcf", str(vcf)])
    assert unstated.exit_code == 2 and "tumour_vcf: the header states no genome assembly" in unstated.output
    lung = runner.invoke(cli_app, [*base, "--tumour-vcf", str(vcf), "--assembly", "GRCh37", "--format", "json"])
    assert lung.exit_code == 0 and {v["name"] for v in json.loads(lung.stdout)["tumour"]["variants"]} >= {
        "EGFR L858R",
        "EGFR T790M",
    }
    private = ["mel-secret-7", "V600E", "Val600Glu", "BRAF", MELANOMA]
    leaked = [value for value in private if value in caplog.text]
    assert not leaked, leaked


@pytest.fixture(scope="module")
def api(graph_uri, served):
    trained, patients = served
    app = make_app(connector(graph_uri, 30.0), trained.model, timeout_s=30.0, patients=patients.patients)
    yield client(app)
    app.state.graph.close()


def test_http_returns_the_merged_list_and_bad_input_is_422_naming_the_field(api, caplog):
    packet = tumour_packet("mel-http-9", MELANOMA, ("BRAF", "V600E"))
    with caplog.at_level(logging.DEBUG):
        response = api.post(ROUTE, json={"phenopacket": packet})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["drugs"][0]["drug_id"] == VEMURAFENIB and DABRAFENIB in [d["drug_id"] for d in body["drugs"][:3]]
    assert body["drugs"][0]["biomarker"]["evidence_ids"][0] == "CIVIC.EID:1409" and body["notice"] == NOTICE
    assert body["biomarker_therapies"] and body["tumour"]["profiles"]
    lung = api.post(ROUTE, json={"phenopacket": tumour_packet("lung-http", NSCLC, ("EGFR", "T790M"))}).json()
    assert lung["drugs"][0]["drug_id"] == OSIMERTINIB and any(
        d["warning"] for d in lung["drugs"] if d["drug_id"] == ERLOTINIB
    )
    bad = copy.deepcopy(packet)
    bad["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"]["variationDescriptor"][
        "expressions"
    ][0]["value"] = "p.V600E!"
    refused = api.post(ROUTE, json={"phenopacket": bad})
    assert refused.status_code == 422 and "expressions.0.value" in refused.json()["errors"][0]["field"]
    assert "p.V600E!" not in refused.text
    unstated = api.post(ROUTE, json={"phenopacket": packet, "tumour_vcf": TUMOUR_VCF.format(reference="")})
    assert unstated.status_code == 422 and unstated.json()["errors"][0]["field"] == "body.tumour_vcf"
    stated = api.post(
        ROUTE, json={"phenopacket": packet, "tumour_vcf": TUMOUR_VCF.format(reference=""), "assembly": "GRCh37"}
    )
    assert stated.status_code == 200 and len(stated.json()["tumour"]["variants"]) >= 3
    wrong = api.post(
        ROUTE, json={"phenopacket": packet, "tumour_vcf": TUMOUR_VCF.format(reference=""), "assembly": "hg19"}
    )
    assert wrong.status_code == 422 and "assembly" in wrong.json()["errors"][0]["field"]
    leaked = [value for value in ("mel-http-9", "V600E", "Val600Glu", "p.V600E!") if value in caplog.text]
    assert not leaked, leaked


# ---- stored: the named query, the explanation and the write-back ----------------------------------------------------


@pytest.fixture
def stored_lung_patient(store, ingest_outcomes, civic):
    """A tumour patient (EGFR L858R + T790M, lung adenocarcinoma) written to the session graph, deleted after."""
    from pmkg.ingest.patients import PatientIngest, PatientRecordBuilder, Pseudonymiser
    from pmkg.kg.patients import delete_patient, write_patients

    knowledge, resolver = civic
    builder = PatientRecordBuilder(resolver, Pseudonymiser(b"0123456789abcdef-oncology"), civic=knowledge)
    packet = parse_phenopacket(tumour_packet("lung-stored", LUNG_ADENOCARCINOMA, ("EGFR", "L858R"), ("EGFR", "T790M")))
    summary = builder.add_patient(packet.id, packet, None)
    ingest = PatientIngest(builder.result, patients=[summary], tumours=builder.tumours)
    outcome = write_patients(store, ingest, progress=False)
    assert not outcome.problems and summary.tumour_variants == 2 and summary.biomarker_profiles == 3
    yield summary.id
    delete_patient(store, summary.id)


def test_the_named_query_walks_patient_variant_profile_drug_with_evidence_id_and_level(store, stored_lung_patient):
    from pmkg.kg.queries import run_query

    _, rows = run_query(store, "patient_biomarker_therapies", {"patient": stored_lung_patient})
    by_item = {(r["evidence_id"], r["therapy_id"]): r for r in rows}
    resistance = by_item[("CIVIC.EID:238", ERLOTINIB)]
    assert (resistance["direction"], resistance["level"], resistance["significance"]) == ("Supports", "A", "Resistance")
    assert resistance["disease_fit"] == "broader"  # NSCLC evidence for a lung adenocarcinoma
    assert (
        resistance["path"].lower()
        == (
            f"({stored_lung_patient})-[:CARRIES]->(EGFR T790M)<-[:HAS_COMPONENT]-(EGFR T790M)"
            "-[:PREDICTS_RESISTANCE_TO]->(erlotinib)"
        ).lower()
    )  # the drug keeps the name its owner (Hetionet, DrugCentral) gave it
    assert by_item[("CIVIC.EID:2634", GEFITINIB)]["disease_fit"] == "same"  # filed under lung adenocarcinoma
    assert rows[0]["direction"] == "Supports" and rows[0]["level"] == "A"
    assert {r["profile_id"] for r in rows} == {"CIVIC.MP:33", "CIVIC.MP:34", "CIVIC.MP:4432"}


def test_explain_shows_the_civic_evidence_path_for_a_patient_and_drug(store, graph_uri, stored_lung_patient):
    from pmkg.kg.explain import explain_patient_drug

    explanation = explain_patient_drug(store, stored_lung_patient, ERLOTINIB, n=50)
    items = {(r["evidence_id"], r["significance"], r["level"]) for r in explanation.biomarker_evidence}
    assert ("CIVIC.EID:238", "Resistance", "A") in items and ("CIVIC.EID:2994", "Sensitivity/Response", "A") in items
    assert "not clinical decision support" in " ".join(explanation.notes)
    shown = CliRunner().invoke(
        cli_app, ["explain", "--patient", stored_lung_patient, "--drug", ERLOTINIB, "--graph", graph_uri]
    )
    assert shown.exit_code == 0, shown.output
    assert "biomarker evidence (CIViC)" in shown.stdout and "CIVIC.EID:238" in shown.stdout


def test_write_back_merges_biomarker_drugs_and_marks_resistance(store, served, stored_lung_patient):
    import numpy as np
    from pmkg.gnn.patient_artifacts import load_patient_model
    from pmkg.kg.patients import write_predicted_benefit

    from pmkg.workflows.patient_model import _with_biomarkers

    loaded = load_patient_model(served[1].model_dir)
    scores = np.zeros(len(loaded.node_ids["Drug"]))
    links = _with_biomarkers(store, loaded, stored_lung_patient, scores, scores + 0.01, 5, {})
    assert write_predicted_benefit(store, links, loaded.model_version) == len(links)
    rows = store.run(
        "MATCH (:Patient {id: $id})-[e:PREDICTED_BENEFIT]->(d:Drug) RETURN d.id AS drug, e.rank AS rank, "
        "e.sources AS sources, e.civic_level AS level, e.civic_evidence_ids AS evidence, e.warning AS warning "
        "ORDER BY rank",
        {"id": stored_lung_patient},
    )
    assert rows[0]["sources"][0] == "civic" and rows[0]["level"] == "A" and rows[0]["evidence"]
    erlotinib = next(r for r in rows if r["drug"] == ERLOTINIB)
    assert (
        erlotinib["warning"].startswith("resistance outranks sensitivity") and "CIVIC.EID:238" in erlotinib["warning"]
    )
    warned = [r["warning"] is not None for r in rows]
    assert warned == sorted(warned)  # warnings come last
    assert OSIMERTINIB in [r["drug"] for r in rows[:5]]


def test_the_cohort_generator_makes_tumour_patients_from_civic(store, ingest_outcomes, civic):
    from pmkg.ingest.star_alleles import load_definitions
    from pmkg.ingest.synthetic import CohortGenerator, SynthConfig, phenopacket_of

    from pmkg.workflows.cohort import read_cohort_source

    knowledge, resolver = civic
    source = read_cohort_source(store)
    assert ("CIVIC.MP:12", MELANOMA) in source.tumour_pairs and source.tumour_variants["CIVIC.MP:12"] == [
        ("BRAF", "V600E")
    ]  # noqa: E501
    assert "CIVIC.MP:17" not in source.tumour_variants  # codon level: no concrete change to give a patient
    definitions = {"CYP2C19": load_definitions(FIXTURES, "CYP2C19")}
    mixed = CohortGenerator(source, definitions, SynthConfig(n=30, seed=5, genes=("CYP2C19",), tumour_fraction=0.5))
    plain = CohortGenerator(source, definitions, SynthConfig(n=30, seed=5, genes=("CYP2C19",)))
    tumours = [p for p in mixed.generate() if p.tumour_profile]
    assert 5 <= len(tumours) <= 25
    for patient in tumours:
        packet = parse_phenopacket(phenopacket_of(patient, mixed.config, "cohort.vcf.gz", None), "synthetic")
        assert packet.synthetic and packet.tumour_diagnoses == [patient.disease]
        match = match_variants(variants_of_packet(packet), knowledge, resolver)
        assert int(patient.tumour_profile.split(":")[1]) in match.profiles
    # the other patients are the ones a cohort without tumours has: the tumour draws use their own stream
    others = [p for p in mixed.generate() if not p.tumour_profile]
    assert others == [plain.patient(int(p.id.rsplit("-", 1)[1])) for p in others]
