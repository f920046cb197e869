"""What the service tests share: one small model trained on the fixture graph, and an app factory.

Pytest fixtures cannot be shared across modules without conftest, so the expensive part (training and
loading the model) is cached here for the session, and each test module wraps it in its own fixture.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pmkg.gnn.train import TrainConfig
from pmkg.kg.store import GraphStore
from pmkg.service.app import create_app
from pmkg.service.graph import GraphGateway, fail_fast_driver_options
from pmkg.service.model import ServingModel, load_serving_model
from pmkg.service.patients import PatientModel
from pmkg.service.settings import ServiceSettings

from pmkg.workflows.repurposing import predict_repurposing, train_from_graph

API_KEY = "test-key-0123456789abcdef"
OTHER_KEY = "second-key-0123456789abcdef"
FEW_EPOCHS = TrainConfig(epochs=4, hidden=16, patience=10, threads=1, seed=0)


@dataclass(frozen=True)
class TrainedForService:
    model_dir: Path
    model: ServingModel
    tsv_rows: list[dict[str, str]]  # every pair, as `pmkg predict repurposing --all --diseases all` wrote it


_cache: dict[str, Any] = {}


def trained_for_service(store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> TrainedForService:
    if "trained" not in _cache:
        models = tmp_path_factory.mktemp("service-models")
        outcome = train_from_graph(store, FEW_EPOCHS, models, progress=False)
        tsv = models / "all-pairs.tsv"
        predict_repurposing(store, outcome.model_dir, top_k=5, out_tsv=tsv, progress=False, diseases="all")
        with open(tsv) as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        _cache["trained"] = TrainedForService(outcome.model_dir, load_serving_model(outcome.model_dir, store), rows)
    trained = _cache["trained"]
    # A test module that ran since may have written another model's predictions into the session graph; the
    # service tests read this model's from the graph, so they are written again (only then).
    versions = store.run("MATCH ()-[e:PREDICTED_TREATS]->() RETURN collect(DISTINCT e.model_version) AS v")[0]["v"]
    if versions != [trained.model.model_version]:
        predict_repurposing(store, trained.model_dir, top_k=5, progress=False, diseases="all")
    return trained


@dataclass(frozen=True)
class PatientModelForService:
    model_dir: Path
    cohort: Any  # ingest.synthetic.CohortFiles: phenopackets/, cohort.vcf.gz, truth.tsv (CYP2C19 genotyped)
    patients: PatientModel  # key file in a temporary folder


# As tests/test_patient_model.py: the fixture data folder has no gene or drug mapping sources.
PATIENT_RESOLVER_TABLES = {
    "genes": {"NCBIGene:1557": "NCBIGene:1557"},
    "gene_symbols": {"CYP2C19": "NCBIGene:1557"},
    "drug_names": {"clopidogrel": "DRUGBANK:DB00758", "codeine": "DRUGBANK:DB00318"},
}


def patient_model_for_service(store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> PatientModelForService:
    """A drug-patient model trained for a few epochs on a synthetic cohort held in memory (nothing is stored)."""
    if "patients" not in _cache:
        from pmkg.gnn.patient_artifacts import save_patient_model
        from pmkg.gnn.patient_train import PatientTrainConfig, train_patient_model
        from pmkg.ingest.patients import Pseudonymiser, build_patients
        from pmkg.ingest.star_alleles import load_definitions
        from pmkg.ingest.synthetic import CohortGenerator, SynthConfig, write_cohort
        from pmkg.ingest.xrefs import Resolver
        from pmkg.kg.export import export_graph
        from pmkg.kg.patients import cohort_from_records

        from pmkg.workflows.cohort import read_cohort_source
        from pmkg.workflows.patient_scoring import PatientScorer
        from tests.conftest import FIXTURES

        root = tmp_path_factory.mktemp("service-patients")
        definitions = {"CYP2C19": load_definitions(FIXTURES, "CYP2C19")}
        config = SynthConfig(n=120, seed=3, genes=("CYP2C19",))
        generator = CohortGenerator(read_cohort_source(store), definitions, config)
        files = write_cohort(generator, root / "cohort", progress=False)
        resolver = Resolver.from_tables(**PATIENT_RESOLVER_TABLES)
        ingest = build_patients(
            [files.phenopackets, files.vcf], resolver, Pseudonymiser(b"0123456789abcdef-training"), FIXTURES
        )
        cohort = cohort_from_records(ingest.result.nodes, ingest.result.edges, True)
        export = export_graph(store, progress=False)
        few_epochs = PatientTrainConfig(epochs=10, hidden=8, eval_every=5, patience=100, seed=0)
        result = train_patient_model(export, cohort, few_epochs, progress=False)
        model_dir = save_patient_model(result, root / "models", export.node_names)
        scorer = PatientScorer.load(model_dir, FIXTURES)
        scorer.resolver = resolver
        patients = PatientModel(scorer, root / "key" / "patient-key", model_dir)
        _cache["patients"] = PatientModelForService(model_dir, files, patients)
    return _cache["patients"]


def connector(graph_uri: str, timeout_s: float, **kwargs: str) -> Callable[[], GraphStore]:
    def connect() -> GraphStore:
        return GraphStore.connect(graph_uri, driver_options=fail_fast_driver_options(timeout_s), **kwargs)

    return connect


def make_app(
    connect: Callable[[], GraphStore],
    model: ServingModel,
    timeout_s: float = 5.0,
    patients: PatientModel | None = None,
    **settings: object,
) -> FastAPI:
    config = ServiceSettings(api_keys=(API_KEY, OTHER_KEY), graph_timeout_s=timeout_s, **settings)  # type: ignore[arg-type]
    return create_app(config, model, GraphGateway(connect, timeout_s=timeout_s, concurrency=4), patients)


def client(app: FastAPI, key: str | None = API_KEY) -> TestClient:
    return TestClient(app, headers={"X-API-Key": key} if key else {})
