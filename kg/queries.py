"""Load and run the named query library in ``queries/``.

A query file starts with ``//`` comment lines: a description, then tags --
``@param NAME TYPE [= DEFAULT] HELP``, ``@example``, ``@columns`` -- and then one Cypher statement.
Parameters arrive as strings (from the CLI or HTTP) and are converted and checked here, so a typo
in a name or a value gets a message, never a half-run query.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmkg.kg.cypher_lint import mask_cypher
from pmkg.queries import QUERY_DIR

if TYPE_CHECKING:
    from pmkg.kg.store import GraphStore

_PARAM_TAG = re.compile(
    r"^@param\s+(?P<name>\w+)\s+(?P<type>string|integer|float|boolean)(?:\s*=\s*(?P<default>\S+))?\s*(?P<help>.*)$"
)
_WRITE_CLAUSE = re.compile(r"\b(CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|LOAD\s+CSV|FOREACH)\b", re.IGNORECASE)
MAX_INTEGER_PARAM = 100_000


class QueryError(ValueError):
    """A named query or its parameters are wrong; the message says how to fix the call."""


@dataclass(frozen=True)
class QueryParam:
    name: str
    type: str
    default: str | None
    help: str

    def convert(self, raw: Any) -> Any:
        value = self._parse(raw)
        if self.type == "integer" and not 0 <= value <= MAX_INTEGER_PARAM:
            raise QueryError(f"parameter {self.name!r} must be between 0 and {MAX_INTEGER_PARAM}, got {value}")
        return value

    def _parse(self, raw: Any) -> Any:
        try:
            if self.type == "integer":
                return int(raw)
            if self.type == "float":
                return float(raw)
            if self.type == "boolean":
                if isinstance(raw, bool):
                    return raw
                if str(raw).lower() not in {"true", "false", "1", "0"}:
                    raise ValueError(raw)
                return str(raw).lower() in {"true", "1"}
            return str(raw)
        except (TypeError, ValueError) as exc:
            raise QueryError(f"parameter {self.name!r} expects {self.type}, got {raw!r}") from exc


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
                    f"query {self.name!r} needs --param {param.name}=... ({param.help}); e.g. {self.example}"
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
            match = _PARAM_TAG.match(entry)
            if not match:
                raise QueryError(f"{path}: cannot read {entry!r}; expected '@param NAME TYPE [= DEFAULT] HELP'")
            params.append(QueryParam(match["name"], match["type"], match["default"], match["help"].strip()))
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
        f"  {p.name} ({p.type}{'' if p.default is None else ', default ' + p.default}): {p.help}" for p in query.params
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
