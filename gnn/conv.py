"""Relational mean-aggregation convolution that only transforms rows that received messages.

``RelationalConv`` computes, for every node type ``t`` and node ``v`` of that type::

    out[t][v] = W_root_t · h[t][v] + sum over relations r = (s, rel, t) with N_r(v) nonempty of
                W_r · mean_{u in N_r(v)} h[s][u] + b_r

which is ``HeteroConv({r: SAGEConv(H, H, aggr="mean", root_weight=False)}, aggr="sum")`` plus one root
weight per node type instead of one per relation. Why not just use that: a knowledge graph has many
relations into the same big type (15 into Gene here) and most nodes have no edge of a given relation. PyG
applies every relation's linear layer to *all* rows of the destination type (plus a root linear per
relation), and then stacks the per-relation outputs to sum them. Here ``W_r`` only touches the ``U_r`` rows
that have an ``r``-neighbour, and results are added in place. On the Hetionet sample (13.9k genes, ~1.5k
touched per gene relation) one training step plus evaluation took ~0.14 s against ~0.47 s for PyG's
``HeteroConv`` of ``SAGEConv`` (edge_index) and ~0.38 s with a CSR adjacency (hidden 32, one thread;
about 5× at hidden 64), with the same test metrics.

Shapes: ``h[t]`` (N_t, H) → ``out[t]`` (N_t, H). A :class:`RelationPlan` per edge type holds the touched
destination rows ``dst_rows`` (U_r,) and the row-normalised adjacency ``mean_adj`` as a
``torch.sparse_csr`` (U_r, N_src), so the aggregation is one sparse matrix product.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import Tensor, nn

EdgeType = tuple[str, str, str]


@dataclass
class RelationPlan:
    """Precomputed aggregation for one edge type: build once per graph, reuse every epoch."""

    dst_rows: Tensor  # int64 (U,): destination nodes with at least one incoming edge of this type
    mean_adj: Tensor  # float32 sparse CSR (U, N_src): row u averages the sources of dst_rows[u]
    mean_adj_t: Tensor  # its transpose, CSR (N_src, U), for the backward pass


class _SparseMean(torch.autograd.Function):
    """``A @ x`` with a precomputed ``A^T`` for the gradient.

    ``torch.sparse.mm`` re-transposes the CSR matrix on every backward call; with ~50 relations that
    conversion was a fifth of the epoch.
    """

    @staticmethod
    def forward(ctx, adj: Tensor, adj_t: Tensor, x: Tensor) -> Tensor:  # type: ignore[override]
        ctx.adj_t = adj_t
        return adj @ x

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[None, None, Tensor]:  # type: ignore[override]
        return None, None, ctx.adj_t @ grad


def relation_plan(edge_index: Tensor, num_src: int) -> RelationPlan:
    """``edge_index`` int (2, E) of (src, dst) → :class:`RelationPlan`."""
    dst_rows, inverse = torch.unique(edge_index[1], return_inverse=True)
    deg = torch.bincount(inverse, minlength=dst_rows.numel()).to(torch.float32)
    values = 1.0 / deg[inverse] if edge_index.size(1) else torch.zeros(0)
    with warnings.catch_warnings():
        # torch warns that sparse CSR is "beta" on every construction; the ops used here are stable.
        warnings.simplefilter("ignore", UserWarning)
        adj = torch.sparse_coo_tensor(
            torch.stack([inverse, edge_index[0]]), values, (dst_rows.numel(), num_src)
        ).coalesce()
        return RelationPlan(
            dst_rows=dst_rows, mean_adj=adj.to_sparse_csr(), mean_adj_t=adj.t().coalesce().to_sparse_csr()
        )


def relation_plans(
    edge_index_dict: dict[EdgeType, Tensor], num_nodes: dict[str, int]
) -> dict[EdgeType, RelationPlan]:
    return {et: relation_plan(ei, num_nodes[et[0]]) for et, ei in edge_index_dict.items()}


def _key(edge_type: EdgeType) -> str:
    return "__".join(edge_type)


class RelationalConv(nn.Module):
    """One layer of per-relation mean aggregation summed per node type (see module docstring)."""

    def __init__(self, node_types: list[str], edge_types: list[EdgeType], hidden: int) -> None:
        super().__init__()
        self.edge_types = [tuple(et) for et in edge_types]
        self.root = nn.ModuleDict({t: nn.Linear(hidden, hidden) for t in node_types})
        self.rel = nn.ModuleDict({_key(et): nn.Linear(hidden, hidden) for et in self.edge_types})

    def forward(self, h: dict[str, Tensor], plans: dict[EdgeType, RelationPlan]) -> dict[str, Tensor]:
        out = {t: lin(h[t]) for t, lin in self.root.items()}
        for et in self.edge_types:
            plan = plans[et]
            if plan.dst_rows.numel() == 0:
                continue
            agg = _SparseMean.apply(plan.mean_adj, plan.mean_adj_t, h[et[0]])  # (U, H)
            # In place: the root linear's output is not saved for backward, so this is autograd-safe and
            # avoids copying an (N_t, H) tensor once per relation.
            out[et[2]].index_add_(0, plan.dst_rows, self.rel[_key(et)](agg))
        return out
