"""The named Cypher library over HTTP: list it, run one query by name. Never arbitrary Cypher, never writes."""

from __future__ import annotations

import datetime as dt
import logging
import pathlib
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from pmkg.kg.queries import NamedQuery, QueryError, is_read_only, load_library
from pmkg.kg.store import GraphStore
from pmkg.service.errors import FieldError
from pmkg.service.routes.deps import API_DEPENDENCIES, GraphDep, SettingsDep, error_responses
from pmkg.service.schemas import QueryInfo, QueryList, QueryParameter, QueryRequest, QueryResponse

log = logging.getLogger(__name__)
QueryName = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9_]{1,64}$", description="From GET /v1/queries.", examples=["repurposing_candidates"]),
]
router = APIRouter(prefix="/v1", tags=["queries"], dependencies=API_DEPENDENCIES)

_JSON_TYPES: dict[str, tuple[type, ...]] = {"integer": (int, str), "float": (int, float, str), "boolean": (bool, str)}


def read_only_library(directory: str | pathlib.Path) -> dict[str, NamedQuery]:
    """The library the service offers: every query file in ``directory`` without a write clause."""
    library = load_library(pathlib.Path(directory))
    for name in [n for n, q in library.items() if not is_read_only(q)]:
        log.warning("named query %r has a write clause; the service does not offer it", name)
        del library[name]
    return library


def _library(request: Request) -> dict[str, NamedQuery]:
    return request.app.state.queries


def _execute(store: GraphStore, query: NamedQuery, params: dict[str, Any]) -> list[dict[str, Any]]:
    if not is_read_only(query):  # the library above already left such queries out; checked again at the door
        raise QueryError(f"query {query.name!r} contains a write clause; the service only reads")
    return store.run(query.text, query.bind(params))


@router.get("/queries", response_model=QueryList, responses=error_responses(401), summary="The named query library")
async def list_queries(request: Request) -> QueryList:
    return QueryList(
        queries=[
            QueryInfo(
                name=q.name,
                description=q.description,
                parameters=[
                    QueryParameter(
                        name=p.name,
                        type=p.type,
                        default=p.default,
                        help=p.help,
                        minimum=p.minimum,
                        maximum=p.maximum,
                        curie_of=p.label,
                        max_length=p.max_length,
                    )
                    for p in q.params
                ],
                columns=list(q.columns),
            )
            for q in _library(request).values()
        ]
    )


@router.post(
    "/queries/{name}",
    response_model=QueryResponse,
    responses=error_responses(400, 401, 404, 413, 422, 502, 503),
    summary="Run one named query with typed parameters",
)
async def run_named_query(
    name: QueryName,
    body: QueryRequest,
    request: Request,
    graph: GraphDep,
    settings: SettingsDep,
) -> QueryResponse:
    library = _library(request)
    if name not in library:
        raise HTTPException(404, f"no named query {name!r}; available: {', '.join(sorted(library))}")
    query = library[name]
    params = _checked_params(query, body.params)
    rows = await graph.call(lambda store: _execute(store, query, params))
    limit = settings.max_query_rows
    return QueryResponse(
        name=name,
        columns=list(query.columns) or (list(rows[0]) if rows else []),
        rows=[{k: _jsonable(v) for k, v in row.items()} for row in rows[:limit]],
        truncated=len(rows) > limit,
    )


def _checked_params(query: NamedQuery, raw: dict[str, Any]) -> dict[str, Any]:
    """Names and JSON types here; ranges, CURIE prefixes and text limits in ``NamedQuery.bind``, as for the CLI.

    Each error names ``body.params.<name>``.
    """
    declared = {p.name: p for p in query.params}
    for key, value in raw.items():
        field = f"body.params.{key}"
        if key not in declared:
            takes = ", ".join(declared) or "none"
            raise FieldError(field, f"query {query.name!r} has no such parameter; it takes: {takes}")
        param = declared[key]
        accepted = _JSON_TYPES.get(param.type, (str,))
        if (isinstance(value, bool) and bool not in accepted) or not isinstance(value, accepted):
            raise FieldError(field, f"expects {param.spec}, got JSON {type(value).__name__}")
    for param in query.params:
        if param.name not in raw and param.default is None:
            raise FieldError(f"body.params.{param.name}", f"required: {param.help or param.spec}")
    try:
        query.bind(raw)
    except QueryError as exc:
        raise FieldError(f"body.params.{exc.param}" if exc.param else "body.params", str(exc)) from None
    return raw


def _jsonable(value: Any) -> Any:
    """Bolt values as JSON: lists and maps recurse, temporal values become ISO strings, the rest ``str``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, dt.date | dt.time | dt.datetime) or hasattr(value, "iso_format"):
        return value.iso_format() if hasattr(value, "iso_format") else value.isoformat()
    if hasattr(value, "items"):  # a graph node or relationship: its properties
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
