"""Core tests for ``gnn/``: leakage-safe splits, baseline math, training, artifacts, ranking helpers.

The real-data tests build a ``GraphExport`` straight from the Hetionet + PharmacotherapyDB demo sample in
``ingest/sample`` (no database), with a local metaedge → (src_label, REL, dst_label) mapping. The real
mapping lives in the ingest jobs; this one only needs to be plausible.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest
import torch
from pmkg.gnn import TARGET
from pmkg.gnn.artifacts import load_model, save_model
from pmkg.gnn.baselines import degree_product_scores
from pmkg.gnn.data import pair_codes, reverse_key, to_heterodata
from pmkg.gnn.evaluate import evaluate_fit
from pmkg.gnn.metrics import auroc, evaluate_ranking, rank_auroc
from pmkg.gnn.predict import rank_all, score_all_pairs, top_k_per_disease
from pmkg.gnn.split import disease_holdout_split, make_split, random_split
from pmkg.gnn.train import TrainConfig, holdout_drop, sample_negatives, train
from pmkg.kg.export import GraphExport

SAMPLE = Path(__file__).resolve().parents[1] / "ingest" / "sample"
KIND_TO_LABEL = {
    "Compound": "Drug",
    "Biological Process": "BiologicalProcess",
    "Cellular Component": "CellularComponent",
    "Molecular Function": "MolecularFunction",
    "Pharmacologic Class": "PharmacologicClass",
    "Side Effect": "SideEffect",
}
# CtD and CpD are left out on purpose: PharmacotherapyDB supplies TREATS/PALLIATES.
METAEDGES = {
    "AdG": ("Anatomy", "DOWNREGULATES", "Gene"),
    "AeG": ("Anatomy", "EXPRESSES", "Gene"),
    "AuG": ("Anatomy", "UPREGULATES", "Gene"),
    "CbG": ("Drug", "TARGETS", "Gene"),
    "CcSE": ("Drug", "CAUSES_SIDE_EFFECT", "SideEffect"),
    "CdG": ("Drug", "DOWNREGULATES", "Gene"),
    "CrC": ("Drug", "RESEMBLES", "Drug"),
    "CuG": ("Drug", "UPREGULATES", "Gene"),
    "DaG": ("Disease", "ASSOCIATED_WITH", "Gene"),
    "DdG": ("Disease", "DOWNREGULATES", "Gene"),
    "DlA": ("Disease", "LOCALIZES_IN", "Anatomy"),
    "DpS": ("Disease", "PRESENTS", "Symptom"),
    "DrD": ("Disease", "RESEMBLES", "Disease"),
    "DuG": ("Disease", "UPREGULATES", "Gene"),
    "GcG": ("Gene", "COVARIES_WITH", "Gene"),
    "GiG": ("Gene", "INTERACTS_WITH", "Gene"),
    "GpBP": ("Gene", "PARTICIPATES_IN", "BiologicalProcess"),
    "GpCC": ("Gene", "PARTICIPATES_IN", "CellularComponent"),
    "GpMF": ("Gene", "PARTICIPATES_IN", "MolecularFunction"),
    "GpPW": ("Gene", "PARTICIPATES_IN", "Pathway"),
    "Gr>G": ("Gene", "REGULATES", "Gene"),
    "PCiC": ("PharmacologicClass", "INCLUDES", "Drug"),
}
PHARMACOTHERAPYDB = {"DM": "TREATS", "SYM": "PALLIATES"}


def load_sample_export(root: Path = SAMPLE) -> GraphExport:
    """Hetionet sample SIF + node TSV + PharmacotherapyDB indications → ``GraphExport``."""
    node_ids: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    with gzip.open(root / "hetionet" / "hetionet-v1.0-nodes-sample.tsv.gz", "rt") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)
        for hid, name, kind in reader:
            label = KIND_TO_LABEL.get(kind, kind)
            node_ids.setdefault(label, []).append(hid.split("::", 1)[1])
            names.setdefault(label, []).append(name)
    index = {label: {c: i for i, c in enumerate(ids)} for label, ids in node_ids.items()}
    pairs: dict[tuple[str, str, str], set[tuple[int, int]]] = {}
    with gzip.open(root / "hetionet" / "edges-sample.sif.gz", "rt") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)
        for src, metaedge, dst in reader:
            key = METAEDGES.get(metaedge)
            if key is None:
                continue
            s, d = index[key[0]][src.split("::", 1)[1]], index[key[2]][dst.split("::", 1)[1]]
            pairs.setdefault(key, set()).add((s, d))
    with open(root / "pharmacotherapydb" / "indications.tsv") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            rel = PHARMACOTHERAPYDB.get(row["category"])
            if rel is None:
                continue
            s, d = index["Drug"][row["drugbank_id"]], index["Disease"][row["doid_id"]]
            pairs.setdefault(("Drug", rel, "Disease"), set()).add((s, d))
    edges = {key: np.array(sorted(p), dtype=np.int64).T.copy() for key, p in pairs.items()}
    return GraphExport(node_ids=node_ids, edges=edges, node_names=names)


def tiny_export() -> GraphExport:
    """4 drugs, 3 diseases, 2 genes; hand-checkable degrees."""
    return GraphExport(
        node_ids={
            "Drug": ["DRUGBANK:D0", "DRUGBANK:D1", "DRUGBANK:D2", "DRUGBANK:D3"],
            "Disease": ["DOID:0", "DOID:1", "DOID:2"],
            "Gene": ["NCBIGene:0", "NCBIGene:1"],
        },
        edges={
            TARGET: np.array([[0, 0, 1, 2], [0, 1, 0, 2]]),
            ("Drug", "TARGETS", "Gene"): np.array([[0, 1, 3], [0, 1, 1]]),
            ("Disease", "ASSOCIATED_WITH", "Gene"): np.array([[0, 2], [0, 1]]),
        },
    )


def codes(edges: np.ndarray | torch.Tensor, num_dst: int) -> set[int]:
    return set(pair_codes(np.asarray(edges), num_dst).tolist())


@pytest.fixture(scope="module")
def export() -> GraphExport:
    return load_sample_export()


FAST = TrainConfig(epochs=6, patience=100, neg_ratio=5, threads=1, seed=0)


@pytest.fixture(scope="module")
def trained(export: GraphExport):
    return train(export, FAST, progress=False)


# ---------------------------------------------------------------------------------------------- splits


def test_sample_export_shape(export: GraphExport) -> None:
    assert export.num_nodes("Drug") == 1552 and export.num_nodes("Disease") == 137
    assert export.edges[TARGET].shape == (2, 755)
    assert ("Drug", "PALLIATES", "Disease") in export.edges


def test_random_split_partitions_target_edges(export: GraphExport) -> None:
    edges = export.edges[TARGET]
    split = random_split(edges, 0.1, 0.1, seed=3)
    n = export.num_nodes("Disease")
    parts = [codes(p, n) for p in (split.train, split.val, split.test)]
    assert sum(map(len, parts)) == edges.shape[1] == len(set.union(*parts))
    assert split.val.shape[1] == split.test.shape[1] == 76
    assert codes(random_split(edges, 0.1, 0.1, seed=3).test, n) == parts[2]  # seeded
    assert codes(random_split(edges, 0.1, 0.1, seed=4).test, n) != parts[2]


def test_held_out_edges_absent_from_message_passing_both_directions(export: GraphExport) -> None:
    split = make_split(export.edges[TARGET], "random", 0.1, 0.1, seed=0)
    data = to_heterodata(export, {TARGET: split.held_out()})
    n_dis = export.num_nodes("Disease")
    forward = codes(data[TARGET].edge_index, n_dis)
    backward = codes(data[reverse_key(TARGET)].edge_index.flip(0), n_dis)
    held = codes(split.held_out(), n_dis)
    assert forward == backward == codes(split.train, n_dis)
    assert not held & forward
    # Degree features come from the message-passing graph only: the Drug's TREATS-degree column counts
    # training edges, not held-out ones.
    col = data["Drug"].feature_names.index("deg:" + "|".join(reverse_key(TARGET)))
    expected = np.log1p(np.bincount(split.train[0], minlength=export.num_nodes("Drug")))
    np.testing.assert_allclose(data["Drug"].x[:, col].numpy(), expected, rtol=1e-6)
    # Every other relation is untouched and has its reverse.
    for key, edges in export.edges.items():
        if key != TARGET:
            assert data[key].edge_index.shape[1] == edges.shape[1]
            assert data[reverse_key(key)].edge_index.shape[1] == edges.shape[1]


def test_disease_holdout_keeps_held_out_diseases_out_of_training(export: GraphExport) -> None:
    split = disease_holdout_split(export.edges[TARGET], 0.1, 0.2, seed=1)
    held = np.concatenate([split.held_out_dst["val"], split.held_out_dst["test"]])
    assert len(split.held_out_dst["test"]) == round(0.2 * len(np.unique(export.edges[TARGET][1])))
    assert not np.isin(split.train[1], held).any()
    assert np.isin(split.test[1], split.held_out_dst["test"]).all()
    assert split.sizes()["train"] + split.held_out().shape[1] == export.edges[TARGET].shape[1]
    data = to_heterodata(export, holdout_drop(export, TARGET, split, enabled=True))
    for key in (TARGET, ("Drug", "PALLIATES", "Disease")):
        assert not np.isin(data[key].edge_index[1].numpy(), held).any()
        assert not np.isin(data[reverse_key(key)].edge_index[0].numpy(), held).any()


def test_negatives_avoid_training_positives() -> None:
    rng = np.random.default_rng(0)
    positives = np.array([[0, 0, 1, 2], [0, 1, 0, 2]])
    exclude = np.sort(pair_codes(positives, 3))
    neg = sample_negatives(rng, 500, 4, 3, exclude)
    assert neg.shape == (2, 500)
    assert not codes(neg, 3) & codes(positives, 3)


# ---------------------------------------------------------------------------------------------- baseline


def test_degree_product_on_tiny_export() -> None:
    ex = tiny_export()
    train_edges = ex.edges[TARGET]
    scores = degree_product_scores(train_edges, ex.num_nodes("Drug"), ex.num_nodes("Disease"))
    # drug degrees [2, 1, 1, 0], disease degrees [2, 1, 1]
    expected = np.array([[4, 2, 2], [2, 1, 1], [2, 1, 1], [0, 0, 0]], dtype=float)
    # plus the tie-break drug degree / (max drug degree + 1) = [2, 1, 1, 0] / 3, below 1
    np.testing.assert_allclose(scores, expected + np.array([2, 1, 1, 0])[:, None] / 3)
    # Only the edges passed in count: holding out (0, 1) lowers drug 0 and disease 1.
    held = degree_product_scores(train_edges[:, [0, 2, 3]], 4, 3)
    assert np.floor(held[0, 0]) == 1 * 2 and np.floor(held[0, 1]) == 0


# ---------------------------------------------------------------------------------------------- metrics


def test_rank_auroc_matches_sklearn() -> None:
    rng = np.random.default_rng(1)
    pos, neg = rng.integers(0, 10, 40).astype(float), rng.integers(0, 8, 900).astype(float)
    labels = np.r_[np.ones(40), np.zeros(900)]
    assert rank_auroc(pos, neg) == pytest.approx(auroc(labels, np.r_[pos, neg]))


def test_filtered_ranking_metrics_by_hand() -> None:
    # 4 drugs x 2 diseases. Disease 0: test drug 2; drug 0 is a known positive (filtered out).
    scores = np.array([[9.0, 1.0], [5.0, 4.0], [7.0, 3.0], [1.0, 3.0]])
    test = np.array([[2, 3], [0, 1]])
    known = np.array([[0], [0]])
    m = evaluate_ranking(scores, test, known)
    # disease 0: candidates drugs 1,2,3 -> drug 2 (7.0) ranks 1. disease 1: drug 3 (3.0) below drug 1 (4.0)
    # and tied with drug 2 (3.0) -> rank 1 + 1 + 0.5 = 2.5.
    assert m["mrr"] == pytest.approx((1 / 1 + 1 / 2.5) / 2)
    assert m["hits@1"] == 0.5 and m["hits@3"] == 1.0
    assert m["n_pos"] == 2 and m["n_candidates"] == 7


# ---------------------------------------------------------------------------------------------- ranking


def test_rank_all_and_top_k_on_small_matrix() -> None:
    scores = np.array([[0.1, 5.0], [0.9, 5.0], [0.5, 1.0], [0.9, -2.0]])
    ranks = rank_all(scores)
    # Column 0: 0.9 (drug 1), 0.9 (drug 3, tie -> higher index later), 0.5, 0.1. Column 1: tie 5.0 (0 then 1).
    np.testing.assert_array_equal(ranks, [[4, 1], [1, 2], [3, 3], [2, 4]])
    top = top_k_per_disease(scores, k=2)
    assert [(p.src, p.dst, p.rank) for p in top] == [(1, 0, 1), (3, 0, 2), (0, 1, 1), (1, 1, 2)]
    assert top[0].score == pytest.approx(0.9)
    exclude = np.array([[1, 0], [0, 1]])  # drug 1 for disease 0, drug 0 for disease 1
    ranks_ex = rank_all(scores, exclude)
    np.testing.assert_array_equal(ranks_ex, [[3, 0], [0, 1], [2, 2], [1, 3]])
    top_ex = top_k_per_disease(scores, k=5, exclude=exclude)
    assert [(p.src, p.dst, p.rank) for p in top_ex] == [
        (3, 0, 1), (2, 0, 2), (0, 0, 3), (1, 1, 1), (2, 1, 2), (3, 1, 3),
    ]
    # Ranks agree with top-k positions.
    for p in top_ex:
        assert ranks_ex[p.src, p.dst] == p.rank


# ---------------------------------------------------------------------------------------------- training


def test_training_gives_finite_scores_of_the_right_shape(export: GraphExport, trained) -> None:
    scores = score_all_pairs(trained)
    assert scores.shape == (export.num_nodes("Drug"), export.num_nodes("Disease"))
    assert np.isfinite(scores).all()
    assert len(trained.history) == FAST.epochs
    assert all(np.isfinite(h["loss"]) and h["seconds"] > 0 for h in trained.history)
    evaluation = evaluate_fit(trained)
    for name in ("gnn", "degree_prior"):
        m = evaluation.test[name]
        assert 0.0 <= m["auroc"] <= 1.0 and 0.0 < m["mrr"] <= 1.0
        assert m["n_pos"] == trained.split.test.shape[1]
    assert not trained.model.training
    # Test edges stayed out of the model's message-passing graph.
    n_dis = export.num_nodes("Disease")
    assert not codes(trained.data[TARGET].edge_index, n_dis) & codes(trained.split.test, n_dis)


def test_training_is_deterministic(export: GraphExport, trained) -> None:
    again = train(export, FAST, progress=False)
    assert [h["loss"] for h in again.history] == [h["loss"] for h in trained.history]
    np.testing.assert_array_equal(score_all_pairs(again), score_all_pairs(trained))


def test_save_load_reproduces_scores(export: GraphExport, trained, tmp_path: Path) -> None:
    path = save_model(trained, tmp_path)
    version = (path / "model_version").read_text().strip()
    assert path.name == version and version.startswith("gnn-")
    for name in ("model.pt", "config.json", "id_maps.json", "metrics.json", "history.csv", "MODEL_CARD.md"):
        assert (path / name).is_file(), name
    loaded = load_model(path)
    assert loaded.model_version == version and loaded.target == TARGET
    np.testing.assert_array_equal(loaded.split.test, trained.split.test)
    scores = score_all_pairs(loaded.model, loaded.graph(export))
    np.testing.assert_array_equal(scores, score_all_pairs(trained))
    card = (path / "MODEL_CARD.md").read_text()
    assert "degree-product prior" in card and version in card
    # A different export is refused instead of silently mis-indexed.
    changed = GraphExport(node_ids=export.node_ids, edges=dict(export.edges), node_names=export.node_names)
    changed.edges[("Drug", "RESEMBLES", "Drug")] = export.edges[("Drug", "RESEMBLES", "Drug")][:, 1:]
    with pytest.raises(ValueError, match="checksum"):
        loaded.graph(changed)
    assert np.isfinite(score_all_pairs(loaded.model, loaded.graph(changed, strict=False))).all()


def test_disease_holdout_training_keeps_test_diseases_unseen(export: GraphExport) -> None:
    config = TrainConfig(epochs=2, patience=100, threads=1, split="disease_holdout", seed=2)
    result = train(export, config, progress=False)
    held = result.split.held_out_dst["test"]
    for key in (TARGET, ("Drug", "PALLIATES", "Disease")):
        assert not np.isin(result.data[key].edge_index[1].numpy(), held).any()
    assert result.dropped_extra["Drug|PALLIATES|Disease"] > 0
    evaluation = evaluate_fit(result)
    assert np.isfinite(evaluation.test["gnn"]["auroc"])
    # Every held-out disease has train degree 0: the prior ranks their drugs by drug degree alone, and only
    # the held-out diseases are ranked.
    assert set(result.test_candidates.dst) == set(held)
    assert evaluation.test["degree_prior"]["n_pos"] == result.split.test.shape[1]


def test_pyg_sage_path_with_random_codes_round_trips(export: GraphExport, tmp_path: Path) -> None:
    config = TrainConfig(epochs=2, patience=100, threads=1, conv="sage", sparse=True, embeddings="random")
    result = train(export, config, progress=False)
    loaded = load_model(save_model(result, tmp_path))
    np.testing.assert_array_equal(score_all_pairs(loaded.model, loaded.graph(export)), score_all_pairs(result))


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [("conv", "gat", "rel, sage, graph"), ("split", "temporal", "random, disease_holdout, disease_set, none"),
     ("negatives", "hard", "auto, uniform, seen_dst"), ("hide_unit", "node", "auto, edge, disease")],
)
def test_train_config_rejects_a_choice_naming_the_allowed_ones(field: str, value: str, allowed: str) -> None:
    with pytest.raises(ValueError, match=f"TrainConfig.{field} must be one of {allowed}; got '{value}'"):
        TrainConfig(**{field: value})


@pytest.mark.parametrize(("field", "value"), [("epochs", 0), ("val_frac", 1.0), ("dropout", -0.1), ("folds", 1)])
def test_train_config_rejects_out_of_range_numbers(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"TrainConfig.{field}"):
        TrainConfig(**{field: value})


def test_split_none_trains_on_every_label_for_the_fixed_epochs(export: GraphExport) -> None:
    result = train(export, TrainConfig(epochs=3, split="none", patience=1), progress=False)
    assert result.split.train.shape[1] == export.edges[TARGET].shape[1]
    assert result.split.val.shape[1] == result.split.test.shape[1] == 0
    assert len(result.history) == 3 and result.best_epoch == 3
    assert result.data[TARGET].edge_index.shape[1] == export.edges[TARGET].shape[1]


def test_auto_negatives_are_uniform_except_on_zero_shot_splits() -> None:
    assert TrainConfig(split="none").negative_diseases() == "uniform"
    assert TrainConfig(split="random").negative_diseases() == "uniform"
    assert TrainConfig(split="disease_holdout").negative_diseases() == "seen_dst"
    assert TrainConfig(split="random", negatives="seen_dst").negative_diseases() == "seen_dst"
