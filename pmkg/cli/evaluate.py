"""``pmkg evaluate``: the full protocol (GNN + every baseline, all splits) as a Markdown report with plots."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

SPLIT_GROUPS = "random,disease_holdout,areas"
ALL_BASELINES = "gnn_no_paths,degree_prior,dwpc,transe,distmult,rotate"


def evaluate(
    folds: Annotated[int, typer.Option(min=2, max=10, help="k of the k-fold random and disease-holdout splits.")] = 5,
    seeds: Annotated[int, typer.Option(min=1, max=20, help="Seeds per TxGNN disease-area split.")] = 3,
    splits: Annotated[str, typer.Option(help=f"Comma-separated split groups: {SPLIT_GROUPS}.")] = SPLIT_GROUPS,
    baselines: Annotated[str, typer.Option(help=f"Comma-separated baselines: {ALL_BASELINES}.")] = ALL_BASELINES,
    area_baselines: Annotated[
        str | None, typer.Option(help="Baselines for the area splits (default: the same as --baselines).")
    ] = None,
    kge_epochs: Annotated[int, typer.Option(min=1, help="Epochs of each KGE baseline.")] = 5,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder with txgnn-splits/ and mondo/ for the TxGNN disease-area splits."),
    ] = None,
    epochs: Annotated[int | None, typer.Option(min=1, help="Maximum GNN epochs (early stopping).")] = None,
    threads: Annotated[int, typer.Option(min=1, help="torch threads")] = 1,
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("pmkg-data/evaluation"),
    graph: Annotated[str | None, typer.Option("--graph", "-g", help="Graph URI (see pmkg --help).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Evaluate the GNN against every baseline on every split; write report.md, plots and the per-seed CSV."""
    from pmkg.cli import _fail, _setup_logging, _store, _train_config
    from pmkg.gnn import TARGET
    from pmkg.gnn.evaluate import BASELINES
    from pmkg.kg.export import export_graph
    from pmkg.workflows.evaluate import GROUPS, file_sha256, protocol_specs, run_protocol, write_report

    _setup_logging(quiet)
    groups = tuple(g.strip() for g in splits.split(",") if g.strip())
    chosen = tuple(b.strip() for b in baselines.split(",") if b.strip())
    area_chosen = tuple(b.strip() for b in area_baselines.split(",") if b.strip()) if area_baselines else None
    for name in (*chosen, *(area_chosen or ())):
        if name not in BASELINES:
            raise _fail(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")
    if set(groups) - set(GROUPS):
        raise _fail(f"unknown split group in --splits {splits!r}; choose from {', '.join(GROUPS)}")
    meta: dict = {}
    areas = None
    if "areas" in groups:
        if data_dir is None:
            raise _fail("--splits areas needs --data-dir DIR with txgnn-splits/ and mondo/ (or leave areas out)")
        from pmkg.gnn.areas import area_indices
        from pmkg.ingest.disease_areas import MONDO_DOID_GLOB, TXGNN_DIR, disease_areas

        try:
            curies = disease_areas(data_dir)
        except (FileNotFoundError, ValueError) as exc:
            raise _fail(str(exc)) from exc
        files = sorted((data_dir / TXGNN_DIR / "disease_files").glob("*.csv")) + sorted(data_dir.glob(MONDO_DOID_GLOB))
        meta["file_sha256"] = file_sha256(files)
    t0 = time.perf_counter()
    with _store(graph) as store:
        export = export_graph(store, progress=not quiet)
    meta["export_seconds"] = time.perf_counter() - t0
    if TARGET not in export.edges:
        raise _fail("the graph has no Drug-TREATS-Disease edges to evaluate: run `pmkg ingest` first")
    if "areas" in groups:
        areas = area_indices(export, curies)
    config = _train_config(epochs, 0, "random", threads)
    try:
        specs, skipped = protocol_specs(export, folds, seeds, groups, areas)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    meta.update(
        areas_skipped=skipped,
        candidates_text="candidate drugs are Drug nodes with at least one edge besides an indication; the "
        "ranked diseases are those with at least one TREATS edge (under a disease holdout: the held-out ones).",
        random_text=f"{folds}-fold cross-validation over TREATS edges (fold f trained with seed f); 10% of the "
        "remaining edges are the validation fold (early stopping, calibration).",
        disease_text=f"{folds}-fold cross-validation over the diseases with TREATS edges (zero-shot); 10% of the "
        "remaining diseases are validation diseases.",
        area_text=f"each TxGNN disease area held out whole, {seeds} seeds; areas map to the graph through MONDO "
        "→ DOID exact matches plus DO IS_A descendants.",
    )
    def report_so_far(runs: list) -> None:
        if len(runs) < len(specs):
            meta["progress"] = f"{len(runs)} of {len(specs)} splits done; this report is rewritten after each split"
        else:
            meta.pop("progress", None)
        write_report(runs, out, export, config, meta)

    run_protocol(export, config, specs, chosen, area_chosen, kge_epochs, progress=not quiet,
                 after_split=report_so_far)
    path = out / "report.md"
    typer.echo(f"report: {path}; per-seed metrics: {out / 'per-seed.csv'}")
