"""Node and edge counts per label, type and source: what ``pmkg stats`` prints."""

from __future__ import annotations

from pmkg.kg.store import GraphStore

NODE_COUNTS = (
    "MATCH (n) UNWIND labels(n) AS label RETURN label, n.source AS source, count(*) AS count ORDER BY label, source"
)
EDGE_COUNTS = (
    "MATCH (a)-[r]->(b) RETURN labels(a)[0] AS from, type(r) AS type, labels(b)[0] AS to, "
    "coalesce(r.source, r.model_version) AS source, count(*) AS count ORDER BY type, from, to, source"
)


def graph_counts(store: GraphStore) -> tuple[list[dict], list[dict]]:
    return store.run(NODE_COUNTS), store.run(EDGE_COUNTS)
