"""Run ingest jobs and hand their records to a writer: one job loop for every back end.

The loop (BioCypher's translate/write split) runs the registry's jobs one source at a time; a :class:`RecordSink`
writes each source's records. Sinks exist for a live graph (plain ``UNWIND … MERGE`` or the embedded bulk path)
and for ``neo4j-admin database import`` files. A source whose files are missing or corrupt fails alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pmkg.ingest.base import IngestError, IngestResult
from pmkg.ingest.registry import JOBS
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.bulk import writer_for
from pmkg.kg.dialect import NEO4J
from pmkg.kg.neo4j_import import ImportPlan, ImportWriter
from pmkg.kg.store import GraphStore

log = logging.getLogger(__name__)


@dataclass
class SourceOutcome:
    """What one source's ingest did: counts, speed, what was skipped or unresolved, and its error if it failed."""

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


@dataclass
class SinkReport:
    """What a sink reports after writing one source."""

    written: int = 0
    rows_per_second: float = 0.0
    problems: list[str] = field(default_factory=list)


class RecordSink(Protocol):
    """Where a source's records go. ``write`` is called once per source that parsed, in registry order."""

    def write(self, name: str, result: IngestResult) -> SinkReport: ...


class GraphSink:
    """A live graph store: the embedded bulk path where the store has one, else batched ``UNWIND … MERGE``."""

    def __init__(self, store: GraphStore, batch_size: int = 10_000, progress: bool = True, bulk: bool = True):
        store.ensure_schema()
        self._writer = writer_for(store, batch_size=batch_size, progress=progress, bulk=bulk)

    def write(self, name: str, result: IngestResult) -> SinkReport:
        report = self._writer.write(result.nodes, result.edges, what=name)
        # Written last, so a Source node means the source's records are all in.
        self._writer.write([result.source_node()], [], what=f"{name} source node")
        return SinkReport(report.rows_written, report.rows_per_second, report.problems())


class Neo4jImportSink:
    """``neo4j-admin database import full`` input files; each source's records go to disk before the next runs."""

    def __init__(self, writer: ImportWriter):
        self._writer = writer

    def write(self, name: str, result: IngestResult) -> SinkReport:
        self._writer.add([*result.nodes, result.source_node()], result.edges)
        return SinkReport(written=len(result.nodes) + len(result.edges) + 1)


def check_sources(sources: list[str] | None) -> None:
    """Raise ``ValueError`` naming the known sources when ``sources`` holds an unknown one."""
    unknown = sorted(set(sources or []) - set(JOBS))
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(JOBS)}")


def _parsed_sources(
    data_dir: Path, sources: list[str] | None, resolver: Resolver
) -> Iterator[tuple[str, IngestResult | IngestError, float]]:
    for name, (_, job) in JOBS.items():
        if sources and name not in sources:
            continue
        t0 = time.perf_counter()
        try:
            yield name, job(data_dir, resolver), t0
        except IngestError as exc:
            log.error("%s", exc)
            yield name, exc, t0


def run_jobs(
    data_dir: Path, sink: RecordSink, sources: list[str] | None = None, resolver: Resolver | None = None
) -> list[SourceOutcome]:
    """Run the jobs for ``sources`` (default: all, in registry order) from ``data_dir`` into ``sink``.

    Memory holds one source's records at a time. The resolver's alias tables are built once, on first use.
    """
    check_sources(sources)
    resolver = resolver or Resolver.from_data_dir(data_dir)
    outcomes = []
    for name, result, t0 in _parsed_sources(data_dir, sources, resolver):
        if isinstance(result, IngestError):
            outcomes.append(SourceOutcome(name, ok=False, error=str(result)))
            continue
        report = sink.write(name, result)
        outcomes.append(
            SourceOutcome(
                name,
                ok=True,
                nodes=len(result.nodes),
                edges=len(result.edges),
                written=report.written,
                seconds=time.perf_counter() - t0,
                rows_per_second=report.rows_per_second,
                skipped=dict(result.skipped),
                unresolved=dict(result.unresolved),
                unresolved_examples=result.unresolved_examples,
                warning_count=result.warning_count,
                warnings=result.warnings,
                write_problems=report.problems,
            )
        )
        del result
    return outcomes


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
    check_sources(sources)
    return run_jobs(data_dir, GraphSink(store, batch_size, progress, bulk), sources, resolver)


def import_sources(
    data_dir: Path,
    out_dir: Path,
    sources: list[str] | None = None,
    database: str = NEO4J.default_database,
    progress: bool = True,
) -> tuple[ImportPlan, list[SourceOutcome]]:
    """Run the same jobs as :func:`ingest_sources` into ``neo4j-admin`` import files instead of a live graph.

    What the import leaves out (invalid records, dangling edges) is the plan's, not one source's: see
    ``ImportPlan.problems()``.
    """
    check_sources(sources)
    with ImportWriter(out_dir, database, progress) as writer:
        outcomes = run_jobs(data_dir, Neo4jImportSink(writer), sources)
        plan = writer.close()
    return plan, outcomes
