"""Run ingest jobs and write their records: one source at a time, each isolated from the others' failures."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.base import IngestError
from ingest.registry import JOBS
from ingest.xrefs import Resolver
from kg.bulk import writer_for
from kg.store import GraphStore

log = logging.getLogger(__name__)


@dataclass
class SourceOutcome:
    name: str
    ok: bool
    error: str | None = None
    nodes: int = 0
    edges: int = 0
    written: int = 0
    seconds: float = 0.0
    rows_per_second: float = 0.0
    skipped: dict[str, int] = field(default_factory=dict)
    unresolved: dict[str, int] = field(default_factory=dict)
    unresolved_examples: dict[str, list[str]] = field(default_factory=dict)
    warning_count: int = 0
    warnings: list[str] = field(default_factory=list)
    write_problems: list[str] = field(default_factory=list)


def ingest_sources(
    store: GraphStore,
    data_dir: Path,
    sources: list[str] | None = None,
    batch_size: int = 10_000,
    progress: bool = True,
    bulk: bool = True,
    resolver: Resolver | None = None,
) -> list[SourceOutcome]:
    """Ingest ``sources`` (default: all, in registry order) from ``data_dir`` into ``store``.

    A source whose files are missing or corrupt fails alone: its outcome carries the error and the
    graph keeps what the other sources wrote.
    """
    unknown = sorted(set(sources or []) - set(JOBS))
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(JOBS)}")
    store.ensure_schema()
    writer = writer_for(store, batch_size=batch_size, progress=progress, bulk=bulk)
    resolver = resolver or Resolver.from_data_dir(data_dir)  # alias tables are built once, on first use
    outcomes = []
    for name, (_, job) in JOBS.items():
        if sources and name not in sources:
            continue
        t0 = time.perf_counter()
        try:
            result = job(data_dir, resolver)
        except IngestError as exc:
            log.error("%s", exc)
            outcomes.append(SourceOutcome(name, ok=False, error=str(exc)))
            continue
        report = writer.write(result.nodes, result.edges, what=name)
        # Written last, so a Source node means the source's records are all in.
        writer.write([result.source_node()], [], what=f"{name} source node")
        outcomes.append(
            SourceOutcome(
                name,
                ok=True,
                nodes=len(result.nodes),
                edges=len(result.edges),
                written=report.rows_written,
                seconds=time.perf_counter() - t0,
                rows_per_second=report.rows_per_second,
                skipped=dict(result.skipped),
                unresolved=dict(result.unresolved),
                unresolved_examples=result.unresolved_examples,
                warning_count=result.warning_count,
                warnings=result.warnings,
                write_problems=report.problems(),
            )
        )
    return outcomes
