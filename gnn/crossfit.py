"""Cross-fitting for a release model: k fold models, out-of-fold scores, then a refit on every label.

What ``pmkg train`` does by default (the habit of every production system in this field: TxGNN's released model,
Rephetio's final model, scikit-learn's ``CalibratedClassifierCV(ensemble=False)``):

1. **k folds of the labels** (random k-fold over the target edges, partition seeded by ``seed``). Fold model
   ``k`` trains on the other folds (less a validation share used for early stopping) with fold ``k``'s edges
   absent from message passing and path counts.
2. **Out-of-fold scores.** Every candidate pair (candidate drugs × evaluation diseases) is assigned to one fold:
   a positive to the fold that holds it out, a non-positive by a hash of the pair. Pair ``p`` is scored by the
   model of its fold only, and that model never drew ``p`` as a sampled negative either
   (``TrainConfig.crossfit_negatives``), so no pair is scored by a model that trained on it.
3. **Epochs for the refit**: the median of the fold models' best (early-stopping) epochs.
4. **Refit** on every label (``split="none"``), nothing held out, for that many epochs.

The calibrator is fitted on the pooled out-of-fold scores, each expressed as its quantile among its fold model's
scores over the whole candidate block. The refit model's scores are read through its own quantiles over the same
block, so a model whose logits sit on another scale (more labels, a fixed epoch count) still gets probabilities
that mean what the out-of-fold evidence says (:class:`pmkg.gnn.calibration.QuantileCalibration`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from pmkg.gnn import TARGET
from pmkg.gnn.candidates import Candidates, evaluation_candidates
from pmkg.gnn.data import pair_codes
from pmkg.gnn.evaluate import evaluate_fit
from pmkg.gnn.train import TrainConfig, TrainResult, block_scores, train
from pmkg.kg.export import EdgeKey, GraphExport

_HASH = np.uint64(0x9E3779B97F4A7C15)


def pair_folds(codes: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A fixed fold for each pair code (a multiplicative hash, seeded): where a non-positive pair is scored."""
    mixed = (np.asarray(codes, dtype=np.uint64) + np.uint64(seed)) * _HASH
    return ((mixed >> np.uint64(33)) % np.uint64(folds)).astype(np.int64)


@dataclass
class FoldRun:
    """One fold model's record: its early-stopping epoch and its held-out metrics beside the degree prior's."""

    fold: int
    best_epoch: int
    epochs_run: int
    seconds: float
    metrics: dict[str, dict[str, float]]


@dataclass
class CrossFit:
    """The fold models' out-of-fold evidence over one candidate block."""

    folds: list[FoldRun]
    candidates: Candidates
    scores: np.ndarray = field(repr=False)  # (S, D) out-of-fold logits
    quantiles: np.ndarray = field(repr=False)  # (S, D) each logit's quantile within its fold model's block
    labels: np.ndarray = field(repr=False)  # (S, D) bool: a target edge
    pair_fold: np.ndarray = field(repr=False)  # (S, D) the fold that scored each pair
    epochs: int = 0  # for the refit: median best epoch

    def metric_summary(self) -> dict[str, dict[str, tuple[float, float]]]:
        """Mean and sd over folds of every metric, per model (``gnn``, ``degree_prior``)."""
        out: dict[str, dict[str, tuple[float, float]]] = {}
        for model in self.folds[0].metrics:
            keys = self.folds[0].metrics[model]
            out[model] = {
                k: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0)
                for k in keys
                for v in [[f.metrics[model][k] for f in self.folds]]
            }
        return out


def block_quantiles(block: np.ndarray) -> np.ndarray:
    """Each entry's quantile in ``block`` (0 lowest, 1 highest; ties share their mean rank)."""
    flat = block.ravel()
    order = np.argsort(flat, kind="stable")
    ranks = np.empty(flat.size, dtype=np.float64)
    ranks[order] = np.arange(flat.size, dtype=np.float64)
    sorted_vals = flat[order]
    # mean rank of each tie group
    starts = np.concatenate([[True], sorted_vals[1:] != sorted_vals[:-1]])
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    sizes = np.diff(np.append(first, flat.size))
    mean_rank = first + (sizes - 1) / 2.0
    ranks[order] = mean_rank[group]
    return (ranks / max(flat.size - 1, 1)).reshape(block.shape)


def model_block(result: TrainResult, candidates: Candidates) -> np.ndarray:
    """A fitted model's logits over ``candidates`` on its own message-passing graph."""
    featurizer = result.model.featurizer(result.data)
    paths = featurizer.block(candidates.src, candidates.dst) if featurizer is not None else None
    return block_scores(result.model, result.model.inputs(result.data), candidates, paths)


def cross_fit(
    export: GraphExport,
    config: TrainConfig,
    folds: int = 5,
    target: EdgeKey = TARGET,
    progress: bool = True,
    on_fold: Callable[[FoldRun], None] | None = None,
) -> CrossFit:
    """Train ``folds`` fold models and pool their out-of-fold scores over the evaluation candidates."""
    if folds < 2:
        raise ValueError(f"cross-fitting needs at least 2 folds, got {folds}")
    cands = evaluation_candidates(export, target)
    shape = (cands.src.size, cands.dst.size)
    n_dst = export.num_nodes(target[2])
    codes = pair_codes(np.stack(np.meshgrid(cands.src, cands.dst, indexing="ij")).reshape(2, -1), n_dst)
    pair_fold = pair_folds(codes, folds, config.seed).reshape(shape)
    labels = np.zeros(shape, dtype=bool)
    scores = np.zeros(shape)
    quantiles = np.zeros(shape)
    runs: list[FoldRun] = []
    for k in range(folds):
        t0 = time.perf_counter()
        cfg = replace(config, split="random", folds=folds, fold=k, split_seed=config.seed, crossfit_negatives=True)
        result = train(export, cfg, target, progress=progress)
        test, _ = cands.restrict(result.split.test)
        labels[test[0], test[1]] = True
        pair_fold[test[0], test[1]] = k  # a positive is scored by the model that held it out
        block = model_block(result, cands)
        mine = pair_fold == k
        scores[mine], quantiles[mine] = block[mine], block_quantiles(block)[mine]
        run = FoldRun(k, result.best_epoch, len(result.history), time.perf_counter() - t0, evaluate_fit(result).test)
        runs.append(run)
        if on_fold is not None:
            on_fold(run)
    # A positive held out by fold k may hash to another fold; the loop above moved it to k, so every other
    # fold's model trained on it (it was in their training folds) and never scores it.
    epochs = int(np.median([r.best_epoch for r in runs]))
    return CrossFit(runs, cands, scores, quantiles, labels, pair_fold, max(epochs, 1))


def refit(
    export: GraphExport, config: TrainConfig, epochs: int, target: EdgeKey = TARGET, progress: bool = True
) -> TrainResult:
    """The release model: every label trains and passes messages, for ``epochs`` epochs, nothing held out."""
    cfg = replace(config, split="none", epochs=epochs, folds=0, fold=0, crossfit_negatives=False)
    return train(export, cfg, target, progress=progress)
