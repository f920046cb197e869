"""Read-ahead keeps the order, overlaps production with the caller's work, and hands errors over."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from pmkg.workflows.read_ahead import read_ahead


def test_items_arrive_in_order_and_the_next_is_produced_while_the_caller_works():
    produced_by: list[str] = []
    alive = {"n": 0, "most": 0}

    def items():
        for i in range(5):
            produced_by.append(threading.current_thread().name)
            alive["n"] += 1
            alive["most"] = max(alive["most"], alive["n"])
            yield i

    seen = []
    t0 = time.perf_counter()
    for item in read_ahead(items()):
        time.sleep(0.05)  # the caller's work, during which the next item is produced
        seen.append(item)
        alive["n"] -= 1
    assert seen == [0, 1, 2, 3, 4]
    assert set(produced_by) == {"pmkg-read-ahead"}
    assert alive["most"] <= 2, "at most the caller's item and the one in production"
    assert time.perf_counter() - t0 < 5


def test_an_error_reaches_the_caller_at_the_item_that_raised_and_the_switch_interval_is_restored():
    before = sys.getswitchinterval()

    def items():
        yield "first"
        raise ValueError("the second source is corrupt")

    seen = []
    with pytest.raises(ValueError, match="second source"):
        for item in read_ahead(items()):
            assert sys.getswitchinterval() <= 0.0005
            seen.append(item)
    assert seen == ["first"]
    assert sys.getswitchinterval() == before
