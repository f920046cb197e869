"""Researcher commands: ``pmkg query``, ``pmkg explain``, ``pmkg browser-guide`` and ``pmkg load-neo4j``.

Errors are a message and exit code 2, never a traceback; ``query`` and ``explain`` refuse an empty graph
(:func:`pmkg.cli.common.require_ingested`) rather than answer nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pmkg.cli.common import (
    FormatOpt,
    GraphOpt,
    QuietOpt,
    console,
    fail,
    open_store,
    require_ingested,
    setup_logging,
)
from pmkg.cli.output import render

if TYPE_CHECKING:
    from pmkg.kg.explain import Explanation


def register(app: typer.Typer) -> None:
    """Add ``query``, ``explain``, ``browser-guide`` and ``load-neo4j`` to ``app``."""
    app.command()(query)
    app.command()(explain)
    app.command("browser-guide")(browser_guide)
    app.command("load-neo4j")(load_neo4j)


def query(
    name: Annotated[str | None, typer.Argument(help="Query name (see --list).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="key=value (repeatable).")] = None,
    fmt: FormatOpt = "table",
    list_queries: Annotated[
        bool, typer.Option("--list", help="List the named queries (with NAME: that query's full header) and exit.")
    ] = False,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Run a named query from queries/ (never arbitrary Cypher)."""
    from pmkg.kg.queries import QueryError, describe_query, get_query, load_library, run_query

    setup_logging(True)
    if list_queries and name is not None:
        try:
            typer.echo(describe_query(get_query(name)))
        except QueryError as exc:
            raise fail(str(exc)) from exc
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
        typer.echo(render(rows, fmt, title="named queries", id_columns=("name",)))
        return
    raw = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--param expects key=value, got {item!r}")
        raw[key.strip()] = value
    try:
        named = get_query(name)
        named.bind(raw)  # check the call before connecting
        with open_store(graph) as store:
            require_ingested(store)
            named, rows = run_query(store, name, raw)
    except QueryError as exc:
        raise fail(str(exc)) from exc
    text = render(rows, fmt, columns=named.columns, title=name if fmt == "table" else None)
    typer.echo(text, nl=not text.endswith("\n"))


PATH_COLUMNS = ("rank", "contribution", "metapath", "path", "sources")


def explain(
    drug: Annotated[str, typer.Option(help="Drug id (DRUGBANK:DB...) or exact name.")],
    disease: Annotated[str | None, typer.Option(help="Disease id (DOID:...) or exact name.")] = None,
    patient: Annotated[str | None, typer.Option(help="Patient id (PMKG.PATIENT:...), instead of --disease.")] = None,
    n: Annotated[int, typer.Option("--n", "-n", min=1, max=1000, help="How many paths.")] = 10,
    damping: Annotated[
        float, typer.Option(help="Degree damping exponent w, 0 to 1 (the evidence queries' @param range).")
    ] = 0.4,
    png: Annotated[Path | None, typer.Option(help="Also draw the evidence subgraph to this PNG file.")] = None,
    fmt: FormatOpt = "table",
    show_cypher: Annotated[bool, typer.Option("--cypher", help="Also print each path's Cypher.")] = False,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Why does the graph link this drug to this disease (or patient)? The top evidence paths, ranked.

    Each path's contribution is its share of the pair's degree-weighted path count (Rephetio's DWPC over the
    metapaths in kg/metapaths.py; pdp = prod (deg(u) * deg(v)) ^ -damping). Known indications and model
    predictions of the pair are shown above the paths; they are never evidence themselves.
    """
    from pmkg.kg.explain import ExplainError, explain_drug_disease, explain_patient_drug

    setup_logging(True)
    if (disease is None) == (patient is None):
        raise fail("give exactly one of --disease (drug-disease pair) or --patient (patient-drug pair)")
    with open_store(graph) as store:
        require_ingested(store)
        try:
            if patient is not None:
                result = explain_patient_drug(store, patient, drug, n=n, damping=damping)
            else:
                result = explain_drug_disease(store, drug, disease, n=n, damping=damping)
        except ExplainError as exc:
            raise fail(str(exc)) from exc
    if png is not None:
        from pmkg.kg.explain_plot import draw_explanation

        draw_explanation(result, png)
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
    elif fmt == "csv":
        typer.echo(render([_path_row(p, all_columns=True) for p in result.paths], "csv"), nl=False)
    else:
        _print_explanation(result, show_cypher)
    if png is not None:
        console.print(f"evidence subgraph: {png}")


def _path_row(path, all_columns: bool = False) -> dict:
    from dataclasses import asdict

    row = asdict(path)
    row["contribution"] = round(row["contribution"], 4)
    return row if all_columns else {k: row[k] for k in PATH_COLUMNS}


def _print_explanation(result: Explanation, show_cypher: bool) -> None:
    source = f"{result.source_id} ({result.source_name})" if result.source_name else result.source_id
    target = f"{result.target_id} ({result.target_name})" if result.target_name else result.target_id
    lines = [f"{source} -> {target}"]
    if result.kind == "drug-disease":
        lines.append(f"known indication: {result.known or 'no'}")
        prediction = result.prediction
        lines.append(
            "model: rank {rank}, probability {probability:.4g}, score {score:.4g} ({model_version})".format(
                **prediction
            )
            if prediction
            else "model: no PREDICTED_TREATS edge for this pair (not in the top-k written back, or no model yet)"
        )
    lines.append(f"degree-weighted path count {result.total_dwpc:.4g} (damping {result.damping})")
    typer.echo("\n".join(lines))
    if result.metapaths:
        rows = [
            {"metapath": m.metapath, "share": round(m.share, 4), "paths": m.paths, "meaning": m.meaning}
            for m in result.metapaths
        ]
        typer.echo(render(rows, "table", title="metapaths"), nl=False)
    typer.echo(render([_path_row(p) for p in result.paths], "table", columns=PATH_COLUMNS, title="evidence paths"))
    if result.biomarker_evidence:
        columns = ["direction", "level", "significance", "therapy_name", "evidence_id", "disease_name", "disease_fit"]
        rows = [{c: row[c] for c in columns} | {"path": row["path"]} for row in result.biomarker_evidence]
        typer.echo(render(rows, "table", title="biomarker evidence (CIViC)"))
    if result.interaction_evidence:
        columns = ["risk", "medication_id", "medication_name", "source"]
        rows = [{c: row[c] for c in columns} | {"path": row["path"]} for row in result.interaction_evidence]
        typer.echo(render(rows, "table", title="interactions with current medications (DrugCentral)"))
    for note in result.notes:
        typer.echo(note)
    if show_cypher:
        for path in result.paths:
            typer.echo(f"// {path.rank}. {path.metapath}\n{path.cypher};")


def load_neo4j(
    to: Annotated[str, typer.Option("--to", help="Target Neo4j Bolt URI.")] = "bolt://localhost:7687",
    user: Annotated[str, typer.Option(help="Neo4j user.")] = "neo4j",
    password: Annotated[
        str | None, typer.Option(help="Neo4j password (default: $NEO4J_PASSWORD, as docker-compose.yml uses).")
    ] = None,
    database: Annotated[str | None, typer.Option(help="Neo4j database (default neo4j).")] = None,
    include_patients: Annotated[
        bool, typer.Option("--include-patients", help="Also copy Patient nodes (sensitive; off by default).")
    ] = False,
    graph: GraphOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Copy a built graph (default: the embedded one) into the docker-compose Neo4j 5, predictions included.

    Idempotent (MERGE on the same keys as ingest), so an interrupted copy is simply run again. Ends by comparing
    node and relationship counts per label and type in both stores.
    """
    from pmkg.kg.graph_copy import copy_graph
    from pmkg.kg.store import GraphStore, GraphUnavailable

    setup_logging(quiet)
    secret = password or os.environ.get("NEO4J_PASSWORD") or os.environ.get("PMKG_GRAPH_PASSWORD")
    if not secret:
        raise fail("set --password or NEO4J_PASSWORD (the password docker-compose.yml gave Neo4j)")
    with open_store(graph) as source:
        try:
            target = GraphStore.connect(to, user, secret, database)
        except GraphUnavailable as exc:
            raise fail(str(exc)) from exc
        with target:
            report = copy_graph(source, target, include_patients=include_patients, progress=not quiet)
    typer.echo(render(report.rows(), "table", title=f"copied to {to} in {report.seconds:.1f} s"))
    for what, count in report.skipped.items():
        if count:
            console.print(f"left out: {count:,} {what}" + ("" if include_patients else " (see --include-patients)"))
    for mismatch in report.mismatches:
        console.print(f"[red]count differs:[/red] {mismatch}")
    if not report.ok:
        raise typer.Exit(1)
    typer.echo("open http://localhost:7474 and run `pmkg browser-guide --serve` for the query library guide")


def browser_guide(
    out: Annotated[Path, typer.Option(help="Folder for the guide.")] = Path("pmkg-data/browser-guide"),
    serve: Annotated[bool, typer.Option("--serve", help="Serve it on localhost for Neo4j Browser's :play.")] = False,
    port: Annotated[int, typer.Option(min=1024, max=65535)] = 8001,
    quiet: QuietOpt = False,
) -> None:
    """Write a Neo4j Browser guide of the query library; with --serve, serve it for `:play` in Browser."""
    from pmkg.kg.browser_guide import GUIDE_FILE, guide_server, write_guide

    setup_logging(quiet)
    path = write_guide(out)
    typer.echo(f"wrote {path}")
    if not serve:
        typer.echo(f"serve it with `pmkg browser-guide --serve`, then run `:play http://localhost:{port}/{GUIDE_FILE}`")
        return
    try:
        server = guide_server(out, port)
    except OSError as exc:
        raise fail(f"cannot serve on 127.0.0.1:{port}: {exc}; pick another --port") from exc
    typer.echo(f"in Neo4j Browser (http://localhost:7474) run:  :play http://localhost:{port}/{GUIDE_FILE}")
    typer.echo("Ctrl-C stops the server")
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            typer.echo("stopped")
