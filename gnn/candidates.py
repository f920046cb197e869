"""Which (drug, disease) pairs a ranking covers: the candidate sets, decided once and stated with every number.

The graph has ~4.4k Drug and ~14k Disease nodes, but most diseases have no indication at all and a third of
the drugs have no edge besides an indication. Ranking 61M pairs would make AUROC ~0.999 for any model
(the easy negatives are diseases nobody treats), so metrics use a fixed, label-independent-as-possible set:

- **candidate drugs**: Drug nodes with at least one edge of a relation that is not between the target's two
  labels (targets, side effects, classes, pharmacogenomics, ...). A drug with no such edge has nothing a
  model could use; it is kept out of every ranking, for the GNN and every baseline alike.
- **evaluation diseases**: Disease nodes with at least one target (``TREATS``) edge in the graph — the
  diseases that can have a positive. This mirrors Rephetio's compound × disease matrix; held-out diseases of
  a disease-holdout split are in it (they have edges, the model just does not see them).
- **prediction diseases** (``pmkg predict``): by default the diseases with at least one ``TREATS`` or
  ``PALLIATES`` edge; ``"all"`` scores every Disease node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pmkg.kg.export import EdgeKey, GraphExport

DISEASE_SETS = ("indicated", "all")


@dataclass(frozen=True)
class Candidates:
    """Sorted node indices of the source (drug) and destination (disease) labels that a ranking covers."""

    src: np.ndarray
    dst: np.ndarray

    @property
    def num_pairs(self) -> int:
        return int(self.src.size * self.dst.size)

    def restrict(self, pairs: np.ndarray) -> tuple[np.ndarray, int]:
        """Map ``pairs`` (2, E) of full indices to candidate-matrix indices; returns (mapped, n_outside).

        Pairs with an endpoint outside the candidates are returned as a count, never silently dropped.
        """
        pairs = np.asarray(pairs)
        if pairs.size == 0:
            return pairs.reshape(2, 0).astype(np.int64), 0
        si = np.searchsorted(self.src, pairs[0]).clip(max=self.src.size - 1)
        di = np.searchsorted(self.dst, pairs[1]).clip(max=self.dst.size - 1)
        inside = (self.src[si] == pairs[0]) & (self.dst[di] == pairs[1])
        return np.stack([si[inside], di[inside]]).astype(np.int64), int((~inside).sum())


def connected_sources(export: GraphExport, target: EdgeKey) -> np.ndarray:
    """Indices of ``target[0]`` nodes with an edge of any relation not between the target's two labels."""
    src, _, dst = target
    n = export.num_nodes(src)
    deg = np.zeros(n, dtype=np.int64)
    for (a, _, b), edges in export.edges.items():
        if {a, b} == {src, dst}:
            continue
        if a == src:
            deg += np.bincount(edges[0], minlength=n)
        if b == src:
            deg += np.bincount(edges[1], minlength=n)
    return np.flatnonzero(deg > 0)


def labelled_destinations(export: GraphExport, target: EdgeKey) -> np.ndarray:
    """Indices of ``target[2]`` nodes with at least one target edge."""
    return np.unique(export.edges[target][1])


def evaluation_candidates(export: GraphExport, target: EdgeKey) -> Candidates:
    """Candidate drugs × evaluation diseases (see the module docstring); positives' drugs are always kept."""
    drugs = np.union1d(connected_sources(export, target), np.unique(export.edges[target][0]))
    return Candidates(src=drugs, dst=labelled_destinations(export, target))


def prediction_candidates(export: GraphExport, target: EdgeKey, diseases: str = "indicated") -> Candidates:
    """Candidate drugs × the diseases ``pmkg predict`` ranks drugs for (``"indicated"`` or ``"all"``)."""
    if diseases not in DISEASE_SETS:
        raise ValueError(f"diseases must be one of {DISEASE_SETS}, got {diseases!r}")
    src, _, dst = target
    drugs = np.union1d(connected_sources(export, target), np.unique(export.edges[target][0]))
    if diseases == "all":
        return Candidates(src=drugs, dst=np.arange(export.num_nodes(dst)))
    indicated = [e[1] for (a, _, b), e in export.edges.items() if (a, b) == (src, dst)]
    return Candidates(src=drugs, dst=np.unique(np.concatenate(indicated)))
