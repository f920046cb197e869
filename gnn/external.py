"""Metrics against an external indication list: pairs ranked over a universe, with bootstrap intervals over diseases.

Rephetio's external-validation protocol, for a score matrix ``scores[drug, disease]``:

- the **universe** is a boolean matrix of the pairs being ranked (e.g. every Hetionet compound × disease) with
  the model's training pairs already removed: a pair the model was told about is no test of it;
- **positives** are the universe pairs in the external list; every other universe pair counts as negative;
- **AUROC / AUPRC** over all universe pairs at once (one global ranking, as Rephetio reports it);
- **Recall@k per disease**: the share of a disease's external positives among its top ``k`` universe drugs,
  divided by ``min(k, positives)`` rather than by the positives, so a disease with more than ``k`` positives
  can reach 1; averaged over diseases with a positive;
- **95% intervals** from a bootstrap over diseases (diseases drawn with replacement, all their pairs with them),
  and for two scorers a **paired** interval of their AUROC difference over the same draws. Pairs of one disease
  are not independent, so resampling pairs would make the intervals too narrow.
"""

from __future__ import annotations

import numpy as np
from pmkg.gnn.metrics import auprc, auroc

RECALL_KS = (10, 50, 100)


def _weighted_auroc(order: np.ndarray, labels: np.ndarray, ties: np.ndarray, weights: np.ndarray) -> float:
    """AUROC where pair ``i`` counts ``weights[i]`` times; ``order`` sorts the scores ascending and ``ties`` gives
    each sorted position the index of its tie group's first member, so tied pairs count half."""
    w = weights[order]
    pos = labels[order]
    neg_w = np.where(pos, 0.0, w)
    pos_w = np.where(pos, w, 0.0)
    neg_before = np.concatenate([[0.0], np.cumsum(neg_w)])
    # negatives strictly below a position's tie group, plus half of the negatives inside it
    group_start = ties
    group_end = np.empty_like(ties)
    boundaries = np.flatnonzero(np.diff(ties)) + 1
    ends = np.append(boundaries, ties.size)
    starts = np.concatenate([[0], boundaries])
    group_end[:] = np.repeat(ends, ends - starts)
    below = neg_before[group_start]
    inside = neg_before[group_end] - neg_before[group_start]
    total_pos, total_neg = pos_w.sum(), neg_w.sum()
    if total_pos == 0 or total_neg == 0:
        return float("nan")
    return float(np.sum(pos_w * (below + inside / 2.0)) / (total_pos * total_neg))


def _sorted_ties(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    new_group = np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]])
    first = np.maximum.accumulate(np.where(new_group, np.arange(values.size), 0))
    return order, first


def recall_at_k(scores: np.ndarray, positives: np.ndarray, universe: np.ndarray, k: int) -> np.ndarray:
    """Per disease with a positive: positives in its top ``k`` universe drugs over ``min(k, positives)``."""
    out = []
    for d in np.flatnonzero((positives & universe).any(axis=0)):
        rows = np.flatnonzero(universe[:, d])
        col = scores[rows, d]
        top = rows[np.argsort(-col, kind="stable")[:k]]
        n_pos = int(positives[rows, d].sum())
        out.append(positives[top, d].sum() / min(k, n_pos))
    return np.asarray(out, dtype=np.float64)


def external_metrics(
    scores: dict[str, np.ndarray],
    positives: np.ndarray,
    universe: np.ndarray,
    reference: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    recall_ks: tuple[int, ...] = RECALL_KS,
) -> dict[str, dict[str, float]]:
    """Metrics of each scorer in ``scores`` (name → ``(drugs, diseases)`` matrix) over the ``universe`` pairs.

    Returns per scorer: ``auroc`` with ``auroc_lo``/``auroc_hi`` (95% bootstrap over diseases), ``auprc``,
    ``recall@k``, ``n_pos``, ``n_pairs``, ``n_diseases``, ``prevalence``; with a ``reference`` scorer, also the
    paired AUROC difference to it (``delta_auroc`` and its interval) and the share of draws where it is not
    positive (``p_not_better``, a one-sided bootstrap p-value).
    """
    positives = positives & universe
    diseases = np.flatnonzero(universe.any(axis=0))
    dst_of_pair = np.broadcast_to(np.arange(universe.shape[1]), universe.shape)[universe]
    labels = positives[universe]
    rng = np.random.default_rng(seed)
    # One draw = how many times each disease was drawn; the same draws for every scorer (paired).
    draws = np.zeros((n_boot, universe.shape[1]))
    for b in range(n_boot):
        np.add.at(draws[b], rng.choice(diseases, diseases.size, replace=True), 1.0)
    boot: dict[str, np.ndarray] = {}
    out: dict[str, dict[str, float]] = {}
    for name, matrix in scores.items():
        values = np.asarray(matrix, dtype=np.float64)[universe]
        order, ties = _sorted_ties(values)
        boot[name] = np.array([_weighted_auroc(order, labels, ties, draws[b][dst_of_pair]) for b in range(n_boot)])
        row = {
            "auroc": auroc(labels, values),
            "auroc_lo": float(np.nanpercentile(boot[name], 2.5)),
            "auroc_hi": float(np.nanpercentile(boot[name], 97.5)),
            "auprc": auprc(labels, values),
        }
        for k in recall_ks:
            per_disease = recall_at_k(np.asarray(matrix, dtype=np.float64), positives, universe, k)
            row[f"recall@{k}"] = float(per_disease.mean()) if per_disease.size else float("nan")
        row.update(n_pos=int(labels.sum()), n_pairs=int(labels.size),
                   n_diseases=int(positives.any(axis=0).sum()), prevalence=float(labels.mean()))
        out[name] = row
    if reference is not None and reference in boot:
        for name, row in out.items():
            if name == reference:
                continue
            delta = boot[name] - boot[reference]
            row["delta_auroc"] = row["auroc"] - out[reference]["auroc"]
            row["delta_auroc_lo"] = float(np.nanpercentile(delta, 2.5))
            row["delta_auroc_hi"] = float(np.nanpercentile(delta, 97.5))
            row["p_not_better"] = float(np.mean(delta <= 0))
    return out


def roc_points(labels: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates of the ROC curve (for plots)."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(labels, values)
    return fpr, tpr
