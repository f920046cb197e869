"""What every command shares, declared once: the option types, the console, logging, the graph, failing cleanly.

A command group module imports these by their public names; nothing here imports a command module, so the
groups never import each other.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from pmkg.cli.output import FORMATS

if TYPE_CHECKING:  # the driver loads only when a command opens the graph, so `pmkg --help` stays fast
    from pmkg.kg.store import GraphStore

DEMO_GRAPH = "embedded://pmkg-data/demo-graph"

# Messages, progress bars and logs go to stderr; stdout carries only the command's result (one JSON document
# under --format json), so it can be piped.
console = Console(stderr=True)


def graph_option(fixed_default: bool = False) -> Any:
    """``--graph/-g``; a command with a ``fixed_default`` of its own (``pmkg demo``) does not read the environment."""
    unset = "" if fixed_default else " (when not given: $PMKG_GRAPH_URI, else embedded://pmkg-data/graph)"
    return typer.Option("--graph", "-g", help=f"embedded://PATH or bolt://HOST:7687{unset}")


GraphOpt = Annotated[str | None, graph_option()]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or progress logs.")]


def format_option(*choices: str, help: str | None = None) -> Any:  # noqa: A002 - typer's own word
    """``--format/-f``, limited to ``choices`` (default: every format :mod:`pmkg.cli.output` renders)."""
    allowed = choices or FORMATS

    def check(value: str) -> str:
        if value not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    return typer.Option(
        "--format",
        "-f",
        callback=check,
        metavar="|".join(allowed),
        help=help
        or "Output: a table sized to the terminal, or one JSON document"
        + (" or CSV" if "csv" in allowed else "")
        + " with the full values.",
    )


FormatOpt = Annotated[str, format_option()]


def setup_logging(quiet: bool) -> None:
    """Log to stderr through rich: progress messages unless ``quiet``, warnings always."""
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    quiet_driver_logs()


def quiet_driver_logs() -> None:
    """The driver's debug log carries every statement's parameters, a stored patient's phenotypes included."""
    logging.getLogger("neo4j").setLevel(logging.ERROR)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` on stderr and return the exit to raise (``raise fail(...)``): never a traceback."""
    # soft_wrap: paths and commands in messages must stay copy-pasteable, not be broken at the terminal width.
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


def open_store(graph: str | None) -> GraphStore:
    """Connect to ``graph`` (flag, else $PMKG_GRAPH_URI, else the default); an unreachable graph is a clean exit 2."""
    from pmkg.kg.store import GraphStore, GraphUnavailable

    try:
        return GraphStore.connect(graph)
    except GraphUnavailable as exc:
        raise fail(str(exc)) from exc


SOURCE_COUNT = "MATCH (s:Source) RETURN count(s) AS n"


def require_ingested(store: GraphStore) -> None:
    """Exit 2 with what to do when the graph holds no ``Source`` node: nothing was ever ingested into it.

    Without this, a query on a fresh (empty) graph answers an empty table, which reads as "no result".
    """
    if store.run(SOURCE_COUNT)[0]["n"]:
        return
    raise fail(
        f"the graph at {store.settings.describe()} is empty (no Source node): build it with `pmkg ingest`, "
        f"or run `pmkg demo` and pass -g {DEMO_GRAPH}"
    )
