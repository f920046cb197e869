"""Benchmark the ingest write paths against each other, in the same run, and print a table.

    python bench/bench_ingest.py --data-dir ../shared/data [--sources hpo,go] [--edge-stride 1] [--end-to-end]

Fresh embedded stores, one per path, are open side by side. Each source is parsed once (timed), then written into both,
nodes then edges, as ``pmkg ingest`` does, in registry order:

- **bulk**: the embedded owner's path (``kg/bulk.py``): diff against the graph, create new records with
  ArcadeDB's native GraphBatch, MERGE only what exists and differs; rows cross into the JVM as one JSON text per
  chunk, and each edge group is one GraphBatch fed by a worker thread while Python builds the next chunk;
- **bulk-before**: the same writer as it was when the speed issue was filed (``json_bridge = False``,
  ``pipelined = False``): the arcadedb-embedded wrapper's ``create_vertices``/``new_edges``, which convert every
  value through JPype once a property is a list, and one GraphBatch per 200k edges;
- **plain** (with ``--plain``): batched ``UNWIND $rows ... MERGE`` over Bolt (10,000 rows per batch), the path
  Neo4j and attached processes use.

For the bulk paths, "engine s" is the time spent inside the engine's edge calls (buffering and flushing): edges per
engine second is what the path would reach if all its Python work were free, the ceiling the engine sets.

``--end-to-end`` then runs two whole ingests, as ``pmkg ingest`` does, into two more fresh stores: *after* (the
bulk path) and *before* (bulk-before), in that order, so that the JIT warm-up of the first does not favour the
after path. The resolver's tables are built by then (the per-source part used them).

The two paths take turns going first, source by source, so JVM warm-up and whatever else runs on the machine
fall on both alike; only one source's records are in memory at a time, as in ``pmkg ingest``. All nodes are
written; ``--edge-stride K`` writes every K-th edge of each source (default 1: all of them).

Both wall-clock and CPU rates are printed: the stores run in this process, so CPU seconds (all threads, the
JVM's included) are what a write cost whatever else shares the machine; wall-clock rates are what a user sees.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PATHS = ("bulk", "bulk-before", "plain")


def main() -> None:
    from pmkg.ingest.base import IngestError
    from pmkg.ingest.registry import JOBS
    from pmkg.ingest.xrefs import Resolver
    from pmkg.kg.bulk import writer_for
    from pmkg.kg.store import GraphStore

    from pmkg.cli.output import render

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--sources", help="comma-separated source names (default: every source whose files exist)")
    ap.add_argument("--edge-stride", type=int, default=1, help="write every K-th edge of each source")
    ap.add_argument("--plain", action="store_true", help="also measure the plain MERGE path (about 3x the time)")
    ap.add_argument("--end-to-end", action="store_true", help="then two whole ingests: after and before")
    args = ap.parse_args()
    paths = PATHS if args.plain else PATHS[:2]

    wanted = args.sources.split(",") if args.sources else list(JOBS)
    resolver = Resolver.from_data_dir(args.data_dir)
    totals: dict[str, dict[str, float]] = {path: defaultdict(float) for path in paths}
    per_source = []
    parse_seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        writers = {}
        for path in paths:
            store = stack.enter_context(GraphStore.connect(f"embedded://{tmp}/{path}"))
            store.ensure_schema()
            writers[path] = writer_for(store, progress=False, bulk=path != "plain")
            if path == "bulk-before":
                _as_before(writers[path])
        for turn, name in enumerate(n for n in JOBS if n in wanted):
            t0 = time.perf_counter()
            try:
                result = JOBS[name][1](args.data_dir, resolver)
            except IngestError as exc:
                print(f"skipping {name}: {exc}")
                continue
            edges = result.edges[:: args.edge_stride]
            row = {"source": name, "nodes": len(result.nodes), "edges": len(edges)}
            row["parse s"] = round(time.perf_counter() - t0, 1)
            parse_seconds += time.perf_counter() - t0
            for path in paths if turn % 2 == 0 else paths[::-1]:
                cpu0 = time.process_time()
                nodes_report = writers[path].write(result.nodes, [], what=name)
                cpu1 = time.process_time()
                edges_report = writers[path].write([], edges, what=name)
                cpu2 = time.process_time()
                total = totals[path]
                total["nodes"] += nodes_report.rows_written
                total["node s"] += nodes_report.seconds
                total["node CPU s"] += cpu1 - cpu0
                total["edges"] += edges_report.rows_written
                total["edge s"] += edges_report.seconds
                total["edge CPU s"] += cpu2 - cpu1
                engine = getattr(writers[path], "engine_seconds", None)
                if engine is not None:
                    total["engine s"], writers[path].engine_seconds = total["engine s"] + engine, 0.0
                row[f"{path} edges/s"] = f"{edges_report.rows_written / edges_report.seconds:,.0f}" if edges else "-"
            per_source.append(row)
            del result, edges

    rows = []
    for path in paths:
        t = totals[path]
        rows.append(
            {
                "path": path,
                "nodes": int(t["nodes"]),
                "node s": round(t["node s"], 1),
                "nodes/s": f"{t['nodes'] / t['node s']:,.0f}",
                "edges": int(t["edges"]),
                "edge s": round(t["edge s"], 1),
                "edges/s": f"{t['edges'] / t['edge s']:,.0f}",
                "edge CPU s": round(t["edge CPU s"], 1),
                "edges/CPU s": f"{t['edges'] / t['edge CPU s']:,.0f}",
                "engine s": round(t["engine s"], 1) if t["engine s"] else "-",
                "edges/engine s": f"{t['edges'] / t['engine s']:,.0f}" if t["engine s"] else "-",
                "parse+write s": round(parse_seconds + t["node s"] + t["edge s"], 1),
                "edges/s end to end": f"{t['edges'] / (parse_seconds + t['node s'] + t['edge s']):,.0f}",
            }
        )
    bulk = totals["bulk"]
    for other in paths[1:]:
        base = totals[other]
        rows.append(
            {
                "path": f"bulk / {other}",
                "nodes/s": f"{(bulk['nodes'] / bulk['node s']) / (base['nodes'] / base['node s']):.1f}x",
                "edges/s": f"{(bulk['edges'] / bulk['edge s']) / (base['edges'] / base['edge s']):.1f}x",
                "edges/CPU s": f"{(bulk['edges'] / bulk['edge CPU s']) / (base['edges'] / base['edge CPU s']):.1f}x",
            }
        )
    print(render(per_source, "table"))
    print(f"\nedges written: every {args.edge_stride} of each source's edges; parsing {parse_seconds:.1f} s in all\n")
    print(render(rows, "table"))
    if args.end_to_end:
        print()
        print(render(_end_to_end(args.data_dir, wanted, resolver), "table"))


def _as_before(writer) -> None:
    """The bulk writer as it was when the speed issue was filed."""
    writer.json_bridge = False
    writer.pipelined = False


def _end_to_end(data_dir: Path, sources: list[str], resolver) -> list[dict]:
    """Whole ingests into fresh stores, after then before: wall clock, CPU, edges per second."""
    from pmkg.kg.store import GraphStore

    from pmkg.workflows.ingest import GraphSink, run_jobs

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in ("after", "before"):
            with GraphStore.connect(f"embedded://{tmp}/{path}") as store:
                sink = GraphSink(store, progress=False)
                if path == "before":
                    _as_before(sink._writer)
                t0, cpu0 = time.perf_counter(), time.process_time()
                outcomes = run_jobs(data_dir, sink, sources, resolver)
                wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
                edges = store.run("MATCH ()-[e]->() RETURN count(e) AS n")[0]["n"]
                rows.append(
                    {
                        "whole ingest": path,
                        "sources ok": sum(outcome.ok for outcome in outcomes),
                        "edges in graph": edges,
                        "wall s": round(wall, 1),
                        "CPU s": round(cpu, 1),
                        "edges/s end to end": f"{edges / wall:,.0f}",
                    }
                )
    rows.append(
        {
            "whole ingest": "after / before",
            "wall s": f"{rows[1]['wall s'] / rows[0]['wall s']:.2f}x faster",
            "edges/s end to end": f"{rows[1]['wall s'] / rows[0]['wall s']:.2f}x",
        }
    )
    return rows


if __name__ == "__main__":
    main()
