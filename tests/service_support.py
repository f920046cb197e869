"""What the service tests share: one small model trained on the fixture graph, and an app factory.

Pytest fixtures cannot be shared across modules without conftest, so the expensive part (training and
loading the model) is cached here for the session, and each test module wraps it in its own fixture.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gnn.train import TrainConfig
from kg.pipeline import predict_repurposing, train_from_graph
from kg.store import GraphStore
from service.app import create_app
from service.graph import GraphGateway, fail_fast_driver_options
from service.model import ServingModel, load_serving_model
from service.settings import ServiceSettings

API_KEY = "test-key-0123456789abcdef"
OTHER_KEY = "second-key-0123456789abcdef"
FEW_EPOCHS = TrainConfig(epochs=4, hidden=16, patience=10, threads=1, seed=0)


@dataclass(frozen=True)
class TrainedForService:
    model_dir: Path
    model: ServingModel
    tsv_rows: list[dict[str, str]]  # every pair, as `pmkg predict repurposing --all --diseases all` wrote it


_cache: dict[str, TrainedForService] = {}


def trained_for_service(store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> TrainedForService:
    if "trained" not in _cache:
        models = tmp_path_factory.mktemp("service-models")
        outcome = train_from_graph(store, FEW_EPOCHS, models, progress=False)
        tsv = models / "all-pairs.tsv"
        predict_repurposing(store, outcome.model_dir, top_k=5, out_tsv=tsv, progress=False, diseases="all")
        with open(tsv) as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        _cache["trained"] = TrainedForService(outcome.model_dir, load_serving_model(outcome.model_dir, store), rows)
    return _cache["trained"]


def connector(graph_uri: str, timeout_s: float, **kwargs: str) -> Callable[[], GraphStore]:
    def connect() -> GraphStore:
        return GraphStore.connect(graph_uri, driver_options=fail_fast_driver_options(timeout_s), **kwargs)

    return connect


def make_app(
    connect: Callable[[], GraphStore], model: ServingModel, timeout_s: float = 5.0, **settings: object
) -> FastAPI:
    config = ServiceSettings(api_keys=(API_KEY, OTHER_KEY), graph_timeout_s=timeout_s, **settings)  # type: ignore[arg-type]
    return create_app(config, model, GraphGateway(connect, timeout_s=timeout_s, concurrency=4))


def client(app: FastAPI, key: str | None = API_KEY) -> TestClient:
    return TestClient(app, headers={"X-API-Key": key} if key else {})
