"""The HTTP service against the real fixture graph and a small model trained on it: auth, validation, endpoints."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from pmkg.kg.explain import explain_drug_disease
from pmkg.service.auth import KeyRing
from pmkg.service.model import top_k
from pmkg.service.schemas import MAX_BATCH_PAIRS
from pmkg.service.settings import ConfigError, ServiceSettings

from tests.service_support import API_KEY, OTHER_KEY, client, connector, make_app, trained_for_service

ALZHEIMERS = "DOID:10652"
DONEPEZIL = "DRUGBANK:DB00843"  # treats Alzheimer's disease in the fixture indications


@pytest.fixture(scope="module")
def trained(store, ingest_outcomes, tmp_path_factory):
    return trained_for_service(store, tmp_path_factory)


@pytest.fixture(scope="module")
def app(graph_uri, trained):
    return make_app(connector(graph_uri, 5.0), trained.model)


@pytest.fixture(scope="module")
def api(app):
    return client(app)


def _tsv(trained, disease):
    return {r["drug_id"]: r for r in trained.tsv_rows if r["disease_id"] == disease}


# --- auth -------------------------------------------------------------------------------------------------


def test_health_needs_no_key_and_readiness_checks_model_and_graph(app):
    anonymous = client(app, key=None)
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    ready = anonymous.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True, "model_loaded": True, "graph_reachable": True, "patient_model": "not configured",
        "patient_model_version": None,
    }  # fmt: skip


def test_every_other_endpoint_answers_401_without_a_valid_key(app, api):
    spec = api.get("/openapi.json").json()
    anonymous, wrong = client(app, key=None), client(app, key=API_KEY[:-1] + "X")
    public = ("/healthz", "/readyz")
    calls = [("get", "/openapi.json")]
    calls += [(method, path) for path, ops in spec["paths"].items() for method in ops if path not in public]
    assert len(calls) >= 8
    for method, path in calls:
        url = path.format(curie="DOID:10652", drug=DONEPEZIL, disease=ALZHEIMERS, name="repurposing_candidates")
        for caller, message in ((anonymous, "missing API key"), (wrong, "wrong API key")):
            response = caller.request(method.upper(), url, json={} if method == "post" else None)
            assert response.status_code == 401, (method, url)
            assert message in response.json()["detail"]
            assert response.headers["WWW-Authenticate"] == "ApiKey"
    assert client(app, key=OTHER_KEY).get("/v1/model").status_code == 200  # any configured key works


def test_key_ring_accepts_only_exact_keys():
    ring = KeyRing([API_KEY, OTHER_KEY])
    assert ring.accepts(API_KEY) and ring.accepts(OTHER_KEY)
    for near_miss in (None, "", API_KEY[:-1], API_KEY + "0", API_KEY.upper(), f" {API_KEY}"):
        assert not ring.accepts(near_miss), near_miss


def test_keys_come_from_the_environment_and_a_keys_file(tmp_path):
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"# service keys\n{OTHER_KEY}  # team B\n\n")
    settings = ServiceSettings.from_env({"PMKG_API_KEYS": f"{API_KEY}, ", "PMKG_API_KEYS_FILE": str(keys_file)})
    assert settings.api_keys == (API_KEY, OTHER_KEY)
    assert API_KEY not in repr(settings)
    keys_file.write_text("short\n")
    with pytest.raises(ConfigError, match=rf"{keys_file}:1: an API key must be at least 16") as error:
        ServiceSettings.from_env({"PMKG_API_KEYS_FILE": str(keys_file)})
    assert "short" not in str(error.value)  # a bad key is located, never printed
    with pytest.raises(ConfigError, match="no API keys: set PMKG_API_KEYS"):
        ServiceSettings.from_env({})
    with pytest.raises(ConfigError, match="PMKG_API_GRAPH_TIMEOUT='soon': expected a number"):
        ServiceSettings.from_env({"PMKG_API_KEYS": API_KEY, "PMKG_API_GRAPH_TIMEOUT": "soon"})


# --- model-backed endpoints ----------------------------------------------------------------------------------


def test_candidates_are_the_models_ranking_of_all_drugs(api, trained):
    body = api.get(f"/v1/diseases/{ALZHEIMERS}/candidates", params={"k": 5}).json()
    assert body["disease_id"] == ALZHEIMERS and body["disease_name"] == "Alzheimer's disease"
    assert body["model_version"] == trained.model.model_version
    assert [c["rank"] for c in body["candidates"]] == [1, 2, 3, 4, 5]
    expected = _tsv(trained, ALZHEIMERS)  # what `pmkg predict repurposing --all` wrote for the same model
    for candidate in body["candidates"]:
        row = expected[candidate["drug_id"]]
        assert candidate["rank"] == int(row["rank"])
        assert candidate["score"] == pytest.approx(float(row["score"]), abs=1e-5)
        assert candidate["probability"] == pytest.approx(float(row["probability"]), rel=1e-4)
        assert candidate["known"] == (row["known"] == "1")
    top5 = sorted(expected.values(), key=lambda r: int(r["rank"]))[:5]
    assert [c["drug_id"] for c in body["candidates"]] == [r["drug_id"] for r in top5]


def test_novel_candidates_skip_known_indications_but_keep_their_overall_rank(api, trained):
    everything = api.get(f"/v1/diseases/{ALZHEIMERS}/candidates", params={"k": 1000}).json()["candidates"]
    novel = api.get(f"/v1/diseases/{ALZHEIMERS}/candidates", params={"k": 1000, "include_known": "false"}).json()
    known = {c["drug_id"] for c in everything if c["known"]}
    assert DONEPEZIL in known
    assert novel["candidates"] == [c for c in everything if not c["known"]]
    assert len(everything) == len(trained.model.drug_ids)


def test_diseases_for_a_drug_are_ordered_by_score_with_the_drugs_rank_in_each(api, trained):
    body = api.get(f"/v1/drugs/{DONEPEZIL}/diseases", params={"k": 20}).json()
    diseases = body["diseases"]
    assert body["drug_name"] == "Donepezil" and len(diseases) == 20
    assert [d["score"] for d in diseases] == sorted((d["score"] for d in diseases), reverse=True)
    for entry in diseases:
        row = _tsv(trained, entry["disease_id"])[DONEPEZIL]
        assert entry["rank"] == int(row["rank"]) and entry["known"] == (row["known"] == "1")


def test_diseases_for_a_drug_by_rank_put_its_best_standings_first(api, trained):
    body = api.get(f"/v1/drugs/{DONEPEZIL}/diseases", params={"k": 5, "order": "rank"}).json()
    ranks = [d["rank"] for d in body["diseases"]]
    best = min(int(r["rank"]) for r in trained.tsv_rows if r["drug_id"] == DONEPEZIL)
    assert ranks == sorted(ranks) and ranks[0] == best


def test_candidate_ranks_agree_with_pair_scoring_for_every_disease(trained):
    model = trained.model
    for disease in model.disease_ids:
        ranked = model.candidates(disease, len(model.drug_ids))
        scored = model.score_pairs([(p.drug, disease) for p in ranked])
        assert [p.rank for p in ranked] == [s.rank for s in scored] == list(range(1, len(ranked) + 1))


def test_top_k_orders_exactly_like_a_stable_sort_with_ties():
    rng = np.random.default_rng(0)
    for trial in range(500):
        values = rng.integers(0, 4, size=int(rng.integers(1, 40))).astype(np.float32)  # many ties
        k = int(rng.integers(1, values.size + 2))
        eligible = rng.random(values.size) < 0.7 if trial % 2 else None
        index = np.arange(values.size) if eligible is None else np.flatnonzero(eligible)
        expected = index[np.argsort(-values[index], kind="stable")][:k]
        assert np.array_equal(top_k(values, k, eligible), expected)


def test_batch_scoring_matches_single_lookups_and_flags_unknown_ids(api, trained):
    pairs = [
        {"drug": DONEPEZIL, "disease": ALZHEIMERS},
        {"drug": "DRUGBANK:DB99999", "disease": ALZHEIMERS},
        {"drug": DONEPEZIL, "disease": "DOID:1612"},
    ]
    body = api.post("/v1/links/score", json={"pairs": pairs}).json()
    first, unknown, third = body["results"]
    row = _tsv(trained, ALZHEIMERS)[DONEPEZIL]
    assert first["found"] and first["known"] and first["rank"] == int(row["rank"])
    assert first["score"] == pytest.approx(float(row["score"]), abs=1e-5)
    assert not unknown["found"] and unknown["score"] is None
    assert "DRUGBANK:DB99999 is not in the graph" in unknown["detail"]
    assert third["found"] and third["disease_id"] == "DOID:1612"


def test_validation_errors_name_the_bad_field(api):
    too_many = {"pairs": [{"drug": DONEPEZIL, "disease": ALZHEIMERS}] * (MAX_BATCH_PAIRS + 1)}
    cases = [
        (api.post("/v1/links/score", json=too_many), "body.pairs", "at most 1000"),
        (
            api.post(
                "/v1/links/score",
                json={"pairs": [{"drug": DONEPEZIL, "disease": ALZHEIMERS}, {"drug": "CHEBI:15365", "disease": "x"}]},
            ),
            "body.pairs.1.drug",
            "unknown Drug CURIE prefix 'CHEBI'; use one of DRUGBANK",
        ),
        (api.post("/v1/links/score", json={"pairs": [{"drug": DONEPEZIL}]}), "body.pairs.0.disease", "Field required"),
        (api.get(f"/v1/diseases/{ALZHEIMERS}/candidates", params={"k": 0}), "query.k", "greater than or equal to 1"),
        (api.get("/v1/diseases/doid:10652/candidates"), "path.curie", "did you mean DOID:10652?"),
        (api.get("/v1/drugs/aspirin/diseases"), "path.curie", "not a CURIE; expected PREFIX:ID"),
        (api.get(f"/v1/drugs/{DONEPEZIL}/diseases", params={"order": "name"}), "query.order", "'score' or 'rank'"),
        (api.get(f"/v1/diseases/{ALZHEIMERS}/candidates", params={"kk": 5}), "query.kk", "unknown query parameter"),
        (
            api.post("/v1/links/score", content=b'{"pairs": [', headers={"Content-Type": "application/json"}),
            "body",
            "not valid JSON",
        ),
        (api.post("/v1/links/score", content=b'{"pairs": []}'), "body", "Content-Type: application/json"),
    ]
    for response, field, message in cases:
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["errors"][0]["field"] == field
        assert message in body["errors"][0]["message"] and message in body["detail"]


def test_unknown_disease_is_404_with_the_id(api):
    response = api.get("/v1/diseases/DOID:0000000/candidates")
    assert response.status_code == 404
    assert "disease DOID:0000000 is not in the graph" in response.json()["detail"]


def test_request_bodies_over_the_limit_are_refused_before_parsing(graph_uri, trained):
    small = client(make_app(connector(graph_uri, 5.0), trained.model, max_body_bytes=2048))
    pairs = json.dumps({"pairs": [{"drug": DONEPEZIL, "disease": ALZHEIMERS}] * 60}).encode()
    declared = small.post("/v1/links/score", content=pairs, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and "exceeds this endpoint's limit of 2048 bytes" in declared.json()["detail"]
    streamed = small.post(
        "/v1/links/score", content=iter([pairs[:1000], pairs[1000:]]), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_an_internal_error_leaves_no_trace_or_input_in_response_or_log(graph_uri, trained, caplog):
    app = make_app(connector(graph_uri, 5.0), trained.model)

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("patient P-42 has HP:0001250")

    with caplog.at_level(logging.INFO, logger="pmkg.service"):
        response = client(app).get("/v1/boom")
    assert response.status_code == 500
    assert response.json()["detail"].startswith("internal error; quote request id")
    assert response.headers["X-Request-ID"] in response.json()["detail"]
    assert "P-42" not in response.text and "Traceback" not in response.text
    assert "RuntimeError at test_service_api.py" in caplog.text
    assert "P-42" not in caplog.text and "HP:0001250" not in caplog.text and "Traceback" not in caplog.text


# --- graph-backed endpoints ----------------------------------------------------------------------------------


def test_explanation_gives_the_models_numbers_and_the_metapath_evidence(api, store):
    # Fixture rows: Compound::DB00773 CbG Gene::5243 and Disease::DOID:8577 DaG Gene::5243.
    drug, disease = "DRUGBANK:DB00773", "DOID:8577"
    body = api.get(f"/v1/pairs/{drug}/{disease}/explanation", params={"n": 50}).json()
    scored = api.post("/v1/links/score", json={"pairs": [{"drug": drug, "disease": disease}]}).json()["results"][0]
    assert (body["score"], body["rank"], body["known"]) == (scored["score"], scored["rank"], scored["known"])
    assert "metapath" in body["method"] and body["damping"] == pytest.approx(0.4)
    via_gene = next(p for p in body["paths"] if p["node_ids"] == [drug, "NCBIGene:5243", disease])
    assert via_gene["metapath"] == "CbGaD" and via_gene["relationships"] == ["TARGETS", "ASSOCIATED_WITH"]
    assert via_gene["hops"] == 2 and via_gene["cypher"].startswith("MATCH p = ")
    assert api.get(f"/v1/pairs/{drug}/DOID:0000000/explanation").status_code == 404


def test_explanation_paths_are_ranked_by_contribution_as_pmkg_explain_ranks_them(api, store):
    drug, disease = "DRUGBANK:DB00563", "DOID:1324"  # methotrexate, lung cancer: 4 paths over 3 metapaths
    body = api.get(f"/v1/pairs/{drug}/{disease}/explanation", params={"n": 50}).json()
    direct = explain_drug_disease(store, drug, disease, n=50)  # what `pmkg explain` and Neo4j Browser give
    assert len(body["paths"]) == len(direct.paths) >= 3 and len(body["metapaths"]) >= 2
    assert [p["node_ids"] for p in body["paths"]] == [p.node_ids for p in direct.paths]
    assert [p["rank"] for p in body["paths"]] == list(range(1, len(direct.paths) + 1))
    contributions = [p["contribution"] for p in body["paths"]]
    assert contributions == sorted(contributions, reverse=True) and sum(contributions) == pytest.approx(1.0)
    assert sum(m["share"] for m in body["metapaths"]) == pytest.approx(1.0)
    assert body["total_dwpc"] == pytest.approx(direct.total_dwpc)
    assert body["drug_name"] == direct.source_name and body["indication"] == direct.known == "treats"
    fewer = api.get(f"/v1/pairs/{drug}/{disease}/explanation", params={"n": 2, "damping": 0}).json()
    assert len(fewer["paths"]) == 2 and all(p["pdp"] == pytest.approx(1.0) for p in fewer["paths"])
    unexplained = api.get(f"/v1/pairs/DRUGBANK:DB00515/{disease}/explanation").json()
    assert unexplained["paths"] == [] and "no path" in unexplained["notes"][0]


def test_the_named_query_library_is_listed_and_runs_with_typed_parameters(api, trained):
    listed = {q["name"]: q for q in api.get("/v1/queries").json()["queries"]}
    assert {"repurposing_candidates", "drug_disease_evidence"} <= set(listed)
    assert [p["name"] for p in listed["repurposing_candidates"]["parameters"]] == ["disease", "k"]
    body = api.post("/v1/queries/repurposing_candidates", json={"params": {"disease": ALZHEIMERS, "k": 3}}).json()
    assert body["columns"][:2] == ["rank", "drug_id"] and not body["truncated"]
    assert [r["rank"] for r in body["rows"]] == [1, 2, 3]
    assert {r["model_version"] for r in body["rows"]} == {trained.model.model_version}


def test_named_query_calls_are_checked_before_they_reach_the_graph(api):
    def run(name, params):
        return api.post(f"/v1/queries/{name}", json={"params": params})

    missing = run("no_such_query", {})
    assert missing.status_code == 404 and "available: " in missing.json()["detail"]
    assert "drug_disease_evidence" in missing.json()["detail"].partition("available: ")[2]
    top = "repurposing_candidates"
    cases = [
        (run(top, {"disease": ALZHEIMERS, "disese": "x"}), "body.params.disese", "no such parameter"),
        (run(top, {"k": 3}), "body.params.disease", "required"),
        (run(top, {"disease": ALZHEIMERS, "k": "ten"}), "body.params.k", "expects integer[1..1000], got 'ten'"),
        (run(top, {"disease": ALZHEIMERS, "k": 2.5}), "body.params.k", "expects integer"),
        (run(top, {"disease": "MONDO_0004975"}), "body.params.disease", "not a CURIE"),
        (run("drug_disease_evidence", {"drug": "DOID:1", "disease": ALZHEIMERS}), "body.params.drug", "Drug CURIE"),
        (api.post("/v1/queries/repurposing_candidates", json={"cypher": "MATCH (n) DETACH DELETE n"}), "body.cypher",
         "Extra inputs are not permitted"),
    ]
    for response, field, message in cases:
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
        assert message in response.json()["errors"][0]["message"]


def test_a_query_file_with_a_write_clause_is_never_offered_or_run(graph_uri, trained, store, tmp_path):
    count, wipe = "MATCH (d:Drug) RETURN count(d) AS n", "MATCH (d:Drug) DETACH DELETE d RETURN 1 AS n"
    (tmp_path / "count_drugs.cypher").write_text(f"// How many drugs.\n// @columns n\n{count}\n")
    (tmp_path / "wipe.cypher").write_text(f"// Deletes every drug.\n// @columns n\n{wipe}\n")
    api = client(make_app(connector(graph_uri, 5.0), trained.model, query_dir=tmp_path))
    before = store.run(count)[0]["n"]
    assert [q["name"] for q in api.get("/v1/queries").json()["queries"]] == ["count_drugs"]
    assert api.post("/v1/queries/wipe", json={"params": {}}).status_code == 404
    assert api.post("/v1/queries/count_drugs", json={}).json()["rows"] == [{"n": before}]
    assert store.run(count)[0]["n"] == before > 0
