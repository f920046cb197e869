"""``pmkg evaluate``: the whole protocol on one export, written up as a Markdown report with plots.

The protocol (:func:`protocol_specs`), each split run by :func:`gnn.evaluate.run_split` with the GNN and every
baseline on the same held-out edges and candidate pairs:

- ``random``: k-fold (default 5) over the TREATS edges; fold ``f`` is trained with seed ``f``;
- ``disease_holdout``: k-fold over the diseases that have TREATS edges (zero-shot: every TREATS and
  PALLIATES edge of a test disease is out of training and message passing);
- ``area:<name>``: each TxGNN disease area (mapped to the graph's diseases through MONDO → DOID exact
  matches and the DO ``IS_A`` closure) held out whole, over ``seeds`` seeds (the seed draws the validation
  diseases and the model's initialisation).

Numbers are mean ± sample sd over the folds/seeds, with a per-seed CSV.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pmkg import __version__
from pmkg.kg.export import GraphExport

if TYPE_CHECKING:
    from pmkg.gnn.evaluate import SplitRun, SplitSpec
    from pmkg.gnn.train import TrainConfig

GROUPS = ("random", "disease_holdout", "areas")


def protocol_specs(
    export: GraphExport,
    folds: int = 5,
    seeds: int = 3,
    groups: tuple[str, ...] = GROUPS,
    areas: dict[str, np.ndarray] | None = None,
    partitions: int = 1,
) -> tuple[list[SplitSpec], dict[str, str]]:
    """The splits of the protocol, and a note per area that cannot be evaluated (and why).

    k-fold groups get ``partitions`` partitions (repeats); partition ``r`` is seeded ``r`` and its fold ``f``
    trains with seed ``r * folds + f``, so the seed varies the partition as well as the initialisation.
    """
    from pmkg.gnn import TARGET
    from pmkg.gnn.evaluate import SplitSpec

    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown split group(s) {sorted(unknown)}; choose from {', '.join(GROUPS)}")
    specs: list[SplitSpec] = []
    for scheme in ("random", "disease_holdout"):
        if scheme in groups:
            specs += [
                SplitSpec(scheme, scheme, seed=r * folds + f, folds=folds, fold=f, split_seed=r)
                for r in range(partitions)
                for f in range(folds)
            ]
    skipped: dict[str, str] = {}
    if "areas" in groups and areas:
        labelled = np.unique(export.edges[TARGET][1])
        for name, members in sorted(areas.items()):
            held = np.intersect1d(members, labelled)
            if held.size == 0:
                skipped[name] = f"{members.size} diseases in the graph, none with a TREATS edge"
            elif labelled.size - held.size < 2:
                skipped[name] = "holding it out leaves no training diseases"
            else:
                specs += [SplitSpec(f"area:{name}", "disease_set", seed=s, test_dst=tuple(held.tolist()))
                          for s in range(seeds)]
    return specs, skipped


def run_protocol(
    export: GraphExport,
    config: TrainConfig,
    specs: list[SplitSpec],
    baselines: tuple[str, ...],
    area_baselines: tuple[str, ...] | None = None,
    kge_epochs: int = 5,
    progress: bool = True,
    partial_csv: Path | None = None,
    after_split: Callable[[list[SplitRun]], None] | None = None,
) -> list[SplitRun]:
    """Run every split (GNN + baselines); ``area_baselines`` (default: ``baselines``) for the area splits.

    ``partial_csv`` is rewritten and ``after_split`` called with the runs so far after every split, so an
    interrupted run keeps what it finished (``pmkg evaluate`` rewrites its report each time).
    """
    from tqdm.auto import tqdm

    from pmkg.gnn.evaluate import run_split
    from pmkg.gnn.report import write_per_seed_csv

    runs = []
    for spec in tqdm(specs, desc="splits", unit="split", disable=None if progress else True):
        chosen = baselines if not spec.group.startswith("area:") or area_baselines is None else area_baselines
        runs.append(run_split(export, spec, config, chosen, kge_epochs=kge_epochs))
        if partial_csv is not None:
            write_per_seed_csv(runs, partial_csv)
        if after_split is not None:
            after_split(runs)
    return runs


def file_sha256(paths: list[Path]) -> dict[str, str]:
    out = {}
    for path in paths:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        out[str(path)] = h.hexdigest()
    return out


def config_version(config: TrainConfig) -> str:
    """``gnn-config-<8 hex>``: the hash of the GNN configuration every split of the report trained with."""
    payload = json.dumps(config.to_dict(), sort_keys=True)
    return f"gnn-config-{hashlib.sha256(payload.encode()).hexdigest()[:8]}"


def _cell(models: list[dict | None], metric: str) -> str:
    """The means of one metric for several models, "a / b / c", with – for a model that did not run."""
    return " / ".join("–" if m is None else f"{m[metric][0]:.3f}" for m in models)


def _split_lines(runs: list[SplitRun], meta: dict[str, Any]) -> list[str]:
    """The protocol lines of the split schemes this report holds, each with the models that ran on it."""
    lines = []
    for scheme, text_key in (("random", "random_text"), ("disease_holdout", "disease_text"), ("area:*", "area_text")):
        ran = [r for r in runs if (r.spec.group.startswith("area:") if scheme == "area:*" else r.spec.group == scheme)]
        if not ran:
            continue
        models = list(dict.fromkeys(row["model"] for run in ran for row in run.rows))
        text = meta.get(text_key, "").rstrip(".")
        lines.append(f"- `{scheme}`: {text}. Models in the same run: {', '.join(models)}.")
    return lines


def write_report(
    runs: list[SplitRun],
    out_dir: Path,
    export: GraphExport,
    config: TrainConfig,
    meta: dict[str, Any],
) -> Path:
    """Write ``report.md``, ``per-seed.csv``, ``summary.json`` and the PNGs into ``out_dir``."""
    from pmkg.gnn.data import export_checksum
    from pmkg.gnn.report import (
        area_flags,
        markdown_table,
        paired_comparison,
        plot_all,
        summary,
        write_per_seed_csv,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    write_per_seed_csv(runs, out_dir / "per-seed.csv")
    stats = summary(runs)
    (out_dir / "summary.json").write_text(json.dumps(stats, indent=1, sort_keys=True))
    plots = plot_all(runs, out_dir)
    first = {}
    for run in runs:
        first.setdefault(run.spec.group, run)
    cands = next(iter(first.values())).result.test_candidates if runs else None
    lines = [
        "# pmkg drug-repurposing evaluation",
        "",
        f"Written {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by pmkg {__version__}. "
        f"GNN configuration `{config_version(config)}` (every split trains a fresh model with it; "
        f"`pmkg train` saves one as a versioned model directory).",
        *([f"**Partial: {meta['progress']}.**"] if meta.get("progress") else []),
        "",
        "## Data",
        f"- export checksum (sha256 over node ids and edge arrays): `{export_checksum(export)}`",
        f"- {sum(len(v) for v in export.node_ids.values()):,} nodes, "
        f"{sum(e.shape[1] for e in export.edges.values()):,} edges in {len(export.edges)} types; "
        f"export over Bolt took {meta.get('export_seconds', float('nan')):.1f} s",
        *[f"- `{p}`: `{h}`" for p, h in sorted(meta.get("file_sha256", {}).items())],
        "",
        "## Protocol",
        "- Target: `(Drug)-[:TREATS]->(Disease)` (PharmacotherapyDB disease-modifying indications).",
        f"- Candidates: {meta.get('candidates_text', '')}",
        "- Splits are made before any negative is drawn. Val and test TREATS edges are removed from message "
        "passing in both directions and from every feature (degree features, DWPC matrices, KGE triples); "
        "under a disease holdout every PALLIATES edge of a held-out disease goes too.",
        *_split_lines(runs, meta),
        "- Metrics over every candidate pair that is not a training/validation positive (no sampled "
        "negatives): AUROC, AUPRC; MRR and Hits@k filtered per test edge (micro), `mrr_macro` averaged per "
        "disease first; Recall@k per disease over min(k, positives), averaged. Seeds vary the partition as well "
        "as the initialisation. "
        "Under a disease holdout only the held-out diseases' columns are ranked. "
        "\"AUPRC 1:1 sampled\" is TxGNN's number (test positives vs as many random candidate negatives), "
        "reported only for comparison with that paper.",
        "- GNN probability: Platt and isotonic calibration fitted on the validation fold's candidates at "
        "their real prevalence (test positives excluded from the fit); Brier score on the test candidates.",
        "",
    ]
    order = [g for g in ("random", "disease_holdout") if g in stats] + sorted(g for g in stats if g.startswith("area:"))
    for group in order:
        n = stats[group]["gnn"]["auroc"][2]
        n_pos = [r for run in runs if run.spec.group == group for r in run.rows if r["model"] == "gnn"]
        lines += [
            f"## {group} ({n} runs; test positives per run: {', '.join(str(int(r['n_pos'])) for r in n_pos)})",
            "",
            markdown_table(stats[group], ("auroc", "auprc", "mrr", "mrr_macro", "hits@1", "hits@3", "hits@10")),
            "",
            markdown_table(stats[group], ("recall@10", "recall@50", "recall@100", "auprc_1to1_sampled")),
            "",
        ]
    paired = paired_comparison(runs)
    if paired:
        lines += ["## GNN against DWPC, paired by run (same split, same seed)", "",
                  "| split | runs | mean MRR difference | GNN wins | Wilcoxon p (two-sided) |", "|---|---|---|---|---|"]
        lines += [f"| {g} | {c['runs']} | {c['mean_difference']:+.4f} | {c['wins']:.0%} | {c['p_wilcoxon']:.3g} |"
                  for g, c in paired.items()]
        lines.append("")
    flags = area_flags(stats)
    if flags or meta.get("areas_skipped"):
        lines += ["## Disease areas (TxGNN): GNN / GNN without paths / degree prior / DWPC", "",
                  "Each cell lists the models in that order (– where one did not run). Flags: the GNN does not beat "
                  "the degree prior on every one of AUROC, MRR and Recall@100, or its MRR is not above DWPC's.", "",
                  "| area | runs | test diseases | AUROC | MRR | Recall@100 | AUPRC 1:1 | flag |",
                  "|---|---|---|---|---|---|---|---|"]
        for row in flags:
            models = [row["gnn"], row["gnn_no_paths"], row["prior"], row["dwpc"]]
            n_dis = [r["n_test_diseases"] for run in runs if run.spec.group == "area:" + row["area"]
                     for r in run.rows if r["model"] == "gnn"]
            lines.append(
                f"| {row['area']} | {row['runs']} | {n_dis[0] if n_dis else '–'} | {_cell(models, 'auroc')} | "
                f"{_cell(models, 'mrr')} | {_cell(models, 'recall@100')} | {_cell(models, 'auprc_1to1_sampled')} | "
                f"{row['flag']} |"
            )
        for name, why in sorted(meta.get("areas_skipped", {}).items()):
            lines.append(f"| {name} | 0 | 0 | – | – | – | – | not evaluable: {why} |")
        lines.append("")
    lines += ["## Calibration of the GNN probability (test fold, real prevalence)", "",
              "| split | method | val Brier | test Brier | Brier of the constant prevalence | test prevalence |",
              "|---|---|---|---|---|---|"]
    for group, run in first.items():
        for method, c in run.calibration.items():
            lines.append(f"| {group} (seed {run.spec.seed}) | {method} | {c['val_brier']:.6f} | {c['test_brier']:.6f} "
                         f"| {c['test_brier_constant']:.6f} | {c['prevalence']:.4%} |")
    lines += ["", "## Time", "", "| split | model | seconds per run (mean) |", "|---|---|---|"]
    for group in order:
        for model in stats[group]:
            secs = [r["seconds"] for run in runs if run.spec.group == group for r in run.rows if r["model"] == model]
            lines.append(f"| {group} | {model} | {np.mean(secs):.1f} |")
    gnn_runs = [run.result for run in runs if run.result is not None]
    if gnn_runs:
        lines += ["", f"GNN: {np.mean([r.seconds_per_epoch for r in gnn_runs]):.2f} s/epoch, "
                  f"{np.mean([len(r.history) for r in gnn_runs]):.0f} epochs on average (early stopping), "
                  f"{config.threads} torch thread(s). The machine is shared, so timings are upper bounds."]
    lines += ["", "## Plots", "", *[f"![{k}]({v})" for k, v in plots.items()], "",
              "## GNN configuration", "", "```json", json.dumps(config.to_dict(), indent=1, sort_keys=True), "```",
              ""]
    if cands is not None:
        lines.insert(lines.index("## Protocol") + 2, f"- Candidate drugs: {cands.src.size:,}.")
    path = out_dir / "report.md"
    path.write_text("\n".join(lines))
    return path


