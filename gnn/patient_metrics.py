"""Drug-patient ranking metrics, the same for the model and every baseline.

For a score matrix ``scores[patient, drug]`` over **all** drugs (no candidate filtering: a new patient has no
known benefits), with drugs ordered by descending score and ties broken by the lower drug index:

- **Recall@k**: per patient with at least one positive, ``|top-k ∩ positives| / min(k, |positives|)``, averaged
  over those patients (the ``min`` keeps a patient with 30 indicated drugs from capping recall at 1/3).
- **MRR**: mean over those patients of ``1 / rank`` of their best-ranked positive.
- **CPIC agreement@k**: over (patient, drug) pairs that a CPIC recommendation for the patient's genotype says to
  avoid or replace, the fraction whose drug is *not* in the patient's top k. ``..._indicated`` restricts it to
  pairs where the drug is also indicated for the patient's diagnosis, the case a PGx-blind ranker gets wrong.
"""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's ``k`` best columns, best first (ties: lower index first). Shape ``(P, k)``."""
    order = np.argsort(-scores, axis=1, kind="stable")
    return order[:, :k]


def _by_row(pairs: np.ndarray, num_rows: int) -> list[np.ndarray]:
    out: list[list[int]] = [[] for _ in range(num_rows)]
    for row, col in pairs.T:
        out[int(row)].append(int(col))
    return [np.asarray(cols, dtype=np.int64) for cols in out]


def ranking_metrics(scores: np.ndarray, positives: np.ndarray, k: int = 10) -> dict[str, float]:
    """``scores`` (P, D); ``positives`` (2, N) of (row, drug). See the module docstring."""
    recalls, reciprocal = per_row_ranking(scores, positives, k)
    return {
        f"recall@{k}": float(np.mean(recalls)) if recalls.size else float("nan"),
        "mrr": float(np.mean(reciprocal)) if reciprocal.size else float("nan"),
        "patients": int(recalls.size),
    }


def per_row_ranking(scores: np.ndarray, positives: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Recall@k and reciprocal rank of the best positive for every row that has a positive (for intervals)."""
    num_rows = scores.shape[0]
    best = top_k(scores, k)
    recalls, reciprocal = [], []
    order = np.argsort(-scores, axis=1, kind="stable")
    rank_of = np.empty_like(order)
    np.put_along_axis(rank_of, order, np.arange(1, scores.shape[1] + 1)[None, :].repeat(num_rows, 0), axis=1)
    for row, cols in enumerate(_by_row(positives, num_rows)):
        if cols.size == 0:
            continue
        recalls.append(np.isin(best[row], cols).sum() / min(k, cols.size))
        reciprocal.append(1.0 / rank_of[row, cols].min())
    return np.asarray(recalls, dtype=np.float64), np.asarray(reciprocal, dtype=np.float64)


def cpic_agreement(
    scores: np.ndarray, contraindicated: np.ndarray, indicated: np.ndarray, k: int = 10
) -> dict[str, float]:
    """Fraction of CPIC avoid/alternative pairs kept out of the top ``k`` (all such pairs; indicated ones)."""
    best = top_k(scores, k)
    in_top = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(in_top, best, True, axis=1)
    out: dict[str, float] = {}
    n_drugs = scores.shape[1]
    indicated_codes = indicated[0] * n_drugs + indicated[1] if indicated.size else np.zeros(0, dtype=np.int64)
    for name, pairs in (
        ("", contraindicated),
        ("_indicated", contraindicated[:, np.isin(contraindicated[0] * n_drugs + contraindicated[1], indicated_codes)]),
    ):
        hits = in_top[pairs[0], pairs[1]] if pairs.size else np.zeros(0, dtype=bool)
        out[f"cpic_agreement{name}@{k}"] = float(1.0 - hits.mean()) if hits.size else float("nan")
        out[f"cpic_pairs{name}"] = int(hits.size)
    return out
