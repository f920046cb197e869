"""Shared dependencies and OpenAPI error documentation for the routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from pmkg.service.auth import require_api_key
from pmkg.service.errors import FieldError
from pmkg.service.graph import GraphGateway
from pmkg.service.model import ServingModel
from pmkg.service.schemas import ErrorBody
from pmkg.service.settings import ServiceSettings

_DESCRIPTIONS = {
    400: "The body could not be read (not UTF-8 JSON) or Content-Length is malformed.",
    401: "Missing or wrong X-API-Key.",
    404: "The drug, disease or query is not known.",
    413: "The request body is larger than PMKG_API_MAX_BODY_BYTES.",
    422: "A field is invalid; `errors` names it (e.g. `body.pairs.3.drug`).",
    502: "The graph answered with an error.",
    503: "The graph is unreachable or did not answer in time; retry later.",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


async def reject_unknown_query_params(request: Request) -> None:
    """A misspelt query parameter (``?kk=5``) is an error naming it, not silently ignored."""
    route = request.scope.get("route")
    declared = {param.alias for param in getattr(getattr(route, "dependant", None), "query_params", [])}
    for name in request.query_params:
        if name not in declared:
            accepted = ", ".join(sorted(declared)) or "none"
            raise FieldError(f"query.{name}", f"unknown query parameter; this endpoint takes: {accepted}")


async def _model(request: Request) -> ServingModel:
    return request.app.state.model


async def _graph(request: Request) -> GraphGateway:
    return request.app.state.graph


async def _settings(request: Request) -> ServiceSettings:
    return request.app.state.settings


# Every router but health's: the key first (401 before any validation), then no unknown query parameters.
API_DEPENDENCIES = [Depends(require_api_key), Depends(reject_unknown_query_params)]

ModelDep = Annotated[ServingModel, Depends(_model)]
GraphDep = Annotated[GraphGateway, Depends(_graph)]
SettingsDep = Annotated[ServiceSettings, Depends(_settings)]
