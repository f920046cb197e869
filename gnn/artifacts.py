"""A versioned model directory: everything needed to reproduce a model's scores and to explain it.

Layout of ``<root>/<model_version>/``:

- ``model.pt``: the ``state_dict``;
- ``config.json``: the :class:`gnn.train.TrainConfig`, the model hyper-parameters (enough to rebuild the
  module), the target relation, the export checksum, library versions;
- ``id_maps.json``: ``node_ids`` per label (index ``i`` of a label is that CURIE);
- ``split.npz``: the train/val/test target edges (val/test must stay out of message passing when the
  graph is rebuilt);
- ``metrics.json``, ``history.csv``: test/val metrics for the GNN and the degree prior, per-epoch curve;
- ``MODEL_CARD.md``: what it predicts, the data, the protocol, the numbers, the limitations;
- ``model_version``: ``gnn-<UTC yyyymmddThhmmssZ>-<8 hex>``, the hex a hash of config + data shape.
  Predictions written back to the graph carry this string.

Scores depend on the message-passing graph as well as the weights, so :meth:`LoadedModel.graph` rebuilds
that graph from the same export (checked against the stored checksum and id maps) and the stored split.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch_geometric
from pmkg.gnn.data import edge_counts, export_checksum
from pmkg.gnn.model import LinkPredictor
from pmkg.gnn.split import EdgeSplit
from pmkg.gnn.train import TrainConfig, TrainResult, derived_graph, holdout_drop, model_inputs
from pmkg.kg.export import EdgeKey, GraphExport
from torch_geometric.data import HeteroData

if TYPE_CHECKING:
    from pmkg.gnn.crossfit import CrossFit
    from pmkg.gnn.evaluate import FitEvaluation

FORMAT_VERSION = 1
METRIC_KEYS = ("auroc", "auprc", "mrr", "hits@1", "hits@10", "recall@10", "recall@100", "auprc_1to1_sampled")


def model_version(result: TrainResult, now: datetime | None = None) -> str:
    """``gnn-<UTC timestamp>-<8 hex>``; the hex hashes config, hyper-parameters, target and data shape."""
    shape = {"nodes": result.model.hparams["num_nodes"], "edges": edge_counts(result.data)}
    payload = json.dumps(
        {"config": result.config.to_dict(), "hparams": result.model.hparams, "target": list(result.target),
         "shape": shape},
        sort_keys=True,
    )
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"gnn-{stamp}-{hashlib.sha256(payload.encode()).hexdigest()[:8]}"


def save_model(
    result: TrainResult,
    root: str | Path,
    evaluation: FitEvaluation | None = None,
    now: datetime | None = None,
    crossfit: CrossFit | None = None,
    calibration: dict[str, Any] | None = None,
) -> Path:
    """Write ``result`` (and its ``evaluation`` when there is one) to ``root/<model_version>/``; return that dir."""
    version = model_version(result, now)
    out = Path(root) / version
    out.mkdir(parents=True, exist_ok=False)
    torch.save(result.model.state_dict(), out / "model.pt")
    config = {
        "format_version": FORMAT_VERSION,
        "model_version": version,
        "target": list(result.target),
        "train_config": result.config.to_dict(),
        "model_hparams": result.model.hparams,
        "data_checksum": result.data_checksum,
        "split": {"scheme": result.split.scheme, "seed": result.split.seed, **result.split.sizes()},
        "message_passing_edges": edge_counts(result.data),
        "dropped_extra": result.dropped_extra,
        "versions": {"torch": torch.__version__, "torch_geometric": torch_geometric.__version__},
    }
    _write_json(out / "config.json", config)
    _write_json(out / "id_maps.json", result.node_ids)
    np.savez(
        out / "split.npz", train=result.split.train, val=result.split.val, test=result.split.test,
        **{f"held_out_dst_{k}": v for k, v in result.split.held_out_dst.items()},
    )
    metrics = {
        "test": evaluation.test if evaluation else {}, "val": evaluation.val if evaluation else {},
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history), "seconds_per_epoch": result.seconds_per_epoch,
        "seconds_total": result.seconds_total,
    }
    if crossfit is not None:
        metrics["release"] = True
        metrics["labels_used"] = int(result.split.train.shape[1])
        metrics["cv"] = {
            "folds": [{"fold": f.fold, "best_epoch": f.best_epoch, "epochs_run": f.epochs_run,
                       "seconds": f.seconds, **f.metrics} for f in crossfit.folds],
            "summary": crossfit.metric_summary(),
            "refit_epochs": crossfit.epochs,
        }
        metrics["calibration"] = calibration or {}
    _write_json(out / "metrics.json", metrics)
    with open(out / "history.csv", "w", newline="") as fh:
        fieldnames = ["epoch", "loss", "val_auroc", "val_mrr", "seconds"]
        writer = csv.DictWriter(fh, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(result.history)
    (out / "MODEL_CARD.md").write_text(model_card(result, version, evaluation, crossfit, calibration))
    (out / "model_version").write_text(version + "\n")
    return out


@dataclass
class LoadedModel:
    """A model read back from its directory, in eval mode."""

    model: LinkPredictor
    config: TrainConfig
    target: EdgeKey
    node_ids: dict[str, list[str]]
    split: EdgeSplit
    metrics: dict[str, Any]
    model_version: str
    data_checksum: str
    path: Path

    def graph(self, export: GraphExport, strict: bool = True) -> HeteroData:
        """Rebuild the message-passing graph the model was trained on from ``export``.

        ``strict`` (default) requires the very export the model was trained on (checksum) and so reproduces
        its scores exactly. ``strict=False`` accepts an updated export with the same node ids and edge
        types (e.g. new evidence edges) and still removes the stored val/test edges: the scores are then
        the model applied to today's graph, not the ones its metrics describe.

        Raises ``ValueError`` otherwise: scoring a graph with other nodes would silently mis-index them.
        """
        export = model_inputs(export, self.config)
        if export.node_ids != self.node_ids:
            raise ValueError(
                f"{self.path}: the export's node ids differ from id_maps.json; re-export the graph the model "
                "was trained on, or retrain on this one"
            )
        checksum = export_checksum(export)
        if strict and checksum != self.data_checksum:
            raise ValueError(
                f"{self.path}: export checksum {checksum[:12]}… differs from the trained one "
                f"{self.data_checksum[:12]}… (edges changed); retrain, re-export the same snapshot, or pass "
                "strict=False to score the updated graph"
            )
        drop = holdout_drop(export, self.target, self.split, self.config.holdout_drop_pair_edges)
        data = derived_graph(export, drop, self.target, self.config)
        trained_types = {tuple(et) for et in self.model.hparams["edge_types"]}
        if set(data.edge_types) != trained_types:
            raise ValueError(
                f"{self.path}: the export's edge types differ from the trained model's "
                f"(missing {sorted(trained_types - set(data.edge_types))}, "
                f"new {sorted(set(data.edge_types) - trained_types)}); retrain on this graph"
            )
        return data


def load_model(path: str | Path) -> LoadedModel:
    """Read a directory written by :func:`save_model`."""
    path = Path(path)
    config = _read_json(path / "config.json")
    if config.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path / 'config.json'}: format_version {config.get('format_version')!r}, "
            f"this pmkg reads {FORMAT_VERSION}; retrain or use the matching pmkg version"
        )
    model = LinkPredictor.from_hparams(config["model_hparams"])
    model.load_state_dict(torch.load(path / "model.pt", weights_only=True))
    model.eval()
    known = {f.name for f in fields(TrainConfig)}
    train_config = TrainConfig(**{k: v for k, v in config["train_config"].items() if k in known})
    with np.load(path / "split.npz") as z:
        held = {k.removeprefix("held_out_dst_"): z[k] for k in z.files if k.startswith("held_out_dst_")}
        split = EdgeSplit(
            train=z["train"], val=z["val"], test=z["test"], scheme=config["split"]["scheme"],
            seed=config["split"]["seed"], held_out_dst=held,
        )
    return LoadedModel(
        model=model, config=train_config, target=tuple(config["target"]),  # type: ignore[arg-type]
        node_ids=_read_json(path / "id_maps.json"), split=split, metrics=_read_json(path / "metrics.json"),
        model_version=config["model_version"], data_checksum=config["data_checksum"], path=path,
    )


def _test_metrics(evaluation: FitEvaluation | None, model: str) -> dict[str, float]:
    if evaluation and evaluation.test:
        return evaluation.test[model]
    return dict.fromkeys([*METRIC_KEYS, "prevalence"], float("nan"))


def _release_sections(result: TrainResult, crossfit: CrossFit, calibration: dict[str, Any] | None) -> str:
    src, rel, dst = result.target
    summary = crossfit.metric_summary()
    keys = ("auroc", "auprc", "mrr", "mrr_macro", "hits@10", "recall@100")
    rows = "\n".join(
        f"| {label} | " + " | ".join(f"{summary[m][k][0]:.4f} ± {summary[m][k][1]:.4f}" for k in keys) + " |"
        for m, label in (("gnn", "GNN (fold models)"), ("degree_prior", "degree-product prior"))
    )
    per_fold = ", ".join(f"{f.best_epoch}" for f in crossfit.folds)
    cal = calibration or {}
    cal_text = (
        f"{cal.get('base_method', 'platt')} scaling on the pooled out-of-fold scores "
        f"({cal.get('n_positive', 0):,} positives among {cal.get('n_pairs', 0):,} candidate pairs; "
        f"out-of-fold Brier {cal.get('brier', float('nan')):.5f} against {cal.get('brier_constant', float('nan')):.5f} "
        f"for the constant base rate {cal.get('prevalence', float('nan')):.4%}), read through this model's own score "
        "quantiles over the same candidate block"
    )
    return f"""## Release model
- **Labels used: {result.split.train.shape[1]:,} of {result.split.train.shape[1]:,}** `{rel}` edges. Nothing is
  held out: every label trains and passes messages. This is the model behind `PREDICTED_TREATS`, the service
  and the prediction TSV.
- Epochs: {result.best_epoch}, the median of the {len(crossfit.folds)} fold models' early-stopping epochs
  ({per_fold}).
- Calibration: {cal_text}. Every pair was scored by the fold model that held it out (positives) or that never
  drew it as a negative (all other pairs), so no calibration pair was scored by a model that trained on it.

## Cross-validated metrics ({len(crossfit.folds)}-fold random split of the `{rel}` edges, seed {result.config.seed})
Each fold model was trained without its fold's edges (absent from message passing and path counts) and ranks
them against every candidate pair ({crossfit.candidates.src.size:,} {src}s × {crossfit.candidates.dst.size:,}
{dst}s) that is not a known positive. Mean ± sd over folds; the degree prior on the same candidates.

| model | {' | '.join(keys)} |
|---|{'---|' * len(keys)}
{rows}

These are internal numbers: the labels come from the same source as the training labels. The external check
is `pmkg evaluate --external` (see the docs' "Model and evaluation").
"""


def model_card(
    result: TrainResult,
    version: str,
    evaluation: FitEvaluation | None = None,
    crossfit: CrossFit | None = None,
    calibration: dict[str, Any] | None = None,
) -> str:
    """Markdown model card: purpose, data, protocol, numbers, limitations.

    A release model (``crossfit`` given) reports its cross-validated metrics and calibration provenance; an
    experiment (a held-out split) reports its ``evaluation``.
    """
    src, rel, dst = result.target
    cfg = result.config
    hp = result.model.hparams
    paths = hp.get("paths") or []
    paths_text = (
        f", plus an MLP over the pair's degree-weighted path counts on {len(paths)} metapaths "
        f"({', '.join(paths)}) read from the same message-passing graph" if paths else ""
    )
    nodes = "\n".join(f"| {label} | {n:,} |" for label, n in sorted(hp["num_nodes"].items()))
    edges = "\n".join(
        f"| `({a})-[:{r}]->({b})` | {n:,} |"
        for (a, r, b), n in sorted((tuple(k.split("|")), n) for k, n in edge_counts(result.data).items())
    )
    rows = []
    for name, label in (("gnn", "GNN (this model)"), ("degree_prior", "degree-product prior")):
        m = _test_metrics(evaluation, name)
        rows.append(f"| {label} | " + " | ".join(f"{m[k]:.4f}" for k in METRIC_KEYS) + " |")
    sizes = result.split.sizes()
    if cfg.split == "disease_holdout":
        split_text = (
            f"disease holdout: all {rel} edges of {len(result.split.held_out_dst.get('test', []))} test and "
            f"{len(result.split.held_out_dst.get('val', []))} val {dst} nodes (seed {cfg.seed}) were held out"
            + (f"; other {src}–{dst} edges of those nodes were also removed from message passing "
               f"({sum(result.dropped_extra.values())} edges)" if result.dropped_extra else "")
        )
    else:
        split_text = f"random: {cfg.val_frac:.0%} val, {cfg.test_frac:.0%} test of the {rel} edges (seed {cfg.seed})"
    negatives = cfg.negative_diseases()
    neg_text = (
        f"over candidate {src}s × all {dst}s" if negatives == "uniform"
        else f"over candidate {src}s × the {dst}s that have a training edge"
    )
    if hp.get("embeddings", "none") == "none":
        transductive = (
            "The model has no per-node parameters (structural features and message passing only), so it can "
            "score an updated graph, but the numbers above hold for this one; retrain after material changes."
        )
    elif hp["embeddings"] == "context":
        transductive = (
            f"With `embeddings=context` every node type except {src} and {dst} has a learned vector per node: "
            f"new {src}s and {dst}s can be scored from their edges, new genes, classes or phenotypes cannot."
        )
    else:
        transductive = (
            f"With `embeddings={hp['embeddings']}` the model has a vector per node it was trained on: it is "
            "transductive, and a changed graph needs retraining."
        )
    release = _release_sections(result, crossfit, calibration) if crossfit is not None else ""
    experiment = f"""**Not a release model**: trained on a held-out split for evaluation (`pmkg train --split ...`);
`pmkg train` without `--split` makes the release model.

## Protocol
- Split ({split_text}) made before any negative sampling. Val and test edges are absent from message
  passing in both directions, and the structural node features (log1p degree per relation) are computed on
  the message-passing graph only.
- Training: full batch. Each epoch {cfg.mp_target_dropout:.0%} of the training {rel} edges are hidden from
  message passing and are that epoch's positives; {cfg.neg_ratio} negatives per positive drawn {neg_text}
  (never a training positive). Loss: BCE + {cfg.rank_loss_weight} × per-{dst} softmax cross-entropy over
  all {src}s. Adam lr {cfg.lr}, weight decay {cfg.weight_decay}; early stopping on val AUROC
  and MRR (patience {cfg.patience}); best epoch {result.best_epoch} of {len(result.history)},
  {result.seconds_per_epoch:.3f} s/epoch on {cfg.threads} CPU thread(s).
- Test: test edges against **every candidate** pair that is not a train/val positive (no sampled
  negatives): {result.test_candidates.src.size if result.test_candidates is not None else 0:,} candidate
  {src}s (those with an edge besides an indication) × {result.test_candidates.dst.size if result.test_candidates
  is not None else 0:,} {dst}s (those with a {rel} edge; under a disease holdout only the held-out ones).
  MRR and Hits@k are filtered per positive (other known and test positives of the same {dst} removed);
  Recall@k is per {dst}, averaged; ties count at their mean rank. The degree-product prior (train {rel}
  degree of {src} × of {dst}) is scored on the same candidates. "auprc_1to1_sampled" is TxGNN's
  sampled-negative AUPRC, for comparison with that paper only.

## Test results (seed {cfg.seed})

| model | {' | '.join(METRIC_KEYS)} |
|---|{'---|' * len(METRIC_KEYS)}
{chr(10).join(rows)}

"""
    return f"""# Model card: `{version}`

## What it predicts
A score for every `({src})-[:{rel}]->({dst})` pair: a DistMult logit over node embeddings from a
{hp['num_layers']}-layer heterogeneous GNN (`conv={hp['conv']}`, hidden {hp['hidden']}){paths_text}. Higher means more
likely; `probability` (calibration.json) is the calibrated number, while `sigmoid(score)` is **not calibrated**
to the real prevalence. Use the per-{dst} rank, not the raw value, unless a calibrator is fitted.

{release if crossfit is not None else experiment}
## Training data
Nodes per label:

| label | nodes |
|---|---|
{nodes}

Message-passing edges per type (reverse types `rev_*` included; val/test {rel} edges removed):

| edge type | edges |
|---|---|
{edges}

Target edges: {sizes['train']} train, {sizes['val']} val, {sizes['test']} test. Export checksum
`{result.data_checksum[:16]}…`.

## Limitations
- With few held-out edges the numbers have wide error bars; compare across folds and seeds.
- Scores reproduce with the message-passing graph rebuilt from the same export and split
  (`LoadedModel.graph`, which checks the export checksum). {transductive}
- Unknown pairs are treated as negatives, but many are untested rather than false: precision is a lower
  bound. Popular drugs and well-studied diseases are favoured, as by the degree prior.
- Not clinical advice: a high score is a hypothesis for review, not evidence of efficacy or safety.
"""


def _write_json(path: Path, obj: Any) -> None:
    # allow_nan=False: NaN (e.g. AUROC without val edges) is written as null, which strict JSON readers accept.
    text = json.dumps(_nan_to_none(obj), indent=2, sort_keys=True, default=_json_default, allow_nan=False)
    path.write_text(text + "\n")


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_to_none(v) for v in obj]
    return obj


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: missing; is this a model directory written by save_model?") from None


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")
