"""Benchmark the main job's stages on the bundled sample (or --data-dir) and print a table.

    python bench/bench_pipeline.py [--data-dir ../shared/data] [--epochs 20]

Each timing has a baseline measured in the same run, so the ratios survive this machine's noise:
- ingest: the writer at its default batch (10,000 rows per UNWIND) vs the same writer at 1,000 rows;
- export: the columnar ``collect()`` export vs one Bolt record per edge;
- training: seconds per full-batch epoch (the degree prior needs no training: it is timed as a scorer);
- scoring: every Drug x Disease pair in one matrix product.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> None:
    from pmkg.gnn import TARGET
    from pmkg.gnn.baselines import degree_product_scores
    from pmkg.gnn.predict import score_all_pairs
    from pmkg.gnn.train import TrainConfig, train
    from pmkg.ingest.base import IngestError
    from pmkg.ingest.registry import JOBS, SAMPLE_DATA_DIR
    from pmkg.kg.export import edge_export_statement, export_graph
    from pmkg.kg.store import GraphStore
    from pmkg.kg.writer import GraphWriter

    from pmkg.cli.output import render

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=SAMPLE_DATA_DIR)
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()

    rows = []
    results = {}
    for name, (_, job) in JOBS.items():
        try:
            results[name] = job(args.data_dir)
        except IngestError as exc:
            print(f"skipping {name}: {exc}")
    nodes = [n for r in results.values() for n in r.nodes]
    edges = [e for r in results.values() for e in r.edges]
    for batch in (1_000, 10_000):
        with tempfile.TemporaryDirectory() as tmp, GraphStore.connect(f"embedded://{tmp}/g") as store:
            store.ensure_schema()
            report = GraphWriter(store, batch_size=batch, progress=False).write(nodes, edges)
            rows.append(
                {
                    "stage": f"ingest, UNWIND batch {batch:,}",
                    "rows": report.rows_written,
                    "seconds": report.seconds,
                    "rate": f"{report.rows_per_second:,.0f} rows/s",
                }
            )
            if batch == 10_000:
                t0 = time.perf_counter()
                export = export_graph(store, progress=False)
                columnar = time.perf_counter() - t0
                n_edges = sum(e.shape[1] for e in export.edges.values())
                t0 = time.perf_counter()
                for src, rel, dst in export.edges:
                    store.run(
                        edge_export_statement(rel, src, dst).replace(
                            "RETURN collect(a.id) AS src, collect(b.id) AS dst", "RETURN a.id AS src, b.id AS dst"
                        )
                    )
                per_record = time.perf_counter() - t0
                rows.append(
                    {
                        "stage": "export, one record per edge (baseline)",
                        "rows": n_edges,
                        "seconds": per_record,
                        "rate": f"{n_edges / per_record:,.0f} edges/s",
                    }
                )
                rows.append(
                    {
                        "stage": "export, columnar collect()",
                        "rows": n_edges,
                        "seconds": columnar,
                        "rate": f"{n_edges / columnar:,.0f} edges/s ({per_record / columnar:.1f}x)",
                    }
                )
    config = TrainConfig(epochs=args.epochs, patience=args.epochs, threads=2)
    result = train(export, config, progress=False)
    rows.append(
        {
            "stage": f"train, {len(result.history)} full-batch epochs",
            "rows": config.epochs,
            "seconds": result.seconds_total,
            "rate": f"{result.seconds_per_epoch:.3f} s/epoch",
        }
    )
    t0 = time.perf_counter()
    scores = score_all_pairs(result)
    gnn_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    degree_product_scores(result.split.train, *scores.shape)
    prior_seconds = time.perf_counter() - t0
    rows.append(
        {
            "stage": "score all pairs, degree prior (baseline)",
            "rows": scores.size,
            "seconds": prior_seconds,
            "rate": f"{scores.size / prior_seconds:,.0f} pairs/s",
        }
    )
    rows.append(
        {
            "stage": "score all pairs, GNN",
            "rows": scores.size,
            "seconds": gnn_seconds,
            "rate": f"{scores.size / gnn_seconds:,.0f} pairs/s",
        }
    )
    for row in rows:
        row["seconds"] = round(row["seconds"], 2)
    print(render(rows, "table", title=f"pmkg pipeline on {args.data_dir} ({TARGET[1]} target)"))
    small, large = rows[0]["seconds"], rows[1]["seconds"]
    print(f"ingest speed-up of 10k-row batches over 1k-row batches: {small / large:.2f}x")


if __name__ == "__main__":
    main()
