"""The deployment files stay in step with the code: Docker cannot run in CI, so their contract is checked here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def test_the_image_holds_every_package_and_the_readmes_torch():
    dockerfile = (REPO / "Dockerfile").read_text()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    for folder in set(pyproject["tool"]["setuptools"]["package-dir"].values()):
        package = folder
        assert re.search(rf"^COPY {package} \./{package}$", dockerfile, re.M), f"Dockerfile does not copy {package}/"
    torch_pin = re.search(r"torch==[\d.]+", (REPO / "README.md").read_text()).group(0)
    assert f"--index-url https://download.pytorch.org/whl/cpu {torch_pin}" in dockerfile
    assert dockerfile.rstrip().endswith('CMD ["pmkg", "serve"]') and "\nUSER pmkg\n" in dockerfile


def test_the_compose_api_service_reaches_neo4j_and_is_only_on_loopback():
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    api = services["api"]
    assert api["build"] == "."
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert api["ports"] == ["127.0.0.1:8000:8000"]
    env = api["environment"]
    assert env["PMKG_GRAPH_URI"] == "bolt://neo4j:7687"
    neo4j_password = services["neo4j"]["environment"]["NEO4J_AUTH"].split("/", 1)[1]
    assert "PMKG_API_KEYS" in env and env["PMKG_GRAPH_PASSWORD"] == neo4j_password
    assert f"./pmkg-data/models:{env['PMKG_MODELS_DIR']}:ro" in api["volumes"]


def test_every_environment_variable_the_service_reads_is_documented():
    page = (REPO / "docs" / "service.md").read_text()
    # The service's own modules, and the CLI module that starts it (``pmkg serve``, the one that reads PMKG_API_*).
    sources = [*(REPO / "service").rglob("*.py")]
    sources += [path for path in (REPO / "pmkg" / "cli").glob("*.py") if "PMKG_API_" in path.read_text()]
    read = set()
    for path in sources:
        read |= set(re.findall(r"\b(PMKG_[A-Z_]*[A-Z])\b", path.read_text()))
    assert read, "no PMKG_ variables found in service/"
    assert "PMKG_API_PORT" in read, "the `pmkg serve` module was not found in pmkg/cli/"
    missing = sorted(name for name in read if f"`{name}`" not in page)
    assert not missing, f"docs/service.md (the HTTP service page) does not document {missing}"
