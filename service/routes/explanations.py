"""Why a pair scores as it does: the model's numbers plus metapath evidence paths from the graph."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pmkg.kg.metapaths import DAMPING_RANGE, DEFAULT_DAMPING
from pmkg.service.curies import DiseaseCurie, DrugCurie
from pmkg.service.evidence import METHOD, explain_pair
from pmkg.service.model import UnknownNode
from pmkg.service.routes.deps import API_DEPENDENCIES, GraphDep, ModelDep, error_responses
from pmkg.service.schemas import EvidencePath, ExplanationResponse, MetapathShare

router = APIRouter(prefix="/v1", tags=["explanations"], dependencies=API_DEPENDENCIES)


@router.get(
    "/pairs/{drug}/{disease}/explanation",
    response_model=ExplanationResponse,
    responses=error_responses(401, 404, 422, 502, 503),
    summary="Score and ranked evidence paths (metapaths) for one (drug, disease) pair",
)
async def explain_pair_route(
    drug: Annotated[DrugCurie, Path(description="Drug CURIE.", examples=["DRUGBANK:DB00945"])],
    disease: Annotated[DiseaseCurie, Path(description="Disease CURIE.", examples=["DOID:1612"])],
    model: ModelDep,
    graph: GraphDep,
    n: Annotated[int, Query(ge=1, le=100, description="How many paths, largest contribution first.")] = 10,
    damping: Annotated[
        float,
        Query(ge=DAMPING_RANGE[0], le=DAMPING_RANGE[1], description="Degree damping exponent (0: plain path counts)."),
    ] = DEFAULT_DAMPING,
) -> ExplanationResponse:
    (scored,) = model.score_pairs([(drug, disease)])
    if isinstance(scored, UnknownNode):
        raise scored
    explanation = await graph.call(lambda store: explain_pair(store, drug, disease, n, damping))
    return ExplanationResponse(
        drug_id=drug, drug_name=explanation.source_name, disease_id=disease, disease_name=explanation.target_name,
        model_version=model.model_version, score=scored.score, probability=scored.probability, rank=scored.rank,
        known=scored.known, indication=explanation.known, method=METHOD, damping=explanation.damping,
        total_dwpc=explanation.total_dwpc,
        paths=[EvidencePath(hops=len(p.relationships), **asdict(p)) for p in explanation.paths],
        metapaths=[MetapathShare(**asdict(m)) for m in explanation.metapaths],
        notes=explanation.notes,
    )  # fmt: skip
