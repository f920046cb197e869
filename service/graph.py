"""Graph access for the request path: every call has a deadline, so an unreachable graph gives 503, not a hang.

The neo4j driver retries for 30 s by default and has no read timeout: a request against a graph behind a
dead network link would wait forever. So calls run on a small dedicated thread pool under
``asyncio.wait_for``; the driver fails fast on refused connections (short connect and retry budgets);
and when a call misses its deadline the driver is closed (which shuts its sockets and frees any thread
blocked on them) and reconnected lazily on the next call, so the service recovers when the graph returns.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired
from pmkg.kg.store import GraphStore, GraphUnavailable
from pmkg.service.pools import RestartablePool

log = logging.getLogger(__name__)
T = TypeVar("T")


def fail_fast_driver_options(timeout_s: float) -> dict[str, Any]:
    """Driver settings that give up within about ``timeout_s`` instead of retrying for half a minute."""
    return {
        "connection_timeout": timeout_s,
        "connection_acquisition_timeout": timeout_s,
        "max_transaction_retry_time": min(1.0, timeout_s),
        "liveness_check_timeout": 30.0,
    }


class GraphDown(RuntimeError):
    """The graph did not answer (unreachable, or past the deadline); the endpoint returns 503."""


class GraphQueryFailed(RuntimeError):
    """The graph answered with an error; the endpoint returns 502 (the message holds no query text)."""


class GraphGateway:
    """Runs ``fn(store)`` against the graph with a deadline; reconnects through ``connect`` after a failure."""

    def __init__(
        self,
        connect: Callable[[], GraphStore],
        timeout_s: float = 5.0,
        concurrency: int = 4,
        store: GraphStore | None = None,
    ) -> None:
        self._connect = connect
        self._store = store
        self._lock = threading.Lock()
        self._connecting = threading.Lock()
        self.timeout_s = timeout_s
        self._pool = RestartablePool(concurrency, "pmkg-graph")

    async def call(self, fn: Callable[[GraphStore], T]) -> T:
        future = self._pool.submit(self._run, fn)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except TimeoutError:
            self._drop_store("no answer within the deadline")
            raise GraphDown(f"the graph did not answer within {self.timeout_s:g} s") from None

    async def reachable(self) -> bool:
        try:
            rows = await self.call(lambda store: store.run("RETURN 1 AS ok"))
        except (GraphDown, GraphQueryFailed):
            return False
        return bool(rows) and rows[0].get("ok") == 1

    def close(self) -> None:
        self._pool.shutdown()
        self._drop_store("service stopping", background=False)

    def _run(self, fn: Callable[[GraphStore], T]) -> T:
        store = self._current_store()
        try:
            return fn(store)
        except (ServiceUnavailable, SessionExpired, GraphUnavailable) as exc:  # GraphUnavailable: an owner died
            self._drop_store(type(exc).__name__)
            raise GraphDown("the graph is unreachable") from None
        except Neo4jError as exc:
            log.warning("graph error %s", exc.code)
            raise GraphQueryFailed(f"the graph rejected the query ({exc.code})") from None
        except DriverError as exc:
            self._drop_store(type(exc).__name__)
            raise GraphDown("the graph connection failed") from None

    def _current_store(self) -> GraphStore:
        store = self._store
        if store is not None:
            return store
        # One reconnection attempt at a time; calls arriving meanwhile fail at once instead of queueing behind
        # it (behind a dead link each attempt takes the whole connect timeout).
        if not self._connecting.acquire(blocking=False):
            raise GraphDown("the graph is unreachable (reconnecting)")
        try:
            if self._store is not None:  # another thread connected while this one was on its way here
                return self._store
            try:
                store = self._connect()
            except GraphUnavailable:
                raise GraphDown("the graph is unreachable") from None
            except Exception as exc:  # e.g. the embedded server could not be started or attached to
                log.warning("cannot connect to the graph: %s", type(exc).__name__)
                raise GraphDown("the graph is unreachable") from None
            with self._lock:
                self._store = store
            log.info("connected to the graph")
            return store
        finally:
            self._connecting.release()

    def _drop_store(self, reason: str, background: bool = True) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is None:
            return
        log.warning("closing the graph connection: %s", reason)
        # Closing shuts the driver's sockets down, which wakes any pool thread blocked reading from them.
        if background:
            threading.Thread(target=store.close, name="pmkg-graph-close", daemon=True).start()
        else:
            store.close()
