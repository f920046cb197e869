"""Score every (drug, disease) pair, rank drugs per disease, and take the top k.

All functions are vectorised: one matrix product for the scores, one stable sort per call for the ranks.
Scores are the model's logits (DistMult, plus the path term of a hybrid model; ``sigmoid`` gives an
uncalibrated probability; the ranking is the same).
Ties are broken by the lower source index, the same way in :func:`rank_all` and :func:`top_k_per_disease`,
so a pair's rank in one equals its position in the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch
from pmkg.gnn.candidates import Candidates
from pmkg.gnn.metrics import pair_mask
from pmkg.gnn.model import LinkPredictor
from torch_geometric.data import HeteroData

if TYPE_CHECKING:
    from pmkg.gnn.train import TrainResult


class Prediction(NamedTuple):
    src: int  # drug index into node_ids[target[0]]
    dst: int  # disease index into node_ids[target[2]]
    score: float
    rank: int  # 1 = best for this disease, counted over non-excluded drugs


@torch.no_grad()
def score_all_pairs(
    result_or_model: TrainResult | LinkPredictor, data: HeteroData | None = None, *, reference: bool = False
) -> np.ndarray:
    """Logits for every (src, dst) pair of the target relation (DistMult, plus the path term of a hybrid).

    Args:
        result_or_model: a :class:`gnn.train.TrainResult` (its message-passing graph is used unless ``data``
            is given) or a bare :class:`LinkPredictor` (then ``data`` is required).
        data: the message-passing graph; it must be the graph the model was trained with (val/test edges
            removed), or evaluation leaks.
        reference: score with the former chunked path term
            (:meth:`LinkPredictor._score_graph_block_reference`, the same values, slower); for the bench.

    Returns:
        float32 array of shape ``(num_src, num_dst)``, e.g. (num_drugs, num_diseases).
    """
    if isinstance(result_or_model, LinkPredictor):
        model = result_or_model
    else:
        model = result_or_model.model
        data = result_or_model.data if data is None else data
    if data is None:
        raise ValueError("score_all_pairs: pass the message-passing HeteroData along with a bare model")
    was_training = model.training
    model.eval()
    try:
        h = model.embed(data)
        if not reference:
            return model.score_all(h, data).numpy()
        src, _, dst = model.target
        rows, cols = torch.arange(h[src].size(0)), torch.arange(h[dst].size(0))
        return model._score_graph_block_reference(data, h, rows, cols).numpy()
    finally:
        model.train(was_training)


@torch.no_grad()
def score_candidates(
    model: LinkPredictor, data: HeteroData, candidates: Candidates, *, reference: bool = False
) -> np.ndarray:
    """Logits for ``candidates.src`` × ``candidates.dst`` only, shape (S, D) float32: the block the TSV and
    the evaluation rank, without materialising all 4k × 14k pairs.

    A hybrid's path term is computed in column blocks (:meth:`LinkPredictor.score_graph_block`); memory is the
    ``(S, D)`` result plus one block's path counts. ``reference=True`` scores with the former implementation
    (:meth:`LinkPredictor._score_graph_block_reference`: the same values, about 5x slower on the full graph);
    it is kept for ``bench/bench_scoring.py`` and the equality tests.
    """
    was_training = model.training
    model.eval()
    try:
        h = model.embed(data)
        src, dst = torch.from_numpy(candidates.src), torch.from_numpy(candidates.dst)
        score = model._score_graph_block_reference if reference else model.score_graph_block
        return score(data, h, src, dst).numpy()
    finally:
        model.train(was_training)


def _order(scores: np.ndarray) -> np.ndarray:
    # Stable sort of the negated scores: descending, ties by ascending row index.
    return np.argsort(-scores, axis=0, kind="stable")


def rank_all(scores: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
    """Per-disease rank of every pair: ``ranks[i, j]`` is drug ``i``'s position for disease ``j`` (1 = best).

    Args:
        scores: ``(num_src, num_dst)``.
        exclude: optional int ``(2, E)`` pairs (e.g. known indications) that are left out of the ranking;
            they get rank 0 and do not push other drugs down.

    Returns:
        int64 array of the same shape.
    """
    scores = np.asarray(scores, dtype=np.float64)
    masked = scores.copy()
    excluded = pair_mask(exclude, scores.shape)
    masked[excluded] = -np.inf
    order = _order(masked)
    ranks = np.empty(scores.shape, dtype=np.int64)
    positions = np.broadcast_to(np.arange(1, scores.shape[0] + 1, dtype=np.int64)[:, None], scores.shape)
    np.put_along_axis(ranks, order, positions, axis=0)
    # Excluded pairs sort last (-inf), so the others' ranks are unaffected by them.
    ranks[excluded] = 0
    return ranks


def top_k_per_disease(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> list[Prediction]:
    """The ``k`` best drugs for every disease, skipping ``exclude`` pairs.

    Args:
        scores: ``(num_src, num_dst)``.
        k: drugs per disease (fewer when a disease has fewer non-excluded drugs).
        exclude: optional int ``(2, E)`` pairs to skip, e.g. the training indications.

    Returns:
        ``Prediction(src, dst, score, rank)`` tuples ordered by disease, then rank.
    """
    scores = np.asarray(scores)
    excluded = pair_mask(exclude, scores.shape)
    masked = scores.astype(np.float64, copy=True)
    masked[excluded] = -np.inf
    top = _order(masked)[:k]  # (k, num_dst) drug indices
    dst = np.broadcast_to(np.arange(scores.shape[1])[None, :], top.shape)
    rank = np.broadcast_to(np.arange(1, top.shape[0] + 1)[:, None], top.shape)
    keep = ~excluded[top, dst]
    # Column-major flattening: disease by disease, each in rank order.
    src_f, dst_f, rank_f, keep_f = (a.T.ravel() for a in (top, dst, rank, keep))
    return [
        Prediction(int(s), int(d), float(scores[s, d]), int(r))
        for s, d, r in zip(src_f[keep_f], dst_f[keep_f], rank_f[keep_f], strict=True)
    ]
