"""Disease areas (TxGNN's) as Disease node indices of an export, closed under the ontology's ``IS_A``.

An area is a set of CURIEs (:mod:`ingest.disease_areas`). A Disease node is in the area when its id is one
of them, or when it descends (``IS_A``, transitively) from one that is: DO's "breast carcinoma" is in
``cell_proliferation`` because its ancestor "cancer" maps there, even if no MONDO id maps to it exactly.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from pmkg.kg.export import GraphExport


def area_members(export: GraphExport, curies: set[str], label: str = "Disease") -> np.ndarray:
    """Sorted indices of ``label`` nodes in the area: direct id matches and their ``IS_A`` descendants."""
    ids = export.node_ids.get(label, [])
    member = np.array([c in curies for c in ids], dtype=bool)
    isa = export.edges.get((label, "IS_A", label))
    if isa is None or not isa.size or not member.any():
        return np.flatnonzero(member)
    n = len(ids)
    # child -> parent adjacency; a node joins when any parent is a member, until nothing changes.
    parents = sp.csr_matrix((np.ones(isa.shape[1]), (isa[0], isa[1])), shape=(n, n))
    while True:
        grown = member | (parents @ member.astype(np.float64) > 0)
        if (grown == member).all():
            return np.flatnonzero(member)
        member = grown


def area_indices(export: GraphExport, areas: dict[str, set[str]], label: str = "Disease") -> dict[str, np.ndarray]:
    return {name: area_members(export, curies, label) for name, curies in sorted(areas.items())}
