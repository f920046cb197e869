"""``train(export, TrainConfig) -> TrainResult``: split, build the graph, fit, early-stop, test.

One run, in order (PyKEEN's ``pipeline()`` shape: one entry point, the whole configuration recorded):

1. Split the target edges (:mod:`gnn.split`) before any negative is drawn.
2. Build the message-passing graph with the val and test edges removed in both directions
   (:func:`gnn.data.to_heterodata`); under ``disease_holdout`` every other Drug–Disease edge of a held-out
   disease (e.g. PALLIATES) goes too, unless ``holdout_drop_pair_edges`` is off.
3. Full-batch training, one optimiser step per epoch. Each epoch:
   - a fresh ``mp_target_dropout`` fraction of the training target edges is hidden from message passing
     (their endpoints' degree features recomputed) and only those are the epoch's positives. Without it the
     model learns "an edge already in the graph is a positive", a shortcut test edges never offer, and
     positives' degree features would count the very edge being predicted;
   - ``neg_ratio`` fresh negatives per positive, uniform over src × dst pairs that are not training
     positives (only training positives are excluded: val/test edges are unknown to the model);
     ``negatives="seen_dst"`` (the ``"auto"`` choice under ``disease_holdout``) draws destinations only from
     those with a training positive;
   - loss = binary cross-entropy on the DistMult logits of positives and negatives, plus
     ``rank_loss_weight`` × a filtered softmax cross-entropy of each positive against all sources of its
     destination (:func:`rank_loss`). BCE sets the global scale (AUROC/AUPRC across diseases), the
     softmax term the per-disease order (MRR/Hits@k); on the Hetionet sample adding it raised AUPRC
     1.4–2.4× and MRR 25–40% over BCE alone (3 seeds).
4. After each epoch, val AUROC over all pairs that are not training positives; the best epoch's weights
   are kept and training stops after ``patience`` epochs without improvement.
5. Test metrics for the GNN and the degree-product prior under the same protocol (:mod:`gnn.metrics`):
   test positives against every pair that is not a train/val positive.
"""

from __future__ import annotations

import copy
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch_geometric.data import HeteroData
from tqdm.auto import tqdm

from gnn import TARGET
from gnn.baselines import degree_product_scores
from gnn.data import export_checksum, pair_codes, remove_pairs, replace_edges, reverse_key, to_heterodata
from gnn.metrics import candidate_auroc, evaluate_ranking
from gnn.model import LinkPredictor
from gnn.split import EdgeSplit, make_split
from kg.export import EdgeKey, GraphExport

NEGATIVES = ("auto", "uniform", "seen_dst")


@dataclass
class TrainConfig:
    """Everything that determines a run (recorded verbatim in ``config.json``)."""

    epochs: int = 300
    hidden: int = 32
    num_layers: int = 2
    dropout: float = 0.2
    conv: str = "rel"
    aggr: str = "mean"
    residual: bool = True
    norm: bool = True
    embeddings: str = "none"
    sparse: bool = False
    lr: float = 0.01
    weight_decay: float = 0.0
    neg_ratio: int = 5
    negatives: str = "auto"  # "seen_dst" under disease_holdout, else "uniform" (see the module docstring)
    rank_loss_weight: float = 1.0
    mp_target_dropout: float = 0.3
    seed: int = 0
    val_frac: float = 0.1
    test_frac: float = 0.1
    split: str = "random"
    holdout_drop_pair_edges: bool = True
    patience: int = 30
    threads: int = 1

    def model_kwargs(self) -> dict[str, Any]:
        return {
            "hidden": self.hidden, "num_layers": self.num_layers, "dropout": self.dropout, "conv": self.conv,
            "aggr": self.aggr, "residual": self.residual, "norm": self.norm,
            "embeddings": self.embeddings, "sparse": self.sparse,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    """A trained model (eval mode, best-val weights) with everything needed to score, save and report."""

    model: LinkPredictor
    data: HeteroData  # the message-passing graph: val/test target edges absent in both directions
    split: EdgeSplit
    config: TrainConfig
    target: EdgeKey
    history: list[dict[str, float]]  # per epoch: epoch, loss, val_auroc, seconds
    test_metrics: dict[str, dict[str, float]]  # {"gnn": {...}, "degree_prior": {...}}
    val_metrics: dict[str, dict[str, float]]
    best_epoch: int
    seconds_per_epoch: float
    seconds_total: float
    node_ids: dict[str, list[str]] = field(repr=False)
    data_checksum: str = ""
    dropped_extra: dict[str, int] = field(default_factory=dict)  # non-target edges removed by the holdout


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def sample_negatives(
    rng: np.random.Generator,
    n: int,
    num_src: int,
    num_dst: int,
    exclude_codes: np.ndarray,
    dst_pool: np.ndarray | None = None,
) -> np.ndarray:
    """``n`` uniform (src, dst) pairs, shape (2, n), none of whose codes is in ``exclude_codes`` (sorted).

    ``dst_pool`` restricts the destinations to those indices (default: all). Rejection sampling: positives
    are a tiny fraction of all pairs, so one or two rounds suffice.
    """
    out = np.empty((2, 0), dtype=np.int64)
    while out.shape[1] < n:
        m = int((n - out.shape[1]) * 1.1) + 8
        dst = rng.integers(0, num_dst, m) if dst_pool is None else rng.choice(dst_pool, m)
        cand = np.stack([rng.integers(0, num_src, m), dst])
        codes = pair_codes(cand, num_dst)
        pos = np.searchsorted(exclude_codes, codes).clip(max=max(len(exclude_codes) - 1, 0))
        hit = exclude_codes[pos] == codes if len(exclude_codes) else np.zeros(m, dtype=bool)
        out = np.concatenate([out, cand[:, ~hit]], axis=1)
    return out[:, :n]


def rank_loss(scores: torch.Tensor, positives: np.ndarray, known: torch.Tensor) -> torch.Tensor:
    """Filtered 1-vs-all softmax cross-entropy per destination (disease) over all sources (drugs).

    For a positive ``(d, s)`` the logits are column ``s`` of ``scores`` (N_src, N_dst) with the other
    known positives of ``s`` masked out; the loss is ``-log softmax(column)[d]``. This trains the
    per-disease ordering that MRR/Hits@k measure, which sampled BCE only sees through a few negatives.
    """
    masked = scores.masked_fill(known, float("-inf"))  # (N_src, N_dst)
    lse_others = torch.logsumexp(masked, dim=0)  # (N_dst,)
    src, dst = torch.from_numpy(positives[0]), torch.from_numpy(positives[1])
    pos = scores[src, dst]
    return (torch.logaddexp(lse_others[dst], pos) - pos).mean()


def holdout_drop(
    export: GraphExport, target: EdgeKey, split: EdgeSplit, enabled: bool
) -> dict[EdgeKey, np.ndarray]:
    """Edges to remove from message passing: val/test target edges, plus (disease holdout) every other edge
    between the target's two labels that touches a held-out destination node."""
    drop: dict[EdgeKey, np.ndarray] = {target: split.held_out()}
    if not (enabled and split.held_out_dst):
        return drop
    held = np.concatenate(list(split.held_out_dst.values()))
    src_label, _, dst_label = target
    for key, edges in export.edges.items():
        if key == target:
            continue
        if (key[0], key[2]) == (src_label, dst_label):
            drop[key] = edges[:, np.isin(edges[1], held)]
        elif (key[0], key[2]) == (dst_label, src_label):
            drop[key] = edges[:, np.isin(edges[0], held)]
    return drop


def train(
    export: GraphExport, config: TrainConfig, target: EdgeKey = TARGET, progress: bool = True
) -> TrainResult:
    """Train and evaluate one model on ``export`` for the ``target`` relation. See the module docstring.

    Sets ``torch.set_num_threads(config.threads)`` for the process (process-global in torch) and seeds
    ``random``, ``numpy`` and ``torch``: a run is bit-for-bit repeatable for a fixed thread count (float
    reduction order, hence the numbers, changes with the thread count).
    """
    t_start = time.perf_counter()
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    if target not in export.edges:
        raise ValueError(
            f"target {target!r} is not in export.edges (have {sorted(export.edges)}); "
            "export the target relation or pass target=..."
        )
    if config.negatives not in NEGATIVES:
        raise ValueError(f"negatives must be one of {NEGATIVES}, got {config.negatives!r}")
    src_label, _, dst_label = target
    n_src, n_dst = export.num_nodes(src_label), export.num_nodes(dst_label)
    split = make_split(export.edges[target], config.split, config.val_frac, config.test_frac, config.seed)
    drop = holdout_drop(export, target, split, config.holdout_drop_pair_edges)
    data = to_heterodata(export, drop)
    dropped_extra = {"|".join(k): int(v.shape[1]) for k, v in drop.items() if k != target}

    model = LinkPredictor.for_data(data, target, **config.model_kwargs())
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)
    train_codes = np.sort(pair_codes(split.train, n_dst))
    # "seen_dst": only destinations with a training positive. Otherwise diseases without any training edge
    # (all held-out ones, under disease_holdout) appear only as negatives and learn "no edge = negative".
    # Under a random split that same signal is right (diseases with no indication rarely gain one), so
    # "auto" picks per scheme; measured on the sample, each choice wins on its own scheme.
    negatives = config.negatives
    if negatives == "auto":
        negatives = "seen_dst" if config.split == "disease_holdout" else "uniform"
    dst_pool = np.unique(split.train[1]) if negatives == "seen_dst" else None
    full_inputs = model.inputs(data)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    train_mask = torch.zeros(n_src, n_dst, dtype=torch.bool)
    train_mask[torch.from_numpy(split.train[0]), torch.from_numpy(split.train[1])] = True

    history: list[dict[str, float]] = []
    best_auroc, best_epoch, best_state, stale = -np.inf, 0, copy.deepcopy(model.state_dict()), 0
    bar = tqdm(range(1, config.epochs + 1), desc="train", unit="epoch", disable=None if progress else True)
    for epoch in bar:
        t0 = time.perf_counter()
        model.train()
        if config.mp_target_dropout > 0:
            n_sup = max(1, round(split.train.shape[1] * config.mp_target_dropout))
            sup = split.train[:, rng.choice(split.train.shape[1], n_sup, replace=False)]
            epoch_graph = replace_edges(data, target, remove_pairs(split.train, sup, n_dst))
            inputs = model.inputs(epoch_graph, base=full_inputs, changed=[target, reverse_key(target)])
        else:
            sup, inputs = split.train, full_inputs
        neg = sample_negatives(rng, sup.shape[1] * config.neg_ratio, n_src, n_dst, train_codes, dst_pool)
        pairs = torch.from_numpy(np.concatenate([sup, neg], axis=1))
        labels = torch.cat([torch.ones(sup.shape[1]), torch.zeros(neg.shape[1])])
        optimizer.zero_grad()
        h = model.encode(*inputs)
        loss = loss_fn(model.score_pairs(h, pairs), labels)
        if config.rank_loss_weight > 0:
            loss = loss + config.rank_loss_weight * rank_loss(model.score_all(h), sup, train_mask)
        loss.backward()
        optimizer.step()

        val_auroc = float("nan")
        if split.val.shape[1]:
            scores = _all_scores(model, full_inputs)
            val_auroc = candidate_auroc(scores, split.val, split.train)
        seconds = time.perf_counter() - t0
        history.append({"epoch": epoch, "loss": float(loss.detach()), "val_auroc": val_auroc, "seconds": seconds})
        bar.set_postfix(loss=f"{float(loss.detach()):.4f}", val_auroc=f"{val_auroc:.4f}")

        if not split.val.shape[1]:
            best_epoch, best_state = epoch, None
            continue
        if val_auroc > best_auroc:
            best_auroc, best_epoch, stale = val_auroc, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= config.patience:
                break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()

    gnn_scores = _all_scores(model, full_inputs)
    prior = degree_product_scores(split.train, n_src, n_dst)
    test_metrics = {
        "gnn": evaluate_ranking(gnn_scores, split.test, split.known_for_test(), seed=config.seed),
        "degree_prior": evaluate_ranking(prior, split.test, split.known_for_test(), seed=config.seed),
    }
    val_metrics = {}
    if split.val.shape[1]:
        val_metrics = {
            "gnn": evaluate_ranking(gnn_scores, split.val, split.train, seed=config.seed),
            "degree_prior": evaluate_ranking(prior, split.val, split.train, seed=config.seed),
        }
    return TrainResult(
        model=model, data=data, split=split, config=config, target=target, history=history,
        test_metrics=test_metrics, val_metrics=val_metrics, best_epoch=best_epoch,
        seconds_per_epoch=float(np.mean([r["seconds"] for r in history])) if history else float("nan"),
        seconds_total=time.perf_counter() - t_start, node_ids=export.node_ids,
        data_checksum=export_checksum(export), dropped_extra=dropped_extra,
    )


@torch.no_grad()
def _all_scores(model: LinkPredictor, inputs: tuple[dict, dict]) -> np.ndarray:
    was_training = model.training
    model.eval()
    scores = model.score_all(model.encode(*inputs)).numpy()
    model.train(was_training)
    return scores
