"""``train(export, TrainConfig) -> TrainResult``: split, build the graph, fit, early-stop.

Evaluation is not here: :mod:`pmkg.gnn.evaluate` scores a fitted result's held-out pairs and every baseline.

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
   - ``neg_ratio`` fresh negatives per positive over candidate drugs × diseases that have a training
     positive (``"seen_dst"``, the default), or × every disease (``"uniform"``); never a training positive
     (val/test edges are unknown to the model, so they may be drawn as negatives);
   - loss = binary cross-entropy on the DistMult logits of positives and negatives, plus
     ``rank_loss_weight`` × a filtered softmax cross-entropy of each positive against all candidate drugs
     of its destination (:func:`rank_loss`). BCE sets the global scale (AUROC/AUPRC across diseases), the
     softmax term the per-disease order (MRR/Hits@k); on the Hetionet sample adding it raised AUPRC
     1.4–2.4× and MRR 25–40% over BCE alone (3 seeds).
4. After each epoch, validation AUROC and MRR over the validation candidates (:mod:`gnn.candidates`:
   candidate drugs × evaluation diseases, or × the validation diseases under a disease holdout); the epoch
   with the best ``(AUROC + MRR) / 2`` is kept and training stops after ``patience`` epochs without
   improvement.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import scipy.sparse as sp
import torch
from pmkg.gnn import TARGET, distributed
from pmkg.gnn.candidates import Candidates, evaluation_candidates
from pmkg.gnn.data import export_checksum, pair_codes, remove_pairs, replace_edges, reverse_key, to_heterodata
from pmkg.gnn.features import similarity_edges, target_spectral
from pmkg.gnn.metrics import evaluate_candidates
from pmkg.gnn.model import LinkPredictor
from pmkg.gnn.path_features import DEFAULT_PATHS, PathBlock
from pmkg.gnn.split import EdgeSplit, make_split
from pmkg.kg.export import EdgeKey, GraphExport
from torch import nn
from torch_geometric.data import HeteroData
from tqdm.auto import tqdm

Negatives = Literal["auto", "uniform", "seen_dst"]
HideUnit = Literal["auto", "edge", "disease"]
SplitScheme = Literal["random", "disease_holdout", "disease_set", "none"]
Conv = Literal["rel", "sage", "graph"]
Aggr = Literal["mean", "sum", "max"]
Embeddings = Literal["none", "learned", "context", "random"]
NEGATIVES: tuple[str, ...] = get_args(Negatives)
HIDE_UNITS: tuple[str, ...] = get_args(HideUnit)
CHOICES: dict[str, tuple[str, ...]] = {
    "negatives": NEGATIVES, "hide_unit": HIDE_UNITS, "split": get_args(SplitScheme), "conv": get_args(Conv),
    "aggr": get_args(Aggr), "embeddings": get_args(Embeddings),
}


@dataclass
class TrainConfig:
    """Everything that determines a run (recorded verbatim in ``config.json``).

    Encoder:
        hidden: width of every node representation.
        num_layers: message-passing layers.
        dropout: dropout between layers.
        conv: ``"rel"`` (relation-wise mean, :mod:`pmkg.gnn.conv`), or PyG's ``"sage"`` / ``"graph"`` in a
            ``HeteroConv``.
        aggr: neighbour aggregation for ``"sage"``/``"graph"`` (``"rel"`` always takes the mean).
        residual: add each layer's input to its output.
        norm: LayerNorm after each layer.
        embeddings: node input features besides the structural ones: ``"none"``, ``"learned"`` (one vector per
            node), ``"context"`` (learned for types without features) or ``"random"`` (fixed codes).
        sparse: CSR adjacency instead of ``edge_index`` for ``"sage"``/``"graph"``.
        prune: drop node and edge types that cannot reach the target within ``num_layers`` hops.
        spectral_dim: spectral identity features of drugs and diseases (:mod:`pmkg.gnn.features`); 0 = none.
        spectral_within_label: also read Disease–Disease (``IS_A``, ``RESEMBLES``) and Drug–Drug edges into those
            features (never a Drug–Disease edge).
        similarity_k: kNN ``SIMILAR_PROFILE`` edges per drug/disease from those features; 0 = none.
    Decoder:
        exclude_relations: relationship types the model never reads (message passing, spectral features, kNN
            edges, path counts), as a type (``IN_THERAPEUTIC_CLASS``) or one typed triple
            (``Drug-INTERACTS_WITH-Drug``). Therapeutic-use class memberships restate indications (label proxies);
            the docs' "Model and evaluation" page gives the ablation behind the default. Drug-drug interactions are
            safety knowledge for patients, not evidence of efficacy, and the release model was validated without them.
        paths: metapaths of the hybrid decoder's path term (:mod:`pmkg.gnn.path_features`); ``()`` = pure GNN.
            All of them was chosen over the target-step ones only on validation MRR (full graph, random fold 0
            and disease-holdout folds 0-4).
        path_hidden: width of the path term's MLP.
    Optimisation:
        epochs: maximum epochs (the exact number when there is no validation set).
        lr, weight_decay: Adam's.
        neg_ratio: sampled negatives per positive.
        negatives: where negatives' diseases come from: ``"seen_dst"`` (diseases with a training positive),
            ``"uniform"`` (every disease); ``"auto"`` is ``"seen_dst"`` on zero-shot splits (a held-out disease
            must not appear only as a negative) and ``"uniform"`` otherwise (chosen on the external set: see the
            docs' "Model and evaluation").
        rank_loss_weight: weight of the filtered per-disease softmax term (:func:`rank_loss`).
        mp_target_dropout: share of training target edges (or diseases, see ``hide_unit``) hidden from message
            passing and path counts each epoch, and predicted.
        hide_unit: what an epoch hides: ``"edge"``, ``"disease"``, or ``"auto"`` (diseases on zero-shot splits).
        patience: epochs without a better validation score before stopping.
        threads: torch threads; 1 is robust when the graph server shares the cores.
        seed: initialisation, negatives and (unless ``split_seed`` is set) the partition.
    Split:
        split: ``"random"``, ``"disease_holdout"``, ``"disease_set"`` (a given set of test diseases) or
            ``"none"`` (every label trains: a release refit, with a fixed number of epochs).
        val_frac, test_frac: shares of the labels held out for validation and test.
        folds, fold: ``folds >= 2`` selects k-fold; test is fold ``fold`` of a ``split_seed`` permutation.
        split_seed: the partition's seed (``None``: ``seed``).
        holdout_drop_pair_edges: under a disease holdout, also remove the held-out diseases' other drug edges
            (e.g. ``PALLIATES``) from message passing.
        crossfit_negatives: with ``folds``, never draw as a negative a pair whose hashed fold is ``fold``: those
            pairs are the ones this fold model scores out of fold (:mod:`pmkg.gnn.crossfit`).
    """

    epochs: int = 150
    hidden: int = 32
    num_layers: int = 2
    dropout: float = 0.2
    conv: Conv = "rel"
    aggr: Aggr = "mean"
    residual: bool = True
    norm: bool = True
    embeddings: Embeddings = "none"
    sparse: bool = False
    prune: bool = True
    spectral_dim: int = 128
    spectral_within_label: bool = False
    similarity_k: int = 10
    lr: float = 0.01
    weight_decay: float = 0.0
    neg_ratio: int = 5
    negatives: Negatives = "auto"
    rank_loss_weight: float = 1.0
    mp_target_dropout: float = 0.3
    seed: int = 0
    val_frac: float = 0.1
    test_frac: float = 0.1
    split: SplitScheme = "random"
    folds: int = 0
    fold: int = 0
    split_seed: int | None = None
    holdout_drop_pair_edges: bool = True
    crossfit_negatives: bool = False
    patience: int = 20
    threads: int = 1
    paths: tuple[str, ...] = DEFAULT_PATHS
    path_hidden: int = 32
    hide_unit: HideUnit = "auto"
    exclude_relations: tuple[str, ...] = ("IN_THERAPEUTIC_CLASS", "Drug-INTERACTS_WITH-Drug")

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"TrainConfig.{name} must be one of {', '.join(allowed)}; got {value!r}")
        for name in ("epochs", "hidden", "num_layers", "neg_ratio", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be at least 1; got {getattr(self, name)!r}")
        for name in ("dropout", "mp_target_dropout", "val_frac", "test_frac"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"TrainConfig.{name} must be in [0, 1); got {getattr(self, name)!r}")
        if self.folds == 1 or self.folds < 0 or (self.folds and not 0 <= self.fold < self.folds):
            raise ValueError(
                f"TrainConfig.folds must be 0 or >= 2 with 0 <= fold < folds; got folds={self.folds}, fold={self.fold}"
            )
        self.paths = tuple(self.paths)
        self.exclude_relations = tuple(self.exclude_relations)

    def model_kwargs(self) -> dict[str, Any]:
        return {
            "hidden": self.hidden, "num_layers": self.num_layers, "dropout": self.dropout, "conv": self.conv,
            "aggr": self.aggr, "residual": self.residual, "norm": self.norm,
            "embeddings": self.embeddings, "sparse": self.sparse, "prune": self.prune,
            "paths": tuple(self.paths), "path_hidden": self.path_hidden,
        }

    def negative_diseases(self) -> str:
        """``"uniform"`` or ``"seen_dst"``: where this run's negatives' diseases come from."""
        if self.negatives == "auto":
            return "seen_dst" if self.split in ("disease_holdout", "disease_set") else "uniform"
        return self.negatives

    def hides_diseases(self) -> bool:
        """Whether each epoch hides whole destination nodes (zero-shot splits) rather than single edges."""
        if self.hide_unit == "auto":
            return self.split in ("disease_holdout", "disease_set")
        return self.hide_unit == "disease"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    """A fitted model (eval mode, best-val weights) and its history: what :mod:`pmkg.gnn.evaluate` evaluates.

    ``train`` fits; it computes no test metric. The split and its candidates are kept so that evaluation ranks
    exactly the pairs the split held out.
    """

    model: LinkPredictor
    data: HeteroData  # the message-passing graph: val/test target edges absent in both directions
    split: EdgeSplit
    config: TrainConfig
    target: EdgeKey
    history: list[dict[str, float]]  # per epoch: epoch, loss, val_auroc, val_mrr, seconds
    best_epoch: int
    seconds_per_epoch: float
    seconds_total: float
    node_ids: dict[str, list[str]] = field(repr=False)
    data_checksum: str = ""
    dropped_extra: dict[str, int] = field(default_factory=dict)  # non-target edges removed by the holdout
    drop: dict[EdgeKey, np.ndarray] = field(default_factory=dict, repr=False)  # everything held out of the graph
    test_candidates: Candidates | None = field(default=None, repr=False)
    val_candidates: Candidates | None = field(default=None, repr=False)
    val_scores: np.ndarray | None = field(default=None, repr=False)  # GNN logits over val_candidates
    test_paths: PathBlock | None = field(default=None, repr=False)  # path counts of the test candidates
    train_seconds: float = 0.0  # the fit alone (no split, graph build or test scoring)


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
    src_pool: np.ndarray | None = None,
    reject: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """``n`` uniform (src, dst) pairs, shape (2, n), none of whose codes is in ``exclude_codes`` (sorted).

    ``src_pool``/``dst_pool`` restrict the sources/destinations to those indices (default: all); ``reject``
    marks further pair codes that may not be drawn (it returns a boolean mask of the codes). Rejection
    sampling: positives are a tiny fraction of all pairs, so one or two rounds suffice.
    """
    out = np.empty((2, 0), dtype=np.int64)
    while out.shape[1] < n:
        m = int((n - out.shape[1]) * 1.1) + 8
        dst = rng.integers(0, num_dst, m) if dst_pool is None else rng.choice(dst_pool, m)
        src = rng.integers(0, num_src, m) if src_pool is None else rng.choice(src_pool, m)
        cand = np.stack([src, dst])
        codes = pair_codes(cand, num_dst)
        pos = np.searchsorted(exclude_codes, codes).clip(max=max(len(exclude_codes) - 1, 0))
        hit = exclude_codes[pos] == codes if len(exclude_codes) else np.zeros(m, dtype=bool)
        if reject is not None:
            hit |= reject(codes)
        out = np.concatenate([out, cand[:, ~hit]], axis=1)
    return out[:, :n]


def rank_loss(scores: torch.Tensor, positives: np.ndarray, known: torch.Tensor) -> torch.Tensor:
    """Filtered 1-vs-all softmax cross-entropy per destination (disease) over all sources (drugs).

    For a positive ``(d, s)`` the logits are column ``s`` of ``scores`` (N_src, N_dst) with the other
    known positives of ``s`` masked out; the loss is ``-log softmax(column)[d]``. This trains the
    per-disease ordering that MRR/Hits@k measure, which sampled BCE only sees through a few negatives.
    ``positives`` index rows and columns of ``scores`` (e.g. a candidate block).
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


_SPECTRAL_CACHE: dict[tuple, tuple[GraphExport, dict[str, np.ndarray]]] = {}
_INPUT_CACHE: dict[tuple, tuple[GraphExport, GraphExport]] = {}


def is_excluded(key: EdgeKey, excluded: tuple[str, ...]) -> bool:
    """True when ``excluded`` names the edge type ``key`` by its relationship or as ``Source-REL-Target``."""
    return key[1] in excluded or "-".join(key) in excluded


def without_relations(export: GraphExport, excluded: tuple[str, ...]) -> GraphExport:
    """``export`` without the edge types ``excluded`` names (:func:`is_excluded`); ``export`` itself if none."""
    if not excluded or not any(is_excluded(key, excluded) for key in export.edges):
        return export
    edges = {key: pairs for key, pairs in export.edges.items() if not is_excluded(key, excluded)}
    return GraphExport(node_ids=export.node_ids, edges=edges, node_names=export.node_names)


def model_inputs(export: GraphExport, config: TrainConfig) -> GraphExport:
    """``export`` without the relationship types the model must not read (``config.exclude_relations``).

    The same view (one object per export and exclusion set, so the spectral cache keeps working) for training,
    for reloading a saved model and for the baselines scored beside it.
    """
    excluded = tuple(sorted(config.exclude_relations))
    if not excluded or not any(is_excluded(key, excluded) for key in export.edges):
        return export
    key = (id(export), excluded)
    cached = _INPUT_CACHE.get(key)
    if cached is not None and cached[0] is export:
        return cached[1]
    view = without_relations(export, excluded)
    _INPUT_CACHE.clear()
    _INPUT_CACHE[key] = (export, view)
    return view


def spectral_for(export: GraphExport, target: EdgeKey, config: TrainConfig) -> dict[str, np.ndarray]:
    """The run's spectral node features; they never read an edge between the target's labels, so they are the
    same for every split of one export and are computed once per export (the last one is kept)."""
    key = (id(export), tuple(target), config.spectral_dim, config.spectral_within_label)
    cached = _SPECTRAL_CACHE.get(key)
    if cached is not None and cached[0] is export:
        return cached[1]
    num_nodes = {label: export.num_nodes(label) for label in export.node_ids}
    features = target_spectral(
        export.edges, num_nodes, target, config.spectral_dim, within_label=config.spectral_within_label
    )
    _SPECTRAL_CACHE.clear()
    _SPECTRAL_CACHE[key] = (export, features)
    return features


def derived_graph(
    export: GraphExport, drop: dict[EdgeKey, np.ndarray], target: EdgeKey, config: TrainConfig
) -> HeteroData:
    """The message-passing graph with the run's derived features and edges (both target-edge free)."""
    spectral = spectral_for(export, target, config)
    return to_heterodata(export, drop, spectral, similarity_edges(spectral, config.similarity_k))


def split_candidates(base: Candidates, split: EdgeSplit) -> tuple[Candidates, Candidates]:
    """(test, val) candidates: under a disease holdout only the held-out diseases' columns are ranked.

    Pairs of training diseases are no zero-shot question; counting them as negatives of a held-out
    disease's ranking would mix two tasks into one AUROC.
    """
    if not split.held_out_dst:
        return base, base
    return (Candidates(base.src, np.asarray(split.held_out_dst["test"])),
            Candidates(base.src, np.asarray(split.held_out_dst["val"])))


def train(
    export: GraphExport,
    config: TrainConfig,
    target: EdgeKey = TARGET,
    progress: bool = True,
    test_dst: np.ndarray | None = None,
) -> TrainResult:
    """Train and evaluate one model on ``export`` for the ``target`` relation. See the module docstring.

    ``test_dst`` (destination indices) is required by ``config.split == "disease_set"``: e.g. the diseases
    of one TxGNN disease area.

    Sets ``torch.set_num_threads(config.threads)`` for the process (process-global in torch) and seeds
    ``random``, ``numpy`` and ``torch``: a run is bit-for-bit repeatable for a fixed thread count (float
    reduction order, hence the numbers, changes with the thread count).
    """
    t_start = time.perf_counter()
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    export = model_inputs(export, config)
    if target not in export.edges:
        raise ValueError(
            f"target {target!r} is not in export.edges (have {sorted(export.edges)}); "
            "export the target relation or pass target=..."
        )
    src_label, _, dst_label = target
    n_src, n_dst = export.num_nodes(src_label), export.num_nodes(dst_label)
    split = make_split(
        export.edges[target], config.split, config.val_frac, config.test_frac, config.seed,
        folds=config.folds, fold=config.fold, split_seed=config.split_seed, test_dst=test_dst,
    )
    drop = holdout_drop(export, target, split, config.holdout_drop_pair_edges)
    data = derived_graph(export, drop, target, config)
    dropped_extra = {"|".join(k): int(v.shape[1]) for k, v in drop.items() if k != target}
    test_cands, val_cands = split_candidates(evaluation_candidates(export, target), split)

    model = LinkPredictor.for_data(data, target, **config.model_kwargs())
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)
    train_codes = np.sort(pair_codes(split.train, n_dst))
    # Negatives come from the candidate drugs (the ones every ranking covers). On a zero-shot split their
    # diseases are those with a training positive: a held-out disease would otherwise appear only as a
    # negative and the model would learn "no edge = negative", which the test diseases violate.
    dst_pool = None if config.negative_diseases() == "uniform" else np.unique(split.train[1])
    src_pool = test_cands.src
    full_inputs = model.inputs(data)
    rank_src = torch.from_numpy(src_pool)
    src_pos = np.full(n_src, -1, dtype=np.int64)
    src_pos[src_pool] = np.arange(src_pool.size)
    ranks = distributed.current()
    objective = distributed.wrap(
        EpochLoss(model, config.rank_loss_weight, split.train, rank_src, src_pos), ranks
    )
    featurizer = model.featurizer(data)
    val_paths = test_paths = None
    if featurizer is not None:
        assert model.path_scorer is not None
        # Path counts of val/test pairs use the training edges only (the graph's); the scale is theirs too.
        model.path_scorer.set_scale(featurizer.block(src_pool, np.unique(split.train[1])))
        val_paths = featurizer.block(val_cands.src, val_cands.dst)
        test_paths = featurizer.block(test_cands.src, test_cands.dst)
    hide_diseases = config.hides_diseases()
    train_dst = np.unique(split.train[1])
    pair_keys = [k for k in data.edge_types if k != target and (k[0], k[2]) == (src_label, dst_label)]
    reject_fold = None
    if config.crossfit_negatives and config.folds:
        from pmkg.gnn.crossfit import pair_folds

        def reject_fold(codes: np.ndarray) -> np.ndarray:
            return pair_folds(codes, config.folds, config.seed) == config.fold

    history: list[dict[str, float]] = []
    best_sel, best_epoch, best_state, stale = -np.inf, 0, copy.deepcopy(model.state_dict()), 0
    t_fit = time.perf_counter()
    bar = tqdm(range(1, config.epochs + 1), desc="train", unit="epoch", disable=None if progress else True)
    for epoch in bar:
        t0 = time.perf_counter()
        model.train()
        visible = split.train
        hidden_dst = None
        if config.mp_target_dropout > 0:
            sup = hidden_positives(rng, split.train, config.mp_target_dropout, hide_diseases, train_dst)
            visible = remove_pairs(split.train, sup, n_dst)
            epoch_graph = replace_edges(data, target, visible)
            changed = [target, reverse_key(target)]
            if hide_diseases and config.holdout_drop_pair_edges:
                # A hidden disease loses its other drug edges (PALLIATES) as a held-out disease does.
                hidden_dst = np.unique(sup[1])
                for key in pair_keys:
                    edges = data[key].edge_index.numpy()
                    epoch_graph = replace_edges(epoch_graph, key, edges[:, ~np.isin(edges[1], hidden_dst)])
                    changed += [key, reverse_key(key)]
            inputs = model.inputs(epoch_graph, base=full_inputs, changed=changed)
        else:
            sup, inputs = split.train, full_inputs
        # Zero-shot epochs contrast a hidden disease's drugs with other drugs of the hidden diseases only.
        pool = np.unique(sup[1]) if hide_diseases and dst_pool is not None else dst_pool
        neg = sample_negatives(
            rng, sup.shape[1] * config.neg_ratio, n_src, n_dst, train_codes, pool, src_pool, reject_fold
        )
        n_pairs, n_sup = sup.shape[1] + neg.shape[1], sup.shape[1]
        if ranks is not None:  # every rank drew the same pairs; each trains on its own share of them
            sup, neg = sup[:, ranks.take(sup.shape[1])], neg[:, ranks.take(neg.shape[1])]
        pairs = np.concatenate([sup, neg], axis=1)
        labels = torch.cat([torch.ones(sup.shape[1]), torch.zeros(neg.shape[1])])
        optimizer.zero_grad()
        cols = np.unique(pairs[1])
        paths = None
        if featurizer is not None:
            # The epoch's world: its hidden positives are absent from the path counts as from message passing.
            paths = featurizer.block(src_pool, cols, visible)
            if hidden_dst is not None:
                paths = without_pair_paths(paths, featurizer.names, hidden_dst)
        world = 1 if ranks is None else ranks.world
        loss = objective(
            inputs, pairs, labels, sup, paths, cols,
            world * pairs.shape[1] / n_pairs, world * sup.shape[1] / max(n_sup, 1),
        )
        loss.backward()
        optimizer.step()
        epoch_loss = distributed.mean_over_ranks(float(loss.detach()), ranks)

        val_auroc = val_mrr = float("nan")
        if split.val.shape[1]:
            val_block = scores_over_ranks(model, full_inputs, val_cands, val_paths, ranks)
            m = evaluate_candidates(val_block, val_cands, split.val, split.train)
            val_auroc, val_mrr = m["auroc"], m["mrr"]
        seconds = time.perf_counter() - t0
        history.append({"epoch": epoch, "loss": epoch_loss, "val_auroc": val_auroc, "val_mrr": val_mrr,
                        "seconds": seconds, "pairs": int(pairs.shape[1])})
        bar.set_postfix(loss=f"{epoch_loss:.4f}", val_auroc=f"{val_auroc:.4f}", val_mrr=f"{val_mrr:.3f}")

        if not split.val.shape[1]:
            best_epoch, best_state = epoch, None
            continue
        selection = (val_auroc + val_mrr) / 2
        if selection > best_sel:
            best_sel, best_epoch, stale = selection, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= config.patience:
                break
    bar.close()
    train_seconds = time.perf_counter() - t_fit
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()

    val_scores = scores_over_ranks(model, full_inputs, val_cands, val_paths, ranks) if split.val.shape[1] else None
    return TrainResult(
        model=model, data=data, split=split, config=config, target=target, history=history, best_epoch=best_epoch,
        seconds_per_epoch=float(np.mean([r["seconds"] for r in history])) if history else float("nan"),
        seconds_total=time.perf_counter() - t_start, node_ids=export.node_ids,
        data_checksum=export_checksum(export), dropped_extra=dropped_extra, drop=drop,
        test_candidates=test_cands, val_candidates=val_cands, val_scores=val_scores, test_paths=test_paths,
        train_seconds=train_seconds,
    )


class EpochLoss(nn.Module):
    """One epoch's loss from the encoder's inputs and the epoch's pairs: a module, so that DDP (which syncs the
    gradients of a ``forward``) can wrap it.

    Loss = ``bce_weight`` × BCE (mean over ``pairs``) + ``rank_weight`` × ``rank_loss_weight`` × the filtered
    softmax term (mean over ``sup``). Single process both weights are 1; a rank of a DDP group of ``W`` gets
    ``W × share / total``, so the ranks' averaged gradient is that of the mean over every pair.
    """

    def __init__(
        self, model: LinkPredictor, rank_loss_weight: float, train_edges: np.ndarray, rank_src: torch.Tensor,
        src_pos: np.ndarray,
    ) -> None:
        super().__init__()
        self.model = model
        self.rank_loss_weight = rank_loss_weight
        self.train_edges, self.rank_src, self.src_pos = train_edges, rank_src, src_pos
        self.bce = torch.nn.BCEWithLogitsLoss()

    def forward(
        self, inputs: tuple[dict, Any], pairs: np.ndarray, labels: torch.Tensor, sup: np.ndarray,
        paths: PathBlock | None, cols: np.ndarray, bce_weight: float = 1.0, rank_weight: float = 1.0,
    ) -> torch.Tensor:
        model = self.model
        h = model.encode(*inputs)
        path_block = None
        if paths is not None:
            assert model.path_scorer is not None
            path_block = model.path_scorer.block(paths)
        logits = model.score_pairs(h, torch.from_numpy(pairs))
        if path_block is not None:
            logits = logits + path_block[self.src_pos[pairs[0]], np.searchsorted(cols, pairs[1])]
        loss = self.bce(logits, labels)
        if bce_weight != 1.0:
            loss = loss * bce_weight
        if self.rank_loss_weight > 0 and sup.shape[1]:
            term = _rank_term(model, h, sup, self.train_edges, self.rank_src, self.src_pos, cols, path_block)
            loss = loss + self.rank_loss_weight * (term if rank_weight == 1.0 else term * rank_weight)
        return loss


def scores_over_ranks(
    model: LinkPredictor, inputs: tuple[dict, Any], cands: Candidates, paths: PathBlock | None,
    ranks: distributed.Ranks | None,
) -> np.ndarray:
    """:func:`block_scores`, each rank scoring its slice of the candidate diseases and the slices gathered."""
    if ranks is None:
        return block_scores(model, inputs, cands, paths)
    cols = ranks.columns(cands.dst.size)
    part_paths = None
    if paths is not None:
        part_paths = PathBlock(paths.rows, paths.cols[cols], [sp.csr_matrix(m[:, cols]) for m in paths.mats])
    part = block_scores(model, inputs, Candidates(cands.src, cands.dst[cols]), part_paths)
    return distributed.gather_columns(part, cands.dst.size, ranks)


PAIR_PATHS = ("CpD",)  # metapaths made of a single non-target drug–disease edge


def without_pair_paths(block: PathBlock, names: tuple[str, ...] | list[str], hidden_dst: np.ndarray) -> PathBlock:
    """``block`` with the single-edge drug–disease metapaths (``CpD``) zeroed in the columns of ``hidden_dst``:
    an epoch's hidden diseases lose their PALLIATES paths, as held-out diseases do."""
    keep = (~np.isin(block.cols, hidden_dst)).astype(np.float32)
    mats = [m @ sp.diags(keep) if name in PAIR_PATHS else m for name, m in zip(names, block.mats, strict=True)]
    return PathBlock(block.rows, block.cols, [sp.csr_matrix(m) for m in mats])


def hidden_positives(
    rng: np.random.Generator, train_edges: np.ndarray, fraction: float, whole_diseases: bool, train_dst: np.ndarray
) -> np.ndarray:
    """The training edges an epoch hides from message passing (and path counts) and predicts.

    Edge level: a ``fraction`` of the edges. Disease level (zero-shot splits): every edge of a ``fraction`` of
    the training diseases, so the epoch poses the test's question, a disease with no known indication.
    """
    if whole_diseases:
        n = max(1, round(train_dst.size * fraction))
        hidden = rng.choice(train_dst, n, replace=False)
        return train_edges[:, np.isin(train_edges[1], hidden)]
    n_sup = max(1, round(train_edges.shape[1] * fraction))
    return train_edges[:, np.sort(rng.choice(train_edges.shape[1], n_sup, replace=False))]


def _rank_term(
    model: LinkPredictor, h: dict, sup: np.ndarray, train_edges: np.ndarray, rank_src: torch.Tensor,
    src_pos: np.ndarray, block_cols: np.ndarray, path_block: torch.Tensor | None,
) -> torch.Tensor:
    """:func:`rank_loss` over the candidate drugs × the diseases of this epoch's positives.

    ``path_block`` (optional) is the path term over the candidate drugs × ``block_cols`` (a superset).
    """
    cols, col_of = np.unique(sup[1], return_inverse=True)
    block = model.score_block(h, rank_src, torch.from_numpy(cols)) if path_block is None else (
        model.decoder.all_pairs(h[model.target[0]][rank_src], h[model.target[2]][torch.from_numpy(cols)])
        + path_block[:, np.searchsorted(block_cols, cols)]
    )
    known = torch.zeros(block.shape, dtype=torch.bool)
    in_cols = np.isin(train_edges[1], cols) & (src_pos[train_edges[0]] >= 0)
    known_rows = src_pos[train_edges[0][in_cols]]
    known_cols = np.searchsorted(cols, train_edges[1][in_cols])
    known[torch.from_numpy(known_rows), torch.from_numpy(known_cols)] = True
    return rank_loss(block, np.stack([src_pos[sup[0]], col_of]), known)


@torch.no_grad()
def block_scores(
    model: LinkPredictor, inputs: tuple[dict, Any], cands: Candidates, paths: PathBlock | None = None
) -> np.ndarray:
    """The model's logits over ``cands`` (drugs × diseases), with the path term when ``paths`` is given."""
    was_training = model.training
    model.eval()
    h = model.encode(*inputs)
    scores = model.score_block(h, torch.from_numpy(cands.src), torch.from_numpy(cands.dst), paths).numpy()
    model.train(was_training)
    return scores
