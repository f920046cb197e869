"""The triage page's server side without a browser: its static files and its /v1/ui JSON endpoints.

Against the real fixture graph and the small service model (tests/service_support.py).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import pytest

from tests.service_support import API_KEY, client, connector, make_app, trained_for_service

REPO = Path(__file__).resolve().parent.parent
UI = REPO / "service" / "ui"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core"
BREAST_CANCER = "DOID:1612"
TAMOXIFEN = "DRUGBANK:DB00675"


@pytest.fixture(scope="module")
def trained(store, ingest_outcomes, tmp_path_factory):
    return trained_for_service(store, tmp_path_factory)


@pytest.fixture(scope="module")
def app(graph_uri, trained):
    app = make_app(connector(graph_uri, 10.0), trained.model, timeout_s=10.0)
    yield app
    app.state.graph.close()


@pytest.fixture(scope="module")
def api(app):
    return client(app)


# --- static files --------------------------------------------------------------------------------------------------


def test_the_page_loads_without_a_key_under_a_self_only_content_security_policy(app):
    anonymous = client(app, key=None)
    assert anonymous.get("/ui", follow_redirects=False).headers["location"] == "/ui/"
    page = anonymous.get("/ui/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Research software, not clinical decision support" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["referrer-policy"] == "no-referrer"
    for name, media in (("app.js", "text/javascript"), ("app.css", "text/css")):
        response = anonymous.get(f"/ui/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
        assert response.content == (UI / name).read_bytes()


def test_only_the_pages_own_files_are_served(app):
    anonymous = client(app, key=None)
    for path in ("/ui/missing.js", "/ui/..%2Fapp.py", "/ui/%2e%2e/routes/ui.py", "/ui/__init__.py"):
        response = anonymous.get(path)
        assert response.status_code == 404, path
        assert "open /ui/" in response.json()["detail"] or response.json()["detail"] == "Not Found"


def test_the_page_fetches_nothing_from_another_origin_and_holds_no_key_in_a_url():
    html, js, css = ((UI / name).read_text() for name in ("index.html", "app.js", "app.css"))
    # Every src/href in the page is relative; the script and stylesheet are the package's own files.
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == ["app.css", "app.js", "#main"]
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert not re.findall(r"https?://(?!www\.w3\.org/2000/svg)", js + html + css)
    # The key travels in a header only: no query parameter or path ever carries it.
    assert "'X-API-Key': state.key" in js
    assert not re.search(r"(api_key|apikey|key)=", js, re.IGNORECASE)
    assert "localStorage" not in js  # the key lives in sessionStorage, gone with the tab


def test_the_pages_files_ship_as_package_data():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["pmkg.service"]
    shipped = {p.name for pattern in patterns for p in (REPO / "service").glob(pattern)}
    assert shipped == {p.name for p in UI.iterdir() if p.is_file()} >= {"index.html", "app.js", "app.css"}


def test_the_vendored_axe_core_is_the_pinned_release_with_its_licence():
    digest = hashlib.sha256((AXE / "axe.min.js").read_bytes()).hexdigest()
    assert digest == "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
    assert (AXE / "axe.min.js").read_text()[:40].startswith("/*! axe v4.14.1")
    assert "Mozilla Public License" in (AXE / "LICENSE").read_text()


# --- /v1/ui endpoints ---------------------------------------------------------------------------------------------


def test_disease_search_matches_names_ids_cross_references_and_synonyms(api, store):
    by_name = api.get("/v1/ui/diseases", params={"q": "Breast Cancer"}).json()
    assert by_name["hits"][0]["id"] == BREAST_CANCER and by_name["hits"][0]["matched_by"] == "name"
    treats = store.run("MATCH (:Drug)-[:TREATS]->(d:Disease {id: $id}) RETURN count(*) AS n", {"id": BREAST_CANCER})
    assert by_name["hits"][0]["treats"] == treats[0]["n"] > 0 and by_name["hits"][0]["zero_shot"] is False
    assert by_name["hits"][0]["scored"] is True
    by_id = api.get("/v1/ui/diseases", params={"q": "doid:1612"}).json()["hits"]
    assert [h["id"] for h in by_id] == [BREAST_CANCER] and by_id[0]["matched_by"] == "id"
    by_xref = api.get("/v1/ui/diseases", params={"q": "ICD10CM:C50"}).json()["hits"]
    assert by_xref[0]["id"] == BREAST_CANCER and by_xref[0]["matched_by"] == "xref"
    # The fixture's diseases carry no synonym beyond their names; its drugs do, and both labels share one query.
    synonym = store.run(
        "MATCH (c:Drug) UNWIND c.synonyms AS s WITH c, s WHERE NOT toLower(c.name) CONTAINS toLower(s) "
        "RETURN c.id AS id, s ORDER BY c.id, s LIMIT 1"
    )[0]
    hits = api.get("/v1/ui/drugs", params={"q": synonym["s"].upper(), "k": 100}).json()["hits"]
    hit = next(h for h in hits if h["id"] == synonym["id"])
    assert hit["matched_by"] == "synonym" and hit["matched"].lower() == synonym["s"].lower()
    assert api.get("/v1/ui/diseases", params={"q": "no such disease anywhere"}).json()["hits"] == []


def test_a_disease_without_a_known_drug_is_flagged_zero_shot(api, store):
    curie = store.run(
        "MATCH (d:Disease) WHERE NOT (d)<-[:TREATS]-(:Drug) RETURN d.id AS id, d.name AS name ORDER BY d.id LIMIT 1"
    )[0]
    hits = api.get("/v1/ui/diseases", params={"q": curie["id"]}).json()["hits"]
    assert hits[0]["zero_shot"] is True and hits[0]["treats"] == 0
    card = api.get(f"/v1/ui/diseases/{curie['id']}").json()
    assert card["zero_shot"] is True and all(i["kind"] == "palliates" for i in card["indications"])


def test_a_disease_card_lists_treats_then_palliates_with_the_models_rank(api, store, trained):
    card = api.get(f"/v1/ui/diseases/{BREAST_CANCER}").json()
    expected = store.run(
        "MATCH (c:Drug)-[r:TREATS|PALLIATES]->(:Disease {id: $id}) RETURN c.id AS id, type(r) AS kind",
        {"id": BREAST_CANCER},
    )
    assert {(i["id"], i["kind"].upper()) for i in card["indications"]} == {(r["id"], r["kind"]) for r in expected}
    kinds = [i["kind"] for i in card["indications"]]
    assert kinds == sorted(kinds, key=lambda k: k != "treats") and "palliates" in kinds
    assert card["model_version"] == trained.model.model_version and card["zero_shot"] is False
    scored = [i for i in card["indications"] if i["rank"] is not None]
    assert scored and all(i["sources"] == ["pharmacotherapydb"] for i in card["indications"])
    pairs = [{"drug": i["id"], "disease": BREAST_CANCER} for i in scored]
    results = api.post("/v1/links/score", json={"pairs": pairs}).json()["results"]
    assert [i["rank"] for i in scored] == [r["rank"] for r in results]


def test_a_drug_card_and_drug_search(api):
    card = api.get(f"/v1/ui/drugs/{TAMOXIFEN}").json()
    assert card["name"] == "Tamoxifen" and card["label"] == "Drug"
    assert [(i["id"], i["kind"]) for i in card["indications"]] == [(BREAST_CANCER, "treats")]
    hits = api.get("/v1/ui/drugs", params={"q": "tamox"}).json()["hits"]
    assert hits[0]["id"] == TAMOXIFEN and hits[0]["treats"] == 1
    assert api.get("/v1/ui/drugs", params={"q": "mesh:d013629"}).json()["hits"][0]["matched_by"] == "xref"


def test_unknown_nodes_and_bad_parameters_are_clear_errors(api):
    missing = api.get("/v1/ui/diseases/DOID:99999999")
    assert missing.status_code == 404 and "not in the graph" in missing.json()["detail"]
    assert api.get("/v1/ui/drugs/DRUGBANK:DB99999").status_code == 404
    assert api.get("/v1/ui/diseases/HP:0001250").status_code == 422  # not a disease prefix
    assert api.get("/v1/ui/diseases", params={"q": ""}).status_code == 422
    assert api.get("/v1/ui/diseases", params={"q": "x" * 201}).status_code == 422
    assert api.get("/v1/ui/diseases", params={"q": "cancer", "kk": 3}).status_code == 422
    injected = api.get("/v1/ui/diseases", params={"q": "') MATCH (n) DETACH DELETE n //"})
    assert injected.status_code == 200 and injected.json()["hits"] == []


def test_the_model_card_reports_the_served_model_and_what_its_directory_holds(app, api, trained):
    card = api.get("/v1/ui/model-card").json()
    assert card["model_version"] == trained.model.model_version
    assert card["drugs"] == len(trained.model.drug_ids) and card["diseases"] == len(trained.model.disease_ids)
    assert card["patient_model"] is None and "not clinical decision support" in card["notice"]
    # The service model was trained with a test split: its test metrics are there, no external report yet.
    assert card["external"] is None and card["test"] and 0.0 <= card["test"]["auroc"] <= 1.0
    assert client(app, key=None).get("/v1/ui/model-card").status_code == 401
    assert client(app, key=API_KEY[:-1] + "X").get("/v1/ui/diseases", params={"q": "x"}).status_code == 401
