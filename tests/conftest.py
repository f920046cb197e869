"""Shared fixtures: one real embedded ArcadeDB server for the session, loaded with the committed fixtures.

Every statement any ``GraphStore`` sends during the session is recorded; ``test_neo4j_gate.py`` (run
last) lints them all against Neo4j 5.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # the graph server shares the 2 cores with torch
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # OpenBLAS threads beside the in-process JVM: see kg.cli.main

from pmkg.ingest.registry import JOBS  # noqa: E402
from pmkg.kg.store import GraphStore, SentStatement, record_statements  # noqa: E402

from pmkg.workflows.ingest import ingest_sources  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Every source has a committed fixture (cut by tools/fixtures/); the session graph is built from all of them.
FIXTURE_SOURCES = list(JOBS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The Neo4j gate checks what the rest of the run sent, so it must run after everything else.
    items.sort(key=lambda item: item.get_closest_marker("neo4j_gate") is not None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "neo4j_gate: lints every statement the session sent; runs last")


@pytest.fixture(scope="session", autouse=True)
def session_statements() -> list[SentStatement]:
    """Every statement sent during the session, growing as tests run (the gate reads it last)."""
    with record_statements() as sink:
        yield sink


@pytest.fixture(scope="session")
def graph_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"embedded://{tmp_path_factory.mktemp('graph') / 'db'}"


@pytest.fixture(scope="session")
def store(graph_uri: str):
    with GraphStore.connect(graph_uri) as graph:
        yield graph


@pytest.fixture(scope="session")
def ingest_outcomes(store: GraphStore):
    return ingest_sources(store, FIXTURES, FIXTURE_SOURCES, progress=False)


@pytest.fixture(scope="session")
def world_store(tmp_path_factory: pytest.TempPathFactory):
    """A second small graph: HPO phenotypes, CYP2C19 pharmacogenomics and one synthetic patient (explain_world.py)."""
    from tests.explain_world import load_world

    with GraphStore.connect(f"embedded://{tmp_path_factory.mktemp('world') / 'db'}") as graph:
        load_world(graph)
        yield graph
