"""The drug-patient model's steps: export, train and evaluate, save, write ``PREDICTED_BENEFIT`` back.

``gnn`` never sees the driver: this module asks :mod:`kg.export` and :mod:`kg.patients` for arrays and hands
scores to :func:`kg.patients.write_predicted_benefit`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pmkg.ingest.pgx import CONTRAINDICATING
from pmkg.kg.export import GraphExport, export_graph
from pmkg.kg.patients import (
    PATIENTS_WITH_CIVIC_VARIANTS,
    CohortExport,
    PredictedBenefit,
    drug_interactions,
    export_cohort,
    write_predicted_benefit,
)
from pmkg.kg.store import GraphStore
from pmkg.workflows.interactions import interaction_hold_reasons, interaction_warnings
from pmkg.workflows.patient_ranking import pgx_flag_text, rank_patient_drugs

if TYPE_CHECKING:
    from pmkg.gnn.patient_artifacts import LoadedPatientModel
    from pmkg.gnn.patient_train import PatientTrainConfig

log = logging.getLogger(__name__)

DEFAULT_PATIENT_MODELS = Path("pmkg-data/patient-models")
_LATEST = "LATEST"


def latest_patient_model(models_dir: Path = DEFAULT_PATIENT_MODELS) -> Path:
    pointer = models_dir / _LATEST
    if not pointer.is_file():
        raise FileNotFoundError(
            f"no drug-patient model in {models_dir}: run `pmkg patients train` first, or pass --model"
        )
    return models_dir / pointer.read_text().strip()


@dataclass
class PatientTrainOutcome:
    model_dir: Path
    model_version: str
    metrics: dict
    patients: int
    epochs_run: int
    best_epoch: int
    seconds_per_epoch: float
    seconds_total: float
    export_seconds: float


def train_patients_from_graph(
    store: GraphStore,
    config: PatientTrainConfig,
    models_dir: Path = DEFAULT_PATIENT_MODELS,
    synthetic: bool = True,
    progress: bool = True,
) -> PatientTrainOutcome:
    """Export the knowledge graph and one cohort (synthetic by default), train, evaluate, save the model."""
    from pmkg.gnn.patient_artifacts import save_patient_model
    from pmkg.gnn.patient_train import train_patient_model

    t0 = time.perf_counter()
    export = export_graph(store, progress=progress)
    cohort = export_cohort(store, synthetic)
    export_seconds = time.perf_counter() - t0
    if not cohort.patients:
        kind = "synthetic" if synthetic else "real"
        raise ValueError(f"the graph has no {kind} patients: run `pmkg cohort synth` and `pmkg ingest patients`")
    result = train_patient_model(export, cohort, config, progress=progress)
    model_dir = save_patient_model(result, models_dir, export.node_names)
    (models_dir / _LATEST).write_text(model_dir.name)
    version = model_dir.name
    log.info("drug-patient model %s trained on %d patients", version, len(cohort.patients))
    return PatientTrainOutcome(
        model_dir, version, result.metrics, len(cohort.patients), len(result.history), result.best_epoch,
        result.seconds_per_epoch, result.seconds_total, export_seconds,
    )  # fmt: skip


def score_cohort(loaded: LoadedPatientModel, cohort: CohortExport) -> tuple[np.ndarray, list[str], dict[str, int]]:
    """Logits ``(P, D)`` for every patient of ``cohort`` (rows in ``cohort.patients`` order); a recorded
    diagnosis leads each patient's differential (:mod:`gnn.recorded_diagnosis`)."""
    from pmkg.gnn.patient_data import build_inputs
    from pmkg.gnn.recorded_diagnosis import score_respecting_recorded

    shell = GraphExport(node_ids=loaded.node_ids)
    inputs, _, dropped = build_inputs(cohort, shell, loaded.vocabulary)
    scores, _, _ = score_respecting_recorded(loaded.model, loaded.embeddings, inputs)
    return scores, inputs.patients, dropped


def predict_patients(
    store: GraphStore, model_dir: Path, top_k: int = 10, synthetic: bool = True, write_back: bool = True
) -> tuple[int, int, str]:
    """Score every patient of one cohort; write the top ``k`` as ``PREDICTED_BENEFIT``. Returns (patients, edges,
    model_version)."""
    from pmkg.gnn.patient_artifacts import load_patient_model

    loaded = load_patient_model(model_dir)
    cohort = export_cohort(store, synthetic)
    if not cohort.patients:
        return 0, 0, loaded.model_version
    scores, patients, _ = score_cohort(loaded, cohort)
    probabilities = loaded.calibration.probability(scores)
    flags: dict[tuple[str, str], list[str]] = {}
    hold: dict[str, dict[str, list[str]]] = {}
    for pid, drug, _, action, body, classification in cohort.pgx:
        flags.setdefault((pid, drug), []).append(pgx_flag_text(body, action, classification))
        if action in CONTRAINDICATING:
            hold.setdefault(pid, {}).setdefault(drug, []).append(pgx_flag_text(body, action, classification))
    recorded: dict[str, set[str]] = {}
    for pid, disease in zip(*cohort.edges.get("diagnosis", ([], [])), strict=True):
        recorded.setdefault(pid, set()).update(loaded.indications.get(disease, ()))
    drugs = loaded.node_ids["Drug"]
    column = {drug: i for i, drug in enumerate(drugs)}
    warnings = _interactions_by_patient(store, cohort, loaded)
    for pid, by_drug in warnings.items():
        for drug, found in by_drug.items():
            reasons = interaction_hold_reasons(found)
            if reasons:
                hold.setdefault(pid, {}).setdefault(drug, []).extend(reasons)
    tumours = set(store.columns(PATIENTS_WITH_CIVIC_VARIANTS, {"synthetic": synthetic})["pid"])
    links = []
    for row, pid in enumerate(patients):
        if pid in tumours:
            links.extend(_with_biomarkers(store, loaded, pid, scores[row], probabilities[row], top_k, flags))
            continue
        ranking = rank_patient_drugs(scores[row], drugs, top_k, recorded.get(pid, set()), hold.get(pid))
        for rank, drug in enumerate(ranking.recommended, start=1):
            col = column[drug]
            pgx = flags.get((pid, drug), [])
            sources = ["recorded diagnosis"] if drug in ranking.lead else []
            found = [w.text for w in warnings.get(pid, {}).get(drug, [])]
            links.append(
                PredictedBenefit(pid, drug, float(scores[row, col]), float(probabilities[row, col]), rank, pgx,
                                 sources=[*sources, "model", *(["pgx"] if pgx else [])], interaction_warnings=found)
            )  # fmt: skip
    written = write_predicted_benefit(store, links, loaded.model_version) if write_back else 0
    return len(patients), written, loaded.model_version


def _interactions_by_patient(store: GraphStore, cohort: CohortExport, loaded) -> dict[str, dict[str, list]]:
    """Patient -> drug -> interaction warnings against the patient's current medications (graph edges)."""
    if not cohort.treatments:
        return {}
    known = drug_interactions(store, [d for drugs in cohort.treatments.values() for d in drugs])
    names = dict(zip(loaded.node_ids["Drug"], loaded.drug_names, strict=True))
    return {
        pid: interaction_warnings({d: names.get(d, d) for d in drugs}, lambda m: known.get(m, ()))
        for pid, drugs in cohort.treatments.items()
    }


def _with_biomarkers(
    store: GraphStore, loaded, pid: str, scores: np.ndarray, probabilities: np.ndarray, top_k: int, flags: dict
) -> list[PredictedBenefit]:
    """One tumour patient's links: the model's ranking merged with the CIViC evidence its graph paths reach
    (named query ``patient_biomarker_therapies``, ranked by :mod:`workflows.oncology`), warnings last."""
    from pmkg.kg.queries import run_query
    from pmkg.workflows.oncology import drug_biomarkers, merge_order, therapies_from_rows

    _, rows = run_query(store, "patient_biomarker_therapies", {"patient": pid, "k": 1000})
    biomarkers = drug_biomarkers(therapies_from_rows(rows))
    drugs = loaded.node_ids["Drug"]
    column = {drug: i for i, drug in enumerate(drugs)}
    order = [drugs[c] for c in np.argsort(-scores, kind="stable")[: top_k + len(biomarkers)]]
    recommended, warned = merge_order(order, biomarkers, top_k)
    links = []
    for rank, drug in enumerate([*recommended, *warned], start=1):
        col, biomarker, pgx = column.get(drug), biomarkers.get(drug), flags.get((pid, drug), [])
        sources = ["civic"] if biomarker and biomarker.score > 0 else []
        sources += ["model"] if drug in order[:top_k] else []
        sources += ["pgx"] if pgx else []
        warning = None
        if biomarker and biomarker.resistance_outranks:
            warning = f"resistance outranks sensitivity: {biomarker.warnings[0]}"
        links.append(
            PredictedBenefit(
                pid,
                drug,
                None if col is None else float(scores[col]),
                None if col is None else float(probabilities[col]),
                rank,
                pgx,
                sources=sources,
                reasons=[biomarker.reason] if biomarker else [],
                civic_level=biomarker.best_level if biomarker else None,
                civic_evidence_ids=biomarker.evidence_ids if biomarker else [],
                warning=warning,
            )
        )
    return links
