"""``pmkg explain`` (with its picture), ``pmkg load-neo4j``'s copy, and the Neo4j Browser guide."""

from __future__ import annotations

import json
import threading
import urllib.request

from pmkg.kg.browser_guide import example_params, guide_html, guide_server, params_command, write_guide
from pmkg.kg.explain import explain_patient_drug
from pmkg.kg.explain_plot import LABEL_COLOURS, draw_explanation, evidence_graph
from pmkg.kg.graph_copy import copy_graph
from pmkg.kg.queries import load_library
from pmkg.kg.stats import graph_counts
from pmkg.kg.store import GraphStore
from typer.testing import CliRunner

from pmkg.cli import app
from tests.explain_world import PATIENT

runner = CliRunner()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_explain_prints_ranked_paths_and_draws_them(graph_uri, ingest_outcomes, tmp_path):
    png = tmp_path / "betaxolol.png"
    args = ["explain", "-g", graph_uri, "--drug", "Betaxolol", "--disease", "hypertension", "--png", str(png)]
    result = runner.invoke(app, [*args, "--cypher"])
    assert result.exit_code == 0, result.output
    assert "DRUGBANK:DB00195 (Betaxolol) -> DOID:10763 (hypertension)" in result.output
    assert "known indication: treats" in result.output and "CrCtD" in result.output
    assert "MATCH p = (:Drug {id: \"DRUGBANK:DB00195\"})-[:RESEMBLES]-" in result.output
    assert png.read_bytes()[:8] == PNG_MAGIC
    as_json = runner.invoke(app, ["explain", "-g", graph_uri, "--drug", "DRUGBANK:DB00195", "--disease",
                                  "DOID:10763", "-n", "2", "--format", "json"])  # fmt: skip
    data = json.loads(as_json.output)
    assert [p["rank"] for p in data["paths"]] == [1, 2] and data["known"] == "treats"


def test_explain_errors_are_messages_not_tracebacks(graph_uri, ingest_outcomes):
    both = runner.invoke(app, ["explain", "-g", graph_uri, "--drug", "x", "--disease", "y", "--patient", "z"])
    assert both.exit_code == 2 and "exactly one of --disease" in both.output
    unknown = runner.invoke(app, ["explain", "-g", graph_uri, "--drug", "DRUGBANK:DB99999", "--disease", "DOID:8577"])
    assert unknown.exit_code == 2 and "no Drug with id or name 'DRUGBANK:DB99999'" in unknown.output
    assert "Traceback" not in unknown.output


def test_evidence_subgraph_merges_shared_nodes_and_colours_by_label(world_store, tmp_path):
    explanation = explain_patient_drug(world_store, PATIENT, "DRUGBANK:DB00843")  # two phenotype paths
    graph = evidence_graph(explanation)
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 5  # Alzheimer's and donepezil shared
    assert graph.nodes["DOID:10652"]["label"] == "Disease" and graph.nodes["DOID:10652"]["x"] == 2 / 3
    assert graph["DOID:10652"]["DRUGBANK:DB00843"]["weight"] == 1.0  # both paths' contributions
    assert {d["label"] for _, d in graph.nodes(data=True)} <= set(LABEL_COLOURS)
    out = draw_explanation(explanation, tmp_path / "patient.png")
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 10_000


def test_copy_moves_the_graph_without_patients_and_is_idempotent(world_store, tmp_path):
    with GraphStore.connect(f"embedded://{tmp_path / 'copy'}") as target:
        report = copy_graph(world_store, target, progress=False)
        assert report.ok and report.skipped == {"Patient": 1}
        nodes, edges = graph_counts(target)
        source_nodes, source_edges = graph_counts(world_store)
        assert nodes == [row for row in source_nodes if row["label"] != "Patient"]
        assert edges == [row for row in source_edges if row["from"] != "Patient"]
        again = copy_graph(world_store, target, include_patients=True, progress=False)
        assert again.ok and again.nodes["Patient"] == 1 and graph_counts(target) == (source_nodes, source_edges)


def test_browser_guide_has_a_runnable_slide_per_query_and_is_served_with_cors(tmp_path):
    library = load_library()
    text = guide_html(library)
    assert text.count("<slide") == len(library) + 1  # plus the introduction
    params = example_params(library["evidence_paths"])
    assert params_command(params).splitlines() == [
        ':param drug => "DRUGBANK:DB00773";',
        ':param disease => "DOID:8577";',
        ":param n => 5;",
        ":param damping => 0.4;",
    ]
    assert '<pre class="pre-scrollable code runnable">:param drug =&gt; &quot;DRUGBANK:DB00773&quot;;' in text
    assert "MATCH (a:Drug {id: $drug})" in text
    path = write_guide(tmp_path)
    server = guide_server(tmp_path, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{path.name}"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            assert response.read().decode() == text
    finally:
        server.shutdown()
        server.server_close()
