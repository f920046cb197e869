"""Heterogeneous GNN encoder and DistMult decoder for one target relation.

Shapes (``H`` = ``hidden``, ``N_t`` = number of nodes of type ``t``, ``F_t`` = its structural features):

- input ``x_dict[t]``: float ``(N_t, F_t)`` structural features (log1p degrees, see :mod:`gnn.data`);
- input ``edge_dict[(s, r, d)]``: what :meth:`LinkPredictor.inputs` builds for the conv type: a
  :class:`gnn.conv.RelationPlan` (``conv="rel"``), or ``edge_index`` (2, E) / ``torch.sparse_csr``
  (N_d, N_s) for PyG's ``HeteroConv`` (``conv="sage"`` or ``"graph"``);
- ``h0[t] = W_t x_t (+ e_t)`` of shape ``(N_t, H)``: a per-type projection of the features, plus, by
  ``embeddings``, nothing (``"none"``), a frozen random code per node (``"random"``) or a learnable
  ``nn.Embedding`` (``"learned"``);
- ``L`` layers of per-relation mean aggregation summed per node type (``RelationalConv``, or
  ``HeteroConv({rel: SAGEConv(H, H)}, aggr="sum")``): each relation has its own weights (R-GCN-like) at
  SAGE's cost. Residual connection (a node keeps its own state when a relation brings little, and node
  types whose only edges were held out still get one), LayerNorm per type, ReLU and dropout between layers;
- output ``h[t]``: float ``(N_t, H)``;
- DistMult decoder: ``score(i, j) = sum_k h_src[i, k] * r[k] * h_dst[j, k] + b``, a logit; all pairs at once
  is ``(h_src * r) @ h_dst.T + b`` of shape ``(N_src, N_dst)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from pmkg.gnn.conv import RelationalConv, relation_plan
from pmkg.gnn.data import feature_dims, num_nodes_dict
from pmkg.gnn.path_features import PathBlock, PathFeaturizer, _support_reference
from torch import Tensor, nn
from torch_geometric.data import HeteroData
from torch_geometric.nn import GraphConv, HeteroConv, SAGEConv
from torch_geometric.utils import to_torch_csr_tensor

EdgeType = tuple[str, str, str]
CONVS = ("rel", "sage", "graph")
PAIR_CHUNK = 1 << 21  # pairs per column chunk of the reference scoring path (_score_graph_block_reference)
SCORE_BLOCK = 1 << 24  # pairs per column block when a hybrid scores a large block (score_graph_block)
MLP_CHUNK = 1 << 16  # pairs per path-MLP call: its (chunk, hidden) activations stay in cache (1 << 18: ~25% slower)
EMBEDDINGS = ("learned", "context", "random", "none")


class FixedEmbedding(nn.Module):
    """A random, frozen ``(N, H)`` identity code per node (a buffer, so it is saved with the weights).

    Why: learned per-node embeddings memorise the ~600 training edges (test AUPRC fell from ~0.04 to ~0.016
    on the Hetionet sample). Fixed random codes still let message passing tell nodes apart, so aggregated
    neighbourhoods that share nodes overlap in the DistMult product (the signal metapath counts such as
    DWPC capture), with nothing per node to overfit. On the sample they measured on par with no codes
    (``embeddings="none"``, the default), which keeps the model free of per-node parameters.
    """

    def __init__(self, num_nodes: int, hidden: int) -> None:
        super().__init__()
        self.register_buffer("weight", torch.randn(num_nodes, hidden))


class HeteroEncoder(nn.Module):
    """Node embeddings + structural features → ``num_layers`` of per-relation message passing."""

    def __init__(
        self,
        num_nodes: dict[str, int],
        feature_dims: dict[str, int],
        edge_types: list[EdgeType],
        hidden: int = 32,
        num_layers: int = 2,
        dropout: float = 0.2,
        conv: str = "rel",
        aggr: str = "mean",
        residual: bool = True,
        norm: bool = True,
        embeddings: str = "none",
        plain_types: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        if conv not in CONVS:
            raise ValueError(f"conv must be one of {CONVS}, got {conv!r}")
        if embeddings not in EMBEDDINGS:
            raise ValueError(f"embeddings must be one of {EMBEDDINGS}, got {embeddings!r}")
        self.node_types = sorted(num_nodes)
        self.dropout = dropout
        self.residual = residual
        if embeddings in ("learned", "context"):
            # "context": every type except ``plain_types`` (the target's drugs and diseases) learns a vector
            # per node. Classes, side effects, phenotypes, genes are shared by many drugs/diseases, so their
            # vectors carry "what treats what" without memorising one pair; drugs and diseases stay
            # inductive (features + messages only), which a zero-shot disease needs.
            learned = [t for t in self.node_types if embeddings == "learned" or t not in plain_types]
            self.embedding = nn.ModuleDict({t: nn.Embedding(num_nodes[t], hidden) for t in learned})
            for emb in self.embedding.values():
                # Small init: the features carry the signal at the start, the embeddings learn the residue.
                nn.init.normal_(emb.weight, std=0.1)
        elif embeddings == "random":
            self.embedding = nn.ModuleDict({t: FixedEmbedding(num_nodes[t], hidden) for t in self.node_types})
        else:
            self.embedding = nn.ModuleDict()
        self.feature_proj = nn.ModuleDict({t: nn.Linear(feature_dims[t], hidden) for t in self.node_types})

        def make(_: EdgeType) -> nn.Module:
            if conv == "sage":
                return SAGEConv(hidden, hidden, aggr=aggr)
            return GraphConv(hidden, hidden, aggr=aggr)

        if conv == "rel":
            if aggr != "mean":
                raise ValueError(f"conv='rel' aggregates with the mean only, got aggr={aggr!r}")
            layers = [RelationalConv(self.node_types, edge_types, hidden) for _ in range(num_layers)]
        else:
            layers = [HeteroConv({et: make(et) for et in edge_types}, aggr="sum") for _ in range(num_layers)]
        self.convs = nn.ModuleList(layers)
        # LayerNorm per type and layer: summing ~15 relations plus a residual grows activations by layer,
        # and unnormalised DistMult logits then start in the tens, which wasted the first ~20 epochs.
        self.norms = nn.ModuleList(
            nn.ModuleDict({t: nn.LayerNorm(hidden) if norm else nn.Identity() for t in self.node_types})
            for _ in range(num_layers)
        )

    def forward(self, x_dict: dict[str, Tensor], edge_dict: dict[EdgeType, Any]) -> dict[str, Tensor]:
        """``x_dict[t]`` (N_t, F_t), ``edge_dict[et]`` → ``{t: (N_t, H)}``.

        ``edge_dict[et]`` is what :meth:`LinkPredictor.inputs` builds for the conv type: a
        :class:`gnn.conv.RelationPlan` for ``"rel"``, else ``edge_index`` (2, E) or CSR (N_dst, N_src).
        """
        h = {t: self.feature_proj[t](x_dict[t]) for t in self.node_types}
        for t, emb in self.embedding.items():
            h[t] = h[t] + emb.weight
        for i, conv in enumerate(self.convs):
            out = conv(h, edge_dict[i] if isinstance(edge_dict, list) else edge_dict)
            new = {}
            for t in self.node_types:
                msg = out.get(t)
                if msg is None:
                    msg = torch.zeros_like(h[t])
                new[t] = self.norms[i][t](msg + h[t] if self.residual else msg)
                if i < len(self.convs) - 1:
                    new[t] = nn.functional.dropout(new[t].relu(), p=self.dropout, training=self.training)
            h = new
        return h


class DistMult(nn.Module):
    """Bilinear-diagonal decoder for one relation: ``score = <h_src, r, h_dst>``."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        # 1/sqrt(H) keeps initial logits O(1) for unit-variance (LayerNormed) embeddings.
        self.rel = nn.Parameter(torch.full((hidden,), hidden**-0.5))
        # A global bias lets BCE absorb the positive:negative ratio; it never changes a ranking.
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, h_src: Tensor, h_dst: Tensor) -> Tensor:
        """``h_src`` (P, H), ``h_dst`` (P, H) row-aligned pairs → logits (P,)."""
        return (h_src * self.rel * h_dst).sum(dim=-1) + self.bias

    def all_pairs(self, h_src: Tensor, h_dst: Tensor) -> Tensor:
        """``h_src`` (N_src, H), ``h_dst`` (N_dst, H) → logits (N_src, N_dst), one matrix product."""
        return (h_src * self.rel) @ h_dst.t() + self.bias


class PathScorer(nn.Module):
    """A learned function of a pair's path-count vector (:mod:`gnn.path_features`), added to the DistMult logit.

    ``x`` (S, M) raw DWPC values → ``mlp(asinh(x / scale))`` (S,). ``scale`` (M,) is a buffer set once from
    the training graph (mean non-zero value per metapath, as the DWPC baseline scales), so the features keep
    one meaning across epochs and after loading. A pair with no path at all scores ``mlp(0)``, which lets a
    whole ``(N_src, N_dst)`` block be built from its sparse support (:meth:`block`).
    """

    def __init__(self, num_paths: int, hidden: int) -> None:
        super().__init__()
        self.register_buffer("scale", torch.ones(num_paths))
        self.mlp = nn.Sequential(nn.Linear(num_paths, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.mlp(torch.asinh(x / self.scale)).squeeze(-1)

    def block(self, paths: PathBlock) -> Tensor:
        """Logits ``(R, C)`` of every pair of a :class:`gnn.path_features.PathBlock`."""
        rows, cols, x = paths.support()
        zero = self.forward(torch.zeros(1, self.scale.numel()))
        out = zero.expand(*paths.shape)
        if rows.size == 0:
            return out.clone()
        index = (torch.from_numpy(rows), torch.from_numpy(cols))
        return out.index_put(index, self.forward(torch.from_numpy(x)))

    def _block_reference(self, paths: PathBlock) -> Tensor:
        """:meth:`block` as it was, with the ``np.unique`` support (the scoring bench's reference)."""
        rows, cols, x = _support_reference(paths)
        zero = self.forward(torch.zeros(1, self.scale.numel()))
        out = zero.expand(*paths.shape)
        if rows.size == 0:
            return out.clone()
        index = (torch.from_numpy(rows), torch.from_numpy(cols))
        return out.index_put(index, self.forward(torch.from_numpy(x)))

    def support_logits(self, paths: PathBlock) -> tuple[np.ndarray, np.ndarray, Tensor]:
        """``(i, j, logits)``: the path logits (S,) of the block's pairs with a path, each ``forward`` of its
        vector; every other pair's is ``forward(0)``.

        The same values as :meth:`block` for a fraction of the work: ``asinh`` of the stored values only (it
        maps 0 to 0) and the MLP in chunks of :data:`MLP_CHUNK` pairs, so no ``(R, C)`` or ``(S, M)`` array.
        """
        i, j, pair, k, value = paths.support_entries()
        out = torch.empty(i.size, dtype=torch.float32)
        if i.size == 0:
            return i, j, out
        feats = torch.asinh(torch.from_numpy(value) / self.scale[torch.from_numpy(k)])
        pair_t, k_t = torch.from_numpy(pair), torch.from_numpy(k)
        bounds = np.searchsorted(pair, np.arange(0, i.size + MLP_CHUNK, MLP_CHUNK))
        for p0, e0, e1 in zip(range(0, i.size, MLP_CHUNK), bounds[:-1], bounds[1:], strict=False):
            p1 = min(p0 + MLP_CHUNK, i.size)
            x = torch.zeros(p1 - p0, self.scale.numel())
            x[pair_t[e0:e1] - p0, k_t[e0:e1]] = feats[e0:e1]
            for layer in self.mlp:  # self.mlp(x), with the ReLU in place
                x = x.relu_() if isinstance(layer, nn.ReLU) else layer(x)
            out[p0:p1] = x.squeeze(-1)
        return i, j, out

    def set_scale(self, paths: PathBlock) -> None:
        for k, mat in enumerate(paths.mats):
            self.scale[k] = float(mat.data.mean()) if mat.nnz else 1.0


class LinkPredictor(nn.Module):
    """Encoder + DistMult for ``target = (src_label, REL, dst_label)``, optionally + a path-feature term.

    With ``paths`` (metapath names of :data:`gnn.path_features.PAIR_PATHS`), the logit of a pair is
    ``DistMult(h_src, h_dst) + PathScorer(DWPC vector of the pair)``: the hybrid decoder. The path counts are
    read from the same message-passing graph as the embeddings, so they hold out exactly what it holds out.
    ``hparams`` holds everything needed to rebuild the module (see :meth:`from_hparams`); it is JSON-safe.
    """

    def __init__(
        self,
        num_nodes: dict[str, int],
        feature_dims: dict[str, int],
        edge_types: list[EdgeType],
        target: EdgeType,
        hidden: int = 32,
        num_layers: int = 2,
        dropout: float = 0.2,
        conv: str = "rel",
        aggr: str = "mean",
        residual: bool = True,
        norm: bool = True,
        embeddings: str = "none",
        sparse: bool = False,
        prune: bool = True,
        paths: tuple[str, ...] | list[str] = (),
        path_hidden: int = 32,
    ) -> None:
        super().__init__()
        edge_types = [tuple(et) for et in edge_types]
        self.paths = list(paths)
        self.target: EdgeType = tuple(target)  # type: ignore[assignment]
        self.sparse = sparse
        self.hparams: dict[str, Any] = {
            "num_nodes": dict(num_nodes), "feature_dims": dict(feature_dims),
            "edge_types": [list(et) for et in edge_types], "target": list(target), "hidden": hidden,
            "num_layers": num_layers, "dropout": dropout, "conv": conv, "aggr": aggr, "residual": residual,
            "norm": norm, "embeddings": embeddings, "sparse": sparse, "prune": prune,
            "paths": list(paths), "path_hidden": path_hidden,
        }
        self.encoder = HeteroEncoder(
            num_nodes, feature_dims, edge_types, hidden=hidden, num_layers=num_layers, dropout=dropout,
            conv=conv, aggr=aggr, residual=residual, norm=norm, embeddings=embeddings,
            plain_types=(self.target[0], self.target[2]),
        )
        self.decoder = DistMult(hidden)
        self.path_scorer = PathScorer(len(self.paths), path_hidden) if self.paths else None

    @classmethod
    def for_data(cls, data: HeteroData, target: EdgeType, **kwargs: Any) -> LinkPredictor:
        """Size the model from a message-passing graph built by :func:`gnn.data.to_heterodata`."""
        return cls(num_nodes_dict(data), feature_dims(data), list(data.edge_types), target, **kwargs)

    @classmethod
    def from_hparams(cls, hparams: dict[str, Any]) -> LinkPredictor:
        hp = dict(hparams)
        hp["edge_types"] = [tuple(et) for et in hp["edge_types"]]
        hp["target"] = tuple(hp["target"])
        return cls(**hp)

    def inputs(
        self, data: HeteroData, base: tuple[dict, dict] | None = None, changed: list[EdgeType] | None = None
    ) -> tuple[dict[str, Tensor], dict[EdgeType, Any]]:
        """``(x_dict, edge_dict)`` for :meth:`encode`; build once per graph and reuse across epochs.

        With ``base`` (inputs of a graph that differs only in the ``changed`` edge types), only those edge
        types are rebuilt: training swaps the target edges every epoch and the rest stays put.
        """
        x_dict = {t: data[t].x for t in data.node_types}
        todo = list(data.edge_types) if base is None or changed is None else list(changed)
        conv = self.hparams["conv"]
        if conv == "rel" and self.hparams.get("prune", True):
            return x_dict, self._pruned_plans(data, todo, base[1] if base is not None and changed is not None else None)
        edges = dict(base[1]) if base is not None and changed is not None else {}
        for et in todo:
            index = data[et].edge_index
            if conv == "rel":
                edges[et] = relation_plan(index, data[et[0]].num_nodes)
            elif self.sparse:
                size = (data[et[2]].num_nodes, data[et[0]].num_nodes)
                edges[et] = to_torch_csr_tensor(index.flip(0), size=size)
            else:
                edges[et] = index
        return x_dict, edges

    def _pruned_plans(
        self, data: HeteroData, todo: list[EdgeType], base: list[dict] | None
    ) -> list[dict[EdgeType, Any]]:
        """One plan dict per layer, keeping only edges whose destination the remaining layers need.

        Only the target's two node types are read after the last layer, so layer ``L`` needs messages into
        them only, layer ``L-1`` into their neighbours as well, and so on (PyG's ``trim_to_layer`` idea,
        full-batch). The outputs at the target types are unchanged; on the full graph a 2-layer epoch
        passes ~2.2M instead of ~5M messages.
        """
        num_layers = self.hparams["num_layers"]
        need = {t: torch.zeros(data[t].num_nodes, dtype=torch.bool) for t in data.node_types}
        for t in {self.target[0], self.target[2]}:
            need[t][:] = True
        masks: list[dict[str, Tensor]] = [need]
        for _ in range(num_layers - 1):
            prev = {t: m.clone() for t, m in masks[0].items()}
            for et in data.edge_types:
                index = data[et].edge_index
                prev[et[0]][index[0][masks[0][et[2]][index[1]]]] = True
            masks.insert(0, prev)
        layers = []
        for i, mask in enumerate(masks):
            plans = dict(base[i]) if base is not None else {}
            for et in todo:
                index = data[et].edge_index
                plans[et] = relation_plan(index[:, mask[et[2]][index[1]]], data[et[0]].num_nodes)
            layers.append(plans)
        return layers

    def embed(self, data: HeteroData) -> dict[str, Tensor]:
        """Node embeddings ``{t: (N_t, H)}`` for a message-passing graph (one-off; training caches inputs)."""
        return self.encode(*self.inputs(data))

    def encode(self, x_dict: dict[str, Tensor], edge_dict: dict[EdgeType, Any]) -> dict[str, Tensor]:
        return self.encoder(x_dict, edge_dict)

    def featurizer(self, data: HeteroData) -> PathFeaturizer | None:
        """The path-count featurizer of ``data`` for this model's metapaths (None for a pure GNN)."""
        return PathFeaturizer(data, self.target, self.paths) if self.paths else None

    def score_pairs(self, h: dict[str, Tensor], pairs: Tensor) -> Tensor:
        """DistMult logits (P,) of ``pairs`` int (2, P) of (src idx, dst idx); the path term is not included
        (training adds it from a block, see :func:`gnn.train.train`)."""
        src, _, dst = self.target
        return self.decoder(h[src][pairs[0]], h[dst][pairs[1]])

    def score_block(
        self, h: dict[str, Tensor], src_idx: Tensor, dst_idx: Tensor, paths: PathBlock | None = None
    ) -> Tensor:
        """Logits for every pair of ``src_idx`` (S,) × ``dst_idx`` (D,), shape (S, D).

        A hybrid model needs ``paths``, the :class:`PathBlock` of the same rows and columns.
        """
        src, _, dst = self.target
        logits = self.decoder.all_pairs(h[src][src_idx], h[dst][dst_idx])
        if self.path_scorer is None:
            return logits
        if paths is None or paths.shape != tuple(logits.shape):
            raise ValueError("a hybrid model scores a block with the PathBlock of the same rows and columns")
        return logits + self.path_scorer.block(paths)

    def score_graph_block(self, data: HeteroData, h: dict[str, Tensor], src_idx: Tensor, dst_idx: Tensor,
                          featurizer: PathFeaturizer | None = None) -> Tensor:
        """:meth:`score_block` with the path counts read from ``data`` (the graph ``h`` was computed on).

        Large blocks (all 61M pairs for the service) go in column blocks of about :data:`SCORE_BLOCK` pairs
        (:meth:`gnn.path_features.PathFeaturizer.blocks`): the DistMult logits are one matrix product, and
        per block the path MLP runs on the pairs with a path only; every other pair adds ``mlp(0)``, computed
        once. The values are :meth:`_score_graph_block_reference`'s (the per-chunk ``PathBlock`` route).
        """
        if self.path_scorer is None:
            return self.score_block(h, src_idx, dst_idx)
        featurizer = featurizer or self.featurizer(data)
        assert featurizer is not None
        src, _, dst = self.target
        logits = self.decoder.all_pairs(h[src][src_idx], h[dst][dst_idx])
        zero = self.path_scorer.forward(torch.zeros(1, self.path_scorer.scale.numel()))
        rows = src_idx.numpy()
        step = max(1, SCORE_BLOCK // max(1, rows.size))
        for start, paths in featurizer.blocks(rows, dst_idx.numpy(), step):
            view = logits[:, start : start + paths.cols.size]
            i, j, path_logits = self.path_scorer.support_logits(paths)
            index = (torch.from_numpy(i), torch.from_numpy(j))
            with_paths = view[index] + path_logits
            view.add_(zero)
            view.index_put_(index, with_paths)
        return logits

    def _score_graph_block_reference(self, data: HeteroData, h: dict[str, Tensor], src_idx: Tensor,
                                     dst_idx: Tensor, featurizer: PathFeaturizer | None = None) -> Tensor:
        """:meth:`score_graph_block` as it was: column chunks of :data:`PAIR_CHUNK` pairs, a ``PathBlock`` each,
        the MLP over its dense ``(S, M)`` support. Kept as the reference for the bench and the equality tests."""
        if self.path_scorer is None:
            return self.score_block(h, src_idx, dst_idx)
        featurizer = featurizer or self.featurizer(data)
        assert featurizer is not None
        src, _, dst = self.target
        rows = src_idx.numpy()
        step = max(1, PAIR_CHUNK // max(1, rows.size))
        parts = []
        for start in range(0, dst_idx.numel(), step):
            cols = dst_idx[start : start + step]
            paths = featurizer.block(rows, cols.numpy())
            logits = self.decoder.all_pairs(h[src][src_idx], h[dst][cols])
            parts.append(logits + self.path_scorer._block_reference(paths))
        if parts:
            return torch.cat(parts, dim=1)
        return self.score_block(h, src_idx, dst_idx, featurizer.block(rows, []))

    def score_all(self, h: dict[str, Tensor], data: HeteroData | None = None) -> Tensor:
        """Logits for every (src, dst) pair, shape (N_src, N_dst); a hybrid model needs its graph ``data``."""
        src, _, dst = self.target
        if self.path_scorer is None:
            return self.decoder.all_pairs(h[src], h[dst])
        if data is None:
            raise ValueError("a hybrid model scores all pairs with its message-passing graph: pass data")
        rows, cols = torch.arange(h[src].size(0)), torch.arange(h[dst].size(0))
        return self.score_graph_block(data, h, rows, cols)
