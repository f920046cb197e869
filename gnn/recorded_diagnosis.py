"""A recorded diagnosis is evidence the model cannot overrule.

The drug-patient model ranks drugs through its differential diagnosis ``pi(p, c)`` (:mod:`gnn.patient_model`).
Trained on a small cohort, that softmax can put another disease above the one the patient's record states (a colon
cancer patient read as pancreatic cancer). When a patient has recorded, non-excluded diagnoses among the model's
candidate diseases, the differential used for drugs is restricted to them:

``pi'(p, c) = 1/2 * 1/|R| + 1/2 * pi(p, c) / sum_{r in R} pi(p, r)`` for ``c`` in the recorded set ``R``, else 0.

Half the mass is spread evenly so that no recorded diagnosis is dropped because the model finds it unlikely; the
other half keeps the model's view of which recorded diagnosis explains the phenotypes best. Patients without a
recorded candidate diagnosis keep the model's own ``pi``. The model's probabilities stay reported beside the
recorded diagnoses, and the diseases it would add are shown as its suggestions, never as the diagnosis.
"""

from __future__ import annotations

import numpy as np
import torch
from pmkg.gnn.patient_data import DIAGNOSIS, PatientInputs
from pmkg.gnn.patient_model import PatientDrugModel
from torch import Tensor

EVEN_SHARE = 0.5  # the part of a recorded patient's mass spread evenly over the recorded diagnoses


def recorded_candidates(diagnosis_pairs: np.ndarray, candidates: list[int], num_patients: int) -> list[list[int]]:
    """Per patient row, the candidate positions (columns of ``pi``) of its recorded diagnoses.

    ``diagnosis_pairs`` is the ``(2, E)`` array of (patient row, Disease node index) of the patient inputs, which
    hold only non-excluded diagnoses.
    """
    position = {int(node): i for i, node in enumerate(candidates)}
    recorded: list[list[int]] = [[] for _ in range(num_patients)]
    for row, node in zip(diagnosis_pairs[0].tolist(), diagnosis_pairs[1].tolist(), strict=True):
        column = position.get(int(node))
        if column is not None and column not in recorded[row]:
            recorded[row].append(column)
    return recorded


def respect_recorded(log_pi: Tensor, recorded: list[list[int]]) -> Tensor:
    """``log pi'`` of the module docstring, shape ``(P, C)``; rows without recorded candidates are unchanged."""
    out = log_pi.clone()
    for row, columns in enumerate(recorded):
        if not columns:
            continue
        index = torch.as_tensor(columns, dtype=torch.long)
        model_share = torch.softmax(log_pi[row, index], dim=0)  # pi renormalised over the recorded set
        mass = EVEN_SHARE / len(columns) + (1 - EVEN_SHARE) * model_share
        row_values = torch.full_like(log_pi[row], float("-inf"))
        row_values[index] = torch.log(mass)
        out[row] = row_values
    return out


@torch.no_grad()
def score_respecting_recorded(
    model: PatientDrugModel, h: dict[str, Tensor], inputs: PatientInputs
) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Drug logits ``(P, D)`` through the restricted differential, the model's own ``pi`` ``(P, C)``, and each
    row's recorded candidate columns."""
    relations, tokens, pgx = inputs.tensors()
    z = model.encode_patients(h, inputs.num_patients, relations, tokens)
    log_pi = torch.log_softmax(model.disease_logits(z, h), dim=1)
    recorded = recorded_candidates(inputs.relations[DIAGNOSIS], model.hparams["candidates"], inputs.num_patients)
    scores = model.score(z, h, pgx, respect_recorded(log_pi, recorded)).numpy()
    return scores, log_pi.exp().numpy(), recorded
