"""The HTTP server around the app: uvicorn, configured from :class:`~pmkg.service.settings.ServiceSettings`."""

from __future__ import annotations

import uvicorn
from pmkg.service.settings import ServiceSettings
from starlette.types import ASGIApp


def build_server(
    app: ASGIApp, host: str, port: int, settings: ServiceSettings, log_level: str = "info"
) -> uvicorn.Server:
    """A uvicorn server for ``app`` on ``host:port``; ``server.run()`` serves until ``server.should_exit``."""
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, server_header=False, log_level=log_level
    )
    return uvicorn.Server(config)
