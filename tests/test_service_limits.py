"""Slow and oversized clients over real HTTP on loopback: closed at their deadline, refused at their limit.

Issue 14, item 5: 20 slow-header connections and one slow body held for 45 s were never closed, and a 200 KB
header and 20,000 headers were accepted. Each test here is bounded to a few seconds.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx
import pytest
from pmkg.service.settings import ServiceSettings

from tests.live_service import serving
from tests.service_support import API_KEY, connector, make_app, trained_for_service

LIMITS = {
    "header_timeout_s": 1.0,
    "body_timeout_s": 1.5,
    "max_header_bytes": 8 * 1024,
    "max_headers": 50,
    "max_connections": 40,
}


@pytest.fixture(scope="module")
def trained(store, ingest_outcomes, tmp_path_factory):
    return trained_for_service(store, tmp_path_factory)


@pytest.fixture(scope="module")
def live(graph_uri, trained):
    app = make_app(connector(graph_uri, 5.0), trained.model, **LIMITS)
    with serving(app, app.state.settings) as (base, port):
        yield base, port


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.settimeout(0.05)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed ``sock`` within ``seconds``, and what it sent before closing."""
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


def test_the_limits_are_settings_read_from_the_environment():
    settings = ServiceSettings.from_env(
        {
            "PMKG_API_KEYS": API_KEY,
            "PMKG_API_HEADER_TIMEOUT": "3",
            "PMKG_API_BODY_TIMEOUT": "9",
            "PMKG_API_KEEPALIVE_TIMEOUT": "4",
            "PMKG_API_MAX_HEADER_BYTES": "4096",
            "PMKG_API_MAX_HEADERS": "20",
            "PMKG_API_MAX_CONNECTIONS": "10",
        }
    )
    assert (settings.header_timeout_s, settings.body_timeout_s, settings.keepalive_timeout_s) == (3.0, 9.0, 4)
    assert (settings.max_header_bytes, settings.max_headers, settings.max_connections) == (4096, 20, 10)


def test_slow_header_clients_are_closed_and_healthz_is_unaffected(live):
    base, port = live
    slow = [_connect(port) for _ in range(20)]
    stop = threading.Event()

    def dribble() -> None:  # one header line every 0.2 s, never the blank line that ends the head
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        while not stop.is_set():
            for sock in slow:
                with contextlib.suppress(OSError):  # closed by the server: the point of the test
                    sock.sendall(b"X-Slow: 1\r\n")
            time.sleep(0.2)

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=base, timeout=2) as http:
            for _ in range(5):
                t0 = time.monotonic()
                assert http.get("/healthz").status_code == 200
                assert time.monotonic() - t0 < 0.5
                time.sleep(0.1)
        outcomes = [_closed_within(sock, LIMITS["header_timeout_s"] + 2.0) for sock in slow]
    finally:
        stop.set()
        thread.join(timeout=5)
        for sock in slow:
            sock.close()
    assert all(closed for closed, _ in outcomes), sum(not closed for closed, _ in outcomes)
    assert all(sent.startswith(b"HTTP/1.1 408") for _, sent in outcomes), outcomes[0][1][:200]
    with httpx.Client(base_url=base, timeout=2) as http:
        assert http.get("/healthz").status_code == 200


def test_a_client_that_connects_and_sends_nothing_is_closed(live):
    _, port = live
    sock = _connect(port)
    try:
        closed, _ = _closed_within(sock, LIMITS["header_timeout_s"] + 2.0)
    finally:
        sock.close()
    assert closed


def test_a_slow_body_is_answered_408_and_closed(live):
    _, port = live
    sock = _connect(port)
    head = (
        "POST /v1/queries/graph_statistics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {API_KEY}\r\nContent-Length: 1000\r\n\r\n"
    )
    try:
        sock.sendall(head.encode() + b'{"params": ')
        t0 = time.monotonic()
        closed, sent = _closed_within(sock, LIMITS["body_timeout_s"] + 2.0)
        elapsed = time.monotonic() - t0
    finally:
        sock.close()
    assert closed and sent.startswith(b"HTTP/1.1 408"), sent[:200]
    assert LIMITS["body_timeout_s"] - 0.2 < elapsed < LIMITS["body_timeout_s"] + 2.0


def test_an_oversized_header_is_refused_with_431(live):
    base, _ = live
    with httpx.Client(base_url=base, timeout=5) as http:
        big = http.get("/healthz", headers={"X-Big": "a" * 200_000})
        assert big.status_code == 431
        assert http.get("/healthz", headers={"X-Fine": "a" * 1000}).status_code == 200


def _status_of_raw(port: int, head: bytes) -> int:
    """Send a request head on a fresh connection (the server may close it before reading it all)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        with contextlib.suppress(OSError):  # a reset once the server has answered and closed
            sock.sendall(head)
        answer = b""
        with contextlib.suppress(OSError):
            while b"\r\n" not in answer and (chunk := sock.recv(4096)):
                answer += chunk
    finally:
        sock.close()
    return int(answer.split(b" ", 2)[1])


def test_too_many_headers_are_refused_with_431(live):
    base, port = live
    with httpx.Client(base_url=base, timeout=5) as http:
        many = http.get("/healthz", headers={f"X-H{i}": "1" for i in range(LIMITS["max_headers"] + 1)})
        assert many.status_code == 431 and "header lines" in many.json()["detail"]
    lines = b"".join(b"X-H%d: 1\r\n" % i for i in range(20_000))
    assert _status_of_raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n") == 431


def test_connections_over_the_cap_get_503_until_the_idle_ones_are_closed(graph_uri, trained):
    app = make_app(connector(graph_uri, 5.0), trained.model, **{**LIMITS, "max_connections": 4})
    with serving(app, app.state.settings) as (base, port):
        idle = [_connect(port) for _ in range(4)]
        try:
            time.sleep(0.2)
            with httpx.Client(base_url=base, timeout=3) as http:
                assert http.get("/healthz").status_code == 503
                time.sleep(LIMITS["header_timeout_s"] + 0.5)  # the idle connections reach their header deadline
                assert http.get("/healthz").status_code == 200
        finally:
            for sock in idle:
                sock.close()
