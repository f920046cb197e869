"""``pmkg train --estimate``: the memory and time a training run will need, before it runs (as GDS's ``.estimate``).

The graph is counted (nodes and relationships the model reads: no ``Source``/``Patient`` node, no prediction
edge), and each quantity is a line ``intercept + slope × million edges`` fitted by ``bench/bench_scale.py`` on
synthetic graphs with the bundle's schema and degree distributions at 1×, 3× and 10× the bundle
(:data:`SLOPES`; docs/scale.md has the measurements). The slopes are for the default ``TrainConfig`` (hidden 32,
2 layers, the hybrid decoder) on this project's 2-core machine; a faster box scales the times, not the memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from pmkg.kg.export import EXCLUDED_LABELS, EXCLUDED_RELATIONSHIPS, EXPORTED_EDGE, EXPORTED_NODE
from pmkg.kg.store import GraphStore

# Fitted by `python bench/bench_scale.py --sizes 1,3,10 --ingest-sizes 1` (least squares over 1x, 3x and 10x the
# bundle, x = million edges; export and ingest from the 1x run alone), docs/scale.md. Each entry: (intercept, slope
# per million edges, floor, unit); the floor keeps a small graph's line from going below what any run costs.
SLOPES: dict[str, tuple[float, float, float, str]] = {
    "epoch_seconds": (-1.921, 4.133, 0.05, "s"),
    "setup_seconds": (-15.38, 21.41, 1.0, "s"),
    "train_peak_rss_gib": (-0.372, 1.405, 0.6, "GiB"),
    "export_seconds": (0.0, 32.57, 0.5, "s"),
    "ingest_seconds": (0.0, 105.5, 1.0, "s"),
}
MEASURED_ON = "2 shared cores, 1 torch thread, 24 GiB (bench/bench_scale.py, docs/scale.md)"


@dataclass(frozen=True)
class GraphSize:
    nodes: int
    edges: int


def graph_size(store: GraphStore) -> GraphSize:
    """Nodes and relationships the model would read (counted by label and type, never exported)."""
    nodes = sum(
        row["n"] for row in store.run(f"MATCH (n) WHERE {EXPORTED_NODE} RETURN labels(n)[0] AS label, count(*) AS n")
        if row["label"] not in EXCLUDED_LABELS
    )
    edges = sum(
        row["n"] for row in store.run(
            f"MATCH ()-[r]->() WHERE {EXPORTED_EDGE} RETURN type(r) AS type, count(*) AS n"
        )
        if row["type"] not in EXCLUDED_RELATIONSHIPS
    )
    return GraphSize(nodes, edges)


def predict(quantity: str, edges: int) -> float:
    intercept, slope, floor, _ = SLOPES[quantity]
    return max(floor, intercept + slope * edges / 1e6)


def estimate_rows(size: GraphSize, epochs: int, models: int, processes: int = 1) -> list[dict]:
    """One row per quantity: value, unit and how it was computed.

    ``models`` fold models plus refits (the release model trains ``folds + 1``); ``epochs`` is the most each
    may run (early stopping ends most sooner, so the total is an upper bound). ``processes`` DDP ranks each hold
    the whole graph (memory × processes) and share each epoch's pairs; the encoder is not split, so the epoch
    time is not divided.
    """
    epoch = predict("epoch_seconds", size.edges)
    setup = predict("setup_seconds", size.edges)
    rss = predict("train_peak_rss_gib", size.edges)
    total = models * (setup + epochs * epoch)
    million = f"{size.edges / 1e6:.2f}M edges"
    return [
        {"quantity": "graph", "value": f"{size.nodes:,} nodes, {size.edges:,} edges", "how": "counted in the store"},
        {"quantity": "export", "value": f"{predict('export_seconds', size.edges):.0f} s", "how": million},
        {"quantity": "peak memory per process", "value": f"{rss:.1f} GiB", "how": million},
        {"quantity": "peak memory, all processes", "value": f"{rss * processes:.1f} GiB",
         "how": f"{processes} process(es), each the whole graph"},
        {"quantity": "one epoch", "value": f"{epoch:.2f} s", "how": million},
        {"quantity": "setup per model", "value": f"{setup:.1f} s", "how": "split, features, path counts"},
        {"quantity": "training, at most", "value": _duration(total),
         "how": f"{models} model(s) x ({epochs} epochs + setup)"},
    ]


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
