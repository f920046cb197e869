"""The main job on the fixture graph: export, train a few epochs, predict, write back, query it back."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from pmkg.gnn import TARGET
from pmkg.gnn.candidates import prediction_candidates
from pmkg.gnn.train import TrainConfig
from pmkg.kg.export import export_graph
from pmkg.kg.queries import run_query

from pmkg.workflows.repurposing import latest_model, predict_repurposing, train_from_graph

FEW_EPOCHS = TrainConfig(epochs=4, hidden=16, patience=10, threads=1, seed=0)


@pytest.fixture(scope="module")
def export(store, ingest_outcomes):
    return export_graph(store, progress=False)


@pytest.fixture(scope="module")
def trained(store, ingest_outcomes, tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    return models, train_from_graph(store, FEW_EPOCHS, models, progress=False)


def test_export_matches_the_graph(store, export):
    assert export.edges[TARGET].shape == (2, 306)
    drugs = export.node_ids["Drug"]
    assert len(drugs) == len(set(drugs)) == store.run("MATCH (n:Drug) RETURN count(n) AS n")[0]["n"]
    src, dst = export.edges[TARGET]
    pairs = {(drugs[s], export.node_ids["Disease"][d]) for s, d in zip(src, dst, strict=True)}
    assert ("DRUGBANK:DB00843", "DOID:10652") in pairs  # donepezil treats Alzheimer's disease
    assert "Source" not in export.node_ids  # bookkeeping nodes never reach the model


def test_training_saves_a_versioned_model_with_finite_metrics(trained):
    models, outcome = trained
    assert latest_model(models) == outcome.model_dir
    for name in ("model.pt", "config.json", "id_maps.json", "metrics.json", "MODEL_CARD.md", "calibration.json"):
        assert (outcome.model_dir / name).is_file(), name
    for model in ("gnn", "degree_prior"):
        assert 0.0 <= outcome.metrics[model]["auroc"] <= 1.0
    assert np.isfinite(outcome.calibration["slope"])


def test_predictions_cover_every_pair_and_come_back_through_cypher(store, export, trained, tmp_path):
    _, outcome = trained
    tsv = tmp_path / "all.tsv"
    predicted = predict_repurposing(store, outcome.model_dir, top_k=5, out_tsv=tsv, progress=False)
    cands = prediction_candidates(export, TARGET)
    with open(tsv) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        fh.seek(0)
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert header == ["drug_id", "disease_id", "score", "probability", "rank", "model_version", "known"]
    assert len(rows) == predicted.pairs_scored == cands.num_pairs
    assert {r["disease_id"] for r in rows} == {export.node_ids["Disease"][j] for j in cands.dst}
    per_disease = [int(r["rank"]) for r in rows if r["disease_id"] == rows[0]["disease_id"]]
    assert per_disease == list(range(1, cands.src.size + 1))
    assert len({(r["drug_id"], r["disease_id"]) for r in rows}) == len(rows)
    assert all(np.isfinite(float(r["score"])) and 0.0 <= float(r["probability"]) <= 1.0 for r in rows[:5000])
    assert {r["model_version"] for r in rows} == {outcome.model_version}
    assert sum(r["known"] == "1" for r in rows) == 306

    _, candidates = run_query(store, "repurposing_candidates", {"disease": "DOID:10652", "k": "3"})
    assert [c["rank"] for c in candidates] == [1, 2, 3]
    assert all(c["model_version"] == outcome.model_version for c in candidates)
    known = {r["drug_id"] for r in rows if r["disease_id"] == "DOID:10652" and r["known"] == "1"}
    assert not known & {c["drug_id"] for c in candidates}, "known indications are not candidates"
    by_pair = {(r["drug_id"], r["disease_id"]): float(r["score"]) for r in rows}
    assert candidates[0]["score"] == pytest.approx(by_pair[(candidates[0]["drug_id"], "DOID:10652")], abs=1e-5)


def test_rerunning_prediction_replaces_rather_than_adds(store, trained):
    _, outcome = trained
    count = "MATCH (:Drug)-[p:PREDICTED_TREATS]->(:Disease) RETURN count(p) AS n"
    predict_repurposing(store, outcome.model_dir, top_k=5, progress=False)
    first = store.run(count)[0]["n"]
    predict_repurposing(store, outcome.model_dir, top_k=5, progress=False)
    assert store.run(count)[0]["n"] == first > 0


def test_predictions_never_feed_back_into_the_export(store, export, trained):
    predict_repurposing(store, trained[1].model_dir, top_k=5, progress=False)
    again = export_graph(store, progress=False)
    assert again.node_ids == export.node_ids
    assert all(np.array_equal(again.edges[k], export.edges[k]) for k in export.edges)
    assert not any(rel.startswith("PREDICTED") for _, rel, _ in again.edges)


def test_evaluate_command_writes_report_plots_and_per_seed_csv(graph_uri, ingest_outcomes, tmp_path):
    from typer.testing import CliRunner

    from pmkg.cli import app

    out = tmp_path / "eval"
    result = CliRunner().invoke(app, [
        "evaluate", "-g", graph_uri, "--folds", "2", "--splits", "random,disease_holdout", "--epochs", "2",
        "--baselines", "degree_prior,dwpc", "--out", str(out), "--quiet",
    ])
    assert result.exit_code == 0, result.output
    report = (out / "report.md").read_text()
    assert "export checksum" in report and "## disease_holdout" in report and "degree_prior" in report
    assert "Models in the same run: gnn, degree_prior, dwpc." in report and "`area:*`" not in report
    rows = list(csv.DictReader((out / "per-seed.csv").read_text().splitlines()))
    assert sorted({(r["group"], r["fold"], r["model"]) for r in rows}) == sorted(
        (g, str(f), m) for g in ("random", "disease_holdout") for f in (0, 1) for m in ("gnn", "degree_prior", "dwpc")
    )
    assert (out / "calibration.png").is_file()
    bad = CliRunner().invoke(app, ["evaluate", "-g", graph_uri, "--splits", "areas", "--quiet"])
    assert bad.exit_code == 2 and "--data-dir" in bad.output
