"""The evaluation harness: k-fold and disease-area splits, leakage of every baseline, metrics and calibration
by hand, TxGNN area mapping, and one end-to-end protocol run with its report.

Real-data tests use the Hetionet + PharmacotherapyDB demo sample (``load_sample_export``, no database);
the hand-checked ones use exports small enough to compute on paper.
"""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from pmkg.gnn import TARGET
from pmkg.gnn.areas import area_members
from pmkg.gnn.baselines import degree_product_scores
from pmkg.gnn.calibration import calibration_from_dict, fit_calibration, reliability
from pmkg.gnn.candidates import Candidates, connected_sources, evaluation_candidates, prediction_candidates
from pmkg.gnn.data import pair_codes, reverse_key
from pmkg.gnn.dwpc import DWPCFeatures, dwpc_scores
from pmkg.gnn.evaluate import SplitSpec, run_split
from pmkg.gnn.kge import _triples
from pmkg.gnn.metrics import evaluate_candidates, evaluate_ranking
from pmkg.gnn.split import make_split
from pmkg.gnn.train import TrainConfig, holdout_drop, train
from pmkg.ingest.disease_areas import disease_areas, read_txgnn_area
from pmkg.kg.export import GraphExport

from tests.test_gnn_core import load_sample_export

PALLIATES = ("Drug", "PALLIATES", "Disease")
FAST = TrainConfig(epochs=3, patience=100, threads=1, hidden=16)


@pytest.fixture(scope="module")
def export() -> GraphExport:
    return load_sample_export()


def codes(edges: np.ndarray | torch.Tensor, num_dst: int) -> set[int]:
    return set(pair_codes(np.asarray(edges), num_dst).tolist())


def without_edges(export: GraphExport, key, edges: np.ndarray) -> GraphExport:
    """A copy of ``export`` in which ``edges`` of ``key`` never existed."""
    n = export.num_nodes(key[2])
    keep = ~np.isin(pair_codes(export.edges[key], n), pair_codes(edges, n))
    return GraphExport(export.node_ids, {**export.edges, key: export.edges[key][:, keep]}, export.node_names)


# ---------------------------------------------------------------------------------------------- splits


@pytest.mark.parametrize("scheme", ["random", "disease_holdout"])
def test_kfold_test_folds_partition_the_target_edges(export: GraphExport, scheme: str) -> None:
    edges, n = export.edges[TARGET], export.num_nodes("Disease")
    splits = [make_split(edges, scheme, 0.1, 0.0, seed=f, folds=5, fold=f, split_seed=0) for f in range(5)]
    tests = [codes(s.test, n) for s in splits]
    assert sum(map(len, tests)) == edges.shape[1] == len(set.union(*tests))
    for s in splits:
        assert not codes(s.train, n) & codes(s.held_out(), n)
        assert s.train.shape[1] + s.held_out().shape[1] == edges.shape[1]
        if scheme == "disease_holdout":  # whole diseases: no test disease keeps a training edge
            assert not np.isin(s.train[1], s.held_out_dst["test"]).any()
            assert set(np.unique(s.test[1])) == set(s.held_out_dst["test"])


@pytest.mark.parametrize("scheme", ["random", "disease_holdout", "disease_set"])
def test_trained_graph_and_features_never_see_held_out_edges(export: GraphExport, scheme: str) -> None:
    test_dst = np.unique(export.edges[TARGET][1])[:5] if scheme == "disease_set" else None
    cfg = replace(FAST, epochs=1, split=scheme, folds=0 if scheme == "disease_set" else 5, fold=1, split_seed=0)
    result = train(export, cfg, progress=False, test_dst=test_dst)
    n = export.num_nodes("Disease")
    held = codes(result.split.held_out(), n)
    assert not held & codes(result.data[TARGET].edge_index, n)
    assert not held & codes(result.data[reverse_key(TARGET)].edge_index.flip(0), n)
    # The drug's TREATS-degree feature counts training edges only.
    col = result.data["Drug"].feature_names.index("deg:" + "|".join(reverse_key(TARGET)))
    expected = np.log1p(np.bincount(result.split.train[0], minlength=export.num_nodes("Drug")))
    np.testing.assert_allclose(result.data["Drug"].x[:, col].numpy(), expected, rtol=1e-6)
    if scheme != "random":
        out = np.concatenate(list(result.split.held_out_dst.values()))
        assert not np.isin(result.data[PALLIATES].edge_index[1].numpy(), out).any()
        # Only the held-out diseases are ranked in a zero-shot test.
        assert set(result.test_candidates.dst) == set(result.split.held_out_dst["test"])
        if scheme == "disease_set":  # validation diseases come from inside the area, the rest are tested
            val, test = set(result.split.held_out_dst["val"]), set(result.split.held_out_dst["test"])
            assert val and not val & test and val | test == set(test_dst)


def test_disease_set_needs_labelled_diseases(export: GraphExport) -> None:
    unlabelled = np.setdiff1d(np.arange(export.num_nodes("Disease")), export.edges[TARGET][1])[:3]
    with pytest.raises(ValueError, match="no target edge"):
        make_split(export.edges[TARGET], "disease_set", 0.1, 0.0, seed=0, test_dst=unlabelled)


# ---------------------------------------------------------------------------------------------- candidates


def test_candidates_by_hand() -> None:
    ex = GraphExport(
        node_ids={"Drug": ["D0", "D1", "D2"], "Disease": ["X0", "X1", "X2"], "Gene": ["G0"]},
        edges={TARGET: np.array([[0, 1], [0, 0]]), PALLIATES: np.array([[2], [1]]),
               ("Drug", "TARGETS", "Gene"): np.array([[1], [0]])},
    )
    # D0 has only an indication, D2 only a palliation: neither is connected; D0 stays as a positive's drug.
    assert connected_sources(ex, TARGET).tolist() == [1]
    cands = evaluation_candidates(ex, TARGET)
    assert cands.src.tolist() == [0, 1] and cands.dst.tolist() == [0]
    assert prediction_candidates(ex, TARGET).dst.tolist() == [0, 1]
    assert prediction_candidates(ex, TARGET, "all").dst.tolist() == [0, 1, 2]
    mapped, outside = Candidates(np.array([0, 1]), np.array([0])).restrict(np.array([[1, 2, 0], [0, 0, 1]]))
    assert mapped.tolist() == [[1], [0]] and outside == 2


# ---------------------------------------------------------------------------------------------- metrics


def test_recall_at_k_and_candidate_metrics_by_hand() -> None:
    # 5 drugs x 2 diseases; disease 0 positives drugs 3 (rank 1) and 0 (rank 4 of 5); disease 1: drug 4 (rank 2).
    scores = np.array([[1.0, 0.0], [4.0, 0.5], [3.0, 0.1], [9.0, 0.2], [2.0, 0.4]])
    test = np.array([[3, 0, 4], [0, 0, 1]])
    m = evaluate_ranking(scores, test, None, recall_ks=(1, 2, 4))
    # disease 0: raw ranks 1 and 5 -> recall@1 = 1/min(1, 2) = 1, @4 = 1/2; disease 1: drug 4 (0.4) below drug 1.
    assert m["recall@1"] == pytest.approx((1.0 + 0.0) / 2)
    assert m["recall@2"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["recall@4"] == pytest.approx((0.5 + 1.0) / 2)
    # filtered: drug 0 ranks behind 1, 2, 4 only (drug 3 is another positive) -> 4; drug 3 -> 1; drug 4 -> 2.
    assert m["mrr"] == pytest.approx((1 + 1 / 4 + 1 / 2) / 3)
    cands = Candidates(np.array([0, 1, 3, 4]), np.array([0, 1]))
    sub = scores[np.ix_(cands.src, cands.dst)]
    mc = evaluate_candidates(sub, cands, np.array([[3, 0, 4, 2], [0, 0, 1, 1]]), None)
    assert mc["n_pos"] == 3 and mc["n_pos_outside"] == 1 and mc["n_candidates"] == 8
    assert mc["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 2) / 3)  # drug 2 is no candidate: drug 0 ranks 3rd


def test_degree_prior_breaks_ties_by_drug_degree_only() -> None:
    train_edges = np.array([[0, 0, 1, 2], [0, 1, 0, 0]])
    s = degree_product_scores(train_edges, 4, 3)
    # drug degrees [2, 1, 1, 0], disease degrees [3, 1, 0]
    np.testing.assert_allclose(np.floor(s), np.outer([2, 1, 1, 0], [3, 1, 0]))
    assert s[0, 2] > s[1, 2] > s[3, 2] and s[1, 2] == s[2, 2]  # unseen disease: ordered by drug degree
    assert np.all(np.argsort(-s[:, 0], kind="stable") == np.argsort(-np.floor(s[:, 0]), kind="stable"))


# ---------------------------------------------------------------------------------------------- baselines


def test_dwpc_by_hand() -> None:
    # D0 resembles D1 and D2, which both treat X0.
    ex = GraphExport(
        node_ids={"Drug": ["D0", "D1", "D2"], "Disease": ["X0", "X1"]},
        edges={TARGET: np.array([[1, 2], [0, 0]]), ("Drug", "RESEMBLES", "Drug"): np.array([[0, 0], [1, 2]])},
    )
    graph = {k: v for k, v in ex.edges.items() if k != TARGET}
    feats = DWPCFeatures(ex, graph, TARGET, Candidates(np.arange(3), np.arange(2)))
    assert set(feats.metapaths) == {"CrCtD"}
    m = feats.matrices(ex.edges[TARGET])["CrCtD"]
    # RESEMBLES counts both ways: D0 has degree 2, D1 and D2 degree 1. Each treats X0 (in-degree 2):
    # 2 walks of (2*1)^-.4 * (1*2)^-.4.
    expected = 2 * (2 * 1) ** -0.4 * (1 * 2) ** -0.4
    assert m[0, 0] == pytest.approx(expected) and m[0, 1] == 0.0
    # Without D1's edge, D0's feature keeps only the walk through D2: the label never leaks in.
    assert feats.matrices(ex.edges[TARGET][:, 1:])["CrCtD"][0, 0] == pytest.approx((2 * 1) ** -0.4 * (1 * 1) ** -0.4)


def test_baselines_ignore_edges_that_were_held_out(export: GraphExport) -> None:
    """Scores with held-out edges dropped equal scores on a graph where they never existed."""
    split = make_split(export.edges[TARGET], "disease_holdout", 0.1, 0.0, seed=0, folds=5, fold=0, split_seed=0)
    drop = holdout_drop(export, TARGET, split, True)
    cands = Candidates(evaluation_candidates(export, TARGET).src, split.held_out_dst["test"])
    base, _ = dwpc_scores(export, drop, TARGET, split.train, cands, seed=0)
    gone = without_edges(without_edges(export, TARGET, split.held_out()), PALLIATES, drop[PALLIATES])
    again, _ = dwpc_scores(gone, {}, TARGET, split.train, cands, seed=0)
    np.testing.assert_allclose(base, again)
    head, rel, tail, offset, *_ = _triples(export, drop, TARGET, split.train)
    treats = (rel == 0).numpy()
    pairs = np.stack([head.numpy()[treats] - offset["Drug"], tail.numpy()[treats] - offset["Disease"]])
    assert codes(pairs, export.num_nodes("Disease")) == codes(split.train, export.num_nodes("Disease"))
    palliates = rel.numpy() == 1 + sorted(k for k in export.edges if k != TARGET).index(PALLIATES)
    assert not np.isin(tail.numpy()[palliates] - offset["Disease"], split.held_out_dst["test"]).any()


# ---------------------------------------------------------------------------------------------- calibration


def test_calibration_at_real_prevalence() -> None:
    rng = np.random.default_rng(0)
    labels = rng.random(20_000) < 0.01
    scores = rng.normal(size=labels.size) + 2.5 * labels
    platt = fit_calibration(scores, labels, "platt")
    # Logistic regression with an intercept reproduces the base rate on its own data.
    assert platt.probability(scores).mean() == pytest.approx(labels.mean(), rel=0.02)
    iso = fit_calibration(scores, labels, "isotonic")
    prob = iso.probability(scores)
    assert np.all(np.diff(prob[np.argsort(scores)]) >= 0)
    constant = np.mean((labels.mean() - labels) ** 2)
    assert iso.brier < constant and platt.brier < constant
    for cal in (platt, iso):
        back = calibration_from_dict(cal.to_dict())
        np.testing.assert_allclose(back.probability(scores[:50]), cal.probability(scores[:50]))
    rel = reliability(platt.probability(scores), labels, bins=10)
    assert rel["count"].sum() == labels.size and np.all(np.diff(rel["predicted"]) >= 0)
    assert rel["observed"][-1] > rel["observed"][0]


# ---------------------------------------------------------------------------------------------- areas


def test_txgnn_areas_map_to_doids_and_descendants(tmp_path: Path) -> None:
    files = tmp_path / "txgnn-splits" / "disease_files"
    files.mkdir(parents=True)
    # Both upstream header styles: an empty first cell with float ids, and node_index with int ids.
    header = "node_id,node_type,node_name,node_source\n"
    (files / "cardiovascular.csv").write_text("," + header + "1,5267.0,disease,h,MONDO\n")
    (files / "diabetes.csv").write_text("node_index," + header + "2,5148,disease,t2d,MONDO\n")
    (files / "bad.csv").write_text("node_index,node_id\n3,x\n")
    with pytest.raises(ValueError, match=r"bad\.csv:2"):
        read_txgnn_area(files / "bad.csv")
    (files / "bad.csv").unlink()
    mondo = tmp_path / "mondo" / "mappings-2026-08-04"
    mondo.mkdir(parents=True)
    with gzip.open(mondo / "mondo_exactmatch_doid.sssom.tsv.gz", "wt") as fh:
        fh.write("# curie_map:\n#   DOID: http://purl.obolibrary.org/obo/DOID_\n")
        fh.write("subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\tmapping_justification\n")
        fh.write("MONDO:0005267\theart disease\tskos:exactMatch\tDOID:114\theart disease\tx\n")
    areas = disease_areas(tmp_path)
    assert areas == {"cardiovascular": {"MONDO:0005267", "DOID:114"}, "diabetes": {"MONDO:0005148"}}
    ex = GraphExport(
        node_ids={"Disease": ["DOID:114", "DOID:2", "DOID:3", "MONDO:0005148"]},
        edges={("Disease", "IS_A", "Disease"): np.array([[1, 2], [0, 1]])},  # 2 is_a 1 is_a 0
    )
    assert area_members(ex, areas["cardiovascular"]).tolist() == [0, 1, 2]
    assert area_members(ex, areas["diabetes"]).tolist() == [3]


# ---------------------------------------------------------------------------------------------- end to end


def test_one_split_of_the_protocol_with_every_baseline_and_its_report(export: GraphExport, tmp_path: Path) -> None:
    from pmkg.workflows.evaluate import protocol_specs, write_report

    specs, skipped = protocol_specs(export, folds=3, seeds=1, groups=("random", "disease_holdout", "areas"),
                                    areas={"tiny": np.unique(export.edges[TARGET][1])[:2],
                                           "empty": np.array([], dtype=np.int64)})
    assert [s.group for s in specs].count("random") == 3 and "empty" in skipped
    runs = [run_split(export, spec, FAST, ("degree_prior", "dwpc", "transe"), kge_epochs=1)
            for spec in (specs[0], SplitSpec("disease_holdout", "disease_holdout", seed=0, folds=3, fold=0))]
    for run in runs:
        assert [r["model"] for r in run.rows] == ["gnn", "degree_prior", "dwpc", "transe"]
        assert len({r["n_pos"] for r in run.rows}) == 1  # the same held-out edges for every model
        for row in run.rows:
            assert 0.0 <= row["auroc"] <= 1.0 and 0.0 < row["mrr"] <= 1.0 and 0.0 <= row["recall@100"] <= 1.0
        assert {"platt", "isotonic"} <= set(run.calibration)
    path = write_report(runs, tmp_path, export, FAST, {"export_seconds": 1.0})
    text = path.read_text()
    assert "## random" in text and "## disease_holdout" in text and "AUPRC 1:1 sampled" in text
    for png in ("roc_pr.png", "calibration.png", "per_disease_recall.png", "training_curve.png"):
        assert (tmp_path / png).stat().st_size > 1000, png
    lines = (tmp_path / "per-seed.csv").read_text().splitlines()
    assert len(lines) == 1 + 2 * 4 and lines[0].startswith("group,scheme,seed,fold,model")


def test_protocol_folds_partition_the_edges_and_each_partition_has_its_own_seed(export: GraphExport) -> None:
    from pmkg.gnn.split import make_split

    from pmkg.workflows.evaluate import protocol_specs

    specs, _ = protocol_specs(export, folds=3, seeds=1, groups=("random",), partitions=2)
    assert [(s.split_seed, s.fold, s.seed) for s in specs] == [(0, 0, 0), (0, 1, 1), (0, 2, 2), (1, 0, 3), (1, 1, 4),
                                                                (1, 2, 5)]
    edges, n = export.edges[TARGET], export.num_nodes("Disease")
    tests = {r: [codes(make_split(edges, "random", 0.1, 0.0, s.seed, 3, s.fold, s.split_seed).test, n)
                 for s in specs if s.split_seed == r] for r in (0, 1)}
    for folds in tests.values():
        assert sum(map(len, folds)) == edges.shape[1] == len(set.union(*folds))
    assert tests[0][0] != tests[1][0]
