"""Synthetic graphs with the bundle's schema and degree distributions, at k times its size.

    python bench/scale_graph.py --data-dir ../shared/data --out pmkg-data/scale/base.npz   # the 1x base, once

The base is the full bundle as the ingest jobs parse it (every source in the registry, no store): node ids per
label and integer edges per ``(src_label, REL, dst_label)``, as :class:`pmkg.kg.export.GraphExport` holds them.

:func:`scale_export` makes ``k`` copies of every node. Each edge is copied ``k`` times: copy ``c`` leaves node
copy ``c`` of its source and lands on a uniformly drawn copy of its destination. So every node copy keeps its
original out-degree exactly and its in-degree in expectation, each relationship type keeps its share of the
edges, and the copies are wired into one graph rather than ``k`` disjoint ones (a model cannot learn one copy
from another's identical neighbourhood). The drug–disease labels scale with the rest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from pmkg.kg.export import GraphExport, load_export, save_export


def base_export(data_dir: Path) -> GraphExport:
    """The bundle as the ingest jobs parse it, without a store (edges whose endpoint no job made are left out)."""
    from pmkg.ingest.base import IngestError
    from pmkg.ingest.registry import JOBS
    from pmkg.ingest.xrefs import Resolver

    resolver = Resolver.from_data_dir(data_dir)
    ids: dict[str, dict[str, int]] = {}
    pairs: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for name, (_, job) in JOBS.items():
        try:
            result = job(data_dir, resolver)
        except IngestError as exc:
            print(f"skipping {name}: {exc}")
            continue
        for node in result.nodes:
            if node.label not in ("Source", "Patient"):
                ids.setdefault(node.label, {}).setdefault(node.id, len(ids[node.label]))
        for edge in result.edges:
            pairs.setdefault((edge.src_label, edge.type, edge.dst_label), []).append((edge.src, edge.dst))
        print(f"{name}: {len(result.nodes):,} nodes, {len(result.edges):,} edges", flush=True)
    export = GraphExport(node_ids={label: list(index) for label, index in ids.items()})
    export.node_names = {label: list(index) for label, index in ids.items()}
    for key, rows in pairs.items():
        src_index, dst_index = ids.get(key[0], {}), ids.get(key[2], {})
        kept = [(src_index[s], dst_index[d]) for s, d in rows if s in src_index and d in dst_index]
        if kept:
            export.edges[key] = np.unique(np.asarray(kept, dtype=np.int64).T, axis=1)
    return export


def scale_export(base: GraphExport, k: int, seed: int = 0) -> GraphExport:
    """``base`` blown up ``k`` times (see the module docstring); ``k == 1`` returns ``base`` itself."""
    if k == 1:
        return base
    rng = np.random.default_rng(seed)
    node_ids = {label: [f"{curie}~{c}" for c in range(k) for curie in ids] for label, ids in base.node_ids.items()}
    edges = {}
    for key, pair in base.edges.items():
        n_src, n_dst = base.num_nodes(key[0]), base.num_nodes(key[2])
        copies = np.repeat(np.arange(k), pair.shape[1])
        src = np.tile(pair[0], k) + copies * n_src
        dst = np.tile(pair[1], k) + rng.integers(0, k, copies.size) * n_dst
        edges[key] = np.unique(np.stack([src, dst]), axis=1)
    return GraphExport(node_ids=node_ids, edges=edges, node_names=node_ids)


def edge_count(export: GraphExport) -> int:
    return int(sum(e.shape[1] for e in export.edges.values()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    export = base_export(args.data_dir)
    path = save_export(export, args.out)
    again = load_export(path)
    print(f"{path}: {sum(map(len, again.node_ids.values())):,} nodes, {edge_count(again):,} edges")


if __name__ == "__main__":
    main()
