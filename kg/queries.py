"""Load and run the named query library in ``queries/``.

A query file starts with ``//`` comment lines: a description, then tags --
``@param NAME TYPE [= DEFAULT] HELP``, ``@example``, ``@columns`` -- and then one Cypher statement.
TYPE states the range a value may take (``integer[1..100]``, ``float[0..1]``, ``curie(Drug)``; see
:class:`QueryParam`). Parameters arrive as strings (CLI) or JSON values (HTTP) and are converted and checked
here, in one place for both, so a typo in a name or a value gets a message, never a half-run query.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmkg.kg.cypher_lint import mask_cypher
from pmkg.kg.limits import check_curie, control_character
from pmkg.kg.schema import LABELS
from pmkg.queries import QUERY_DIR

if TYPE_CHECKING:
    from pmkg.kg.store import GraphStore

_NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_PARAM_TAG = re.compile(
    r"^@param\s+(?P<name>\w+)\s+(?P<type>integer|float|boolean|string|curie)"
    rf"(?:\[(?P<low>{_NUMBER})\.\.(?P<high>{_NUMBER})\]|\((?P<label>\w+)\))?"
    r"(?:\s*=\s*(?P<default>\S+))?\s*(?P<help>.*)$"
)
_WRITE_CLAUSE = re.compile(r"\b(CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|LOAD\s+CSV|FOREACH)\b", re.IGNORECASE)
MAX_INTEGER_PARAM = 100_000  # the largest upper bound an integer parameter may declare
MAX_STRING_PARAM = 200  # characters in a free-text parameter (a name to search for, a symbol)
PARAM_SYNTAX = (
    "@param NAME TYPE [= DEFAULT] HELP, TYPE one of integer[MIN..MAX], float[MIN..MAX], boolean, string, curie(Label)"
)


class QueryError(ValueError):
    """A named query or its parameters are wrong; the message says how to fix the call.

    ``param`` names the parameter at fault, when one is, so the HTTP service can point at ``body.params.<name>``.
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class QueryParam:
    """One ``@param`` of a query header. The header states each value's range; :meth:`convert` enforces it.

    The CLI (``pmkg query --param``) and the HTTP service (``POST /v1/queries/{name}``) both bind parameters
    through :meth:`NamedQuery.bind`, so a value one refuses the other refuses too, with the same message.

    * ``integer[MIN..MAX]``, ``float[MIN..MAX]``: a number within the closed range; a float must be finite
      (NaN, Infinity and 1e400 are refused).
    * ``boolean``: true/false/1/0.
    * ``string``: text of at most ``MAX_STRING_PARAM`` characters without control characters.
    * ``curie(Label)``: a CURIE whose prefix the schema allows for ``Label`` (:func:`pmkg.kg.limits.check_curie`).
    """

    name: str
    type: str  # integer | float | boolean | string (a curie(Label) parameter is a string with a ``label``)
    default: str | None
    help: str
    minimum: float | None = None
    maximum: float | None = None
    label: str | None = None

    @property
    def max_length(self) -> int | None:
        return MAX_STRING_PARAM if self.type == "string" and self.label is None else None

    @property
    def spec(self) -> str:
        """The type as the header states it, e.g. ``integer[1..100]`` or ``curie(Drug)``."""
        if self.label:
            return f"curie({self.label})"
        if self.minimum is not None:
            return f"{self.type}[{_number(self.minimum)}..{_number(self.maximum)}]"
        return self.type

    def convert(self, raw: Any) -> Any:
        """``raw`` (a string from the CLI, or a JSON value) as this parameter's type, or :class:`QueryError`."""
        value = self._parse(raw)
        if self.type in ("integer", "float"):
            if self.type == "float" and not math.isfinite(value):
                raise self._error(f"must be a finite number, got {raw!r}")
            if not self.minimum <= value <= self.maximum:
                raise self._error(
                    f"must be between {_number(self.minimum)} and {_number(self.maximum)}, got {_number(value)}"
                )
        elif self.type == "string":
            bad = control_character(value)
            if bad:
                raise self._error(f"must not contain a control character ({bad})")
            if self.label:
                try:
                    check_curie(value, self.label)
                except ValueError as exc:
                    raise self._error(str(exc)) from None
            elif len(value) > MAX_STRING_PARAM:
                raise self._error(f"takes at most {MAX_STRING_PARAM} characters, got {len(value):,}")
        return value

    def _error(self, message: str) -> QueryError:
        return QueryError(f"parameter {self.name!r} {message}", param=self.name)

    def _parse(self, raw: Any) -> Any:
        try:
            if self.type == "integer":
                if isinstance(raw, bool | float):
                    raise ValueError(raw)
                return int(raw)
            if self.type == "float":
                if isinstance(raw, bool):
                    raise ValueError(raw)
                return float(raw)
            if self.type == "boolean":
                if isinstance(raw, bool):
                    return raw
                if str(raw).lower() not in {"true", "false", "1", "0"}:
                    raise ValueError(raw)
                return str(raw).lower() in {"true", "1"}
            return str(raw)
        except (TypeError, ValueError, OverflowError) as exc:
            raise QueryError(f"parameter {self.name!r} expects {self.spec}, got {raw!r}", param=self.name) from exc


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def parse_param(entry: str, where: str) -> QueryParam:
    """One ``@param`` line (without the leading ``//``); ``where`` names the file for the error message."""
    match = _PARAM_TAG.match(entry)
    if not match:
        raise QueryError(f"{where}: cannot read {entry!r}; expected {PARAM_SYNTAX}")
    kind, low, high, label = match["type"], match["low"], match["high"], match["label"]
    number = int if kind == "integer" else float
    if kind in ("integer", "float"):
        if low is None:
            raise QueryError(f"{where}: {match['name']}: a {kind} parameter states its range, as {kind}[MIN..MAX]")
        try:
            minimum, maximum = number(low), number(high)
        except ValueError:
            raise QueryError(f"{where}: {match['name']}: {kind}[{low}..{high}] is not a {kind} range") from None
        if not minimum <= maximum or (kind == "integer" and maximum > MAX_INTEGER_PARAM):
            raise QueryError(f"{where}: {match['name']}: range {low}..{high} is empty or over {MAX_INTEGER_PARAM}")
        param = QueryParam(match["name"], kind, match["default"], match["help"].strip(), minimum, maximum)
    elif kind == "curie":
        if label not in LABELS:
            raise QueryError(f"{where}: {match['name']}: curie({label}) names no label; known: {', '.join(LABELS)}")
        param = QueryParam(match["name"], "string", match["default"], match["help"].strip(), label=label)
    elif low is not None or label is not None:
        raise QueryError(f"{where}: {match['name']}: a {kind} parameter takes no range or label")
    else:
        param = QueryParam(match["name"], kind, match["default"], match["help"].strip())
    if param.default is not None:
        try:
            param.convert(param.default)
        except QueryError as exc:
            raise QueryError(f"{where}: the default of {exc}") from None
    return param


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    params: tuple[QueryParam, ...]
    example: str
    columns: tuple[str, ...]
    text: str
    path: Path
    body_line: int = field(default=1)

    @property
    def summary(self) -> str:
        """The description's headline (up to its first colon or full stop), for listings."""
        return re.split(r"[:.](?:\s|$)", self.description, maxsplit=1)[0]

    def bind(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Convert ``raw`` parameter values, apply defaults, and reject unknown or missing ones."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise QueryError(
                f"query {self.name!r} has no parameter {', '.join(map(repr, unknown))}{_did_you_mean(unknown, known)}; "
                f"its parameters are: {', '.join(known) or 'none'}"
            )
        bound = {}
        for param in self.params:
            if param.name in raw:
                bound[param.name] = param.convert(raw[param.name])
            elif param.default is not None:
                bound[param.name] = param.convert(param.default)
            else:
                raise QueryError(
                    f"query {self.name!r} needs --param {param.name}=... ({param.help}); e.g. {self.example}",
                    param=param.name,
                )
        return bound


def _did_you_mean(wrong: list[str], choices: Any) -> str:
    close = [m for w in wrong for m in difflib.get_close_matches(w, list(choices), n=1, cutoff=0.6)]
    return f" (did you mean {', '.join(map(repr, close))}?)" if close else ""


def parse_query_file(path: Path) -> NamedQuery:
    lines = path.read_text(encoding="utf-8").splitlines()
    header: list[str] = []
    body_start = len(lines)
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("//"):
            header.append(stripped[2:].strip())
        elif stripped:
            body_start = number
            break
    text = "\n".join(lines[body_start:]).strip()
    if not text:
        raise QueryError(f"{path}: no Cypher statement after the header")
    description, params, example, columns = [], [], "", ()
    for entry in header:
        if entry.startswith("@param"):
            params.append(parse_param(entry, str(path)))
        elif entry.startswith("@example"):
            example = entry.removeprefix("@example").strip()
        elif entry.startswith("@columns"):
            columns = tuple(c.strip() for c in entry.removeprefix("@columns").split(","))
        elif entry:
            description.append(entry)
    return NamedQuery(
        name=path.stem,
        description=" ".join(description),
        params=tuple(params),
        example=example,
        columns=columns,
        text=text,
        path=path,
        body_line=body_start + 1,
    )


def load_library(directory: Path = QUERY_DIR) -> dict[str, NamedQuery]:
    return {path.stem: parse_query_file(path) for path in sorted(directory.glob("*.cypher"))}


def get_query(name: str, directory: Path = QUERY_DIR) -> NamedQuery:
    library = load_library(directory)
    if name not in library:
        raise QueryError(
            f"no query named {name!r}{_did_you_mean([name], library)}; available: {', '.join(library)} "
            "(see `pmkg query --list`)"
        )
    return library[name]


def describe_query(query: NamedQuery) -> str:
    """The query's header as text: what it does, its parameters, an example and its columns."""
    params = [
        f"  {p.name} ({p.spec}{'' if p.default is None else ', default ' + p.default}): {p.help}" for p in query.params
    ]
    return "\n".join(
        [
            f"{query.name}: {query.description}",
            "parameters:" if params else "parameters: none",
            *params,
            f"example: {query.example}",
            f"columns: {', '.join(query.columns)}",
            f"file: {query.path}",
        ]
    )


def is_read_only(query: NamedQuery) -> bool:
    """True when the statement has no write clause (comments and string literals are ignored)."""
    return _WRITE_CLAUSE.search(mask_cypher(query.text)) is None


def run_query(store: GraphStore, name: str, raw_params: dict[str, Any]) -> tuple[NamedQuery, list[dict[str, Any]]]:
    """Run the named query with checked parameters; write clauses are refused."""
    query = get_query(name)
    if not is_read_only(query):
        raise QueryError(f"query {name!r} contains a write clause; the named-query runner only reads")
    return query, store.run(query.text, query.bind(raw_params))
