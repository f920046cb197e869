"""Liveness and readiness; the only endpoints without an API key."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pmkg.service.routes.deps import reject_unknown_query_params
from pmkg.service.schemas import Health, Readiness

router = APIRouter(tags=["health"], dependencies=[Depends(reject_unknown_query_params)])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Model loaded and graph reachable; the patient model's state",
    responses={503: {"model": Readiness, "description": "Not ready: the body says which part is missing."}},
)
async def readyz(request: Request) -> JSONResponse:
    model_loaded = getattr(request.app.state, "model", None) is not None
    graph_reachable = await request.app.state.graph.reachable()
    patients = getattr(request.app.state, "patients", None)
    body = Readiness(
        ready=model_loaded and graph_reachable,
        model_loaded=model_loaded,
        graph_reachable=graph_reachable,
        patient_model="not configured" if patients is None else "loaded",
        patient_model_version=None if patients is None else patients.model_version,
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)
