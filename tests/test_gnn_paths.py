"""The hybrid decoder's path features: DWPC by hand, leakage safety, and the hybrid model end to end.

Hand-checked tests use a 4-drug export; the trained ones use the Hetionet + PharmacotherapyDB sample.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from pmkg.gnn import TARGET
from pmkg.gnn import model as gnn_model
from pmkg.gnn.artifacts import load_model, save_model
from pmkg.gnn.candidates import Candidates
from pmkg.gnn.data import to_heterodata
from pmkg.gnn.dwpc import DWPCFeatures
from pmkg.gnn.evaluate import held_out_scores
from pmkg.gnn.path_features import DEFAULT_PATHS, PathFeaturizer
from pmkg.gnn.predict import score_all_pairs, score_candidates
from pmkg.gnn.train import TrainConfig, derived_graph, hidden_positives, train
from pmkg.kg.export import GraphExport

from tests.test_gnn_core import load_sample_export
from tests.test_gnn_eval import without_edges

IN_CLASS = ("Drug", "IN_CLASS", "PharmacologicClass")
HYBRID = TrainConfig(epochs=3, patience=100, threads=1, hidden=16, paths=DEFAULT_PATHS, path_hidden=8)


def class_export() -> GraphExport:
    """D0 and D1 share class P; D1 treats disease 0, D2 treats disease 1; D3 has only a gene."""
    return GraphExport(
        node_ids={
            "Drug": [f"DRUGBANK:D{i}" for i in range(4)],
            "Disease": ["DOID:0", "DOID:1", "DOID:2"],
            "PharmacologicClass": ["NDFRT:P"],
            "Gene": ["NCBIGene:0"],
        },
        edges={
            TARGET: np.array([[1, 2], [0, 1]]),
            IN_CLASS: np.array([[0, 1], [0, 0]]),
            ("Drug", "TARGETS", "Gene"): np.array([[3], [0]]),
            ("Disease", "RESEMBLES", "Disease"): np.array([[0], [2]]),
        },
    )


def features(export: GraphExport, rows=None, cols=None, target_edges=None) -> dict[str, np.ndarray]:
    data = to_heterodata(export)
    rows = np.arange(export.num_nodes("Drug")) if rows is None else rows
    cols = np.arange(export.num_nodes("Disease")) if cols is None else cols
    block = PathFeaturizer(data, TARGET, DEFAULT_PATHS).block(rows, cols, target_edges)
    return dict(zip(DEFAULT_PATHS, np.moveaxis(block.dense(), 2, 0), strict=True))


def test_path_counts_by_hand_and_equal_to_the_dwpc_baseline() -> None:
    export = class_export()
    f = features(export)
    # D0 -IN_CLASS- P -IN_CLASS- D1 -TREATS- disease 0: degrees (1·2)^-0.4 · (2·1)^-0.4 · (1·1)^-0.4.
    assert f["CiPCiCtD"][0, 0] == pytest.approx(2**-0.8)
    assert f["CiPCiCtD"][0, 1] == 0.0 and f["CiPCiCtD"][3].sum() == 0.0
    # D1 -TREATS- disease 0 -RESEMBLES- disease 2 (each step has degree 1 at both ends).
    assert f["CtDrD"][1, 2] == pytest.approx(1.0)
    # Relations the graph lacks give zeros, not an error: the feature vector keeps its length.
    assert f["CcSEcCtD"].sum() == 0.0 and f["CsCtD"].sum() == 0.0
    # The baseline's implementation (export edges, dense blocks) agrees on every metapath both have.
    cands = Candidates(np.arange(4), np.arange(3))
    graph = {k: e for k, e in export.edges.items() if k != TARGET}
    ref = DWPCFeatures(export, graph, TARGET, cands).matrices(export.edges[TARGET])
    for name in set(ref) & set(f):
        np.testing.assert_allclose(f[name], ref[name], rtol=1e-6, err_msg=name)


def test_a_hidden_edge_never_counts_itself() -> None:
    export = class_export()
    own = np.array([[1], [0]])  # D1 treats disease 0
    visible = f_all = features(export)
    # With its edge visible, the pair reaches itself through its own class (D1-P-D1-disease 0): a label lookup.
    assert visible["CiPCiCtD"][1, 0] > 0
    hidden = export.edges[TARGET][:, 1:]
    f_hidden = features(export, target_edges=hidden)
    f_never = features(without_edges(export, TARGET, own))
    for name in DEFAULT_PATHS:
        np.testing.assert_array_equal(f_hidden[name], f_never[name], err_msg=name)
    assert f_hidden["CiPCiCtD"][1, 0] == 0.0 and f_hidden["CiPCiCtD"][0, 0] == 0.0
    assert f_all["CtDrD"][1, 2] > 0 and f_hidden["CtDrD"][1, 2] == 0.0


def test_epochs_hide_whole_diseases_in_zero_shot_splits() -> None:
    edges = np.array([[0, 1, 2, 3, 4, 5], [0, 0, 1, 1, 2, 2]])
    rng = np.random.default_rng(0)
    sup = hidden_positives(rng, edges, 0.34, True, np.array([0, 1, 2]))
    (disease,) = np.unique(sup[1])
    np.testing.assert_array_equal(sup, edges[:, edges[1] == disease])
    sup = hidden_positives(rng, edges, 0.5, False, np.array([0, 1, 2]))
    assert sup.shape[1] == 3


@pytest.fixture(scope="module")
def export() -> GraphExport:
    return load_sample_export()


@pytest.fixture(scope="module")
def hybrid(export: GraphExport):
    return train(export, HYBRID, progress=False)


def test_hybrid_path_counts_never_see_held_out_edges(export: GraphExport, hybrid) -> None:
    held = hybrid.split.held_out()
    never = derived_graph(without_edges(export, TARGET, held), {}, TARGET, HYBRID)
    cands = hybrid.test_candidates
    seen = PathFeaturizer(hybrid.data, TARGET, DEFAULT_PATHS).block(cands.src, cands.dst)
    clean = PathFeaturizer(never, TARGET, DEFAULT_PATHS).block(cands.src, cands.dst)
    assert sum(m.nnz for m in seen.mats) > 0
    np.testing.assert_array_equal(seen.dense(), clean.dense())
    # So are the test scores: the trained model on the graph where the held-out edges never existed.
    clean_scores = score_candidates(hybrid.model, never, cands)
    np.testing.assert_allclose(clean_scores, held_out_scores(hybrid), rtol=1e-5, atol=1e-5)


def test_hybrid_scores_every_pair_and_round_trips(export: GraphExport, hybrid, tmp_path: Path) -> None:
    model = hybrid.model
    assert model.path_scorer is not None and torch.all(model.path_scorer.scale > 0)
    scores = score_all_pairs(hybrid)
    assert scores.shape == (export.num_nodes("Drug"), export.num_nodes("Disease")) and np.isfinite(scores).all()
    cands = hybrid.test_candidates
    np.testing.assert_allclose(scores[np.ix_(cands.src, cands.dst)], held_out_scores(hybrid), rtol=1e-5, atol=1e-5)
    # The path term moves scores: the same weights without it rank differently.
    h = model.embed(hybrid.data)
    plain = model.decoder.all_pairs(h["Drug"], h["Disease"]).detach().numpy()
    assert not np.allclose(plain, scores)
    model_dir = save_model(hybrid, tmp_path)
    assert "path counts on 20 metapaths" in (model_dir / "MODEL_CARD.md").read_text()
    loaded = load_model(model_dir)
    assert loaded.model.paths == list(DEFAULT_PATHS)
    np.testing.assert_array_equal(score_all_pairs(loaded.model, loaded.graph(export)), scores)


def test_chunked_scoring_of_a_large_block_matches_one_block(hybrid, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = score_all_pairs(hybrid)
    monkeypatch.setattr(gnn_model, "PAIR_CHUNK", 5000)  # ~3 diseases per chunk on the sample
    np.testing.assert_allclose(score_all_pairs(hybrid), whole, rtol=1e-6, atol=1e-6)


def test_pure_gnn_config_has_no_path_term(export: GraphExport) -> None:
    result = train(export, replace(HYBRID, paths=(), epochs=1), progress=False)
    assert result.model.path_scorer is None and result.model.hparams["paths"] == []


def test_an_epochs_hidden_diseases_lose_their_palliates_paths() -> None:
    import scipy.sparse as sp
    from pmkg.gnn.path_features import PathBlock
    from pmkg.gnn.train import without_pair_paths

    mats = [sp.csr_matrix(np.ones((2, 3))), sp.csr_matrix(np.full((2, 3), 2.0))]
    block = PathBlock(np.array([0, 1]), np.array([4, 5, 6]), mats)
    out = without_pair_paths(block, ["CpD", "CbGaD"], np.array([5]))
    np.testing.assert_array_equal(out.mats[0].toarray(), [[1, 0, 1], [1, 0, 1]])
    np.testing.assert_array_equal(out.mats[1].toarray(), mats[1].toarray())


def test_zero_shot_training_with_paths_hides_whole_diseases(export: GraphExport) -> None:
    config = TrainConfig(epochs=2, hidden=16, threads=1, split="disease_holdout", patience=5)
    result = train(export, config, progress=False)
    assert config.hides_diseases() and len(result.history) == 2
    assert all(np.isfinite(h["loss"]) for h in result.history)
