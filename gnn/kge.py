"""Knowledge-graph-embedding baselines (TransE, DistMult, RotatE from ``torch_geometric.nn.kge``).

The whole message-passing graph (every relation, held-out edges removed, no reverse types: a KGE model has
directed relations) plus the training ``TREATS`` edges becomes one list of triples over global node ids.
Each epoch is one pass over all triples with the library's own loss (margin ranking against a random head or
tail). Because ``TREATS`` is ~0.05% of the triples, every batch also carries a block of training ``TREATS``
triples scored against *type-constrained* corruptions (a random candidate drug or disease), with the same
margin loss; without it the models barely learn the relation they are evaluated on. The epoch with the best
validation MRR is kept. Embeddings are sparse and updated with ``SparseAdam``, so one step costs the rows it
touches, not the 300k × d table.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from pmkg.gnn.candidates import Candidates
from pmkg.gnn.data import remove_pairs
from pmkg.gnn.metrics import evaluate_candidates
from pmkg.kg.export import EdgeKey, GraphExport
from torch_geometric.nn.kge import DistMult, RotatE, TransE

MODELS = {"transe": TransE, "distmult": DistMult, "rotate": RotatE}


def _triples(
    export: GraphExport, drop: Mapping[EdgeKey, np.ndarray], target: EdgeKey, train: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, int], int, int]:
    labels = sorted(export.node_ids)
    offset, total = {}, 0
    for label in labels:
        offset[label], total = total, total + export.num_nodes(label)
    keys = sorted(k for k in export.edges if k != target)
    heads, rels, tails = [], [], []
    for r, key in enumerate([target, *keys]):
        edges = train if key == target else export.edges[key]
        if key in drop and key != target:
            edges = remove_pairs(edges, drop[key], export.num_nodes(key[2]))
        heads.append(edges[0] + offset[key[0]])
        tails.append(edges[1] + offset[key[2]])
        rels.append(np.full(edges.shape[1], r))
    as_t = lambda parts: torch.from_numpy(np.concatenate(parts).astype(np.int64))  # noqa: E731
    return as_t(heads), as_t(rels), as_t(tails), offset, total, len(keys) + 1


@torch.no_grad()
def _candidate_scores(model: torch.nn.Module, cands: Candidates, off_s: int, off_d: int) -> np.ndarray:
    src = torch.from_numpy(cands.src + off_s)
    dst = torch.from_numpy(cands.dst + off_d)
    out = np.empty((src.numel(), dst.numel()), dtype=np.float32)
    for i in range(0, src.numel(), 256):
        h = src[i : i + 256].repeat_interleave(dst.numel())
        t = dst.repeat(min(256, src.numel() - i))
        out[i : i + 256] = model(h, torch.zeros_like(h), t).view(-1, dst.numel()).numpy()
    return out


def kge_scores(
    name: str,
    export: GraphExport,
    drop: Mapping[EdgeKey, np.ndarray],
    target: EdgeKey,
    split_train: np.ndarray,
    split_val: np.ndarray,
    candidates: Candidates,
    val_candidates: Candidates,
    seed: int = 0,
    dim: int = 64,
    epochs: int = 8,
    batch_size: int = 16384,
    treats_per_batch: int = 512,
    lr: float = 0.01,
) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Train KGE model ``name`` and return the candidate score matrix and the per-epoch history."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    head, rel, tail, offset, num_nodes, num_rels = _triples(export, drop, target, split_train)
    model = MODELS[name](num_nodes, num_rels, dim, sparse=True)
    optimizer = torch.optim.SparseAdam(list(model.parameters()), lr=lr)
    off_s, off_d = offset[target[0]], offset[target[2]]
    t_head = torch.from_numpy(split_train[0] + off_s)
    t_tail = torch.from_numpy(split_train[1] + off_d)
    c_src, c_dst = torch.from_numpy(candidates.src + off_s), torch.from_numpy(candidates.dst + off_d)
    best, best_state, history = -1.0, None, []
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.from_numpy(rng.permutation(head.numel()))
        losses = []
        for i in range(0, perm.numel(), batch_size):
            idx = perm[i : i + batch_size]
            loss = model.loss(head[idx], rel[idx], tail[idx])
            pick = torch.from_numpy(rng.integers(0, t_head.numel(), treats_per_batch))
            h, t = t_head[pick], t_tail[pick]
            r = torch.zeros_like(h)
            half = treats_per_batch // 2
            nh, nt = h.clone(), t.clone()
            nh[:half] = c_src[torch.from_numpy(rng.integers(0, c_src.numel(), half))]
            nt[half:] = c_dst[torch.from_numpy(rng.integers(0, c_dst.numel(), treats_per_batch - half))]
            pos, neg = model(h, r, t), model(nh, r, nt)
            loss = loss + F.margin_ranking_loss(pos, neg, torch.ones_like(pos), margin=model.margin)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        model.eval()
        val = evaluate_candidates(_candidate_scores(model, val_candidates, off_s, off_d), val_candidates,
                                  split_val, split_train)
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "val_mrr": val["mrr"]})
        if val["mrr"] > best:
            best, best_state = val["mrr"], copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return _candidate_scores(model, candidates, off_s, off_d), history
