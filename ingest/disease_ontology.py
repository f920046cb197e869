"""Human Disease Ontology (OBO): the ``Disease`` hierarchy and each disease's cross-references.

Parsed with obonet, which tolerates the escaped colons (``http\\://``) that the 2016 release has and strict
OBO 1.4 parsers reject. Non-obsolete terms become ``Disease`` nodes; ``is_a`` becomes ``IS_A``
(child -> parent). Cross-references are normalised to Bioregistry-style prefixes (``UMLS_CUI:`` ->
``UMLS:``, ``ORDO:`` -> ``ORPHANET:``) and kept as an ``xrefs`` list; ``alt_id``\\ s are kept as ``alt_ids``
so later jobs can resolve retired DOIDs to the canonical one.
"""

from __future__ import annotations

from pathlib import Path

from pmkg.ingest.base import IngestResult, SourceInfo, find_file, sha256_of
from pmkg.ingest.ontology import read_ontology
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="disease-ontology",
    version="unknown",  # replaced by the file's own data-version when it is read
    license="CC BY 3.0 (2016 releases); CC0 1.0 (2017 on)",
    url="http://purl.obolibrary.org/obo/doid.obo",
)
# The OWL release is read through rdflib (ingest.owl) and gives the same terms; OBO is preferred when both exist.
FILES = ["disease-ontology/doid.obo", "disease-ontology/doid_2016-09-01.obo", "disease-ontology/doid.owl"]

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


def normalise_xref(xref: str) -> str:
    """``'UMLS_CUI:C0006142'`` -> ``'UMLS:C0006142'``; SNOMED CT editions collapse to ``SNOMEDCT:``."""
    prefix, _, local = xref.partition(":")
    if prefix.startswith("SNOMEDCT"):
        return f"SNOMEDCT:{local}"
    return f"{XREF_PREFIXES.get(prefix, prefix)}:{local}"


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    # DOIDs are canonical already; the resolver is part of the job contract.
    del resolver
    path = find_file(data_dir, SOURCE, FILES)
    ontology = read_ontology(path)
    source = SourceInfo(SOURCE.name, ontology.version or "unknown", SOURCE.license, SOURCE.url)
    result = IngestResult(source)
    ontology.report_to(result)
    prov = source.provenance.as_props()
    current: set[str] = set()
    for term in ontology.terms.values():
        result.rows_read[path.name] += 1
        if not term.id.startswith("DOID:"):
            result.unresolved["non-DOID term id"] += 1
            result.warn(f"{path}: term {term.id}", "id is not DOID:NNN; term skipped")
            continue
        if term.obsolete:
            result.skipped["obsolete term"] += 1
            continue
        if not term.name:
            result.warn(f"{path}: term {term.id}", "has no name; kept with its id as the name")
        current.add(term.id)
        result.nodes.append(
            NodeRecord(
                "Disease",
                term.id,
                {
                    "name": term.name or term.id,
                    "definition": term.definition,
                    "xrefs": sorted({normalise_xref(x) for x in term.xrefs}),
                    "alt_ids": sorted(term.alt_ids),
                    **prov,
                },
            )
        )
    for term in ontology.terms.values():
        if term.id not in current:
            continue
        for parent in term.parents:
            if parent not in current:
                result.unresolved["is_a parent obsolete or missing"] += 1
                result.warn(
                    f"{path}: term {term.id}", f"is_a {parent}, which is obsolete or not in the file; edge skipped"
                )
                continue
            result.edges.append(EdgeRecord("IS_A", "Disease", term.id, "Disease", parent, dict(prov)))
    result.files = {str(path): sha256_of(path)}
    return result
