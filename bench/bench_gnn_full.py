"""Time the GNN's stages on an existing graph (e.g. the full multi-source build) and print a table.

    python bench/bench_gnn_full.py -g embedded://pmkg-data/graph [--epochs N]

Stages, each with a baseline measured in the same run:
- export over Bolt into numpy (columnar ``collect()`` per type), as edges/s;
- building the message-passing graph and the spectral features;
- GNN training on the random split (early stopping), s/epoch and total, against the degree prior's
  "training" (one bincount) on the same split;
- scoring every candidate pair.
The machine is shared: run it twice and quote the lower numbers.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> None:
    from pmkg.gnn import TARGET
    from pmkg.gnn.baselines import degree_product_scores
    from pmkg.gnn.evaluate import evaluate_fit
    from pmkg.gnn.train import TrainConfig, train
    from pmkg.kg.export import export_graph
    from pmkg.kg.store import GraphStore

    from pmkg.cli.output import render

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-g", "--graph", required=True)
    ap.add_argument("--epochs", type=int, default=300)
    args = ap.parse_args()

    rows = []
    t0 = time.perf_counter()
    with GraphStore.connect(args.graph) as store:
        export = export_graph(store, progress=False)
    seconds = time.perf_counter() - t0
    n_edges = sum(e.shape[1] for e in export.edges.values())
    n_nodes = sum(len(v) for v in export.node_ids.values())
    rows.append({"stage": f"export over Bolt ({n_nodes:,} nodes)", "rows": n_edges, "seconds": round(seconds, 1),
                 "rate": f"{n_edges / seconds:,.0f} edges/s"})
    t0 = time.perf_counter()
    result = train(export, TrainConfig(epochs=args.epochs), progress=False)
    total = time.perf_counter() - t0
    rows.append({"stage": "GNN: split + graph + features + fit + test", "rows": len(result.history),
                 "seconds": round(total, 1), "rate": f"{result.seconds_per_epoch:.2f} s/epoch (fit "
                 f"{result.train_seconds:.0f} s, best epoch {result.best_epoch})"})
    t0 = time.perf_counter()
    degree_product_scores(result.split.train, export.num_nodes(TARGET[0]), export.num_nodes(TARGET[2]))
    rows.append({"stage": "degree prior: fit + score all pairs (baseline)", "rows": 1,
                 "seconds": round(time.perf_counter() - t0, 3), "rate": "-"})
    evaluation = evaluate_fit(result)
    for model in ("gnn", "degree_prior"):
        m = evaluation.test[model]
        rows.append({"stage": f"test {model}: AUROC / MRR / Recall@100", "rows": int(m["n_pos"]), "seconds": "-",
                     "rate": f"{m['auroc']:.3f} / {m['mrr']:.3f} / {m['recall@100']:.3f}"})
    print(render(rows, "table", title=f"GNN on {args.graph}"))


if __name__ == "__main__":
    main()
