"""``X-API-Key`` authentication: every endpoint except the health checks depends on :func:`require_api_key`."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader

API_KEY_HEADER = "X-API-Key"
api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="One of the keys in PMKG_API_KEYS or PMKG_API_KEYS_FILE.",
)


class KeyRing:
    """Accepted keys, kept as SHA-256 digests so every comparison has the same length and cost."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._digests = tuple(_digest(k) for k in keys)

    def accepts(self, presented: str | None) -> bool:
        if not presented:
            return False
        candidate = _digest(presented)
        # No early exit: the time taken does not tell which key, or how much of one, matched.
        matched = False
        for known in self._digests:
            matched |= hmac.compare_digest(candidate, known)
        return matched


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


async def require_api_key(request: Request, key: str | None = Security(api_key_scheme)) -> None:
    """401 unless the request carries an accepted key in ``X-API-Key``."""
    if not request.app.state.keys.accepts(key):
        detail = (
            f"missing API key: send it in the {API_KEY_HEADER} header"
            if not key
            else f"wrong API key in the {API_KEY_HEADER} header"
        )
        raise HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "ApiKey"})
