"""Ontology files as plain terms, whatever their format: OBO through obonet, OWL/RDF through rdflib.

Every ontology job (Disease Ontology, HPO, GO, Sequence Ontology) reads terms through
:func:`read_ontology`, so a user can point a job at the OBO or the OWL release of the same ontology.
No OBO parsing is hand-rolled: obonet tolerates the escaped colons (``http\\://``) that some upstream
releases contain and strict OBO 1.4 parsers reject.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest.base import IngestError, open_text

OWL_SUFFIXES = (".owl", ".owl.gz", ".ttl", ".ttl.gz", ".rdf", ".rdf.gz", ".xml")
_DEFINITION = re.compile(r'^"(?P<text>.*)"\s*\[')


@dataclass
class OntologyTerm:
    """One class of an ontology: its CURIE, label, definition, cross-references and direct parents."""

    id: str
    name: str | None = None
    definition: str | None = None
    namespace: str | None = None
    synonyms: list[str] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)
    alt_ids: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)  # is_a
    relations: list[tuple[str, str]] = field(default_factory=list)  # (relation, target), e.g. ("part_of", "GO:1")
    obsolete: bool = False
    replaced_by: list[str] = field(default_factory=list)


@dataclass
class Ontology:
    terms: dict[str, OntologyTerm]
    version: str | None  # data-version (OBO) or owl:versionInfo / versionIRI (OWL)


def read_ontology(path: Path) -> Ontology:
    """Read an OBO (``.obo``, ``.obo.gz``) or OWL/RDF file; a damaged file raises :class:`IngestError`."""
    name = path.name.lower()
    if name.endswith(OWL_SUFFIXES):
        from pmkg.ingest.owl import read_owl  # rdflib is imported only for OWL input

        return read_owl(path)
    return read_obo(path)


def read_obo(path: Path) -> Ontology:
    import obonet

    try:
        with open_text(path) as handle:
            graph = obonet.read_obo(handle, ignore_obsolete=False)
    except (OSError, EOFError, zlib.error, ValueError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: not a readable OBO file ({exc}); re-download it") from exc
    terms: dict[str, OntologyTerm] = {}
    for term_id, data in graph.nodes(data=True):
        if not data:
            # obonet makes an empty node for an is_a target the file never defines; it is not a term.
            continue
        definition = _DEFINITION.match(data.get("def", ""))
        terms[term_id] = OntologyTerm(
            id=term_id,
            name=data.get("name"),
            definition=definition.group("text") if definition else None,
            namespace=data.get("namespace"),
            synonyms=[_quoted(s) for s in data.get("synonym", [])],
            xrefs=[x.split(" ", 1)[0] for x in data.get("xref", [])],
            alt_ids=list(data.get("alt_id", [])),
            parents=list(data.get("is_a", [])),
            relations=[tuple(r.split(" ", 2)[:2]) for r in data.get("relationship", []) if " " in r],
            obsolete=data.get("is_obsolete") == "true",
            replaced_by=list(data.get("replaced_by", [])),
        )
    version = graph.graph.get("data-version")
    return Ontology(terms, str(version).removeprefix("releases/") if version else None)


def _quoted(value: str) -> str:
    match = re.match(r'^"(.*?)"', value)
    return match.group(1) if match else value
