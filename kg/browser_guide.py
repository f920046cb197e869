"""A Neo4j Browser guide for the named query library, so a researcher at localhost:7474 can run it with clicks.

Neo4j Browser plays HTML guides with ``:play URL``: an ``<article class="guide">`` holding a ``<carousel>`` of
``<slide>`` s, where a ``<pre class="code runnable">`` block is copied into the editor when clicked. Browser only
fetches guides from allow-listed hosts (``localhost`` is on Neo4j 5's default
``browser.remote_content_hostname_allowlist``) and over CORS, so :func:`guide_server` serves the folder with an
``Access-Control-Allow-Origin`` header.

One slide per named query: its description, a runnable block of ``:param`` commands with the query's example values,
and the runnable query itself (the same ``queries/*.cypher`` text the CLI and the service run).
"""

from __future__ import annotations

import functools
import html
import json
import shlex
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pmkg.kg.queries import NamedQuery, load_library

GUIDE_FILE = "pmkg-guide.html"
# Queries that need data only a later pipeline stage writes; the guide still lists them, last.
_ORDER = (
    "find_disease",
    "find_drug",
    "repurposing_candidates",
    "diseases_for_drug",
    "evidence_paths",
    "drugs_targeting_disease_genes",
    "similar_diseases_by_phenotype",
    "pgx_annotations_for_gene",
    "provenance",
    "graph_statistics",
)


def example_params(query: NamedQuery) -> dict[str, Any]:
    """The query's parameters as its ``@example`` line sets them, defaults filled in, converted to their types."""
    raw = {}
    words = shlex.split(query.example)
    for i, word in enumerate(words):
        if word in ("--param", "-p") and i + 1 < len(words):
            key, _, value = words[i + 1].partition("=")
            raw[key] = value
    return query.bind(raw)


def _cypher_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def params_command(params: dict[str, Any]) -> str:
    """Neo4j Browser ``:param`` commands setting ``params``, one per line.

    ``:param name => value`` has the server evaluate the value, so 5 stays an integer (``LIMIT $n`` needs one);
    the ``:params {...}`` map form would send it as a JavaScript number, a float.
    """
    return "\n".join(f":param {key} => {_cypher_literal(value)};" for key, value in params.items())


def _slide(query: NamedQuery) -> str:
    params = example_params(query)
    param_help = "".join(
        f"<li><code>{html.escape(p.name)}</code> ({p.type}{'' if p.default is None else ', default ' + p.default})"
        f" {html.escape(p.help)}</li>"
        for p in query.params
    )
    params_block = (
        f'<p>Set the parameters (edit the values, run the block):</p><pre class="pre-scrollable code runnable">'
        f"{html.escape(params_command(params))}</pre>"
        if params
        else ""
    )
    return f"""<slide class="row-fluid">
  <div class="col-sm-4">
    <h3>{html.escape(query.name)}</h3>
    <p class="lead">{html.escape(query.description)}</p>
    <ul>{param_help}</ul>
    <p>Columns: {html.escape(", ".join(query.columns))}</p>
  </div>
  <div class="col-sm-8">
    {params_block}
    <p>Then run the query:</p>
    <pre class="pre-scrollable code runnable">{html.escape(query.text)}</pre>
  </div>
</slide>"""


def guide_html(library: dict[str, NamedQuery] | None = None) -> str:
    library = library or load_library()
    names = [n for n in _ORDER if n in library] + sorted(set(library) - set(_ORDER))
    intro = """<slide class="row-fluid">
  <div class="col-sm-12">
    <h3>pmkg: the named query library</h3>
    <p class="lead">Each slide is one query from <code>queries/</code>: click the <code>:param</code> block, edit
    the values, run it, then click and run the query. Start with <b>find_disease</b> to turn a disease name into
    its id, then <b>repurposing_candidates</b> and <b>evidence_paths</b>.</p>
  </div>
</slide>"""
    slides = "\n".join([intro, *(_slide(library[name]) for name in names)])
    return f'<article class="guide">\n<carousel class="deck container-fluid">\n{slides}\n</carousel>\n</article>\n'


def write_guide(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / GUIDE_FILE
    path.write_text(guide_html(), encoding="utf-8")
    return path


class _CorsHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        # Browser fetches the guide from http://localhost:7474, a different origin.
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        pass


def guide_server(directory: Path, port: int) -> ThreadingHTTPServer:
    """An HTTP server for ``directory`` on 127.0.0.1:``port`` that allows cross-origin reads (call serve_forever)."""
    handler = functools.partial(_CorsHandler, directory=str(directory))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)
