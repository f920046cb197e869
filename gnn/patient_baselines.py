"""Baselines for drug-patient ranking, scored in the same harness as the model (``(P, D)`` score matrices).

- **popularity**: every patient gets the same ranking, drugs by how many *training* patients benefit from them.
- **diagnosis lookup**: the drugs that TREAT one of the patient's diagnoses first (by popularity), then the rest
  by popularity. With no diagnosis it is the popularity ranking.
- **phenotype lookup** (for patients without a diagnosis): the disease whose annotated phenotypes and symptoms
  (plus their direct ``IS_A`` parents, since clinicians often record a less specific term) best match the
  patient's, weighted by inverse disease frequency, stands in for the diagnosis; then as diagnosis lookup.
- ``pgx_guard`` moves CPIC avoid/alternative drugs to the bottom of any ranking (what a rule layer on top of a
  PGx-blind ranker would do).
"""

from __future__ import annotations

import numpy as np
from pmkg.kg.export import GraphExport


def popularity(train_positives: np.ndarray, num_drugs: int) -> np.ndarray:
    """``(D,)`` count of training patients that benefit from each drug (columns of ``(2, N)`` positives)."""
    return np.bincount(train_positives[1], minlength=num_drugs).astype(np.float64)


def treats_matrix(export: GraphExport) -> np.ndarray:
    """Boolean ``(num_diseases, num_drugs)``: True where the drug TREATS the disease."""
    out = np.zeros((export.num_nodes("Disease"), export.num_nodes("Drug")), dtype=bool)
    treats = export.edges.get(("Drug", "TREATS", "Disease"))
    if treats is not None and treats.size:
        out[treats[1], treats[0]] = True
    return out


def lookup_scores(diagnoses: np.ndarray, num_patients: int, treats: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """``diagnoses`` (2, E) of (row, disease) -> ``(P, D)``: indicated drugs first, popularity within and after."""
    indicated = np.zeros((num_patients, treats.shape[1]), dtype=bool)
    for row, disease in diagnoses.T:
        indicated[row] |= treats[disease]
    scale = pop.max() + 1.0
    return indicated * scale + pop[None, :] / scale


def disease_profiles(export: GraphExport, diseases: np.ndarray) -> dict[str, np.ndarray]:
    """Per term label: a ``(len(diseases), N_label)`` weight matrix of each disease's terms and their parents."""
    profiles = {}
    for label, key in (
        ("Phenotype", ("Disease", "HAS_PHENOTYPE", "Phenotype")),
        ("Symptom", ("Disease", "PRESENTS", "Symptom")),
    ):
        if label not in export.node_ids or key not in export.edges:
            continue
        matrix = np.zeros((len(diseases), export.num_nodes(label)), dtype=np.float64)
        row_of = {int(d): i for i, d in enumerate(diseases)}
        edges = export.edges[key]
        for disease, term in edges.T:
            if int(disease) in row_of:
                matrix[row_of[int(disease)], term] = 1.0
        parents = export.edges.get((label, "IS_A", label))
        if parents is not None and parents.size:
            lifted = np.zeros_like(matrix.T)  # (N_label, diseases): a parent gets the max over its children
            np.maximum.at(lifted, parents[1], matrix.T[parents[0]])
            matrix = np.maximum(matrix, 0.5 * lifted.T)
        frequency = (matrix > 0).sum(axis=0)
        idf = np.log((1 + len(diseases)) / (1 + frequency)) + 1.0
        profiles[label] = matrix * idf[None, :]
    return profiles


def phenotype_lookup_scores(
    terms: dict[str, np.ndarray],
    num_patients: int,
    export: GraphExport,
    treats: np.ndarray,
    pop: np.ndarray,
) -> np.ndarray:
    """``terms[label]`` (2, E) of (row, term index) -> ``(P, D)`` via the best-matching treatable disease."""
    diseases = np.flatnonzero(treats.any(axis=1))
    profiles = disease_profiles(export, diseases)
    match = np.zeros((num_patients, len(diseases)), dtype=np.float64)
    for label, pairs in terms.items():
        if label not in profiles or not pairs.size:
            continue
        patient_terms = np.zeros((num_patients, profiles[label].shape[1]), dtype=np.float64)
        patient_terms[pairs[0], pairs[1]] = 1.0
        match += patient_terms @ profiles[label].T
    best = diseases[np.argmax(match, axis=1)]
    has_terms = match.max(axis=1) > 0
    guessed = np.stack([np.flatnonzero(has_terms), best[has_terms]])
    return lookup_scores(guessed, num_patients, treats, pop)


def pgx_guard(scores: np.ndarray, contraindicated: np.ndarray) -> np.ndarray:
    """``scores`` with every CPIC avoid/alternative (row, drug) pair moved below all others."""
    guarded = scores.copy()
    if contraindicated.size:
        guarded[contraindicated[0], contraindicated[1]] = scores.min() - 1.0
    return guarded
