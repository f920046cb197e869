"""The ``pmkg`` command line: the Typer app, assembled from one module per command group.

* :mod:`pmkg.cli.common`: what every command shares (option types, console, logging, opening the graph, errors).
* :mod:`pmkg.cli.output`: tables that keep ids whole, one JSON document, CSV.
* :mod:`pmkg.cli.ingest`: ``ingest``, ``stats``, ``export rdf``.
* :mod:`pmkg.cli.research`: ``query``, ``explain``, ``browser-guide``, ``load-neo4j``.
* :mod:`pmkg.cli.model`: ``train``, ``predict repurposing``, ``evaluate``, ``demo``.
* :mod:`pmkg.cli.patients`: ``ingest patients``, ``patients delete|train|predict|score``, ``cohort synth``.
* :mod:`pmkg.cli.serve`: ``serve``.

The group modules import only :mod:`~pmkg.cli.common` and :mod:`~pmkg.cli.output`, never each other; this module
registers them. Heavy modules (torch, the driver, FastAPI) load only when a command runs.
"""

from __future__ import annotations

import os
import sys

import typer

from pmkg.cli import ingest, model, patients, research, serve
from pmkg.cli.common import console, fail

__all__ = ["app", "main"]

app = typer.Typer(no_args_is_help=True, add_completion=False, help="pmkg: precision-medicine knowledge graph + GNN.")
ingest.register(app)
research.register(app)
model.register(app)
patients.register(app, ingest_group=ingest.ingest_app)
serve.register(app)


def main() -> None:
    # The embedded graph server's JVM shares the cores with torch in this process; spinning OpenMP workers
    # would starve it (measured 10-20x slow-downs in DESIGN.md section 8). Must be set before torch loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # One BLAS thread is plenty at this scale and leaves the second core to the embedded JVM. (The signal-11
    # deaths once blamed on OpenBLAS threads were SIGTERMs hitting JPype's TERM handler: pmkg.kg.embedded.)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        # The graph went away mid-command (e.g. the owner of an embedded server this process attached to died):
        # one line that says what to do, exit 2, never a traceback. Anything else is a bug and keeps its traceback.
        from pmkg.kg.embedded import EmbeddedServerError
        from pmkg.kg.store import GraphUnavailable

        if not isinstance(exc, GraphUnavailable | EmbeddedServerError):
            raise
        sys.exit(fail(str(exc)).exit_code)
