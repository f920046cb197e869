"""``GraphStore``: one wrapper over the official ``neo4j`` driver for ArcadeDB (embedded) and Neo4j 5.

Every statement pmkg sends goes through :meth:`GraphStore.run` or :meth:`GraphStore.columns`, which is
what lets the test suite record all of them and lint them against Neo4j 5 (see ``kg.cypher_lint``).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired, TransientError
from pmkg.kg import embedded
from pmkg.kg.config import GraphSettings
from pmkg.kg.dialect import ARCADEDB, NEO4J, Dialect

log = logging.getLogger(__name__)

# A process attached to another process's embedded server lets the driver retry a failed transaction for this
# long only, then checks that the owner is still alive before it retries again (up to ATTACHED_RETRY_BUDGET_S):
# with the driver's own 30 s of retries, a dead owner meant a 30 s hang before any message.
ATTACHED_RETRY_TIME_S = 1.0
ATTACHED_RETRY_BUDGET_S = 30.0


class GraphUnavailable(RuntimeError):
    """The graph store cannot be reached; the message says where we tried and what to do."""


@dataclass(frozen=True)
class SentStatement:
    """A statement as sent to the server, with the code location that sent it."""

    query: str
    params: tuple[str, ...]
    origin: str


_recorders: list[list[SentStatement]] = []
_THIS_FILE = str(Path(__file__).resolve())


@contextlib.contextmanager
def record_statements() -> Iterator[list[SentStatement]]:
    """Collect every statement any ``GraphStore`` sends while the block runs."""
    sink: list[SentStatement] = []
    _recorders.append(sink)
    try:
        yield sink
    finally:
        _recorders.remove(sink)


def _caller_origin() -> str:
    frame = sys._getframe(2)
    while frame and str(Path(frame.f_code.co_filename).resolve()) == _THIS_FILE:
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} ({frame.f_code.co_name})"


def _record(query: str, params: dict[str, Any] | None) -> None:
    if _recorders:
        sent = SentStatement(query, tuple(sorted(params or {})), _caller_origin())
        for sink in _recorders:
            sink.append(sent)


# Neo4j's driver schemes: bolt:// talks to one server; neo4j:// asks it for the cluster's routing table, so a
# read (RoutingControl.READ, every ``run`` without ``write=True``: exports, queries) goes to a follower or read
# replica and a write to the leader. "+s" is TLS with a CA-signed certificate (Aura), "+ssc" a self-signed one.
NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


class GraphStore:
    """A connection to the graph: Cypher in, plain Python values out."""

    def __init__(
        self,
        driver: neo4j.Driver,
        database: str,
        dialect: Dialect,
        settings: GraphSettings,
        embedded_path: str | None = None,
        owner_pid: int | None = None,
    ):
        self.driver = driver
        self.embedded_path = embedded_path  # set for embedded://; the bulk writer needs it
        self.owner_pid = owner_pid  # set when attached to another process's embedded server
        self.database = database
        self.dialect = dialect
        self.settings = settings

    @classmethod
    def connect(
        cls,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        driver_options: dict[str, Any] | None = None,
    ) -> GraphStore:
        """Open ``embedded://PATH`` (start or attach to ArcadeDB) or ``bolt://``/``neo4j://`` (Neo4j 5).

        ``driver_options`` go to ``neo4j.GraphDatabase.driver`` (e.g. ``connection_timeout``,
        ``max_transaction_retry_time``), for callers that must fail fast rather than retry for 30 s.
        """
        options = driver_options or {}
        settings = GraphSettings.resolve(uri, user, password, database)
        owner_pid = None
        if settings.uri.startswith("embedded://"):
            path = settings.uri.removeprefix("embedded://") or "pmkg-data/graph"
            endpoint = embedded.start_or_attach(path)
            if not endpoint.owned:
                owner_pid = endpoint.owner_pid
                options = {"max_transaction_retry_time": ATTACHED_RETRY_TIME_S, **options}
            driver = GraphDatabase.driver(endpoint.bolt_uri, auth=(endpoint.user, endpoint.password), **options)
            embedded.register_client(path, driver)
            dialect, db, embedded_path = ARCADEDB, endpoint.database, path
        elif settings.uri.startswith(NEO4J_SCHEMES):
            driver = GraphDatabase.driver(
                settings.uri, auth=(settings.user or "neo4j", settings.password or ""), **options
            )
            dialect, db, embedded_path = NEO4J, settings.database or NEO4J.default_database, None
        else:
            raise GraphUnavailable(
                f"unsupported graph URI {settings.uri!r}: use embedded://PATH (default), bolt://HOST:7687 (one Neo4j "
                "server) or neo4j://HOST:7687 / neo4j+s://HOST (a cluster or Aura); set it with --graph or "
                "PMKG_GRAPH_URI"
            )
        try:
            driver.verify_connectivity()
        except (ServiceUnavailable, AuthError, OSError) as exc:
            driver.close()
            if owner_pid is not None and not embedded.pid_alive(owner_pid):
                raise GraphUnavailable(embedded.owner_gone_message(embedded_path, owner_pid)) from None
            raise GraphUnavailable(
                f"cannot reach the graph at {settings.describe()}: {exc}. For Neo4j, is `docker compose up -d neo4j` "
                "running and are PMKG_GRAPH_USER / PMKG_GRAPH_PASSWORD set?"
            ) from exc
        return cls(driver, db, dialect, settings, embedded_path, owner_pid)

    def run(self, query: str, params: dict[str, Any] | None = None, *, write: bool = False) -> list[dict[str, Any]]:
        """Run one statement in a managed (retried) transaction and return its rows as dicts.

        Attached to another process's embedded server, a connection failure raises :class:`GraphUnavailable`
        within seconds once that process is gone, naming its pid (no chained driver tracebacks).
        """
        _record(query, params)
        if self.owner_pid is None:
            return self._execute(query, params, write)
        deadline = time.monotonic() + ATTACHED_RETRY_BUDGET_S
        while True:
            try:
                return self._execute(query, params, write)
            except (ServiceUnavailable, SessionExpired, TransientError):
                if not embedded.pid_alive(self.owner_pid):
                    raise GraphUnavailable(embedded.owner_gone_message(self.embedded_path, self.owner_pid)) from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _execute(self, query: str, params: dict[str, Any] | None, write: bool) -> list[dict[str, Any]]:
        result = self.driver.execute_query(
            query,
            params or {},
            database_=self.database,
            routing_=RoutingControl.WRITE if write else RoutingControl.READ,
        )
        return [record.data() for record in result.records]

    def columns(self, query: str, params: dict[str, Any] | None = None) -> dict[str, list[Any]]:
        """Run a read whose single row holds one list per column (``RETURN collect(x) AS x, ...``).

        Returning a handful of lists instead of millions of records is what keeps the export fast:
        Bolt decodes a list in one go, while each record costs a Python object.
        """
        rows = self.run(query, params)
        if len(rows) != 1:
            raise ValueError(f"columnar query returned {len(rows)} rows, expected exactly one: {query}")
        return rows[0]

    def ensure_schema(self) -> None:
        """Create the uniqueness constraint on every label's ``id`` and the property indexes (idempotent)."""
        for statement in self.dialect.schema_statements():
            self.run(statement, write=True)

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
