"""POST /v1/patients/recommendations against the real embedded graph and a small drug-patient model.

The model is trained for a few epochs on a synthetic cohort held in memory (tests/service_support.py); the
patients sent are from that cohort (CYP2C19 genotyped, so poor metabolisers get CPIC's clopidogrel advice).
"""

from __future__ import annotations

import copy
import gzip
import json
import logging

import pytest
from pmkg.ingest.patients import Pseudonymiser
from pmkg.kg.patients import delete_patient
from pmkg.service.patients import PatientModel

from pmkg.cli.serve import quiet_driver_logs
from pmkg.workflows.patient_scoring import score_patient
from tests.service_support import client, connector, make_app, patient_model_for_service, trained_for_service

ROUTE = "/v1/patients/recommendations"
CLOPIDOGREL = "DRUGBANK:DB00758"
GRAPH_SIZE = "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS nodes, count(r) AS edges"


@pytest.fixture(scope="module")
def served(store, ingest_outcomes, tmp_path_factory):
    return trained_for_service(store, tmp_path_factory), patient_model_for_service(store, tmp_path_factory)


@pytest.fixture(scope="module")
def app(graph_uri, served):
    trained, patients = served
    app = make_app(connector(graph_uri, 30.0), trained.model, timeout_s=30.0, patients=patients.patients)
    yield app
    app.state.graph.close()


@pytest.fixture(scope="module")
def api(app):
    return client(app)


@pytest.fixture(scope="module")
def poor_metaboliser(served):
    """(phenopacket, single-sample VCF text) of a CYP2C19 poor metaboliser from the cohort."""
    cohort = served[1].cohort
    truth = [line.split("\t") for line in cohort.truth.read_text().splitlines()[1:]]
    sample = next(row[0] for row in truth if row[2] in ("*2/*2", "*2/*3", "*3/*3"))
    document = json.loads((cohort.phenopackets / f"{sample}.json").read_text())
    return document, _single_sample_vcf(cohort.vcf, sample)


def _single_sample_vcf(path, sample):
    with gzip.open(path, "rt") as fh:
        lines = [line.rstrip("\n").split("\t") for line in fh]
    header = next(columns for columns in lines if columns[0] == "#CHROM")
    keep = header.index(sample)
    return "".join(
        ("\t".join(c) if c[0].startswith("##") else "\t".join(c[:9] + [c[keep]])) + "\n" for c in lines
    )


def _scorer(served):
    return served[1].patients.scorer


def test_recommendations_are_the_patient_scorers_ranking_and_nothing_is_stored(api, served, store, poor_metaboliser):
    document, _ = poor_metaboliser
    before = store.run(GRAPH_SIZE)[0]
    response = api.post(ROUTE, params={"k": 15}, json={"phenopacket": document})
    assert response.status_code == 200, response.text
    body = response.json()
    direct = score_patient(document, None, scorer=_scorer(served), top_k=15)
    assert body["model_version"] == direct.model_version == served[1].patients.model_version
    assert [d["drug_id"] for d in body["drugs"]] == [d.drug_id for d in direct.drugs]
    assert [d["rank"] for d in body["drugs"]] == list(range(1, 16))
    for got, expected in zip(body["drugs"], direct.drugs, strict=True):
        assert got["probability"] == pytest.approx(expected.probability, rel=1e-5)
        assert got["score"] == pytest.approx(expected.score, abs=1e-5)
    assert [d["disease_id"] for d in body["differential"]] == [d["disease_id"] for d in direct.differential]
    assert body["used_diagnosis"] and body["pgx"] == []  # no VCF: no star-allele calls
    assert body["stored"] is False and body["stored_patient"] is None
    assert store.run(GRAPH_SIZE)[0] == before


def test_a_vcf_gives_star_alleles_and_cpic_flags_and_the_diagnosis_can_be_ignored(api, served, poor_metaboliser):
    document, vcf = poor_metaboliser
    every = len(_scorer(served).loaded.drug_names)
    body = api.post(ROUTE, params={"k": every}, json={"phenopacket": document, "vcf": vcf}).json()
    (call,) = body["pgx"]
    assert call["gene"] == "CYP2C19" and call["phenotype"] == "Poor Metabolizer"
    clopidogrel = next(d for d in body["drugs"] if d["drug_id"] == CLOPIDOGREL)
    assert any(flag.startswith("CPIC: avoid") for flag in clopidogrel["pgx_flags"])
    cpic = next(r for r in clopidogrel["recommendations"] if r["guideline_source"] == "CPIC")
    assert cpic["action"] == "avoid" and cpic["text"]
    direct = score_patient(document, vcf, scorer=_scorer(served), top_k=every)
    assert [d["drug_id"] for d in body["drugs"]] == [d.drug_id for d in direct.drugs]

    blind = api.post(ROUTE, params={"k": 10, "use_diagnosis": "false"}, json={"phenopacket": document, "vcf": vcf})
    direct_blind = score_patient(document, vcf, scorer=_scorer(served), top_k=10, use_diagnosis=False)
    assert blind.json()["used_diagnosis"] is False
    assert [d["drug_id"] for d in blind.json()["drugs"]] == [d.drug_id for d in direct_blind.drugs]


def test_store_true_writes_the_patient_under_the_ingest_pseudonym(api, served, store, poor_metaboliser):
    document, vcf = poor_metaboliser
    response = api.post(ROUTE, params={"store": "true", "k": 5}, json={"phenopacket": document, "vcf": vcf})
    assert response.status_code == 200, response.text
    body = response.json()
    patient = body["stored_patient"]["patient_id"]
    try:
        assert body["stored"] is True and body["stored_patient"]["rows_written"] > 0
        # The key of `pmkg ingest patients` (PMKG_PATIENT_KEY_FILE): the same patient gets the same id either way.
        assert patient == Pseudonymiser.from_key_file(served[1].patients.key_file).pseudonym(document["id"])
        rows = store.run(
            "MATCH (p:Patient {id: $id}) RETURN p.synthetic AS synthetic, "
            "COUNT { (p)-[:HAS_DIAGNOSIS]->() } AS diagnoses, "
            "[(p)-[d:HAS_DIPLOTYPE]->(g:Gene) | d.phenotype] AS phenotypes, "
            "[(p)-[r:HAS_PGX_RECOMMENDATION]->(c:Drug) | c.id] AS flagged",
            {"id": patient},
        )
        assert len(rows) == 1 and rows[0]["synthetic"] is True and rows[0]["diagnoses"] >= 1
        assert rows[0]["phenotypes"] == ["Poor Metabolizer"] and CLOPIDOGREL in rows[0]["flagged"]
        stored = store.run("MATCH (p:Patient {id: $id}) RETURN properties(p) AS p", {"id": patient})
        assert document["id"] not in json.dumps(stored, default=str)
    finally:
        assert delete_patient(store, patient)["patients"] == 1


def test_bad_input_is_422_naming_the_field_without_echoing_values(api, poor_metaboliser):
    document, vcf = poor_metaboliser

    def with_(path, value):
        changed = copy.deepcopy(document)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return changed

    secret_sample = "Jane-Doe-1970"
    header = next(line for line in vcf.splitlines() if line.startswith("#CHROM"))
    twice = vcf.replace(header, header + "\t" + secret_sample + "\t" + secret_sample)
    bad_pos = vcf.rstrip("\n") + "\nchr10\t9478x859\t.\tG\tA\t.\tPASS\t.\tGT\t0/1\n"
    cases = [
        ({"phenopacket": with_(["subject", "sex"], "SECRET_SEX")}, "body.phenopacket.subject.sex", "SECRET_SEX"),
        ({"phenopacket": {k: v for k, v in document.items() if k != "id"}}, "body.phenopacket.id", None),
        (
            {"phenopacket": with_(["phenotypicFeatures", 0, "type", "id"], "seizures of Jane")},
            "body.phenopacket.phenotypicFeatures.0.type.id",
            "seizures of Jane",
        ),
        ({"phenopacket": document, "vcf": twice}, "body.vcf", secret_sample),
        ({"phenopacket": document, "vcf": bad_pos}, "body.vcf", "9478x859"),
        ({"phenopacket": "not an object"}, "body.phenopacket", "not an object"),
        ({"phenopacket": document, "cypher": "x"}, "body.cypher", None),
    ]
    for request, field, secret in cases:
        response = api.post(ROUTE, json=request)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field, response.text
        if secret:
            assert secret not in response.text, response.text
    too_many = api.post(ROUTE, params={"k": 501}, json={"phenopacket": document})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "query.k"


def test_the_patient_route_has_its_own_larger_body_limit(graph_uri, served, poor_metaboliser):
    trained, patients = served
    document, vcf = poor_metaboliser
    small = client(
        make_app(
            connector(graph_uri, 5.0), trained.model, patients=patients.patients,
            max_body_bytes=1024, max_patient_body_bytes=64 * 1024,
        )
    )  # fmt: skip
    body = json.dumps({"phenopacket": document, "vcf": vcf})
    assert 1024 < len(body) < 64 * 1024
    assert small.post(ROUTE, content=body, headers={"Content-Type": "application/json"}).status_code == 200
    padded = json.dumps({"phenopacket": document, "vcf": vcf + "##padding=" + "x" * 64 * 1024 + "\n"})
    refused = small.post(ROUTE, content=padded, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413 and "limit of 65536 bytes" in refused.json()["detail"]
    streamed = small.post(ROUTE, content=iter([padded[:40_000].encode(), padded[40_000:].encode()]))
    assert streamed.status_code == 413
    pairs = {"pairs": [{"drug": CLOPIDOGREL, "disease": "DOID:8577"}] * 30}
    assert small.post("/v1/links/score", json=pairs).status_code == 413  # the other routes keep theirs


def test_store_true_without_a_usable_key_file_is_503_and_scoring_still_works(graph_uri, served, poor_metaboliser,
                                                                             tmp_path):
    trained, patients = served
    (tmp_path / "not-a-folder").write_text("")
    keyless = PatientModel(patients.patients.scorer, tmp_path / "not-a-folder" / "patient-key")
    api = client(make_app(connector(graph_uri, 5.0), trained.model, patients=keyless))
    body = {"phenopacket": poor_metaboliser[0]}
    refused = api.post(ROUTE, params={"store": "true"}, json=body)
    assert refused.status_code == 503 and "PMKG_PATIENT_KEY_FILE" in refused.json()["detail"]
    assert api.post(ROUTE, json=body).status_code == 200


def test_without_a_patient_model_the_route_is_503_and_readiness_says_so(graph_uri, served, poor_metaboliser, app):
    trained, patients = served
    bare = client(make_app(connector(graph_uri, 5.0), trained.model))
    response = bare.post(ROUTE, json={"phenopacket": poor_metaboliser[0]})
    assert response.status_code == 503 and "--patient-model" in response.json()["detail"]
    assert "PMKG_PATIENT_MODEL_DIR" in response.json()["detail"]
    assert client(app, key=None).post(ROUTE, json={"phenopacket": poor_metaboliser[0]}).status_code == 401
    ready = bare.get("/readyz").json()
    assert ready["ready"] and ready["patient_model"] == "not configured" and ready["patient_model_version"] is None
    loaded = client(app).get("/readyz").json()
    assert loaded["patient_model"] == "loaded" and loaded["patient_model_version"] == patients.patients.model_version


@pytest.fixture
def driver_logs_as_served():
    driver = logging.getLogger("neo4j")
    level = driver.level
    quiet_driver_logs()  # as `pmkg serve` does, at every --log-level
    yield
    driver.setLevel(level)


def test_logs_carry_the_pseudonym_only(api, store, poor_metaboliser, caplog, driver_logs_as_served):
    document, vcf = poor_metaboliser
    with caplog.at_level(logging.DEBUG):
        api.post(ROUTE, json={"phenopacket": document, "vcf": vcf})
        api.post(ROUTE, json={"phenopacket": {**document, "subject": {"sex": "SECRET"}}, "vcf": vcf})
        stored = api.post(ROUTE, params={"store": "true"}, json={"phenopacket": document, "vcf": vcf}).json()
    patient = stored["stored_patient"]["patient_id"]
    try:
        text = caplog.text
        assert patient in text and "POST /v1/patients/recommendations 200" in text
        private = [document["id"], "SECRET", "Poor Metabolizer", "*2"]
        private += [f["type"]["id"] for f in document.get("phenotypicFeatures", [])]
        private += [d["term"]["id"] for d in document.get("diseases", [])]
        private += [line.split("\t")[1] for line in vcf.splitlines() if not line.startswith("#")]  # positions
        private += [i for line in vcf.splitlines() if not line.startswith("#") for i in line.split("\t")[2].split(";")
                    if i != "."]  # fmt: skip
        leaked = [value for value in private if value in text]
        assert not leaked, leaked
    finally:
        delete_patient(store, patient)


def test_a_restarted_lifespan_still_scores_patients_and_reaches_the_graph(graph_uri, served, poor_metaboliser):
    # Each `with TestClient(app)` runs the app's start-up and shut-down; the worker pools must come back after.
    trained, patients = served
    app = make_app(connector(graph_uri, 5.0), trained.model, patients=patients.patients)
    for _ in range(2):
        with client(app) as api:
            assert api.post(ROUTE, json={"phenopacket": poor_metaboliser[0]}).status_code == 200
            assert api.get("/readyz").json()["graph_reachable"] is True


def test_current_medications_give_interaction_warnings_and_an_unknown_one_is_422(api, served, poor_metaboliser):
    document, _ = poor_metaboliser
    every = len(_scorer(served).loaded.drug_names)
    warfarin = "DRUGBANK:DB00682"
    response = api.post(ROUTE, params={"k": every}, json={"phenopacket": document, "medications": [warfarin]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["interactions_checked"] and body["medications"] == [{"drug_id": warfarin, "name": "warfarin"}]
    warned = [d for d in body["drugs"] if d["interactions"]]
    partners = {i.partner(warfarin) for i in _scorer(served).interactions.by_drug[warfarin]}
    assert warned and {d["drug_id"] for d in warned} <= partners
    first = warned[0]["interactions"][0]
    assert first["medication"] == warfarin and first["text"].endswith("with warfarin (DrugCentral)")
    bad = api.post(ROUTE, json={"phenopacket": document, "medications": [warfarin, "Jane's secret pill"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.medications.1", bad.text
    assert "secret" not in bad.text
    too_many = api.post(ROUTE, json={"phenopacket": document, "medications": [warfarin] * 101})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "body.medications", too_many.text


def test_a_recorded_diagnosis_without_a_known_drug_is_led_by_the_repurposing_models_candidates(
    api, app, served, poor_metaboliser
):
    """The zero-shot bench: for an unseen disease the repurposing model ranks drugs better than the patient model."""
    document, _ = poor_metaboliser
    loaded = _scorer(served).loaded
    treatable = {loaded.node_ids["Disease"][c] for c in loaded.model.hparams["candidates"]}
    serving = app.state.model
    in_both = set(loaded.node_ids["Disease"])
    disease = next(d for d in serving.disease_ids if d not in treatable and d in in_both)
    changed = copy.deepcopy(document)
    changed["diseases"] = [{"term": {"id": disease, "label": "a disease without a known drug"}}]
    changed.pop("interpretations", None)
    response = api.post(ROUTE, params={"k": 10}, json={"phenopacket": changed})
    assert response.status_code == 200, response.text
    body = response.json()
    patient_drugs = set(loaded.node_ids["Drug"])
    expected = [p.drug for p in serving.candidates(disease, 10) if p.drug in patient_drugs]
    lead = [d["drug_id"] for d in body["drugs"] if "repurposing model" in d["sources"]]
    assert lead and lead == expected[: len(lead)]
    assert [d["drug_id"] for d in body["drugs"][: len(lead)]] == lead
    assert body["differential"][0] == {**body["differential"][0], "disease_id": disease, "status": "recorded"}
    assert body["notes"][0].startswith(f"recorded diagnosis {disease} has no known drug indication: the repurposing")
