"""Batched, idempotent writes: ``UNWIND $rows AS row MERGE ...`` with a progress bar and a rows/s report.

Nodes merge on ``(label, id)``; edges merge on ``(src, type, dst, source)``, so two sources asserting
the same relationship keep one edge each, and running an ingest twice changes nothing. Records that do
not fit the schema or break a limit of :mod:`pmkg.kg.limits`, and edges whose endpoints are not in the graph,
are counted and reported, never dropped silently.

A batch the store refuses (a client or database error, not a lost connection) is split in halves and retried,
down to the single rows the store refuses: each is counted as refused with the store's reason, and the rest of
the batch is written. After ``MAX_REFUSED`` refusals in one write the error is raised instead (then it is the
statement, not the data).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from neo4j.exceptions import ClientError, DatabaseError
from pmkg.kg.limits import check_record
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.schema import (
    OWNER_PROPERTIES,
    PROVENANCE_PROPERTIES,
    SchemaError,
    owner_may_set,
    validate_edge,
    validate_node,
)
from pmkg.kg.store import GraphStore
from tqdm import tqdm

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10_000
_MAX_EXAMPLES = 5
MAX_REFUSED = 100  # single rows the store may refuse in one write before the error is the write's
# What the store answers when it refuses what a statement sends: the batch is bisected to find the rows.
REFUSALS: tuple[type[Exception], ...] = (ClientError, DatabaseError)


@dataclass(frozen=True)
class RefusedRow:
    """A row the graph store refused: what it was (``Disease DOID:1612``), its ids, and the store's reason."""

    what: str
    ids: tuple[str, ...]
    reason: str


def node_merge_statement(label: str) -> str:
    # The first source to create a node owns its provenance; every source that mentions it is listed in
    # ``sources``, so a node shared by Hetionet and PharmacotherapyDB says so and re-runs add nothing.
    # OWNER_PROPERTIES are read before ``+=`` and put back after it unless the row comes from the owner.
    kept = ", ".join(f"n.{key} AS kept_{key}" for key in OWNER_PROPERTIES)
    restore = "".join(
        f", n.{key} = CASE WHEN kept_{key} IS NULL OR n.source = row.source "
        f"THEN coalesce(row.props.{key}, kept_{key}) ELSE kept_{key} END"
        for key in OWNER_PROPERTIES
    )
    return (
        f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) "
        "ON CREATE SET n.source = row.source, n.source_version = row.source_version, n.license = row.license "
        f"WITH n, row, {kept} "
        f"SET n += row.props{restore}, n.sources = CASE WHEN row.source IN coalesce(n.sources, []) THEN n.sources "
        "ELSE coalesce(n.sources, []) + [row.source] END RETURN count(n) AS written"
    )


def edge_merge_statement(rel_type: str, src_label: str, dst_label: str) -> str:
    return (
        f"UNWIND $rows AS row MATCH (a:{src_label} {{id: row.src}}) MATCH (b:{dst_label} {{id: row.dst}}) "
        f"MERGE (a)-[e:{rel_type} {{source: row.source}}]->(b) SET e += row.props RETURN count(e) AS written"
    )


@dataclass
class GroupStats:
    rows: int = 0
    written: int = 0
    invalid: int = 0
    dangling: int = 0
    refused: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if len(self.examples) < _MAX_EXAMPLES:
            self.examples.append(message)


@dataclass
class WriteReport:
    """What a write did, per node label and per ``(type, src_label, dst_label)``."""

    nodes: dict[str, GroupStats] = field(default_factory=lambda: defaultdict(GroupStats))
    edges: dict[str, GroupStats] = field(default_factory=lambda: defaultdict(GroupStats))
    seconds: float = 0.0
    refused: list[RefusedRow] = field(default_factory=list)  # every row the store refused, in order

    @property
    def rows_written(self) -> int:
        return sum(s.written for s in self.nodes.values()) + sum(s.written for s in self.edges.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows_written / self.seconds if self.seconds else 0.0

    def problems(self) -> list[str]:
        lines = []
        for kind, groups in (("nodes", self.nodes), ("edges", self.edges)):
            for name, stats in groups.items():
                if stats.invalid or stats.dangling or stats.refused:
                    refused = f", {stats.refused} refused by the graph store" if stats.refused else ""
                    lines.append(
                        f"{kind} {name}: {stats.invalid} invalid, {stats.dangling} with an endpoint missing from "
                        f"the graph{refused}; e.g. {'; '.join(stats.examples)}"
                    )
        return lines


def _store_reason(exc: Exception) -> str:
    """The store's own words for a refusal, on one line and short."""
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:300]


def _clean_props(props: dict[str, Any]) -> dict[str, Any]:
    # Bolt has no null-valued properties: SET n += {x: null} would delete x, which is never what a source means.
    return {key: value for key, value in props.items() if value is not None and value != []}


def _accepted(
    record: NodeRecord | EdgeRecord, stats: GroupStats, validate: Callable[[Any], None], limits_checked: bool
) -> bool:
    """Count ``record`` and check it against the schema (and the limits, unless checked already); a rejected record
    is counted with its reason."""
    stats.rows += 1
    try:
        validate(record)
        if not limits_checked:
            check_record(record)
    except SchemaError as exc:
        stats.invalid += 1
        stats.note(str(exc))
        return False
    return True


class GraphWriter:
    """Writes records to a :class:`GraphStore` in batches of ``batch_size`` rows."""

    def __init__(self, store: GraphStore, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True):
        self.store = store
        self.batch_size = batch_size
        self.progress = progress

    def write(
        self,
        nodes: Iterable[NodeRecord],
        edges: Iterable[EdgeRecord],
        what: str = "records",
        limits_checked: bool = False,
    ) -> WriteReport:
        """Write ``nodes``, then ``edges``. ``limits_checked``: every record has passed
        :func:`~pmkg.kg.limits.check_record` already (the ingest loop screens each source), so it is not run again."""
        report = WriteReport()
        self._report = report
        t0 = time.perf_counter()
        node_rows = self._group_nodes(nodes, report, limits_checked)
        edge_rows = self._group_edges(edges, report, limits_checked)
        total = sum(map(len, node_rows.values())) + sum(map(len, edge_rows.values()))
        # disable=None: bars on a terminal, nothing in logs and CI output.
        with tqdm(
            total=total, desc=f"writing {what}", unit="row", disable=None if self.progress else True, leave=False
        ) as bar:
            for label, rows in node_rows.items():
                self._write_nodes(label, rows, report.nodes[label], bar)
            for (rel_type, src_label, dst_label), rows in edge_rows.items():
                stats = report.edges[f"{src_label}-{rel_type}-{dst_label}"]
                self._write_edges(rel_type, src_label, dst_label, rows, stats, bar)
        report.seconds = time.perf_counter() - t0
        return report

    def _write_nodes(self, label: str, rows: list[dict], stats: GroupStats, bar: tqdm) -> None:
        for batch in self._batches(rows):
            stats.written += self._send(node_merge_statement(label), batch, stats, lambda row: (label, row))
            bar.update(len(batch))

    def _write_edges(
        self, rel_type: str, src_label: str, dst_label: str, rows: list[dict], stats: GroupStats, bar: tqdm
    ) -> None:
        statement = edge_merge_statement(rel_type, src_label, dst_label)
        for batch in self._batches(rows):
            refused_before = stats.refused
            written = self._send(statement, batch, stats, lambda row: (f"{src_label}-{rel_type}-{dst_label}", row))
            stats.written += written
            missing = len(batch) - written - (stats.refused - refused_before)
            if missing > 0:
                stats.dangling += missing
                stats.note(f"{missing} rows of a batch, first row {batch[0]['src']}->{batch[0]['dst']}")
            bar.update(len(batch))

    def _batches(self, rows: list[dict]) -> Iterable[list[dict]]:
        for start in range(0, len(rows), self.batch_size):
            yield rows[start : start + self.batch_size]

    def _send(self, statement: str, batch: list[dict], stats: GroupStats | None = None, describe=None) -> int:
        """Run ``statement`` over ``batch``; return the rows written. Refused rows are found by bisection."""
        try:
            rows = self.store.run(statement, {"rows": batch}, write=True)
        except REFUSALS as exc:
            if stats is None or len(self._report.refused) >= MAX_REFUSED:
                raise
            if len(batch) > 1:
                half = len(batch) // 2
                return self._send(statement, batch[:half], stats, describe) + self._send(
                    statement, batch[half:], stats, describe
                )
            self._refuse(batch[0], exc, stats, describe)
            return 0
        return int(rows[0]["written"]) if rows else 0

    def _refuse(self, row: dict, exc: Exception, stats: GroupStats, describe) -> None:
        kind, row = describe(row)
        ids = (row["id"],) if "id" in row else (row["src"], row["dst"])
        what = f"{kind} {ids[0]}" if len(ids) == 1 else f"{kind} {ids[0]}->{ids[1]}"
        reason = _store_reason(exc)
        stats.refused += 1
        stats.note(f"{what} refused: {reason}")
        self._report.refused.append(RefusedRow(what, ids, reason))

    @staticmethod
    def _group_nodes(
        nodes: Iterable[NodeRecord], report: WriteReport, limits_checked: bool = False
    ) -> dict[str, list[dict]]:
        grouped: dict[str, dict[str, dict]] = defaultdict(dict)
        for record in nodes:
            if not _accepted(record, report.nodes[record.label], validate_node, limits_checked):
                continue
            # One MERGE per id per batch: later records for the same id add to earlier ones.
            props = _clean_props(record.props)
            row = grouped[record.label].setdefault(
                record.id, {"id": record.id, **{key: props[key] for key in PROVENANCE_PROPERTIES}, "props": {}}
            )
            added = {key: value for key, value in props.items() if key not in PROVENANCE_PROPERTIES}
            row["props"].update(owner_may_set(added, props["source"], row["source"], row["props"]))
        return {label: list(rows.values()) for label, rows in grouped.items()}

    @staticmethod
    def _group_edges(
        edges: Iterable[EdgeRecord], report: WriteReport, limits_checked: bool = False
    ) -> dict[tuple[str, str, str], list[dict]]:
        grouped: dict[tuple[str, str, str], dict[tuple[str, str, str], dict]] = defaultdict(dict)
        for record in edges:
            stats = report.edges[f"{record.src_label}-{record.type}-{record.dst_label}"]
            if not _accepted(record, stats, validate_edge, limits_checked):
                continue
            source = record.props.get("source", "pmkg")
            key = (record.src, record.dst, source)
            row = grouped[(record.type, record.src_label, record.dst_label)].setdefault(
                key, {"src": record.src, "dst": record.dst, "source": source, "props": {}}
            )
            row["props"].update(_clean_props(record.props))
        return {key: list(rows.values()) for key, rows in grouped.items()}
