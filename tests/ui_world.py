"""The world the triage page is tested and photographed in: the fixture graph, the small service model (with a
real external-validation report from the fixture SIDER list) and the drug-patient model, as one FastAPI app.

Shared by tests/test_ui_browser.py and tools/ui_screenshots.py, so the screenshots show what the tests check.
"""

from __future__ import annotations

import copy
import gzip
import json
import shutil
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pmkg.kg.store import GraphStore

from pmkg.workflows.external import evaluate_external
from tests.conftest import FIXTURES
from tests.service_support import (
    PatientModelForService,
    connector,
    make_app,
    patient_model_for_service,
    trained_for_service,
)


@dataclass(frozen=True)
class UiWorld:
    app: FastAPI
    patients: PatientModelForService


def ui_world(store: GraphStore, graph_uri: str, tmp_path_factory: Any) -> UiWorld:
    """``tmp_path_factory``: pytest's, or anything with ``mktemp(name) -> Path``."""
    trained = trained_for_service(store, tmp_path_factory)
    patients = patient_model_for_service(store, tmp_path_factory)
    # A copy of the model directory gets the external-validation report, so the shared one stays untouched.
    model_dir = tmp_path_factory.mktemp("ui-model") / trained.model_dir.name
    shutil.copytree(trained.model_dir, model_dir)
    evaluate_external(
        store, model_dir, FIXTURES / "sider-indications" / "indications.tsv", data_dir=FIXTURES,
        baselines=("degree_prior",), n_boot=20, out_dir=model_dir / "external", progress=False,
    )  # fmt: skip
    model = copy.copy(trained.model)
    model.details = {**trained.model.details, "model_dir": str(model_dir)}
    app = make_app(connector(graph_uri, 30.0), model, timeout_s=30.0, patients=patients.patients)
    return UiWorld(app, patients)


def cyp2c19_star2_star2_patient(patients: PatientModelForService) -> tuple[dict[str, Any], str]:
    """(phenopacket, single-sample VCF text) of the synthetic cohort's first CYP2C19 *2/*2 patient."""
    truth = [line.split("\t") for line in patients.cohort.truth.read_text().splitlines()[1:]]
    sample = next((row[0] for row in truth if row[2] == "*2/*2"), None)
    assert sample, "the synthetic cohort has no CYP2C19 *2/*2 patient; change its seed in tests/service_support.py"
    document = json.loads((patients.cohort.phenopackets / f"{sample}.json").read_text())
    with gzip.open(patients.cohort.vcf, "rt") as fh:
        lines = [line.rstrip("\n").split("\t") for line in fh]
    header = next(columns for columns in lines if columns[0] == "#CHROM")
    keep = header.index(sample)
    vcf = "".join(("\t".join(c) if c[0].startswith("##") else "\t".join(c[:9] + [c[keep]])) + "\n" for c in lines)
    return document, vcf
