"""TRAPI 1.5: ``GET /trapi/meta_knowledge_graph`` and ``POST /trapi/query`` (synchronous), behind the service's
API keys and body limits. The work is in :mod:`pmkg.service.trapi`; this module is the HTTP side: TRAPI's error
convention (a 400 whose body is a JSON string), and the SmartAPI ``x-translator``/``x-trapi`` metadata in the spec.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pmkg.service.errors import field_path
from pmkg.service.routes.deps import API_DEPENDENCIES, GraphDep, ModelDep, error_responses
from pmkg.service.trapi import TRAPI_VERSION, Context, answer, meta_knowledge_graph
from pydantic import ValidationError
from reasoner_pydantic import MetaKnowledgeGraph, Query
from reasoner_pydantic import Response as TrapiResponse
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)
PREFIX = "/trapi"


class TrapiRoute(APIRoute):
    """TRAPI's errors: a body that is not a TRAPI ``Query`` is a 400 whose body is a JSON string (the spec's
    ``type: string``), not the service's 422 object."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return JSONResponse(_invalid(exc), status_code=400)
            except ValidationError as exc:
                # A query the request model accepts but a TRAPI Response cannot carry back (it echoes the query
                # graph): the query is at fault, not the service.
                log.warning("TRAPI: a query part cannot be echoed in a valid Response (%s)", _first_problem(exc))
                return JSONResponse(f"invalid TRAPI Query: {_first_problem(exc)}", status_code=400)
            except HTTPException as exc:
                if exc.status_code != 400:
                    raise
                return JSONResponse("the body could not be read: send a TRAPI Query as UTF-8 JSON", status_code=400)
            except Exception as exc:
                # reasoner-pydantic's Message normalises auxiliary graphs while the body is parsed and raises a bare
                # Exception for one that names an edge the message lacks: the query is at fault.
                if not _raised_by_trapi_models(exc):
                    raise
                log.warning("TRAPI: the query's message cannot be normalised (%s)", exc)
                return JSONResponse(f"invalid TRAPI Query: body.message: {exc}", status_code=400)

        return route


def _raised_by_trapi_models(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and "reasoner_pydantic" in frames[-1].filename


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid value"
    return f"{field_path(errors[0].get('loc', ()))}: {errors[0].get('msg', 'invalid value')}"


def _invalid(exc: RequestValidationError) -> str:
    # The input is not echoed: it can be large. The first problem names its field.
    errors = exc.errors()
    if not errors:
        return "invalid TRAPI Query"
    first = errors[0]
    where = field_path(first.get("loc", ()))
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if first.get("type") == "json_invalid":
        message = "not valid JSON"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"invalid TRAPI Query: {where}: {message}{more}"


router = APIRouter(prefix=PREFIX, tags=["trapi"], dependencies=API_DEPENDENCIES, route_class=TrapiRoute)

_STRING = {"application/json": {"schema": {"type": "string"}}}


@functools.cache
def _meta_knowledge_graph() -> dict[str, Any]:
    return meta_knowledge_graph()


@router.get(
    "/meta_knowledge_graph",
    responses={
        200: {"model": MetaKnowledgeGraph, "description": "The categories and one-hop shapes this service answers."},
        **error_responses(401),
    },
    summary=f"TRAPI {TRAPI_VERSION} meta knowledge graph",
    tags=["meta_knowledge_graph"],
)
async def get_meta_knowledge_graph() -> JSONResponse:
    return JSONResponse(_meta_knowledge_graph())


@router.post(
    "/query",
    responses={
        200: {"model": TrapiResponse, "description": "OK; there may be no results, and the logs say why."},
        400: {"description": "The body is not a TRAPI Query (the message names the field).", "content": _STRING},
        **error_responses(401, 413, 503),
    },
    summary=f"TRAPI {TRAPI_VERSION} query (synchronous, one hop)",
    tags=["query"],
)
async def post_query(body: Query, request: Request, model: ModelDep, graph: GraphDep) -> JSONResponse:
    if body.message.query_graph is None:
        return JSONResponse("invalid TRAPI Query: body.message.query_graph: a query needs a query graph", 400)
    resolver = getattr(request.app.state, "id_resolver", None)
    return JSONResponse(await answer(body, Context(model=model, graph=graph, resolver=resolver)))


def install_openapi_metadata(app: FastAPI) -> None:
    """Add SmartAPI's ``x-translator``/``x-trapi`` to the spec's ``info``, and drop FastAPI's automatic 422 from
    the TRAPI routes (they answer 400)."""
    from pmkg.kg.biolink import biolink_mapping

    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            mapping = biolink_mapping()
            schema["info"]["x-translator"] = {
                "component": "KP",
                "team": ["pmkg"],
                "biolink-version": mapping.biolink_version,
                "infores": mapping.infores,
                "externalDocs": {"description": "pmkg docs: Interoperability", "url": "docs/interoperability.md"},
            }
            schema["info"]["x-trapi"] = {
                "version": TRAPI_VERSION,
                "operations": ["lookup"],
                "multicuriequery": True,
                "asyncquery": False,
                "pathfinderquery": False,
            }
            tags = schema.setdefault("tags", [])
            tags += [{"name": "translator"}, {"name": "trapi"}]
            for path, operations in schema.get("paths", {}).items():
                if path.startswith(PREFIX):
                    for operation in operations.values():
                        operation.get("responses", {}).pop("422", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
