"""Why a pair scores as it does: the model's numbers plus evidence paths from the graph."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from service.curies import DiseaseCurie, DrugCurie
from service.evidence import METHOD, evidence_paths
from service.model import UnknownNode
from service.routes.deps import API_DEPENDENCIES, GraphDep, ModelDep, error_responses
from service.schemas import EvidencePath, ExplanationResponse

router = APIRouter(prefix="/v1", tags=["explanations"], dependencies=API_DEPENDENCIES)


@router.get(
    "/pairs/{drug}/{disease}/explanation",
    response_model=ExplanationResponse,
    responses=error_responses(401, 404, 422, 502, 503),
    summary="Score and evidence paths for one (drug, disease) pair",
)
async def explain_pair(
    drug: Annotated[DrugCurie, Path(description="Drug CURIE.", examples=["DRUGBANK:DB00945"])],
    disease: Annotated[DiseaseCurie, Path(description="Disease CURIE.", examples=["DOID:1612"])],
    model: ModelDep,
    graph: GraphDep,
    n: Annotated[int, Query(ge=1, le=100, description="How many paths, shortest first.")] = 10,
) -> ExplanationResponse:
    (scored,) = model.score_pairs([(drug, disease)])
    if isinstance(scored, UnknownNode):
        raise scored
    rows = await graph.call(lambda store: evidence_paths(store, drug, disease, n))
    return ExplanationResponse(
        drug_id=drug, disease_id=disease, model_version=model.model_version, score=scored.score,
        probability=scored.probability, rank=scored.rank, known=scored.known, method=METHOD,
        paths=[EvidencePath(**row) for row in rows],
    )
