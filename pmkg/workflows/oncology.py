"""Biomarker-matched therapies for one patient's tumour, from CIViC's predictive evidence, ranked and explained.

Input: the CIViC molecular profiles a tumour has (:func:`ingest.tumour.match_variants`) and the patient's diseases.
Output: every therapy with predictive evidence for those profiles (:class:`BiomarkerTherapy`), best first, and per
drug the summary the patient recommendation merges (:func:`drug_biomarkers`, :func:`merge_recommendations`).

**Scoring an evidence item** (one CIViC item, for this patient): ``level points x disease fit x match``.

* Level points: A 100, B 60, C 30, D 15, E 5 (:data:`LEVEL_POINTS`), so a level never falls below the next one
  down whatever the fit.
* Disease fit (:data:`DISEASE_FIT`), the best over the patient's diagnoses, through the Disease Ontology's ``IS_A``:
  ``same`` DOID 1.0; ``broader`` (the item's disease is an ancestor: lung cancer evidence for an NSCLC patient) 0.9;
  ``narrower`` (a descendant: CIViC files vemurafenib's level A item under skin melanoma, DOID:8923, a subtype of
  melanoma, DOID:1909) 0.85; ``pan-cancer`` ("cancer", DOID:162) 0.6; ``other`` tumour type 0.4; ``unknown`` (no
  DOID, or one the Disease Ontology in use lacks) 0.3; and 0.5 for every item when the patient has no diagnosis.
* Match: the profile matched by the variant itself 1.0, by its codon only (``BRAF V600`` for a V600E) 0.9, and
  0.3 for **another variant of the same gene** (a profile the tumour does not have, but one of its genes is in it):
  only its supporting sensitivity items count, as a fallback when the tumour's own variant has little or no evidence
  (an exact level C item and a same-gene level A item weigh the same); its resistance never warns.
* An item whose variant origin contradicts the patient's variant (germline evidence for a somatic variant, or the
  reverse) is left out and counted.

**A therapy** (one drug, or a combination as CIViC states it) scores its best supporting sensitivity item plus a
tenth of the others' scores (:data:`OTHER_ITEMS_WEIGHT`): the level and fit of the best item decide, and the weight
of further evidence separates therapies whose best items tie (a lone level B item needs more than 400 points of
further evidence to pass a level A item in the patient's own disease). Resistance and reduced-sensitivity items that
support are scored the same way and are **warnings**: when the best of them scores at least the best sensitivity item,
the resistance **outranks** the sensitivity and the therapy moves below every therapy it does not outrank (EGFR T790M
puts erlotinib's level A resistance above its L858R level A sensitivity). ``Does Not Support`` items are shown as
evidence against, never as support. Adverse-response items are warnings too.

**A drug** (for the patient's drug list) takes the best score of the therapies that contain it, a combination's
score counting :data:`COMBINATION_PARTNER` (0.9) for each of its drugs (cobimetinib is evidence for cobimetinib +
vemurafenib, not for cobimetinib alone); its resistance is that of the therapies where it is the only drug, and
outranks its sensitivity as above.

pmkg is research software, not clinical decision support: :data:`NOTICE` goes with every patient result.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pmkg.ingest.civic import CivicKnowledge, EvidenceItem
    from pmkg.ingest.tumour import TumourMatch

NOTICE = (
    "pmkg is research software, not clinical decision support: these rankings are for research and must not "
    "guide the treatment of a patient."
)
LEVEL_POINTS = {"A": 100.0, "B": 60.0, "C": 30.0, "D": 15.0, "E": 5.0}
DISEASE_FIT = {
    "same": 1.0,
    "broader": 0.9,
    "narrower": 0.85,
    "pan-cancer": 0.6,
    "no diagnosis": 0.5,
    "other": 0.4,
    "unknown": 0.3,
}
MATCH_FACTOR = {"variant": 1.0, "codon": 0.9, "gene": 0.3}
OTHER_ITEMS_WEIGHT = 0.1
COMBINATION_PARTNER = 0.9
GENERIC_DISEASES = frozenset({"DOID:162", "DOID:14566", "DOID:4"})  # cancer; cellular proliferation; disease
SENSITIVITY = "Sensitivity/Response"
RESISTANCE = ("Resistance", "Reduced Sensitivity")
ADVERSE = "Adverse Response"
# Resistance-only drugs join the patient's drug list as warnings from these levels, in a disease that fits.
WARNING_LEVELS = ("A", "B", "C")
WARNING_FITS = ("same", "broader", "narrower", "pan-cancer", "no diagnosis")
GERMLINE = ("Rare Germline", "Common Germline")
FIT_WORDS = {
    "broader": ", a broader disease than the patient's",
    "narrower": ", a subtype of the patient's disease",
    "pan-cancer": ", any cancer",
    "other": ", another tumour type",
    "unknown": ", a disease the Disease Ontology in use lacks",
}


@dataclass(frozen=True)
class EvidenceLine:
    """One CIViC item as it bears on this patient."""

    evidence_id: str
    level: str
    rating: int | None
    significance: str
    direction: str
    disease_id: str | None
    disease_name: str
    disease_fit: str
    origin: str
    citation: str
    profile_id: str
    profile_name: str
    matched_by: str  # variant | codon | gene (another variant of the same gene)
    score: float


@dataclass
class BiomarkerTherapy:
    therapy_id: str
    therapy_name: str
    drug_ids: list[str]
    drug_names: list[str]
    interaction: str  # "" | Combination | Sequential | Substitutes
    sensitivity: list[EvidenceLine] = field(default_factory=list)  # supporting, best first
    resistance: list[EvidenceLine] = field(default_factory=list)  # supporting resistance / reduced sensitivity
    against: list[EvidenceLine] = field(default_factory=list)  # Does Not Support sensitivity
    adverse: list[EvidenceLine] = field(default_factory=list)  # supporting adverse response
    rank: int = 0

    @property
    def score(self) -> float:
        """The best supporting sensitivity item's score plus a tenth of the others' (0 without any)."""
        return _aggregate(self.sensitivity)

    @property
    def best_score(self) -> float:
        return self.sensitivity[0].score if self.sensitivity else 0.0

    @property
    def resistance_score(self) -> float:
        """The best supporting resistance item's score (0 without any)."""
        return self.resistance[0].score if self.resistance else 0.0

    @property
    def resistance_outranks(self) -> bool:
        return bool(self.resistance) and self.resistance_score >= self.best_score

    @property
    def best_level(self) -> str | None:
        return self.sensitivity[0].level if self.sensitivity else None

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.resistance:
            best = self.resistance[0]
            verdict = "outranks the sensitivity evidence" if self.resistance_outranks else "weaker than the sensitivity"
            out.append(
                f"{best.significance.lower()}: CIViC level {best.level} ({best.evidence_id}, {best.profile_name}, "
                f"{best.disease_name or 'no disease'}) {verdict}"
            )
        if self.adverse:
            best = self.adverse[0]
            out.append(f"adverse response: CIViC level {best.level} ({best.evidence_id}, {best.profile_name})")
        if self.against:
            out.append(f"{len(self.against)} CIViC item(s) do not support sensitivity ({self.against[0].evidence_id})")
        return out

    def sort_key(self) -> tuple:
        best = self.sensitivity[0] if self.sensitivity else None
        return (self.resistance_outranks or not self.sensitivity, -round(self.score, 6), -((best and best.rating) or 0),
                -self.resistance_score, self.therapy_name.lower())  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            score=self.score,
            best_level=self.best_level,
            resistance_outranks=self.resistance_outranks,
            warnings=self.warnings,
        )
        return data


@dataclass
class DrugBiomarker:
    """What the biomarker evidence says about one drug, over every therapy that contains it."""

    drug_id: str
    drug_name: str
    score: float = 0.0  # best score of a therapy containing the drug (a combination's x COMBINATION_PARTNER)
    best_score: float = 0.0  # best single sensitivity item of those therapies
    resistance_score: float = 0.0  # best resistance item of the therapies where this is the only drug
    best_level: str | None = None
    resistance_level: str | None = None
    resistance_fit: str | None = None
    evidence_ids: list[str] = field(default_factory=list)  # the best therapy's supporting items
    therapies: list[str] = field(default_factory=list)  # therapies (drug or combination) with sensitivity evidence
    resistance_evidence_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def resistance_outranks(self) -> bool:
        return self.resistance_score > 0 and self.resistance_score >= self.best_score

    @property
    def supported(self) -> bool:
        return self.score > 0 and not self.resistance_outranks

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "resistance_outranks": self.resistance_outranks}


@dataclass
class BiomarkerResult:
    therapies: list[BiomarkerTherapy]
    skipped: Counter = field(default_factory=Counter)


def disease_fit(civic: CivicKnowledge, evidence_disease: str | None, patient_diseases: set[str]) -> str:
    """How the evidence's disease relates to the patient's: see :data:`DISEASE_FIT`."""
    if not patient_diseases:
        return "no diagnosis"
    if evidence_disease is None or evidence_disease not in civic.disease_parents:
        return "unknown"
    if evidence_disease in patient_diseases:
        return "same"
    if evidence_disease in GENERIC_DISEASES:
        return "pan-cancer"
    if any(evidence_disease in civic.ancestors(d) for d in patient_diseases):
        return "broader"
    if any(d in civic.ancestors(evidence_disease) for d in patient_diseases):
        return "narrower"
    return "other"


def biomarker_therapies(
    civic: CivicKnowledge, match: TumourMatch, patient_diseases: set[str], exclude_profiles: set[int] = frozenset()
) -> BiomarkerResult:
    """Every therapy with predictive evidence for the tumour's matched profiles, ranked (see the module docstring)."""
    codon_only = _codon_only_profiles(civic, match)
    therapies: dict[str, BiomarkerTherapy] = {}
    skipped: Counter = Counter()
    for profile_id in match.profiles:
        if profile_id in exclude_profiles:
            continue
        profile = civic.release.profiles[profile_id]
        somatic = _profile_origin(match, profile.variant_ids)
        for item in civic.evidence_of_profile.get(profile_id, []):
            if item.evidence_type != "Predictive" or not item.therapies:
                continue
            if not _origin_fits(item.origin, somatic):
                skipped["evidence of the other variant origin (germline/somatic)"] += 1
                continue
            fit = disease_fit(civic, item.disease_id, patient_diseases)
            how = "codon" if profile_id in codon_only else "variant"
            line = _line(item, profile.curie, profile.name, fit, how)
            for therapy in item.therapies:
                entry = therapies.setdefault(
                    therapy.id,
                    BiomarkerTherapy(therapy.id, therapy.name, list(therapy.drugs), list(therapy.drug_names),
                                     therapy.interaction if therapy.label == "DrugCombination" else ""),
                )  # fmt: skip
                _file(entry, item, line)
    for profile in _same_gene_profiles(civic, match, exclude_profiles):
        for item in civic.evidence_of_profile.get(profile.id, []):
            if item.evidence_type != "Predictive" or item.significance != SENSITIVITY or not item.supports:
                continue
            if item.origin in GERMLINE:  # germline evidence on another variant says nothing of this tumour's
                continue
            fit = disease_fit(civic, item.disease_id, patient_diseases)
            line = _line(item, profile.curie, profile.name, fit, "gene")
            for therapy in item.therapies:
                entry = therapies.setdefault(
                    therapy.id,
                    BiomarkerTherapy(therapy.id, therapy.name, list(therapy.drugs), list(therapy.drug_names),
                                     therapy.interaction if therapy.label == "DrugCombination" else ""),
                )  # fmt: skip
                entry.sensitivity.append(line)
    return _ranked(therapies, skipped)


def _same_gene_profiles(civic: CivicKnowledge, match: TumourMatch, exclude: set[int]) -> list:
    """Profiles the tumour does not have that hold a variant of one of its genes (the ``gene`` match tier)."""
    if not match.genes:
        return []
    have = set(match.profiles) | set(exclude)
    return [
        profile for profile in civic.release.profiles.values()
        if profile.id not in have and profile.rule != "negated"
        and any(civic.variant_gene(civic.release.variants[v]) in match.genes for v in profile.variant_ids)
    ]  # fmt: skip


def _ranked(therapies: dict[str, BiomarkerTherapy], skipped: Counter) -> BiomarkerResult:
    for therapy in therapies.values():
        for lines in (therapy.sensitivity, therapy.resistance, therapy.against, therapy.adverse):
            lines.sort(key=lambda x: (-x.score, -(x.rating or 0), x.evidence_id))
    ranked = sorted(therapies.values(), key=BiomarkerTherapy.sort_key)
    for rank, therapy in enumerate(ranked, start=1):
        therapy.rank = rank
    return BiomarkerResult(ranked, skipped)


def _aggregate(lines: list[EvidenceLine]) -> float:
    if not lines:
        return 0.0
    return round(lines[0].score + OTHER_ITEMS_WEIGHT * sum(line.score for line in lines[1:]), 4)


def _file(entry: BiomarkerTherapy, item: EvidenceItem | EvidenceLine, line: EvidenceLine) -> None:
    supports = item.direction == "Supports"
    if item.significance == SENSITIVITY:
        (entry.sensitivity if supports else entry.against).append(line)
    elif item.significance in RESISTANCE and supports:
        entry.resistance.append(line)
    elif item.significance == ADVERSE and supports:
        entry.adverse.append(line)


def therapies_from_rows(rows: list[dict[str, Any]]) -> BiomarkerResult:
    """The same ranking from the rows of the named query ``patient_biomarker_therapies`` (a stored patient, read
    from the graph: what ``pmkg patients predict`` writes back). Codon-level matches carry ``matched_by`` codon."""
    therapies: dict[str, BiomarkerTherapy] = {}
    for row in rows:
        fit = row["disease_fit"]
        if fit == "broader" and row["disease_id"] in GENERIC_DISEASES:
            fit = "pan-cancer"
        how = "codon" if set(row["matched_by"]) == {"codon"} else "variant"
        level = row["level"]
        line = EvidenceLine(
            evidence_id=row["evidence_id"], level=level, rating=row["rating"] or None,
            significance=row["significance"], direction=row["direction"], disease_id=row["disease_id"] or None,
            disease_name=row["disease_name"], disease_fit=fit, origin=row["origin"], citation=row["citation"],
            profile_id=row["profile_id"], profile_name=row["profile_name"], matched_by=how,
            score=round(LEVEL_POINTS[level] * DISEASE_FIT[fit] * MATCH_FACTOR[how], 4),
        )  # fmt: skip
        interaction = "Combination" if len(row["drug_ids"]) > 1 else ""
        entry = therapies.setdefault(
            row["therapy_id"],
            BiomarkerTherapy(row["therapy_id"], row["therapy_name"], list(row["drug_ids"]), list(row["drug_names"]),
                             interaction),
        )  # fmt: skip
        if line.evidence_id not in {x.evidence_id for x in (*entry.sensitivity, *entry.resistance, *entry.against)}:
            _file(entry, line, line)
    return _ranked(therapies, Counter())


def _line(item: EvidenceItem, profile_id: str, profile_name: str, fit: str, how: str) -> EvidenceLine:
    score = LEVEL_POINTS[item.level] * DISEASE_FIT[fit] * MATCH_FACTOR[how]
    return EvidenceLine(
        evidence_id=item.curie, level=item.level, rating=item.rating, significance=item.significance,
        direction=item.direction, disease_id=item.disease_id or item.doid, disease_name=item.disease_name,
        disease_fit=fit, origin=item.origin, citation=item.citation, profile_id=profile_id,
        profile_name=profile_name, matched_by=how, score=round(score, 4),
    )  # fmt: skip


def _codon_only_profiles(civic: CivicKnowledge, match: TumourMatch) -> set[int]:
    """Profiles matched only through a codon-level variant (CIViC's ``BRAF V600`` for the tumour's V600E)."""
    exact = {vid for m in match.matches if m.matched_by != "codon" for vid in m.civic_ids}
    return {p for p in match.profiles if not set(civic.release.profiles[p].variant_ids) & exact}


def _profile_origin(match: TumourMatch, variant_ids: list[int]) -> bool | None:
    origins = {match.origin_of(v) for v in variant_ids if v in match.civic_variant_ids}
    return True if True in origins else (False if origins == {False} else None)


def _origin_fits(evidence_origin: str, somatic: bool | None) -> bool:
    if somatic is None:
        return True
    germline = evidence_origin in GERMLINE
    return not germline if somatic else evidence_origin != "Somatic"


def drug_biomarkers(result: BiomarkerResult) -> dict[str, DrugBiomarker]:
    """Per drug: the best therapy containing it, its resistance, and one line saying why (see the module docstring)."""
    out: dict[str, DrugBiomarker] = {}
    for therapy in result.therapies:
        alone = len(therapy.drug_ids) == 1 or therapy.interaction == "Substitutes"
        for drug, name in zip(therapy.drug_ids, therapy.drug_names, strict=True):
            entry = out.setdefault(drug, DrugBiomarker(drug, name))
            score = therapy.score * (1.0 if alone else COMBINATION_PARTNER)
            if therapy.sensitivity:
                entry.therapies.append(therapy.therapy_name)
                entry.best_score = max(entry.best_score, therapy.best_score)
                if score > entry.score:
                    entry.score, entry.best_level = score, therapy.sensitivity[0].level
                    entry.evidence_ids = [line.evidence_id for line in therapy.sensitivity]
                    entry.reason = _reason(therapy, drug)
            if therapy.resistance and alone:
                if therapy.resistance_score > entry.resistance_score:
                    entry.resistance_score = therapy.resistance_score
                    entry.resistance_level = therapy.resistance[0].level
                    entry.resistance_fit = therapy.resistance[0].disease_fit
                entry.resistance_evidence_ids.extend(line.evidence_id for line in therapy.resistance)
            prefix = "" if alone else f"{therapy.therapy_name}: "
            entry.warnings.extend(prefix + w for w in therapy.warnings if prefix + w not in entry.warnings)
    for entry in out.values():
        if not entry.reason and entry.warnings:
            entry.reason = f"CIViC {entry.warnings[0]}"
        entry.resistance_evidence_ids = list(dict.fromkeys(entry.resistance_evidence_ids))
    return out


def _reason(therapy: BiomarkerTherapy, drug: str) -> str:
    best = therapy.sensitivity[0]
    partners = [n for d, n in zip(therapy.drug_ids, therapy.drug_names, strict=True) if d != drug]
    combined = (
        f" in combination with {' + '.join(partners)}" if partners and therapy.interaction != "Substitutes" else ""
    )
    fit = FIT_WORDS.get(best.disease_fit, "")
    return (
        f"CIViC level {best.level} sensitivity{combined}: {best.evidence_id} ({best.profile_name}, "
        f"{best.disease_name or 'no disease'}{fit})"
    )


def merge_order(
    model_order: list[str], biomarkers: dict[str, DrugBiomarker], top_k: int
) -> tuple[list[str], list[str]]:
    """``(recommended, warned)`` drug ids: biomarker-supported drugs (best first), then the model's ranking, ``top_k``
    in all; then every drug whose resistance outranks its sensitivity, or that has only resistance evidence at level A-C
    in a disease that fits the patient's (:data:`WARNING_FITS`), or that the model ranked in its ``top_k``."""
    position = {drug: i for i, drug in enumerate(model_order)}
    supported = sorted(
        (d for d, b in biomarkers.items() if b.supported),
        key=lambda d: (-round(biomarkers[d].score, 6), position.get(d, len(position)), d),
    )
    warned_ids = {
        d for d, b in biomarkers.items()
        if b.resistance_outranks and (b.score > 0 or d in model_order[:top_k] or _worth_warning(b))
    }  # fmt: skip
    recommended = list(supported)
    for drug in model_order:
        if len(recommended) >= top_k:
            break
        if drug not in recommended and drug not in warned_ids:
            recommended.append(drug)
    warned = sorted(warned_ids, key=lambda d: (-biomarkers[d].resistance_score, d))
    return recommended[:top_k], warned


def _worth_warning(biomarker: DrugBiomarker) -> bool:
    return biomarker.resistance_level in WARNING_LEVELS and biomarker.resistance_fit in WARNING_FITS


def tumour_summary(civic: CivicKnowledge, match: TumourMatch, result: BiomarkerResult) -> dict[str, Any]:
    """What the tumour matched in CIViC (variants, profiles), what it did not, and the release used."""
    variants = []
    for found in match.matches:
        for civic_id in found.civic_ids:
            variants.append({
                "civic_variant_id": f"CIVIC.VID:{civic_id}",
                "name": civic.release.variants[civic_id].full_name,
                "matched_by": found.matched_by,
                "origin": {True: "somatic", False: "germline", None: "not stated"}[found.variant.somatic],
            })  # fmt: skip
    profiles = [{"profile_id": f"CIVIC.MP:{p}", "name": civic.release.profiles[p].name} for p in match.profiles]
    return {
        "civic_release": civic.version,
        "variants": variants,
        "profiles": profiles,
        "unmatched_variants": dict(match.unmatched),
        "evidence_left_out": dict(result.skipped),
    }
