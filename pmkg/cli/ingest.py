"""Getting the graph built and looking at it: ``pmkg ingest``, ``pmkg stats`` and ``pmkg export rdf``.

* ``pmkg ingest``: the upstream sources into the graph, or (``--neo4j-import-dir``) into ``neo4j-admin database
  import full`` CSVs plus the exact command to load them (:mod:`pmkg.kg.neo4j_import`); no graph is opened then.
  ``pmkg ingest patients`` is added to this group by :mod:`pmkg.cli.patients`.
* ``pmkg stats``: node and edge counts.
* ``pmkg export rdf``: the graph as Turtle with Bioregistry IRIs (:mod:`pmkg.kg.rdf`).
* ``pmkg export kgx``: the graph as Biolink-typed KGX nodes/edges files with a manifest (:mod:`pmkg.kg.kgx`).

Heavy modules load only when a command runs, so ``pmkg --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pmkg.cli.common import (
    FormatOpt,
    GraphOpt,
    QuietOpt,
    console,
    fail,
    format_option,
    open_store,
    setup_logging,
)
from pmkg.cli.output import render

ingest_app = typer.Typer(help="Ingest upstream sources (default) or patients (`pmkg ingest patients PATH...`).")
export_app = typer.Typer(no_args_is_help=True, help="Write the graph out in an exchange format.")


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` group, ``stats`` and the ``export`` group to ``app``."""
    app.add_typer(ingest_app, name="ingest")
    app.command()(stats)
    app.add_typer(export_app, name="export")


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
    written, rows skipped (with reasons and file:line) and ids left unresolved (with examples). Exit status: 0 all
    sources ok, 1 a source failed (the others are still written), 3 a source is degraded (its warnings exceed
    10% of its rows).
    """
    if ctx.invoked_subcommand is not None:
        return
    from pmkg.ingest.registry import SAMPLE_DATA_DIR, SAMPLE_SOURCES
    from pmkg.ingest.xrefs import Resolver
    from pmkg.workflows.ingest import ingest_sources
    from pmkg.workflows.ingest_report import exit_code, summary_rows, write_reports

    setup_logging(quiet)
    if download:
        if data_dir is not None:
            raise fail("--download fetches into the cache; use it without --data-dir (or set PMKG_CACHE_DIR)")
        data_dir, source = _download(source, quiet)
    if data_dir is None:
        data_dir, source = SAMPLE_DATA_DIR, source or list(SAMPLE_SOURCES)
    if not data_dir.is_dir():
        raise fail(f"--data-dir {data_dir} is not a folder")
    if neo4j_import_dir is not None:
        return _write_neo4j_import(data_dir, source, neo4j_import_dir, report, quiet)
    resolver = Resolver.from_data_dir(data_dir)
    with open_store(graph) as store:
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
            raise fail(str(exc)) from exc
    summary = write_reports(outcomes, report, data_dir, resolver.summary())
    typer.echo(render(summary_rows(outcomes), "table", title=f"ingest from {data_dir}"))
    for outcome in outcomes:
        if outcome.error:
            console.print(f"[red]{outcome.name} failed:[/red] {escape(outcome.error)}", soft_wrap=True)
        if outcome.status == "degraded":
            console.print(f"[yellow]{outcome.name} is degraded:[/yellow] {_degraded(outcome)}", soft_wrap=True)
        for problem in outcome.write_problems:
            console.print(f"[yellow]{outcome.name}:[/yellow] {escape(problem)}", soft_wrap=True)
    typer.echo(f"report: {summary} (readable) and {report}")
    code = exit_code(outcomes)
    if code:
        raise typer.Exit(code)


def _degraded(outcome) -> str:
    return (
        f"{outcome.warning_count:,} warnings for {outcome.rows_read:,} rows read; it was written, but check its files "
        "(the report lists the first warnings)"
    )


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
            raise fail("no source could be downloaded; see above, or ingest from --data-dir") from exc
        return exc.cache_dir, arrived
    except DownloadError as exc:
        raise fail(str(exc)) from exc


def _write_neo4j_import(data_dir: Path, sources: list[str] | None, out_dir: Path, report: Path, quiet: bool) -> None:
    """Run the ingest jobs into neo4j-admin import files in ``out_dir``; print what was written and the command."""
    from pmkg.workflows.ingest import import_sources
    from pmkg.workflows.ingest_report import exit_code, summary_rows, write_reports

    try:
        plan, outcomes = import_sources(data_dir, out_dir, sources, progress=not quiet)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    summary = write_reports(outcomes, report, data_dir)
    typer.echo(render(summary_rows(outcomes), "table", title=f"neo4j-admin import files from {data_dir}"))
    for outcome in outcomes:
        if outcome.error:
            typer.echo(f"{outcome.name} failed: {outcome.error}", err=True)
    typer.echo(plan.summary())
    typer.echo("\nWith Neo4j 5 stopped, load them with:\n")
    typer.echo(plan.command)
    typer.echo(f"\nor, beside this repository's docker-compose.yml:\n\n{plan.docker_command}\n")
    typer.echo(f"then start Neo4j and run {plan.schema_file} (cypher-shell -f); {plan.instructions} has every step")
    typer.echo(f"report: {summary} (readable) and {report}")
    code = exit_code(outcomes)
    if code:
        raise typer.Exit(code)


def stats(graph: GraphOpt = None, fmt: FormatOpt = "table", quiet: QuietOpt = False) -> None:
    """Node and edge counts per label/type and source (--format json: one {"nodes": [...], "edges": [...]})."""
    from pmkg.kg.stats import graph_counts

    setup_logging(True)
    with open_store(graph) as store:
        nodes, edges = graph_counts(store)
    if fmt == "json":
        typer.echo(json.dumps({"nodes": nodes, "edges": edges}, indent=2, default=str))
        return
    typer.echo(render(nodes, fmt, title="nodes"))
    typer.echo(render(edges, fmt, title="relationships"))


@export_app.command("rdf")
def export_rdf(
    out: Annotated[Path, typer.Option("--out", "-o", help="Turtle file to write (.ttl, or .ttl.gz to gzip it).")],
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Every node and edge (patients excepted) as RDF Turtle: Bioregistry IRIs, edge properties by reification."""
    from pmkg.kg.rdf import export_rdf as write_turtle

    setup_logging(quiet)
    with open_store(graph) as store:
        report = write_turtle(store, out, progress=not quiet)
    typer.echo(report.summary())


@export_app.command("kgx")
def export_kgx(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the nodes/edges files, manifest and bundle.")],
    kgx_format: Annotated[
        str, format_option("tsv", "jsonl", help="tsv (KGX TSV, lists |-separated) or jsonl (KGX JSON Lines).")
    ] = "tsv",
    bundle: Annotated[bool, typer.Option(help="Also pack the files into pmkg-kgx.tar.gz.")] = True,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Every node and edge (patients and Source nodes excepted) as Biolink-typed KGX, with a manifest.json."""
    from pmkg.kg.kgx import FORMATS
    from pmkg.kg.kgx import export_kgx as write_kgx

    if kgx_format not in FORMATS:
        raise fail(f"--format {kgx_format!r}: use one of {', '.join(FORMATS)}")
    setup_logging(quiet)
    with open_store(graph) as store:
        report = write_kgx(store, out, kgx_format, progress=not quiet, bundle=bundle)
    typer.echo(report.summary())
