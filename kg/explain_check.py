"""Sanity check of the evidence ranking: do top paths go through the drug's targets or the disease's genes?

For a known indication (drug c TREATS disease d), a path *hits* when one of its inner nodes is a ``Gene`` that c
``TARGETS`` or that d is ``ASSOCIATED_WITH``. We compare

* the top-k paths of ``evidence_paths`` (ranked by contribution), with
* k paths drawn uniformly at random from the same pair's paths (every path of the metapath catalogue between c
  and d). Its hit rate is computed exactly as an expectation, not sampled, so it carries no sampling noise.

Rates are pooled over pairs: hits / paths, each pair contributing min(k, its number of paths) paths to both.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from pmkg.kg.queries import MAX_INTEGER_PARAM, run_query
from pmkg.kg.store import GraphStore

KNOWN_INDICATIONS = "MATCH (c:Drug)-[:TREATS]->(d:Disease) RETURN c.id AS drug, d.id AS disease ORDER BY drug, disease"
_MECHANISM_GENES = """\
MATCH (c:Drug {id: $drug})
MATCH (d:Disease {id: $disease})
RETURN [(c)-[:TARGETS]->(g:Gene) | g.id] + [(d)-[:ASSOCIATED_WITH]->(g:Gene) | g.id] AS genes"""


@dataclass(frozen=True)
class PairCheck:
    drug: str
    disease: str
    hits: tuple[bool, ...]  # every path of the catalogue between the pair, best first: does it hit?

    @property
    def paths(self) -> int:
        return len(self.hits)

    @property
    def pool_hits(self) -> int:
        return sum(self.hits)

    def top(self, k: int) -> int:
        return min(k, self.paths)

    def top_hits(self, k: int) -> int:
        return sum(self.hits[:k])


@dataclass(frozen=True)
class SanityResult:
    k: int
    pairs: list[PairCheck]

    @property
    def with_paths(self) -> list[PairCheck]:
        return [p for p in self.pairs if p.paths]

    @property
    def top_paths(self) -> int:
        return sum(p.top(self.k) for p in self.with_paths)

    @property
    def top_rate(self) -> float:
        """Share of the top-k paths that hit."""
        return sum(p.top_hits(self.k) for p in self.with_paths) / max(1, self.top_paths)

    @property
    def random_rate(self) -> float:
        """Expected share of hits among min(k, paths) paths drawn uniformly from each pair's paths."""
        expected = sum(p.top(self.k) * p.pool_hits / p.paths for p in self.with_paths)
        return expected / max(1, self.top_paths)

    @property
    def pairs_with_a_top_hit(self) -> float:
        """Share of pairs with at least one hit among their top-k paths."""
        return sum(p.top_hits(self.k) > 0 for p in self.with_paths) / max(1, len(self.with_paths))

    def at(self, k: int) -> SanityResult:
        """The same pairs, judged at another k (no query runs)."""
        return SanityResult(k, self.pairs)


def _hits(node_labels: Sequence[str], node_ids: Sequence[str], genes: set[str]) -> bool:
    inner = zip(node_labels[1:-1], node_ids[1:-1], strict=True)
    return any(label == "Gene" and node_id in genes for label, node_id in inner)


def check_pair(store: GraphStore, drug: str, disease: str) -> PairCheck:
    genes = set(store.run(_MECHANISM_GENES, {"drug": drug, "disease": disease})[0]["genes"])
    # All paths, ranked: the first k are the top-k, the whole list is the pool random paths are drawn from.
    _, rows = run_query(store, "evidence_paths", {"drug": drug, "disease": disease, "n": MAX_INTEGER_PARAM})
    return PairCheck(drug, disease, tuple(_hits(r["node_labels"], r["node_ids"], genes) for r in rows))


def sample_indications(store: GraphStore, limit: int | None, seed: int = 0) -> list[tuple[str, str]]:
    pairs = [(r["drug"], r["disease"]) for r in store.run(KNOWN_INDICATIONS)]
    if limit is not None and limit < len(pairs):
        pairs = sorted(random.Random(seed).sample(pairs, limit))
    return pairs


def check_indications(store: GraphStore, pairs: Sequence[tuple[str, str]], k: int = 5) -> SanityResult:
    return SanityResult(k, [check_pair(store, drug, disease) for drug, disease in pairs])
