"""Render rows as a terminal table, one JSON document, or CSV.

A table fits the terminal ($COLUMNS, else the terminal's width; 160 columns when stdout is not a terminal) and
never breaks an id:

* a column of ids (every value a CURIE-like ``PREFIX:local`` such as ``DRUGBANK:DB00195``, or a column named
  ``id``, ``*_id``, ``drug``, ``disease``, ...) and a column of numbers keep their full width, on one line;
* a column of id lists wraps between ids only;
* long free text is cut to one line with an ellipsis, and the table's caption says so.

When the ids alone are wider than the terminal the table is wider than the terminal, rather than break them.
``--format json`` (one document) and ``--format csv`` always carry the full values.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "json", "csv")
CURIE = re.compile(r"^[A-Za-z][\w.]*:\S+$")
# Columns that hold an id (or a short name standing in for one) whatever their values look like.
ID_COLUMNS = frozenset(
    {"id", "curie", "drug", "disease", "gene", "patient", "phenotype", "variant", "model", "model_version"}
)
TEXT_FLOOR = 8  # a free-text column is never cut below this many characters (or its header, if longer)
NOT_A_TERMINAL_WIDTH = 160
SHORTENED_CAPTION = "… marks text cut to fit the terminal; --format json or csv has the full values"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return " | ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def is_id(value: Any) -> bool:
    return isinstance(value, str) and CURIE.match(value) is not None


def terminal_width() -> int:
    """$COLUMNS, else the width of the terminal stdout is on, else 160 (piped or redirected output)."""
    return shutil.get_terminal_size((NOT_A_TERMINAL_WIDTH, 24)).columns


@dataclass
class _Column:
    name: str
    kind: str  # "fixed": ids and numbers, full width on one line | "ids": lists of ids | "text": free text
    natural: int  # the width that shows every value whole
    floor: int  # the narrowest it may get
    width: int = 0


def column_kind(name: str, values: Sequence[Any], id_columns: Collection[str] = ()) -> str:
    """``fixed`` (ids, numbers: never wrapped or cut), ``ids`` (lists of ids: wrapped between ids) or ``text``.

    ``id_columns`` names more columns that hold ids (such as the query names of ``pmkg query --list``).
    """
    present = [v for v in values if v is not None and v != "" and v != []]
    id_name = name in ID_COLUMNS or name in id_columns or name.endswith(("_id", "_ids"))
    if present and all(isinstance(v, list | tuple) for v in present):
        return "ids" if id_name or all(is_id(item) for v in present for item in v) else "text"
    if id_name or all(isinstance(v, int | float) for v in present) or all(is_id(v) for v in present):
        return "fixed"
    return "text"


def _columns(rows: Sequence[dict[str, Any]], keys: Sequence[str], id_columns: Collection[str]) -> list[_Column]:
    columns = []
    for key in keys:
        values = [row.get(key) for row in rows]
        kind = column_kind(key, values, id_columns)
        header = cell_len(str(key))
        natural = max([header, *(cell_len(_cell(v).replace("\n", " ")) for v in values)])
        if kind == "fixed":
            floor = natural
        elif kind == "ids":  # the longest id, and room for the " |" after it when a list wraps
            lists = [v for v in values if isinstance(v, list | tuple) and v]
            longest = max((cell_len(_cell(item)) for v in lists for item in v), default=0)
            floor = min(natural, max(header, longest + (2 if any(len(v) > 1 for v in lists) else 0)))
        else:
            floor = min(natural, max(header, TEXT_FLOOR))
        columns.append(_Column(str(key), kind, natural, floor, natural))
    return columns


def _fit(columns: list[_Column], width: int) -> None:
    """Narrow the id-list and text columns until the table fits ``width`` (never below their floors)."""
    room = width - (3 * len(columns) + 1)  # borders and one space of padding either side of each cell
    flexible = sorted((c for c in columns if c.kind != "fixed"), key=lambda c: c.natural)
    room -= sum(c.natural for c in columns if c.kind == "fixed")
    if sum(c.natural for c in flexible) <= room:
        return
    # Narrow columns keep their natural width; what is left is shared evenly among the wider ones.
    for i, column in enumerate(flexible):
        share = max(room, 0) // (len(flexible) - i)
        column.width = max(column.floor, min(column.natural, share))
        room -= column.width


def _table_width(columns: Sequence[_Column]) -> int:
    return sum(c.width for c in columns) + 3 * len(columns) + 1  # borders, one space either side of each cell


def _print(renderable: Table | Text, width: int) -> str:
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def render_table(
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    title: str | None = None,
    width: int | None = None,
    id_columns: Collection[str] = (),
) -> str:
    """``rows`` as a boxed table at most ``width`` (default: the terminal's) columns wide, ids kept whole.

    When the ids and numbers alone are wider than ``width``, each row is shown as a block of ``column value``
    lines instead (like psql's expanded display), so that no line is wider than the terminal.
    """
    width = width or terminal_width()
    columns = _columns(rows, keys, id_columns)
    _fit(columns, width)
    if _table_width(columns) > width:
        if not rows:  # only the headers are too wide: say so in words
            return _print(Text(f"{title + ': ' if title else ''}no rows (columns: {', '.join(keys)})"), width)
        return _render_records(rows, columns, title, width)
    shortened = any(c.kind == "text" and c.width < c.natural for c in columns)
    table = Table(title=title, caption=SHORTENED_CAPTION if shortened else None)
    for column in columns:
        if column.kind == "text":
            table.add_column(column.name, width=column.width, no_wrap=True, overflow="ellipsis")
        elif column.kind == "ids":  # wraps at the spaces between ids; the width holds the longest id
            table.add_column(column.name, width=column.width, overflow="fold")
        else:
            table.add_column(column.name, width=column.width, no_wrap=True)
    for row in rows:
        table.add_row(*(Text(_cell(row.get(c.name)).replace("\n", " ")) for c in columns))  # Text: no markup
    return _print(table, width)


def _render_records(rows: Sequence[dict[str, Any]], columns: Sequence[_Column], title: str | None, width: int) -> str:
    """One block of ``column value`` lines per row: ids and numbers on one line, text wrapped at spaces."""
    table = Table(title=title, show_header=False, caption=f"{len(rows)} row(s), one block each (too wide for a table)")
    table.add_column(width=max(cell_len(c.name) for c in columns), no_wrap=True)
    table.add_column(overflow="fold")
    for row in rows:
        for i, column in enumerate(columns):
            value = Text(_cell(row.get(column.name)).replace("\n", " "), no_wrap=column.kind == "fixed")
            table.add_row(column.name, value, end_section=i == len(columns) - 1)
    return _print(table, width)


def render(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    columns: Sequence[str] = (),
    title: str | None = None,
    width: int | None = None,
    id_columns: Collection[str] = (),
) -> str:
    """``rows`` in ``fmt``; ``columns`` fixes the column order when rows are empty or partial.

    ``json`` is one document (a list of objects). For a table: ``width`` is its limit (default: the terminal's)
    and ``id_columns`` names columns that hold ids besides those :func:`column_kind` recognises.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    keys = list(rows[0]) if rows else list(columns)
    if fmt == "json":
        return json.dumps(list(rows), indent=2, default=str)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in keys})
        return buffer.getvalue()
    return render_table(rows, keys, title, width, id_columns)
