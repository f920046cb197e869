"""Pair-level path features for the hybrid decoder: degree-weighted path counts through known indications.

The strongest signal for "drug ``c`` treats disease ``d``" in this graph is guilt by association through the
indications already known: drugs of ``c``'s pharmacologic class treat ``d`` (``CiPCiCtD``), drugs with ``c``'s
side effects do (``CcSEcCtD``), ``c`` treats diseases that share ``d``'s phenotypes (``CtDhPhD``). These are
metapaths that pass through a target edge, and Rephetio counts them as degree-weighted path counts (DWPC,
damping 0.4, :mod:`gnn.dwpc`). A two-layer mean-aggregation GNN blurs them into averages; handing them to the
decoder as a per-pair vector keeps them exact (the SEAL / KGML-xDTD idea: node embeddings plus pair-level
structure).

Every count is read from the *message-passing graph* the model is given: the target edges are the ones in
that graph, the other steps are its other relations. Whatever the graph hides, the features hide too:

- held-out (val/test) edges are absent from the graph, hence from every path;
- during training the edges hidden from message passing in an epoch (and predicted in it) are absent from
  that epoch's target matrix, so a positive never counts its own edge (``c -TREATS- d`` closes no path of
  length >= 2 from ``c`` to ``d`` that the features could use as a label lookup).

Only metapaths that contain a target step are computed here. Their values are non-zero only where the target
relation reaches (387 drugs and 77 diseases on the full graph), so all 61M drug x disease pairs fit as sparse
matrices; metapaths without a target step (``CbGaD``, ...) are what message passing already captures.

Shapes: :meth:`PathFeaturizer.block` returns a :class:`PathBlock`: ``(R, C)`` candidate rows and columns
and, per metapath, a ``scipy.sparse`` ``(R, C)`` matrix of raw DWPC values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pmkg.gnn.dwpc import METAPATHS, binary_matrix, degree_weighted, either_direction
from torch_geometric.data import HeteroData

EdgeType = tuple[str, str, str]

# Steps as in gnn.dwpc: (relation type, label reached), starting from the target's source label (Drug). The
# target relation may appear once or twice; every other relation is looked up in either stored direction. The
# baseline's metapaths keep their one definition there; these four are the hybrid's own.
_HYBRID_ONLY: dict[str, list[tuple[str, str]]] = {
    "CtDtCtD": [("TREATS", "Disease"), ("TREATS", "Drug"), ("TREATS", "Disease")],
    "CsCtD": [("SIMILAR_PROFILE", "Drug"), ("TREATS", "Disease")],
    "CtDsD": [("TREATS", "Disease"), ("SIMILAR_PROFILE", "Disease")],
    "CtDlAlD": [("TREATS", "Disease"), ("LOCALIZES_TO", "Anatomy"), ("LOCALIZES_TO", "Disease")],
}
_STEPS = {**METAPATHS, **_HYBRID_ONLY}
TARGET_PATHS: dict[str, list[tuple[str, str]]] = {
    name: _STEPS[name]
    for name in ("CtDtCtD", "CiPCiCtD", "CcSEcCtD", "CbGbCtD", "CrCtD", "CsCtD", "CtDrD", "CtDiD", "CtDsD",
                 "CtDhPhD", "CtDaGaD", "CtDpSpD", "CtDlAlD")
}  # fmt: skip
# Metapaths without a target step: the same for every epoch, computed once per graph.
STATIC_PATHS: dict[str, list[tuple[str, str]]] = {
    name: _STEPS[name] for name in ("CbGaD", "CuGdD", "CdGuD", "CbGaPhD", "CbGiGaD", "CpD", "CpDrD")
}
PAIR_PATHS = {**TARGET_PATHS, **STATIC_PATHS}
DEFAULT_PATHS: tuple[str, ...] = tuple(PAIR_PATHS)


@dataclass
class PathBlock:
    """Raw DWPC values of ``rows`` × ``cols`` (full node indices), one sparse ``(R, C)`` matrix per metapath."""

    rows: np.ndarray
    cols: np.ndarray
    mats: list[sp.csr_matrix]

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows.size, self.cols.size)

    def support(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, x)``: the block positions where some metapath is non-zero and their ``(S, M)`` values."""
        i, j, pair, k, value = self.support_entries()
        x = np.zeros((i.size, len(self.mats)), dtype=np.float32)
        x[pair, k] = value
        return i, j, x

    def support_entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The support as ``(i, j)`` (S,) block positions in row-major order, and its stored values as
        ``(pair, k, value)`` (V,): index into ``i``/``j``, metapath, float32 DWPC; sorted by ``pair``.

        One sort of the ``V`` stored values (``pair * M + k`` keys), no dense ``(S, M)`` array.
        """
        n_cols, n_paths = max(self.cols.size, 1), max(len(self.mats), 1)
        keys, values = [], []
        for k, mat in enumerate(self.mats):
            coo = mat.tocoo()
            keys.append((coo.row.astype(np.int64) * n_cols + coo.col) * n_paths + k)
            values.append(coo.data.astype(np.float32, copy=False))
        if not keys:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty, np.zeros(0, dtype=np.float32)
        key = np.concatenate(keys)
        order = np.argsort(key)  # keys are distinct: one value per (pair, metapath)
        key, value = key[order], np.concatenate(values)[order]
        code, k = np.divmod(key, n_paths)
        new = np.empty(code.size, dtype=bool)
        new[:1] = True
        np.not_equal(code[1:], code[:-1], out=new[1:])
        pair = np.cumsum(new) - 1
        i, j = np.divmod(code[new], n_cols)
        return i, j, pair, k, value

    def dense(self) -> np.ndarray:
        """float32 ``(R, C, M)`` (tests and small blocks only)."""
        out = np.zeros((*self.shape, len(self.mats)), dtype=np.float32)
        for k, mat in enumerate(self.mats):
            out[:, :, k] = mat.toarray()
        return out


class PathFeaturizer:
    """DWPC of the :data:`TARGET_PATHS` named in ``names`` on one message-passing graph.

    The non-target steps are degree-weighted once per graph; the target step is rebuilt from the target edges
    passed to :meth:`block` (the graph's own by default, or an epoch's after some were hidden). A metapath that
    needs a relation or label the graph lacks is all zeros, so the feature vector has the same meaning on
    every graph a model is applied to.
    """

    def __init__(self, data: HeteroData, target: EdgeType, names: Sequence[str]) -> None:
        unknown = [n for n in names if n not in PAIR_PATHS]
        if unknown:
            raise ValueError(f"unknown metapath(s) {unknown}; choose from {', '.join(PAIR_PATHS)}")
        self.target = tuple(target)
        self.names = list(names)
        self.num = {t: int(data[t].num_nodes) for t in data.node_types}
        self.target_edges = data[self.target].edge_index.numpy() if self.target in data.edge_types else (
            np.zeros((2, 0), dtype=np.int64))
        self._steps: dict[EdgeType, sp.csr_matrix | None] = {}
        self._static: dict[str, sp.csr_matrix | None] = {}
        for name in self.names:
            prev = self.target[0]
            for rel, label in PAIR_PATHS[name]:
                if rel != self.target[1] and (prev, rel, label) not in self._steps:
                    self._steps[(prev, rel, label)] = self._relation(data, prev, rel, label)
                prev = label

    def _relation(self, data: HeteroData, a: str, rel: str, b: str) -> sp.csr_matrix | None:
        if a not in self.num or b not in self.num:
            return None
        edges = {key: data[key].edge_index.numpy() for key in ((a, rel, b), (b, rel, a)) if key in data.edge_types}
        mat = either_direction(edges, (self.num[a], self.num[b]), a, rel, b)
        return degree_weighted(mat) if mat is not None else None

    def block(self, rows: np.ndarray, cols: np.ndarray, target_edges: np.ndarray | None = None) -> PathBlock:
        """DWPC of every metapath for ``rows`` (source indices) × ``cols`` (destination indices).

        ``target_edges`` (2, T) are the target edges the paths may use (default: the graph's own).
        """
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        t_w, t_rev = self._target_matrices(target_edges)
        mats = []
        for name in self.names:
            if name in STATIC_PATHS:
                full = self._static_matrix(name)
                mats.append(full[rows][:, cols] if full is not None else sp.csr_matrix((rows.size, cols.size)))
                continue
            chain = self._chain(name, t_w, t_rev)
            if chain is None:
                mats.append(sp.csr_matrix((rows.size, cols.size), dtype=np.float64))
                continue
            chain[0] = chain[0][rows]
            chain[-1] = chain[-1][:, cols]
            mats.append(_product_from_target(chain, self._target_positions(name)))
        return PathBlock(rows, cols, [sp.csr_matrix(m, dtype=np.float32) for m in mats])

    def blocks(
        self, rows: np.ndarray, cols: np.ndarray, step: int, target_edges: np.ndarray | None = None
    ) -> Iterator[tuple[int, PathBlock]]:
        """``(start, block(rows, cols[start:start + step]))`` for ``start = 0, step, ...``: the same values as
        :meth:`block` (the same products in the same order), with everything that does not depend on the
        columns done once: the row selection, every product of the chain before its last step, the static
        metapaths' matrices. Memory holds one block's path counts at a time.
        """
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        step = max(1, int(step))
        t_w, t_rev = self._target_matrices(target_edges)
        plans = [self._column_plan(name, rows, cols, t_w, t_rev) for name in self.names]
        for start in range(0, cols.size, step):
            stop = min(start + step, cols.size)
            mats = [plan(start, stop) for plan in plans]
            yield start, PathBlock(rows, cols[start:stop], [sp.csr_matrix(m, dtype=np.float32) for m in mats])

    def _column_plan(
        self, name: str, rows: np.ndarray, cols: np.ndarray, t_w: sp.csr_matrix, t_rev: sp.csr_matrix
    ) -> Callable[[int, int], sp.spmatrix]:
        """``(start, stop) -> (R, stop - start)`` DWPC of ``name`` for ``rows`` × ``cols[start:stop]``."""
        if name in STATIC_PATHS:
            full = self._static_matrix(name)
            if full is None:
                return lambda a, b: sp.csr_matrix((rows.size, b - a), dtype=np.float64)
            sub = sp.csc_matrix(full[rows][:, cols])  # a column range of a CSC matrix is a cheap slice
            return lambda a, b: sub[:, a:b]
        chain = self._chain(name, t_w, t_rev)
        if chain is None:
            return lambda a, b: sp.csr_matrix((rows.size, b - a), dtype=np.float64)
        chain[0] = chain[0][rows]
        chain[-1] = chain[-1][:, cols]
        start = self._target_positions(name)[0]
        last = sp.csc_matrix(chain[-1])
        # _product_from_target multiplies chain[start] @ ... @ chain[-1], then the left steps onto it: all of it
        # up to chain[-1] is the same for every column block.
        mid = None
        if start < len(chain) - 1:
            mid = chain[start]
            for mat in chain[start + 1 : -1]:
                mid = mid @ mat
            mid = sp.csr_matrix(mid)
        left = chain[:start]

        def product(a: int, b: int) -> sp.spmatrix:
            acc = last[:, a:b]
            if mid is not None:
                acc = mid @ acc
            for mat in reversed(left):
                acc = mat @ acc
            return acc

        return product

    def _target_matrices(self, target_edges: np.ndarray | None) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The degree-weighted target matrix ``(N_src, N_dst)`` and its transpose."""
        edges = self.target_edges if target_edges is None else np.asarray(target_edges)
        src, _, dst = self.target
        t_w = degree_weighted(binary_matrix(edges, (self.num[src], self.num[dst])))
        return t_w, sp.csr_matrix(t_w.T)

    def _static_matrix(self, name: str) -> sp.csr_matrix | None:
        """The whole ``(N_src, N_dst)`` DWPC matrix of a metapath without a target step (cached)."""
        if name not in self._static:
            chain = self._chain(name, None, None)
            acc = None
            if chain is not None:
                acc = chain[0]
                for mat in chain[1:]:
                    acc = acc @ mat
                acc = sp.csr_matrix(acc)
            self._static[name] = acc
        return self._static[name]

    def _target_positions(self, name: str) -> list[int]:
        return [i for i, (rel, _) in enumerate(PAIR_PATHS[name]) if rel == self.target[1]]

    def _chain(
        self, name: str, t_w: sp.csr_matrix | None, t_rev: sp.csr_matrix | None
    ) -> list[sp.csr_matrix] | None:
        chain, prev = [], self.target[0]
        for rel, label in PAIR_PATHS[name]:
            if rel == self.target[1]:
                assert t_w is not None and t_rev is not None
                chain.append(t_w if prev == self.target[0] else t_rev)
            else:
                step = self._steps.get((prev, rel, label))
                if step is None:
                    return None
                chain.append(step)
            prev = label
        return chain


def _product_from_target(chain: list[sp.csr_matrix], target_at: list[int]) -> sp.csr_matrix:
    """Multiply a matrix chain outwards from its first target step: the target matrix is tiny, so every
    intermediate product stays as sparse as the target edges allow."""
    start = target_at[0]
    acc = chain[start]
    for mat in chain[start + 1 :]:
        acc = acc @ mat
    for mat in reversed(chain[:start]):
        acc = mat @ acc
    return sp.csr_matrix(acc)


def _support_reference(block: PathBlock) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`PathBlock.support` as it was (``np.unique`` of the position codes): kept for the scoring bench
    and the equality tests of the fast path."""
    n_cols = max(block.cols.size, 1)
    coos = [m.tocoo() for m in block.mats]
    codes = [c.row.astype(np.int64) * n_cols + c.col for c in coos]
    union = np.unique(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
    x = np.zeros((union.size, len(block.mats)), dtype=np.float32)
    for k, (coo, code) in enumerate(zip(coos, codes, strict=True)):
        x[np.searchsorted(union, code), k] = coo.data
    return union // n_cols, union % n_cols, x
