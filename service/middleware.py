"""Request ids, header-count and body-size gates, a one-line access log without bodies or query strings, no stack
traces. (The deadlines for slow clients and the head-size limit are the server's: :mod:`pmkg.service.server`.)"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("pmkg.service")
REQUEST_ID_HEADER = b"x-request-id"


class RequestGuard:
    """Outermost app wrapper: tags each response with ``X-Request-ID``, logs one line, contains crashes.

    An unexpected exception is logged as its type and innermost code location only: exception messages
    can carry request data, and a patient's must never reach a log.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        limits_by_path: dict[str, int] | None = None,
        max_headers: int = 100,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.limits_by_path = dict(limits_by_path or {})  # exact paths with their own limit (a patient's VCF)
        self.max_headers = max_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        state = {"started": False, "status": 500}
        t0 = time.perf_counter()

        async def tagged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"], state["status"] = True, message["status"]
                headers = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        received = 0
        limit = self.limits_by_path.get(scope.get("path", ""), self.max_body_bytes)

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the endpoint's body read; FastAPI passes HTTPExceptions on to the handlers.
                    raise HTTPException(413, f"request body exceeds this endpoint's limit of {limit} bytes")
            return message

        try:
            refusal = _refuse_by_headers(scope, self.max_headers) or _refuse_by_length(scope, limit)
            if refusal is not None:
                await _send_json(tagged_send, *refusal)
            else:
                await self.app(scope, counted_receive, tagged_send)
        except ClientDisconnect:  # the client went away (or the server closed a slow one) mid-body
            log.info("request %s: the client disconnected before its body arrived", request_id)
            state["status"] = 499
        except Exception as exc:
            log.error("request %s failed: %s at %s", request_id, type(exc).__name__, _innermost(exc))
            if not state["started"]:
                await _send_json(tagged_send, 500, f"internal error; quote request id {request_id} when reporting it")
            state["status"] = 500
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "<unmatched>"
            log.info(
                "%s %s %s %.1fms id=%s",
                scope.get("method"), path, state["status"], 1000 * (time.perf_counter() - t0), request_id,
            )


def _refuse_by_headers(scope: Scope, limit: int) -> tuple[int, str] | None:
    count = len(scope.get("headers", ()))
    if count > limit:
        return 431, f"request has {count} header lines; the limit is {limit}"
    return None


def _refuse_by_length(scope: Scope, limit: int) -> tuple[int, str] | None:
    # A declared length over the limit is refused before a byte is read; chunked bodies are counted.
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return 400, "Content-Length is not a number"
            if length > limit:
                return 413, f"request body of {length} bytes exceeds this endpoint's limit of {limit} bytes"
    return None


def _innermost(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail, "errors": []}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
