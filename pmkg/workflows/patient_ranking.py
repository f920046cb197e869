"""One patient's drug list from the model's scores: what the record states leads, what would harm is held back.

Order of the list (the model's score decides within each group):

1. drugs indicated (TREATS) for a recorded, non-excluded diagnosis, or, for a recorded diagnosis with no known drug,
   the repurposing model's best candidates for it (in that model's order), when the caller has that model;
2. the model's other drugs;

and a drug with a reason to hold it back — a CPIC or DPWG recommendation to avoid it or use an alternative for the
patient's genotype, or a contraindicated interaction with a current medication — leaves the top ``k``. It is still
reported, after the top ``k``, with the reason (``held back: ...``), when it would otherwise have been in it, so a
reader sees what was moved and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from pmkg.ingest.pgx import CONTRAINDICATING


@dataclass
class PatientRanking:
    recommended: list[str]  # drug ids, best first, at most k
    held_back: dict[str, list[str]] = field(default_factory=dict)  # drug id -> reasons, those that left the top k
    lead: set[str] = field(default_factory=set)  # the recommended drugs indicated for a recorded diagnosis


def pgx_flag_text(body: str, action: str, classification: str | None) -> str:
    """``'CPIC: avoid (Strong)'``: the short form of a recommendation, as flags and PREDICTED_BENEFIT.pgx_flags
    carry it."""
    return f"{body or 'PGx'}: {action}" + (f" ({classification})" if classification else "")


def pgx_hold_reasons(recommendations: Iterable[Mapping]) -> list[str]:
    """The flag of each recommendation whose action keeps the drug out of the top k."""
    return [
        pgx_flag_text(r["guideline_source"], r["action"], r.get("classification"))
        for r in recommendations
        if r.get("action") in CONTRAINDICATING
    ]


def rank_patient_drugs(
    scores: np.ndarray,
    drug_ids: list[str],
    top_k: int,
    indicated: set[str] = frozenset(),
    hold: Mapping[str, list[str]] | None = None,
    predicted: Sequence[str] = (),
) -> PatientRanking:
    """Rank ``drug_ids`` (columns of ``scores``) by the module's rule; ``hold`` maps a drug id to its reasons;
    ``predicted`` are the repurposing model's candidates for recorded diagnoses without a known drug, best first."""
    hold = {drug: reasons for drug, reasons in (hold or {}).items() if reasons}
    order = [drug_ids[c] for c in np.argsort(-scores, kind="stable")]
    known = set(drug_ids)
    lead = [d for d in order if d in indicated] + [d for d in dict.fromkeys(predicted) if d in known]
    lead = list(dict.fromkeys(lead))
    chosen = set(lead)
    ordered = lead + [d for d in order if d not in chosen]
    recommended = [d for d in ordered if d not in hold][:top_k]
    held = {d: hold[d] for d in ordered[:top_k] if d in hold}
    return PatientRanking(recommended, held, {d for d in recommended if d in chosen})
