"""Link-prediction metrics over the full candidate set, the same for the GNN and every baseline.

Protocol (``evaluate_ranking``), for a score matrix ``scores[src, dst]`` (e.g. drugs × diseases):

- **Candidates** are all ``(src, dst)`` pairs except the *known* positives (train, and val when testing).
  Known pairs are filtered out because the model was told about them; ranking them first is no merit.
- **Labels**: a candidate is positive iff it is one of the evaluated positives (e.g. the test edges).
  Every other candidate counts as negative: it is the real ranking task, not sampled negatives.
- **AUROC / AUPRC** (scikit-learn ``roc_auc_score`` / ``average_precision_score``) over all candidates.
- **MRR, Hits@k** (filtered, per positive edge): for a positive ``(d, s)``, its rank among all candidate
  sources of column ``s`` after also removing the *other* positives of ``s`` (the standard filtered setting
  of Bordes et al. 2013), so one disease's several test drugs do not push each other down.
  ``mrr`` averages ``1/rank`` over positive edges; ``mrr_macro`` first averages within each destination
  (disease), then across destinations, so diseases with many test drugs do not dominate.
- **Recall@k** (per destination, TxGNN-style): a disease's positives among its top ``k`` candidates (other
  positives *not* removed) over ``min(k, positives)``, so a disease with more than ``k`` positives can reach 1;
  averaged over diseases that have positives.
- **Intervals**: ``mrr_macro`` and ``recall@k`` also get a 95% bootstrap interval over destinations
  (``*_lo``/``*_hi``): diseases, not pairs, are the independent units.
- **Ties** get the mean rank of their tie group (1 + #higher + #tied/2). A constant scorer thus ranks at the
  middle instead of first, which matters for the degree prior: every drug with no training edge ties at 0.
- ``auprc_1to1_sampled``: TxGNN's number, AUPRC of the positives against an equal number of uniformly
  sampled negative candidates (seeded). It reads far higher than the full-ranking AUPRC and is reported
  under its own name only for comparison with that paper.
"""

from __future__ import annotations

import numpy as np
from pmkg.gnn.candidates import Candidates
from sklearn.metrics import average_precision_score, roc_auc_score


def auroc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve; NaN when only one class is present."""
    labels = np.asarray(labels)
    if labels.min() == labels.max():
        return float("nan")
    return float(roc_auc_score(labels, scores))


def auprc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision (area under the precision–recall curve); NaN without positives."""
    labels = np.asarray(labels)
    if labels.max() == 0:
        return float("nan")
    return float(average_precision_score(labels, scores))


def pair_mask(pairs: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """Boolean ``shape`` matrix, True at every ``(src, dst)`` column of ``pairs`` (2, E)."""
    mask = np.zeros(shape, dtype=bool)
    if pairs is not None and np.asarray(pairs).size:
        pairs = np.asarray(pairs)
        mask[pairs[0], pairs[1]] = True
    return mask


def rank_auroc(pos_scores: np.ndarray, neg_scores: np.ndarray) -> float:
    """AUROC as the Mann–Whitney statistic: P(pos > neg) + P(pos == neg) / 2.

    Equal to scikit-learn's value; one sort of the negatives plus a binary search per positive, which
    is several times faster than ``roc_auc_score`` when positives are few (early stopping calls it every epoch).
    """
    if pos_scores.size == 0 or neg_scores.size == 0:
        return float("nan")
    neg = np.sort(neg_scores)
    below = np.searchsorted(neg, pos_scores, side="left")
    tied = np.searchsorted(neg, pos_scores, side="right") - below
    return float(np.mean((below + tied / 2.0) / neg.size))


def candidate_auroc(scores: np.ndarray, positives: np.ndarray, known: np.ndarray | None) -> float:
    """AUROC of ``positives`` against every pair that is neither known nor positive (for early stopping)."""
    negatives = ~pair_mask(known, scores.shape)
    pos = pair_mask(positives, scores.shape)
    negatives &= ~pos
    return rank_auroc(scores[pos], scores[negatives])


def evaluate_ranking(
    scores: np.ndarray,
    positives: np.ndarray,
    known: np.ndarray | None,
    ks: tuple[int, ...] = (1, 3, 10),
    recall_ks: tuple[int, ...] = (10, 50, 100),
    seed: int = 0,
    details: dict | None = None,
) -> dict[str, float]:
    """All metrics of the module protocol for one score matrix.

    Args:
        scores: float ``(num_src, num_dst)``; higher means more likely.
        positives: int ``(2, P)`` evaluated positive pairs (test or val edges).
        known: int ``(2, K)`` pairs to filter out of the candidates (train, plus val when testing), or None.
        ks: cut-offs for filtered Hits@k.
        recall_ks: cut-offs for per-destination Recall@k.
        seed: for the 1:1 sampled-negative AUPRC only.
        details: if given, filled with per-destination arrays for plots: ``dst`` (destination indices),
            ``recall@k`` (per destination), and ``pos_scores``/``neg_sample`` for ROC/PR curves.

    Returns:
        ``auroc, auprc, mrr, mrr_macro, hits@k..., recall@k..., auprc_1to1_sampled, n_pos, n_candidates,
        prevalence``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    positives = np.asarray(positives)
    known_mask = pair_mask(known, scores.shape)
    pos_mask = pair_mask(positives, scores.shape)
    if np.any(known_mask & pos_mask):
        raise ValueError("evaluated positives overlap the known (filtered) pairs; the split is inconsistent")
    candidates = ~known_mask
    labels = pos_mask[candidates]
    cand_scores = scores[candidates]
    out: dict[str, float] = {
        "auroc": auroc(labels, cand_scores),
        "auprc": auprc(labels, cand_scores),
    }

    filtered_ranks, raw_ranks, per_dst_rr, per_dst_recall = [], [], [], {k: [] for k in recall_ks}
    for s in np.unique(positives[1]):
        col = scores[:, s]
        pos_rows = positives[0][positives[1] == s]
        pos_scores = col[pos_rows]
        # Negatives of this column: candidates that are not positives. Sorted once, searched per positive.
        neg = np.sort(col[candidates[:, s] & ~pos_mask[:, s]])
        higher = len(neg) - np.searchsorted(neg, pos_scores, side="right")
        tied = np.searchsorted(neg, pos_scores, side="right") - np.searchsorted(neg, pos_scores, side="left")
        filt = 1.0 + higher + tied / 2.0
        # Unfiltered w.r.t. the other positives of this column (for Recall@k only).
        others_higher = (pos_scores[None, :] > pos_scores[:, None]).sum(axis=1)
        others_tied = (pos_scores[None, :] == pos_scores[:, None]).sum(axis=1) - 1
        raw = filt + others_higher + others_tied / 2.0
        filtered_ranks.append(filt)
        raw_ranks.append(raw)
        per_dst_rr.append(float(np.mean(1.0 / filt)))
        for k in recall_ks:
            per_dst_recall[k].append(float(np.sum(raw <= k) / min(k, raw.size)))

    if details is not None:
        details["dst"] = np.unique(positives[1])
        for k in recall_ks:
            details[f"recall@{k}"] = np.asarray(per_dst_recall[k])
        details["labels"], details["scores"] = labels, cand_scores
    ranks = np.concatenate(filtered_ranks) if filtered_ranks else np.array([])
    out["mrr"] = float(np.mean(1.0 / ranks)) if ranks.size else float("nan")
    out["mrr_macro"] = float(np.mean(per_dst_rr)) if per_dst_rr else float("nan")
    out["mrr_macro_lo"], out["mrr_macro_hi"] = bootstrap_interval(np.asarray(per_dst_rr), seed)
    for k in ks:
        out[f"hits@{k}"] = float(np.mean(ranks <= k)) if ranks.size else float("nan")
    for k in recall_ks:
        out[f"recall@{k}"] = float(np.mean(per_dst_recall[k])) if per_dst_recall[k] else float("nan")
        out[f"recall@{k}_lo"], out[f"recall@{k}_hi"] = bootstrap_interval(np.asarray(per_dst_recall[k]), seed)
    out["auprc_1to1_sampled"] = _sampled_auprc(cand_scores, labels, seed)
    out["n_pos"] = int(labels.sum())
    out["n_candidates"] = int(candidates.sum())
    out["prevalence"] = float(labels.mean()) if labels.size else float("nan")
    return out


def bootstrap_interval(per_unit: np.ndarray, seed: int = 0, n_boot: int = 1000) -> tuple[float, float]:
    """95% percentile interval of the mean of ``per_unit`` (one value per disease), units drawn with replacement."""
    if per_unit.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = per_unit[rng.integers(0, per_unit.size, (n_boot, per_unit.size))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def evaluate_candidates(
    scores: np.ndarray,
    candidates: Candidates,
    positives: np.ndarray,
    known: np.ndarray | None,
    seed: int = 0,
    details: dict | None = None,
) -> dict[str, float]:
    """:func:`evaluate_ranking` over the candidate pairs only.

    ``scores`` is the ``(len(candidates.src), len(candidates.dst))`` matrix of candidate pairs; ``positives``
    and ``known`` are in full node indices. Positives outside the candidates are counted (``n_pos_outside``).
    """
    pos, outside = candidates.restrict(positives)
    known_sub, _ = candidates.restrict(known) if known is not None else (None, 0)
    out = evaluate_ranking(scores, pos, known_sub, seed=seed, details=details)
    out["n_pos_outside"] = outside
    return out


def _sampled_auprc(cand_scores: np.ndarray, labels: np.ndarray, seed: int) -> float:
    pos, neg = cand_scores[labels], cand_scores[~labels]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    rng = np.random.default_rng(seed)
    sampled = rng.choice(neg, size=min(pos.size, neg.size), replace=False)
    y = np.concatenate([np.ones(pos.size, dtype=bool), np.zeros(sampled.size, dtype=bool)])
    return auprc(y, np.concatenate([pos, sampled]))
