"""PharmacotherapyDB v1.0 indications: the training labels.

Disease-modifying (``DM``) indications become ``TREATS``; symptomatic (``SYM``) become ``PALLIATES``;
``NOT`` rows (curated non-indications) are counted and not stored, so nothing in the graph hints at
negatives the evaluation uses.
"""

from __future__ import annotations

import re
from pathlib import Path

from pmkg.ingest.base import IngestResult, SourceInfo, find_file, read_tsv, sha256_of
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="pharmacotherapydb",
    version="v1.0",
    license="CC0 1.0",
    url="https://github.com/dhimmel/indications/tree/v1.0/catalog",
)
FILES = ["pharmacotherapydb/indications.tsv"]
CATEGORIES = {"DM": "TREATS", "SYM": "PALLIATES"}
_DOID = re.compile(r"^DOID:\d+$")
_DRUGBANK = re.compile(r"^DB\d{5}$")


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    # Ids here are already canonical (DOID, DrugBank, NCBIGene); the resolver is part of the job contract.
    del resolver
    result = IngestResult(SOURCE)
    path = find_file(data_dir, SOURCE, FILES)
    prov = SOURCE.provenance.as_props()
    seen_nodes: set[str] = set()
    for line_number, row in read_tsv(path, ["doid_id", "drugbank_id", "disease", "drug", "category"], result):
        where = f"{path}:{line_number}"
        category = row["category"]
        if category == "NOT":
            result.skipped["NOT (non-indication)"] += 1
            continue
        if category not in CATEGORIES:
            result.skipped["unknown category"] += 1
            result.warn(where, f"category {category!r} is not DM, SYM or NOT; row skipped")
            continue
        if not _DOID.match(row["doid_id"]) or not _DRUGBANK.match(row["drugbank_id"]):
            result.unresolved["malformed DOID or DrugBank id"] += 1
            result.warn(where, f"expected DOID:NNN and DBNNNNN, got {row['doid_id']!r}, {row['drugbank_id']!r}")
            continue
        drug, disease = f"DRUGBANK:{row['drugbank_id']}", row["doid_id"]
        for label, curie, name in (("Drug", drug, row["drug"]), ("Disease", disease, row["disease"])):
            if curie not in seen_nodes:
                seen_nodes.add(curie)
                result.nodes.append(NodeRecord(label, curie, {"name": name, **prov}))
        props = {**prov, "category": category}
        for key in ("n_curators", "n_resources"):
            if row.get(key, "").isdigit():
                props[key] = int(row[key])
        result.edges.append(EdgeRecord(CATEGORIES[category], "Drug", drug, "Disease", disease, props))
    result.files = {str(path): sha256_of(path)}
    return result
