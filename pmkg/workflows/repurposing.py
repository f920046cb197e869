"""The main job's steps, shared by ``pmkg train``, ``pmkg predict`` and ``pmkg demo``.

graph --export--> GraphExport --gnn.train--> model dir --score--> TSV + PREDICTED_TREATS back in the graph.
``gnn`` never sees the driver: this module asks ``kg.export`` for arrays and hands scores to
``kg.predictions``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pmkg.kg.export import export_graph
from pmkg.kg.predictions import PredictedLink, write_predicted_treats
from pmkg.kg.store import GraphStore
from pmkg.workflows.pair_output import COLUMNS as PAIR_COLUMNS

if TYPE_CHECKING:  # torch loads only when a model is trained or scored
    from pmkg.gnn.crossfit import FoldRun
    from pmkg.gnn.train import TrainConfig

log = logging.getLogger(__name__)

DEFAULT_MODELS_DIR = Path("pmkg-data/models")
_LATEST = "LATEST"


def latest_model(models_dir: Path = DEFAULT_MODELS_DIR) -> Path:
    pointer = models_dir / _LATEST
    if not pointer.is_file():
        raise FileNotFoundError(f"no trained model in {models_dir}: run `pmkg train` first, or pass --model DIR")
    return models_dir / pointer.read_text().strip()


@dataclass
class TrainOutcome:
    model_dir: Path
    model_version: str
    metrics: dict
    seconds_per_epoch: float
    epochs_run: int
    export_seconds: float
    calibration: dict
    release: bool = False  # a refit on every label (else an experiment on a held-out split)
    labels_used: int = 0


def train_from_graph(
    store: GraphStore,
    config: TrainConfig,
    models_dir: Path = DEFAULT_MODELS_DIR,
    progress: bool = True,
    calibration_method: str = "platt",
) -> TrainOutcome:
    """Export the graph, train and evaluate, calibrate on the validation fold, save a versioned model dir.

    ``calibration.json`` holds the calibrator (``config.calibration``-independent: Platt by default,
    ``calibration="isotonic"`` for the step function) fitted on the validation candidates at real prevalence.
    """
    from pmkg.gnn import TARGET
    from pmkg.gnn.artifacts import save_model
    from pmkg.gnn.calibration import fit_calibration
    from pmkg.gnn.evaluate import evaluate_fit
    from pmkg.gnn.metrics import pair_mask
    from pmkg.gnn.train import train

    t0 = time.perf_counter()
    export = export_graph(store, progress=progress)
    export_seconds = time.perf_counter() - t0
    if TARGET not in export.edges:
        raise ValueError("the graph has no Drug-TREATS-Disease edges to learn from: run `pmkg ingest` first")
    result = train(export, config, progress=progress)
    evaluation = evaluate_fit(result)
    model_dir = save_model(result, models_dir, evaluation)
    cands = result.val_candidates
    shape = (cands.src.size, cands.dst.size)
    positives = pair_mask(cands.restrict(result.split.val)[0], shape)
    # Test positives are neither calibration positives nor negatives: the calibrator never sees them.
    known = np.concatenate([result.split.train, result.split.test], axis=1)
    unknown = ~pair_mask(cands.restrict(known)[0], shape)
    calibration = fit_calibration(result.val_scores[unknown], positives[unknown], calibration_method)
    (model_dir / "calibration.json").write_text(json.dumps(calibration.to_dict(), indent=2))
    (models_dir / _LATEST).write_text(model_dir.name)
    version = json.loads((model_dir / "config.json").read_text())["model_version"]
    return TrainOutcome(
        model_dir=model_dir,
        model_version=version,
        metrics=evaluation.test,
        seconds_per_epoch=result.seconds_per_epoch,
        epochs_run=len(result.history),
        export_seconds=export_seconds,
        calibration=calibration.to_dict(),
    )


def train_release(
    store: GraphStore,
    config: TrainConfig,
    models_dir: Path = DEFAULT_MODELS_DIR,
    folds: int = 5,
    progress: bool = True,
    calibration_method: str = "platt",
    on_fold: Callable[[FoldRun], None] | None = None,
) -> TrainOutcome:
    """The release model: k-fold cross-fitting (epochs, out-of-fold scores), then a refit on every label.

    See :mod:`pmkg.gnn.crossfit`. The calibrator is fitted on the pooled out-of-fold scores; the saved model is
    the refit, whose card reports the labels used, the cross-validated metrics and the calibration's provenance.
    """
    from pmkg.gnn import TARGET
    from pmkg.gnn.artifacts import save_model
    from pmkg.gnn.calibration import brier_score, fit_quantile_calibration, reliability, tail_stretch
    from pmkg.gnn.crossfit import cross_fit, model_block, refit

    t0 = time.perf_counter()
    export = export_graph(store, progress=progress)
    export_seconds = time.perf_counter() - t0
    if TARGET not in export.edges:
        raise ValueError("the graph has no Drug-TREATS-Disease edges to learn from: run `pmkg ingest` first")
    evidence = cross_fit(export, config, folds, progress=progress, on_fold=on_fold)
    result = refit(export, config, evidence.epochs, progress=progress)
    deployed = model_block(result, evidence.candidates)
    calibration = fit_quantile_calibration(
        evidence.quantiles, evidence.labels, deployed, calibration_method,
        provenance=f"{calibration_method} on {folds}-fold out-of-fold score quantiles (cross-fitted)",
    )
    oof_probability = calibration.base.probability(tail_stretch(evidence.quantiles))
    labels = evidence.labels.ravel()
    calibration_summary = {
        "method": "quantile", "base_method": calibration_method, "folds": folds,
        "n_positive": int(labels.sum()), "n_pairs": int(labels.size), "prevalence": float(labels.mean()),
        "brier": brier_score(oof_probability.ravel(), labels),
        "brier_constant": brier_score(np.full(labels.size, labels.mean()), labels),
        "reliability": {k: np.asarray(v).tolist() for k, v in reliability(oof_probability.ravel(), labels).items()},
    }
    model_dir = save_model(result, models_dir, crossfit=evidence, calibration=calibration_summary)
    (model_dir / "calibration.json").write_text(json.dumps(calibration.to_dict(), indent=2))
    (models_dir / _LATEST).write_text(model_dir.name)
    version = json.loads((model_dir / "config.json").read_text())["model_version"]
    summary = evidence.metric_summary()
    return TrainOutcome(
        model_dir=model_dir,
        model_version=version,
        metrics={model: {k: v[0] for k, v in values.items()} for model, values in summary.items()},
        seconds_per_epoch=result.seconds_per_epoch,
        epochs_run=len(result.history),
        export_seconds=export_seconds,
        calibration=calibration_summary,
        release=True,
        labels_used=int(result.split.train.shape[1]),
    )


@dataclass
class PredictionOutcome:
    model_version: str
    pairs_scored: int
    written_to_graph: int
    tsv: Path | None
    seconds: float


def predict_repurposing(
    store: GraphStore,
    model_dir: Path,
    top_k: int = 50,
    out_tsv: Path | None = None,
    write_back: bool = True,
    progress: bool = True,
    diseases: str = "indicated",
) -> PredictionOutcome:
    """Score the candidate Drug x Disease pairs; write the pair file and the top-k novel candidates per disease.

    Which pairs: candidate drugs (every Drug with an edge besides an indication) × ``diseases``: ``"indicated"``
    (diseases with a TREATS or PALLIATES edge), ``"all"`` (every Disease), a comma-separated list of disease
    CURIEs, or a file with one id per line (:func:`pmkg.workflows.pair_output.parse_disease_selection`). The pair
    file (``.tsv``, ``.tsv.gz`` or ``.parquet`` by its suffix) ranks every candidate drug for each disease (1 =
    best) and flags known indications. The graph receives only candidates that are not already ``TREATS``
    edges, ranked among themselves.
    """
    from pmkg.gnn import TARGET
    from pmkg.gnn.artifacts import load_model
    from pmkg.gnn.calibration import calibration_from_dict
    from pmkg.gnn.candidates import Candidates, prediction_candidates
    from pmkg.gnn.predict import rank_all, score_candidates, top_k_per_disease
    from pmkg.workflows.pair_output import output_format, parse_disease_selection, write_pairs

    t0 = time.perf_counter()
    if out_tsv is not None:
        output_format(out_tsv)  # a bad suffix fails before the scoring
    loaded = load_model(model_dir)
    export = export_graph(store, progress=progress)
    if diseases in ("indicated", "all"):
        cands = prediction_candidates(export, TARGET, diseases)
    else:
        drugs_only = prediction_candidates(export, TARGET, "indicated")
        cands = Candidates(drugs_only.src, parse_disease_selection(diseases, export))
    scores = score_candidates(loaded.model, loaded.graph(export), cands)
    calibration = calibration_from_dict(json.loads((model_dir / "calibration.json").read_text()))
    probabilities = calibration.probability(scores)
    known, _ = cands.restrict(export.edges[TARGET])
    drugs = [export.node_ids[TARGET[0]][i] for i in cands.src]
    disease_ids = [export.node_ids[TARGET[2]][j] for j in cands.dst]
    if out_tsv is not None:
        write_pairs(out_tsv, drugs, disease_ids, scores, probabilities, rank_all(scores), known,
                    loaded.model_version)
    written = 0
    if write_back:
        links = [
            PredictedLink(drugs[p.src], disease_ids[p.dst], p.score, float(probabilities[p.src, p.dst]), p.rank)
            for p in top_k_per_disease(scores, top_k, exclude=known)
        ]
        written = write_predicted_treats(store, links, loaded.model_version)
    return PredictionOutcome(loaded.model_version, scores.size, written, out_tsv, time.perf_counter() - t0)


TSV_COLUMNS = PAIR_COLUMNS


def write_pair_tsv(
    path: Path,
    drugs: list[str],
    diseases: list[str],
    scores: np.ndarray,
    probabilities: np.ndarray,
    ranks: np.ndarray,
    known: np.ndarray,
    model_version: str,
) -> None:
    """The row-by-row reference writer that :func:`pmkg.workflows.pair_output.write_pairs` replaced; kept so a
    test and ``bench/bench_scoring.py`` can check the block writer against it byte for byte.

    One row per pair of ``drugs`` × ``diseases`` (CURIEs; ``scores`` is their (S, D) block), columns
    :data:`TSV_COLUMNS`: ``drug_id disease_id score probability rank model_version``, then ``known`` (1 for
    an existing TREATS edge). Rows are grouped by disease, best rank first."""
    known_mask = np.zeros(scores.shape, dtype=bool)
    known_mask[known[0], known[1]] = True
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".partial")
    with open(tmp, "w") as fh:
        fh.write("\t".join(TSV_COLUMNS) + "\n")
        for j, disease in enumerate(diseases):
            order = np.argsort(ranks[:, j], kind="stable")
            fh.writelines(
                f"{drugs[i]}\t{disease}\t{scores[i, j]:.6f}\t{probabilities[i, j]:.6g}\t{ranks[i, j]}\t"
                f"{model_version}\t{int(known_mask[i, j])}\n"
                for i in order
            )
    tmp.replace(path)  # a reader never sees half a file
