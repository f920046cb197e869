"""Graph export contract: the arrays the GNN consumes.

The exporter streams node ids and edge endpoints by type over Bolt into numpy. ``GraphExport`` is the
only thing ``gnn/`` sees of the graph: no Cypher, no driver.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # gnn/ imports this module and must not pull in the driver
    from pmkg.kg.store import GraphStore

EdgeKey = tuple[str, str, str]  # (src_label, REL_TYPE, dst_label)


@dataclass
class GraphExport:
    """Node ids per label and integer edge lists per (src_label, rel, dst_label).

    ``node_ids[label][i]`` is the CURIE of node ``i`` of that label. ``edges[key]`` is a ``(2, E)``
    int64 array of (src index, dst index) into the two labels' id lists. Edges are unique per key.
    """

    node_ids: dict[str, list[str]] = field(default_factory=dict)
    edges: dict[EdgeKey, np.ndarray] = field(default_factory=dict)
    node_names: dict[str, list[str]] = field(default_factory=dict)

    def index(self, label: str) -> dict[str, int]:
        return {curie: i for i, curie in enumerate(self.node_ids[label])}

    def num_nodes(self, label: str) -> int:
        return len(self.node_ids[label])


# Model outputs and patients never feed back into training: predictions would leak the model into its own
# labels, and patient nodes are exported only by the patient pipeline, under pseudonymous ids.
EXCLUDED_RELATIONSHIPS = frozenset({"PREDICTED_TREATS", "PREDICTED_BENEFIT"})
EXCLUDED_LABELS = frozenset({"Source", "Patient"})
# Nodes and edges that only patient ingest created (e.g. a rare variant seen in one patient) are patient data too.
PATIENT_SOURCE = "pmkg-patients"
# What the export reads: not what only patient ingest created (a patient's rare Variant, its edges).
EXPORTED_NODE = f"(coalesce(n.source, '') <> '{PATIENT_SOURCE}' OR size(coalesce(n.sources, [])) > 1)"
EXPORTED_EDGE = f"coalesce(r.source, '') <> '{PATIENT_SOURCE}'"


def node_export_statement(label: str) -> str:
    return (
        f"MATCH (n:{label}) WHERE {EXPORTED_NODE} "
        "RETURN collect(n.id) AS ids, collect(coalesce(n.name, n.id)) AS names"
    )


def edge_export_statement(rel_type: str, src_label: str, dst_label: str) -> str:
    return (
        f"MATCH (a:{src_label})-[r:{rel_type}]->(b:{dst_label}) WHERE {EXPORTED_EDGE} "
        "RETURN collect(a.id) AS src, collect(b.id) AS dst"
    )


def _positions(sorted_ids: np.ndarray, order: np.ndarray, curies: list[str]) -> np.ndarray:
    found = np.searchsorted(sorted_ids, np.asarray(curies, dtype=sorted_ids.dtype))
    return order[found]


def export_graph(store: GraphStore, progress: bool = True) -> GraphExport:
    """Stream every schema label and relationship over Bolt into a :class:`GraphExport`.

    One columnar query per label and per (type, endpoints) pair; CURIEs are mapped to indices with a
    vectorised ``searchsorted``, so no Python object is made per edge beyond the decoded strings.
    """
    from pmkg.kg.schema import LABELS, RELATIONSHIPS
    from tqdm import tqdm

    export = GraphExport()
    lookup: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for label in LABELS:
        if label in EXCLUDED_LABELS:
            continue
        cols = store.columns(node_export_statement(label))
        if not cols["ids"]:
            continue
        export.node_ids[label] = list(cols["ids"])
        export.node_names[label] = list(cols["names"])
        ids = np.asarray(cols["ids"])
        order = np.argsort(ids, kind="stable")
        lookup[label] = (ids[order], order)
    keys = [
        (src, rel.name, dst)
        for rel in RELATIONSHIPS.values()
        if rel.name not in EXCLUDED_RELATIONSHIPS
        for src, dst in sorted(rel.endpoints)
        if src in lookup and dst in lookup
    ]
    # disable=None: bars on a terminal, nothing in logs and CI output.
    for src, rel_type, dst in tqdm(keys, desc="exporting edges", disable=None if progress else True, leave=False):
        cols = store.columns(edge_export_statement(rel_type, src, dst))
        if not cols["src"]:
            continue
        pairs = np.stack([_positions(*lookup[src], cols["src"]), _positions(*lookup[dst], cols["dst"])])
        # Several sources may assert the same pair; the model sees one edge.
        export.edges[(src, rel_type, dst)] = np.unique(pairs, axis=1).astype(np.int64)
    return export


def save_export(export: GraphExport, path: Path) -> Path:
    """Write ``export`` to one ``.npz`` (no pickle): what a ``torchrun`` job's ranks load instead of each
    reading the graph store."""
    arrays: dict[str, np.ndarray] = {}
    for label, ids in export.node_ids.items():
        arrays[f"ids/{label}"] = np.asarray(ids, dtype=str)
        arrays[f"names/{label}"] = np.asarray(export.node_names.get(label, ids), dtype=str)
    for key, edges in export.edges.items():
        arrays["edges/" + "|".join(key)] = edges
    path = Path(path)
    np.savez(path, **arrays)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def load_export(path: Path) -> GraphExport:
    """The :class:`GraphExport` :func:`save_export` wrote."""
    export = GraphExport()
    with np.load(path, allow_pickle=False) as npz:
        for name in npz.files:
            kind, _, rest = name.partition("/")
            if kind == "ids":
                export.node_ids[rest] = npz[name].tolist()
            elif kind == "names":
                export.node_names[rest] = npz[name].tolist()
            elif kind == "edges":
                src, rel, dst = rest.split("|")
                export.edges[(src, rel, dst)] = npz[name].astype(np.int64)
    return export
