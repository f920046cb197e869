"""The triage page's static files under ``/ui/``: HTML, JavaScript and CSS shipped inside the package.

The page itself needs no key (it asks for one and sends it in ``X-API-Key`` on every API call), so these routes
carry no auth dependency and stay out of the OpenAPI spec. Only the files listed in the folder at start-up are
served, under a Content-Security-Policy that allows nothing but this origin: no inline script, no CDN, no fonts.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, HTTPException
from fastapi.responses import RedirectResponse, Response

UI_FOLDER = files("pmkg.service") / "ui"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def _assets() -> dict[str, tuple[bytes, str]]:
    found = {}
    for entry in UI_FOLDER.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in MEDIA_TYPES:
            found[entry.name] = (entry.read_bytes(), MEDIA_TYPES[suffix])
    if "index.html" not in found:
        raise FileNotFoundError(f"{UI_FOLDER}: index.html is missing; reinstall pmkg (pip install -e .)")
    return found


ASSETS = _assets()


def _file(name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(404, f"no file {name!r} in the triage page; open /ui/")
    body, media_type = ASSETS[name]
    return Response(body, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/ui")
async def ui_root() -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=308)


@router.get("/ui/")
async def ui_index() -> Response:
    return _file("index.html")


@router.get("/ui/{name}")
async def ui_asset(name: str) -> Response:
    return _file(name)
