"""The ingest jobs pmkg knows, in the order they run (a later job may reference earlier jobs' nodes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest import disease_ontology, hetionet, pharmacotherapydb
from ingest.base import IngestResult, SourceInfo
from ingest.xrefs import Resolver

# A job reads upstream files under a data folder and resolves ids through the shared resolver.
Job = Callable[[Path, Resolver], IngestResult]

JOBS: dict[str, tuple[SourceInfo, Job]] = {
    "hetionet": (hetionet.SOURCE, hetionet.run),
    "disease-ontology": (disease_ontology.SOURCE, disease_ontology.run),
    "pharmacotherapydb": (pharmacotherapydb.SOURCE, pharmacotherapydb.run),
}

SAMPLE_DATA_DIR = Path(__file__).resolve().parent / "sample"
# The bundled sample carries only these (CC0) sources; the others need --data-dir.
SAMPLE_SOURCES = ("hetionet", "pharmacotherapydb")
