"""Leakage-safe splits of the target edges, made before any negative sampling.

Schemes (all hold out *edges of the target relation only*; which edges leave message passing is
:func:`gnn.train.holdout_drop`'s job):

- ``random``: target edges are shuffled with a seed; ``val_frac`` and ``test_frac`` of them (rounded,
  at least one each when the fraction is positive) go to val and test.
- ``disease_holdout`` (zero-shot, TxGNN style): the *destination* nodes of the target relation (diseases
  for Drug–TREATS–Disease) that have at least one target edge are shuffled with a seed; every target edge of
  a ``test_frac`` fraction of them goes to test and of a further ``val_frac`` fraction to val. A held-out
  disease therefore has no target edge in train, and (via :func:`gnn.data.to_heterodata` with the split's
  ``held_out()``) none in message passing either.

- ``random`` / ``disease_holdout`` with ``folds=k``: k-fold cross-validation. The edges (or the diseases) are
  permuted once with ``split_seed`` and cut into ``k`` folds; fold ``fold`` is the test set, and ``val_frac``
  of the rest (edges, or diseases) is drawn with ``seed`` for early stopping and calibration.
- ``disease_set``: the test diseases are given (e.g. a TxGNN disease area mapped to DOIDs); every target
  edge of them goes to test, and ``val_frac`` of the other labelled diseases to val.

The split only says which edges are held out; removing them from message passing is the caller's job
(``gnn.train`` does it), so the same split object also drives the baselines and the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCHEMES = ("random", "disease_holdout", "disease_set", "none")


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


def _fold(n: int, folds: int, fold: int, split_seed: int) -> np.ndarray:
    if folds < 2 or not 0 <= fold < folds:
        raise ValueError(f"k-fold needs folds >= 2 and 0 <= fold < folds, got folds={folds}, fold={fold}")
    if n < folds:
        raise ValueError(f"cannot cut {n} items into {folds} folds")
    return np.array_split(np.random.default_rng(split_seed).permutation(n), folds)[fold]


def kfold_split(edges: np.ndarray, folds: int, fold: int, val_frac: float, seed: int, split_seed: int) -> EdgeSplit:
    """Random k-fold over target edges: fold ``fold`` of a ``split_seed`` permutation is test."""
    edges = _check(edges, val_frac, 0.0)
    n = edges.shape[1]
    test = np.zeros(n, dtype=bool)
    test[_fold(n, folds, fold, split_seed)] = True
    rest = np.flatnonzero(~test)
    val = np.zeros(n, dtype=bool)
    val[np.random.default_rng(seed).choice(rest, _count(rest.size, val_frac), replace=False)] = True
    return EdgeSplit(
        train=edges[:, ~(test | val)], val=edges[:, val], test=edges[:, test], scheme="random", seed=seed
    )


def disease_set_split(
    edges: np.ndarray, test_dst: np.ndarray, val_frac: float, seed: int, scheme: str = "disease_set"
) -> EdgeSplit:
    """Hold out every target edge of ``test_dst`` (e.g. one disease area, or one fold of diseases).

    For a disease area (``scheme="disease_set"``) validation diseases come from inside the set, so early
    stopping asks the test's question (a disease of this area with no known drug): ``val_frac`` of the set's
    labelled diseases, at least one, go to val and the rest to test. A set with a single labelled disease cannot
    spare one; its validation diseases are then drawn from outside it, as the only option left. A disease fold
    draws them from the other folds.
    """
    edges = _check(edges, val_frac, 0.0)
    dst = np.unique(edges[1])
    test_dst = np.intersect1d(np.asarray(test_dst, dtype=np.int64), dst)
    if test_dst.size == 0:
        raise ValueError("the held-out disease set has no target edge: nothing to test")
    rest = np.setdiff1d(dst, test_dst)
    if rest.size < 2:
        raise ValueError("holding out these diseases leaves fewer than 2 labelled diseases to train on")
    rng = np.random.default_rng(seed)
    if scheme == "disease_set" and test_dst.size >= 2 and val_frac > 0:
        val_dst = np.sort(rng.choice(test_dst, min(max(1, _count(test_dst.size, val_frac)), test_dst.size - 1),
                                     replace=False))
        test_dst = np.setdiff1d(test_dst, val_dst)
    else:
        val_dst = np.sort(rng.choice(rest, min(_count(rest.size, val_frac), rest.size - 1), replace=False))
    in_test, in_val = np.isin(edges[1], test_dst), np.isin(edges[1], val_dst)
    return EdgeSplit(
        train=edges[:, ~(in_test | in_val)], val=edges[:, in_val], test=edges[:, in_test],
        scheme=scheme, seed=seed, held_out_dst={"val": val_dst, "test": test_dst},
    )


def disease_kfold_split(
    edges: np.ndarray, folds: int, fold: int, val_frac: float, seed: int, split_seed: int
) -> EdgeSplit:
    """Zero-shot k-fold: the labelled diseases are cut into folds; fold ``fold``'s diseases are test."""
    dst = np.unique(np.asarray(edges)[1])
    test_dst = np.sort(dst[_fold(dst.size, folds, fold, split_seed)])
    return disease_set_split(edges, test_dst, val_frac, seed, scheme="disease_holdout")


def make_split(
    edges: np.ndarray,
    scheme: str,
    val_frac: float,
    test_frac: float,
    seed: int,
    folds: int = 0,
    fold: int = 0,
    split_seed: int | None = None,
    test_dst: np.ndarray | None = None,
) -> EdgeSplit:
    """Dispatch on ``scheme`` (one of :data:`SCHEMES`); ``folds >= 2`` selects k-fold (``test_frac`` unused)."""
    split_seed = seed if split_seed is None else split_seed
    if scheme == "none":  # a release refit: every label trains, nothing is held out
        empty = np.empty((2, 0), dtype=np.int64)
        return EdgeSplit(train=_check(edges, 0.0, 0.0), val=empty, test=empty.copy(), scheme="none", seed=seed)
    if scheme == "random":
        if folds:
            return kfold_split(edges, folds, fold, val_frac, seed, split_seed)
        return random_split(edges, val_frac, test_frac, seed)
    if scheme == "disease_holdout":
        if folds:
            return disease_kfold_split(edges, folds, fold, val_frac, seed, split_seed)
        return disease_holdout_split(edges, val_frac, test_frac, seed)
    if scheme == "disease_set":
        if test_dst is None:
            raise ValueError("scheme 'disease_set' needs test_dst (the held-out disease indices)")
        return disease_set_split(edges, test_dst, val_frac, seed)
    raise ValueError(f"unknown split scheme {scheme!r}; expected one of {SCHEMES}")
