"""A second, small graph for the tests that need HPO phenotypes, PGx variants and a patient.

The records are real ingest-job output cut by ``tools/fixtures/cut_explain_world.py`` (Parkinson's disease and
three diseases that share its phenotypes, CYP2C19 with two star-allele variants and five drugs). The one patient
is synthetic: a Parkinson's diagnosis, two of its phenotypes, a CYP2C19 *2/*2 diplotype and the *2 variant.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from pmkg.kg.predictions import PredictedLink, write_predicted_treats
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.store import GraphStore
from pmkg.kg.writer import GraphWriter

RECORDS = Path(__file__).resolve().parent / "fixtures" / "explain-world" / "records.jsonl.gz"
PATIENT = "PMKG.PATIENT:explain-1"
_SYNTHETIC = {"source": "pmkg-tests", "source_version": "1", "license": "CC0 1.0"}


def world_records() -> tuple[list[NodeRecord], list[EdgeRecord]]:
    nodes, edges = [], []
    with gzip.open(RECORDS, "rt", encoding="utf-8") as fh:
        for line in fh:
            ((kind, record),) = json.loads(line).items()
            if kind == "nodes":
                nodes.append(NodeRecord(**record))
            else:
                edges.append(EdgeRecord(**record))
    return nodes, edges


def patient_records() -> tuple[list[NodeRecord], list[EdgeRecord]]:
    nodes = [NodeRecord("Patient", PATIENT, dict(_SYNTHETIC))]
    links = [
        ("HAS_DIAGNOSIS", "Disease", "DOID:14330", {}),  # Parkinson's disease
        ("HAS_PHENOTYPE", "Phenotype", "HP:0000726", {}),  # Dementia (also an Alzheimer's phenotype)
        ("HAS_PHENOTYPE", "Phenotype", "HP:0001300", {}),  # Parkinsonism (also an Alzheimer's phenotype)
        ("HAS_DIPLOTYPE", "Gene", "NCBIGene:1557", {"diplotype": "*2/*2", "phenotype": "Poor Metabolizer"}),
        ("CARRIES", "Variant", "dbSNP:rs4244285", {"zygosity": "homozygous"}),
    ]
    edges = [EdgeRecord(rel, "Patient", PATIENT, lab, dst, {**_SYNTHETIC, **extra}) for rel, lab, dst, extra in links]
    return nodes, edges


def load_world(store: GraphStore) -> None:
    store.ensure_schema()
    nodes, edges = world_records()
    patient_nodes, patient_edges = patient_records()
    report = GraphWriter(store, progress=False).write(nodes + patient_nodes, edges + patient_edges, what="world")
    assert not report.problems(), report.problems()


# Predictions written by the tests (through the real write-back) for queries that read PREDICTED_TREATS.
TEST_MODEL = "test-explain"
TEST_PREDICTIONS = [
    PredictedLink("DRUGBANK:DB00945", "DOID:7148", 2.5, 0.031, 1),  # aspirin: palliates rheumatoid arthritis already
    PredictedLink("DRUGBANK:DB00773", "DOID:7148", 1.5, 0.012, 2),  # etoposide: novel
    PredictedLink("DRUGBANK:DB00945", "DOID:8577", 0.9, 0.004, 7),  # aspirin, ulcerative colitis: novel
]


def write_test_predictions(store: GraphStore) -> None:
    """Idempotent: the same links and model version every time (other versions' predictions are replaced)."""
    assert write_predicted_treats(store, TEST_PREDICTIONS, TEST_MODEL) == len(TEST_PREDICTIONS)
