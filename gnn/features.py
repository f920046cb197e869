"""Spectral identity features for the target's nodes: what a drug (a disease) *is*, in a few dimensions.

Degree features tell a model how much a node is connected, not to what. Two drugs in the same
pharmacologic class, with the same targets or side effects, look alike only if the model can see those
neighbours' identities. Per-node learned vectors can, but they memorise the few hundred training
indications. A truncated SVD of each node's neighbourhood profile gives that identity cheaply and with
nothing to fit: row ``i`` of ``label`` is the concatenation, over every relation incident to ``label``, of
the 0/1 indicator of its neighbours, weighted by ``log(N / df)`` (rare neighbours say more), rows
L2-normalised, then projected on the top ``dim`` right singular vectors (scikit-learn's seeded randomized
SVD, so the features are deterministic).

Relations *between* the target's two labels (TREATS, PALLIATES, any Drug–Disease edge) never enter, so these
features cannot carry a held-out indication and are the same for every split. Relations within one of them
(a disease's ``IS_A`` parents and ``RESEMBLES`` neighbours, a drug's ``RESEMBLES`` neighbours) enter when
``within_label`` is set: they say what a disease is, and none of them is an indication.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd
from threadpoolctl import threadpool_limits

EdgeKey = tuple[str, str, str]


def neighbourhood_profile(
    edges: Mapping[EdgeKey, np.ndarray], num_nodes: Mapping[str, int], label: str, exclude: set[str],
    within_label: bool = False,
) -> sp.csr_matrix:
    """``(N_label, sum of neighbour counts)`` tf-idf-weighted, row-normalised neighbour indicator matrix."""
    blocks = []
    for (a, _rel, b), e in sorted(edges.items()):
        between = {a, b} <= exclude and not (within_label and a == b)
        if between or not e.size:
            continue
        for side, other in ((0, b), (1, a)):
            if (a, b)[side] != label:
                continue
            rows, cols = e[side], e[1 - side]
            mat = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(num_nodes[label], num_nodes[other]))
            mat.data[:] = 1.0
            df = np.asarray((mat > 0).sum(axis=0)).ravel()
            keep = np.flatnonzero(df > 0)
            idf = np.log(num_nodes[label] / df[keep]) + 1.0
            blocks.append(mat[:, keep] @ sp.diags(idf))  # one block per relation and direction
    if not blocks:
        return sp.csr_matrix((num_nodes[label], 0))
    profile = sp.hstack(blocks).tocsr()
    norms = np.sqrt(np.asarray(profile.multiply(profile).sum(axis=1)).ravel())
    return sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ profile


def spectral_features(
    edges: Mapping[EdgeKey, np.ndarray], num_nodes: Mapping[str, int], label: str, exclude: set[str], dim: int,
    seed: int = 0, within_label: bool = False,
) -> np.ndarray:
    """float32 ``(N_label, dim)``: the neighbourhood profile projected on its top ``dim`` singular vectors."""
    profile = neighbourhood_profile(edges, num_nodes, label, exclude, within_label)
    k = min(dim, max(0, min(profile.shape) - 1))
    out = np.zeros((num_nodes[label], dim), dtype=np.float32)
    if k == 0:
        return out
    with threadpool_limits(1, user_api="blas"):  # see kg.cli.main: OpenBLAS threads next to the embedded JVM
        u, s, _ = randomized_svd(profile, n_components=k, random_state=seed)
    # Scaled by the singular values so that dot products approximate the profile's cosine similarity.
    out[:, :k] = (u * s).astype(np.float32)
    return out


def target_spectral(export_edges: Mapping[EdgeKey, np.ndarray], num_nodes: Mapping[str, int], target: EdgeKey,
                    dim: int, seed: int = 0, within_label: bool = False) -> dict[str, np.ndarray]:
    """Spectral features of the target's two labels (none when ``dim`` is 0); see the module docstring."""
    if dim <= 0:
        return {}
    exclude = {target[0], target[2]}
    return {label: spectral_features(export_edges, num_nodes, label, exclude, dim, seed, within_label)
            for label in sorted(exclude)}


SIMILAR = "SIMILAR_PROFILE"


def knn_edges(features: np.ndarray, k: int, block: int = 2048) -> np.ndarray:
    """int64 ``(2, N*k)`` edges from every node to its ``k`` most cosine-similar others (zero rows: none)."""
    x = np.asarray(features, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1)
    x = x / np.where(norms > 0, norms, 1.0)[:, None]
    src, dst = [], []
    rows = np.flatnonzero(norms > 0)
    for start in range(0, rows.size, block):
        idx = rows[start : start + block]
        sim = x[idx] @ x[rows].T
        sim[np.arange(idx.size), np.searchsorted(rows, idx)] = -np.inf  # never itself
        kk = min(k, rows.size - 1)
        if kk <= 0:
            break
        top = np.argpartition(-sim, kk - 1, axis=1)[:, :kk]
        src.append(np.repeat(idx, kk))
        dst.append(rows[top].ravel())
    if not src:
        return np.zeros((2, 0), dtype=np.int64)
    return np.stack([np.concatenate(src), np.concatenate(dst)]).astype(np.int64)


def similarity_edges(spectral: Mapping[str, np.ndarray], k: int) -> dict[EdgeKey, np.ndarray]:
    """``(label, SIMILAR_PROFILE, label)`` kNN edges per label from its spectral features (none when k is 0).

    A held-out disease has no indication to pass messages along, but its nearest neighbours by phenotype,
    gene and ontology profile do: these edges let two layers reach "drugs of diseases like this one", the
    signal Rephetio's ``CtDrD``-type metapaths count. Built from the spectral features only, so they carry
    no target edge either.
    """
    if k <= 0:
        return {}
    with threadpool_limits(1, user_api="blas"):
        return {(label, SIMILAR, label): knn_edges(x, k) for label, x in sorted(spectral.items())}
