"""How well a ranked differential diagnosis places a patient's recorded disease: tie-aware top-k and MRR.

A ranker gives each patient a score per disease of its universe (``(P, N)``). A patient's label is a set of
columns (its recorded disease; empty when the ranker's universe lacks it). The best-scored label counts. Ties
are broken uniformly at random *in expectation*, so a ranker that gives every disease the same score gets the
random baseline, never a lucky top 1: with ``g`` diseases scored higher and ``t`` others tied, the label's
position is uniform on ``g+1 .. g+t+1``, so ``P(top k) = clip((k - g) / (t + 1), 0, 1)`` and
``E[1/rank] = (H(g+t+1) - H(g)) / (t + 1)`` (``H`` the harmonic numbers). A patient whose label the universe
lacks scores 0 on every metric; it still counts in the denominator.

95% intervals are percentile bootstraps over patients (seeded); :func:`paired_bootstrap` gives the interval of
a difference between two rankers on the same patients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma

EULER = 0.5772156649015329


def harmonic(n: np.ndarray) -> np.ndarray:
    """``H(n) = 1 + 1/2 + ... + 1/n`` (``H(0) = 0``), for integer arrays."""
    n = np.asarray(n, dtype=np.float64)
    return np.where(n > 0, digamma(n + 1) + EULER, 0.0)


@dataclass
class LabelRanks:
    """Per patient: diseases scored above the best label (``greater``), others tied with it (``ties``), and
    whether the universe holds a label at all (``rankable``)."""

    greater: np.ndarray
    ties: np.ndarray
    rankable: np.ndarray

    def top_k(self, k: int) -> np.ndarray:
        """``(P,)`` expected hit of the top ``k`` (0 for a patient the universe cannot rank)."""
        hit = np.clip((k - self.greater) / (self.ties + 1), 0.0, 1.0)
        return np.where(self.rankable, hit, 0.0)

    def reciprocal_rank(self) -> np.ndarray:
        """``(P,)`` expected reciprocal rank (0 when unrankable)."""
        rr = (harmonic(self.greater + self.ties + 1) - harmonic(self.greater)) / (self.ties + 1)
        return np.where(self.rankable, rr, 0.0)

    def rank(self) -> np.ndarray:
        """``(P,)`` expected rank (``inf`` when unrankable)."""
        return np.where(self.rankable, self.greater + 1 + self.ties / 2, np.inf)


def label_ranks(scores: np.ndarray, labels: Sequence[Sequence[int]]) -> LabelRanks:
    """Ranks of each patient's best-scored label among the columns of ``scores`` (see the module docstring)."""
    scores = np.asarray(scores)
    if scores.ndim != 2 or scores.shape[0] != len(labels):
        raise ValueError(f"scores must be (patients, diseases) with one row per label set; got {scores.shape} "
                         f"for {len(labels)} label sets")  # fmt: skip
    n = len(labels)
    greater, ties, rankable = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    for row, columns in enumerate(labels):
        columns = np.asarray(list(columns), dtype=np.int64)
        if columns.size == 0:
            continue
        best = scores[row, columns].max()
        greater[row] = np.count_nonzero(scores[row] > best)
        ties[row] = np.count_nonzero(scores[row] == best) - 1
        rankable[row] = True
    return LabelRanks(greater, ties, rankable)


def bootstrap_mean(values: np.ndarray, samples: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean and its 95% percentile-bootstrap interval over the entries (patients)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(samples, values.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(low), float(high)


def paired_bootstrap(a: np.ndarray, b: np.ndarray, samples: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """``(mean(a - b), low, high)`` over the same patients resampled together."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("paired values must have the same shape (one per patient)")
    return bootstrap_mean(a - b, samples, seed)
