"""Evaluation, for every caller: a fitted model's held-out pairs, its validation fold, and the baselines.

:func:`evaluate_fit` scores one fitted :class:`~pmkg.gnn.train.TrainResult` (the GNN and the degree prior,
on the test and validation candidates of its own split). ``run_split`` is one run of the whole harness: it
trains the GNN (:func:`gnn.train.train`, which makes the split before any negative and builds
the message-passing graph without the held-out edges), then scores on the *same* split, the same held-out
edges and the same candidate pairs:

- ``gnn_no_paths``: the same GNN without the path term of the hybrid decoder (an ablation: the gain of the
  pair-level path features over message passing alone), trained on the same split;
- ``degree_prior``: training treats-degree product (:mod:`gnn.baselines`);
- ``dwpc``: Rephetio-style metapath DWPC + logistic regression (:mod:`gnn.dwpc`);
- ``transe`` / ``distmult`` / ``rotate``: ``torch_geometric.nn.kge`` models on the message-passing graph
  (:mod:`gnn.kge`).

The GNN's probabilities come from a calibrator fitted on the validation fold (:mod:`gnn.calibration`); the
Brier score is computed on the test candidates at their real prevalence.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from pmkg.gnn.baselines import degree_product_scores
from pmkg.gnn.calibration import brier_score, fit_calibration, reliability
from pmkg.gnn.metrics import evaluate_candidates, pair_mask
from pmkg.gnn.train import TrainConfig, TrainResult, block_scores, model_inputs, train
from pmkg.kg.export import GraphExport

BASELINES = ("gnn_no_paths", "degree_prior", "dwpc", "transe", "distmult", "rotate")
MODEL_ORDER = ("gnn", *BASELINES)


@dataclass(frozen=True)
class SplitSpec:
    """One split of the protocol: ``group`` names the table it reports in (e.g. ``random``, ``area:anemia``)."""

    group: str
    scheme: str  # random | disease_holdout | disease_set
    seed: int
    folds: int = 0
    fold: int = 0
    test_dst: tuple[int, ...] | None = None
    split_seed: int | None = None  # the k-fold partition's seed (one partition, all folds); None: ``seed``


@dataclass
class SplitRun:
    spec: SplitSpec
    rows: list[dict[str, Any]]  # one per model
    curves: dict[str, dict[str, np.ndarray]] = field(repr=False)  # model -> labels/scores/recall per disease
    history: list[dict[str, float]] = field(repr=False)
    calibration: dict[str, Any] = field(default_factory=dict)
    result: TrainResult | None = field(default=None, repr=False)


def _labels(cands, positives, known) -> tuple[np.ndarray, np.ndarray]:
    pos, _ = cands.restrict(positives)
    kn, _ = cands.restrict(known)
    shape = (cands.src.size, cands.dst.size)
    return pair_mask(pos, shape), ~pair_mask(kn, shape)


def held_out_scores(result: TrainResult) -> np.ndarray:
    """The fitted model's logits over its split's test candidates (held-out edges absent from its graph)."""
    assert result.test_candidates is not None
    inputs = result.model.inputs(result.data)
    return block_scores(result.model, inputs, result.test_candidates, result.test_paths)


@dataclass
class FitEvaluation:
    """Test and validation metrics of one fitted model and the degree prior, on the same candidates."""

    test: dict[str, dict[str, float]]  # {"gnn": {...}, "degree_prior": {...}}
    val: dict[str, dict[str, float]]
    test_scores: np.ndarray = field(repr=False)


def evaluate_fit(result: TrainResult) -> FitEvaluation:
    """Test positives against every candidate pair that is not a train/val positive; likewise for validation."""
    split, target, seed = result.split, result.target, result.config.seed
    test_cands, val_cands = result.test_candidates, result.val_candidates
    assert test_cands is not None and val_cands is not None
    n_src, n_dst = len(result.node_ids[target[0]]), len(result.node_ids[target[2]])
    prior = degree_product_scores(split.train, n_src, n_dst)
    test_scores = held_out_scores(result)
    known = split.known_for_test()
    test = {}
    if split.test.shape[1]:
        test = {
            "gnn": evaluate_candidates(test_scores, test_cands, split.test, known, seed=seed),
            "degree_prior": evaluate_candidates(
                prior[np.ix_(test_cands.src, test_cands.dst)], test_cands, split.test, known, seed=seed
            ),
        }
    val = {}
    if split.val.shape[1] and result.val_scores is not None:
        val = {
            "gnn": evaluate_candidates(result.val_scores, val_cands, split.val, split.train, seed=seed),
            "degree_prior": evaluate_candidates(
                prior[np.ix_(val_cands.src, val_cands.dst)], val_cands, split.val, split.train, seed=seed
            ),
        }
    return FitEvaluation(test, val, test_scores)


def run_split(
    export: GraphExport,
    spec: SplitSpec,
    config: TrainConfig,
    baselines: tuple[str, ...] = BASELINES,
    kge_epochs: int = 5,
    progress: bool = False,
) -> SplitRun:
    """Train the GNN on ``spec``'s split and score it and ``baselines`` on the same held-out edges."""
    from pmkg.gnn.dwpc import dwpc_scores
    from pmkg.gnn.kge import kge_scores

    # The folds of one partition share its seed; another partition (another repeat) has another seed.
    split_seed = spec.split_seed if spec.split_seed is not None else spec.seed
    cfg = replace(config, split=spec.scheme, seed=spec.seed, folds=spec.folds, fold=spec.fold, split_seed=split_seed)
    test_dst = np.asarray(spec.test_dst) if spec.test_dst is not None else None
    result = train(export, cfg, progress=progress, test_dst=test_dst)
    export = model_inputs(export, cfg)  # the baselines read what the model reads
    split, cands, target = result.split, result.test_candidates, result.target
    assert cands is not None
    known = split.known_for_test()
    n_src, n_dst = export.num_nodes(target[0]), export.num_nodes(target[2])
    test_scores = held_out_scores(result)
    scores: dict[str, np.ndarray] = {"gnn": test_scores}
    seconds: dict[str, float] = {"gnn": result.train_seconds}
    extra: dict[str, Any] = {}
    for name in baselines:
        t0 = time.perf_counter()
        if name == "gnn_no_paths":
            if not cfg.paths:
                continue  # the model is a pure GNN already
            pure = train(export, replace(cfg, paths=()), progress=progress, test_dst=test_dst)
            scores[name], seconds[name] = held_out_scores(pure), pure.train_seconds
            continue
        if name == "degree_prior":
            scores[name] = degree_product_scores(split.train, n_src, n_dst)[np.ix_(cands.src, cands.dst)]
        elif name == "dwpc":
            scores[name], extra["dwpc_coefficients"] = dwpc_scores(
                export, result.drop, target, split.train, cands, seed=spec.seed
            )
        else:
            scores[name], _ = kge_scores(
                name, export, result.drop, target, split.train, split.val, cands, result.val_candidates,
                seed=spec.seed, epochs=kge_epochs,
            )
        seconds[name] = time.perf_counter() - t0

    rows, curves = [], {}
    for name, block in scores.items():
        details: dict = {}
        m = evaluate_candidates(block, cands, split.test, known, seed=spec.seed, details=details)
        rows.append({
            "group": spec.group, "scheme": spec.scheme, "seed": spec.seed, "fold": spec.fold, "model": name,
            **{k: float(v) for k, v in m.items()},
            "n_test_diseases": int(len(details.get("dst", []))), "seconds": round(seconds[name], 2),
        })
        curves[name] = details

    calibration = _calibrate(result, test_scores)
    for row in rows:
        if row["model"] == "gnn":
            row.update({f"brier_{k}": v["test_brier"] for k, v in calibration.items() if isinstance(v, dict)})
    return SplitRun(spec, rows, curves, result.history, calibration, result)


def _calibrate(result: TrainResult, held_out: np.ndarray) -> dict[str, Any]:
    """Fit Platt and isotonic on the validation candidates; score Brier and reliability on the test ones."""
    split = result.split
    out: dict[str, Any] = {}
    if not split.val.shape[1] or result.val_scores is None:
        return out
    # Test positives are neither positives nor negatives of the calibration fit (random splits rank the same
    # candidate block for val and test): the calibrator never sees a test positive.
    val_pos, val_cand = _labels(result.val_candidates, split.val, np.concatenate([split.train, split.test], axis=1))
    test_pos, test_cand = _labels(result.test_candidates, split.test, split.known_for_test())
    test_scores = held_out[test_cand]
    test_labels = test_pos[test_cand]
    for method in ("platt", "isotonic"):
        cal = fit_calibration(result.val_scores[val_cand], val_pos[val_cand], method)
        prob = cal.probability(test_scores)
        out[method] = {
            "val_brier": cal.brier, "test_brier": brier_score(prob, test_labels),
            "test_brier_constant": brier_score(np.full(test_labels.size, test_labels.mean()), test_labels),
            "prevalence": float(test_labels.mean()), "reliability": reliability(prob, test_labels, bins=10),
            "params": cal.to_dict() if method == "platt" else {"breakpoints": len(cal.to_dict()["x"])},
        }
    return out
