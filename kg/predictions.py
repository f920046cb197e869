"""Write model predictions back into the graph, replacing those of earlier model versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pmkg.kg.store import GraphStore

WRITE_PREDICTED_TREATS = (
    "UNWIND $rows AS row MATCH (c:Drug {id: row.drug}) MATCH (d:Disease {id: row.disease}) "
    "MERGE (c)-[p:PREDICTED_TREATS]->(d) "
    "SET p.score = row.score, p.probability = row.probability, p.rank = row.rank, p.model_version = $model_version "
    "RETURN count(p) AS written"
)
DELETE_STALE_PREDICTED_TREATS = (
    "MATCH (:Drug)-[p:PREDICTED_TREATS]->(:Disease) WHERE p.model_version <> $model_version DELETE p"
)
DELETE_ALL_PREDICTED_TREATS = "MATCH (:Drug)-[p:PREDICTED_TREATS]->(:Disease) DELETE p"


@dataclass(frozen=True)
class PredictedLink:
    drug: str
    disease: str
    score: float
    probability: float | None
    rank: int


def write_predicted_treats(
    store: GraphStore, links: Sequence[PredictedLink], model_version: str, batch_size: int = 10_000
) -> int:
    """Store ``links`` as ``PREDICTED_TREATS {score, probability, rank, model_version}``; returns edges written.

    Edges of other model versions are deleted first, so a query never mixes two models' ranks.
    """
    store.run(DELETE_STALE_PREDICTED_TREATS, {"model_version": model_version}, write=True)
    written = 0
    rows = [
        {
            "drug": link.drug,
            "disease": link.disease,
            "score": link.score,
            "probability": link.probability,
            "rank": link.rank,
        }
        for link in links
    ]
    for start in range(0, len(rows), batch_size):
        result = store.run(
            WRITE_PREDICTED_TREATS,
            {"rows": rows[start : start + batch_size], "model_version": model_version},
            write=True,
        )
        written += int(result[0]["written"]) if result else 0
    return written
