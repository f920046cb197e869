"""The triage page at /ui/ in a real headless Chromium, against a live service on the fixture graph.

One service (real HTTP on loopback, pmkg's own server settings, the small model trained on the fixture graph, a
drug-patient model, an external-validation report from the fixture SIDER list) and one browser for the module.
The tests walk a user's path: the key, a disease search, ranked rows, the evidence of the top drug, a comparison,
the CSV export read back, the drug view, a patient with a CYP2C19 *2/*2 VCF, and axe-core on every view.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.browser_support import chromium, describe, run_axe, wait_for
from tests.live_service import serving
from tests.service_support import API_KEY, client
from tests.ui_world import cyp2c19_star2_star2_patient, ui_world

BREAST_CANCER = "DOID:1612"
CLOPIDOGREL = "DRUGBANK:DB00758"
GRAPH_SIZE = "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS nodes, count(r) AS edges"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def log_lines():
    handler = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="module")
def service(store, ingest_outcomes, graph_uri, tmp_path_factory, log_lines):
    world = ui_world(store, graph_uri, tmp_path_factory)
    with serving(world.app, world.app.state.settings) as (base_url, _):
        yield base_url, world.app, world.patients
    world.app.state.graph.close()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ui-downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    driver = chromium(downloads)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def api(service):
    return client(service[1])


def _open(browser, base_url: str) -> None:
    browser.get(f"{base_url}/ui/")
    wait_for(browser, lambda d: d.find_element(By.ID, "key-input").is_displayed() or
             d.find_element(By.ID, "app").is_displayed(), message="the page did not load")  # fmt: skip


def _unlock(browser, base_url: str) -> None:
    _open(browser, base_url)
    if browser.find_element(By.ID, "app").is_displayed():
        return
    browser.find_element(By.ID, "key-input").send_keys(API_KEY, Keys.ENTER)
    wait_for(browser, lambda d: d.find_element(By.ID, "app").is_displayed(), message="the key was not accepted")


def _tab(browser, name: str) -> None:
    browser.find_element(By.ID, f"tab-{name}").click()
    wait_for(browser, lambda d: d.find_element(By.ID, f"view-{name}").is_displayed())


def _open_disease(browser, text: str, curie: str) -> None:
    _tab(browser, "disease")
    box = browser.find_element(By.ID, "disease-q")
    box.clear()
    box.send_keys(text, Keys.ENTER)
    button = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, f'#disease-hits button[data-id="{curie}"]'))
    button.click()
    wait_for(
        browser,
        lambda d: d.execute_script(
            "const t = document.getElementById('candidates');"
            "return t.dataset.ready === 'true' && t.dataset.disease === arguments[0] && t.tBodies[0].rows.length > 0",
            curie,
        ),
        message=f"no ranked rows for {curie}",
    )


def _rows(browser) -> list[dict[str, str]]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#candidates tbody tr')).map(tr => ({drug: tr.dataset.drug,"
        " rank: tr.cells[1].textContent, probability: tr.cells[3].textContent, status: tr.cells[5].textContent}))"
    )


def test_a_wrong_key_gets_a_clear_message_not_a_blank_page(browser, service):
    base_url = service[0]
    _open(browser, base_url)
    browser.execute_script("sessionStorage.clear()")
    _open(browser, base_url)
    browser.find_element(By.ID, "key-input").send_keys("not-the-key-0123456789", Keys.ENTER)
    error = wait_for(browser, lambda d: d.find_element(By.ID, "key-error").text or None, message="no message")
    assert "refused this key" in error and "PMKG_API_KEYS" in error
    assert not browser.find_element(By.ID, "app").is_displayed()
    assert browser.find_element(By.ID, "key-input").is_displayed()
    assert browser.execute_script("return sessionStorage.length") == 0


def test_search_breast_cancer_shows_ranked_rows_with_the_apis_probabilities(browser, service, api):
    _unlock(browser, service[0])
    _open_disease(browser, "breast cancer", BREAST_CANCER)
    expected = api.get(f"/v1/diseases/{BREAST_CANCER}/candidates", params={"k": 100}).json()
    rows = _rows(browser)
    assert [r["drug"] for r in rows] == [c["drug_id"] for c in expected["candidates"]]
    assert [int(r["rank"]) for r in rows] == list(range(1, 101))
    first = expected["candidates"][0]["probability"]
    assert rows[0]["probability"] == (f"{first:.2e}" if first < 0.001 else f"{first:.3f}")
    statuses = {r["status"] for r in rows}
    assert "treats" in statuses and statuses <= {"treats", "palliates", "novel"}
    known = {c["drug_id"] for c in expected["candidates"] if c["known"]}
    assert {r["drug"] for r in rows if r["status"] == "treats"} == known
    # The model version and the external-validation figure from the model card stand above the list.
    line = browser.find_element(By.ID, "candidates-model").text
    assert expected["model_version"] in line and "external AUROC" in line
    facts = browser.find_element(By.ID, "disease-facts").text
    assert "known disease-modifying drug" in facts and "zero-shot" not in facts


def test_filters_and_sorting_change_the_rows(browser, service):
    _unlock(browser, service[0])
    _open_disease(browser, "breast cancer", BREAST_CANCER)
    browser.find_element(By.ID, "cand-hide-known").click()
    wait_for(browser, lambda d: {r["status"] for r in _rows(d)} == {"novel"})
    ranks = [int(r["rank"]) for r in _rows(browser)]
    assert ranks == sorted(ranks) and ranks[-1] > 100  # ranks stay ranks among all drugs
    probabilities = sorted(float(r["probability"]) for r in _rows(browser))
    threshold = probabilities[len(probabilities) // 2]
    box = browser.find_element(By.ID, "cand-min-p")
    box.clear()
    box.send_keys(repr(threshold))
    wait_for(browser, lambda d: len(_rows(d)) < 100)
    assert all(float(r["probability"]) >= threshold for r in _rows(browser))
    box.clear()
    box.send_keys("0")
    browser.find_element(By.CSS_SELECTOR, 'button[data-sort="rank"]').click()  # ascending -> descending
    wait_for(browser, lambda d: int(_rows(d)[0]["rank"]) > int(_rows(d)[-1]["rank"]))
    header = browser.find_element(By.CSS_SELECTOR, 'button[data-sort="rank"]').find_element(By.XPATH, "..")
    assert header.get_attribute("aria-sort") == "descending"
    browser.find_element(By.ID, "cand-hide-known").click()
    wait_for(browser, lambda d: any(r["status"] == "treats" for r in _rows(d)))


def test_export_csv_reads_back_as_the_rows_shown(browser, service, api, downloads):
    _unlock(browser, service[0])
    _open_disease(browser, "breast cancer", BREAST_CANCER)
    for old in downloads.glob("*.csv"):
        old.unlink()
    browser.find_element(By.ID, "export-csv").click()
    target = downloads / "pmkg-candidates-DOID_1612.csv"
    deadline = time.monotonic() + 20
    while not target.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert target.is_file(), f"no CSV downloaded into {downloads}: {list(downloads.iterdir())}"
    with open(target, newline="") as fh:
        table = list(csv.DictReader(fh))
    expected = api.get(f"/v1/diseases/{BREAST_CANCER}/candidates", params={"k": 100}).json()
    assert len(table) == 100
    for row, want in zip(table, expected["candidates"], strict=True):
        assert row["drug_id"] == want["drug_id"] and int(row["rank"]) == want["rank"]
        assert float(row["probability"]) == pytest.approx(want["probability"], rel=1e-6)
        assert float(row["score"]) == pytest.approx(want["score"], rel=1e-6)
        assert row["status"] == ("treats" if want["known"] else row["status"])
        assert row["model_version"] == expected["model_version"] and row["disease_id"] == BREAST_CANCER


def test_the_top_drugs_evidence_is_drawn_with_sources_and_cypher(browser, service, api):
    _unlock(browser, service[0])
    _open_disease(browser, "breast cancer", BREAST_CANCER)
    top = _rows(browser)[0]["drug"]
    browser.find_element(By.CSS_SELECTOR, f'#candidates tr[data-drug="{top}"] button.why').click()
    wait_for(browser, lambda d: d.find_element(By.ID, "why-graph").get_attribute("data-ready") == "true")
    explanation = api.get(f"/v1/pairs/{top}/{BREAST_CANCER}/explanation", params={"n": 25}).json()
    assert explanation["paths"], "the fixture's top drug for breast cancer should have evidence paths"
    graph = browser.find_element(By.CSS_SELECTOR, "#why-graph svg")
    circles = graph.find_elements(By.CSS_SELECTOR, "circle")
    lines = graph.find_elements(By.CSS_SELECTOR, "line")
    nodes = {n for p in explanation["paths"] for n in p["node_ids"]}
    assert len(circles) == len(nodes) and lines
    widths = {float(line.get_attribute("stroke-width")) for line in lines}
    assert max(widths) <= 10.0 and (len(widths) > 1 or len(explanation["paths"]) == 1)
    items = browser.find_elements(By.CSS_SELECTOR, "#why-paths > li")
    assert len(items) == len(explanation["paths"])
    assert "source:" in items[0].text
    cypher = browser.execute_script("return document.querySelector('#why-paths pre code').textContent")
    assert cypher == explanation["paths"][0]["cypher"]
    metapaths = browser.find_elements(By.CSS_SELECTOR, "#metapaths tbody tr")
    assert len(metapaths) == len(explanation["metapaths"])
    # The contribution threshold prunes paths below it from the picture and the list.
    contributions = sorted(p["contribution"] for p in explanation["paths"])
    slider = browser.find_element(By.ID, "why-threshold")
    browser.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", slider, "20"
    )
    kept = sum(c >= 0.2 for c in contributions)
    wait_for(browser, lambda d: d.find_element(By.ID, "why-graph").get_attribute("data-paths") == str(kept))
    browser.execute_script("arguments[0].value = '0'; arguments[0].dispatchEvent(new Event('input'))", slider)


def test_compare_two_drugs_side_by_side(browser, service, api):
    _unlock(browser, service[0])
    _open_disease(browser, "breast cancer", BREAST_CANCER)
    picks = [r["drug"] for r in _rows(browser)[:2]]
    for drug in picks:
        browser.find_element(By.CSS_SELECTOR, f'#candidates tr[data-drug="{drug}"] input.pick').click()
    button = browser.find_element(By.ID, "compare-open")
    assert button.is_enabled() and button.text == "Compare selected (2)"
    button.click()
    wait_for(browser, lambda d: d.find_element(By.ID, "compare").get_attribute("data-ready") == "true")
    scored = api.post("/v1/links/score", json={"pairs": [{"drug": d, "disease": BREAST_CANCER} for d in picks]}).json()
    table = browser.find_element(By.ID, "compare-table")
    rows = {r.find_element(By.TAG_NAME, "th").text: [c.text for c in r.find_elements(By.TAG_NAME, "td")]
            for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")}  # fmt: skip
    assert rows["Rank"] == [str(r["rank"]) for r in scored["results"]]
    assert len(rows["Probability"]) == 2
    assert (
        browser.find_element(By.ID, "compare-shared")
        .find_element(By.TAG_NAME, "caption")
        .text.startswith("Shared evidence")
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "#compare-distinct li")) == 2


def test_drug_view_lists_known_and_predicted_diseases(browser, service, api):
    _unlock(browser, service[0])
    _tab(browser, "drug")
    box = browser.find_element(By.ID, "drug-q")
    box.clear()
    box.send_keys("tamoxifen", Keys.ENTER)
    wait_for(browser, lambda d: d.find_element(By.ID, "drug-detail").is_displayed()
             and d.find_elements(By.CSS_SELECTOR, "#drug-diseases tbody tr"))  # fmt: skip
    assert "breast cancer" in browser.find_element(By.ID, "drug-indications").text
    predicted = api.get("/v1/drugs/DRUGBANK:DB00675/diseases", params={"k": 50, "include_known": "false"}).json()
    shown = browser.find_elements(By.CSS_SELECTOR, "#drug-diseases tbody tr")
    assert len(shown) == len(predicted["diseases"])
    assert predicted["diseases"][0]["disease_id"] in shown[0].text
    # Opening a predicted disease goes to the disease view with the pair's evidence.
    shown[0].find_element(By.TAG_NAME, "button").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "why-graph").get_attribute("data-ready") == "true")
    assert browser.find_element(By.ID, "tab-disease").get_attribute("aria-selected") == "true"
    assert "Tamoxifen" in browser.find_element(By.ID, "why-title").text


def test_a_phenopacket_with_a_cyp2c19_star2_star2_vcf_shows_the_pgx_flag(browser, service, store, tmp_path):
    _, _, patients = service
    document, vcf = cyp2c19_star2_star2_patient(patients)
    packet_file, vcf_file = tmp_path / "patient.json", tmp_path / "patient.vcf.gz"
    packet_file.write_text(json.dumps(document))
    vcf_file.write_bytes(gzip.compress(vcf.encode()))  # gzipped, as VCFs travel; the page decompresses it
    before = store.run(GRAPH_SIZE)[0]
    _unlock(browser, service[0])
    _tab(browser, "patient")
    browser.find_element(By.ID, "patient-phenopacket").send_keys(str(packet_file))
    browser.find_element(By.ID, "patient-vcf").send_keys(str(vcf_file))
    k = browser.find_element(By.ID, "patient-k")
    k.clear()
    k.send_keys("500")
    assert not browser.find_element(By.ID, "patient-store").is_selected()
    browser.find_element(By.CSS_SELECTOR, "#patient-form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "patient-result").is_displayed()
             or d.find_element(By.ID, "patient-error").text, timeout=60)  # fmt: skip
    assert browser.find_element(By.ID, "patient-error").text == ""
    pgx = browser.find_element(By.ID, "patient-pgx-table").text
    assert "CYP2C19" in pgx and "*2/*2" in pgx and "Poor Metabolizer" in pgx
    row = browser.find_element(By.CSS_SELECTOR, f'#patient-drugs tr[data-drug="{CLOPIDOGREL}"]')
    flags = [f.text for f in row.find_elements(By.CSS_SELECTOR, ".pgx-flag")]
    assert any(f.startswith("CPIC: avoid") for f in flags), flags
    assert "not clinical decision support" in browser.find_element(By.ID, "patient-notice").text
    assert "Not stored." in browser.find_element(By.ID, "patient-meta").text
    first = browser.find_element(By.CSS_SELECTOR, "#patient-differential-table tbody tr")
    assert "recorded" in first.text  # the phenopacket's diagnosis leads, whatever the model thinks
    browser.find_element(By.ID, "patient-flagged-only").click()
    flagged = browser.find_elements(By.CSS_SELECTOR, "#patient-drugs tbody tr[data-drug]")
    assert flagged and all(r.find_elements(By.CSS_SELECTOR, ".badge.flag") for r in flagged)
    assert store.run(GRAPH_SIZE)[0] == before  # nothing stored without the box ticked


def test_the_key_is_asked_once_per_session_and_never_in_the_url_or_the_logs(browser, service, log_lines):
    base_url = service[0]
    _unlock(browser, base_url)
    browser.refresh()
    wait_for(browser, lambda d: d.find_element(By.ID, "app").is_displayed(), message="asked for the key again")
    assert browser.execute_script("return sessionStorage.getItem('pmkg.apiKey')") == API_KEY
    assert browser.execute_script("return localStorage.length") == 0
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(API_KEY not in u for u in urls + [browser.current_url])
    assert all(u.startswith(base_url) for u in urls), "the page fetched something from another origin"
    assert log_lines and not [line for line in log_lines if API_KEY in line]
    browser.find_element(By.ID, "forget-key").click()
    assert browser.find_element(By.ID, "key-input").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('pmkg.apiKey')") is None


def test_keyboard_reaches_the_search_and_moves_between_tabs(browser, service):
    _unlock(browser, service[0])
    tab = browser.find_element(By.ID, "tab-disease")
    tab.click()
    tab.send_keys(Keys.ARROW_RIGHT)
    assert browser.switch_to.active_element.get_attribute("id") == "tab-drug"
    assert browser.find_element(By.ID, "view-drug").is_displayed()
    browser.switch_to.active_element.send_keys(Keys.ARROW_LEFT)
    assert browser.switch_to.active_element.get_attribute("id") == "tab-disease"
    Select(browser.find_element(By.ID, "cand-k"))  # a native select: keyboard-operable as is


def test_axe_finds_no_critical_violation_on_any_view(browser, service):
    base_url = service[0]
    _open(browser, base_url)
    browser.execute_script("sessionStorage.clear()")
    _open(browser, base_url)
    found = {"key": run_axe(browser)}
    _unlock(browser, base_url)
    _open_disease(browser, "breast cancer", BREAST_CANCER)
    top = _rows(browser)[0]["drug"]
    browser.find_element(By.CSS_SELECTOR, f'#candidates tr[data-drug="{top}"] button.why').click()
    wait_for(browser, lambda d: d.find_element(By.ID, "why-graph").get_attribute("data-ready") == "true")
    for drug in [r["drug"] for r in _rows(browser)[:2]]:
        browser.find_element(By.CSS_SELECTOR, f'#candidates tr[data-drug="{drug}"] input.pick').click()
    browser.find_element(By.ID, "compare-open").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "compare").get_attribute("data-ready") == "true")
    found["disease, why and compare"] = run_axe(browser)
    _tab(browser, "drug")
    found["drug"] = run_axe(browser)
    _tab(browser, "patient")
    found["patient"] = run_axe(browser)
    _tab(browser, "about")
    found["about"] = run_axe(browser)
    critical = {view: [v for v in violations if v.get("impact") == "critical"] for view, violations in found.items()}
    assert not any(critical.values()), {view: describe(v) for view, v in critical.items() if v}
    serious = {view: [v for v in violations if v.get("impact") == "serious"] for view, violations in found.items()}
    assert not any(serious.values()), {view: describe(v) for view, v in serious.items() if v}
