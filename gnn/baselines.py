"""The degree-product prior, scored in the same harness as the GNN.

The degree-product prior is the bar any link predictor must clear on drug repurposing: drugs that already
treat many diseases and diseases that already have many drugs attract the held-out edges too (Rephetio
reports 0.979 AUROC in-sample for this prior alone). The other baselines live in :mod:`gnn.dwpc` and
:mod:`gnn.kge`.
"""

from __future__ import annotations

import numpy as np


def degree_product_scores(train_edges: np.ndarray, num_src: int, num_dst: int) -> np.ndarray:
    """Degree-product prior for every (src, dst) pair, ties broken by the source's degree.

    ``score[i, j] = deg_train(src i) * deg_train(dst j) + deg_train(src i) / (max_src_degree + 1)``, where
    the degrees count *training* target edges only (val and test edges must not be passed in, or the prior
    sees the answers). The second term is below 1, so it never reorders two different products; it only
    orders drugs within a disease of training degree 0 (every held-out disease under a disease holdout) by
    their popularity, which is the prior's best guess there instead of an all-way tie.

    Args:
        train_edges: int ``(2, E)`` training target edges (src index, dst index).
        num_src, num_dst: node counts of the two labels (e.g. drugs, diseases).

    Returns:
        float64 array of shape ``(num_src, num_dst)``.
    """
    train_edges = np.asarray(train_edges)
    src_deg = np.bincount(train_edges[0], minlength=num_src).astype(np.float64)
    dst_deg = np.bincount(train_edges[1], minlength=num_dst).astype(np.float64)
    tie_break = src_deg / (src_deg.max(initial=0.0) + 1.0)
    return np.outer(src_deg, dst_deg) + tie_break[:, None]
