"""Node and edge counts per label, type and source: what ``pmkg stats`` prints."""

from __future__ import annotations

from kg.store import GraphStore

NODE_COUNTS = (
    "MATCH (n) UNWIND labels(n) AS label RETURN label, n.source AS source, count(*) AS count ORDER BY label, source"
)
EDGE_COUNTS = (
    "MATCH ()-[r]->() RETURN type(r) AS type, coalesce(r.source, r.model_version) AS source, count(*) AS count "
    "ORDER BY type, source"
)


def graph_counts(store: GraphStore) -> tuple[list[dict], list[dict]]:
    return store.run(NODE_COUNTS), store.run(EDGE_COUNTS)
