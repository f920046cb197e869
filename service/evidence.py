"""Evidence for a predicted pair: paths through the graph that link the drug to the disease.

For now this runs the named query ``queries/drug_disease_evidence.cypher`` (shortest 1-3 hop paths, never
through predictions). A richer explanation (metapaths weighted by their contribution) replaces
:func:`evidence_paths` without touching the endpoint.
"""

from __future__ import annotations

from typing import Any

from kg.queries import run_query
from kg.store import GraphStore

EVIDENCE_QUERY = "drug_disease_evidence"
METHOD = f"queries/{EVIDENCE_QUERY}.cypher: shortest 1-3 hop paths from drug to disease, never through predictions"


def evidence_paths(store: GraphStore, drug: str, disease: str, n: int) -> list[dict[str, Any]]:
    """Up to ``n`` paths, shortest first: ``hops, node_ids, node_names, relationships, sources``."""
    _, rows = run_query(store, EVIDENCE_QUERY, {"drug": drug, "disease": disease, "n": n})
    return rows
