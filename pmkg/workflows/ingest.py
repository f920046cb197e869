"""Run ingest jobs and hand their records to a writer: one job loop for every back end.

The loop (BioCypher's translate/write split) runs the registry's jobs one source at a time; a :class:`RecordSink`
writes each source's records. Sinks exist for a live graph (plain ``UNWIND … MERGE`` or the embedded bulk path)
and for ``neo4j-admin database import`` files.

Between the job and the sink every record is checked against :mod:`pmkg.kg.limits` (sizes, control characters);
a record that breaks one is left out and reported with the ``file:line`` it came from. A record the store refuses
is reported the same way. A source fails alone: a missing or corrupt file, a write the store refuses as a whole,
or (live graph) far fewer records than the last ingest of the same version wrote. Its outcome carries the reason,
and the other sources still run. A source whose warnings exceed ``DEGRADED_WARNING_SHARE`` of its rows (and
``DEGRADED_MIN_WARNINGS``) is *degraded*: written, but not to be trusted as complete.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from neo4j.exceptions import ServiceUnavailable, SessionExpired

from pmkg.ingest.base import IngestError, IngestResult, locate
from pmkg.ingest.registry import JOBS
from pmkg.ingest.xrefs import Resolver
from pmkg.kg import embedded
from pmkg.kg.bulk import writer_for
from pmkg.kg.dialect import NEO4J
from pmkg.kg.limits import check_record
from pmkg.kg.neo4j_import import ImportPlan, ImportWriter
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.schema import SchemaError
from pmkg.kg.store import GraphStore, GraphUnavailable
from pmkg.kg.writer import RefusedRow

log = logging.getLogger(__name__)

# A source is degraded when its warnings exceed this share of the rows it read, and number at least the minimum
# (a handful of bad rows in a small file is not a damaged source). Measured: 0% of rows warn on the full bundle.
DEGRADED_WARNING_SHARE = 0.10
DEGRADED_MIN_WARNINGS = 20
# A source that writes fewer than this share of the records the last ingest of the same version wrote has lost
# records (a truncated or damaged file): it fails, and nothing of it is written.
LOST_RECORDS_SHARE = 0.5
# Records a check or the store refuses are located in the source's files (one pass) up to this many per source.
MAX_LOCATED = 20
# Errors that mean the graph itself is gone: they stop the whole ingest, not one source.
GRAPH_GONE = (GraphUnavailable, ServiceUnavailable, SessionExpired)


class SourceShrank(IngestError):
    """A source has far fewer records than the last ingest of the same version wrote."""


@dataclass
class SourceOutcome:
    """What one source's ingest did: counts, speed, what was skipped or unresolved, and its error if it failed.

    ``status`` is ``ok``, ``degraded`` (written, but its warnings exceed the stated share of its rows) or
    ``failed`` (``error`` says why); ``ok`` is False only for a failed source.
    """

    name: str
    ok: bool
    error: str | None = None
    status: str = "ok"
    rows_read: int = 0
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

    def __post_init__(self) -> None:
        if not self.ok:
            self.status = "failed"


@dataclass
class SinkReport:
    """What a sink reports after writing one source."""

    written: int = 0
    rows_per_second: float = 0.0
    problems: list[str] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)


class RecordSink(Protocol):
    """Where a source's records go. ``write`` is called once per source that parsed, in registry order."""

    def write(self, name: str, result: IngestResult) -> SinkReport: ...


class GraphSink:
    """A live graph store: the embedded bulk path where the store has one, else batched ``UNWIND … MERGE``."""

    def __init__(self, store: GraphStore, batch_size: int = 10_000, progress: bool = True, bulk: bool = True):
        store.ensure_schema()
        self._store = store
        self._writer = writer_for(store, batch_size=batch_size, progress=progress, bulk=bulk)

    def write(self, name: str, result: IngestResult) -> SinkReport:
        self._check_not_shrunk(result)
        # run_jobs screened every record against the limits (screen_records) before handing the source over.
        report = self._writer.write(result.nodes, result.edges, what=name, limits_checked=True)
        # Written last, so a Source node means the source's records are all in.
        self._writer.write([result.source_node()], [], what=f"{name} source node")
        if self._store.embedded_path:
            embedded.tighten(self._store.embedded_path)  # files the store made for this source: 0600
        return SinkReport(report.rows_written, report.rows_per_second, report.problems(), report.refused)

    def _check_not_shrunk(self, result: IngestResult) -> None:
        """Raise :class:`SourceShrank` when the last ingest of this version wrote far more records than this one."""
        source = result.source_node()
        rows = self._store.run(
            "MATCH (s:Source {id: $id}) RETURN s.source_version AS version, s.nodes AS nodes, s.edges AS edges",
            {"id": source.id},
        )
        if not rows or rows[0]["version"] != result.source.version:
            return
        before = (rows[0]["nodes"] or 0) + (rows[0]["edges"] or 0)
        now = len(result.nodes) + len(result.edges)
        if now < LOST_RECORDS_SHARE * before:
            raise SourceShrank(
                f"{result.source.name}: {now:,} records ({len(result.nodes):,} nodes, {len(result.edges):,} edges), "
                f"under {LOST_RECORDS_SHARE:.0%} of the {before:,} that the last ingest of the same version "
                f"({result.source.version}) wrote: records were lost, from a truncated or damaged file "
                f"({', '.join(sorted(result.files)) or 'no file'}). Nothing of it was written; re-download it"
            )


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
        screen_records(result)
        try:
            report = sink.write(name, result)
        except GRAPH_GONE:
            raise  # no later source can be written either
        except IngestError as exc:
            log.error("%s", exc)
            outcomes.append(SourceOutcome(name, ok=False, error=str(exc), rows_read=sum(result.rows_read.values())))
            continue
        except Exception as exc:  # the store refused the source's write as a whole: that source fails alone
            log.error("%s: writing failed: %s: %s", name, type(exc).__name__, exc)
            error = f"{name}: the graph store refused the write ({type(exc).__name__}: {_short(exc)}); the " + (
                "records written before it stay, without a Source node; fix the cause and ingest this source again"
            )
            outcomes.append(SourceOutcome(name, ok=False, error=error, rows_read=sum(result.rows_read.values())))
            continue
        _report_refused(result, report.refused)
        outcome = SourceOutcome(
            name,
            ok=True,
            rows_read=sum(result.rows_read.values()),
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
        if is_degraded(outcome):
            outcome.status = "degraded"
            log.warning(
                "%s is degraded: %s warnings for %s rows read (over %.0f%%)",
                name, f"{outcome.warning_count:,}", f"{outcome.rows_read:,}", 100 * DEGRADED_WARNING_SHARE,
            )  # fmt: skip
        outcomes.append(outcome)
        del result
    return outcomes


def is_degraded(outcome: SourceOutcome) -> bool:
    """Whether a written source's warnings exceed the stated share of its rows (see ``DEGRADED_WARNING_SHARE``)."""
    warnings = outcome.warning_count
    return warnings >= DEGRADED_MIN_WARNINGS and warnings > DEGRADED_WARNING_SHARE * max(outcome.rows_read, 1)


def screen_records(result: IngestResult) -> None:
    """Leave out every record that breaks a limit of :mod:`pmkg.kg.limits`, each warned with its ``file:line``."""
    rejected: list[tuple[NodeRecord | EdgeRecord, str]] = []

    def keep(record: NodeRecord | EdgeRecord) -> bool:
        try:
            check_record(record)
        except SchemaError as exc:
            rejected.append((record, str(exc)))
            return False
        return True

    result.nodes = [record for record in result.nodes if keep(record)]
    result.edges = [record for record in result.edges if keep(record)]
    if not rejected:
        return
    wanted = [(_what(record), _ids(record), reason) for record, reason in rejected]
    _warn_located(result, wanted, "value over a limit or with a control character")


def _report_refused(result: IngestResult, refused: list[RefusedRow]) -> None:
    """The rows the store refused, as warnings with the ``file:line`` each came from."""
    if refused:
        wanted = [(row.what, row.ids, f"refused by the graph store ({row.reason})") for row in refused]
        _warn_located(result, wanted, "refused by the graph store")


def _warn_located(result: IngestResult, items: list[tuple[str, tuple[str, ...], str]], kind: str) -> None:
    needles: dict[tuple[int, str], tuple[str, ...]] = {}
    for i, (_, ids, _) in enumerate(items[:MAX_LOCATED]):
        needles[(i, "id")] = ids
        needles[(i, "local")] = tuple(identifier.partition(":")[2] or identifier for identifier in ids)
    found = locate(list(result.files), needles)  # in the job's order: a node's own file usually comes first
    files = ", ".join(result.files) or result.source.name
    for i, (what, _, reason) in enumerate(items):
        unlocated = files if i < MAX_LOCATED else f"{files} (not located)"
        where = found.get((i, "id")) or found.get((i, "local")) or unlocated
        result.skip(where, f"{what}: {reason}; record skipped", kind)


def _what(record: NodeRecord | EdgeRecord) -> str:
    if isinstance(record, NodeRecord):
        return f"{record.label} {record.id}"
    return f"{record.src_label}-{record.type}-{record.dst_label} {record.src}->{record.dst}"


def _ids(record: NodeRecord | EdgeRecord) -> tuple[str, ...]:
    return (record.id,) if isinstance(record, NodeRecord) else (record.src, record.dst)


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


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
    check_sources(sources)  # before GraphSink touches the store's schema
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
