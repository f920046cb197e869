"""Score ONE patient, given as a Phenopacket v2 dict (and optionally VCF text), without storing anything.

This is the entry point for services (issue F's HTTP API)::

    from pmkg.workflows.patient_scoring import PatientScorer, score_patient

    scorer = PatientScorer.load(model_dir, data_dir)          # once: weights, graph embeddings, CPIC tables
    result = score_patient(phenopacket_dict, vcf_text, scorer=scorer, top_k=10)
    result.to_dict()                                           # JSON-safe

The patient goes through exactly the ingest path (:class:`ingest.patients.PatientRecordBuilder`: validation,
id resolution, star-allele calling, CPIC/DPWG recommendations), then through the same cohort semantics as the
graph export (:func:`kg.patients.cohort_from_records`), and is scored inductively by the trained drug-patient
model from its saved graph embeddings. Nothing is written to the graph or to disk, and nothing is logged but
counts. Invalid input raises :class:`PatientInputError` (a ``ValueError``) whose message names the field.

With CIViC in the scorer's data folder, the tumour's variants (phenopacket variant interpretations and an optional
tumour VCF on a stated assembly, :mod:`ingest.tumour`) are matched to CIViC and the biomarker-matched therapies
(:mod:`workflows.oncology`) are merged with the model's ranking and the PGx flags into one list: biomarker-supported
drugs first, then the model's, then the drugs whose resistance evidence outranks their sensitivity, each drug with
the reasons it is there. pmkg is research software, not clinical decision support (``notice`` in every result).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pmkg.workflows.oncology import NOTICE

# The model's disease softmax covers only the diseases with a TREATS indication; on real phenopackets it rarely
# names the recorded disease (docs/evaluation/real-phenopackets.md), so every result says what it can name.
DIFFERENTIAL_SCOPE = (
    "the model's suggestions cover only the {n} diseases with a known drug indication in the graph; they are not a "
    "diagnosis (on real phenopackets they rarely name the recorded disease: see the real-phenopacket evaluation)"
)


class PatientInputError(ValueError):
    """The phenopacket or VCF cannot be used; the message names the field or line, never a value."""


@dataclass
class RankedDrug:
    rank: int
    drug_id: str
    drug_name: str
    score: float | None  # the model's logit; None for a drug the model's graph lacks (e.g. a CIViC-only therapy)
    probability: float | None
    pgx_flags: list[str]  # e.g. ['CPIC: avoid (Strong)']
    recommendations: list[dict[str, Any]] = field(default_factory=list)  # body, action, classification, text
    sources: list[str] = field(default_factory=list)  # why it is listed: "civic", "model", "pgx"
    reasons: list[str] = field(default_factory=list)  # one line per source, in words
    biomarker: dict[str, Any] | None = None  # workflows.oncology.DrugBiomarker: level, evidence ids, resistance
    warning: str | None = None  # resistance that outranks the sensitivity evidence, or why it was held back
    interactions: list[dict[str, Any]] = field(default_factory=list)  # against current medications, worst first


@dataclass
class PatientScore:
    model_version: str
    drugs: list[RankedDrug]
    differential: list[dict[str, Any]]  # top candidate diseases: id, name, probability
    pgx: dict[str, dict[str, Any]]  # gene -> diplotype, phenotype, lookup key
    unmapped: dict[str, int]  # patient terms the model's graph does not know, by relation
    used_diagnosis: bool
    milliseconds: float
    biomarker_therapies: list[dict[str, Any]] = field(default_factory=list)  # workflows.oncology.BiomarkerTherapy
    tumour: dict[str, Any] | None = None  # matched CIViC variants and profiles, unmatched counts, CIViC release
    notice: str = ""  # research software, not clinical decision support
    medications: list[dict[str, str]] = field(default_factory=list)  # current medications checked: id, name
    differential_scope: str = ""  # which diseases the model's differential can name at all
    notes: list[str] = field(default_factory=list)  # what the reader should know about this result
    interactions_checked: bool = False  # False when the scorer has no interaction table (drugcentral-ddi/)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PatientScorer:
    """A loaded drug-patient model plus the CPIC/PharmCAT tables and the id resolver (load once, reuse)."""

    def __init__(self, loaded, pgx, resolver, gene_ids: dict[str, str], civic=None, interactions=None):
        self.loaded = loaded
        self.pgx = pgx
        self.resolver = resolver
        self.gene_ids = gene_ids
        self.civic = civic  # ingest.civic.CivicKnowledge, when the data folder holds civic/
        self.interactions = interactions  # ingest.drugcentral_ddi.InteractionTable, when it holds drugcentral-ddi/
        self._disease_ids = None

    @classmethod
    def load(cls, model_dir: Path, data_dir: Path | None = None) -> PatientScorer:
        """``model_dir`` from ``pmkg patients train``; ``data_dir`` holds ``cpic/`` (needed to read VCFs) and
        the mapping sources that resolve OMIM/Orphanet/MONDO to DOID."""
        from pmkg.gnn.patient_artifacts import load_patient_model
        from pmkg.ingest.xrefs import Resolver

        loaded = load_patient_model(model_dir)
        resolver = Resolver.from_data_dir(data_dir) if data_dir else Resolver(None)
        pgx, gene_ids = None, {}
        if data_dir is not None and (data_dir / "cpic").is_dir():
            from pmkg.ingest.cpic import pharmacogene_ids
            from pmkg.ingest.pgx import PgxKnowledge

            pgx = PgxKnowledge.load(data_dir, resolver)
            gene_ids = pharmacogene_ids(data_dir, resolver)
        civic = None
        if data_dir is not None and (data_dir / "civic").is_dir():
            from pmkg.ingest.civic import load_knowledge

            civic = load_knowledge(data_dir, resolver)
        interactions = None
        if data_dir is not None and (data_dir / "drugcentral-ddi").is_dir():
            from pmkg.ingest.drugcentral_ddi import load_interactions

            interactions = load_interactions(data_dir)
        scorer = cls(loaded, pgx, resolver, gene_ids, civic, interactions)
        resolver.disease("DOID:4")  # build the alias tables now, not on the first request
        return scorer

    @property
    def model_version(self) -> str:
        return self.loaded.model_version


def read_patient(
    phenopacket: dict,
    vcf_text: str | None = None,
    *,
    scorer: PatientScorer,
    pseudonymiser=None,  # ingest.patients.Pseudonymiser; None: a throwaway key, the pseudonym is not kept
    absent_as_reference: bool = False,
    tumour_vcf: str | None = None,
    assembly: str | None = None,
):
    """One patient through the ingest path in memory: an ``ingest.patients.PatientIngest`` of one patient.

    With the key of ``pmkg ingest patients`` as ``pseudonymiser``, :func:`kg.patients.write_patients` stores
    exactly what that command would store for the same files.
    """
    from pmkg.ingest.patients import (
        SYNTHETIC_VCF_HEADER,
        PatientIngest,
        PatientIngestOptions,
        PatientRecordBuilder,
        Pseudonymiser,
    )
    from pmkg.ingest.phenopackets import PhenopacketError, parse_phenopacket
    from pmkg.ingest.vcf import VcfError, parse_vcf_text

    try:
        packet = parse_phenopacket(phenopacket, "phenopacket")
    except PhenopacketError as exc:
        raise PatientInputError(str(exc)) from None
    genotypes = None
    if vcf_text:
        if scorer.pgx is None:
            raise PatientInputError("this scorer was loaded without cpic/ data, so it cannot read a VCF")
        wanted = {p.key for d in scorer.pgx.definitions.values() for p in d.positions}
        try:
            vcf = parse_vcf_text(vcf_text, "vcf", keep=lambda chrom, pos: (chrom, pos) in wanted)
        except VcfError as exc:
            raise PatientInputError(str(exc)) from None
        if (SYNTHETIC_VCF_HEADER in vcf.meta) != packet.synthetic:
            raise PatientInputError(
                "vcf: one of the phenopacket and the VCF is synthetic (pmkg cohort synth) and the other is not; "
                "send a patient's own files"
            )
        sample = next((s for s in (*packet.vcf_samples, packet.id) if s in vcf.samples), None)
        if sample is None and len(vcf.samples) == 1:
            sample = vcf.samples[0]
        if sample is None:
            raise PatientInputError(
                f"vcf: {len(vcf.samples)} samples and none is named by the phenopacket (its id, or "
                "files[].individualToFileIdentifiers); send a single-sample VCF or name the sample"
            )
        genotypes = vcf.genotypes_of(sample)
    tumour = _tumour_vcf(tumour_vcf, assembly, packet, scorer) if tumour_vcf else None
    options = PatientIngestOptions(absent_as_reference=absent_as_reference)
    builder = PatientRecordBuilder(
        scorer.resolver,
        pseudonymiser or Pseudonymiser(secrets.token_bytes(32)),
        scorer.pgx,
        scorer.gene_ids,
        options,
        packet.synthetic,
        scorer.civic,
    )
    from pmkg.ingest.tumour import TumourInputError

    try:
        summary = builder.add_patient(packet.id, packet, genotypes, tumour)
    except TumourInputError as exc:
        raise PatientInputError(_tumour_message(exc)) from None
    return PatientIngest(builder.result, patients=[summary], files_read=0, tumours=builder.tumours)


def _tumour_vcf(text: str, assembly: str | None, packet, scorer: PatientScorer):
    from pmkg.ingest.tumour import TumourInputError, read_tumour_vcf
    from pmkg.ingest.vcf import VcfError

    if scorer.civic is None:
        raise PatientInputError(
            "tumour_vcf: this scorer was loaded without civic/ data, so it cannot match a tumour; give the data "
            "folder that holds civic/ (--data-dir, or --patient-data-dir for the service)"
        )
    try:
        return read_tumour_vcf(text, "tumour_vcf", assembly, packet.tumour_samples)
    except TumourInputError as exc:
        raise PatientInputError(_tumour_message(exc)) from None
    except VcfError as exc:
        raise PatientInputError(str(exc)) from None


def _tumour_message(exc) -> str:
    """A tumour error as the service locates it: ``phenopacket: field <path>: ...``, ``tumour_vcf...``, ``assembly``."""
    if exc.field.startswith(("tumour_vcf", "assembly")):
        return str(exc)
    return f"phenopacket: field {exc}"


def score_patient(
    phenopacket: dict,
    vcf_text: str | None = None,
    *,
    scorer: PatientScorer,
    top_k: int = 10,
    use_diagnosis: bool = True,
    absent_as_reference: bool = False,
    tumour_vcf: str | None = None,
    assembly: str | None = None,
    medications: list[str] | None = None,
) -> PatientScore:
    """Rank every drug for one patient (best first) with PGx flags; see the module docstring.

    ``use_diagnosis=False`` scores from phenotypes, variants and genotype only, as if the diagnosis were unknown.
    ``absent_as_reference`` treats pharmacogene positions missing from the VCF as homozygous reference.
    ``tumour_vcf`` is the tumour's VCF text, on ``assembly`` (GRCh37/GRCh38) unless its header states the build.
    ``medications`` (drug ids or names) are current medications beside the phenopacket's ``medicalActions``.
    """
    t0 = time.perf_counter()
    extra = resolve_medications(medications or [], scorer)
    ingest = read_patient(
        phenopacket, vcf_text, scorer=scorer, absent_as_reference=absent_as_reference, tumour_vcf=tumour_vcf,
        assembly=assembly,
    )  # fmt: skip
    return score_ingested(
        ingest, scorer=scorer, top_k=top_k, use_diagnosis=use_diagnosis, started=t0, medications=extra
    )


def resolve_medications(medications: list[str], scorer: PatientScorer) -> list[str]:
    """Drug ids of ``medications`` (ids in any supported prefix, or names); an unknown one is a 4xx-style error."""
    resolved = []
    model_drugs = scorer.loaded.index("Drug") if medications else {}
    for i, item in enumerate(medications):
        drug = scorer.resolver.drug(item) if ":" in item else scorer.resolver.drug_by_name(item)
        if drug is None and item in model_drugs:
            drug = item
        if drug is None:
            raise PatientInputError(
                f"medications[{i}]: not a drug id or name pmkg can resolve; give a DrugBank id such as DRUGBANK:DB00682"
            )
        resolved.append(drug)
    return resolved


def score_ingested(
    ingest,
    *,
    scorer: PatientScorer,
    top_k: int = 10,
    use_diagnosis: bool = True,
    started: float | None = None,
    medications: list[str] | None = None,
    disease_candidates: Callable[[str, int], list[str]] | None = None,
) -> PatientScore:
    """Score the one patient of ``ingest`` (from :func:`read_patient`); nothing is stored.

    A recorded diagnosis leads (:mod:`gnn.recorded_diagnosis`, :mod:`workflows.patient_ranking`); drugs that a
    CPIC/DPWG recommendation says to avoid, or that are contraindicated with a current medication
    (:mod:`workflows.interactions`), are held back from the top ``k`` with the reason.

    ``disease_candidates(disease, k)`` (the repurposing model's best drugs for a disease, e.g. the service's loaded
    model) leads the list for a recorded diagnosis that has no known drug, where the patient model is weak.
    """
    from pmkg.gnn.patient_data import DIAGNOSIS, build_inputs
    from pmkg.gnn.recorded_diagnosis import score_respecting_recorded
    from pmkg.kg.export import GraphExport
    from pmkg.kg.patients import cohort_from_records
    from pmkg.workflows.interactions import interaction_hold_reasons
    from pmkg.workflows.patient_ranking import pgx_flag_text, pgx_hold_reasons, rank_patient_drugs

    t0 = time.perf_counter() if started is None else started
    records = ingest.result
    cohort = cohort_from_records(records.nodes, records.edges, bool(ingest.synthetic))
    loaded = scorer.loaded
    inputs, _, unmapped = build_inputs(cohort, GraphExport(node_ids=loaded.node_ids), loaded.vocabulary)
    used_diagnosis = use_diagnosis and inputs.relations[DIAGNOSIS].size > 0
    if not use_diagnosis:
        inputs = inputs.without(DIAGNOSIS)
    all_scores, pi, _ = score_respecting_recorded(loaded.model, loaded.embeddings, inputs)
    scores = all_scores[0]
    probabilities = loaded.calibration.probability(scores)
    recorded = _recorded_diagnoses(records.edges) if use_diagnosis else []

    recommendations: dict[str, list[dict[str, Any]]] = {}
    pgx_calls: dict[str, dict[str, Any]] = {}
    for edge in records.edges:
        if edge.type == "HAS_PGX_RECOMMENDATION":
            recommendations[edge.dst] = [
                {
                    "guideline_source": body.upper(),
                    "action": edge.props.get(f"{body}_action"),
                    "classification": edge.props.get(f"{body}_classification"),
                    "text": edge.props.get(f"{body}_text"),
                    "guideline_id": edge.props.get(f"{body}_guideline_id"),
                }
                for body in ("cpic", "dpwg")
                if edge.props.get(f"{body}_action")
            ]
        elif edge.type == "HAS_DIPLOTYPE":
            pgx_calls[edge.props["gene_symbol"]] = {
                key: edge.props.get(key)
                for key in ("diplotype", "phenotype", "cpic_lookup_key", "ambiguous", "missing_positions")
            }
    hold = {drug: pgx_hold_reasons(recs) for drug, recs in recommendations.items()}
    current = _current_medications(records.nodes, medications or [], loaded)
    warnings = _interaction_warnings(current, scorer)
    for drug, found in warnings.items():
        hold.setdefault(drug, []).extend(interaction_hold_reasons(found))
    indicated = {drug for disease in recorded for drug in loaded.indications.get(disease, ())}
    without_drugs = [d for d in recorded if d not in _candidate_diseases(loaded)]
    predicted = [
        drug for disease in without_drugs for drug in (disease_candidates(disease, top_k) if disease_candidates else [])
    ]
    biomarkers, therapies, tumour = _biomarkers(ingest, scorer, use_diagnosis)
    model_ids = loaded.node_ids["Drug"]
    column = {drug: i for i, drug in enumerate(model_ids)}
    ranking = rank_patient_drugs(scores, model_ids, top_k + len(biomarkers), indicated, hold, predicted)
    model_order = ranking.recommended
    if biomarkers:
        from pmkg.workflows.oncology import merge_order

        allowed = {d: b for d, b in biomarkers.items() if not hold.get(d)}
        recommended, warned = merge_order(model_order, allowed, top_k)
        ranking.held_back.update({d: hold[d] for d, b in biomarkers.items() if hold.get(d) and b.supported})
    else:
        recommended, warned = model_order[:top_k], []
    model_rank = {drug: i for i, drug in enumerate(model_order[:top_k], start=1)}
    held = [d for d in ranking.held_back if d not in recommended and d not in warned]
    drugs = []
    for rank, drug in enumerate([*recommended, *warned, *held], start=1):
        col = column.get(drug)
        recs = recommendations.get(drug, [])
        flags = [pgx_flag_text(r["guideline_source"], r["action"], r["classification"]) for r in recs]
        biomarker = biomarkers.get(drug)
        name = loaded.drug_names[col] if col is not None else biomarker.drug_name if biomarker else drug
        entry = RankedDrug(
            rank, drug, name, None if col is None else float(scores[col]),
            None if col is None else float(probabilities[col]), flags, recs,
        )  # fmt: skip
        if drug in indicated:
            entry.sources.append("recorded diagnosis")
            entry.reasons.append("indicated (TREATS) for a recorded diagnosis")
        elif drug in ranking.lead:
            entry.sources.append("repurposing model")
            entry.reasons.append("a repurposing candidate for a recorded diagnosis with no known drug")
        if biomarker is not None:
            entry.biomarker = biomarker.to_dict()
            if biomarker.score > 0:
                entry.sources.append("civic")
            entry.reasons.append(biomarker.reason)
            if biomarker.resistance_outranks:
                entry.warning = f"resistance outranks sensitivity: {biomarker.warnings[0]}"
        if drug in model_rank:
            entry.sources.append("model")
            entry.reasons.append(f"model: rank {model_rank[drug]} (probability {entry.probability:.3f})")
        if flags:
            entry.sources.append("pgx")
            entry.reasons.extend(flags)
        if warnings.get(drug):
            entry.interactions = [w.to_dict() for w in warnings[drug]]
            entry.reasons.extend(f"interaction: {w.text}" for w in warnings[drug])
        if drug in held:
            entry.warning = "held back from the top {}: {}".format(top_k, "; ".join(ranking.held_back[drug]))
        drugs.append(entry)
    return PatientScore(
        model_version=loaded.model_version,
        drugs=drugs,
        differential=_differential(loaded, pi[0], recorded),
        pgx=pgx_calls,
        unmapped=unmapped,
        used_diagnosis=used_diagnosis,
        milliseconds=(time.perf_counter() - t0) * 1000,
        biomarker_therapies=therapies,
        tumour=tumour,
        notice=NOTICE,
        medications=[{"drug_id": d, "name": n} for d, n in current.items()],
        differential_scope=DIFFERENTIAL_SCOPE.format(n=len(loaded.model.hparams["candidates"])),
        notes=_notes(without_drugs, bool(predicted)),
        interactions_checked=scorer.interactions is not None,
    )


def _candidate_diseases(loaded) -> set[str]:
    return {loaded.node_ids["Disease"][c] for c in loaded.model.hparams["candidates"]}


def _notes(unknown: list[str], led_by_repurposing: bool) -> list[str]:
    """A recorded diagnosis without a known indication: the patient model ranks its drugs poorly (zero-shot)."""
    if not unknown:
        return []
    if led_by_repurposing:
        return [
            f"recorded diagnosis {', '.join(unknown)} has no known drug indication: the repurposing model's best "
            "candidates for it lead the list (it ranked drugs for unseen diseases better than the patient model, "
            "bench_patients_noncircular)"
        ]
    return [
        f"recorded diagnosis {', '.join(unknown)} has no known drug indication in the model's graph: the drug list "
        "comes from the model's suggestions, which rank drugs for unseen diseases poorly (bench_patients_noncircular:"
        " below popularity); the repurposing model's ranking for the disease (pmkg predict repurposing, GET "
        "/v1/diseases/{curie}/candidates) did better in the same benchmark"
    ]


def _current_medications(nodes, extra: list[str], loaded) -> dict[str, str]:
    """Drug id -> display name of the patient's ``medicalActions`` agents and the explicitly listed drugs."""
    listed = [drug for n in nodes if n.label == "Patient" for drug in n.props.get("treatments") or []]
    column = loaded.index("Drug")
    return {
        drug: loaded.drug_names[column[drug]] if drug in column else drug for drug in dict.fromkeys([*listed, *extra])
    }


def _interaction_warnings(current: dict[str, str], scorer: PatientScorer) -> dict[str, list]:
    if not current or scorer.interactions is None:
        return {}
    from pmkg.workflows.interactions import interaction_warnings, table_partners

    return interaction_warnings(current, table_partners(scorer.interactions))


def _recorded_diagnoses(edges) -> list[str]:
    """The patient's recorded, non-excluded diagnoses (Disease ids), in record order."""
    return list(dict.fromkeys(e.dst for e in edges if e.type == "HAS_DIAGNOSIS" and not e.props.get("excluded")))


def _biomarkers(ingest, scorer: PatientScorer, use_diagnosis: bool):
    """(drug biomarkers, ranked therapies as dicts, tumour summary) for the one patient of ``ingest``."""
    match = next(iter(getattr(ingest, "tumours", {}).values()), None)
    if scorer.civic is None or match is None:
        return {}, [], None
    from pmkg.workflows.oncology import biomarker_therapies, drug_biomarkers, tumour_summary

    diseases = {
        e.dst for e in ingest.result.edges
        if e.type == "HAS_DIAGNOSIS" and not e.props.get("excluded") and use_diagnosis
    }  # fmt: skip
    result = biomarker_therapies(scorer.civic, match, diseases)
    return drug_biomarkers(result), [t.to_dict() for t in result.therapies], tumour_summary(scorer.civic, match, result)


def _differential(loaded, pi: np.ndarray, recorded: list[str], k: int = 5) -> list[dict[str, Any]]:
    """Recorded diagnoses first (``status: recorded``), then the diseases the model would add (``suggested``).

    ``probability`` is always the model's own; a recorded diagnosis leads whatever it is.
    """
    candidates = loaded.model.hparams["candidates"]
    diseases = loaded.node_ids["Disease"]
    position = {diseases[c]: i for i, c in enumerate(candidates)}
    out = []
    for disease in recorded:
        i = position.get(disease)
        out.append({
            "disease_id": disease, "name": loaded.candidate_names[i] if i is not None else disease,
            "probability": None if i is None else float(pi[i]), "status": "recorded",
        })  # fmt: skip
    for i in np.argsort(-pi, kind="stable"):
        if len(out) >= max(k, len(recorded) + 1):
            break
        if diseases[candidates[i]] in recorded:
            continue
        out.append({
            "disease_id": diseases[candidates[i]], "name": loaded.candidate_names[i], "probability": float(pi[i]),
            "status": "suggested by the model",
        })  # fmt: skip
    return out
