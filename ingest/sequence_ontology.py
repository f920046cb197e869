"""Sequence Ontology (OBO): ``SequenceFeature`` nodes, the terms variant consequences and variant types point to.

``so.obo`` fails strict OBO 1.4 parsers (an escaped colon in an unquoted xref); :func:`ingest.ontology.read_ontology`
reads it through obonet, which copes. Every current ``SO:`` term becomes a ``SequenceFeature`` node with ``name``,
``definition``, ``synonyms`` and ``alt_ids``, so a ClinVar or VEP consequence that still uses a retired id can be
resolved. ``is_a`` becomes ``IS_A`` (child -> parent). The other SO relations (``part_of``, ``has_quality``,
``derives_from``, ...) have no relationship type in the schema and are not ingested. Obsolete terms are counted.
"""

from __future__ import annotations

import re
from pathlib import Path

from pmkg.ingest.base import IngestResult, SourceInfo, find_file, sha256_of
from pmkg.ingest.ontology import read_ontology
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="sequence-ontology",
    version="unknown",  # replaced by the file's own data-version when it is read
    license="CC BY 4.0",
    url="http://purl.obolibrary.org/obo/so.obo",
)
FILES = ["sequence-ontology/so.obo", "sequence-ontology/so.obo.gz"]

_SO_ID = re.compile(r"^SO:\d{7}$")


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    # SO ids are canonical already; the resolver is part of the job contract.
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
        if not _SO_ID.match(term.id):
            result.skipped["term id is not SO:NNNNNNN"] += 1
            result.warn(f"{path}: term {term.id}", "id is not SO:NNNNNNN; term skipped")
            continue
        if term.obsolete:
            result.skipped["obsolete term"] += 1
            continue
        if not term.name:
            result.warn(f"{path}: term {term.id}", "has no name; kept with its id as the name")
        current.add(term.id)
        result.nodes.append(
            NodeRecord(
                "SequenceFeature",
                term.id,
                {
                    "name": term.name or term.id,
                    "definition": term.definition,
                    "synonyms": sorted(set(term.synonyms)),
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
                result.note_unresolved("is_a parent obsolete or missing", parent)
                result.warn(
                    f"{path}: term {term.id}", f"is_a {parent}, which is obsolete or not in the file; edge skipped"
                )
                continue
            result.edges.append(EdgeRecord("IS_A", "SequenceFeature", term.id, "SequenceFeature", parent, dict(prov)))
    result.files = {str(path): sha256_of(path)}
    return result
