"""Rephetio-style baseline: degree-weighted path counts (DWPC) over drug→disease metapaths + logistic regression.

For a metapath ``Drug -r1- X -r2- ... - Disease`` the DWPC of a pair sums, over the walks that follow it, the
product of ``(deg_out(u) * deg_in(v)) ** -w`` of each step (damping ``w = 0.4``, Himmelstein 2017). We count
*walks* with sparse matrix products, not node-unique *paths*; on metapaths of length 2–3 the difference is
the few walks that revisit a node.

Leakage rules (the same as the GNN's):

- every matrix is built from the message-passing graph, i.e. with the held-out edges (``drop``) removed;
- metapaths through ``TREATS`` use training edges only; for a *training* pair they are computed with that
  pair's inner fold of training edges removed (5 inner folds), so a positive never counts its own edge
  (``Drug-TREATS-Disease-RESEMBLES-...`` would otherwise be a lookup of the label).

Features: ``asinh(DWPC / mean nonzero DWPC)`` per metapath plus ``log1p`` of the two training treats
degrees, standardised; an L2 logistic regression on the training positives and 20 sampled negatives each
(candidates only, never a training positive).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pmkg.gnn.candidates import Candidates
from pmkg.gnn.data import remove_pairs
from pmkg.kg.export import EdgeKey, GraphExport
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

DAMPING = 0.4
# Each step is (relation type, label reached); the edge key is looked up in either direction.
METAPATHS: dict[str, list[tuple[str, str]]] = {
    "CbGaD": [("TARGETS", "Gene"), ("ASSOCIATED_WITH", "Disease")],
    "CuGdD": [("UPREGULATES", "Gene"), ("DOWNREGULATES", "Disease")],
    "CdGuD": [("DOWNREGULATES", "Gene"), ("UPREGULATES", "Disease")],
    "CbGaPhD": [("TARGETS", "Gene"), ("ASSOCIATED_WITH", "Phenotype"), ("HAS_PHENOTYPE", "Disease")],
    "CbGiGaD": [("TARGETS", "Gene"), ("INTERACTS_WITH", "Gene"), ("ASSOCIATED_WITH", "Disease")],
    "CpD": [("PALLIATES", "Disease")],
    "CpDrD": [("PALLIATES", "Disease"), ("RESEMBLES", "Disease")],
    "CrCtD": [("RESEMBLES", "Drug"), ("TREATS", "Disease")],
    "CiPCiCtD": [("IN_CLASS", "PharmacologicClass"), ("IN_CLASS", "Drug"), ("TREATS", "Disease")],
    "CcSEcCtD": [("CAUSES_SIDE_EFFECT", "SideEffect"), ("CAUSES_SIDE_EFFECT", "Drug"), ("TREATS", "Disease")],
    "CbGbCtD": [("TARGETS", "Gene"), ("TARGETS", "Drug"), ("TREATS", "Disease")],
    "CtDrD": [("TREATS", "Disease"), ("RESEMBLES", "Disease")],
    "CtDiD": [("TREATS", "Disease"), ("IS_A", "Disease")],
    "CtDhPhD": [("TREATS", "Disease"), ("HAS_PHENOTYPE", "Phenotype"), ("HAS_PHENOTYPE", "Disease")],
    "CtDaGaD": [("TREATS", "Disease"), ("ASSOCIATED_WITH", "Gene"), ("ASSOCIATED_WITH", "Disease")],
    "CtDpSpD": [("TREATS", "Disease"), ("PRESENTS", "Symptom"), ("PRESENTS", "Disease")],
}


def either_direction(
    edges: Mapping[EdgeKey, np.ndarray], shape: tuple[int, int], a: str, rel: str, b: str
) -> sp.csr_matrix | None:
    """``shape`` 0/1 matrix of ``rel`` edges between ``a`` and ``b`` in either stored direction; None without any."""
    mat, found = sp.csr_matrix(shape, dtype=np.float64), False
    # Within one label (RESEMBLES, IS_A, SIMILAR_PROFILE) both orientations count: a walk may go up or down.
    for key, flip in (((a, rel, b), False), ((b, rel, a), True)):
        if key in edges and edges[key].size:
            mat = mat + binary_matrix(edges[key][::-1] if flip else edges[key], shape)
            found = True
    if not found:
        return None
    mat.data[:] = 1.0
    return mat


def binary_matrix(edges: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """``shape`` 0/1 matrix with a one at every ``(edges[0], edges[1])`` (repeated edges count once)."""
    edges = np.asarray(edges)
    mat = sp.csr_matrix((np.ones(edges.shape[1]), (edges[0], edges[1])), shape=shape)
    mat.data[:] = 1.0
    return mat


def degree_weighted(mat: sp.spmatrix) -> sp.csr_matrix:
    """``D_out^-w · A · D_in^-w`` of a 0/1 matrix (rows/columns without edges stay zero)."""
    mat = sp.csr_matrix(mat, dtype=np.float64)
    out_deg = np.asarray(mat.sum(axis=1)).ravel()
    in_deg = np.asarray(mat.sum(axis=0)).ravel()
    left = np.where(out_deg > 0, out_deg, 1.0) ** -DAMPING
    right = np.where(in_deg > 0, in_deg, 1.0) ** -DAMPING
    return sp.csr_matrix(sp.diags(left) @ mat @ sp.diags(right))


@dataclass
class DWPCFeatures:
    """Builds the DWPC matrices of every metapath for candidate drugs × candidate diseases."""

    export: GraphExport
    graph_edges: dict[EdgeKey, np.ndarray]  # message-passing edges (held-out removed), target excluded
    target: EdgeKey
    candidates: Candidates

    def __post_init__(self) -> None:
        self.metapaths = {
            name: steps for name, steps in METAPATHS.items() if self._available(steps)
        }
        self._cache: dict[tuple[str, str, str], sp.csr_matrix] = {}

    def _available(self, steps: list[tuple[str, str]]) -> bool:
        prev = self.target[0]
        for rel, label in steps:
            if rel != self.target[1] and (prev, rel, label) not in self.graph_edges and (
                label, rel, prev) not in self.graph_edges:
                return False
            prev = label
        return True

    def _step(self, a: str, rel: str, b: str, treats: np.ndarray) -> sp.csr_matrix:
        if rel == self.target[1]:
            e = treats if a == self.target[0] else treats[::-1]
            return degree_weighted(binary_matrix(e, (self.export.num_nodes(a), self.export.num_nodes(b))))
        key = (a, rel, b)
        if key not in self._cache:
            shape = (self.export.num_nodes(a), self.export.num_nodes(b))
            adjacency = either_direction(self.graph_edges, shape, a, rel, b)
            self._cache[key] = degree_weighted(adjacency if adjacency is not None else sp.csr_matrix(shape))
        return self._cache[key]

    def matrices(self, treats: np.ndarray) -> dict[str, np.ndarray]:
        """``{metapath: (n_cand_drugs, n_cand_diseases) DWPC}`` with ``treats`` (2, T) as the TREATS edges."""
        out = {}
        for name, steps in self.metapaths.items():
            labels = [self.target[0]] + [label for _, label in steps]
            mats = [self._step(labels[i], rel, labels[i + 1], treats) for i, (rel, _) in enumerate(steps)]
            # Right to left against a dense (N, n_diseases) block: memory stays O(N * n_diseases).
            acc = mats[-1][:, self.candidates.dst].toarray()
            for mat in reversed(mats[:-1]):
                acc = mat @ acc
            out[name] = np.asarray(acc[self.candidates.src])
        return out


def _features(mats: dict[str, np.ndarray], scale: dict[str, float], deg: tuple[np.ndarray, np.ndarray],
              rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    cols_out = [np.arcsinh(mats[name][rows, cols] / scale[name]) for name in sorted(mats)]
    cols_out += [np.log1p(deg[0][rows]), np.log1p(deg[1][cols])]
    return np.stack(cols_out, axis=1)


def _degrees(treats_sub: np.ndarray, cands: Candidates) -> tuple[np.ndarray, np.ndarray]:
    return (np.bincount(treats_sub[0], minlength=cands.src.size).astype(float),
            np.bincount(treats_sub[1], minlength=cands.dst.size).astype(float))


@threadpool_limits.wrap(limits=1, user_api="blas")  # OpenBLAS threads next to the embedded JVM: kg.cli.main
def dwpc_scores(
    export: GraphExport,
    drop: Mapping[EdgeKey, np.ndarray],
    target: EdgeKey,
    train: np.ndarray,
    candidates: Candidates,
    seed: int = 0,
    inner_folds: int = 5,
    neg_ratio: int = 20,
) -> tuple[np.ndarray, dict[str, float]]:
    """Fit the DWPC logistic regression on ``train`` and score every candidate pair.

    Returns the ``(n_cand_drugs, n_cand_diseases)`` logit matrix and the standardised coefficients per
    feature (for the report).
    """
    rng = np.random.default_rng(seed)
    graph = {}
    for key, edges in export.edges.items():
        if key == target:
            continue
        graph[key] = remove_pairs(edges, drop[key], export.num_nodes(key[2])) if key in drop else edges
    # Columns: the diseases scored plus those the regression trains on (with a training positive); under a
    # disease holdout these are disjoint.
    train_dst = np.unique(train[1])
    cols = np.union1d(candidates.dst, train_dst)
    block = Candidates(candidates.src, cols)
    feats = DWPCFeatures(export, graph, target, block)
    train_sub, _ = block.restrict(train)
    n_s, n_d = block.src.size, block.dst.size
    train_cols = np.searchsorted(cols, train_dst)

    # Training pairs: positives and sampled negatives (candidate drugs × training diseases), each assigned
    # to an inner fold.
    pos_codes = train_sub[0] * n_d + train_sub[1]
    want = train_sub.shape[1] * neg_ratio
    neg_codes = rng.integers(0, n_s, want * 2) * n_d + rng.choice(train_cols, want * 2)
    neg_codes = np.unique(neg_codes[~np.isin(neg_codes, pos_codes)])[:want]
    codes = np.concatenate([pos_codes, neg_codes])
    y = np.r_[np.ones(pos_codes.size), np.zeros(neg_codes.size)]
    fold = rng.integers(0, inner_folds, codes.size)
    x_rows = []
    full = feats.matrices(train)
    scale = {k: float(v[v > 0].mean()) if (v > 0).any() else 1.0 for k, v in full.items()}
    for f in range(inner_folds):
        mine = fold == f
        held_pos = codes[mine & (y == 1)]
        keep = ~np.isin(pos_codes, held_pos)
        mats = feats.matrices(train[:, keep])
        x_rows.append((np.flatnonzero(mine), _features(mats, scale, _degrees(train_sub[:, keep], block),
                                                        codes[mine] // n_d, codes[mine] % n_d)))
    x = np.zeros((codes.size, len(full) + 2))
    for idx, rows in x_rows:
        x[idx] = rows
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)

    score_cols = np.searchsorted(cols, candidates.dst)
    all_rows, all_cols = np.divmod(np.arange(n_s * score_cols.size), score_cols.size)
    x_all = _features(full, scale, _degrees(train_sub, block), all_rows, score_cols[all_cols])
    logits = model.decision_function(scaler.transform(x_all)).reshape(n_s, score_cols.size)
    names = sorted(full) + ["log_treats_degree_drug", "log_treats_degree_disease"]
    return logits, dict(zip(names, model.coef_[0].round(4).tolist(), strict=True))
