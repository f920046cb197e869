"""Serve an app over real HTTP on loopback, in a thread of the test process, with pmkg's own server settings."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pmkg.service.server import build_server
from pmkg.service.settings import ServiceSettings
from starlette.types import ASGIApp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app: ASGIApp, settings: ServiceSettings) -> Iterator[tuple[str, int]]:
    """Yield ``(base_url, port)`` while ``app`` answers on 127.0.0.1; stop the server afterwards."""
    port = free_port()
    server = build_server(app, "127.0.0.1", port, settings, log_level="warning")
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        server.should_exit = True
        thread.join(timeout=15)
