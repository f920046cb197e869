"""Every error leaves as ``{"detail": ..., "errors": [{"field", "message"}]}``: no stack trace, no echoed input."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pmkg.kg.explain import ExplainError
from pmkg.kg.queries import QueryError
from pmkg.service.graph import GraphDown, GraphQueryFailed
from pmkg.service.model import UnknownNode
from pmkg.service.patients import PatientFieldError, PatientKeyUnavailable
from starlette.exceptions import HTTPException

RETRY_AFTER_S = "5"


class FieldError(ValueError):
    """A request value that passed the schema but is still wrong (e.g. a query parameter); 422 naming it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def error_response(status: int, detail: str, errors: Sequence[dict[str, str]] = (), **headers: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "errors": list(errors)}, status_code=status, headers=headers or None)


def field_path(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _message(error: dict[str, Any]) -> str:
    # pydantic prefixes messages from custom validators with "Value error, "; the field name says enough.
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")


def _field_error(error: dict[str, Any]) -> dict[str, str]:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":  # loc is ("body", character position)
        reason = (error.get("ctx") or {}).get("error", "syntax error")
        return {"field": "body", "message": f"not valid JSON: {reason} at character {loc[-1] if loc else '?'}"}
    if loc == ("body",) and error.get("type") in ("model_attributes_type", "dict_type", "missing"):
        return {"field": "body", "message": "expected a JSON object, sent with Content-Type: application/json"}
    return {"field": field_path(loc), "message": _message(error)}


async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    # The "input" of each error is deliberately dropped: it can be large, and for patients it is private.
    errors = [_field_error(e) for e in exc.errors()]
    first = errors[0] if errors else {"field": "request", "message": "invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return error_response(422, f"invalid request: {first['field']}: {first['message']}{more}", errors)


_FASTAPI_UNREADABLE_BODY = "There was an error parsing the body"


async def _http(_: Request, exc: HTTPException) -> JSONResponse:
    detail = str(exc.detail)
    if exc.status_code == 400 and detail == _FASTAPI_UNREADABLE_BODY:
        detail = "the body could not be read: send UTF-8 JSON with Content-Type: application/json"
    return error_response(exc.status_code, detail, **(exc.headers or {}))


async def _field(_: Request, exc: FieldError) -> JSONResponse:
    return error_response(422, f"invalid request: {exc.field}: {exc}", [{"field": exc.field, "message": str(exc)}])


async def _patient_field(_: Request, exc: PatientFieldError) -> JSONResponse:
    return error_response(422, f"invalid request: {exc.field}: {exc}", [{"field": exc.field, "message": str(exc)}])


async def _patient_key(_: Request, exc: PatientKeyUnavailable) -> JSONResponse:
    return error_response(503, str(exc))


async def _query(_: Request, exc: QueryError) -> JSONResponse:
    return error_response(422, str(exc), [{"field": "body.params", "message": str(exc)}])


async def _explain(_: Request, exc: ExplainError) -> JSONResponse:
    return error_response(404, str(exc))


async def _unknown_node(_: Request, exc: UnknownNode) -> JSONResponse:
    return error_response(404, str(exc))


async def _graph_down(_: Request, exc: GraphDown) -> JSONResponse:
    return error_response(
        503, f"{exc}; model-backed endpoints (candidates, scores) still answer", **{"Retry-After": RETRY_AFTER_S}
    )


async def _graph_failed(_: Request, exc: GraphQueryFailed) -> JSONResponse:
    return error_response(502, str(exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(FieldError, _field)
    app.add_exception_handler(PatientFieldError, _patient_field)
    app.add_exception_handler(PatientKeyUnavailable, _patient_key)
    app.add_exception_handler(QueryError, _query)
    app.add_exception_handler(UnknownNode, _unknown_node)
    app.add_exception_handler(ExplainError, _explain)
    app.add_exception_handler(GraphDown, _graph_down)
    app.add_exception_handler(GraphQueryFailed, _graph_failed)
