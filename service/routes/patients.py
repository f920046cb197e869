"""One patient in, ranked drugs with PGx flags out; stored only when the caller asks (``store=true``)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pmkg.service.patients import PatientModel, PatientWorkers, ScoredPatient, store_patient
from pmkg.service.routes.deps import API_DEPENDENCIES, GraphDep, error_responses
from pmkg.service.schemas import (
    MAX_PATIENT_K,
    DiagnosisCandidate,
    ErrorBody,
    InteractionWarning,
    PatientDrug,
    PatientRecommendations,
    PatientRequest,
    PgxCall,
    PgxRecommendation,
    StoredPatient,
)

log = logging.getLogger("pmkg.service")
router = APIRouter(prefix="/v1", tags=["patients"], dependencies=API_DEPENDENCIES)

NO_PATIENT_MODEL = (
    "no patient model is loaded: start pmkg serve with --patient-model DIR (or PMKG_PATIENT_MODEL_DIR), a model "
    "directory from `pmkg patients train`, and --patient-data-dir (PMKG_PATIENT_DATA_DIR) for VCFs"
)


async def _patient_model(request: Request) -> PatientModel:
    model = getattr(request.app.state, "patients", None)
    if model is None:
        raise HTTPException(503, NO_PATIENT_MODEL)
    return model


@router.post(
    "/patients/recommendations",
    response_model=PatientRecommendations,
    responses={
        **error_responses(400, 401, 422, 502),
        413: {"model": ErrorBody, "description": "The body is larger than PMKG_API_MAX_PATIENT_BODY_BYTES."},
        503: {
            "model": ErrorBody,
            "description": "No patient model is configured (--patient-model), or store=true and the graph is "
            "unreachable or the patient key file unusable.",
        },
    },
    summary="Drugs ranked for one patient (Phenopacket v2, optional VCF), with PGx flags",
    description="Scored inductively by the drug-patient model; the patient is not stored unless `store=true`. "
    "With CIViC in the patient data folder, the tumour's variants (phenopacket interpretations, `tumour_vcf` on a "
    "stated `assembly`) are matched to CIViC and biomarker-matched therapies merged first, resistance that outranks "
    "sensitivity as a warning; each drug says why it is there. Every drug is checked against the current medications "
    "(medicalActions and `medications`; DrugCentral interactions), a contraindicated one is held back from the top k. "
    "A recorded diagnosis leads the differential and its drugs lead the list. Research software, not clinical "
    "decision support. "
    "The body limit is PMKG_API_MAX_PATIENT_BODY_BYTES (larger than other endpoints', for the VCF).",
)
async def patient_recommendations(
    body: PatientRequest,
    request: Request,
    graph: GraphDep,
    model: Annotated[PatientModel, Depends(_patient_model)],
    k: Annotated[int, Query(ge=1, le=MAX_PATIENT_K, description="How many drugs to return.")] = 10,
    use_diagnosis: Annotated[
        bool, Query(description="false: score from phenotypes and genotype only, as if the diagnosis were unknown.")
    ] = True,
    store: Annotated[
        bool, Query(description="true: also write the patient to the graph under a pseudonymous id.")
    ] = False,
) -> PatientRecommendations:
    workers: PatientWorkers = request.app.state.patient_workers
    scored: ScoredPatient = await asyncio.wrap_future(
        workers.submit(
            lambda: model.score(
                body.phenopacket, body.vcf, k, use_diagnosis, keep=store, tumour_vcf=body.tumour_vcf,
                assembly=body.assembly, medications=body.medications,
                repurposing=getattr(request.app.state, "model", None),
            )
        )
    )
    stored = None
    if store:
        outcome = await graph.call(lambda s: store_patient(s, scored.ingest))
        stored = StoredPatient(
            patient_id=scored.ingest.patients[0].id, rows_written=outcome.rows_written,
            not_in_graph=outcome.not_in_graph,
        )  # fmt: skip
    else:
        log.info("patient scored, not stored: %d drugs in %.0f ms", len(scored.score.drugs), scored.score.milliseconds)
    result = scored.score
    return PatientRecommendations(
        model_version=result.model_version,
        drugs=[
            PatientDrug(
                rank=d.rank, drug_id=d.drug_id, drug_name=d.drug_name, score=d.score, probability=d.probability,
                pgx_flags=d.pgx_flags, recommendations=[PgxRecommendation(**r) for r in d.recommendations],
                sources=d.sources, reasons=d.reasons, biomarker=d.biomarker, warning=d.warning,
                interactions=[InteractionWarning(**w) for w in d.interactions],
            )
            for d in result.drugs
        ],  # fmt: skip
        differential=[DiagnosisCandidate(**d) for d in result.differential],
        pgx=[PgxCall(gene=gene, **call) for gene, call in sorted(result.pgx.items())],
        unmapped=dict(result.unmapped),
        used_diagnosis=result.used_diagnosis,
        medications=result.medications,
        interactions_checked=result.interactions_checked,
        differential_scope=result.differential_scope,
        notes=result.notes,
        stored=stored is not None,
        stored_patient=stored,
        biomarker_therapies=result.biomarker_therapies,
        tumour=result.tumour,
        notice=result.notice,
    )
