"""Command-line entry points that move the graph in or out in bulk formats.

* ``pmkg export rdf --out graph.ttl``: the graph as Turtle with Bioregistry IRIs (:mod:`kg.rdf`).
* ``pmkg ingest --neo4j-import-dir DIR``: the ingest jobs' records as ``neo4j-admin database import full`` CSVs,
  plus the exact command to load them (:mod:`kg.neo4j_import`); no graph store is opened.

``kg/cli.py`` registers these; heavy modules load only when a command runs, so ``pmkg --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

export_app = typer.Typer(no_args_is_help=True, help="Write the graph out in an exchange format.")


@export_app.command("rdf")
def export_rdf(
    out: Annotated[Path, typer.Option("--out", "-o", help="Turtle file to write (.ttl, or .ttl.gz to gzip it).")],
    graph: Annotated[
        str | None, typer.Option("--graph", "-g", help="embedded://PATH or bolt://HOST:7687; env PMKG_GRAPH_URI")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Every node and edge (patients excepted) as RDF Turtle: Bioregistry IRIs, edge properties by reification."""
    from pmkg.cli import _setup_logging, _store
    from pmkg.kg.rdf import export_rdf as write_turtle

    _setup_logging(quiet)
    with _store(graph) as store:
        report = write_turtle(store, out, progress=not quiet)
    typer.echo(report.summary())


def write_neo4j_import(data_dir: Path, sources: list[str] | None, out_dir: Path, report: Path, quiet: bool) -> None:
    """Run the ingest jobs into neo4j-admin import files in ``out_dir``; print what was written and the command."""
    from pmkg.cli import _fail
    from pmkg.cli.output import render
    from pmkg.workflows.ingest import import_sources
    from pmkg.workflows.ingest_report import summary_rows, write_reports

    try:
        plan, outcomes = import_sources(data_dir, out_dir, sources, progress=not quiet)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
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
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)
