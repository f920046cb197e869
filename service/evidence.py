"""Evidence for a predicted pair: the metapath explanation of :func:`kg.explain.explain_drug_disease`.

Paths of a fixed catalogue of metapaths between the drug and the disease, ranked by their contribution to the
pair's degree-weighted path count (README "Explanations: evidence paths"); never through predictions, and the
direct indication edge is reported as ``indication``, not as a path. The CLI (``pmkg explain``), Neo4j Browser
(``queries/evidence_paths.cypher``) and this endpoint give the same answer.
"""

from __future__ import annotations

from pmkg.kg.explain import Explanation, explain_drug_disease
from pmkg.kg.metapaths import DEFAULT_DAMPING
from pmkg.kg.store import GraphStore

METHOD = (
    "metapath decomposition (degree-weighted path counts, queries/evidence_paths.cypher): each path's contribution "
    "is its path-degree product over the pair's total DWPC; model predictions are never evidence"
)


def explain_pair(store: GraphStore, drug: str, disease: str, n: int, damping: float = DEFAULT_DAMPING) -> Explanation:
    """The top ``n`` paths by contribution, the per-metapath breakdown and the pair's indication status."""
    return explain_drug_disease(store, drug, disease, n=n, damping=damping)
