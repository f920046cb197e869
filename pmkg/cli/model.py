"""The drug-repurposing model: ``pmkg train``, ``pmkg predict repurposing``, ``pmkg evaluate`` and ``pmkg demo``.

torch loads only when one of these runs, so ``pmkg --help`` stays fast.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pmkg.cli.common import (
    DEMO_GRAPH,
    GraphOpt,
    QuietOpt,
    fail,
    graph_option,
    open_store,
    require_ingested,
    setup_logging,
)
from pmkg.cli.output import render

if TYPE_CHECKING:
    from pmkg.gnn.train import TrainConfig

predict_app = typer.Typer(no_args_is_help=True, help="Score links with a trained model.")

METRIC_COLUMNS = ("auroc", "auprc", "mrr", "hits@1", "hits@10", "recall@100", "auprc_1to1_sampled")
ModelsOpt = Annotated[Path, typer.Option("--models-dir", help="Where versioned model directories live.")]
DEFAULT_MODELS_DIR = Path("pmkg-data/models")
SPLIT_GROUPS = "random,disease_holdout,areas"
ALL_BASELINES = "gnn_no_paths,degree_prior,dwpc,transe,distmult,rotate"
DEMO_DISEASES = ("DOID:1612", "DOID:10652", "DOID:9352", "DOID:14330")
DEMO_FOLDS = 3
DEMO_COLUMNS = ("rank", "drug_id", "drug_name", "probability", "known_status")  # fits 80 columns


def register(app: typer.Typer) -> None:
    """Add ``train``, the ``predict`` group, ``evaluate`` and ``demo`` to ``app``."""
    app.command()(train)
    app.add_typer(predict_app, name="predict")
    app.command()(evaluate)
    app.command()(demo)


def _metrics_rows(metrics: dict[str, dict[str, float]]) -> list[dict]:
    return [
        {"model": name, **{k: round(float(v[k]), 4) for k in METRIC_COLUMNS if k in v}} for name, v in metrics.items()
    ]


def _train_config(epochs: int | None, seed: int, split: str, threads: int) -> TrainConfig:
    from pmkg.gnn.train import TrainConfig

    try:
        config = TrainConfig(seed=seed, split=split, threads=threads)  # type: ignore[arg-type]
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if epochs is not None:
        config.epochs = epochs
    return config


def _fold_line(run) -> None:
    m, p = run.metrics["gnn"], run.metrics["degree_prior"]
    typer.echo(
        f"      fold {run.fold}: best epoch {run.best_epoch} of {run.epochs_run}; AUROC {m['auroc']:.3f} "
        f"(prior {p['auroc']:.3f}), MRR {m['mrr']:.3f} (prior {p['mrr']:.3f}); {run.seconds:.0f} s",
        err=True,
    )


def train(
    epochs: Annotated[int | None, typer.Option(min=1, help="Maximum epochs per fold model (early stopping).")] = None,
    seed: int = 0,
    split: Annotated[
        str | None,
        typer.Option(
            help="Experiment mode: train on one held-out split (random | disease_holdout) and report its test "
            "metrics. Not a release model. Default: the release model (cross-fitting, then a refit on every label)."
        ),
    ] = None,
    folds: Annotated[int, typer.Option(min=2, max=10, help="Fold models of the release model's cross-fitting.")] = 5,
    threads: Annotated[
        int, typer.Option(min=1, help="torch threads; 1 is robust when the graph server shares the cores")
    ] = 1,
    calibration: Annotated[
        str, typer.Option(help="platt | isotonic, fitted on out-of-fold scores (release) or the validation fold")
    ] = "platt",
    models_dir: ModelsOpt = DEFAULT_MODELS_DIR,
    estimate: Annotated[
        bool, typer.Option("--estimate", help="Print the memory and time this run would need, and train nothing.")
    ] = False,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Train the Drug-TREATS-Disease model and save it as a versioned model directory.

    By default this makes the release model: FOLDS fold models choose the epoch count and score every candidate
    pair out of fold (for calibration and cross-validated metrics), then one model is refit on every TREATS label
    with nothing held out. That model is what `pmkg predict`, the graph and the service use.
    """
    from pmkg.workflows.repurposing import train_from_graph, train_release

    setup_logging(quiet)
    config = _train_config(epochs, seed, split or "random", threads)
    if estimate:
        from pmkg.workflows.estimate import MEASURED_ON, estimate_rows, graph_size

        with open_store(graph) as store:
            rows = estimate_rows(graph_size(store), config.epochs, 1 if split else folds + 1)
        typer.echo(render(rows, "table", title=f"estimate from slopes measured on {MEASURED_ON}"))
        return
    with open_store(graph) as store:
        require_ingested(store)
        try:
            if split is None:
                typer.echo(f"release model: {folds} fold models, then a refit on every label", err=True)
                outcome = train_release(
                    store, config, models_dir, folds, not quiet, calibration, on_fold=None if quiet else _fold_line
                )
            else:
                outcome = train_from_graph(store, config, models_dir, not quiet, calibration)
        except ValueError as exc:
            raise fail(str(exc)) from exc
    if outcome.release:
        title = f"cross-validated metrics ({folds} folds, mean over folds)"
        typer.echo(render(_metrics_rows(outcome.metrics), "table", title=title))
        typer.echo(
            f"release model {outcome.model_version} -> {outcome.model_dir}\n"
            f"labels used: {outcome.labels_used:,} of {outcome.labels_used:,}; refit {outcome.epochs_run} epochs at "
            f"{outcome.seconds_per_epoch:.2f} s/epoch; export {outcome.export_seconds:.1f} s; out-of-fold Brier "
            f"{outcome.calibration['brier']:.5f} (constant {outcome.calibration['brier_constant']:.5f})"
        )
        return
    typer.echo(render(_metrics_rows(outcome.metrics), "table", title=f"held-out test edges ({split} split)"))
    typer.echo(
        f"experiment model {outcome.model_version} -> {outcome.model_dir} (NOT a release model: it never saw its "
        f"validation and test labels; run `pmkg train` without --split for the release model)\n"
        f"{outcome.epochs_run} epochs at {outcome.seconds_per_epoch:.2f} s/epoch; "
        f"export {outcome.export_seconds:.1f} s; "
        f"validation Brier {outcome.calibration['brier']:.5f}"
    )


@predict_app.command("repurposing")
def predict_repurposing(
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the latest trained).")] = None,
    all_pairs: Annotated[bool, typer.Option("--all", help="Write every candidate pair to --out.")] = False,
    out: Annotated[
        Path | None, typer.Option(help="Pair file for --all: .tsv, .tsv.gz or .parquet (chosen by the suffix).")
    ] = None,
    top_k: Annotated[int, typer.Option(min=1, max=1000, help="Candidates per disease written to the graph.")] = 50,
    write: Annotated[bool, typer.Option("--write/--no-write", help="Write PREDICTED_TREATS edges.")] = True,
    diseases: Annotated[
        str,
        typer.Option(
            help="indicated (diseases with a TREATS/PALLIATES edge) | all (every Disease node) | a comma-separated "
            "list of disease CURIEs | a file with one disease id per line"
        ),
    ] = "indicated",
    models_dir: ModelsOpt = DEFAULT_MODELS_DIR,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Score every candidate drug x disease pair; write the TSV and the top-k novel candidates back to the graph."""
    from pmkg.workflows.repurposing import latest_model
    from pmkg.workflows.repurposing import predict_repurposing as run_prediction

    setup_logging(quiet)
    if all_pairs and out is None:
        raise fail("--all needs --out FILE (.tsv, .tsv.gz or .parquet)")
    with open_store(graph) as store:
        require_ingested(store)  # an empty graph first: its fix (ingest, then train) comes before a model's
        try:
            model_dir = model or latest_model(models_dir)
        except FileNotFoundError as exc:
            raise fail(str(exc)) from exc
        try:
            outcome = run_prediction(store, model_dir, top_k, out if all_pairs else None, write, not quiet, diseases)
        except (ValueError, FileNotFoundError) as exc:
            raise fail(str(exc)) from exc
    typer.echo(
        f"model {outcome.model_version}: scored {outcome.pairs_scored:,} pairs in {outcome.seconds:.1f} s; "
        f"{outcome.written_to_graph:,} PREDICTED_TREATS edges in the graph"
        + (f"; all pairs in {outcome.tsv}" if outcome.tsv else "")
    )


def evaluate(
    folds: Annotated[int, typer.Option(min=2, max=10, help="k of the k-fold random and disease-holdout splits.")] = 5,
    seeds: Annotated[int, typer.Option(min=1, max=20, help="Seeds per TxGNN disease-area split.")] = 3,
    partitions: Annotated[
        int, typer.Option(min=1, max=10, help="Partitions (repeats) of the k-fold splits, each with its own seed.")
    ] = 1,
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
    external: Annotated[
        Path | None,
        typer.Option(
            help="Score a trained model against this indication list (TSV: drug_id, disease_id; or SIDER's "
            "indications.tsv) instead of running the internal protocol. Never ingested."
        ),
    ] = None,
    universe: Annotated[
        str, typer.Option(help="With --external: hetionet (Rephetio's 1,552 x 137) | indicated | all")
    ] = "hetionet",
    model: Annotated[Path | None, typer.Option(help="With --external: model directory (default: latest).")] = None,
    models_dir: ModelsOpt = DEFAULT_MODELS_DIR,
    bootstrap: Annotated[int, typer.Option(min=10, max=10_000, help="With --external: bootstrap draws.")] = 1000,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Evaluate the GNN against every baseline on every split; write report.md, plots and the per-seed CSV.

    With --external FILE: score a trained model, the degree prior and DWPC on every pair of --universe (minus the
    model's training pairs) and measure how the list's indications rank (AUROC, AUPRC, Recall@k, bootstrap CIs).
    """
    if external is not None:
        _evaluate_external(external, universe, model, models_dir, data_dir, bootstrap, out, graph, quiet)
        return
    from pmkg.gnn import TARGET
    from pmkg.gnn.evaluate import BASELINES
    from pmkg.kg.export import export_graph
    from pmkg.workflows.evaluate import GROUPS, file_sha256, protocol_specs, run_protocol, write_report

    setup_logging(quiet)
    groups = tuple(g.strip() for g in splits.split(",") if g.strip())
    chosen = tuple(b.strip() for b in baselines.split(",") if b.strip())
    area_chosen = tuple(b.strip() for b in area_baselines.split(",") if b.strip()) if area_baselines else None
    for name in (*chosen, *(area_chosen or ())):
        if name not in BASELINES:
            raise fail(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")
    if set(groups) - set(GROUPS):
        raise fail(f"unknown split group in --splits {splits!r}; choose from {', '.join(GROUPS)}")
    meta: dict = {}
    areas = None
    if "areas" in groups:
        if data_dir is None:
            raise fail("--splits areas needs --data-dir DIR with txgnn-splits/ and mondo/ (or leave areas out)")
        from pmkg.gnn.areas import area_indices
        from pmkg.ingest.disease_areas import MONDO_DOID_GLOB, TXGNN_DIR, disease_areas

        try:
            curies = disease_areas(data_dir)
        except (FileNotFoundError, ValueError) as exc:
            raise fail(str(exc)) from exc
        files = sorted((data_dir / TXGNN_DIR / "disease_files").glob("*.csv")) + sorted(data_dir.glob(MONDO_DOID_GLOB))
        meta["file_sha256"] = file_sha256(files)
    t0 = time.perf_counter()
    with open_store(graph) as store:
        require_ingested(store)
        export = export_graph(store, progress=not quiet)
    meta["export_seconds"] = time.perf_counter() - t0
    if TARGET not in export.edges:
        raise fail("the graph has no Drug-TREATS-Disease edges to evaluate: run `pmkg ingest` first")
    if "areas" in groups:
        areas = area_indices(export, curies)
    config = _train_config(epochs, 0, "random", threads)
    try:
        specs, skipped = protocol_specs(export, folds, seeds, groups, areas, partitions)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    meta.update(
        areas_skipped=skipped,
        candidates_text="candidate drugs are Drug nodes with at least one edge besides an indication; the "
        "ranked diseases are those with at least one TREATS edge (under a disease holdout: the held-out ones).",
        random_text=f"{folds}-fold cross-validation over TREATS edges, {partitions} partition(s) (partition r "
        "seeded r, its fold f trained with seed r·k+f); 10% of the remaining edges are the validation fold "
        "(early stopping, calibration).",
        disease_text=f"{folds}-fold cross-validation over the diseases with TREATS edges (zero-shot), {partitions} "
        "partition(s) seeded as above; 10% of the remaining diseases are validation diseases.",
        area_text=f"each TxGNN disease area held out whole, {seeds} seeds; areas map to the graph through MONDO "
        "→ DOID exact matches plus DO IS_A descendants.",
    )

    def report_so_far(runs: list) -> None:
        if len(runs) < len(specs):
            meta["progress"] = f"{len(runs)} of {len(specs)} splits done; this report is rewritten after each split"
        else:
            meta.pop("progress", None)
        write_report(runs, out, export, config, meta)

    run_protocol(export, config, specs, chosen, area_chosen, kge_epochs, progress=not quiet, after_split=report_so_far)
    path = out / "report.md"
    typer.echo(f"report: {path}; per-seed metrics: {out / 'per-seed.csv'}")


def _evaluate_external(
    path: Path, universe: str, model: Path | None, models_dir: Path, data_dir: Path | None, n_boot: int, out: Path,
    graph: str | None, quiet: bool,
) -> None:
    from pmkg.workflows.external import UNIVERSES, ExternalListError, evaluate_external, render_markdown
    from pmkg.workflows.repurposing import latest_model

    setup_logging(quiet)
    if universe not in UNIVERSES:
        raise fail(f"--universe must be one of {', '.join(UNIVERSES)}; got {universe!r}")
    if data_dir is None:
        typer.echo("note: without --data-dir only ids in the graph's own prefixes resolve (UMLS/MeSH need the "
                   "Disease Ontology and MONDO tables of the ingest's data folder)", err=True)
    with open_store(graph) as store:
        require_ingested(store)
        try:
            model_dir = model or latest_model(models_dir)
            report = evaluate_external(store, model_dir, path, universe, data_dir=data_dir,  # type: ignore[arg-type]
                                       n_boot=n_boot, out_dir=out, progress=not quiet)
        except (ExternalListError, ValueError, FileNotFoundError) as exc:
            raise fail(str(exc)) from exc
    typer.echo(render_markdown(report))
    typer.echo(f"report: {out / 'report.md'}; ROC: {out / 'roc.png'}; also in {model_dir}/external-validation.json")


def demo(
    epochs: Annotated[int | None, typer.Option(min=1)] = None,
    top: Annotated[int, typer.Option(min=1, max=100)] = 10,
    graph: Annotated[str, graph_option(fixed_default=True)] = DEMO_GRAPH,
    workdir: Annotated[Path, typer.Option(help="Models, TSV and report go here.")] = Path("pmkg-data/demo"),
    quiet: QuietOpt = False,
) -> None:
    """The whole chain on the bundled real sample: ingest, train, predict, write back, and print candidates."""
    from pmkg.ingest.registry import SAMPLE_DATA_DIR, SAMPLE_SOURCES
    from pmkg.kg.queries import run_query
    from pmkg.workflows.ingest import ingest_sources
    from pmkg.workflows.ingest_report import write_reports
    from pmkg.workflows.repurposing import predict_repurposing as run_prediction
    from pmkg.workflows.repurposing import train_release

    setup_logging(quiet)
    with open_store(graph) as store:
        typer.echo(f"[1/4] ingesting the bundled Hetionet + PharmacotherapyDB sample into {graph}")
        outcomes = ingest_sources(store, SAMPLE_DATA_DIR, list(SAMPLE_SOURCES), progress=not quiet)
        write_reports(outcomes, workdir / "ingest-report.json", SAMPLE_DATA_DIR)
        for o in outcomes:
            typer.echo(f"      {o.name}: {o.nodes:,} nodes, {o.edges:,} edges, {o.seconds:.1f} s")
        if not all(o.ok for o in outcomes):
            raise fail("ingest failed; see the errors above")
        typer.echo(f"[2/4] training the release model: {DEMO_FOLDS} fold models (held-out edges never in message "
                   "passing), then a refit on every label")
        trained = train_release(store, _train_config(epochs, 0, "random", 1), workdir / "models", DEMO_FOLDS,
                                not quiet, on_fold=None if quiet else _fold_line)
        typer.echo(render(_metrics_rows(trained.metrics), "table",
                          title=f"cross-validated: held-out treats edges vs all candidates ({DEMO_FOLDS} folds)"))
        typer.echo("[3/4] scoring every candidate drug x disease pair and writing the top candidates back to the graph")
        tsv = workdir / "predictions.tsv"
        predicted = run_prediction(store, trained.model_dir, 50, tsv, True, not quiet)
        typer.echo(f"      {predicted.pairs_scored:,} pairs -> {tsv}; {predicted.written_to_graph:,} PREDICTED_TREATS")
        typer.echo(f"[4/4] top-{top} repurposing candidates, read back from the graph (queries/repurposing_candidates)")
        for disease in DEMO_DISEASES:
            _, rows = run_query(store, "repurposing_candidates", {"disease": disease, "k": top})
            name = store.run("MATCH (d:Disease {id: $id}) RETURN d.name AS name", {"id": disease})
            title = f"{disease} {name[0]['name'] if name else ''}"
            shown = [{k: row[k] for k in DEMO_COLUMNS} for row in rows]  # the model version is printed below
            typer.echo(render(shown, "table", columns=DEMO_COLUMNS, title=title))
    typer.echo(f"model {trained.model_version}; try: pmkg query repurposing_candidates -g {graph} -p disease=DOID:1612")
