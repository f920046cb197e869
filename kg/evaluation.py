"""``pmkg evaluate``: the same training run over several seeds, reported as mean ± sd with a per-seed CSV.

The protocol is fixed by ``gnn.train``: the split is made before any negative is drawn, held-out edges never
enter message passing or features, and the GNN and the degree prior are scored on the same held-out
positives against every Drug x Disease pair that is not a training or validation positive.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kg.export import GraphExport

if TYPE_CHECKING:
    from gnn.train import TrainConfig

REPORTED = ("auroc", "auprc", "mrr", "hits@1", "hits@3", "hits@10", "recall@100", "auprc_1to1_sampled")


def evaluate_seeds(export: GraphExport, config: TrainConfig, seeds: list[int], progress: bool = True) -> list[dict]:
    """One row per (seed, model) with every reported metric and the run's timing."""
    from gnn.train import train

    rows = []
    for seed in seeds:
        result = train(export, replace(config, seed=seed), progress=progress)
        for model, metrics in result.test_metrics.items():
            rows.append(
                {
                    "seed": seed,
                    "model": model,
                    **{k: float(metrics[k]) for k in REPORTED if k in metrics},
                    "n_test_pos": int(metrics.get("n_pos", 0)),
                    "best_epoch": result.best_epoch,
                    "seconds_per_epoch": round(result.seconds_per_epoch, 4),
                }
            )
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """mean ± sd per model over seeds."""
    summary = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        entry = {"model": model, "seeds": len(mine)}
        for key in REPORTED:
            values = [r[key] for r in mine if key in r]
            if values:
                sd = statistics.stdev(values) if len(values) > 1 else 0.0
                entry[key] = f"{statistics.mean(values):.3f} ± {sd:.3f}"
        summary.append(entry)
    return summary


def write_per_seed_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
