"""Run KGX's own command line (``kgx validate``, ``kgx transform``) without network access.

KGX builds a Biolink Model Toolkit when it is imported, and bmt's default is to download the model and
``predicate_mapping.yaml`` from GitHub. This wrapper points bmt's defaults at the ``biolink-model`` wheel and at the
pinned ``tests/fixtures/trapi/predicate_mapping.yaml``, and KGX's JSON-LD context at the wheel's prefix map, then
hands the arguments to KGX unchanged:

    /path/to/kgx-env/bin/python tools/kgx_offline.py validate --input-format tsv nodes.tsv edges.tsv

KGX (PyPI ``kgx``) pins pyarrow < 16 and so numpy < 2, which pmkg's own environment cannot take: install it in an
environment of its own (``python -m venv kgx-env && kgx-env/bin/pip install kgx==2.6.0``). tests/test_kgx.py runs
this wrapper when ``PMKG_KGX_PYTHON`` names that environment's python.
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

PREDICATE_MAPPING = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "trapi" / "predicate_mapping.yaml"


def _offline_bmt() -> None:
    import bmt.toolkit

    schema = str(files("biolink_model") / "schema" / "biolink_model.yaml")
    init = bmt.toolkit.Toolkit.__init__
    defaults = list(init.__defaults__ or ())
    # Toolkit(schema=REMOTE_PATH, predicate_map=PREDICATE_MAP, *, predicate_map_timeout=...)
    init.__defaults__ = (schema, str(PREDICATE_MAPPING), *defaults[2:])
    bmt.toolkit.REMOTE_PATH = schema
    bmt.toolkit.PREDICATE_MAP = str(PREDICATE_MAPPING)


def _offline_context() -> None:
    """KGX's prefix manager reads Biolink's JSON-LD context from GitHub: give it the wheel's prefix map instead."""
    import json

    import kgx.config

    prefixes = json.loads((files("biolink_model") / "prefixmaps" / "biolink-model-prefix-map.json").read_text())
    kgx.config.jsonld_context_map["biolink"] = prefixes


def _reports_to_the_named_file() -> None:
    """``kgx validate -o FILE``: KGX 2.6's ``write_report`` ignores the stream it is given and writes to stderr
    (its ``if not outstream ... else: outstream = stderr``), and the file is never closed. Write the same JSON
    report to the stream asked for, and flush it."""
    import json

    from kgx.error_detection import ErrorDetecting

    def write_report(self, outstream=None, level=None):
        stream = outstream or sys.stderr
        if level:
            stream.write(f"\nMessages at the '{level}' level:\n")
        json.dump(self.get_errors(level), stream, indent=4)
        stream.write("\n")
        stream.flush()

    ErrorDetecting.write_report = write_report


def main() -> None:
    _offline_bmt()
    _offline_context()
    _reports_to_the_named_file()
    from kgx.cli import cli

    sys.argv[0] = "kgx"
    cli()


if __name__ == "__main__":
    main()
