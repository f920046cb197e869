"""Service configuration, read once at start-up from ``PMKG_API_*`` environment variables."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmkg.queries import QUERY_DIR

MIN_KEY_LENGTH = 16
_KEY_CHARS = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without spaces: safe in an HTTP header


class ConfigError(ValueError):
    """The service is misconfigured; the message says which variable and how to fix it."""


@dataclass(frozen=True)
class ServiceSettings:
    api_keys: tuple[str, ...]
    max_body_bytes: int = 256 * 1024
    # A patient's VCF travels in the body of POST /v1/patients/recommendations: a larger limit for that route only.
    max_patient_body_bytes: int = 32 * 1024 * 1024
    patient_concurrency: int = 2
    patient_key_file: Path = Path("pmkg-data/patient-key")
    graph_timeout_s: float = 5.0
    graph_concurrency: int = 4
    max_query_rows: int = 10_000
    query_dir: Path = QUERY_DIR
    # Connection limits (service.server): a client that sends its request head or body too slowly is answered 408
    # and closed; a head over max_header_bytes or with more than max_headers lines gets 431; beyond
    # max_connections open connections a request gets 503 until some close.
    header_timeout_s: float = 10.0
    body_timeout_s: float = 60.0
    keepalive_timeout_s: int = 5
    max_header_bytes: int = 16 * 1024
    max_headers: int = 100
    max_connections: int = 64

    def __repr__(self) -> str:  # never print the keys
        return (
            f"ServiceSettings(api_keys=<{len(self.api_keys)} keys>, max_body_bytes={self.max_body_bytes}, "
            f"graph_timeout_s={self.graph_timeout_s}, graph_concurrency={self.graph_concurrency}, "
            f"max_query_rows={self.max_query_rows}, header_timeout_s={self.header_timeout_s}, "
            f"body_timeout_s={self.body_timeout_s}, max_header_bytes={self.max_header_bytes}, "
            f"max_headers={self.max_headers}, max_connections={self.max_connections})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        env = os.environ if environ is None else environ
        keys = load_api_keys(env.get("PMKG_API_KEYS"), env.get("PMKG_API_KEYS_FILE"))
        return cls(
            api_keys=keys,
            max_body_bytes=_number(env, "PMKG_API_MAX_BODY_BYTES", cls.max_body_bytes, int, 1024),
            graph_timeout_s=_number(env, "PMKG_API_GRAPH_TIMEOUT", cls.graph_timeout_s, float, 0.1),
            graph_concurrency=_number(env, "PMKG_API_GRAPH_CONCURRENCY", cls.graph_concurrency, int, 1),
            max_query_rows=_number(env, "PMKG_API_MAX_QUERY_ROWS", cls.max_query_rows, int, 1),
            max_patient_body_bytes=_number(
                env, "PMKG_API_MAX_PATIENT_BODY_BYTES", cls.max_patient_body_bytes, int, 1024
            ),
            patient_concurrency=_number(env, "PMKG_API_PATIENT_CONCURRENCY", cls.patient_concurrency, int, 1),
            # The same key (and variable) as `pmkg ingest patients`, so a patient stored either way gets one id.
            patient_key_file=Path(env.get("PMKG_PATIENT_KEY_FILE") or cls.patient_key_file),
            header_timeout_s=_number(env, "PMKG_API_HEADER_TIMEOUT", cls.header_timeout_s, float, 0.1),
            body_timeout_s=_number(env, "PMKG_API_BODY_TIMEOUT", cls.body_timeout_s, float, 0.1),
            keepalive_timeout_s=_number(env, "PMKG_API_KEEPALIVE_TIMEOUT", cls.keepalive_timeout_s, int, 1),
            max_header_bytes=_number(env, "PMKG_API_MAX_HEADER_BYTES", cls.max_header_bytes, int, 1024),
            max_headers=_number(env, "PMKG_API_MAX_HEADERS", cls.max_headers, int, 10),
            max_connections=_number(env, "PMKG_API_MAX_CONNECTIONS", cls.max_connections, int, 2),
        )


def load_api_keys(inline: str | None, keys_file: str | None) -> tuple[str, ...]:
    """Keys from ``PMKG_API_KEYS`` (comma-separated) and/or ``PMKG_API_KEYS_FILE`` (one per line, ``#`` comments)."""
    keys = [k.strip() for k in (inline or "").split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        _check_key(key, f"PMKG_API_KEYS entry {position}")
    if keys_file:
        path = Path(keys_file)
        try:
            lines = path.read_text().splitlines()
        except OSError as exc:
            raise ConfigError(f"PMKG_API_KEYS_FILE={path}: cannot read it ({exc.strerror})") from None
        for number, line in enumerate(lines, start=1):
            key = line.split("#", 1)[0].strip()
            if key:
                _check_key(key, f"{path}:{number}")
                keys.append(key)
    if not keys:
        raise ConfigError(
            "no API keys: set PMKG_API_KEYS=key1,key2 or PMKG_API_KEYS_FILE=PATH (one key per line); make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return tuple(dict.fromkeys(keys))


def _check_key(key: str, where: str) -> None:
    # The message names where the key came from, never the key itself.
    if len(key) < MIN_KEY_LENGTH or not _KEY_CHARS.match(key):
        raise ConfigError(
            f"{where}: an API key must be at least {MIN_KEY_LENGTH} printable ASCII characters without spaces "
            "or commas; make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )


def _number(env: Mapping[str, str], name: str, default: float, kind: type, minimum: float) -> Any:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected {'an integer' if kind is int else 'a number'}") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r}: must be at least {minimum}")
    return value
