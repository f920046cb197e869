"""The ingest report: ``ingest-report.json`` for machines and ``ingest-report.md`` for people.

Both list, per source, its status (ok, degraded or FAILED), what was read, written, skipped and left unresolved
(with example ids), so no record disappears without a trace. The Markdown file is the readable summary the CLI
points to. :func:`exit_code` turns the outcomes into the command's exit status.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pmkg import __version__
from pmkg.workflows.ingest import DEGRADED_MIN_WARNINGS, DEGRADED_WARNING_SHARE, SourceOutcome

# Exit statuses of `pmkg ingest`: every source ok; a source failed; none failed but one is degraded.
# (2 is the CLI's usage and configuration error.)
EXIT_OK, EXIT_FAILED, EXIT_DEGRADED = 0, 1, 3


def exit_code(outcomes: list[SourceOutcome]) -> int:
    """1 when a source failed, else 3 when a source is degraded, else 0."""
    if any(o.status == "failed" for o in outcomes):
        return EXIT_FAILED
    return EXIT_DEGRADED if any(o.status == "degraded" for o in outcomes) else EXIT_OK


def _status(source: dict[str, Any]) -> str:
    status = source.get("status") or ("ok" if source["ok"] else "failed")
    return "FAILED" if status == "failed" else status


def summary_rows(outcomes: list[SourceOutcome]) -> list[dict[str, Any]]:
    """One row per source for the console table."""
    return [
        {
            "source": o.name,
            "status": "FAILED" if o.status == "failed" else o.status,
            "nodes": o.nodes,
            "edges": o.edges,
            "skipped": sum(o.skipped.values()),
            "unresolved": sum(o.unresolved.values()),
            "warnings": o.warning_count,
            "seconds": round(o.seconds, 1),
            "rows/s": round(o.rows_per_second),
        }
        for o in outcomes
    ]


def write_reports(
    outcomes: list[SourceOutcome], json_path: Path, data_dir: Path, resolver_summary: dict[str, int] | None = None
) -> Path:
    """Write the JSON report to ``json_path`` and the Markdown summary beside it; return the Markdown path."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "pmkg_version": __version__,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(data_dir),
        "resolver": resolver_summary or {},
        "sources": [asdict(outcome) for outcome in outcomes],
    }
    json_path.write_text(json.dumps(document, indent=2))
    markdown_path = json_path.with_suffix(".md")
    markdown_path.write_text(render_markdown(document))
    return markdown_path


def render_markdown(document: dict[str, Any]) -> str:
    sources = document["sources"]
    lines = [
        f"# pmkg ingest report ({document['finished_at']})",
        "",
        f"Data: `{document['data_dir']}`. pmkg {document['pmkg_version']}.",
        "",
        "| source | status | nodes | edges | skipped | unresolved | warnings | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sources:
        lines.append(
            f"| {s['name']} | {_status(s)} | {s['nodes']:,} | {s['edges']:,} | "
            f"{sum(s['skipped'].values()):,} | {sum(s['unresolved'].values()):,} | {s['warning_count']:,} | "
            f"{s['seconds']:.1f} |"
        )
    failed = [s for s in sources if not s["ok"]]
    if failed:
        lines += ["", "## Failed sources", ""]
        lines += [f"- **{s['name']}**: {s['error']}" for s in failed]
    degraded = [s for s in sources if _status(s) == "degraded"]
    if degraded:
        lines += ["", "## Degraded sources", ""]
        lines += [
            f"- **{s['name']}**: {s['warning_count']:,} warnings for {s.get('rows_read', 0):,} rows read, over "
            f"{DEGRADED_WARNING_SHARE:.0%} (and at least {DEGRADED_MIN_WARNINGS}): written, but check its files "
            "(see its first warnings below)"
            for s in degraded
        ]
    lines += [
        "",
        "## Unresolved ids",
        "",
        "Ids no mapping could resolve to a canonical CURIE, per source and kind.",
        "",
    ]
    unresolved = [
        (s["name"], kind, n, s["unresolved_examples"].get(kind, []))
        for s in sources
        for kind, n in sorted(s["unresolved"].items(), key=lambda item: -item[1])
    ]
    if unresolved:
        lines += ["| source | kind | count | examples |", "|---|---|---:|---|"]
        lines += [f"| {name} | {kind} | {n:,} | {', '.join(examples[:5])} |" for name, kind, n, examples in unresolved]
    else:
        lines.append("None.")
    skipped = [(s["name"], reason, n) for s in sources for reason, n in sorted(s["skipped"].items())]
    if skipped:
        lines += ["", "## Skipped rows", "", "| source | reason | count |", "|---|---|---:|"]
        lines += [f"| {name} | {reason} | {n:,} |" for name, reason, n in skipped]
    problems = [(s["name"], p) for s in sources for p in s["write_problems"]]
    if problems:
        lines += ["", "## Records the graph refused", ""]
        lines += [f"- {name}: {problem}" for name, problem in problems]
    warned = [s for s in sources if s["warnings"]]
    if warned:
        lines += ["", "## First warnings", ""]
        for s in warned:
            lines += [f"- {s['name']}: {w}" for w in s["warnings"][:5]]
            if s["warning_count"] > 5:
                lines.append(f"- {s['name']}: ... {s['warning_count'] - 5:,} more in the JSON report (first 200 kept)")
    if document["resolver"]:
        lines += ["", "## Alias tables", ""]
        lines += [f"- {name}: {value:,}" for name, value in sorted(document["resolver"].items())]
    return "\n".join(lines) + "\n"
