"""A thread pool that starts on first use and again after :meth:`RestartablePool.shutdown`.

The service runs blocking work (graph calls, scoring a patient) off the event loop. An app whose lifespan is
restarted (a test client per request, a server reload) shuts its pools down and must find them working again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class RestartablePool:
    """At most ``workers`` threads named ``name-N``; :meth:`shutdown` cancels what has not started."""

    def __init__(self, workers: int, name: str) -> None:
        self.workers = workers
        self.name = name
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self.name)
            return self._pool.submit(fn, *args)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
