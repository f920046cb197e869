"""The bulk path for the embedded store: diff against the graph, then create what is new natively.

``UNWIND ... MERGE`` over Bolt looks every row up and writes it in one Cypher transaction; on ArcadeDB
that runs at a few thousand rows per second. When this process owns the embedded server, the bulk
writer instead:

1. reads the ids (and record ids) already in the graph for each label, and the ``(src, dst, source)``
   keys already present for each relationship type, in one columnar query each;
2. creates the new nodes and edges through ArcadeDB's native ``GraphBatch`` API (no Cypher, no
   per-row lookups; endpoints are known record ids);
3. sends only the rows that already exist *and differ* from what is stored through the plain ``MERGE``
   statements, which update them exactly as the plain path would. A row whose properties are all stored
   already (and, for a node, whose source is already in ``sources``) would change nothing, so it is not
   sent: a re-run, or the resume of a killed run, reads the graph instead of rewriting it.

A chunk the native API refuses (ArcadeDB raises for the whole chunk) goes through the plain ``MERGE`` path
instead, which finds the refused rows by bisection (:class:`~pmkg.kg.writer.GraphWriter`); the record ids of that
label are read again afterwards. The result is the same graph as the plain path (tested), and it stays
idempotent: a second run finds everything present and only updates properties. A killed run resumes without
duplicates, because the diff in step 1 sees whatever the killed run had committed. ``bench/bench_ingest.py``
measures both paths in the same run.

Neo4j and processes attached to someone else's embedded server use the plain path; Neo4j's own offline
bulk path is ``neo4j-admin database import`` (see ``kg/neo4j_import.py``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pmkg.kg import embedded
from pmkg.kg.schema import owner_may_set
from pmkg.kg.store import GraphStore
from pmkg.kg.writer import DEFAULT_BATCH_SIZE, GraphWriter, GroupStats
from tqdm import tqdm

log = logging.getLogger(__name__)

# Edges per GraphBatch on the unpipelined path (bench_ingest's "before"): one batch, and one flush, per chunk.
GRAPH_BATCH_EDGES = 200_000
# The pipelined path opens one batch per edge group, which flushes every GROUP_BATCH_EDGES (bounds the JVM's
# buffer), and hands it PIPELINE_CHUNK_EDGES at a time: small enough that Python's JSON for the next chunk
# overlaps the engine's work on this one, big enough that the per-call cost vanishes.
GROUP_BATCH_EDGES = 500_000
PIPELINE_CHUNK_EDGES = 25_000
# A number of 19+ digits in the JSON text: maybe an integer beyond 64 bits, which JSON would not carry unchanged.
_LONG_NUMBER = re.compile(r"\d{19}")
# Ids per read of stored node properties (the list is a query parameter).
STORED_READ_CHUNK = 20_000


class BulkGraphWriter(GraphWriter):
    """A :class:`GraphWriter` that creates new records natively in an embedded database this process owns."""

    def __init__(
        self, store: GraphStore, database: Any, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True
    ):
        super().__init__(store, batch_size=batch_size, progress=progress)
        self.database = database
        # False: hand rows to the wrapper's create_vertices/new_edges, which fall back to one JPype call per
        # record and per value when a property is a list (most of ours); bench_ingest's "before" path.
        self.json_bridge = True
        # False: one GraphBatch per 200k edges, each chunk's JSON built then handed over in turn, as before
        # the pipeline (bench_ingest's "before" path).
        self.pipelined = True
        # Seconds spent inside the engine's edge calls (buffering and flushing): edges written per engine second is
        # the rate this writer would reach if all its Python work were free (bench_ingest's "engine" column).
        self.engine_seconds = 0.0
        self._rids: dict[str, dict[str, str]] = {}  # label -> id -> record id, loaded once per label
        # label -> id -> the sources listing the node, kept current as this writer writes
        self._sources: dict[str, dict[str, set[str]]] = {}

    def _rid_map(self, label: str) -> dict[str, str]:
        if label not in self._rids:
            columns = self.store.columns(
                f"MATCH (n:{label}) RETURN collect(n.id) AS ids, collect(elementId(n)) AS rids, "
                "collect(coalesce(n.sources, [])) AS sources"
            )
            self._rids[label] = dict(zip(columns["ids"], columns["rids"], strict=True))
            self._sources[label] = {i: set(s) for i, s in zip(columns["ids"], columns["sources"], strict=True)}
        return self._rids[label]

    def _stored_nodes(self, label: str, ids: list[str]) -> dict[str, dict]:
        """id -> stored properties of the nodes among ``ids``.

        Measured on the full bundle: one scan of a label reads about 5k nodes/s, a lookup through the id index
        about 2.6k/s, so a source that re-sends most of a label reads all of it, others look their ids up.
        """
        if 2 * len(ids) >= len(self._rid_map(label)):
            columns = self.store.columns(
                f"MATCH (n:{label}) RETURN collect(n.id) AS ids, collect(properties(n)) AS props"
            )
            return dict(zip(columns["ids"], columns["props"], strict=True))
        stored: dict[str, dict] = {}
        for start in range(0, len(ids), STORED_READ_CHUNK):
            columns = self.store.columns(
                f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) "
                "RETURN collect(n.id) AS ids, collect(properties(n)) AS props",
                {"ids": ids[start : start + STORED_READ_CHUNK]},
            )
            stored.update(zip(columns["ids"], columns["props"], strict=True))
        return stored

    def _write_nodes(self, label: str, rows: list[dict], stats: GroupStats, bar: tqdm) -> None:
        known = self._rid_map(label)
        new = [row for row in rows if row["id"] not in known]
        existing = [row for row in rows if row["id"] in known]
        listed = self._sources[label]
        if existing:
            # A node its source is not listed on yet will change (the MERGE adds the source), so only the
            # others, what a re-run sends, are compared with what is stored.
            changed = [row for row in existing if row["source"] not in listed.get(row["id"], ())]
            again = [row for row in existing if row["source"] in listed.get(row["id"], ())]
            stored = self._stored_nodes(label, [row["id"] for row in again]) if again else {}
            changed += [row for row in again if not _node_unchanged(row, stored.get(row["id"]))]
            _count_unchanged(len(existing) - len(changed), stats, bar)
            if changed:
                super()._write_nodes(label, changed, stats, bar)
            for row in changed:
                listed.setdefault(row["id"], set()).add(row["source"])
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
            try:
                with self.database.graph_batch(use_wal=True) as batch:
                    rids = create_vertices(batch, label, properties, self.json_bridge)
            except Exception as exc:  # ArcadeDB's own (Java) errors arrive through JPype as various types
                log.warning("the bulk API refused %s nodes (%s); writing them with MERGE", label, type(exc).__name__)
                super()._write_nodes(label, chunk, stats, bar)
                self._rids.pop(label, None)  # MERGE made record ids this writer does not know: read them again
                self._sources.pop(label, None)
                known, listed = self._rid_map(label), self._sources[label]
                continue
            known.update(zip((row["id"] for row in chunk), rids, strict=True))
            listed.update((row["id"], {row["source"]}) for row in chunk)
            stats.written += len(chunk)
            bar.update(len(chunk))

    def _write_edges(
        self, rel_type: str, src_label: str, dst_label: str, rows: list[dict], stats: GroupStats, bar: tqdm
    ) -> None:
        sources, targets = self._rid_map(src_label), self._rid_map(dst_label)
        present = self._existing_edges(rel_type, src_label, dst_label, {row["source"] for row in rows})
        new, changed = [], []
        unchanged = 0
        for row in rows:
            key = (row["src"], row["dst"], row["source"])
            if row["src"] not in sources or row["dst"] not in targets:
                stats.dangling += 1
                stats.note(f"{row['src']}->{row['dst']} (an endpoint is not in the graph)")
                bar.update(1)
            elif key not in present:
                new.append(row)
            elif _props_stored(row["props"], present[key]):
                unchanged += 1
            else:
                changed.append(row)
        _count_unchanged(unchanged, stats, bar)
        if changed:
            super()._write_edges(rel_type, src_label, dst_label, changed, stats, bar)
        if not new:
            return
        self.database.schema.get_or_create_edge_type(rel_type)
        if self.pipelined:
            self._create_edges_pipelined(rel_type, src_label, dst_label, new, sources, targets, stats, bar)
            return
        for start in range(0, len(new), GRAPH_BATCH_EDGES):
            chunk = new[start : start + GRAPH_BATCH_EDGES]
            batch = self.database.graph_batch(batch_size=GRAPH_BATCH_EDGES, use_wal=True)
            try:
                call = edges_call(batch, rel_type, *_edge_columns(chunk, sources, targets), self.json_bridge)
                self._in_engine(call)
                self._in_engine(batch.close)
            except Exception as exc:  # as for nodes: MERGE (idempotent) finds the rows the store refuses
                log.warning("the bulk API refused %s edges (%s); writing them with MERGE", rel_type, type(exc).__name__)
                with contextlib.suppress(Exception):
                    batch.close()
                super()._write_edges(rel_type, src_label, dst_label, chunk, stats, bar)
                continue
            stats.written += len(chunk)
            bar.update(len(chunk))

    def _in_engine(self, call: Callable[[], Any]) -> None:
        """Run a call into the engine, adding its duration to :attr:`engine_seconds`."""
        t0 = time.perf_counter()
        try:
            call()
        finally:
            self.engine_seconds += time.perf_counter() - t0

    def _create_edges_pipelined(
        self, rel_type: str, src_label: str, dst_label: str, new: list[dict], sources: dict[str, str],
        targets: dict[str, str], stats: GroupStats, bar: tqdm,
    ) -> None:
        """Create a group's new edges in one GraphBatch, the JVM taking each chunk while Python builds the next.

        JPype releases the GIL during a Java call, so on two cores the JSON for chunk k+1 is built while the engine
        buffers chunk k. Every call on the batch (open, chunks, close) runs on one worker thread: ArcadeDB keeps
        its transaction per thread. If the engine refuses anything, whatever of the group it had committed stays
        and the whole group goes through MERGE, which creates only what is missing.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmkg-jvm") as jvm:
            batch = jvm.submit(
                self.database.graph_batch, batch_size=min(len(new), GROUP_BATCH_EDGES), use_wal=True
            ).result()
            pending: list[Future] = []
            shown = 0
            try:
                for start in range(0, len(new), PIPELINE_CHUNK_EDGES):
                    chunk = new[start : start + PIPELINE_CHUNK_EDGES]
                    call = edges_call(batch, rel_type, *_edge_columns(chunk, sources, targets), self.json_bridge)
                    if pending:
                        pending.pop().result()
                    pending.append(jvm.submit(self._in_engine, call))
                    bar.update(len(chunk))
                    shown += len(chunk)
                if pending:
                    pending.pop().result()
                jvm.submit(self._in_engine, batch.close).result()
            except Exception as exc:  # ArcadeDB's (Java) errors arrive through JPype as various types
                log.warning("the bulk API refused %s edges (%s); writing them with MERGE", rel_type, type(exc).__name__)
                for future in pending:
                    future.exception()
                with contextlib.suppress(Exception):
                    jvm.submit(batch.close).result()
                bar.update(-shown)
                super()._write_edges(rel_type, src_label, dst_label, new, stats, bar)
                return
            finally:
                jvm.submit(_detach_from_jvm).result()
        stats.written += len(new)

    def _existing_edges(
        self, rel_type: str, src_label: str, dst_label: str, sources: set[str]
    ) -> dict[tuple[str, str, str], dict]:
        """(src id, dst id, source) -> stored properties, for the edges of these sources already in the graph."""
        columns = self.store.columns(
            f"MATCH (a:{src_label})-[e:{rel_type}]->(b:{dst_label}) WHERE e.source IN $sources "
            "RETURN collect(a.id) AS src, collect(b.id) AS dst, collect(properties(e)) AS props",
            {"sources": sorted(sources)},
        )
        return {
            (src, dst, props.get("source")): props
            for src, dst, props in zip(columns["src"], columns["dst"], columns["props"], strict=True)
        }


def _rows_json(rows: list[dict[str, Any]]) -> str | None:
    """``rows`` as one JSON array, or ``None`` when JSON would not carry a value unchanged.

    Property values are strings, numbers, booleans and lists of them (:mod:`pmkg.kg.limits`). JSON refuses NaN and
    infinities here (``allow_nan=False``) and a type it cannot encode (a date); an integer beyond 64 bits would
    reach the engine changed, and any run of 19 or more digits outside a string is looked for as such.
    """
    try:
        text = json.dumps(rows, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return None if _LONG_NUMBER.search(text) else text


def create_vertices(batch: Any, label: str, properties: list[dict[str, Any]], json_bridge: bool = True) -> list[str]:
    """Create ``properties`` as ``label`` vertices; their record ids, in order.

    The rows cross into the JVM as one JSON string (the wrapper's own bulk bridge), lists included: the wrapper's
    ``create_vertices`` takes that bridge only when every value is a scalar, and otherwise converts every value
    of every row through JPype, which was most of a node write on the full bundle.
    """
    text = _rows_json(properties) if json_bridge else None
    bridge = _bridge("com.arcadedb.python.VertexBatcher") if text is not None else None
    if bridge is None:
        return batch.create_vertices(label, properties)
    joined = str(bridge.createVerticesJson(batch._java_graph_batch, label, text))
    return joined.split(";") if joined else []


def edges_call(
    batch: Any, rel_type: str, src_rids: list[str], dst_rids: list[str], properties: list[dict[str, Any]],
    json_bridge: bool = True,
) -> Callable[[], Any]:
    """Buffering ``rel_type`` edges between record ids in ``batch``, in two halves: the Python work now (one JSON
    text for the chunk, lists included, where the wrapper's ``new_edges`` makes one JPype call per edge for list
    values), the call into the JVM returned, for this thread or another to run."""
    rows = [{**props, "_src": s, "_dst": d} for s, d, props in zip(src_rids, dst_rids, properties, strict=True)]
    text = _rows_json(rows) if json_bridge else None
    bridge = _bridge("com.arcadedb.python.EdgeBatcher") if text is not None else None
    if bridge is None:
        return functools.partial(batch.new_edges, src_rids, rel_type, dst_rids, properties)
    return functools.partial(bridge.newEdgesJson, batch._java_graph_batch, rel_type, text)


def _edge_columns(
    rows: list[dict], sources: dict[str, str], targets: dict[str, str]
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """Source record ids, target record ids and properties (``source`` included) of edge rows."""
    return (
        [sources[row["src"]] for row in rows],
        [targets[row["dst"]] for row in rows],
        [{**row["props"], "source": row["source"]} for row in rows],
    )


def _detach_from_jvm() -> None:
    # A Python thread that called Java stays attached to the JVM until detached; a finished worker should not.
    import jpype

    jpype.JClass("java.lang.Thread").detach()


_BRIDGES: dict[str, Any] = {}


def _bridge(name: str) -> Any | None:
    """The wrapper's Java bulk-bridge class, or ``None`` where this build has none (the slow path then).

    Only a class found is remembered: asked before the JVM runs, the look-up fails, and remembering that would send
    every later write down the slow path.
    """
    if name not in _BRIDGES:
        try:
            import jpype

            _BRIDGES[name] = jpype.JClass(name)
        except Exception:  # a missing class (or no JVM yet) surfaces as a Java or JPype exception
            return None
    return _BRIDGES[name]


def _props_stored(props: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Whether ``SET x += props`` would leave ``stored`` as it is (the writer never removes a property)."""
    return all(key in stored and stored[key] == value for key, value in props.items())


def _node_unchanged(row: dict, stored: dict | None) -> bool:
    """Whether the plain path's node MERGE would change nothing: properties stored, source already listed."""
    if stored is None or row["source"] not in (stored.get("sources") or []):
        return False
    return _props_stored(owner_may_set(row["props"], row["source"], stored.get("source"), stored), stored)


def _count_unchanged(count: int, stats: GroupStats, bar: tqdm) -> None:
    # A row the graph already holds as given counts as written: after the write, the graph says what it says.
    stats.written += count
    bar.update(count)


def writer_for(
    store: GraphStore, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = True, bulk: bool = True
) -> GraphWriter:
    """The fastest correct writer for ``store``: native bulk when this process owns the embedded server."""
    database = embedded.owned_database(store.embedded_path) if bulk and store.embedded_path else None
    if database is None:
        return GraphWriter(store, batch_size=batch_size, progress=progress)
    return BulkGraphWriter(store, database, batch_size=batch_size, progress=progress)
