"""Benchmark the ingest write paths against each other, in the same run, and print a table.

    python bench/bench_ingest.py --data-dir ../shared/data [--sources hpo,go] [--edge-stride 1]

Two fresh embedded stores are open side by side. Each source is parsed once (timed), then written into both,
nodes then edges, as ``pmkg ingest`` does, in registry order:

- **bulk**: the embedded owner's path (``kg/bulk.py``): diff against the graph, create new records with
  ArcadeDB's native GraphBatch, MERGE only what exists and differs;
- **plain**: batched ``UNWIND $rows ... MERGE`` over Bolt (10,000 rows per batch), the path Neo4j and attached
  processes use.

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
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PATHS = ("bulk", "plain")


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
    args = ap.parse_args()

    wanted = args.sources.split(",") if args.sources else list(JOBS)
    resolver = Resolver.from_data_dir(args.data_dir)
    totals: dict[str, dict[str, float]] = {path: defaultdict(float) for path in PATHS}
    per_source = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        GraphStore.connect(f"embedded://{tmp}/bulk") as bulk_store,
        GraphStore.connect(f"embedded://{tmp}/plain") as plain_store,
    ):
        writers = {}
        for path, store in (("bulk", bulk_store), ("plain", plain_store)):
            store.ensure_schema()
            writers[path] = writer_for(store, progress=False, bulk=path == "bulk")
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
            for path in PATHS if turn % 2 == 0 else PATHS[::-1]:
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
                row[f"{path} edges/s"] = f"{edges_report.rows_written / edges_report.seconds:,.0f}" if edges else "-"
            per_source.append(row)
            del result, edges

    rows = []
    for path in PATHS:
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
            }
        )
    bulk, plain = totals["bulk"], totals["plain"]
    rows.append(
        {
            "path": "bulk / plain",
            "nodes/s": f"{(bulk['nodes'] / bulk['node s']) / (plain['nodes'] / plain['node s']):.1f}x",
            "edges/s": f"{(bulk['edges'] / bulk['edge s']) / (plain['edges'] / plain['edge s']):.1f}x",
            "edges/CPU s": f"{(bulk['edges'] / bulk['edge CPU s']) / (plain['edges'] / plain['edge CPU s']):.1f}x",
        }
    )
    print(render(per_source, "table"))
    print(f"\nedges written: every {args.edge_stride} of each source's edges\n")
    print(render(rows, "table"))


if __name__ == "__main__":
    main()
