"""Copy a built graph into another store: what ``pmkg load-neo4j`` does to fill the docker-compose Neo4j.

Both ends are :class:`GraphStore` s, so the same code copies embedded ArcadeDB -> Neo4j 5 (the use case) or into
another embedded store (what the tests do). It reads node pages per label, then each node page's outgoing
relationships per (label, type, label) of the schema, and writes them with idempotent ``MERGE`` s keyed like the
ingest writer (nodes on ``(label, id)``, relationships on ``(endpoints, type, source)`` or, for predictions,
``model_version``). A re-run therefore changes nothing, and an interrupted copy can simply be run again.

Patient nodes are sensitive: they are left out unless asked for, and so are their relationships. After the copy
the per-label and per-type counts of both stores are compared and every difference is reported.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from pmkg.kg.schema import LABELS, PREDICTION_RELATIONSHIPS, RELATIONSHIPS
from pmkg.kg.store import GraphStore
from tqdm import tqdm

log = logging.getLogger(__name__)

PAGE = 5_000
SENSITIVE_LABELS = frozenset({"Patient"})

_COUNT_NODES = "MATCH (n:{label}) RETURN count(n) AS n"
_COUNT_EDGES = "MATCH (:{src})-[r:{rel}]->(:{dst}) RETURN count(r) AS n"
_READ_NODES = (
    "MATCH (n:{label}) WHERE n.id > $after RETURN n.id AS id, properties(n) AS props ORDER BY n.id LIMIT $limit"
)
_READ_IDS = "MATCH (n:{label}) WHERE n.id > $after RETURN n.id AS id ORDER BY n.id LIMIT $limit"
_READ_EDGES = (
    "UNWIND $ids AS id MATCH (a:{src} {{id: id}})-[r:{rel}]->(b:{dst}) "
    "RETURN a.id AS src, b.id AS dst, properties(r) AS props"
)
_WRITE_NODES = "UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n += row.props RETURN count(n) AS written"
_WRITE_EDGES = (
    "UNWIND $rows AS row MATCH (a:{src} {{id: row.src}}) MATCH (b:{dst} {{id: row.dst}}) "
    "MERGE (a)-[r:{rel} {{{key}: row.key}}]->(b) SET r += row.props RETURN count(r) AS written"
)


@dataclass
class CopyReport:
    nodes: dict[str, int] = field(default_factory=dict)  # label -> nodes written
    edges: dict[str, int] = field(default_factory=dict)  # "Src-TYPE-Dst" -> relationships written
    skipped: dict[str, int] = field(default_factory=dict)  # what was left out on purpose, and how much
    mismatches: list[str] = field(default_factory=list)  # source vs target counts that differ after the copy
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def rows(self) -> list[dict]:
        return [{"kind": "nodes", "name": k, "copied": v} for k, v in self.nodes.items()] + [
            {"kind": "relationships", "name": k, "copied": v} for k, v in self.edges.items()
        ]


def _edge_groups(labels: Iterable[str]) -> list[tuple[str, str, str]]:
    wanted = set(labels)
    return sorted(
        (src, rel, dst)
        for rel, spec in RELATIONSHIPS.items()
        for src, dst in spec.endpoints
        if src in wanted and dst in wanted
    )


def _count(store: GraphStore, query: str) -> int:
    return int(store.run(query)[0]["n"])


def copy_graph(
    source: GraphStore,
    target: GraphStore,
    include_patients: bool = False,
    page: int = PAGE,
    progress: bool = True,
) -> CopyReport:
    """Copy every schema node and relationship of ``source`` into ``target`` (idempotent); see the module doc."""
    t0 = time.perf_counter()
    report = CopyReport()
    labels = [label for label in LABELS if include_patients or label not in SENSITIVE_LABELS]
    for label in sorted(set(LABELS) - set(labels)):
        report.skipped[label] = _count(source, _COUNT_NODES.format(label=label))
    groups = _edge_groups(labels)
    node_totals = {label: _count(source, _COUNT_NODES.format(label=label)) for label in labels}
    edge_totals = {g: _count(source, _COUNT_EDGES.format(src=g[0], rel=g[1], dst=g[2])) for g in groups}
    target.ensure_schema()
    total = sum(node_totals.values()) + sum(edge_totals.values())
    with tqdm(total=total, desc="copying graph", unit="row", disable=None if progress else True) as bar:
        for label in labels:
            report.nodes[label] = _copy_nodes(source, target, label, page, bar)
        for src, rel, dst in groups:
            if edge_totals[(src, rel, dst)]:
                group = (src, rel, dst)
                report.edges[f"{src}-{rel}-{dst}"] = _copy_edges(source, target, group, page, bar, report.skipped)
    for label in labels:
        after = _count(target, _COUNT_NODES.format(label=label))
        if after != node_totals[label]:
            report.mismatches.append(f"{label}: {node_totals[label]:,} nodes in the source, {after:,} in the target")
    for src, rel, dst in groups:
        before = edge_totals[(src, rel, dst)]
        after = _count(target, _COUNT_EDGES.format(src=src, rel=rel, dst=dst))
        if after != before:
            report.mismatches.append(f"{src}-{rel}-{dst}: {before:,} in the source, {after:,} in the target")
    report.seconds = time.perf_counter() - t0
    return report


def _node_pages(source: GraphStore, label: str, page: int, ids_only: bool = False) -> Iterable[list[dict]]:
    # Keyset pagination on the unique id: each page is an index range, never a growing SKIP.
    query = (_READ_IDS if ids_only else _READ_NODES).format(label=label)
    after = ""
    while True:
        rows = source.run(query, {"after": after, "limit": page})
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def _copy_nodes(source: GraphStore, target: GraphStore, label: str, page: int, bar: tqdm) -> int:
    written = 0
    for rows in _node_pages(source, label, page):
        result = target.run(_WRITE_NODES.format(label=label), {"rows": rows}, write=True)
        written += int(result[0]["written"]) if result else 0
        bar.update(len(rows))
    return written


def _copy_edges(
    source: GraphStore,
    target: GraphStore,
    group: tuple[str, str, str],
    page: int,
    bar: tqdm,
    skipped: dict[str, int],
) -> int:
    src, rel, dst = group
    key = "model_version" if rel in PREDICTION_RELATIONSHIPS else "source"
    write = _WRITE_EDGES.format(src=src, rel=rel, dst=dst, key=key)
    written = 0
    for nodes in _node_pages(source, src, page, ids_only=True):
        ids = [row["id"] for row in nodes]
        rows = source.run(_READ_EDGES.format(src=src, rel=rel, dst=dst), {"ids": ids})
        keyed = [dict(row, key=row["props"].get(key)) for row in rows]
        rows = [row for row in keyed if row["key"] is not None]
        if len(rows) < len(keyed):  # MERGE cannot match on a null key; say so instead of failing or guessing
            skipped[f"{src}-{rel}-{dst} without {key}"] = (
                skipped.get(f"{src}-{rel}-{dst} without {key}", 0) + len(keyed) - len(rows)
            )
        if rows:
            result = target.run(write, {"rows": rows}, write=True)
            written += int(result[0]["written"]) if result else 0
            bar.update(len(rows))
    return written
