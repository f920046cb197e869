"""The ``pmkg`` command line: ingest | stats | train | evaluate | predict | query | demo."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

app = typer.Typer(no_args_is_help=True, add_completion=False, help="pmkg: precision-medicine knowledge graph + GNN.")
predict_app = typer.Typer(no_args_is_help=True, help="Score links with a trained model.")
app.add_typer(predict_app, name="predict")
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


def _store(graph: str | None):  # noqa: ANN202 - lazy import keeps `pmkg --help` fast
    from kg.store import GraphStore, GraphUnavailable

    try:
        return GraphStore.connect(graph)
    except GraphUnavailable as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@app.command()
def ingest(
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder with one sub-folder per source (default: the bundled sample).")
    ] = None,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")] = None,
    report: Annotated[Path, typer.Option(help="Where to write the JSON ingest report.")] = Path(
        "pmkg-data/ingest-report.json"
    ),
    batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 10_000,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Read upstream files and write them into the graph (idempotent: re-running changes nothing)."""
    from ingest.registry import SAMPLE_DATA_DIR
    from kg.load import ingest_sources, write_report

    _setup_logging(quiet)
    data_dir = data_dir or SAMPLE_DATA_DIR
    if not data_dir.is_dir():
        raise _fail(f"--data-dir {data_dir} is not a folder")
    with _store(graph) as store:
        try:
            outcomes = ingest_sources(store, data_dir, source, batch_size=batch_size, progress=not quiet)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    write_report(outcomes, report)
    from kg.output import render

    rows = [
        {
            "source": o.name,
            "status": "ok" if o.ok else "FAILED",
            "nodes": o.nodes,
            "edges": o.edges,
            "skipped": sum(o.skipped.values()),
            "unresolved": sum(o.unresolved.values()),
            "warnings": len(o.warnings),
            "seconds": round(o.seconds, 1),
            "rows/s": round(o.rows_per_second),
        }
        for o in outcomes
    ]
    typer.echo(render(rows, "table", title=f"ingest from {data_dir}"))
    for outcome in outcomes:
        if outcome.error:
            console.print(f"[red]{outcome.name} failed:[/red] {outcome.error}")
        for problem in outcome.write_problems:
            console.print(f"[yellow]{outcome.name}:[/yellow] {problem}")
    typer.echo(f"report: {report}")
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


@app.command()
def stats(graph: GraphOpt = None, fmt: Annotated[str, typer.Option("--format", "-f")] = "table") -> None:
    """Node and edge counts per label/type and source."""
    from kg.output import render
    from kg.stats import graph_counts

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
    list_queries: Annotated[bool, typer.Option("--list", help="List the named queries and exit.")] = False,
    graph: GraphOpt = None,
) -> None:
    """Run a named query from queries/ (never arbitrary Cypher)."""
    from kg.output import FORMATS, render
    from kg.queries import QueryError, get_query, load_library, run_query

    _setup_logging(True)
    if list_queries or name is None:
        rows = [
            {
                "name": q.name,
                "parameters": ", ".join(p.name + ("" if p.default is None else f"={p.default}") for p in q.params),
                "description": q.description,
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
    typer.echo(render(rows, fmt, columns=named.columns, title=name if fmt == "table" else None))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
