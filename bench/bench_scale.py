"""Where one machine stops: ingest, export and one training epoch on synthetic graphs at k times the bundle.

    python bench/scale_graph.py --data-dir ../shared/data --out pmkg-data/scale/base.npz   # once
    python bench/bench_scale.py --base pmkg-data/scale/base.npz --sizes 1,3,10 --ingest-sizes 1

Each size runs in its own process (so its peak RSS is its own) on :func:`scale_graph.scale_export` of the base:

- **train**: ``pmkg.gnn.train.train`` with the default ``TrainConfig`` for 2 epochs (threads 1): setup (split,
  spectral features, path counts, model) and the second epoch's seconds, and the process's peak RSS;
- **ingest / export** (sizes in ``--ingest-sizes``): the graph as records through the embedded bulk writer
  (``kg/bulk.py``; nodes carry provenance only, edges their source) into a fresh store, then
  ``kg.export.export_graph`` back out.

The last table is a least-squares line per quantity over the sizes measured (x = million edges), the numbers
``pmkg.workflows.estimate.SLOPES`` holds. The baseline for every ratio is the 1x row of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent))


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def ingest_and_export(export, progress: bool = False) -> dict:
    from pmkg.kg.bulk import writer_for
    from pmkg.kg.export import export_graph
    from pmkg.kg.records import EdgeRecord, NodeRecord
    from pmkg.kg.store import GraphStore

    prov = {"source": "synthetic", "source_version": "1", "license": "CC0"}
    out = {}
    with tempfile.TemporaryDirectory() as tmp, GraphStore.connect(f"embedded://{tmp}/g") as store:
        store.ensure_schema()
        writer = writer_for(store, progress=progress)
        t0 = time.perf_counter()
        nodes = [NodeRecord(label, curie, dict(prov)) for label, ids in export.node_ids.items() for curie in ids]
        writer.write(nodes, [], what="synthetic nodes")
        del nodes
        t1 = time.perf_counter()
        edges_written = 0
        for (src_label, rel, dst_label), pairs in export.edges.items():
            src_ids, dst_ids = export.node_ids[src_label], export.node_ids[dst_label]
            records = [
                EdgeRecord(rel, src_label, src_ids[s], dst_label, dst_ids[d], dict(prov))
                for s, d in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True)
            ]
            edges_written += writer.write([], records, what=rel).rows_written
        t2 = time.perf_counter()
        exported = export_graph(store, progress=progress)
        t3 = time.perf_counter()
    out.update(
        ingest_node_s=t1 - t0, ingest_edge_s=t2 - t1, edges_written=edges_written,
        ingest_edges_per_s=edges_written / (t2 - t1), export_s=t3 - t2,
        exported_edges=int(sum(e.shape[1] for e in exported.edges.values())),
    )
    return out


def worker(base: Path, k: int, ingest: bool) -> dict:
    from pmkg.gnn.train import TrainConfig, train
    from pmkg.kg.export import load_export
    from scale_graph import edge_count, scale_export

    t0 = time.perf_counter()
    export = scale_export(load_export(base), k)
    row = {"k": k, "nodes": sum(map(len, export.node_ids.values())), "edges": edge_count(export),
           "generate_s": time.perf_counter() - t0, "graph_rss_gib": peak_rss_gib()}
    if ingest:
        row.update(ingest_and_export(export))
    result = train(export, TrainConfig(epochs=2, patience=10, threads=1), progress=False)
    epochs = sum(h["seconds"] for h in result.history)
    row.update(
        setup_s=result.seconds_total - epochs, epoch_s=result.history[-1]["seconds"],
        train_peak_rss_gib=peak_rss_gib(),
    )
    return row


def fit(rows: list[dict], key: str) -> tuple[float, float]:
    import numpy as np

    x = np.array([r["edges"] / 1e6 for r in rows if key in r])
    y = np.array([r[key] for r in rows if key in r])
    if x.size < 2:
        return 0.0, float(y[0] / x[0]) if x.size else 0.0
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept), float(slope)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--sizes", default="1,3,10")
    ap.add_argument("--ingest-sizes", default="1", help="sizes whose ingest and export are measured too")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per size")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--ingest", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(args.base, args.worker, args.ingest)), flush=True)
        return

    from pmkg.cli.output import render

    ingest_sizes = {int(s) for s in args.ingest_sizes.split(",") if s}
    rows = []
    for k in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--base", str(args.base), "--worker", str(k)]
        if k in ingest_sizes:
            cmd.append("--ingest")
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"{k}x: over {args.timeout} s, stopped")
            continue
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if not lines:
            print(f"{k}x failed (exit {done.returncode}): {done.stderr[-2000:]}")
            continue
        rows.append(json.loads(lines[-1][len("RESULT "):]))
        print(json.dumps(rows[-1]), flush=True)
    if not rows:
        return
    base = rows[0]
    table = [
        {
            "size": f"{r['k']}x", "nodes": f"{r['nodes']:,}", "edges": f"{r['edges']:,}",
            "ingest edges/s": f"{r['ingest_edges_per_s']:,.0f}" if "ingest_edges_per_s" in r else "-",
            "export s": f"{r['export_s']:.1f}" if "export_s" in r else "-",
            "train setup s": f"{r['setup_s']:.1f}", "epoch s": f"{r['epoch_s']:.2f}",
            "epoch / 1x": f"{r['epoch_s'] / base['epoch_s']:.1f}x",
            "peak RSS GiB": f"{r['train_peak_rss_gib']:.1f}",
        }
        for r in rows
    ]
    print(render(table, "table"))
    slopes = [
        {"quantity": key, "intercept": round(a, 3), "per million edges": round(b, 3)}
        for key, (a, b) in ((key, fit(rows, key)) for key in ("epoch_s", "setup_s", "train_peak_rss_gib", "export_s"))
    ]
    print(render(slopes, "table", title="least-squares lines (x = million edges)"))


if __name__ == "__main__":
    main()
