"""The ``pmkg`` command line: ingest | stats | export | train | evaluate | predict | query | demo."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

from pmkg.cli.io import export_app, write_neo4j_import

if TYPE_CHECKING:  # torch and the driver load only when a command needs them, so `pmkg --help` stays fast
    from pmkg.gnn.train import TrainConfig
    from pmkg.kg.store import GraphStore

app = typer.Typer(no_args_is_help=True, add_completion=False, help="pmkg: precision-medicine knowledge graph + GNN.")
predict_app = typer.Typer(no_args_is_help=True, help="Score links with a trained model.")
app.add_typer(predict_app, name="predict")
app.add_typer(export_app, name="export")
console = Console(stderr=True)

GraphOpt = Annotated[
    str | None,
    typer.Option(
        "--graph",
        "-g",
        help="embedded://PATH (default embedded://pmkg-data/graph) or bolt://HOST:7687; env PMKG_GRAPH_URI",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


def _setup_logging(quiet: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    logging.getLogger("neo4j").setLevel(logging.ERROR)


def _store(graph: str | None) -> GraphStore:
    from pmkg.kg.store import GraphStore, GraphUnavailable

    try:
        return GraphStore.connect(graph)
    except GraphUnavailable as exc:
        raise _fail(str(exc)) from exc


def _fail(message: str, code: int = 2) -> typer.Exit:
    # soft_wrap: paths and commands in messages must stay copy-pasteable, not be broken at the terminal width.
    console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


ingest_app = typer.Typer(help="Ingest upstream sources (default) or patients (`pmkg ingest patients PATH...`).")
app.add_typer(ingest_app, name="ingest")


@ingest_app.callback(invoke_without_command=True)
def ingest(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder with one sub-folder per source (default: the bundled sample).")
    ] = None,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")] = None,
    report: Annotated[Path, typer.Option(help="Where to write the JSON ingest report.")] = Path(
        "pmkg-data/ingest-report.json"
    ),
    batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 10_000,
    plain: Annotated[
        bool, typer.Option("--plain", help="Write with batched UNWIND ... MERGE only, not the embedded bulk path.")
    ] = False,
    download: Annotated[
        bool,
        typer.Option(
            "--download",
            help="Fetch the sources' upstream files into the cache (~/.cache/pmkg or $PMKG_CACHE_DIR), verify "
            "their checksums, resume partial files, and ingest from there.",
        ),
    ] = False,
    neo4j_import_dir: Annotated[
        Path | None,
        typer.Option(help="Write neo4j-admin import CSVs into this folder instead of a graph; prints the command."),
    ] = None,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Read upstream files and write them into the graph (idempotent: re-running changes nothing).

    Writes ingest-report.json and a readable ingest-report.md beside it: per source, rows read, records
    written, rows skipped (with reasons) and ids left unresolved (with examples).
    """
    if ctx.invoked_subcommand is not None:
        return
    from pmkg.ingest.registry import SAMPLE_DATA_DIR, SAMPLE_SOURCES
    from pmkg.ingest.xrefs import Resolver
    from pmkg.workflows.ingest import ingest_sources
    from pmkg.workflows.ingest_report import summary_rows, write_reports

    _setup_logging(quiet)
    if download:
        if data_dir is not None:
            raise _fail("--download fetches into the cache; use it without --data-dir (or set PMKG_CACHE_DIR)")
        data_dir, source = _download(source, quiet)
    if data_dir is None:
        data_dir, source = SAMPLE_DATA_DIR, source or list(SAMPLE_SOURCES)
    if not data_dir.is_dir():
        raise _fail(f"--data-dir {data_dir} is not a folder")
    if neo4j_import_dir is not None:
        return write_neo4j_import(data_dir, source, neo4j_import_dir, report, quiet)
    resolver = Resolver.from_data_dir(data_dir)
    with _store(graph) as store:
        try:
            outcomes = ingest_sources(
                store,
                data_dir,
                source,
                batch_size=batch_size,
                progress=not quiet,
                bulk=not plain,
                resolver=resolver,
            )
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    summary = write_reports(outcomes, report, data_dir, resolver.summary())
    from pmkg.cli.output import render

    typer.echo(render(summary_rows(outcomes), "table", title=f"ingest from {data_dir}"))
    for outcome in outcomes:
        if outcome.error:
            console.print(f"[red]{outcome.name} failed:[/red] {outcome.error}")
        for problem in outcome.write_problems:
            console.print(f"[yellow]{outcome.name}:[/yellow] {problem}")
    typer.echo(f"report: {summary} (readable) and {report}")
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


def _download(sources: list[str] | None, quiet: bool) -> tuple[Path, list[str]]:
    """Fetch ``sources`` (default: all) into the cache; return it and the sources that arrived."""
    from pmkg.ingest.downloads import DownloadError, DownloadFailed, download_sources
    from pmkg.ingest.registry import JOBS

    wanted = list(sources or JOBS)
    try:
        return download_sources(wanted, progress=not quiet), wanted
    except DownloadFailed as exc:
        for name, message in exc.failures.items():
            console.print(f"[red]download of {name} failed:[/red] {message}")
        arrived = [name for name in wanted if name in exc.fetched]
        if not arrived:
            raise _fail("no source could be downloaded; see above, or ingest from --data-dir") from exc
        return exc.cache_dir, arrived
    except DownloadError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def stats(graph: GraphOpt = None, fmt: Annotated[str, typer.Option("--format", "-f")] = "table") -> None:
    """Node and edge counts per label/type and source."""
    from pmkg.cli.output import render
    from pmkg.kg.stats import graph_counts

    _setup_logging(True)
    with _store(graph) as store:
        nodes, edges = graph_counts(store)
    typer.echo(render(nodes, fmt, title="nodes"))
    typer.echo(render(edges, fmt, title="relationships"))


@app.command()
def query(
    name: Annotated[str | None, typer.Argument(help="Query name (see --list).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="key=value (repeatable).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | json | csv")] = "table",
    list_queries: Annotated[
        bool, typer.Option("--list", help="List the named queries (with NAME: that query's full header) and exit.")
    ] = False,
    graph: GraphOpt = None,
) -> None:
    """Run a named query from queries/ (never arbitrary Cypher)."""
    from pmkg.cli.output import FORMATS, render
    from pmkg.kg.queries import QueryError, describe_query, get_query, load_library, run_query

    _setup_logging(True)
    if list_queries and name is not None:
        try:
            typer.echo(describe_query(get_query(name)))
        except QueryError as exc:
            raise _fail(str(exc)) from exc
        return
    if list_queries or name is None:
        rows = [
            {
                "name": q.name,
                "parameters": ", ".join(p.name + ("" if p.default is None else f"={p.default}") for p in q.params),
                "description": q.summary,
            }
            for q in load_library().values()
        ]
        typer.echo(render(rows, "table" if fmt not in FORMATS else fmt, title="named queries"))
        return
    if fmt not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)}")
    raw = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _fail(f"--param expects key=value, got {item!r}")
        raw[key.strip()] = value
    try:
        named = get_query(name)
        named.bind(raw)  # check the call before connecting
        with _store(graph) as store:
            named, rows = run_query(store, name, raw)
    except QueryError as exc:
        raise _fail(str(exc)) from exc
    text = render(rows, fmt, columns=named.columns, title=name if fmt == "table" else None)
    typer.echo(text, nl=not text.endswith("\n"))


METRIC_COLUMNS = ("auroc", "auprc", "mrr", "hits@1", "hits@10", "recall@100", "auprc_1to1_sampled")
ModelsOpt = Annotated[Path, typer.Option("--models-dir", help="Where versioned model directories live.")]


def _metrics_rows(metrics: dict[str, dict[str, float]]) -> list[dict]:
    return [
        {"model": name, **{k: round(float(v[k]), 4) for k in METRIC_COLUMNS if k in v}} for name, v in metrics.items()
    ]


def _train_config(epochs: int | None, seed: int, split: str, threads: int) -> TrainConfig:
    from pmkg.gnn.train import TrainConfig

    config = TrainConfig(seed=seed, split=split, threads=threads)
    if epochs is not None:
        config.epochs = epochs
    return config


@app.command()
def train(
    epochs: Annotated[int | None, typer.Option(min=1, help="Maximum epochs (early stopping on val AUROC).")] = None,
    seed: int = 0,
    split: Annotated[str, typer.Option(help="random | disease_holdout")] = "random",
    threads: Annotated[
        int, typer.Option(min=1, help="torch threads; 1 is robust when the graph server shares the cores")
    ] = 1,
    calibration: Annotated[str, typer.Option(help="platt | isotonic, fitted on the validation fold")] = "platt",
    models_dir: ModelsOpt = Path("pmkg-data/models"),
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Export the graph, train the GNN on Drug-TREATS-Disease, evaluate against the degree prior, save the model."""
    from pmkg.cli.output import render
    from pmkg.workflows.repurposing import train_from_graph

    _setup_logging(quiet)
    with _store(graph) as store:
        try:
            outcome = train_from_graph(
                store, _train_config(epochs, seed, split, threads), models_dir, not quiet, calibration
            )
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    typer.echo(render(_metrics_rows(outcome.metrics), "table", title=f"held-out test edges ({split} split)"))
    typer.echo(
        f"model {outcome.model_version} -> {outcome.model_dir}\n"
        f"{outcome.epochs_run} epochs at {outcome.seconds_per_epoch:.2f} s/epoch; "
        f"export {outcome.export_seconds:.1f} s; "
        f"validation Brier {outcome.calibration['brier']:.5f}"
    )


@predict_app.command("repurposing")
def predict_repurposing(
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the latest trained).")] = None,
    all_pairs: Annotated[bool, typer.Option("--all", help="Write every candidate pair to --out.")] = False,
    out: Annotated[Path | None, typer.Option(help="TSV path for --all.")] = None,
    top_k: Annotated[int, typer.Option(min=1, max=1000, help="Candidates per disease written to the graph.")] = 50,
    write: Annotated[bool, typer.Option("--write/--no-write", help="Write PREDICTED_TREATS edges.")] = True,
    diseases: Annotated[
        str, typer.Option(help="indicated (diseases with a TREATS/PALLIATES edge) | all (every Disease node)")
    ] = "indicated",
    models_dir: ModelsOpt = Path("pmkg-data/models"),
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Score every candidate drug x disease pair; write the TSV and the top-k novel candidates back to the graph."""
    from pmkg.workflows.repurposing import latest_model
    from pmkg.workflows.repurposing import predict_repurposing as run_prediction

    _setup_logging(quiet)
    if all_pairs and out is None:
        raise _fail("--all needs --out FILE.tsv")
    try:
        model_dir = model or latest_model(models_dir)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from exc
    with _store(graph) as store:
        try:
            outcome = run_prediction(store, model_dir, top_k, out if all_pairs else None, write, not quiet, diseases)
        except (ValueError, FileNotFoundError) as exc:
            raise _fail(str(exc)) from exc
    typer.echo(
        f"model {outcome.model_version}: scored {outcome.pairs_scored:,} pairs in {outcome.seconds:.1f} s; "
        f"{outcome.written_to_graph:,} PREDICTED_TREATS edges in the graph"
        + (f"; all pairs in {outcome.tsv}" if outcome.tsv else "")
    )


DEMO_DISEASES = ("DOID:1612", "DOID:10652", "DOID:9352", "DOID:14330")


@app.command()
def demo(
    epochs: Annotated[int | None, typer.Option(min=1)] = None,
    top: Annotated[int, typer.Option(min=1, max=100)] = 10,
    graph: Annotated[str, typer.Option("--graph", "-g")] = "embedded://pmkg-data/demo-graph",
    workdir: Annotated[Path, typer.Option(help="Models, TSV and report go here.")] = Path("pmkg-data/demo"),
    quiet: QuietOpt = False,
) -> None:
    """The whole chain on the bundled real sample: ingest, train, predict, write back, and print candidates."""
    from pmkg.cli.output import render
    from pmkg.ingest.registry import SAMPLE_DATA_DIR, SAMPLE_SOURCES
    from pmkg.kg.queries import run_query
    from pmkg.workflows.ingest import ingest_sources
    from pmkg.workflows.ingest_report import write_reports
    from pmkg.workflows.repurposing import predict_repurposing as run_prediction
    from pmkg.workflows.repurposing import train_from_graph

    _setup_logging(quiet)
    with _store(graph) as store:
        typer.echo(f"[1/4] ingesting the bundled Hetionet + PharmacotherapyDB sample into {graph}")
        outcomes = ingest_sources(store, SAMPLE_DATA_DIR, list(SAMPLE_SOURCES), progress=not quiet)
        write_reports(outcomes, workdir / "ingest-report.json", SAMPLE_DATA_DIR)
        for o in outcomes:
            typer.echo(f"      {o.name}: {o.nodes:,} nodes, {o.edges:,} edges, {o.seconds:.1f} s")
        if not all(o.ok for o in outcomes):
            raise _fail("ingest failed; see the errors above")
        typer.echo("[2/4] training the heterogeneous GNN (random split; test edges never in message passing)")
        trained = train_from_graph(store, _train_config(epochs, 0, "random", 1), workdir / "models", not quiet)
        typer.echo(render(_metrics_rows(trained.metrics), "table", title="held-out treats edges vs all candidates"))
        typer.echo("[3/4] scoring every candidate drug x disease pair and writing the top candidates back to the graph")
        tsv = workdir / "predictions.tsv"
        predicted = run_prediction(store, trained.model_dir, 50, tsv, True, not quiet)
        typer.echo(f"      {predicted.pairs_scored:,} pairs -> {tsv}; {predicted.written_to_graph:,} PREDICTED_TREATS")
        typer.echo(f"[4/4] top-{top} repurposing candidates, read back from the graph (queries/repurposing_candidates)")
        for disease in DEMO_DISEASES:
            _, rows = run_query(store, "repurposing_candidates", {"disease": disease, "k": top})
            name = store.run("MATCH (d:Disease {id: $id}) RETURN d.name AS name", {"id": disease})
            title = f"{disease} {name[0]['name'] if name else ''}"
            typer.echo(render(rows, "table", title=title))
    typer.echo(f"model {trained.model_version}; try: pmkg query repurposing_candidates -g {graph} -p disease=DOID:1612")


from pmkg.cli.research import register as _register_research  # noqa: E402  (it reuses this module's options)

_register_research(app)

from pmkg.cli.serve import serve  # noqa: E402  (its own module; registered here)

app.command()(serve)

from pmkg.cli.evaluate import evaluate  # noqa: E402  (its own module; registered here)

app.command()(evaluate)

from pmkg.cli.patients import register as _register_patient_commands  # noqa: E402  (needs the objects above)

_register_patient_commands(app, ingest_app)


def main() -> None:
    # The embedded graph server's JVM shares the cores with torch in this process; spinning OpenMP workers
    # would starve it (measured 10-20x slow-downs in DESIGN.md section 8). Must be set before torch loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # One BLAS thread is plenty at this scale and leaves the second core to the embedded JVM. (The signal-11
    # deaths once blamed on OpenBLAS threads were SIGTERMs hitting JPype's TERM handler: kg.embedded.)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
