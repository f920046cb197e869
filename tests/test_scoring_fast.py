"""The hybrid's fast all-pairs scoring equals the former implementation it replaced.

``LinkPredictor.score_graph_block`` computes the path term in column blocks (``PathFeaturizer.blocks``) and runs
the path MLP on the pairs with a path only; ``_score_graph_block_reference`` is the former per-chunk
``PathBlock`` route. Both must give the same logits (``rtol = atol = 1e-5``) on the Hetionet sample, with
block and chunk sizes small enough that every boundary is crossed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from pmkg.gnn import TARGET
from pmkg.gnn import model as gnn_model
from pmkg.gnn.candidates import evaluation_candidates, prediction_candidates
from pmkg.gnn.path_features import DEFAULT_PATHS, PathBlock, PathFeaturizer, _support_reference
from pmkg.gnn.predict import score_all_pairs, score_candidates
from pmkg.gnn.train import train
from pmkg.kg.export import GraphExport

from tests.test_gnn_core import load_sample_export
from tests.test_gnn_paths import HYBRID, class_export

TOL = {"rtol": 1e-5, "atol": 1e-5}


@pytest.fixture(scope="module")
def export() -> GraphExport:
    return load_sample_export()


@pytest.fixture(scope="module")
def hybrid(export: GraphExport):
    return train(export, HYBRID, progress=False)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few diseases and MLP chunks of a few hundred pairs: every loop runs many times."""
    monkeypatch.setattr(gnn_model, "SCORE_BLOCK", 4000)
    monkeypatch.setattr(gnn_model, "MLP_CHUNK", 300)


def _both(hybrid, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    model, data = hybrid.model, hybrid.data
    model.eval()
    with torch.no_grad():
        h = model.embed(data)
        src, dst = torch.from_numpy(rows), torch.from_numpy(cols)
        fast = model.score_graph_block(data, h, src, dst).numpy()
        ref = model._score_graph_block_reference(data, h, src, dst).numpy()
    return fast, ref


def test_fast_scoring_equals_the_reference_on_every_pair(hybrid, export: GraphExport) -> None:
    fast = score_all_pairs(hybrid)
    ref = score_all_pairs(hybrid, reference=True)
    assert fast.shape == (export.num_nodes("Drug"), export.num_nodes("Disease")) and fast.dtype == np.float32
    np.testing.assert_allclose(fast, ref, **TOL)
    # The path term is in both: pairs with a path differ from DistMult alone.
    h = hybrid.model.embed(hybrid.data)
    plain = hybrid.model.decoder.all_pairs(h["Drug"], h["Disease"]).detach().numpy()
    assert not np.allclose(plain, fast)


@pytest.mark.usefixtures("small_blocks")
def test_fast_scoring_equals_the_reference_across_blocks_and_chunks(hybrid, export: GraphExport) -> None:
    for cands in (prediction_candidates(export, TARGET, "all"), evaluation_candidates(export, TARGET)):
        fast, ref = _both(hybrid, cands.src, cands.dst)
        np.testing.assert_allclose(fast, ref, **TOL)
        np.testing.assert_allclose(score_candidates(hybrid.model, hybrid.data, cands),
                                   score_candidates(hybrid.model, hybrid.data, cands, reference=True), **TOL)


@pytest.mark.usefixtures("small_blocks")
def test_fast_scoring_of_unsorted_repeated_and_empty_selections(hybrid, export: GraphExport) -> None:
    rng = np.random.default_rng(0)
    rows = rng.permutation(export.num_nodes("Drug"))[:57]
    cols = rng.integers(0, export.num_nodes("Disease"), 200)  # unsorted, with repeats
    fast, ref = _both(hybrid, rows, cols)
    np.testing.assert_allclose(fast, ref, **TOL)
    fast, ref = _both(hybrid, rows[:1], cols[:1])
    np.testing.assert_allclose(fast, ref, **TOL)
    fast, ref = _both(hybrid, rows, np.zeros(0, dtype=np.int64))
    assert fast.shape == ref.shape == (rows.size, 0)


def test_fast_scoring_of_a_pure_gnn_is_distmult(hybrid) -> None:
    model, data = hybrid.model, hybrid.data
    plain = gnn_model.LinkPredictor.from_hparams({**model.hparams, "paths": []})
    h = plain.embed(data)
    rows, cols = torch.arange(10), torch.arange(20)
    np.testing.assert_array_equal(plain.score_graph_block(data, h, rows, cols).detach().numpy(),
                                  plain.decoder.all_pairs(h["Drug"][rows], h["Disease"][cols]).detach().numpy())


def test_column_blocks_equal_one_block(hybrid, export: GraphExport) -> None:
    featurizer = PathFeaturizer(hybrid.data, TARGET, DEFAULT_PATHS)
    rows = np.arange(export.num_nodes("Drug"))
    cols = np.arange(export.num_nodes("Disease"))
    # The epoch's world (some target edges hidden) goes through the same route.
    visible = hybrid.split.train[:, ::2]
    for target_edges in (None, visible):
        whole = featurizer.block(rows, cols, target_edges)
        assert sum(m.nnz for m in whole.mats) > 0
        starts = []
        for start, block in featurizer.blocks(rows, cols, 37, target_edges):
            starts.append(start)
            part = featurizer.block(rows, cols[start : start + 37], target_edges)
            np.testing.assert_array_equal(block.cols, part.cols)
            for name, got, want in zip(DEFAULT_PATHS, block.mats, part.mats, strict=True):
                assert isinstance(got, sp.csr_matrix) and got.dtype == np.float32
                np.testing.assert_allclose(got.toarray(), want.toarray(), rtol=1e-6, err_msg=name)
        assert starts == list(range(0, cols.size, 37))


def test_support_equals_the_unique_based_reference(hybrid, export: GraphExport) -> None:
    featurizer = PathFeaturizer(hybrid.data, TARGET, DEFAULT_PATHS)
    cands = prediction_candidates(export, TARGET, "all")
    blocks = [featurizer.block(cands.src, cands.dst), featurizer.block(cands.src, cands.dst[:3]),
              featurizer.block(cands.src, []), featurizer.block(np.arange(4), np.arange(3), np.zeros((2, 0), int))]
    for block in blocks:
        got, want = block.support(), _support_reference(block)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
        i, j, pair, k, value = block.support_entries()
        assert np.all(np.diff(pair) >= 0) and value.dtype == np.float32
        np.testing.assert_array_equal(got[2][pair, k], value)


def test_support_logits_equal_the_dense_block(hybrid, export: GraphExport, monkeypatch) -> None:
    monkeypatch.setattr(gnn_model, "MLP_CHUNK", 7)
    scorer = hybrid.model.path_scorer
    cands = evaluation_candidates(export, TARGET)
    block = PathFeaturizer(hybrid.data, TARGET, DEFAULT_PATHS).block(cands.src, cands.dst)
    with torch.no_grad():
        dense = scorer.block(block).numpy()
        i, j, logits = scorer.support_logits(block)
        zero = scorer(torch.zeros(1, len(DEFAULT_PATHS))).item()
    assert i.size > 0
    np.testing.assert_allclose(logits.numpy(), dense[i, j], **TOL)
    off = np.ones(dense.shape, dtype=bool)
    off[i, j] = False
    np.testing.assert_array_equal(dense[off], np.float32(zero))


def test_hand_checked_export_scores_the_same_both_ways() -> None:
    export = class_export()
    result = train(export, replace(HYBRID, split="none", epochs=1), progress=False)
    np.testing.assert_allclose(score_all_pairs(result), score_all_pairs(result, reference=True), **TOL)


def test_an_empty_path_block_has_an_empty_support() -> None:
    block = PathBlock(np.arange(3), np.arange(2), [sp.csr_matrix((3, 2), dtype=np.float32)] * 4)
    i, j, pair, k, value = block.support_entries()
    assert i.size == j.size == pair.size == k.size == value.size == 0
    assert block.support()[2].shape == (0, 4)
