"""Zero-shot disease split: held-out diseases' indications leave the graph the model sees and stay the labels."""

from __future__ import annotations

import numpy as np
import pytest
from pmkg.gnn.patient_zero_shot import diagnosis_columns, drug_disease_zero_shot_scores, zero_shot_split
from pmkg.kg.export import GraphExport
from pmkg.kg.patients import CohortExport

DISEASES = [f"DOID:{i}" for i in range(10)]
DRUGS = [f"DRUGBANK:DB{i:05d}" for i in range(6)]


def _world() -> tuple[GraphExport, CohortExport]:
    treats = np.array([[d % 6 for d in range(10)], list(range(10))])  # drug d%6 treats disease d
    palliates = np.array([[5, 4], [0, 1]])
    export = GraphExport(
        node_ids={"Drug": DRUGS, "Disease": DISEASES},
        edges={("Drug", "TREATS", "Disease"): treats, ("Drug", "PALLIATES", "Disease"): palliates},
    )
    patients = [f"PMKG.PATIENT:{i:020d}" for i in range(40)]
    diagnosis = ([*patients, patients[0]], [DISEASES[i % 10] for i in range(40)] + [DISEASES[9]])
    cohort = CohortExport(True, patients, {"diagnosis": diagnosis}, [], [])
    return export, cohort


def test_held_out_diseases_lose_their_indications_and_take_their_patients_along():
    export, cohort = _world()
    zs = zero_shot_split(cohort, export, val_frac=0.1, test_frac=0.2, seed=1)
    test, val = set(zs.diseases["test"].tolist()), set(zs.diseases["val"].tolist())
    assert len(test) == 2 and len(val) == 1 and not test & val
    seen_treats = zs.export.edges[("Drug", "TREATS", "Disease")]
    assert not (set(seen_treats[1].tolist()) & (test | val))
    assert set(seen_treats[1].tolist()) == set(range(10)) - test - val
    assert not set(zs.export.edges[("Drug", "PALLIATES", "Disease")][1].tolist()) & (test | val)
    kept_palliates = zs.export.edges[("Drug", "PALLIATES", "Disease")].shape[1]
    assert zs.removed_edges == (10 - seen_treats.shape[1]) + (2 - kept_palliates)
    assert export.edges[("Drug", "TREATS", "Disease")].shape[1] == 10  # the labels' graph is untouched
    index = cohort.index()
    for pid, disease in zip(*cohort.edges["diagnosis"], strict=True):
        d = DISEASES.index(disease)
        row = index[pid]
        if d in test:
            assert row in zs.split["test"]
        elif d in val and row not in zs.split["test"]:
            assert row in zs.split["val"]
    parts = np.concatenate([zs.split["train"], zs.split["val"], zs.split["test"]])
    assert sorted(parts.tolist()) == list(range(40))  # every patient exactly once


def test_the_split_is_seeded_and_refuses_too_few_diseases():
    export, cohort = _world()
    first = zero_shot_split(cohort, export, seed=3)
    again = zero_shot_split(cohort, export, seed=3)
    assert all(np.array_equal(first.split[k], again.split[k]) for k in first.split)
    small = CohortExport(True, cohort.patients[:2], {"diagnosis": (cohort.patients[:2], DISEASES[:2])}, [], [])
    with pytest.raises(ValueError, match="only 2 diseases have both patients and TREATS"):
        zero_shot_split(small, export)


def test_the_repurposing_baseline_ranks_drugs_for_the_recorded_diagnosis():
    export, cohort = _world()
    rows = np.array([0, 3])
    columns = diagnosis_columns(cohort, export, rows)
    assert columns == [[0, 9], [3]]
    all_pairs = np.arange(60, dtype=float).reshape(6, 10)  # (drugs, diseases)
    scores = drug_disease_zero_shot_scores(all_pairs, columns)
    assert np.array_equal(scores[0], all_pairs[:, 9]) and np.array_equal(scores[1], all_pairs[:, 3])
