"""Benchmark the ingest write paths against each other, in the same run, and print a table.

    python bench/bench_ingest.py --data-dir ../shared/data [--sources hpo,go] [--max-edges 300000]

The records are parsed once (the parse is timed per source), then written into two fresh embedded
stores, each in registry order, one source at a time as ``pmkg ingest`` does:
- **plain**: batched ``UNWIND $rows ... MERGE`` over Bolt (10,000 rows per batch), the path Neo4j and
  attached processes use;
- **bulk**: the embedded owner's path (``kg/bulk.py``): diff against the graph, create new records with
  ArcadeDB's native GraphBatch, MERGE only what already exists.

All nodes are written. Edges are capped at ``--max-edges`` by taking every k-th edge of each source
(the plain path would otherwise take many minutes on the full bundle); pass ``--max-edges 0`` for all.

The bulk path runs first (``--order`` to change it), so the JVM's warm-up counts against it, not for it. Both
wall-clock and CPU rates are printed: the store runs in this process, so CPU seconds (all threads, the JVM's
included) are what the write cost, whatever else shares the machine; wall-clock rates are what a user sees.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> None:
    from ingest.base import IngestError
    from ingest.registry import JOBS
    from ingest.xrefs import Resolver
    from kg.bulk import writer_for
    from kg.output import render
    from kg.store import GraphStore

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--sources", help="comma-separated source names (default: every source whose files exist)")
    ap.add_argument("--max-edges", type=int, default=300_000)
    ap.add_argument("--order", default="bulk,plain", help="which path writes first (default: bulk, then plain)")
    args = ap.parse_args()
    paths = args.order.split(",")
    if sorted(paths) != ["bulk", "plain"]:
        ap.error("--order takes bulk,plain or plain,bulk")

    wanted = args.sources.split(",") if args.sources else list(JOBS)
    resolver = Resolver.from_data_dir(args.data_dir)
    parsed, parse_rows = {}, []
    for name in wanted:
        t0 = time.perf_counter()
        try:
            result = JOBS[name][1](args.data_dir, resolver)
        except IngestError as exc:
            print(f"skipping {name}: {exc}")
            continue
        parsed[name] = result
        parse_rows.append(
            {
                "source": name,
                "nodes": len(result.nodes),
                "edges": len(result.edges),
                "parse s": round(time.perf_counter() - t0, 1),
            }
        )
    total_edges = sum(len(r.edges) for r in parsed.values())
    stride = max(1, -(-total_edges // args.max_edges)) if args.max_edges else 1

    rows, rates = [], {}
    for path in paths:
        nodes_written = edges_written = 0
        node_seconds = edge_seconds = edge_cpu = 0.0
        with tempfile.TemporaryDirectory() as tmp, GraphStore.connect(f"embedded://{tmp}/g") as store:
            store.ensure_schema()
            writer = writer_for(store, progress=False, bulk=path == "bulk")
            for name, result in parsed.items():
                report = writer.write(result.nodes, [], what=name)
                nodes_written += report.rows_written
                node_seconds += report.seconds
                cpu0 = time.process_time()
                report = writer.write([], result.edges[::stride], what=name)
                edge_cpu += time.process_time() - cpu0
                edges_written += report.rows_written
                edge_seconds += report.seconds
        rates[path] = (nodes_written / node_seconds, edges_written / edge_seconds, edges_written / edge_cpu)
        rows.append(
            {
                "path": path,
                "nodes": nodes_written,
                "node s": round(node_seconds, 1),
                "nodes/s": f"{rates[path][0]:,.0f}",
                "edges": edges_written,
                "edge s": round(edge_seconds, 1),
                "edges/s": f"{rates[path][1]:,.0f}",
                "edge CPU s": round(edge_cpu, 1),
                "edges/CPU s": f"{rates[path][2]:,.0f}",
            }
        )
    rows.append(
        {
            "path": "bulk / plain",
            "nodes/s": f"{rates['bulk'][0] / rates['plain'][0]:.1f}x",
            "edges/s": f"{rates['bulk'][1] / rates['plain'][1]:.1f}x",
            "edges/CPU s": f"{rates['bulk'][2] / rates['plain'][2]:.1f}x",
        }
    )
    print(render(parse_rows, "table"))
    print(f"\nedges written: every {stride} of {total_edges:,} parsed edges\n")
    print(render(rows, "table"))


if __name__ == "__main__":
    main()
