"""Information-content phenotype similarity (Resnik, best-match average), as Phenomizer ranks diseases.

Köhler et al. 2009 (Phenomizer, AJHG 85:457) rank diseases for a set of query HPO terms ``Q`` by

- ``IC(t) = -log(n_t / n)``, ``n_t`` the number of annotated diseases annotated with ``t`` or a descendant of
  ``t`` (annotations propagate up ``IS_A``), ``n`` the number of annotated diseases;
- ``sim(q, d) = IC(MICA(q, d))``, the IC of the most informative common ancestor (Resnik);
- ``sim(Q -> D) = mean_{q in Q} max_{d in D} sim(q, d)``, the best-match average from the query to the
  disease (Phenomizer's default, one-sided); ``symmetric`` averages it with ``sim(D -> Q)``.

Vectorised with one identity: ``max_{d in D} IC(MICA(q, d)) = max_{a in anc(q) ∩ closure(D)} IC(a)``, where
``closure(D)`` is the union of the ancestors of ``D``'s terms (a common ancestor of ``q`` and some ``d`` is
exactly an ancestor of ``q`` that lies in ``closure(D)``). So a query term's row against every disease is one
column slice of the sparse (diseases x terms) closure matrix, and ``Q -> D`` for many patients is a sparse
(patients x query terms) average of those rows.

Shapes: ``T`` terms, ``N`` diseases, ``P`` patients. Inputs are index arrays (no ontology parsing here): the
``IS_A`` pairs ``(2, E)`` of (child, parent) term indices, the annotations ``(2, A)`` of (disease, term).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


def ancestor_matrix(num_terms: int, is_a: np.ndarray) -> sp.csr_matrix:
    """``(T, T)`` boolean CSR: row ``t`` marks ``t`` and every ``IS_A`` ancestor of ``t``.

    Iterates ``reach <- reach | reach @ parent`` until nothing changes (as many rounds as the ontology is
    deep, about 15 for HPO); a cycle cannot loop forever because the matrix only grows.
    """
    is_a = np.asarray(is_a, dtype=np.int64).reshape(2, -1)
    if is_a.size and (is_a.min() < 0 or is_a.max() >= num_terms):
        raise ValueError(f"IS_A pairs refer to term indices outside 0..{num_terms - 1}")
    eye = sp.identity(num_terms, dtype=np.int8, format="csr")
    parent = sp.csr_matrix((np.ones(is_a.shape[1], dtype=np.int8), (is_a[0], is_a[1])), shape=(num_terms, num_terms))
    reach = (eye + parent).astype(bool).astype(np.int8)
    while True:
        grown = (reach + reach @ parent).astype(bool).astype(np.int8)
        if grown.nnz == reach.nnz:
            return grown.astype(bool).tocsr()
        reach = grown


@dataclass
class ResnikIndex:
    """Everything the Resnik BMA ranking needs, precomputed once (:meth:`build`).

    ``ancestors`` (T, T) CSR bool, ``closure`` (N, T) CSC bool (disease annotated with the term or a
    descendant), ``annotations`` (N, T) CSR bool (the disease's own terms), ``ic`` (T,) float64 (0 for terms
    no disease reaches: such a term can never be a common ancestor, so its IC never matters).
    """

    ancestors: sp.csr_matrix
    closure: sp.csc_matrix
    annotations: sp.csr_matrix
    ic: np.ndarray
    annotated: np.ndarray  # (N,) bool: diseases with at least one annotation (the others score 0)

    @classmethod
    def build(cls, num_terms: int, num_diseases: int, is_a: np.ndarray, annotations: np.ndarray) -> ResnikIndex:
        annotations = np.asarray(annotations, dtype=np.int64).reshape(2, -1)
        if annotations.size and (
            annotations[0].max() >= num_diseases or annotations[1].max() >= num_terms or annotations.min() < 0
        ):
            raise ValueError("annotation pairs refer to disease or term indices out of range")
        ancestors = ancestor_matrix(num_terms, is_a)
        own = sp.csr_matrix(
            (np.ones(annotations.shape[1], dtype=np.int8), (annotations[0], annotations[1])),
            shape=(num_diseases, num_terms),
        ).astype(bool)
        closure = (own.astype(np.int32) @ ancestors.astype(np.int32)).astype(bool)
        annotated = np.asarray(own.sum(axis=1)).ravel() > 0
        n = int(annotated.sum())
        counts = np.asarray(closure.sum(axis=0)).ravel().astype(np.float64)
        with np.errstate(divide="ignore"):
            ic = np.where(counts > 0, -np.log(counts / max(n, 1)), 0.0)
        return cls(ancestors.tocsr(), closure.tocsc(), own.tocsr(), ic, annotated)

    @property
    def num_terms(self) -> int:
        return self.ic.size

    @property
    def num_diseases(self) -> int:
        return self.closure.shape[0]

    def term_rows(self, terms: Sequence[int]) -> np.ndarray:
        """``(len(terms), N)``: ``max_{d in D} IC(MICA(q, d))`` for each query term ``q`` and disease ``D``."""
        out = np.zeros((len(terms), self.num_diseases), dtype=np.float64)
        for row, term in enumerate(terms):
            lineage = self.ancestors.indices[self.ancestors.indptr[term] : self.ancestors.indptr[term + 1]]
            lineage = lineage[self.ic[lineage] > 0]  # IC 0 (the root, or unreached) adds nothing to a max
            if lineage.size == 0:
                continue
            hits = self.closure[:, lineage]  # (N, k) sparse
            weighted = hits.multiply(self.ic[lineage][None, :]).tocsr()
            out[row] = weighted.max(axis=1).toarray().ravel()
        return out

    def query_to_disease(self, patients: Sequence[Sequence[int]], chunk: int = 512) -> np.ndarray:
        """``(P, N)`` one-sided best-match average ``sim(Q -> D)`` of each patient's terms (Phenomizer).

        A patient with no terms gets a row of zeros. Duplicate terms of a patient count once.
        """
        sets = [np.unique(np.asarray(p, dtype=np.int64)) for p in patients]
        for terms in sets:
            if terms.size and (terms.min() < 0 or terms.max() >= self.num_terms):
                raise ValueError(f"a patient's term index is outside 0..{self.num_terms - 1}")
        distinct = np.unique(np.concatenate(sets)) if sets else np.zeros(0, dtype=np.int64)
        column = {int(t): i for i, t in enumerate(distinct)}
        rows = np.repeat(np.arange(len(sets)), [s.size for s in sets])
        cols = np.asarray([column[int(t)] for s in sets for t in s], dtype=np.int64)
        weights = np.concatenate([np.full(s.size, 1.0 / s.size) for s in sets if s.size]) if cols.size else cols
        mean = sp.csr_matrix((weights, (rows, cols)), shape=(len(sets), distinct.size))
        scores = np.zeros((len(sets), self.num_diseases), dtype=np.float64)
        for start in range(0, distinct.size, chunk):
            block = self.term_rows(distinct[start : start + chunk])
            scores += mean[:, start : start + chunk] @ block
        return scores

    def disease_to_query(self, patients: Sequence[Sequence[int]]) -> np.ndarray:
        """``(P, N)``: ``sim(D -> Q) = mean_{d in D} max_{q in Q} sim(d, q)`` (the other half of the symmetric BMA)."""
        counts = np.asarray(self.annotations.sum(axis=1)).ravel()
        mean = sp.diags(1.0 / np.maximum(counts, 1)) @ self.annotations.astype(np.float64)  # (N, T)
        out = np.zeros((len(patients), self.num_diseases), dtype=np.float64)
        anc = self.ancestors  # every row holds at least the term itself, so reduceat sees no empty row
        for row, terms in enumerate(patients):
            terms = np.unique(np.asarray(terms, dtype=np.int64))
            if terms.size == 0:
                continue
            reached = np.zeros(self.num_terms, dtype=np.float64)
            reached[self.ancestors[terms].indices] = 1.0
            # best[t] = max IC over the ancestors of t that the patient's terms also reach (row-wise max over CSR)
            weighted = (self.ic * reached)[anc.indices]
            best = np.maximum.reduceat(weighted, anc.indptr[:-1]) if weighted.size else weighted
            out[row] = mean @ best
        return out

    def symmetric(self, patients: Sequence[Sequence[int]]) -> np.ndarray:
        """``(P, N)``: the mean of :meth:`query_to_disease` and :meth:`disease_to_query`."""
        return (self.query_to_disease(patients) + self.disease_to_query(patients)) / 2


def resnik(index: ResnikIndex, a: int, b: int) -> float:
    """``IC(MICA(a, b))`` of two terms: a slow, obvious reference for tests and spot checks."""
    common = set(index.ancestors[a].indices) & set(index.ancestors[b].indices)
    return max((float(index.ic[t]) for t in common), default=0.0)
