"""``train_patient_model(export, cohort, PatientTrainConfig) -> PatientTrainResult``: patient-holdout protocol.

1. **Split patients** (not edges) into train / val / test (80/10/10, seeded) before anything else.
2. **Labels** (:func:`gnn.patient_data.benefit_labels`): indicated for a diagnosis and not CPIC-contraindicated.
   The token vocabulary (``CYP2C19=Poor Metabolizer`` ...) is built from training patients only.
3. **Graph**: the drug-disease knowledge graph of :mod:`kg.export` (no patients), as
   :func:`gnn.data.to_heterodata` builds it; patients attach to it only through :class:`PatientInputs`.
4. **Training**, full batch, one step per epoch: encode the graph, aggregate every training patient, and
   minimise the listwise softmax cross-entropy of each positive drug against all drugs of its patient. Each
   epoch a fresh ``diagnosis_dropout`` fraction of training patients loses its diagnosis edges, so one model
   learns both to use a diagnosis and to infer it from phenotypes. Auxiliary terms: the candidate-disease
   softmax should pick the diagnosis (learnt on the dropped-diagnosis patients too, so from phenotypes); the
   TREATS decoder should rank each disease's indicated drugs (knowledge-graph edges, not patient labels); and a
   hinge keeps each drug that a CPIC recommendation says to avoid or replace below the patient's 20th-best
   logit (the listwise loss alone only ranks it below the positives). Only the PGx class offsets learn from
   the hinge, so it cannot distort the rest of the model.
5. **Early stopping** on the validation patients' mean Recall@10 with and without the diagnosis.
6. **Test**: held-out patients are scored inductively (no retraining; their edges only enter the patient
   aggregator), once without and once with their diagnosis edges. Baselines in the same run: popularity,
   diagnosis lookup, phenotype lookup, each also with a PGx guard. See :mod:`gnn.patient_metrics`.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from pmkg.gnn.calibration import PlattScaling, fit_platt
from pmkg.gnn.conv import relation_plan
from pmkg.gnn.data import export_checksum, feature_dims, num_nodes_dict, to_heterodata
from pmkg.gnn.patient_baselines import (
    lookup_scores,
    pgx_guard,
    phenotype_lookup_scores,
    popularity,
    treats_matrix,
)
from pmkg.gnn.patient_data import (
    DIAGNOSIS,
    BenefitLabels,
    PatientInputs,
    TokenVocabulary,
    benefit_labels,
    build_inputs,
    patient_split,
    rows_of,
)
from pmkg.gnn.patient_metrics import cpic_agreement, ranking_metrics
from pmkg.gnn.patient_model import PatientDrugModel
from pmkg.gnn.train import without_relations
from pmkg.kg.export import GraphExport
from pmkg.kg.patients import CohortExport
from tqdm.auto import tqdm

K = 10
TREATS = ("Drug", "TREATS", "Disease")


@dataclass
class PatientTrainConfig:
    """Everything that determines a run (recorded in the model directory)."""

    epochs: int = 300
    hidden: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    embeddings: str = "learned"
    lr: float = 0.01
    weight_decay: float = 0.0
    diagnosis_dropout: float = 0.5
    diagnosis_weight: float = 1.0  # auxiliary loss: the candidate-disease softmax should pick the diagnosis
    treats_weight: float = 1.0  # auxiliary loss: the TREATS decoder ranks each disease's indicated drugs
    pgx_weight: float = 1.0  # hinge: a CPIC avoid/alternative drug ranks below the patient's top pgx_margin_rank
    pgx_margin_rank: int = 20
    pgx_lr: float = 0.3
    use_pgx: bool = True
    seed: int = 0
    val_frac: float = 0.1
    test_frac: float = 0.1
    patience: int = 10  # evaluations without improvement
    eval_every: int = 5  # epochs between validation passes (each re-encodes the graph)
    threads: int = 1
    k: int = K
    # Relationship types (or Source-REL-Target triples) the encoder never reads: drug-drug interactions are safety
    # knowledge, checked against a patient's medications, not evidence that a drug helps (as in gnn.train).
    exclude_relations: tuple[str, ...] = ("Drug-INTERACTS_WITH-Drug",)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PatientTrainResult:
    model: PatientDrugModel
    config: PatientTrainConfig
    vocabulary: TokenVocabulary
    split: dict[str, np.ndarray]  # rows into inputs.patients
    inputs: PatientInputs
    labels: BenefitLabels
    embeddings: dict[str, torch.Tensor]  # final graph embeddings (eval mode), for scoring new patients
    node_ids: dict[str, list[str]]
    metrics: dict[str, dict[str, float]]  # "model (no diagnosis)" -> {...}, baselines likewise
    calibration: PlattScaling
    history: list[dict[str, float]]
    best_epoch: int
    seconds_per_epoch: float
    seconds_total: float
    data_checksum: str
    dropped: dict[str, int] = field(default_factory=dict)
    indications: np.ndarray | None = None  # (2, E) Drug, Disease indices of the TREATS edges the model saw


def graph_inputs(export: GraphExport):
    """The message-passing graph's ``(x_dict, relation plans)`` for :class:`gnn.model.HeteroEncoder`."""
    data = to_heterodata(export)
    x_dict = {t: data[t].x for t in data.node_types}
    plans = {et: relation_plan(data[et].edge_index, data[et[0]].num_nodes) for et in data.edge_types}
    return data, x_dict, plans


def _tensors(inputs: PatientInputs) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    return inputs.tensors()


@torch.no_grad()
def score_inputs(model: PatientDrugModel, h: dict[str, torch.Tensor], inputs: PatientInputs) -> np.ndarray:
    """Logits ``(P, D)`` for ``inputs`` given graph embeddings ``h`` (eval mode)."""
    relations, tokens, pgx = _tensors(inputs)
    z = model.encode_patients(h, inputs.num_patients, relations, tokens)
    return model.score(z, h, pgx).numpy()


def train_patient_model(
    export: GraphExport,
    cohort: CohortExport,
    config: PatientTrainConfig,
    progress: bool = True,
    split: dict[str, np.ndarray] | None = None,
    label_export: GraphExport | None = None,
) -> PatientTrainResult:
    """Train on ``export`` (the graph the model may see) and evaluate on the split's test patients.

    ``split`` replaces the seeded patient-holdout split (e.g. :func:`gnn.patient_zero_shot.zero_shot_split`);
    ``label_export`` is the graph the ground truth is read from when it differs from the one the model sees
    (zero-shot diseases: their TREATS edges are labels, not inputs).
    """
    t_start = time.perf_counter()
    export = without_relations(export, config.exclude_relations)
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    if "Drug" not in export.node_ids:
        raise ValueError("the graph export has no Drug nodes: ingest the drug sources first")
    if split is None:
        split = patient_split(len(cohort.patients), config.val_frac, config.test_frac, config.seed)
    train_ids = {cohort.patients[i] for i in split["train"]}
    vocabulary = TokenVocabulary()
    for pid, _, symbol, key in sorted(cohort.diplotypes):
        if pid in train_ids:
            vocabulary.add(f"{symbol}={key}")
    inputs, vocabulary, dropped = build_inputs(cohort, export, vocabulary)
    labels = benefit_labels(inputs, cohort, label_export if label_export is not None else export)
    if labels.positives.size == 0:
        raise ValueError(
            "no patient benefits from any drug: the cohort needs diagnoses with TREATS indications in the graph "
            "(run `pmkg cohort synth` against a graph with pharmacotherapydb, then `pmkg ingest patients`)"
        )
    data, x_dict, plans = graph_inputs(export)
    treats = export.edges[TREATS]
    candidates = np.unique(treats[1])
    position = {int(c): i for i, c in enumerate(candidates)}
    model = PatientDrugModel(
        num_nodes_dict(data), feature_dims(data), list(data.edge_types), len(vocabulary.tokens),
        candidates.tolist(), hidden=config.hidden, num_layers=config.num_layers, dropout=config.dropout,
        embeddings=config.embeddings, use_pgx=config.use_pgx,
    )  # fmt: skip
    treat_pairs = torch.as_tensor([[position[int(c)] for c in treats[1]], treats[0].tolist()], dtype=torch.long)
    # The PGx offsets are a handful of scalars that must travel far (a drug to avoid sits among the patient's best
    # candidates); at the network's learning rate they would move ~0.01 per step.
    rest = [p for name, p in model.named_parameters() if name != "pgx"]
    optimizer = torch.optim.Adam(
        [{"params": rest}, {"params": [model.pgx], "lr": config.pgx_lr}], lr=config.lr, weight_decay=config.weight_decay
    )

    train_rows = split["train"]
    train_inputs = inputs.subset(train_rows)
    train_pos = torch.from_numpy(rows_of(labels.positives, train_rows))
    train_contra = torch.from_numpy(rows_of(labels.contraindicated, train_rows))
    val_inputs = inputs.subset(split["val"])
    val_pos = rows_of(labels.positives, split["val"])
    diagnosed = np.unique(train_inputs.relations[DIAGNOSIS][0])
    dx = train_inputs.relations[DIAGNOSIS]
    dx = dx[:, np.isin(dx[1], candidates)]
    dx_target = torch.as_tensor([dx[0].tolist(), [position[int(c)] for c in dx[1]]], dtype=torch.long)

    history: list[dict[str, float]] = []
    best, best_epoch, best_state, stale = -np.inf, 0, copy.deepcopy(model.state_dict()), 0
    bar = tqdm(range(1, config.epochs + 1), desc="train patients", unit="epoch", disable=None if progress else True)
    for epoch in bar:
        t0 = time.perf_counter()
        model.train()
        drop = diagnosed[rng.random(diagnosed.size) < config.diagnosis_dropout]
        relations, tokens, pgx = _tensors(train_inputs.without(DIAGNOSIS, drop))
        optimizer.zero_grad()
        h = model.encode_graph(x_dict, plans)
        z = model.encode_patients(h, train_inputs.num_patients, relations, tokens)
        base = model.benefit_logits(z, h)
        offsets = model.pgx_offsets(base, pgx)
        logits = base + offsets
        loss = _listwise(logits, train_pos)
        if config.diagnosis_weight and dx_target.numel():
            loss = loss + config.diagnosis_weight * _listwise(model.disease_logits(z, h), dx_target)
        if config.treats_weight:
            loss = loss + config.treats_weight * _listwise(model.treat_logits(h), treat_pairs)
        if config.pgx_weight and train_contra.numel():
            # Only the PGx offsets learn from this term; the benefit model is left to the listwise loss.
            guarded = base.detach() + offsets
            loss = loss + config.pgx_weight * _below_top(guarded, train_contra, config.pgx_margin_rank)
        loss.backward()
        optimizer.step()

        if epoch % config.eval_every and epoch != config.epochs:
            history.append({"epoch": epoch, "loss": float(loss.detach()), "seconds": time.perf_counter() - t0})
            continue
        model.eval()
        with torch.no_grad():
            h_eval = model.encode_graph(x_dict, plans)
        with_dx = ranking_metrics(score_inputs(model, h_eval, val_inputs), val_pos, config.k)[f"recall@{config.k}"]
        without = ranking_metrics(score_inputs(model, h_eval, val_inputs.without(DIAGNOSIS)), val_pos, config.k)[
            f"recall@{config.k}"
        ]
        target = (with_dx + without) / 2
        seconds = time.perf_counter() - t0
        history.append(
            {"epoch": epoch, "loss": float(loss.detach()), "val_recall_dx": with_dx, "val_recall_nodx": without,
             "seconds": seconds}
        )  # fmt: skip
        bar.set_postfix(loss=f"{float(loss.detach()):.3f}", dx=f"{with_dx:.3f}", nodx=f"{without:.3f}")
        if target > best:
            best, best_epoch, stale = target, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= config.patience:
                break
    bar.close()
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        h = {label: t.detach() for label, t in model.encode_graph(x_dict, plans).items()}

    val_scores = score_inputs(model, h, val_inputs)
    calibration = fit_platt(val_scores, val_pos, None)
    metrics = evaluate(model, h, inputs, labels, split, export, config.k)
    return PatientTrainResult(
        model=model, config=config, vocabulary=vocabulary, split=split, inputs=inputs, labels=labels, embeddings=h,
        node_ids=export.node_ids, metrics=metrics, calibration=calibration, history=history, best_epoch=best_epoch,
        seconds_per_epoch=float(np.mean([r["seconds"] for r in history])) if history else float("nan"),
        seconds_total=time.perf_counter() - t_start, data_checksum=export_checksum(export), dropped=dropped,
        indications=treats,
    )  # fmt: skip


def _below_top(logits: torch.Tensor, pairs: torch.Tensor, rank: int) -> torch.Tensor:
    """Mean hinge ``relu(1 + logit(p, d) - r_p)`` over (patient, drug) pairs, ``r_p`` the patient's ``rank``-th best
    logit (held fixed): a drug CPIC says to avoid should sit well outside the top of the patient's list."""
    threshold = torch.topk(logits.detach(), min(rank, logits.size(1)), dim=1).values[:, -1]
    return torch.relu(1.0 + logits[pairs[0], pairs[1]] - threshold[pairs[0]]).mean()


def _listwise(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """Mean over positive (row, column) pairs of ``-log softmax(logits[row])[column]``."""
    return (torch.logsumexp(logits, dim=1)[positives[0]] - logits[positives[0], positives[1]]).mean()


def evaluate(
    model: PatientDrugModel,
    h: dict[str, torch.Tensor],
    inputs: PatientInputs,
    labels: BenefitLabels,
    split: dict[str, np.ndarray],
    export: GraphExport,
    k: int = K,
) -> dict[str, dict[str, float]]:
    """Test-patient metrics for the model and the baselines, without and with the diagnosis edges."""
    test = split["test"]
    test_inputs = inputs.subset(test)
    positives = rows_of(labels.positives, test)
    indicated = rows_of(labels.indicated, test)
    contra = rows_of(labels.contraindicated, test)
    pop = popularity(rows_of(labels.positives, split["train"]), export.num_nodes("Drug"))
    treats = treats_matrix(export)
    n = test_inputs.num_patients
    no_dx = test_inputs.without(DIAGNOSIS)
    terms = {"Phenotype": no_dx.relations["phenotype"], "Symptom": no_dx.relations["symptom"]}
    candidates = {
        "model (no diagnosis)": score_inputs(model, h, no_dx),
        "model (with diagnosis)": score_inputs(model, h, test_inputs),
        "popularity": np.broadcast_to(pop, (n, pop.size)).copy(),
        "phenotype lookup (no diagnosis)": phenotype_lookup_scores(terms, n, export, treats, pop),
        "diagnosis lookup (with diagnosis)": lookup_scores(test_inputs.relations[DIAGNOSIS], n, treats, pop),
    }
    for name in ("phenotype lookup (no diagnosis)", "diagnosis lookup (with diagnosis)"):
        candidates[f"{name} + PGx guard"] = pgx_guard(candidates[name], contra)
    return {
        name: {**ranking_metrics(scores, positives, k), **cpic_agreement(scores, contra, indicated, k)}
        for name, scores in candidates.items()
    }
