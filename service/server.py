"""The HTTP server around the app: uvicorn with pmkg's connection limits.

Uvicorn by itself gives a client as long as it likes to send its request head (it only times out idle keep-alive
connections), and with httptools it accepts heads of hundreds of kilobytes. Here the server always speaks h11,
through :class:`GuardedH11Protocol`:

* a request head (request line and headers) must arrive within ``header_timeout_s`` of the connection opening,
  or of its first byte on a kept-alive connection; a connection that sends nothing counts too;
* a request body must arrive within ``body_timeout_s`` of its head;
* either deadline missed: the client gets ``408 Request Timeout`` and the connection is closed;
* a head over ``max_header_bytes`` gets ``431`` (h11's incomplete-event limit); more than ``max_headers`` header
  lines get ``431`` too (:class:`~pmkg.service.middleware.RequestGuard`, which sees the parsed headers);
* at most ``max_connections`` connections are served at once (uvicorn's ``limit_concurrency``): beyond it a
  request gets ``503``; the deadlines above bound how long a slow client can hold a slot;
* an idle kept-alive connection is closed after ``keepalive_timeout_s``.

Every value is a :class:`~pmkg.service.settings.ServiceSettings` field, read from ``PMKG_API_*`` variables.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import h11
import uvicorn
from pmkg.service.settings import ServiceSettings
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("pmkg.service")


def _plain_response(status: int, reason: str, text: str) -> bytes:
    body = text.encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines for the request head and body (set by :func:`build_server`)."""

    header_timeout_s: ClassVar[float] = 10.0
    body_timeout_s: ClassVar[float] = 60.0
    max_header_bytes: ClassVar[int] = 16 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase = ""
        self._arm("head")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def send_400_response(self, msg: str) -> None:
        # h11 refuses a head over its incomplete-event limit as a protocol error: say which limit it was.
        if len(self.conn.trailing_data[0]) > self.max_header_bytes:
            log.info("request head over %d bytes refused (431)", self.max_header_bytes)
            self._disarm()
            self.transport.write(
                _plain_response(
                    431, "Request Header Fields Too Large", f"request head over {self.max_header_bytes} bytes"
                )
            )
            self.transport.close()
            return
        super().send_400_response(msg)

    def _follow(self) -> None:
        """Arm the deadline that fits where the request is: head, body, or none (the app is answering)."""
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            # Waiting for a head: a fresh connection is armed already; a kept-alive one when its next head starts
            # (until then uvicorn's keep-alive timeout closes it).
            if self._phase != "head" and self.conn.trailing_data[0]:
                self._arm("head")
        elif state is h11.SEND_BODY:
            if self._phase != "body":
                self._arm("body")
        else:
            self._disarm()

    def _arm(self, phase: str) -> None:
        self._disarm()
        seconds = self.header_timeout_s if phase == "head" else self.body_timeout_s
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expired, phase)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()
        self._deadline, self._phase = None, ""

    def _expired(self, phase: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        seconds = self.header_timeout_s if phase == "head" else self.body_timeout_s
        log.info("closing a connection whose request %s took over %.1f s (408)", phase, seconds)
        if self.cycle is None or not self.cycle.response_started:
            what = "head (request line and headers)" if phase == "head" else "body"
            self.transport.write(_plain_response(408, "Request Timeout", f"request {what} not received in {seconds} s"))
        self.transport.close()


def guarded_protocol(settings: ServiceSettings) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` subclass with the deadlines and head limit of ``settings``."""
    return type(
        "PmkgH11Protocol",
        (GuardedH11Protocol,),
        {
            "header_timeout_s": settings.header_timeout_s,
            "body_timeout_s": settings.body_timeout_s,
            "max_header_bytes": settings.max_header_bytes,
        },
    )


def build_server(
    app: ASGIApp, host: str, port: int, settings: ServiceSettings, log_level: str = "info", **options: Any
) -> uvicorn.Server:
    """A uvicorn server for ``app`` on ``host:port`` with the limits of ``settings``; ``run()`` serves it."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(settings),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keepalive_timeout_s,
        log_config=None,
        access_log=False,
        server_header=False,
        log_level=log_level,
        **options,
    )
    return uvicorn.Server(config)
