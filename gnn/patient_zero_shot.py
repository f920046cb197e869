"""Zero-shot diseases: a drug-patient benchmark whose labels the model cannot read off its own inputs.

The patient-holdout split (:func:`gnn.patient_data.patient_split`) is circular: test patients have the diseases
the training patients had, and the ground truth (drugs that TREAT the diagnosis) is a graph edge the encoder reads.
Here whole diseases are held out instead:

1. every disease that has patients and at least one TREATS indication is a unit; a seeded ``test_frac`` of them are
   test diseases and ``val_frac`` validation diseases;
2. a patient goes to test (validation) when one of their recorded diagnoses is a test (validation) disease, else to
   training;
3. the graph the model sees loses every TREATS **and** PALLIATES edge of the test and validation diseases: the
   encoder's message passing, the TREATS auxiliary loss and any path count are computed without them, and the
   decoder cannot route a test patient through its disease (it is no longer a candidate);
4. the labels stay the full graph's: a test patient benefits from the drugs that TREAT their recorded diagnosis
   (minus CPIC contraindications), exactly as before.

So the model must rank a held-out disease's drugs from the patient's phenotypes, genes and the rest of the graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pmkg.kg.export import GraphExport
from pmkg.kg.patients import CohortExport

HELD_OUT_RELATIONS = ("TREATS", "PALLIATES")


@dataclass
class ZeroShotSplit:
    split: dict[str, np.ndarray]  # patient rows (into cohort.patients) of train / val / test, sorted
    diseases: dict[str, np.ndarray]  # Disease node indices held out for val / test
    export: GraphExport  # the graph the model may see
    removed_edges: int  # TREATS + PALLIATES edges taken out


def zero_shot_split(
    cohort: CohortExport, export: GraphExport, val_frac: float = 0.1, test_frac: float = 0.2, seed: int = 0
) -> ZeroShotSplit:
    """Hold out diseases (and their patients), remove their indications from the graph; see the module docstring."""
    disease_index = export.index("Disease")
    rows = cohort.index()
    patient_diseases: dict[int, set[int]] = {}
    for pid, disease in zip(*cohort.edges.get("diagnosis", ([], [])), strict=True):
        if pid in rows and disease in disease_index:
            patient_diseases.setdefault(rows[pid], set()).add(disease_index[disease])
    treats = export.edges.get(("Drug", "TREATS", "Disease"), np.zeros((2, 0), dtype=np.int64))
    treatable = set(np.unique(treats[1]).tolist())
    units = np.array(sorted({d for ds in patient_diseases.values() for d in ds} & treatable), dtype=np.int64)
    if units.size < 3:
        raise ValueError(
            f"zero-shot split: only {units.size} diseases have both patients and TREATS indications; need at least 3"
        )
    perm = np.random.default_rng(seed).permutation(units)
    n_test = max(1, int(round(units.size * test_frac)))
    n_val = max(1, int(round(units.size * val_frac)))
    held = {"test": np.sort(perm[:n_test]), "val": np.sort(perm[n_test : n_test + n_val])}
    test_set, val_set = set(held["test"].tolist()), set(held["val"].tolist())
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for row in range(len(cohort.patients)):
        diseases = patient_diseases.get(row, set())
        part = "test" if diseases & test_set else "val" if diseases & val_set else "train"
        parts[part].append(row)
    removed = np.concatenate([held["test"], held["val"]])
    edges = dict(export.edges)
    taken = 0
    for relation in HELD_OUT_RELATIONS:
        key = ("Drug", relation, "Disease")
        if key in edges:
            keep = ~np.isin(edges[key][1], removed)
            taken += int((~keep).sum())
            edges[key] = edges[key][:, keep]
    seen = GraphExport(node_ids=export.node_ids, edges=edges, node_names=export.node_names)
    split = {name: np.asarray(part, dtype=np.int64) for name, part in parts.items()}
    return ZeroShotSplit(split, held, seen, taken)


def diagnosis_columns(cohort: CohortExport, export: GraphExport, rows: np.ndarray) -> list[list[int]]:
    """Per row of ``rows``, the Disease node indices of the patient's recorded diagnoses."""
    disease_index = export.index("Disease")
    position = {int(r): i for i, r in enumerate(rows)}
    index = cohort.index()
    out: list[list[int]] = [[] for _ in rows]
    for pid, disease in zip(*cohort.edges.get("diagnosis", ([], [])), strict=True):
        i = position.get(index.get(pid, -1))
        if i is not None and disease in disease_index:
            out[i].append(disease_index[disease])
    return out


def drug_disease_zero_shot_scores(all_pairs: np.ndarray, diagnoses: list[list[int]]) -> np.ndarray:
    """``(P, D)`` patient scores from a drug-disease model's ``(D, num_diseases)`` logits: the best logit of each
    drug over the patient's recorded diagnoses (the repurposing model ranking drugs for an unseen disease)."""
    out = np.full((len(diagnoses), all_pairs.shape[0]), -np.inf, dtype=np.float64)
    for row, diseases in enumerate(diagnoses):
        if diseases:
            out[row] = all_pairs[:, diseases].max(axis=1)
    return out
