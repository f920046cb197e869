"""The release model: cross-fitting, the refit on every label, calibration from out-of-fold scores only,
and external validation against an indication list that is not in the graph."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pmkg.gnn import TARGET
from pmkg.gnn.calibration import QuantileCalibration, calibration_from_dict, fit_quantile_calibration
from pmkg.gnn.crossfit import block_quantiles, cross_fit, pair_folds
from pmkg.gnn.data import pair_codes
from pmkg.gnn.external import external_metrics, recall_at_k
from pmkg.gnn.train import TrainConfig, sample_negatives
from pmkg.kg.export import export_graph
from sklearn.metrics import roc_auc_score

from pmkg.workflows.external import ExternalListError, evaluate_external, read_indication_list
from pmkg.workflows.repurposing import latest_model, predict_repurposing, train_release
from tests.conftest import FIXTURES

FEW = TrainConfig(epochs=4, hidden=16, patience=10, threads=1, seed=0)
SIDER_FIXTURE = FIXTURES / "sider-indications" / "indications.tsv"


@pytest.fixture(scope="module")
def export(store, ingest_outcomes):
    return export_graph(store, progress=False)


@pytest.fixture(scope="module")
def release(store, ingest_outcomes, tmp_path_factory):
    models = tmp_path_factory.mktemp("release-models")
    folds_seen = []
    outcome = train_release(store, FEW, models, folds=2, progress=False, on_fold=folds_seen.append)
    return models, outcome, folds_seen


# ------------------------------------------------------------------------------------------------ cross-fitting


def test_pair_folds_are_fixed_and_balanced():
    codes = np.arange(100_000)
    folds = pair_folds(codes, 5, seed=3)
    np.testing.assert_array_equal(folds, pair_folds(codes, 5, seed=3))
    assert not np.array_equal(folds, pair_folds(codes, 5, seed=4))
    counts = np.bincount(folds, minlength=5)
    assert counts.min() > 0.18 * codes.size


def test_a_fold_model_never_draws_the_pairs_it_will_score():
    rng = np.random.default_rng(0)
    n_src, n_dst = 40, 30
    reject = lambda codes: pair_folds(codes, 3, 0) == 1  # noqa: E731
    neg = sample_negatives(rng, 5000, n_src, n_dst, np.array([], dtype=np.int64), reject=reject)
    assert neg.shape == (2, 5000)
    assert not np.any(pair_folds(pair_codes(neg, n_dst), 3, 0) == 1)


def test_block_quantiles_give_ties_their_mean_rank():
    q = block_quantiles(np.array([[0.0, 1.0], [1.0, 2.0]]))
    np.testing.assert_allclose(q, [[0.0, 0.5], [0.5, 1.0]])


def test_every_pair_is_scored_out_of_fold(export):
    evidence = cross_fit(export, FEW, folds=2, progress=False)
    assert len(evidence.folds) == 2 and evidence.epochs >= 1
    cands = evidence.candidates
    positives, _ = cands.restrict(export.edges[TARGET])
    assert evidence.labels.sum() == positives.shape[1] == export.edges[TARGET].shape[1]
    assert np.isfinite(evidence.scores).all() and (evidence.quantiles >= 0).all() and (evidence.quantiles <= 1).all()
    # Each fold scored a share of the pairs, positives by the fold that held them out.
    assert set(np.unique(evidence.pair_fold)) == {0, 1}
    summary = evidence.metric_summary()
    assert set(summary) == {"gnn", "degree_prior"} and np.isfinite(summary["gnn"]["auroc"][0])


def test_quantile_calibration_reads_the_deployed_models_own_scale():
    rng = np.random.default_rng(1)
    quantiles = rng.random(20_000)
    labels = rng.random(20_000) < quantiles**8 * 0.2
    deployed = rng.normal(5.0, 3.0, size=(100, 100))  # another scale than any fold model's logits
    cal = fit_quantile_calibration(quantiles, labels, deployed, "platt", provenance="test")
    p = cal.probability(np.sort(deployed.ravel()))
    assert np.all(np.diff(p) >= -1e-12), "calibration keeps the order"
    assert p[-1] > 10 * p[len(p) // 2]
    again = calibration_from_dict(json.loads(json.dumps(cal.to_dict())))
    assert isinstance(again, QuantileCalibration)
    np.testing.assert_allclose(again.probability(deployed), cal.probability(deployed))


# ------------------------------------------------------------------------------------------------ release model


def test_release_model_trains_on_every_label(release, export):
    models, outcome, folds_seen = release
    assert outcome.release and outcome.labels_used == export.edges[TARGET].shape[1] == 306
    assert [f.fold for f in folds_seen] == [0, 1]
    assert latest_model(models) == outcome.model_dir
    metrics = json.loads((outcome.model_dir / "metrics.json").read_text())
    assert metrics["release"] is True and metrics["labels_used"] == 306
    assert len(metrics["cv"]["folds"]) == 2 and metrics["cv"]["refit_epochs"] >= 1
    split = np.load(outcome.model_dir / "split.npz")
    assert split["train"].shape[1] == 306 and split["val"].shape[1] == split["test"].shape[1] == 0
    card = (outcome.model_dir / "MODEL_CARD.md").read_text()
    assert "Labels used: 306 of 306" in card and "Cross-validated metrics (2-fold" in card
    calibration = json.loads((outcome.model_dir / "calibration.json").read_text())
    assert calibration["method"] == "quantile" and "out-of-fold" in calibration["provenance"]
    assert outcome.calibration["brier"] <= outcome.calibration["brier_constant"] * 1.05


def test_release_model_predicts_with_calibrated_probabilities(store, release, tmp_path):
    _, outcome, _ = release
    tsv = tmp_path / "pairs.tsv"
    # No write-back: the session graph's PREDICTED_TREATS belong to the model the service tests load.
    predicted = predict_repurposing(store, outcome.model_dir, top_k=3, out_tsv=tsv, write_back=False, progress=False)
    assert predicted.model_version == outcome.model_version and predicted.written_to_graph == 0
    rows = [line.split("\t") for line in tsv.read_text().splitlines()[1:]]
    probabilities = np.array([float(r[3]) for r in rows])
    assert ((probabilities >= 0) & (probabilities <= 1)).all() and probabilities.std() > 0


# --------------------------------------------------------------------------------------------- external checks


def test_external_metrics_match_sklearn_and_pair_the_intervals():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(50, 20))
    positives = rng.random((50, 20)) < 0.05
    scores[positives] += 1.5
    universe = rng.random((50, 20)) < 0.9
    out = external_metrics({"m": scores, "prior": rng.normal(size=(50, 20))}, positives, universe,
                           reference="prior", n_boot=200)
    assert out["m"]["auroc"] == pytest.approx(roc_auc_score(positives[universe], scores[universe]))
    assert out["m"]["auroc_lo"] < out["m"]["auroc"] < out["m"]["auroc_hi"]
    assert out["m"]["delta_auroc_lo"] > 0 and out["m"]["p_not_better"] < 0.05
    assert out["m"]["n_pos"] == int((positives & universe).sum())


def test_recall_at_k_is_over_min_k_and_positives():
    scores = np.array([[3.0], [2.0], [1.0], [0.0]])
    positives = np.array([[True], [True], [True], [False]])
    universe = np.ones((4, 1), dtype=bool)
    assert recall_at_k(scores, positives, universe, 2).tolist() == [1.0]  # 2 of min(2, 3)
    assert recall_at_k(scores, positives, universe, 10).tolist() == [1.0]


def test_the_indication_list_resolves_and_counts_what_it_drops(tmp_path):
    from pmkg.ingest.xrefs import Resolver

    listed = read_indication_list(SIDER_FIXTURE, Resolver.from_data_dir(FIXTURES))
    assert listed.format == "sider" and listed.pairs
    assert listed.filtered_rows > 0, "preconditions are not indications"
    assert ("DRUGBANK:DB99999", "DOID:10763") in listed.pairs  # a DrugBank id is canonical; the graph lacks it
    assert sum(listed.unresolved_diseases.values()) > 0, "CUIs the Disease Ontology does not map are counted"
    assert all(d.startswith("DRUGBANK:") and s.startswith(("DOID:", "MONDO:")) for d, s in listed.pairs)
    bad = tmp_path / "bad.tsv"
    bad.write_text("compound\tindication\nDB00945\tDOID:0050686\n")
    with pytest.raises(ExternalListError, match=r"bad.tsv:1: header .* no drug column"):
        read_indication_list(bad, Resolver.from_data_dir(FIXTURES))


def test_external_validation_scores_model_and_baselines_on_the_same_pairs(store, release, tmp_path):
    _, outcome, _ = release
    report = evaluate_external(
        store, outcome.model_dir, SIDER_FIXTURE, universe="hetionet", data_dir=FIXTURES, n_boot=100,
        out_dir=tmp_path / "ext", progress=False,
    )
    assert set(report.metrics) == {"gnn", "degree_prior", "dwpc"}
    n_pos = {m["n_pos"] for m in report.metrics.values()}
    assert len(n_pos) == 1 and n_pos.pop() == report.indications["positives_in_universe"] > 0
    assert report.indications["positives_removed_as_training_pairs"] > 0  # SIDER restates known indications
    assert report.indications["pairs_outside_graph"] >= 1  # DB99999
    for m in report.metrics.values():
        assert 0.0 <= m["auroc_lo"] <= m["auroc"] <= m["auroc_hi"] <= 1.0
    assert "delta_auroc" in report.metrics["gnn"] and "delta_auroc_vs_dwpc" in report.metrics["gnn"]
    written = {p.name for p in (tmp_path / "ext").iterdir()}
    assert {"report.md", "metrics.json", "roc.png"} <= written
    assert (Path(outcome.model_dir) / "external-validation.json").is_file()
    text = (tmp_path / "ext" / "report.md").read_text()
    assert "universe `hetionet`" in text and "degree-product prior" in text


# ------------------------------------------------------------------------------------------------ command line


def test_cli_trains_a_release_model_and_validates_it_externally(graph_uri, ingest_outcomes, tmp_path):
    from typer.testing import CliRunner

    from pmkg.cli import app

    runner = CliRunner()
    models = tmp_path / "models"
    trained = runner.invoke(app, ["train", "-g", graph_uri, "--folds", "2", "--epochs", "3", "--models-dir",
                                  str(models), "--quiet"])
    assert trained.exit_code == 0, trained.output
    assert "labels used: 306 of 306" in trained.output and "release model" in trained.output
    checked = runner.invoke(app, ["evaluate", "-g", graph_uri, "--external", str(SIDER_FIXTURE), "--data-dir",
                                  str(FIXTURES), "--models-dir", str(models), "--bootstrap", "50", "--out",
                                  str(tmp_path / "ext"), "--quiet"])
    assert checked.exit_code == 0, checked.output
    assert "degree-product prior" in checked.output and (tmp_path / "ext" / "roc.png").is_file()
    bad = runner.invoke(app, ["evaluate", "-g", graph_uri, "--external", str(tmp_path / "nope.tsv"),
                              "--models-dir", str(models), "--quiet"])
    assert bad.exit_code == 2 and "nope.tsv: no such indication list" in bad.output


def test_cli_experiment_mode_says_it_is_not_a_release_model(graph_uri, ingest_outcomes, tmp_path):
    from typer.testing import CliRunner

    from pmkg.cli import app

    result = CliRunner().invoke(app, ["train", "-g", graph_uri, "--split", "random", "--epochs", "2",
                                      "--models-dir", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "NOT a release model" in result.output
    wrong = CliRunner().invoke(app, ["train", "-g", graph_uri, "--split", "temporal", "--quiet"])
    assert wrong.exit_code == 2 and "random, disease_holdout, disease_set, none" in wrong.output


def test_disease_features_can_read_ontology_parents_but_never_an_indication(export):
    from pmkg.gnn.features import neighbourhood_profile

    num_nodes = {label: export.num_nodes(label) for label in export.node_ids}
    without = neighbourhood_profile(export.edges, num_nodes, "Disease", {"Drug", "Disease"})
    within = neighbourhood_profile(export.edges, num_nodes, "Disease", {"Drug", "Disease"}, within_label=True)
    assert within.shape[1] > without.shape[1]  # IS_A parents and RESEMBLES neighbours are in
    drugs_only = {k: v for k, v in export.edges.items() if {k[0], k[2]} == {"Drug", "Disease"}}
    assert neighbourhood_profile(drugs_only, num_nodes, "Disease", {"Drug", "Disease"}, within_label=True).shape[1] == 0


def test_release_predictions_for_a_chosen_disease_list_as_parquet(store, release, tmp_path):
    import pyarrow.parquet as pq

    _, outcome, _ = release
    out = tmp_path / "pairs.parquet"
    predicted = predict_repurposing(store, outcome.model_dir, top_k=2, out_tsv=out, write_back=False,
                                    progress=False, diseases="DOID:10652,DOID:1612")
    table = pq.read_table(out).to_pydict()
    assert set(table["disease_id"]) == {"DOID:10652", "DOID:1612"}
    assert predicted.pairs_scored == len(table["drug_id"]) and predicted.written_to_graph == 0
    with pytest.raises(ValueError, match="DOID:0000000"):
        predict_repurposing(store, outcome.model_dir, out_tsv=tmp_path / "x.tsv", write_back=False,
                            progress=False, diseases="DOID:0000000")
