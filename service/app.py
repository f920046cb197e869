"""Assemble the FastAPI app from ready resources: settings, the loaded model and the graph gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from pmkg.service.auth import KeyRing, require_api_key
from pmkg.service.errors import install_error_handlers
from pmkg.service.graph import GraphGateway
from pmkg.service.middleware import RequestGuard
from pmkg.service.model import ServingModel
from pmkg.service.patients import PatientModel, PatientWorkers
from pmkg.service.routes import explanations, health, links, patients, queries, trapi, ui, ui_static
from pmkg.service.settings import ServiceSettings

ROUTERS = (
    health.router, links.router, explanations.router, queries.router, patients.router, trapi.router, ui.router,
    ui_static.router,
)
PATIENT_ROUTE = "/v1/patients/recommendations"

DESCRIPTION = """\
Link predictions (Drug-TREATS-Disease) from pmkg's trained GNN, with calibrated probabilities, evidence paths
from the knowledge graph, and the named Cypher query library. Every endpoint except `/healthz` and `/readyz`
needs an `X-API-Key` header. Model-backed endpoints answer from memory; graph-backed ones (explanations,
queries, storing a patient) return 503 when the graph is unreachable. Patient recommendations need a
patient model (`pmkg serve --patient-model DIR`); without one that endpoint answers 503. The same predictions and
the graph's indications, pharmacogenomics and targets also speak TRAPI 1.5 under `/trapi` (NCATS Translator).
A triage web page for people who do not write Cypher or curl is served at `/ui/`: its static files need no key,
the page asks for one once per browser session.
"""


def _version() -> str:
    try:
        return version("pmkg")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(
    settings: ServiceSettings, model: ServingModel, graph: GraphGateway, patients: PatientModel | None = None
) -> FastAPI:
    patient_workers = PatientWorkers(settings.patient_concurrency)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        patient_workers.shutdown()
        graph.close()

    app = FastAPI(
        title="pmkg link-prediction service",
        version=_version(),
        description=DESCRIPTION,
        openapi_url=None,  # served below, behind the key like everything but health
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.keys = KeyRing(settings.api_keys)
    app.state.model = model
    app.state.graph = graph
    app.state.patients = patients
    app.state.patient_workers = patient_workers
    app.state.queries = queries.read_only_library(settings.query_dir)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    trapi.install_openapi_metadata(app)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_api_key)])
    async def openapi_spec() -> JSONResponse:
        return JSONResponse(app.openapi())

    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        limits_by_path={PATIENT_ROUTE: settings.max_patient_body_bytes},
        max_headers=settings.max_headers,
    )
    return app
