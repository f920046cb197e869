"""Leakage-safe splits of the target edges, made before any negative sampling.

Two schemes:

- ``random``: target edges are shuffled with a seed; ``val_frac`` and ``test_frac`` of them (rounded,
  at least one each when the fraction is positive) go to val and test.
- ``disease_holdout`` (zero-shot, TxGNN style): the *destination* nodes of the target relation (diseases
  for Drug–TREATS–Disease) that have at least one target edge are shuffled with a seed; every target edge of
  a ``test_frac`` fraction of them goes to test and of a further ``val_frac`` fraction to val. A held-out
  disease therefore has no target edge in train, and (via :func:`gnn.data.to_heterodata` with the split's
  ``held_out()``) none in message passing either.

The split only says which edges are held out; removing them from message passing is the caller's job
(``gnn.train`` does it), so the same split object also drives the baselines and the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCHEMES = ("random", "disease_holdout")


@dataclass
class EdgeSplit:
    """Train/val/test partitions of one target edge type, each an int64 ``(2, E)`` array.

    ``held_out_dst`` lists, for ``disease_holdout``, the destination indices whose edges went to val
    (``"val"``) and test (``"test"``); it is empty for ``random``.
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    scheme: str
    seed: int
    held_out_dst: dict[str, np.ndarray] = field(default_factory=dict)

    def held_out(self) -> np.ndarray:
        """Val and test edges together: everything that must stay out of message passing."""
        return np.concatenate([self.val, self.test], axis=1)

    def known_for_test(self) -> np.ndarray:
        """Train and val edges: the positives filtered out when ranking test candidates."""
        return np.concatenate([self.train, self.val], axis=1)

    def sizes(self) -> dict[str, int]:
        return {"train": self.train.shape[1], "val": self.val.shape[1], "test": self.test.shape[1]}


def _count(n: int, frac: float) -> int:
    if not 0.0 <= frac < 1.0:
        raise ValueError(f"split fraction must be in [0, 1), got {frac}")
    return 0 if frac == 0 else max(1, round(n * frac))


def _check(edges: np.ndarray, val_frac: float, test_frac: float) -> np.ndarray:
    edges = np.asarray(edges)
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"target edges: expected a (2, E) index array, got shape {edges.shape}")
    if val_frac + test_frac >= 1.0:
        raise ValueError(f"val_frac + test_frac must be < 1 to leave training edges, got {val_frac + test_frac}")
    return edges.astype(np.int64, copy=False)


def random_split(edges: np.ndarray, val_frac: float, test_frac: float, seed: int) -> EdgeSplit:
    """Shuffle the target edges with ``seed`` and cut val and test off the front."""
    edges = _check(edges, val_frac, test_frac)
    n = edges.shape[1]
    perm = np.random.default_rng(seed).permutation(n)
    n_test, n_val = _count(n, test_frac), _count(n, val_frac)
    test, val, train = perm[:n_test], perm[n_test : n_test + n_val], perm[n_test + n_val :]
    # Sorting keeps each partition's column order independent of the permutation (stable artifacts).
    return EdgeSplit(
        train=edges[:, np.sort(train)], val=edges[:, np.sort(val)], test=edges[:, np.sort(test)],
        scheme="random", seed=seed,
    )


def disease_holdout_split(edges: np.ndarray, val_frac: float, test_frac: float, seed: int) -> EdgeSplit:
    """Hold out whole destination nodes (diseases): all of their target edges go to val or test.

    Fractions count diseases that have target edges, not edges.
    """
    edges = _check(edges, val_frac, test_frac)
    dst = np.unique(edges[1])
    perm = np.random.default_rng(seed).permutation(dst)
    n_test, n_val = _count(len(dst), test_frac), _count(len(dst), val_frac)
    test_dst, val_dst = np.sort(perm[:n_test]), np.sort(perm[n_test : n_test + n_val])
    in_test, in_val = np.isin(edges[1], test_dst), np.isin(edges[1], val_dst)
    return EdgeSplit(
        train=edges[:, ~(in_test | in_val)], val=edges[:, in_val], test=edges[:, in_test],
        scheme="disease_holdout", seed=seed, held_out_dst={"val": val_dst, "test": test_dst},
    )


def make_split(edges: np.ndarray, scheme: str, val_frac: float, test_frac: float, seed: int) -> EdgeSplit:
    """Dispatch on ``scheme`` (one of :data:`SCHEMES`)."""
    if scheme == "random":
        return random_split(edges, val_frac, test_frac, seed)
    if scheme == "disease_holdout":
        return disease_holdout_split(edges, val_frac, test_frac, seed)
    raise ValueError(f"unknown split scheme {scheme!r}; expected one of {SCHEMES}")
