"""The bulk path for the embedded store: diff against the graph, then create what is new natively.

``UNWIND ... MERGE`` over Bolt looks every row up and writes it in one Cypher transaction; on ArcadeDB
that runs at a few thousand rows per second. When this process owns the embedded server, the bulk
writer instead:

1. reads the ids (and record ids) already in the graph for each label, and the ``(src, dst, source)``
   keys already present for each relationship type, in one columnar query each;
2. creates the new nodes and edges through ArcadeDB's native ``GraphBatch`` API (no Cypher, no
   per-row lookups; endpoints are known record ids);
3. sends only the rows that already exist through the plain ``MERGE`` statements, which update them
   exactly as the plain path would.

The result is the same graph as the plain path (tested), and it stays idempotent: a second run finds
everything present and only updates properties. A killed run resumes without duplicates, because the
diff in step 1 sees whatever the killed run had committed. ``bench/bench_ingest.py`` measures both
paths in the same run.

Neo4j and processes attached to someone else's embedded server use the plain path; Neo4j's own offline
bulk path is ``neo4j-admin database import`` (see ``kg/neo4j_import.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from tqdm import tqdm

from kg import embedded
from kg.store import GraphStore
from kg.writer import DEFAULT_BATCH_SIZE, GraphWriter, GroupStats

log = logging.getLogger(__name__)

# Edges buffered before GraphBatch flushes; bigger batches amortise the flush, this bounds memory.
GRAPH_BATCH_EDGES = 200_000


class BulkGraphWriter(GraphWriter):
    """A :class:`GraphWriter` that creates new records natively in an embedded database this process owns."""

    def __init__(
        self, store: GraphStore, database: Any, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True
    ):
        super().__init__(store, batch_size=batch_size, progress=progress)
        self.database = database
        self._rids: dict[str, dict[str, str]] = {}  # label -> id -> record id, loaded once per label

    def _rid_map(self, label: str) -> dict[str, str]:
        if label not in self._rids:
            columns = self.store.columns(
                f"MATCH (n:{label}) RETURN collect(n.id) AS ids, collect(elementId(n)) AS rids"
            )
            self._rids[label] = dict(zip(columns["ids"], columns["rids"], strict=True))
        return self._rids[label]

    def _write_nodes(self, label: str, rows: list[dict], stats: GroupStats, bar: tqdm) -> None:
        known = self._rid_map(label)
        new = [row for row in rows if row["id"] not in known]
        existing = [row for row in rows if row["id"] in known]
        if existing:
            super()._write_nodes(label, existing, stats, bar)
        for start in range(0, len(new), self.batch_size * 5):
            chunk = new[start : start + self.batch_size * 5]
            properties = [
                {
                    **row["props"],
                    "id": row["id"],
                    "source": row["source"],
                    "source_version": row["source_version"],
                    "license": row["license"],
                    "sources": [row["source"]],
                }
                for row in chunk
            ]
            with self.database.graph_batch(use_wal=True) as batch:
                rids = batch.create_vertices(label, properties)
            known.update(zip((row["id"] for row in chunk), rids, strict=True))
            stats.written += len(chunk)
            bar.update(len(chunk))

    def _write_edges(
        self, rel_type: str, src_label: str, dst_label: str, rows: list[dict], stats: GroupStats, bar: tqdm
    ) -> None:
        sources, targets = self._rid_map(src_label), self._rid_map(dst_label)
        present = self._existing_edge_keys(rel_type, src_label, dst_label, {row["source"] for row in rows})
        new, existing = [], []
        for row in rows:
            if row["src"] not in sources or row["dst"] not in targets:
                stats.dangling += 1
                stats.note(f"{row['src']}->{row['dst']} (an endpoint is not in the graph)")
                bar.update(1)
            elif (row["src"], row["dst"], row["source"]) in present:
                existing.append(row)
            else:
                new.append(row)
        if existing:
            super()._write_edges(rel_type, src_label, dst_label, existing, stats, bar)
        if not new:
            return
        self.database.schema.get_or_create_edge_type(rel_type)
        for start in range(0, len(new), GRAPH_BATCH_EDGES):
            chunk = new[start : start + GRAPH_BATCH_EDGES]
            with self.database.graph_batch(batch_size=GRAPH_BATCH_EDGES, use_wal=True) as batch:
                batch.new_edges(
                    [sources[row["src"]] for row in chunk],
                    rel_type,
                    [targets[row["dst"]] for row in chunk],
                    [{**row["props"], "source": row["source"]} for row in chunk],
                )
            stats.written += len(chunk)
            bar.update(len(chunk))

    def _existing_edge_keys(
        self, rel_type: str, src_label: str, dst_label: str, sources: set[str]
    ) -> set[tuple[str, str, str]]:
        columns = self.store.columns(
            f"MATCH (a:{src_label})-[e:{rel_type}]->(b:{dst_label}) WHERE e.source IN $sources "
            "RETURN collect(a.id) AS src, collect(b.id) AS dst, collect(e.source) AS source",
            {"sources": sorted(sources)},
        )
        return set(zip(columns["src"], columns["dst"], columns["source"], strict=True))


def writer_for(
    store: GraphStore, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True, bulk: bool = True
) -> GraphWriter:
    """The fastest correct writer for ``store``: native bulk when this process owns the embedded server."""
    database = embedded.owned_database(store.embedded_path) if bulk and store.embedded_path else None
    if database is None:
        return GraphWriter(store, batch_size=batch_size, progress=progress)
    return BulkGraphWriter(store, database, batch_size=batch_size, progress=progress)
