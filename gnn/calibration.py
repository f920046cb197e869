"""Calibration: turn logits into probabilities at the real prevalence of the relation.

Fitted on the validation fold only: its positives against every candidate pair that is not a training
positive, so the base rate the probabilities reflect is the real one (~0.3% for treats over candidate drugs
× indicated diseases), not the 1:k ratio of sampled negatives the model trained on.

- :class:`PlattScaling`: ``sigmoid(a * logit + b)``, two parameters, smooth and monotone (the default);
- :class:`IsotonicCalibration`: a monotone step function (scikit-learn ``IsotonicRegression``), stored as
  its breakpoints and interpolated; with a few dozen validation positives its steps are coarse.

- :class:`QuantileCalibration`: either of those fitted on out-of-fold score quantiles (:mod:`pmkg.gnn.crossfit`)
  and applied through the deployed model's own quantiles: the release model's calibrator.

All keep the ranking (monotone), so AUROC/MRR are unchanged. :func:`reliability` bins held-out pairs by
predicted probability (equal-count bins, since almost all pairs sit near zero) for the reliability plot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from pmkg.gnn.metrics import pair_mask
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

METHODS = ("platt", "isotonic")


@dataclass(frozen=True)
class PlattScaling:
    slope: float
    intercept: float
    n_positive: int
    n_candidates: int
    brier: float
    method: str = "platt"

    def probability(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.slope * np.asarray(scores, dtype=np.float64) + self.intercept)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IsotonicCalibration:
    x: list[float] = field(repr=False)
    y: list[float] = field(repr=False)
    n_positive: int = 0
    n_candidates: int = 0
    brier: float = 0.0
    method: str = "isotonic"

    def probability(self, scores: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(scores, dtype=np.float64), self.x, self.y)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class QuantileCalibration:
    """A calibrator fitted on score quantiles, applied through the deployed model's own score quantiles.

    ``reference`` is a sorted sample (evenly spaced quantiles) of the deployed model's logits over the candidate
    block the out-of-fold quantiles were taken on; a new logit maps to its quantile by interpolation, then to
    ``-log(1 - quantile)`` (which stretches the top, where the positives are) and through ``base``.
    """

    reference: list[float] = field(repr=False)
    base: PlattScaling | IsotonicCalibration
    provenance: str = ""
    method: str = "quantile"

    def quantile(self, scores: np.ndarray) -> np.ndarray:
        ref = np.asarray(self.reference, dtype=np.float64)
        return np.interp(np.asarray(scores, dtype=np.float64), ref, np.linspace(0.0, 1.0, ref.size))

    def probability(self, scores: np.ndarray) -> np.ndarray:
        return self.base.probability(tail_stretch(self.quantile(scores)))

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "reference": list(self.reference), "base": self.base.to_dict(),
                "provenance": self.provenance}


Calibration = PlattScaling | IsotonicCalibration | QuantileCalibration
REFERENCE_POINTS = 2001


def tail_stretch(quantiles: np.ndarray) -> np.ndarray:
    """``-log(1 - q)``, bounded: the top quantiles, where positives sit, get room to differ."""
    return -np.log1p(-np.clip(np.asarray(quantiles, dtype=np.float64), 0.0, 1.0 - 1e-9))


def fit_quantile_calibration(
    quantiles: np.ndarray, labels: np.ndarray, deployed_block: np.ndarray, method: str = "platt", provenance: str = ""
) -> QuantileCalibration:
    """Fit ``method`` on out-of-fold ``quantiles`` and ``labels``; read new scores through ``deployed_block``."""
    base = fit_calibration(tail_stretch(quantiles), labels, method)
    assert not isinstance(base, QuantileCalibration)
    reference = np.quantile(np.asarray(deployed_block, dtype=np.float64).ravel(), np.linspace(0, 1, REFERENCE_POINTS))
    return QuantileCalibration(np.maximum.accumulate(reference).tolist(), base, provenance)


def brier_score(probability: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean((np.asarray(probability, dtype=np.float64) - np.asarray(labels, dtype=np.float64)) ** 2))


def fit_calibration(scores: np.ndarray, labels: np.ndarray, method: str = "platt") -> Calibration:
    """Fit ``method`` on flat ``scores`` and 0/1 ``labels`` (validation candidates at real prevalence)."""
    x = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).ravel().astype(np.int8)
    if y.sum() == 0:
        raise ValueError("calibration needs at least one validation positive")
    if method == "platt":
        # Weak regularisation: two parameters, hundreds of thousands of rows.
        model = LogisticRegression(C=1e4, max_iter=1000).fit(x.reshape(-1, 1), y)
        fitted = PlattScaling(float(model.coef_[0, 0]), float(model.intercept_[0]), int(y.sum()), int(y.size), 0.0)
        return PlattScaling(fitted.slope, fitted.intercept, fitted.n_positive, fitted.n_candidates,
                            brier_score(fitted.probability(x), y))
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
        fitted = IsotonicCalibration(iso.X_thresholds_.tolist(), iso.y_thresholds_.tolist(), int(y.sum()), int(y.size))
        return IsotonicCalibration(fitted.x, fitted.y, fitted.n_positive, fitted.n_candidates,
                                   brier_score(fitted.probability(x), y))
    raise ValueError(f"calibration method must be one of {METHODS}, got {method!r}")


def fit_platt(scores: np.ndarray, positives: np.ndarray, known: np.ndarray | None) -> PlattScaling:
    """Platt scaling on a score matrix: ``positives`` (2, P) against all pairs not in ``known`` (2, K)."""
    candidates = ~pair_mask(known, scores.shape)
    labels = pair_mask(positives, scores.shape)[candidates]
    fitted = fit_calibration(np.asarray(scores)[candidates], labels, "platt")
    assert isinstance(fitted, PlattScaling)
    return fitted


def calibration_from_dict(d: dict[str, Any]) -> Calibration:
    """Read back ``to_dict()`` output (files without ``method`` are Platt, as written before isotonic existed)."""
    d = dict(d)
    if d.get("method") == "quantile":
        base = calibration_from_dict(d["base"])
        assert not isinstance(base, QuantileCalibration)
        return QuantileCalibration(d["reference"], base, d.get("provenance", ""))
    if d.get("method", "platt") == "isotonic":
        return IsotonicCalibration(**d)
    d.setdefault("method", "platt")
    return PlattScaling(**d)


def reliability(probability: np.ndarray, labels: np.ndarray, bins: int = 10) -> dict[str, np.ndarray]:
    """Equal-count bins by predicted probability: mean predicted, observed frequency and count per bin."""
    p = np.asarray(probability, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=np.float64).ravel()
    order = np.argsort(p, kind="stable")
    chunks = np.array_split(order, bins)
    return {
        "predicted": np.array([p[c].mean() if c.size else np.nan for c in chunks]),
        "observed": np.array([y[c].mean() if c.size else np.nan for c in chunks]),
        "count": np.array([c.size for c in chunks]),
    }
