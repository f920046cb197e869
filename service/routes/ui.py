"""JSON the triage page needs beyond the public API: search by name, synonym or id, a node's known indications,
and the model card's figures. Behind the API key like every ``/v1`` route; the page's static files are
:mod:`pmkg.service.routes.ui_static`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pmkg.service import ui_data
from pmkg.service.curies import DiseaseCurie, DrugCurie
from pmkg.service.model import ServingModel, UnknownNode
from pmkg.service.routes.deps import API_DEPENDENCIES, GraphDep, ModelDep, error_responses
from pmkg.service.ui_schemas import (
    MAX_SEARCH_K,
    MAX_SEARCH_TEXT,
    KnownIndication,
    ModelCard,
    NodeCard,
    SearchHit,
    SearchResponse,
)

from pmkg.workflows.oncology import NOTICE

router = APIRouter(prefix="/v1/ui", tags=["triage page"], dependencies=API_DEPENDENCIES)

SearchText = Annotated[
    str,
    Query(min_length=1, max_length=MAX_SEARCH_TEXT, description="Part of a name or synonym, or an exact id or xref."),
]
SearchK = Annotated[int, Query(ge=1, le=MAX_SEARCH_K, description="How many matches to return.")]


@router.get("/model-card", response_model=ModelCard, responses=error_responses(401), summary="The served model's card")
async def model_card(request: Request, model: ModelDep) -> ModelCard:
    figures = ui_data.model_card_figures(model.details.get("model_dir"))
    patients = getattr(request.app.state, "patients", None)
    return ModelCard(
        model_version=model.model_version, calibrated=model.calibrated, drugs=len(model.drug_ids),
        diseases=len(model.disease_ids), graph_matches_training=bool(model.details.get("graph_matches_training", True)),
        patient_model=None if patients is None else patients.model_version, notice=NOTICE, **figures,
    )  # fmt: skip


@router.get(
    "/diseases",
    response_model=SearchResponse,
    responses=error_responses(401, 422, 502, 503),
    summary="Find diseases by name, synonym, id or cross-reference",
)
async def search_diseases(q: SearchText, model: ModelDep, graph: GraphDep, k: SearchK = 20) -> SearchResponse:
    hits = await graph.call(lambda store: ui_data.search(store, "Disease", q, k))
    return SearchResponse(query=q, hits=[_hit(h, _scores_disease(model, h.id)) for h in hits])


@router.get(
    "/drugs",
    response_model=SearchResponse,
    responses=error_responses(401, 422, 502, 503),
    summary="Find drugs by name, synonym, id or cross-reference",
)
async def search_drugs(q: SearchText, model: ModelDep, graph: GraphDep, k: SearchK = 20) -> SearchResponse:
    hits = await graph.call(lambda store: ui_data.search(store, "Drug", q, k))
    return SearchResponse(query=q, hits=[_hit(h, _scores_drug(model, h.id)) for h in hits])


@router.get(
    "/diseases/{curie}",
    response_model=NodeCard,
    responses=error_responses(401, 404, 422, 502, 503),
    summary="A disease's names and known indications, each with the model's rank for that drug",
)
async def disease_card(
    curie: Annotated[DiseaseCurie, Path(description="Disease CURIE.", examples=["DOID:1612"])],
    model: ModelDep,
    graph: GraphDep,
) -> NodeCard:
    node = await graph.call(lambda store: ui_data.card(store, "Disease", curie))
    if node is None:
        raise HTTPException(404, f"disease {curie} is not in the graph; search by name with /v1/ui/diseases?q=")
    pairs = [(i.id, curie) for i in node.indications]
    return _card(node, "Disease", model, pairs, _scores_disease(model, curie))


@router.get(
    "/drugs/{curie}",
    response_model=NodeCard,
    responses=error_responses(401, 404, 422, 502, 503),
    summary="A drug's names and known indications, each with the drug's rank for that disease",
)
async def drug_card(
    curie: Annotated[DrugCurie, Path(description="Drug CURIE.", examples=["DRUGBANK:DB00945"])],
    model: ModelDep,
    graph: GraphDep,
) -> NodeCard:
    node = await graph.call(lambda store: ui_data.card(store, "Drug", curie))
    if node is None:
        raise HTTPException(404, f"drug {curie} is not in the graph; search by name with /v1/ui/drugs?q=")
    pairs = [(curie, i.id) for i in node.indications]
    return _card(node, "Drug", model, pairs, _scores_drug(model, curie))


def _scores_disease(model: ServingModel, curie: str) -> bool:
    try:
        model.disease_index(curie)
    except UnknownNode:
        return False
    return True


def _scores_drug(model: ServingModel, curie: str) -> bool:
    try:
        model.drug_index(curie)
    except UnknownNode:
        return False
    return True


def _hit(hit: ui_data.SearchHit, scored: bool) -> SearchHit:
    return SearchHit(
        id=hit.id, name=hit.name, matched=hit.matched, matched_by=hit.matched_by, treats=hit.treats,
        palliates=hit.palliates, zero_shot=hit.treats == 0, scored=scored,
    )  # fmt: skip


def _card(
    node: ui_data.NodeCard, label: str, model: ServingModel, pairs: list[tuple[str, str]], scored: bool
) -> NodeCard:
    indications = []
    for known, outcome in zip(node.indications, model.score_pairs(pairs), strict=True):
        numbers = {"rank": None, "probability": None, "score": None}
        if not isinstance(outcome, UnknownNode):
            numbers = {"rank": outcome.rank, "probability": outcome.probability, "score": outcome.score}
        indications.append(
            KnownIndication(id=known.id, name=known.name, kind=known.kind, sources=known.sources, **numbers)
        )
    return NodeCard(
        id=node.id, name=node.name, label=label, synonyms=node.synonyms, xrefs=node.xrefs,
        zero_shot=not any(i.kind == "treats" for i in node.indications), scored=scored,
        model_version=model.model_version, indications=indications,
    )  # fmt: skip
