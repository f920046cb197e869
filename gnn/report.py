"""The evaluation report: per-seed CSV, mean ± sd tables, per-area flags, PNG plots and a Markdown file.

Everything here reads :class:`gnn.evaluate.SplitRun` objects; nothing trains or touches the graph.
Plots (matplotlib, Agg backend): ROC and PR curves of every model on the first run of each split group,
reliability diagram of the GNN's calibrated probabilities, per-disease Recall@100 of every model, and the
GNN's training curves.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pmkg.gnn.evaluate import MODEL_ORDER, SplitRun

TABLE_METRICS = ("auroc", "auprc", "mrr", "mrr_macro", "hits@1", "hits@3", "hits@10", "recall@10", "recall@50",
                 "recall@100", "auprc_1to1_sampled")
LABELS = {"auprc_1to1_sampled": "AUPRC 1:1 sampled (TxGNN)", "recall@100": "Recall@100"}


def write_per_seed_csv(runs: Sequence[SplitRun], path: Path) -> None:
    rows = [r for run in runs for r in run.rows]
    fields = list(dict.fromkeys(k for r in rows for k in r))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def summary(runs: Sequence[SplitRun]) -> dict[str, dict[str, dict[str, tuple[float, float, int]]]]:
    """``{group: {model: {metric: (mean, sample sd, n)}}}`` over the runs (seeds/folds) of each group."""
    out: dict[str, dict[str, dict[str, tuple[float, float, int]]]] = {}
    for run in runs:
        for row in run.rows:
            cell = out.setdefault(row["group"], {}).setdefault(row["model"], {})
            for k in (*TABLE_METRICS, "brier_platt", "brier_isotonic"):
                if k in row:
                    cell.setdefault(k, []).append(row[k])  # type: ignore[arg-type]
    for models in out.values():
        for model, metrics in models.items():
            models[model] = {
                k: (float(np.nanmean(v)), float(statistics.stdev(v)) if len(v) > 1 else 0.0, len(v))
                for k, v in metrics.items()  # type: ignore[union-attr]
            }
    return out


def paired_comparison(
    runs: Sequence[SplitRun], model: str = "gnn", versus: str = "dwpc", metric: str = "mrr"
) -> dict[str, dict[str, float]]:
    """Per group: ``model − versus`` on ``metric`` over the runs where both ran (same split, same seed), with a
    two-sided Wilcoxon signed-rank p-value (exact for few runs) and the share of runs ``model`` wins."""
    from scipy.stats import wilcoxon

    pairs: dict[str, list[tuple[float, float]]] = {}
    for run in runs:
        by_model = {r["model"]: r for r in run.rows}
        if model in by_model and versus in by_model:
            pairs.setdefault(run.spec.group, []).append((by_model[model][metric], by_model[versus][metric]))
    out = {}
    for group, values in pairs.items():
        diff = np.array([a - b for a, b in values])
        p = float(wilcoxon(diff).pvalue) if diff.size >= 2 and np.any(diff != 0) else float("nan")
        out[group] = {"runs": int(diff.size), "mean_difference": float(diff.mean()),
                      "wins": float(np.mean(diff > 0)), "p_wilcoxon": p}
    return out


def _fmt(cell: tuple[float, float, int] | None) -> str:
    if cell is None or not np.isfinite(cell[0]):
        return "–"
    return f"{cell[0]:.3f} ± {cell[1]:.3f}"


def markdown_table(group: dict[str, dict[str, tuple[float, float, int]]], metrics: Sequence[str]) -> str:
    models = [m for m in MODEL_ORDER if m in group]
    head = "| model | " + " | ".join(LABELS.get(k, k) for k in metrics) + " |"
    lines = [head, "|---|" + "---|" * len(metrics)]
    for model in models:
        best = {k: max(group[m][k][0] for m in models if k in group[m]) for k in metrics}
        cells = []
        for k in metrics:
            text = _fmt(group[model].get(k))
            cells.append(f"**{text}**" if k in group[model] and group[model][k][0] == best[k] else text)
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def area_flags(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per ``area:*`` group: the GNN against the prior (and DWPC, when it ran), with a flag where the
    GNN does not beat the degree prior on AUROC, MRR and Recall@100, or ranks below DWPC on MRR."""
    rows = []
    for group, models in sorted(stats.items()):
        if not group.startswith("area:") or "gnn" not in models or "degree_prior" not in models:
            continue
        g, p = models["gnn"], models["degree_prior"]
        flags = []
        if not all(g[k][0] > p[k][0] for k in ("auroc", "mrr", "recall@100")):
            flags.append("does not beat the prior")
        if "dwpc" in models and g["mrr"][0] <= models["dwpc"]["mrr"][0]:
            flags.append("MRR not above DWPC")
        rows.append({"area": group.removeprefix("area:"), "runs": g["auroc"][2], "gnn": g, "prior": p,
                     "dwpc": models.get("dwpc"), "gnn_no_paths": models.get("gnn_no_paths"),
                     "flag": "; ".join(flags)})
    return rows


def plot_all(runs: Sequence[SplitRun], out_dir: Path) -> dict[str, str]:
    """Write the PNGs; returns ``{kind: file name}``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve, roc_curve

    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    firsts = {}
    for run in runs:
        firsts.setdefault(run.spec.group, run)
    main = [g for g in ("random", "disease_holdout") if g in firsts]

    fig, axes = plt.subplots(2, max(1, len(main)), figsize=(6 * max(1, len(main)), 10), squeeze=False)
    for col, group in enumerate(main):
        run = firsts[group]
        for model in MODEL_ORDER:
            d = run.curves.get(model)
            if not d or "labels" not in d:
                continue
            fpr, tpr, _ = roc_curve(d["labels"], d["scores"])
            prec, rec, _ = precision_recall_curve(d["labels"], d["scores"])
            axes[0][col].plot(fpr, tpr, label=model, lw=1.5 if model == "gnn" else 1)
            axes[1][col].plot(rec, prec, label=model, lw=1.5 if model == "gnn" else 1)
        axes[0][col].set(title=f"ROC, {group} (seed {run.spec.seed}, fold {run.spec.fold})",
                         xlabel="false positive rate", ylabel="true positive rate")
        axes[1][col].set(title=f"precision-recall, {group}, all candidate pairs", xlabel="recall",
                         ylabel="precision", yscale="log")
        axes[0][col].legend(fontsize=8)
        axes[1][col].legend(fontsize=8)
    fig.tight_layout()
    files["roc_pr"] = "roc_pr.png"
    fig.savefig(out_dir / files["roc_pr"], dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, max(1, len(main)), figsize=(6 * max(1, len(main)), 5), squeeze=False)
    for col, group in enumerate(main):
        cal = firsts[group].calibration
        ax = axes[0][col]
        for method, c in cal.items():
            rel = c["reliability"]
            ax.plot(rel["predicted"], rel["observed"], "o-", label=f"{method} (test Brier {c['test_brier']:.5f})")
        ax.plot([1e-5, 1], [1e-5, 1], "k--", lw=0.8, label="perfect")
        ax.set(xscale="log", yscale="symlog", title=f"reliability of the GNN probability, {group}",
               xlabel="mean predicted probability (10 equal-count bins)", ylabel="observed fraction positive")
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    files["calibration"] = "calibration.png"
    fig.savefig(out_dir / files["calibration"], dpi=110)
    plt.close(fig)

    groups = [g for g in dict.fromkeys(r.spec.group for r in runs)]
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(groups)), 5))
    models = [m for m in MODEL_ORDER if any(m in r.curves for r in runs)]
    width = 0.8 / max(1, len(models))
    for i, model in enumerate(models):
        values = [np.concatenate([r.curves[model]["recall@100"] for r in runs
                                  if r.spec.group == g and model in r.curves] or [np.array([np.nan])])
                  for g in groups]
        pos = np.arange(len(groups)) + i * width
        ax.boxplot([v[np.isfinite(v)] if np.isfinite(v).any() else [np.nan] for v in values], positions=pos,
                   widths=width * 0.9, patch_artist=True, showfliers=False,
                   boxprops={"facecolor": f"C{i}", "alpha": 0.6}, medianprops={"color": "k"})
        ax.plot([], [], color=f"C{i}", lw=6, alpha=0.6, label=model)
    ax.set_xticks(np.arange(len(groups)) + 0.4 - width / 2, groups, rotation=30, ha="right")
    ax.set(ylabel="per-disease Recall@100 over all candidate drugs", title="per-disease Recall@100 (all runs)")
    ax.legend(fontsize=8, ncols=3)
    fig.tight_layout()
    files["recall"] = "per_disease_recall.png"
    fig.savefig(out_dir / files["recall"], dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for group, run in firsts.items():
        if group not in main:
            continue
        ep = [h["epoch"] for h in run.history]
        axes[0].plot(ep, [h["loss"] for h in run.history], label=group)
        axes[1].plot(ep, [h["val_auroc"] for h in run.history], label=f"{group} val AUROC")
        axes[1].plot(ep, [h.get("val_mrr", np.nan) for h in run.history], "--", label=f"{group} val MRR")
    axes[0].set(title="GNN training loss", xlabel="epoch", ylabel="BCE + rank loss")
    axes[1].set(title="GNN validation metrics", xlabel="epoch")
    axes[0].legend()
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    files["training"] = "training_curve.png"
    fig.savefig(out_dir / files["training"], dpi=110)
    plt.close(fig)
    return files
