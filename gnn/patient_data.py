"""A patient cohort as tensors over the knowledge graph's node indices, and the drug-patient ground truth.

A patient is never a node of the knowledge graph's message-passing graph. It is a *set of edges into it*
(:class:`PatientInputs`): its observed phenotypes (HP terms) and symptoms (MeSH), its diagnoses, the genes of
the variants it carries, its pharmacogenes, and *tokens* for its pharmacogenomic phenotypes
(``CYP2C19=Poor Metabolizer``). Because nothing flows from patients into the graph, the graph's node
embeddings do not depend on which patients exist: a new patient is scored inductively, with no retraining,
and a held-out patient cannot leak into a training patient's representation.

Ground truth (:func:`benefit_labels`), documented in the README: patient ``p`` benefits from drug ``d`` when
``d`` TREATS (PharmacotherapyDB, disease-modifying) one of ``p``'s diagnoses **and** no CPIC recommendation for
``p``'s genotype says to avoid ``d`` or to use an alternative (``HAS_PGX_RECOMMENDATION.cpic_action``).

Shapes: ``relations[name]`` is an int64 ``(2, E)`` array of (patient row, node index of the relation's label);
``tokens`` is ``(2, T)`` of (patient row, token id); ``pgx`` is ``(3, F)`` of (patient row, drug index, PGx class).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from pmkg.kg.export import GraphExport
from pmkg.kg.patients import CohortExport
from torch import Tensor

# relation name -> KG label its targets are nodes of.
RELATIONS: dict[str, str] = {
    "phenotype": "Phenotype",
    "symptom": "Symptom",
    "diagnosis": "Disease",
    "variant_gene": "Gene",
    "diplotype_gene": "Gene",
}
DIAGNOSIS = "diagnosis"
CONTRAINDICATING = ("avoid", "use alternative")
# PGx pair classes: 0 = no actionable recommendation; then (body, action) of the most severe one.
PGX_CLASSES: tuple[str, ...] = (
    "none",
    "cpic:avoid",
    "cpic:use alternative",
    "cpic:adjust dose",
    "cpic:see text",
    "dpwg:avoid",
    "dpwg:use alternative",
    "dpwg:adjust dose",
    "dpwg:see text",
)


@dataclass
class PatientInputs:
    patients: list[str]  # pseudonymous ids, row order
    relations: dict[str, np.ndarray]
    tokens: np.ndarray
    pgx: np.ndarray

    @property
    def num_patients(self) -> int:
        return len(self.patients)

    def subset(self, rows: np.ndarray) -> PatientInputs:
        """The patients at ``rows`` (in that order), re-indexed from 0."""
        rows = np.asarray(rows, dtype=np.int64)
        remap = np.full(self.num_patients, -1, dtype=np.int64)
        remap[rows] = np.arange(len(rows))

        def take(pairs: np.ndarray) -> np.ndarray:
            keep = remap[pairs[0]] >= 0
            out = pairs[:, keep].copy()
            out[0] = remap[out[0]]
            return out

        return PatientInputs(
            [self.patients[i] for i in rows],
            {name: take(pairs) for name, pairs in self.relations.items()},
            take(self.tokens),
            take(self.pgx),
        )

    def without(self, relation: str, rows: np.ndarray | None = None) -> PatientInputs:
        """A copy with ``relation`` removed for ``rows`` (default: every patient), e.g. the diagnosis."""
        pairs = self.relations[relation]
        drop = np.ones(pairs.shape[1], dtype=bool) if rows is None else np.isin(pairs[0], rows)
        relations = dict(self.relations)
        relations[relation] = pairs[:, ~drop]
        return PatientInputs(self.patients, relations, self.tokens, self.pgx)

    def tensors(self) -> tuple[dict[str, Tensor], Tensor, Tensor]:
        return (
            {name: torch.from_numpy(pairs) for name, pairs in self.relations.items()},
            torch.from_numpy(self.tokens),
            torch.from_numpy(self.pgx),
        )


@dataclass
class TokenVocabulary:
    """``GENE=lookup key`` -> id (0 is reserved for none); built from training patients only."""

    tokens: list[str] = field(default_factory=lambda: ["<none>"])

    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tokens)}

    def add(self, token: str) -> None:
        if token not in self.index():
            self.tokens.append(token)


def diplotype_token(symbol: str, key: str) -> str:
    return f"{symbol}={key}"


def pgx_class(cpic_action: str, action: str) -> int:
    if cpic_action:
        name = f"cpic:{cpic_action}"
    elif action:
        name = f"dpwg:{action}"
    else:
        return 0
    return PGX_CLASSES.index(name) if name in PGX_CLASSES else 0


def build_inputs(
    cohort: CohortExport, export: GraphExport, vocabulary: TokenVocabulary | None = None
) -> tuple[PatientInputs, TokenVocabulary, dict[str, int]]:
    """Cohort export -> :class:`PatientInputs` over ``export``'s node indices.

    Returns the inputs, the token vocabulary (``vocabulary`` extended with the cohort's tokens when None is
    given) and counts of edges whose target the export lacks (they are dropped; e.g. a phenotype ingested
    after the model's graph was exported).
    """
    rows = cohort.index()
    indices = {label: export.index(label) for label in set(RELATIONS.values()) | {"Drug"} if label in export.node_ids}
    dropped: dict[str, int] = {}
    relations = {}
    for name, label in RELATIONS.items():
        if name == "diplotype_gene":
            pids = [d[0] for d in cohort.diplotypes]
            targets = [d[1] for d in cohort.diplotypes]
        else:
            pids, targets = cohort.edges.get(name, ([], []))
        relations[name], dropped[name] = _pairs(pids, targets, rows, indices.get(label, {}))
    build = vocabulary is None
    vocabulary = vocabulary or TokenVocabulary()
    if build:
        for _, _, symbol, key in sorted(cohort.diplotypes):
            vocabulary.add(diplotype_token(symbol, key))
    token_index = vocabulary.index()
    token_pairs = [
        (rows[p], token_index[diplotype_token(s, k)])
        for p, _, s, k in cohort.diplotypes
        if p in rows and diplotype_token(s, k) in token_index
    ]
    tokens = np.asarray(token_pairs, dtype=np.int64).T.reshape(2, -1)
    drugs = indices.get("Drug", {})
    pgx_rows = [
        (rows[p], drugs[d], pgx_class(cpic, action))
        for p, d, cpic, action, *_ in cohort.pgx
        if p in rows and d in drugs and pgx_class(cpic, action)
    ]
    pgx = np.asarray(pgx_rows, dtype=np.int64).T.reshape(3, -1)
    dropped = {k: v for k, v in dropped.items() if v}
    return PatientInputs(list(cohort.patients), relations, tokens, pgx), vocabulary, dropped


def _pairs(pids: list[str], targets: list[str], rows: dict[str, int], index: dict[str, int]) -> tuple[np.ndarray, int]:
    kept = [(rows[p], index[t]) for p, t in zip(pids, targets, strict=True) if p in rows and t in index]
    pairs = np.unique(np.asarray(kept, dtype=np.int64).T.reshape(2, -1), axis=1)
    return pairs, len(pids) - len(kept)


@dataclass
class BenefitLabels:
    """Ground truth per patient row, each an int64 ``(2, N)`` array of (patient row, drug index)."""

    positives: np.ndarray  # indicated for a diagnosis and not CPIC-contraindicated
    indicated: np.ndarray  # indicated for a diagnosis (TREATS), PGx ignored
    contraindicated: np.ndarray  # a CPIC recommendation says avoid / use an alternative


def benefit_labels(inputs: PatientInputs, cohort: CohortExport, export: GraphExport) -> BenefitLabels:
    """The ground truth (see the module docstring), from the diagnosis edges and the graph's TREATS edges."""
    n_drugs = export.num_nodes("Drug")
    treats = export.edges.get(("Drug", "TREATS", "Disease"), np.zeros((2, 0), dtype=np.int64))
    by_disease: dict[int, np.ndarray] = {}
    order = np.argsort(treats[1], kind="stable")
    for disease, start, stop in _groups(treats[1][order]):
        by_disease[disease] = treats[0][order][start:stop]
    diagnosis = inputs.relations[DIAGNOSIS]
    indicated = [(patient, drug) for patient, disease in diagnosis.T for drug in by_disease.get(int(disease), ())]
    indicated_arr = np.unique(np.asarray(indicated, dtype=np.int64).T.reshape(2, -1), axis=1)
    rows = cohort.index()
    drugs = export.index("Drug")
    contra = [
        (rows[p], drugs[d]) for p, d, cpic, *_ in cohort.pgx if cpic in CONTRAINDICATING and p in rows and d in drugs
    ]
    contra_arr = np.unique(np.asarray(contra, dtype=np.int64).T.reshape(2, -1), axis=1)
    contra_codes = contra_arr[0] * n_drugs + contra_arr[1]
    keep = ~np.isin(indicated_arr[0] * n_drugs + indicated_arr[1], contra_codes)
    return BenefitLabels(indicated_arr[:, keep], indicated_arr, contra_arr)


def _groups(sorted_keys: np.ndarray):
    if sorted_keys.size == 0:
        return
    boundaries = np.flatnonzero(np.diff(sorted_keys)) + 1
    starts = np.concatenate([[0], boundaries])
    stops = np.concatenate([boundaries, [sorted_keys.size]])
    for start, stop in zip(starts, stops, strict=True):
        yield int(sorted_keys[start]), int(start), int(stop)


def patient_split(num_patients: int, val_frac: float, test_frac: float, seed: int) -> dict[str, np.ndarray]:
    """Patient-holdout split: whole patients go to train, val or test (seeded), sorted within each part."""
    perm = np.random.default_rng(seed).permutation(num_patients)
    n_test = int(round(num_patients * test_frac))
    n_val = int(round(num_patients * val_frac))
    return {
        "test": np.sort(perm[:n_test]),
        "val": np.sort(perm[n_test : n_test + n_val]),
        "train": np.sort(perm[n_test + n_val :]),
    }


def rows_of(pairs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The columns of ``pairs`` whose patient is in ``rows``, re-indexed to positions within ``rows``."""
    remap = np.full(int(max(pairs[0].max(initial=-1), rows.max(initial=-1))) + 1, -1, dtype=np.int64)
    remap[rows] = np.arange(len(rows))
    out = pairs[:, remap[pairs[0]] >= 0].copy() if pairs.size else pairs.copy()
    if out.size:
        out[0] = remap[out[0]]
    return out
