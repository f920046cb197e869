"""Resnik best-match average (gnn.phenotype_similarity) on a hand-made ontology whose answers are worked out below,
and against a brute-force reference on random ontologies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pmkg.gnn.phenotype_similarity import ResnikIndex, ancestor_matrix, resnik

# 0 root; 1 A, 2 B under the root; 3 A1, 4 A2 under A; 5 B1 under B; 6 A1a under A1 *and* B1 (two parents).
IS_A = np.array([[1, 2, 3, 4, 5, 6, 6], [0, 0, 1, 1, 2, 3, 5]])
# D0 {A1}, D1 {A2}, D2 {B1}, D3 {A1a}; D4 has no annotation.
ANNOTATIONS = np.array([[0, 1, 2, 3], [3, 4, 5, 6]])
LOG = math.log


@pytest.fixture(scope="module")
def tiny() -> ResnikIndex:
    return ResnikIndex.build(7, 5, IS_A, ANNOTATIONS)


def test_ancestors_follow_both_parents():
    anc = ancestor_matrix(7, IS_A)
    assert set(anc[6].indices) == {6, 3, 5, 1, 2, 0}
    assert set(anc[4].indices) == {4, 1, 0}
    assert set(anc[0].indices) == {0}


def test_information_content_counts_diseases_reaching_each_term(tiny):
    # Four annotated diseases. Reaching: root 4, A 3 (D0, D1, D3), B 2 (D2, D3), A1 2, A2 1, B1 2, A1a 1.
    expected = [0.0, LOG(4 / 3), LOG(2), LOG(2), LOG(4), LOG(2), LOG(4)]
    assert np.allclose(tiny.ic, expected)
    assert tiny.annotated.tolist() == [True, True, True, True, False]


def test_query_to_disease_single_term(tiny):
    # Q = {A2}: D0 shares A (IC log 4/3), D1 is A2 itself (log 4), D2 only the root (0), D3 shares A.
    scores = tiny.query_to_disease([[4]])[0]
    assert np.allclose(scores, [LOG(4 / 3), LOG(4), 0.0, LOG(4 / 3), 0.0])
    assert int(np.argmax(scores)) == 1


def test_query_to_disease_averages_best_matches(tiny):
    # Q = {A1a, B}. D2 {B1}: MICA(A1a, B1) = B1 (log 2), MICA(B, B1) = B (log 2) -> log 2.
    # D3 {A1a}: log 4 and MICA(B, A1a) = B (log 2) -> 1.5 log 2. D0 {A1}: A1 (log 2) and root -> 0.5 log 2.
    # D1 {A2}: A (log 4/3) and root -> 0.5 log 4/3.
    scores = tiny.query_to_disease([[6, 2]])[0]
    assert np.allclose(scores, [0.5 * LOG(2), 0.5 * LOG(4 / 3), LOG(2), 1.5 * LOG(2), 0.0])


def test_duplicate_terms_count_once_and_empty_patient_scores_zero(tiny):
    scores = tiny.query_to_disease([[6, 2, 2, 6], []])
    assert np.allclose(scores[0], tiny.query_to_disease([[6, 2]])[0])
    assert not scores[1].any()


def test_symmetric_adds_the_disease_side(tiny):
    # Q = {A2}, D3 = {A1a}: Q -> D is log 4/3 and D -> Q is MICA(A1a, A2) = A, log 4/3 again.
    # D1 = {A2}: both sides log 4. D0 = {A1}: both sides log 4/3.
    both = tiny.symmetric([[4]])[0]
    assert np.allclose(both[[0, 1, 3]], [LOG(4 / 3), LOG(4), LOG(4 / 3)])
    # Q = {A1a, B} against D3 {A1a}: D -> Q = max(log 4, log 2) = log 4; Q -> D = 1.5 log 2 -> mean 1.75 log 2.
    assert tiny.symmetric([[6, 2]])[0][3] == pytest.approx(1.75 * LOG(2))


def test_out_of_range_indices_are_refused(tiny):
    with pytest.raises(ValueError, match="term index"):
        tiny.query_to_disease([[7]])
    with pytest.raises(ValueError, match="outside"):
        ancestor_matrix(3, np.array([[0], [3]]))


def _random_dag(rng: np.random.Generator, terms: int) -> np.ndarray:
    pairs = []
    for child in range(1, terms):
        for parent in rng.choice(child, size=min(child, int(rng.integers(1, 3))), replace=False):
            pairs.append((child, int(parent)))
    return np.asarray(pairs).T


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_brute_force_on_random_ontologies(seed):
    rng = np.random.default_rng(seed)
    terms, diseases = 40, 12
    is_a = _random_dag(rng, terms)
    picks = [rng.choice(terms, size=int(rng.integers(1, 6)), replace=False) for _ in range(diseases - 1)]
    annotations = np.array([[d, int(t)] for d, chosen in enumerate(picks) for t in chosen]).T
    index = ResnikIndex.build(terms, diseases, is_a, annotations)
    patients = [rng.choice(terms, size=int(rng.integers(1, 7)), replace=False).tolist() for _ in range(6)]
    disease_terms = [sorted(set(annotations[1][annotations[0] == d].tolist())) for d in range(diseases)]

    def one_sided(query, target):
        if not query or not target:
            return 0.0
        return float(np.mean([max(resnik(index, q, t) for t in target) for q in query]))

    forward = index.query_to_disease(patients, chunk=7)
    backward = index.disease_to_query(patients)
    for p, query in enumerate(patients):
        for d, target in enumerate(disease_terms):
            assert forward[p, d] == pytest.approx(one_sided(query, target))
            assert backward[p, d] == pytest.approx(one_sided(target, query))
