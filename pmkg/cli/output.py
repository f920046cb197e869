"""Render query rows as a rich table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "csv")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return " | ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def render(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str] = (), title: str | None = None) -> str:
    """``rows`` in ``fmt``; ``columns`` fixes the column order when rows are empty or partial."""
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
    table = Table(title=title, show_lines=False)
    for key in keys:
        table.add_column(key, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(k)) for k in keys))
    console = Console(record=True, width=160, file=io.StringIO())
    console.print(table)
    return console.export_text()
