"""Baselines scored in the same harness as the GNN.

The degree-product prior is the bar any link predictor must clear on drug repurposing: drugs that already
treat many diseases and diseases that already have many drugs attract the held-out edges too (Rephetio
reports 0.979 AUROC in-sample for this prior alone).
"""

from __future__ import annotations

import numpy as np


def degree_product_scores(train_edges: np.ndarray, num_src: int, num_dst: int) -> np.ndarray:
    """Degree-product prior for every (src, dst) pair.

    ``score[i, j] = deg_train(src i) * deg_train(dst j)``, where the degrees count *training* target edges
    only (val and test edges must not be passed in, or the prior sees the answers).

    Args:
        train_edges: int ``(2, E)`` training target edges (src index, dst index).
        num_src, num_dst: node counts of the two labels (e.g. drugs, diseases).

    Returns:
        float64 array of shape ``(num_src, num_dst)``.
    """
    train_edges = np.asarray(train_edges)
    src_deg = np.bincount(train_edges[0], minlength=num_src).astype(np.float64)
    dst_deg = np.bincount(train_edges[1], minlength=num_dst).astype(np.float64)
    return np.outer(src_deg, dst_deg)
