"""Interaction warnings: every drug recommended to a patient, checked against the patient's current medications.

Current medications are the phenopacket's ``medicalActions`` treatment agents (kept on the ``Patient`` node as
``treatments``) and, for the HTTP API and ``pmkg patients score --medication``, an explicit list. Interactions are
DrugCentral's (:mod:`pmkg.ingest.drugcentral_ddi`): class-level, so a warning says the two drugs belong to classes
DrugCentral lists as interacting, at its risk class. Warnings come most severe first (contraindicated, critical,
avoid combination, then significant, potentially significant); a ``Contraindicated`` interaction holds the drug back
from the top ``k``, as a CPIC "avoid" does (:mod:`pmkg.workflows.patient_ranking`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from pmkg.ingest.drugcentral_ddi import EVIDENCE, HOLDING_RISK, RISK_ORDER, InteractionTable

SOURCE_NAME = "DrugCentral"


@dataclass(frozen=True)
class InteractionWarning:
    medication: str  # the current medication's drug id
    medication_name: str
    risk: str  # the most severe of ``risks``
    risks: tuple[str, ...]
    source: str = SOURCE_NAME
    evidence: str = EVIDENCE

    @property
    def text(self) -> str:
        """``'Contraindicated with warfarin (DrugCentral)'``."""
        return f"{self.risk} with {self.medication_name} ({self.source})"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "risks": list(self.risks), "text": self.text}


# (medication) -> its interacting drugs as (drug id, most severe risk, every risk)
Partners = Callable[[str], Iterable[tuple[str, str, Iterable[str]]]]


def table_partners(table: InteractionTable) -> Partners:
    """The :data:`Partners` of an interaction table read from the data folder (scoring without a graph)."""

    def partners(medication: str) -> Iterable[tuple[str, str, Iterable[str]]]:
        for interaction in table.by_drug.get(medication, ()):
            yield interaction.partner(medication), interaction.risk, interaction.risks

    return partners


def interaction_warnings(
    medications: Mapping[str, str], partners: Partners
) -> dict[str, list[InteractionWarning]]:
    """Drug id -> its warnings against ``medications`` (id -> display name), most severe first.

    A medication is never warned about itself (a patient already taking a drug is not warned that it interacts
    with itself).
    """
    warnings: dict[str, list[InteractionWarning]] = {}
    for medication, name in medications.items():
        for drug, risk, risks in partners(medication):
            if drug == medication:
                continue
            ordered = tuple(sorted(set(risks) | {risk}, key=RISK_ORDER.index))
            warnings.setdefault(drug, []).append(InteractionWarning(medication, name, ordered[0], ordered))
    for found in warnings.values():
        found.sort(key=lambda w: (RISK_ORDER.index(w.risk), w.medication_name))
    return warnings


def interaction_hold_reasons(warnings: Iterable[InteractionWarning]) -> list[str]:
    """The warnings that keep a drug out of the top k, as reasons: ``'contraindicated with warfarin (DrugCentral)'``."""
    return [f"contraindicated with {w.medication_name} ({w.source})" for w in warnings if w.risk == HOLDING_RISK]
