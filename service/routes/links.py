"""Model-backed endpoints: served from the precomputed scores in memory, never from the graph."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pmkg.service.curies import DiseaseCurie, DrugCurie
from pmkg.service.model import UnknownNode
from pmkg.service.routes.deps import API_DEPENDENCIES, ModelDep, error_responses
from pmkg.service.schemas import (
    MAX_K,
    Candidate,
    CandidatesResponse,
    DiseaseScore,
    DrugDiseasesResponse,
    ModelInfo,
    PairResult,
    ScoreRequest,
    ScoreResponse,
)

router = APIRouter(prefix="/v1", tags=["links"], dependencies=API_DEPENDENCIES)

K = Annotated[int, Query(ge=1, le=MAX_K, description="How many to return.")]
IncludeKnown = Annotated[
    bool, Query(description="Include pairs that are already indications (TREATS edges); false lists novel ones only.")
]


@router.get(
    "/diseases/{curie}/candidates",
    response_model=CandidatesResponse,
    responses=error_responses(401, 404, 422),
    summary="Drugs ranked for a disease",
)
async def disease_candidates(
    curie: Annotated[DiseaseCurie, Path(description="Disease CURIE.", examples=["DOID:1612"])],
    model: ModelDep,
    k: K = 10,
    include_known: IncludeKnown = True,
) -> CandidatesResponse:
    ranked = model.candidates(curie, k, include_known)
    return CandidatesResponse(
        disease_id=curie,
        disease_name=model.name(curie),
        model_version=model.model_version,
        candidates=[
            Candidate(
                rank=p.rank, drug_id=p.drug, drug_name=model.name(p.drug), score=p.score,
                probability=p.probability, known=p.known,
            )
            for p in ranked
        ],
    )


@router.get(
    "/drugs/{curie}/diseases",
    response_model=DrugDiseasesResponse,
    responses=error_responses(401, 404, 422),
    summary="Diseases ranked for a drug",
)
async def drug_diseases(
    curie: Annotated[DrugCurie, Path(description="Drug CURIE.", examples=["DRUGBANK:DB00945"])],
    model: ModelDep,
    k: K = 10,
    include_known: IncludeKnown = True,
    order: Annotated[
        Literal["score", "rank"],
        Query(
            description="score: highest score (= probability) first; rank: the diseases for which this drug ranks "
            "highest among all candidate drugs first."
        ),
    ] = "score",
) -> DrugDiseasesResponse:
    ranked = model.diseases_for_drug(curie, k, include_known, by_rank=order == "rank")
    return DrugDiseasesResponse(
        drug_id=curie,
        drug_name=model.name(curie),
        model_version=model.model_version,
        diseases=[
            DiseaseScore(
                disease_id=p.disease, disease_name=model.name(p.disease), score=p.score,
                probability=p.probability, rank=p.rank, known=p.known,
            )
            for p in ranked
        ],
    )


@router.post(
    "/links/score",
    response_model=ScoreResponse,
    responses=error_responses(400, 401, 413, 422),
    summary="Score a batch of (drug, disease) pairs",
)
async def score_links(request: ScoreRequest, model: ModelDep) -> ScoreResponse:
    scored = model.score_pairs([(p.drug, p.disease) for p in request.pairs])
    results = []
    for pair, outcome in zip(request.pairs, scored, strict=True):
        if isinstance(outcome, UnknownNode):
            results.append(PairResult(drug_id=pair.drug, disease_id=pair.disease, found=False, detail=str(outcome)))
        else:
            results.append(
                PairResult(
                    drug_id=pair.drug, disease_id=pair.disease, found=True, score=outcome.score,
                    probability=outcome.probability, rank=outcome.rank, known=outcome.known,
                )
            )
    return ScoreResponse(model_version=model.model_version, results=results)


@router.get("/model", response_model=ModelInfo, responses=error_responses(401), summary="The model being served")
async def model_info(model: ModelDep) -> ModelInfo:
    return ModelInfo(
        model_version=model.model_version,
        drugs=len(model.drug_ids),
        diseases=len(model.disease_ids),
        calibrated=model.calibrated,
        graph_matches_training=bool(model.details.get("graph_matches_training", True)),
    )
