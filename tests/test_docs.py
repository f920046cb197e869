"""The documentation site: it builds with no warning and no network, its nav is complete, the README points at it."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PAGES = [
    "index",
    "getting-started",
    "cli",
    "data",
    "schema-and-queries",
    "explanations",
    "model-and-evaluation",
    "patients",
    "service",
    "interoperability",
    "neo4j",
    "privacy-and-security",
    "architecture",
    "development",
]
# Loaded first in the build's interpreter: any attempt to reach beyond this machine fails the build.
NO_NETWORK = textwrap.dedent(
    """
    import socket

    _LOCAL = {"localhost", "127.0.0.1", "::1", None, ""}
    _getaddrinfo = socket.getaddrinfo
    _connect = socket.socket.connect

    def _refuse(host):
        raise OSError(f"the docs build tried to reach {host!r}; it must build offline")

    def getaddrinfo(host, *args, **kwargs):
        if host not in _LOCAL:
            _refuse(host)
        return _getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else None
        if self.family != socket.AF_UNIX and host not in _LOCAL:
            _refuse(host)
        return _connect(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    """
)


def _nav_files(entries) -> list[str]:
    files = []
    for entry in entries:
        if isinstance(entry, str):
            files.append(entry)
        elif isinstance(entry, dict):
            for value in entry.values():
                files += _nav_files(value) if isinstance(value, list) else [value]
    return files


def _config() -> dict:
    return yaml.safe_load((REPO / "mkdocs.yml").read_text())


def test_the_site_builds_strict_and_offline(tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NO_NETWORK)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(guard), os.environ.get("PYTHONPATH")]))}
    env["NO_MKDOCS_2_WARNING"] = "1"
    site = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    for page in PAGES:
        assert (site / ("index.html" if page == "index" else f"{page}/index.html")).is_file(), page
    # The API reference really rendered the mapped folders' docstrings (kg/store.py as pmkg.kg.store).
    store_page = (site / "reference" / "kg.store" / "index.html").read_text()
    assert "GraphStore" in store_page and "connect" in store_page


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    nav = _nav_files(_config()["nav"])
    missing = [path for path in nav if not (DOCS / path).is_file()]
    assert not missing, f"mkdocs.yml's nav names pages that do not exist: {missing}"
    for page in PAGES:
        assert f"{page}.md" in nav, f"docs/{page}.md is not in the nav"
    orphans = sorted(
        str(path.relative_to(DOCS))
        for path in [*DOCS.glob("*.md"), *DOCS.glob("reference/*.md")]
        if str(path.relative_to(DOCS)) not in nav
    )
    assert not orphans, f"pages missing from mkdocs.yml's nav: {orphans}"


def test_the_api_reference_names_modules_that_exist():
    for page in sorted((DOCS / "reference").glob("*.md")):
        for module in re.findall(r"^::: ([\w.]+)$", page.read_text(), flags=re.M):
            assert importlib.util.find_spec(module) is not None, f"{page.name}: no module {module}"


def test_the_docs_name_modules_by_their_package_path():
    """``kg.explain`` is ``pmkg.kg.explain`` now; only the architecture page quotes the old names (the move list)."""
    stale = re.compile(r"(?<![\w./-])(?:kg|gnn|ingest|service)\.(?!py\b|md\b)[a-z_]+")
    found = []
    for path in [*DOCS.glob("*.md"), REPO / "README.md"]:
        if path.name == "architecture.md":
            continue
        for span in re.findall(r"`([^`\n]+)`", path.read_text()):
            found += [f"{path.name}: {span}" for _ in stale.findall(span)]
    assert not found, "module names without the pmkg. prefix:\n" + "\n".join(found)


def test_the_readme_is_short_and_links_to_every_page():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    unlinked = [page for page in [*PAGES, "reference/index"] if f"](docs/{page}.md" not in readme]
    assert not unlinked, f"README.md does not link to {unlinked}"
    assert "mkdocs build --strict" in readme and "mkdocs serve" in readme
