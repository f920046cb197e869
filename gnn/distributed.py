"""Data-parallel training across processes with ``torch.distributed`` (DDP), launched by ``torchrun``.

The GNN is full-batch: every process holds the whole message-passing graph and runs the whole encoder (the
graph is what the model reads, not what it is trained on). What is split across the ``world`` processes:

- each epoch's training pairs: every rank draws the same hidden positives and negatives (one seed), then keeps
  every ``world``-th one (:meth:`Ranks.take`), so the shards are disjoint and cover the epoch;
- the loss: a rank's mean loss is weighted by ``world × shard / total`` so that DDP's gradient *average* equals
  the single-process gradient of the mean over all pairs (the reduction order aside);
- the validation scoring: each rank scores a contiguous slice of the candidate diseases and the blocks are
  gathered (:func:`gather_columns`), so every rank takes the same early-stopping decision.

Gradients are all-reduced by :class:`torch.nn.parallel.DistributedDataParallel` (gloo on CPU; NCCL needs the
model on a GPU, which :func:`pmkg.gnn.train.train` does not do). Single process (no process group, or a
world of one) is exactly the code path it was: :func:`current` returns ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Ranks:
    """This process's place in the process group."""

    rank: int
    world: int

    def take(self, n: int) -> np.ndarray:
        """Indices of this rank's share of ``n`` items: every ``world``-th from ``rank`` (balanced, disjoint)."""
        return np.arange(self.rank, n, self.world)

    def columns(self, n: int) -> slice:
        """This rank's contiguous slice of ``n`` columns (rank order = column order, for :func:`gather_columns`)."""
        bounds = np.linspace(0, n, self.world + 1).round().astype(int)
        return slice(int(bounds[self.rank]), int(bounds[self.rank + 1]))


def current() -> Ranks | None:
    """The initialised process group's ranks, or ``None`` when this is a single process."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return None
    return Ranks(dist.get_rank(), dist.get_world_size())


def wrap(module: nn.Module, ranks: Ranks | None) -> nn.Module:
    """``module`` in DDP when distributed (its ``forward`` is what DDP syncs the gradients of), else itself.

    ``find_unused_parameters``: a pruned node type's input layer gets no gradient in an epoch, which DDP must
    know so as not to wait for it.
    """
    if ranks is None:
        return module
    return nn.parallel.DistributedDataParallel(module, find_unused_parameters=True)


def mean_over_ranks(value: float, ranks: Ranks | None) -> float:
    """The mean of ``value`` over the ranks (the epoch's loss as one process would report it)."""
    if ranks is None:
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t.item()) / ranks.world


def gather_columns(part: np.ndarray, n_cols: int, ranks: Ranks) -> np.ndarray:
    """The ``(R, n_cols)`` block whose column slice :meth:`Ranks.columns` each rank computed as ``part``."""
    rows = part.shape[0]
    widest = max(s.stop - s.start for s in (Ranks(r, ranks.world).columns(n_cols) for r in range(ranks.world)))
    padded = torch.zeros(rows, widest, dtype=torch.float32)
    padded[:, : part.shape[1]] = torch.from_numpy(np.ascontiguousarray(part, dtype=np.float32))
    parts = [torch.empty_like(padded) for _ in range(ranks.world)]
    dist.all_gather(parts, padded)
    out = np.empty((rows, n_cols), dtype=np.float32)
    for r, block in enumerate(parts):
        cols = Ranks(r, ranks.world).columns(n_cols)
        out[:, cols] = block[:, : cols.stop - cols.start].numpy()
    return out
