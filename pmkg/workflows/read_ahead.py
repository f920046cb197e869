"""Produce the next item of an iterator on a worker thread while the caller handles the current one.

Ingest parses a source in Python and writes it mostly in the JVM (the embedded store), which runs without the GIL.
Parsing source k+1 while source k is written puts the machine's second core to work: on the full bundle the parse
is about a third of the time (``docs/scale.md``). At most two items are alive at once, the one the caller holds
and the one being produced, so memory holds two sources' records instead of one.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()
# While the worker runs Python, every socket call of the caller's (Bolt) lets the GIL go and then waits up to the
# switch interval (5 ms by default) to get it back from the worker. Measured on the full bundle (one ingest each,
# load ~1.3): 5 ms made read-ahead slower than none (245 s against 216 s); 0.5 ms made it faster (193 s).
SWITCH_INTERVAL_S = 0.0005


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """``items`` in order, each produced while the caller handles the one before.

    An exception the iterator raises reaches the caller when it asks for that item. The worker is a daemon thread:
    an interrupted caller does not wait for the item in production. The interpreter's switch interval is lowered
    while this runs (``SWITCH_INTERVAL_S``) and restored after.
    """
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, SWITCH_INTERVAL_S))
    try:
        worker, box = _produce(items)
        while True:
            worker.join()
            if "error" in box:
                raise box["error"]
            item = box["item"]
            if item is _DONE:
                return
            worker, box = _produce(items)
            yield item
            del item  # the caller is done with it: only the item in production stays alive
    finally:
        sys.setswitchinterval(switch_interval)


def _produce(items: Iterator[T]) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def produce() -> None:
        try:
            box["item"] = next(items, _DONE)
        except BaseException as exc:  # handed to the caller, who raises it
            box["error"] = exc

    worker = threading.Thread(target=produce, name="pmkg-read-ahead", daemon=True)
    worker.start()
    return worker, box
