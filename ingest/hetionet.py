"""Hetionet v1.0: nodes TSV and edges SIF, mapped to pmkg labels, CURIEs and relationship types.

``Compound::DB00945`` becomes ``Drug`` ``DRUGBANK:DB00945``; ``Disease::DOID:1612`` stays ``DOID:1612``;
``Gene::1017`` becomes ``NCBIGene:1017``. Hetionet's treats (CtD) and palliates (CpD) edges are the
PharmacotherapyDB indications, which the ``pharmacotherapydb`` job ingests with their own provenance;
they are counted here and left to that job so the training labels have one source.

The edge file of the bundle samples 5,000 edges of each large metaedge. Where the compiled source tables of
two of them are present (dhimmel/integrate's ``CbG-binding.tsv``, compound binds gene, and
``DaG-association.tsv``, disease associates with gene), those edges come from the tables instead, complete
(every row whose two ends are Hetionet nodes) and with their evidence: the sources, PubMed ids, actions and
affinities of a binding, the sources of an association, and each row's own licence.
"""

from __future__ import annotations

from pathlib import Path

from pmkg.ingest.base import IngestResult, SourceInfo, find_file, read_tsv, sha256_of
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="hetionet",
    version="v1.0",
    license="CC0 1.0 (original content); edges keep their upstream licences",
    url="https://github.com/hetio/hetionet/tree/main/hetnet/tsv",
)

NODE_FILES = ["hetionet/hetionet-v1.0-nodes.tsv", "hetionet/hetionet-v1.0-nodes-sample.tsv.gz"]
EDGE_FILES = [
    "hetionet/hetionet-v1.0-edges.sif.gz",
    "hetionet/edges-5k.sif.gz",
    "hetionet/hetionet-v1.0-edges.sif",
    "hetionet/edges-sample.sif.gz",
]

# Hetionet kind -> (pmkg label, CURIE prefix or None when the local id is already a CURIE, extra props)
KINDS: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "Anatomy": ("Anatomy", None, {}),
    "Biological Process": ("GOTerm", None, {"namespace": "biological_process"}),
    "Cellular Component": ("GOTerm", None, {"namespace": "cellular_component"}),
    "Molecular Function": ("GOTerm", None, {"namespace": "molecular_function"}),
    "Compound": ("Drug", "DRUGBANK", {}),
    "Disease": ("Disease", None, {}),
    "Gene": ("Gene", "NCBIGene", {}),
    "Pathway": ("Pathway", None, {}),
    "Pharmacologic Class": ("PharmacologicClass", "NDFRT", {}),
    "Side Effect": ("SideEffect", "UMLS", {}),
    "Symptom": ("Symptom", "MESH", {}),
}

# metaedge -> (pmkg relationship type, reverse the direction?)
METAEDGES: dict[str, tuple[str, bool]] = {
    "AdG": ("DOWNREGULATES", False),
    "AeG": ("EXPRESSES", False),
    "AuG": ("UPREGULATES", False),
    "CbG": ("TARGETS", False),
    "CcSE": ("CAUSES_SIDE_EFFECT", False),
    "CdG": ("DOWNREGULATES", False),
    "CrC": ("RESEMBLES", False),
    "CuG": ("UPREGULATES", False),
    "DaG": ("ASSOCIATED_WITH", False),
    "DdG": ("DOWNREGULATES", False),
    "DlA": ("LOCALIZES_TO", False),
    "DpS": ("PRESENTS", False),
    "DrD": ("RESEMBLES", False),
    "DuG": ("UPREGULATES", False),
    "GcG": ("COVARIES_WITH", False),
    "GiG": ("INTERACTS_WITH", False),
    "GpBP": ("ANNOTATED_WITH", False),
    "GpCC": ("ANNOTATED_WITH", False),
    "GpMF": ("ANNOTATED_WITH", False),
    "GpPW": ("PARTICIPATES_IN", False),
    "Gr>G": ("REGULATES", False),
    "PCiC": ("IN_CLASS", True),
}
LEFT_TO_PHARMACOTHERAPYDB = {"CtD", "CpD"}
# metaedge -> (compiled table, its required columns)
TABLES: dict[str, tuple[str, list[str]]] = {
    "CbG": ("hetionet/CbG-binding.tsv", ["drugbank_id", "entrez_gene_id", "sources", "pubmed_ids", "license"]),
    "DaG": ("hetionet/DaG-association.tsv", ["doid_id", "entrez_gene_id", "sources", "license"]),
}


def _split(value: str) -> list[str]:
    return [v for v in (value or "").split("|") if v]


def _table_edges(
    data_dir: Path, metaedge: str, known: dict[str, tuple[str, str]], result: IngestResult, prov: dict
) -> Path | None:
    """Edges of ``metaedge`` from its compiled table, if the bundle has it; returns the file read."""
    relative, required = TABLES[metaedge]
    path = data_dir / relative
    if not path.is_file():
        return None
    rel_type = METAEDGES[metaedge][0]
    for line_number, row in read_tsv(path, required, result):
        if metaedge == "CbG":
            ends = (f"Compound::{row['drugbank_id'].strip()}", f"Gene::{row['entrez_gene_id'].strip()}")
        else:
            ends = (f"Disease::{row['doid_id'].strip()}", f"Gene::{row['entrez_gene_id'].strip()}")
        if ends[0] not in known or ends[1] not in known:
            result.skipped[f"{metaedge} table row outside Hetionet's nodes"] += 1
            continue
        (src_label, src), (dst_label, dst) = known[ends[0]], known[ends[1]]
        props = {"metaedge": metaedge, **prov, "evidence": _split(row["sources"])}
        if row.get("license", "").strip():
            props["license"] = row["license"].strip()
        if metaedge == "CbG":
            props["pmids"] = _split(row.get("pubmed_ids", ""))
            props["actions"] = _split(row.get("actions", ""))
            affinity = (row.get("affinity_nM") or "").strip()
            if affinity:
                try:
                    props["affinity_nM"] = float(affinity)
                except ValueError:
                    result.warn(f"{path}:{line_number}", f"affinity_nM {affinity!r} is not a number; left out")
        result.edges.append(EdgeRecord(rel_type, src_label, src, dst_label, dst, props))
    return path


def _pathway_curie(local: str) -> str:
    return f"WIKIPATHWAYS:{local}" if local.startswith("WP") else f"PATHWAYCOMMONS:{local}"


def to_curie(hetionet_id: str) -> tuple[str, str]:
    """``'Compound::DB00945'`` -> ``('Drug', 'DRUGBANK:DB00945')``; raises ``KeyError`` for an unknown kind."""
    kind, _, local = hetionet_id.partition("::")
    if not local:
        raise KeyError(f"{hetionet_id!r} is not KIND::ID")
    label, prefix, _ = KINDS[kind]
    if kind == "Pathway":
        return label, _pathway_curie(local)
    return label, f"{prefix}:{local}" if prefix else local


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    # Ids here are already canonical (DOID, DrugBank, NCBIGene); the resolver is part of the job contract.
    del resolver
    result = IngestResult(SOURCE)
    node_file = find_file(data_dir, SOURCE, NODE_FILES)
    edge_file = find_file(data_dir, SOURCE, EDGE_FILES)
    prov = SOURCE.provenance.as_props()
    known: dict[str, tuple[str, str]] = {}
    for line_number, row in read_tsv(node_file, ["id", "name", "kind"], result):
        kind = row["kind"]
        if kind not in KINDS:
            result.unresolved[f"node kind {kind}"] += 1
            result.warn(f"{node_file}:{line_number}", f"unknown Hetionet kind {kind!r}; node skipped")
            continue
        label, curie = to_curie(row["id"])
        known[row["id"]] = (label, curie)
        result.nodes.append(NodeRecord(label, curie, {"name": row["name"], **KINDS[kind][2], **prov}))

    tables = {m: _table_edges(data_dir, m, known, result, prov) for m in TABLES}
    for line_number, row in read_tsv(edge_file, ["source", "metaedge", "target"], result):
        metaedge = row["metaedge"]
        if metaedge in LEFT_TO_PHARMACOTHERAPYDB:
            result.skipped[f"{metaedge} (ingested from pharmacotherapydb)"] += 1
            continue
        if metaedge not in METAEDGES:
            result.unresolved[f"metaedge {metaedge}"] += 1
            result.warn(f"{edge_file}:{line_number}", f"unknown metaedge {metaedge!r}; edge skipped")
            continue
        ends = []
        for end in (row["source"], row["target"]):
            if end not in known:
                result.unresolved["edge endpoint not in nodes file"] += 1
                result.warn(f"{edge_file}:{line_number}", f"endpoint {end!r} is not in {node_file.name}; edge skipped")
                break
            ends.append(known[end])
        if len(ends) != 2:
            continue
        if tables.get(metaedge) is not None:
            result.skipped[f"{metaedge} (read complete from its compiled table)"] += 1
            continue
        rel_type, reverse = METAEDGES[metaedge]
        (src_label, src), (dst_label, dst) = reversed(ends) if reverse else ends
        result.edges.append(EdgeRecord(rel_type, src_label, src, dst_label, dst, {"metaedge": metaedge, **prov}))

    read = [node_file, edge_file, *(p for p in tables.values() if p is not None)]
    result.files = {str(p): sha256_of(p) for p in read}
    return result
