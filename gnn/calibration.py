"""Platt scaling: turn DistMult logits into probabilities at the real prevalence of the relation.

Fitted on the validation fold only: its positives against every pair that is not a training positive, so
the base rate the probabilities reflect is the real one (a few tenths of a percent for treats), not the
1:k ratio of sampled negatives the model trained on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from gnn.metrics import pair_mask


@dataclass(frozen=True)
class PlattScaling:
    slope: float
    intercept: float
    n_positive: int
    n_candidates: int
    brier: float

    def probability(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.slope * np.asarray(scores, dtype=np.float64) + self.intercept)))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def fit_platt(scores: np.ndarray, positives: np.ndarray, known: np.ndarray | None) -> PlattScaling:
    """Fit on ``positives`` (2, P) against all pairs not in ``known`` (2, K), e.g. the training edges."""
    candidates = ~pair_mask(known, scores.shape)
    labels = pair_mask(positives, scores.shape)[candidates].astype(np.int8)
    x = np.asarray(scores, dtype=np.float64)[candidates].reshape(-1, 1)
    if labels.sum() == 0:
        raise ValueError("calibration needs at least one validation positive")
    # Weak regularisation: two parameters, hundreds of thousands of rows.
    model = LogisticRegression(C=1e4, max_iter=1000).fit(x, labels)
    fitted = PlattScaling(
        float(model.coef_[0, 0]), float(model.intercept_[0]), int(labels.sum()), int(labels.size), 0.0
    )
    brier = float(np.mean((fitted.probability(x[:, 0]) - labels) ** 2))
    return PlattScaling(fitted.slope, fitted.intercept, fitted.n_positive, fitted.n_candidates, brier)
