"""``GraphExport`` → the message-passing ``HeteroData`` the encoder runs on.

Three rules keep evaluation honest:

1. Every relation gets a reverse type ``(dst, "rev_<REL>", src)`` so information flows both ways.
2. Held-out target edges (``drop``) are removed from *both* directions before anything else is computed.
3. Node features are computed from the message-passing graph only, so a held-out edge can never leak back
   in through a degree count.

Node features (``data[label].x``, float32, shape ``(num_nodes, F_label)``): ``log1p`` of the node's total
degree, then ``log1p`` of its in-degree for every edge type that ends at ``label`` (sorted by edge type).
Since every relation has a reverse, in-degrees over all types cover both ends of every relation.
Column names are kept in ``data[label].feature_names``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import numpy as np
import torch
from pmkg.kg.export import EdgeKey, GraphExport
from torch import Tensor
from torch_geometric.data import HeteroData

REVERSE_PREFIX = "rev_"


def reverse_key(key: EdgeKey) -> EdgeKey:
    """``(src, REL, dst)`` → ``(dst, rev_REL, src)``."""
    src, rel, dst = key
    return (dst, REVERSE_PREFIX + rel, src)


def pair_codes(edges: np.ndarray, num_dst: int) -> np.ndarray:
    """Encode each ``(src, dst)`` column of a ``(2, E)`` array as one int64 ``src * num_dst + dst``.

    Set operations on int64 codes (``np.isin``) avoid building Python tuples for millions of edges.
    """
    return edges[0].astype(np.int64) * np.int64(num_dst) + edges[1].astype(np.int64)


def remove_pairs(edges: np.ndarray, drop: np.ndarray, num_dst: int) -> np.ndarray:
    """Return the columns of ``edges`` (2, E) that are not in ``drop`` (2, D)."""
    if drop.size == 0 or edges.size == 0:
        return edges
    keep = ~np.isin(pair_codes(edges, num_dst), pair_codes(drop, num_dst))
    return edges[:, keep]


def check_edges(export: GraphExport, key: EdgeKey, edges: np.ndarray, what: str = "export.edges") -> None:
    """Raise a ``ValueError`` that names the edge type and the fix when ``edges`` is malformed."""
    src, _, dst = key
    for label in (src, dst):
        if label not in export.node_ids:
            raise ValueError(
                f"{what}[{key!r}]: label {label!r} has no entry in export.node_ids; "
                f"export the {label} nodes or drop this edge type"
            )
    if edges.ndim != 2 or edges.shape[0] != 2:
        raise ValueError(f"{what}[{key!r}]: expected a (2, E) index array, got shape {edges.shape}")
    if not np.issubdtype(edges.dtype, np.integer):
        raise ValueError(f"{what}[{key!r}]: expected integer indices, got dtype {edges.dtype}")
    if edges.size:
        for row, label in ((0, src), (1, dst)):
            lo, hi, n = int(edges[row].min()), int(edges[row].max()), export.num_nodes(label)
            if lo < 0 or hi >= n:
                raise ValueError(
                    f"{what}[{key!r}]: {label} index range [{lo}, {hi}] is outside [0, {n}); "
                    "the edge indices must index export.node_ids[label]"
                )


def to_heterodata(
    export: GraphExport,
    drop: Mapping[EdgeKey, np.ndarray] | None = None,
    spectral: Mapping[str, np.ndarray] | None = None,
    extra_edges: Mapping[EdgeKey, np.ndarray] | None = None,
) -> HeteroData:
    """Build the message-passing graph: all edge types plus reverses, minus ``drop``, plus features.

    Args:
        export: node ids and ``(2, E)`` edge arrays per ``(src_label, REL, dst_label)``.
        drop: edges to hold out (e.g. val/test target edges), ``(2, D)`` per edge type. They are removed
            from the type and from its reverse. An edge type whose edges are all dropped stays in the graph
            with zero edges, so the model's relation set never depends on the split.
        spectral: optional extra node features per label (float ``(N, F)``, e.g.
            :func:`gnn.features.spectral_features`), appended after the degree features of that label.
        extra_edges: derived edge types to add (with reverses), e.g. :func:`gnn.features.similarity_edges`;
            they must not be in the export and are never subject to ``drop``.

    Returns:
        ``HeteroData`` with ``data[label].num_nodes``, ``data[label].x`` (float32 ``(N, F)``),
        ``data[label].feature_names`` and ``data[edge_type].edge_index`` (int64 ``(2, E)``).
    """
    drop = dict(drop or {})
    unknown = set(drop) - set(export.edges)
    if unknown:
        raise ValueError(f"drop names edge types the export lacks: {sorted(unknown)}; pass keys of export.edges")
    data = HeteroData()
    for label in sorted(export.node_ids):
        data[label].num_nodes = export.num_nodes(label)
    for key in sorted(export.edges):
        edges = np.asarray(export.edges[key])
        check_edges(export, key, edges)
        if key in drop:
            held = np.asarray(drop[key])
            check_edges(export, key, held, what="drop")
            edges = remove_pairs(edges, held, export.num_nodes(key[2]))
        _set_edges(data, key, edges)
    for key, edges in sorted((extra_edges or {}).items()):
        if key in export.edges:
            raise ValueError(f"extra edge type {key!r} is already in the export; derived types need new names")
        check_edges(export, key, np.asarray(edges), what="extra_edges")
        _set_edges(data, key, np.asarray(edges))
    for label, block in (spectral or {}).items():
        data[label].spectral = torch.as_tensor(np.asarray(block, dtype=np.float32))
    for label in data.node_types:
        _set_features(data, label)
    return data


def replace_edges(data: HeteroData, key: EdgeKey, edges: np.ndarray | Tensor) -> HeteroData:
    """Return a shallow copy of ``data`` whose ``key`` (and reverse) carry ``edges``; features recomputed.

    Training uses this to hide a fresh part of the training target edges from message passing every epoch
    without rebuilding the other edge types. Only the two endpoint labels' features change.
    """
    out = _shallow_copy(data)
    _set_edges(out, key, edges)
    for label in {key[0], key[2]}:
        _set_features(out, label)
    return out


def feature_dims(data: HeteroData) -> dict[str, int]:
    """Input feature width per node type."""
    return {label: int(data[label].x.size(1)) for label in data.node_types}


def num_nodes_dict(data: HeteroData) -> dict[str, int]:
    return {label: int(data[label].num_nodes) for label in data.node_types}


def edge_counts(data: HeteroData) -> dict[str, int]:
    """``"src|REL|dst" -> number of edges`` (JSON-friendly keys)."""
    return {"|".join(et): int(data[et].edge_index.size(1)) for et in data.edge_types}


def _set_edges(data: HeteroData, key: EdgeKey, edges: np.ndarray | Tensor) -> None:
    index = torch.as_tensor(np.ascontiguousarray(edges) if isinstance(edges, np.ndarray) else edges)
    index = index.to(torch.long).reshape(2, -1)
    data[key].edge_index = index
    data[reverse_key(key)].edge_index = index.flip(0).contiguous()


def _incoming_types(data: HeteroData, label: str) -> Iterable[tuple[str, str, str]]:
    return sorted(et for et in data.edge_types if et[2] == label)


def _set_features(data: HeteroData, label: str) -> None:
    n = data[label].num_nodes
    cols, names = [], []
    for edge_type in _incoming_types(data, label):
        cols.append(torch.bincount(data[edge_type].edge_index[1], minlength=n).to(torch.float32))
        names.append("deg:" + "|".join(edge_type))
    deg = torch.stack(cols, dim=1) if cols else torch.zeros(n, 0)
    total = deg.sum(dim=1, keepdim=True)
    x = torch.log1p(torch.cat([total, deg], dim=1))
    names = ["deg:total", *names]
    if "spectral" in data[label]:
        x = torch.cat([x, data[label].spectral], dim=1)
        names += [f"svd:{i}" for i in range(data[label].spectral.size(1))]
    data[label].x = x
    data[label].feature_names = names


def _shallow_copy(data: HeteroData) -> HeteroData:
    # Tensors are shared, not copied: we only ever rebind attributes on the copy.
    out = HeteroData()
    for label in data.node_types:
        for name, value in data[label].items():
            out[label][name] = value
    for edge_type in data.edge_types:
        for name, value in data[edge_type].items():
            out[edge_type][name] = value
    return out


def export_checksum(export: GraphExport) -> str:
    """sha256 over node ids and edge arrays (sorted by label / edge type).

    A saved model is only valid against the export it was trained on: node ``i`` must be the same CURIE and
    the held-out edges must be the same edges. This checksum lets loading verify that.
    """
    h = hashlib.sha256()
    for label in sorted(export.node_ids):
        h.update(label.encode() + b"\0")
        h.update("\n".join(export.node_ids[label]).encode() + b"\0")
    for key in sorted(export.edges):
        h.update("|".join(key).encode() + b"\0")
        h.update(np.ascontiguousarray(export.edges[key], dtype=np.int64).tobytes())
    return h.hexdigest()
