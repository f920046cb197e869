"""The ingest jobs pmkg knows, in the order they run (a later job may reference earlier jobs' nodes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pmkg.ingest import (
    civic,
    clinvar,
    cpic,
    disease_ontology,
    drugcentral,
    drugcentral_ddi,
    gene_ontology,
    genes,
    hetionet,
    hpo,
    pharmacotherapydb,
    pharmgkb,
    sequence_ontology,
    sider,
)
from pmkg.ingest.base import IngestResult, SourceInfo
from pmkg.ingest.xrefs import Resolver

# A job reads upstream files under a data folder and resolves ids through the shared resolver.
Job = Callable[[Path, Resolver], IngestResult]

# Vocabularies first (genes, diseases, ontologies), so that the sources linking them find their endpoints.
# The order is also the naming authority: the source that creates a node owns its name (kg.schema.OWNER_PROPERTIES).
JOBS: dict[str, tuple[SourceInfo, Job]] = {
    "genes": (genes.SOURCE, genes.run),
    "disease-ontology": (disease_ontology.SOURCE, disease_ontology.run),
    "sequence-ontology": (sequence_ontology.SOURCE, sequence_ontology.run),
    "hetionet": (hetionet.SOURCE, hetionet.run),
    "go": (gene_ontology.SOURCE, gene_ontology.run),
    "hpo": (hpo.SOURCE, hpo.run),
    "drugcentral": (drugcentral.SOURCE, drugcentral.run),
    "drugcentral-ddi": (drugcentral_ddi.SOURCE, drugcentral_ddi.run),
    "sider": (sider.SOURCE, sider.run),
    "pharmgkb": (pharmgkb.SOURCE, pharmgkb.run),
    "cpic": (cpic.SOURCE, cpic.run),
    "clinvar": (clinvar.SOURCE, clinvar.run),
    "civic": (civic.SOURCE, civic.run),
    "pharmacotherapydb": (pharmacotherapydb.SOURCE, pharmacotherapydb.run),
}

SAMPLE_DATA_DIR = Path(__file__).resolve().parent / "sample"
# The bundled sample carries only these (CC0) sources; the others need --data-dir.
SAMPLE_SOURCES = ("hetionet", "pharmacotherapydb")
