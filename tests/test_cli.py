"""The ``pmkg`` command line, run in-process against the session's embedded store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pmkg.cli import app

runner = CliRunner()


def test_query_list_shows_every_named_query():
    result = runner.invoke(app, ["query", "--list"])
    assert result.exit_code == 0
    assert "repurposing_candidates" in result.output and "drug_disease_evidence" in result.output


def test_query_runs_with_json_and_csv_output(graph_uri, ingest_outcomes):
    args = ["query", "drug_disease_evidence", "-g", graph_uri, "-p", "drug=DRUGBANK:DB00773", "-p", "disease=DOID:8577"]
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)[0]["node_ids"][0] == "DRUGBANK:DB00773"
    as_csv = runner.invoke(app, [*args, "--format", "csv", "-p", "n=2"])
    assert as_csv.exit_code == 0
    assert as_csv.output.splitlines()[0] == "hops,node_ids,node_names,relationships,sources"
    assert len(as_csv.output.splitlines()) == 3


def test_bad_parameter_is_a_clear_error_not_a_traceback(graph_uri):
    result = runner.invoke(app, ["query", "repurposing_candidates", "-g", graph_uri, "-p", "disease"])
    assert result.exit_code == 2 and "--param expects key=value" in result.output
    result = runner.invoke(app, ["query", "repurposing_candidates", "-g", graph_uri, "-p", "k=3"])
    assert result.exit_code == 2 and "needs --param disease" in result.output
    assert "Traceback" not in result.output


def test_ingest_and_stats(graph_uri, tmp_path):
    from tests.conftest import FIXTURE_SOURCES, FIXTURES

    report = tmp_path / "report.json"
    sources = [arg for name in FIXTURE_SOURCES for arg in ("--source", name)]
    result = runner.invoke(
        app, ["ingest", "-g", graph_uri, "--data-dir", str(FIXTURES), *sources, "--report", str(report), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    outcomes = {o["name"]: o for o in json.loads(report.read_text())["sources"]}
    assert outcomes["hetionet"]["unresolved"] == {
        "node kind Spaceship": 1,
        "metaedge CxG": 1,
        "edge endpoint not in nodes file": 1,
    }
    assert any("hetionet-v1.0-edges.sif:1642" in w for w in outcomes["hetionet"]["warnings"])
    summary = report.with_suffix(".md").read_text()
    assert "| hetionet | node kind Spaceship | 1 |" in summary and "## Skipped rows" in summary
    assert str(report.with_suffix(".md")) in result.output
    stats = runner.invoke(app, ["stats", "-g", graph_uri, "--format", "csv"])
    assert stats.exit_code == 0 and "Drug,TREATS,Disease,pharmacotherapydb,306" in stats.output


def test_missing_data_dir_is_reported(graph_uri, tmp_path):
    result = runner.invoke(app, ["ingest", "-g", graph_uri, "--data-dir", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "is not a folder" in result.output


def test_predict_without_a_model_explains_what_to_do(graph_uri, ingest_outcomes, tmp_path):
    result = runner.invoke(app, ["predict", "repurposing", "-g", graph_uri, "--models-dir", str(tmp_path)])
    assert result.exit_code == 2 and "run `pmkg train` first" in result.output


def test_default_ingest_reads_only_the_sources_the_bundled_sample_has():
    from pmkg.ingest.registry import JOBS, SAMPLE_DATA_DIR, SAMPLE_SOURCES

    for name in JOBS:
        present = any((SAMPLE_DATA_DIR / name).iterdir()) if (SAMPLE_DATA_DIR / name).is_dir() else False
        assert present == (name in SAMPLE_SOURCES), name
