"""Human Disease Ontology (OBO): the ``Disease`` hierarchy and each disease's cross-references.

Parsed with obonet, which tolerates the escaped colons (``http\\://``) that the 2016 release has and strict
OBO 1.4 parsers reject. Non-obsolete terms become ``Disease`` nodes; ``is_a`` becomes ``IS_A``
(child -> parent). Cross-references are normalised to Bioregistry-style prefixes (``UMLS_CUI:`` ->
``UMLS:``, ``ORDO:`` -> ``ORPHANET:``) and kept as an ``xrefs`` list; ``alt_id``\\ s are kept as ``alt_ids``
so later jobs can resolve retired DOIDs to the canonical one.
"""

from __future__ import annotations

import re
from pathlib import Path

import obonet

from ingest.base import IngestError, IngestResult, SourceInfo, find_file, sha256_of
from ingest.xrefs import Resolver
from kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="disease-ontology",
    version="unknown",  # replaced by the file's own data-version when it is read
    license="CC BY 3.0 (2016 releases); CC0 1.0 (2017 on)",
    url="http://purl.obolibrary.org/obo/doid.obo",
)
FILES = ["disease-ontology/doid.obo", "disease-ontology/doid_2016-09-01.obo"]

XREF_PREFIXES = {
    "OMIM": "OMIM",
    "MESH": "MESH",
    "UMLS_CUI": "UMLS",
    "NCI": "NCIT",
    "ICD10CM": "ICD10CM",
    "ICD9CM": "ICD9CM",
    "ORDO": "ORPHANET",
    "Orphanet": "ORPHANET",
    "EFO": "EFO",
    "HP": "HP",
    "KEGG": "KEGG.DISEASE",
    "MEDDRA": "MEDDRA",
}
_DEFINITION = re.compile(r'^"(?P<text>.*)"\s*\[')


def normalise_xref(xref: str) -> str:
    """``'UMLS_CUI:C0006142'`` -> ``'UMLS:C0006142'``; SNOMED CT editions collapse to ``SNOMEDCT:``."""
    prefix, _, local = xref.partition(":")
    if prefix.startswith("SNOMEDCT"):
        return f"SNOMEDCT:{local}"
    return f"{XREF_PREFIXES.get(prefix, prefix)}:{local}"


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    # Ids here are already canonical (DOID, DrugBank, NCBIGene); the resolver is part of the job contract.
    del resolver
    path = find_file(data_dir, SOURCE, FILES)
    try:
        graph = obonet.read_obo(path, ignore_obsolete=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: not a readable OBO file ({exc}); re-download it from {SOURCE.url}") from exc
    version = str(graph.graph.get("data-version", "unknown")).removeprefix("releases/")
    source = SourceInfo(SOURCE.name, version, SOURCE.license, SOURCE.url)
    result = IngestResult(source)
    prov = source.provenance.as_props()
    current: set[str] = set()
    for term, data in graph.nodes(data=True):
        if not data:
            # obonet makes an empty node for an is_a target the file never defines; it is not a term.
            continue
        result.rows_read[path.name] += 1
        if not term.startswith("DOID:"):
            result.unresolved["non-DOID term id"] += 1
            result.warn(f"{path}: term {term}", "id is not DOID:NNN; term skipped")
            continue
        if data.get("is_obsolete") == "true":
            result.skipped["obsolete term"] += 1
            continue
        name = data.get("name")
        if not name:
            result.warn(f"{path}: term {term}", "has no name; kept with its id as the name")
        definition = _DEFINITION.match(data.get("def", ""))
        current.add(term)
        result.nodes.append(
            NodeRecord(
                "Disease",
                term,
                {
                    "name": name or term,
                    "definition": definition.group("text") if definition else None,
                    "xrefs": sorted({normalise_xref(x) for x in data.get("xref", [])}),
                    "alt_ids": sorted(data.get("alt_id", [])),
                    **prov,
                },
            )
        )
    for child, parent, relation in graph.edges(keys=True):
        if relation != "is_a" or child not in current:
            continue
        if parent not in current:
            result.unresolved["is_a parent obsolete or missing"] += 1
            result.warn(f"{path}: term {child}", f"is_a {parent}, which is obsolete or not in the file; edge skipped")
            continue
        result.edges.append(EdgeRecord("IS_A", "Disease", child, "Disease", parent, dict(prov)))
    result.files = {str(path): sha256_of(path)}
    return result
