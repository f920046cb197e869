"""Ontology files as plain terms, whatever their format: OBO through obonet, OWL/RDF through rdflib.

Every ontology job (Disease Ontology, HPO, GO, Sequence Ontology) reads terms through
:func:`read_ontology`, so a user can point a job at the OBO or the OWL release of the same ontology.
No OBO parsing is hand-rolled: obonet tolerates the escaped colons (``http\\://``) that some upstream
releases contain and strict OBO 1.4 parsers reject.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest.base import IngestError, IngestResult, open_text

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
    # What the reader skipped: (where, message, kind), e.g. a stanza with a control character; see report_to
    problems: list[tuple[str, str, str]] = field(default_factory=list)

    def report_to(self, result: IngestResult) -> None:
        """Hand what the reader skipped to the job's result (warned and counted there)."""
        for where, message, kind in self.problems:
            result.skip(where, message, kind)


class _Problems:
    """Collects what :class:`~pmkg.ingest.base.ScreenedText` skips while an ontology is read (no result yet)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def skip(self, where: str, reason: str, kind: str) -> None:
        self.items.append((where, reason, kind))


def read_ontology(path: Path) -> Ontology:
    """Read an OBO (``.obo``, ``.obo.gz``) or OWL/RDF file; a damaged file raises :class:`IngestError`."""
    name = path.name.lower()
    if name.endswith(OWL_SUFFIXES):
        from pmkg.ingest.owl import read_owl  # rdflib is imported only for OWL input

        return read_owl(path)
    return read_obo(path)


def read_obo(path: Path) -> Ontology:
    """Read an OBO file: its lines are screened first (``file:line`` for each damaged one), then parsed by obonet.

    A stanza with a damaged line (not UTF-8, a control character, over-long) is dropped whole, with the line that
    broke it, since a term missing its id or name line is not that term. A file whose last line has no line
    ending was cut inside a stanza: it fails with the line (a release always ends its last line).
    """
    import obonet

    problems = _Problems()
    kept = _screened_stanzas(path, problems)
    try:
        graph = obonet.read_obo(io.StringIO("".join(kept)), ignore_obsolete=False)
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
    version = str(version).removeprefix("releases/") if version else None
    return Ontology(terms, version, problems.items)


def _screened_stanzas(path: Path, problems: _Problems) -> list[str]:
    """The file's lines minus every stanza holding a damaged line."""
    kept: list[str] = []
    stanza: list[str] = []
    start, term_id = 0, None
    pending = _Problems()  # the damaged lines of the current stanza
    damaged: list[tuple[str, str, str]] = []

    def close() -> None:
        if damaged:
            what = f"term {term_id}" if term_id else f"the stanza at line {start}"
            problems.items += [(w, m.replace("line skipped", f"{what} skipped"), k) for w, m, k in damaged]
        else:
            kept.extend(stanza)

    with open_text(path, pending) as fh:
        for line in fh:
            if pending.items:  # ScreenedText handed a damaged line over as a blank one
                damaged.extend(pending.items)
                pending.items.clear()
                continue
            if line.startswith("["):
                close()
                stanza, start, term_id, damaged = [], fh.line_number, None, []
            elif line.startswith("id:") and term_id is None:
                term_id = line[3:].strip()
            stanza.append(line)
        close()
        if not any(line.startswith("[Term]") for line in kept) and problems.items:
            where, message, _ = problems.items[0]
            raise IngestError(f"{where}: not a readable OBO file ({message.partition(';')[0]}); re-download it")
        if not fh.ends_with_newline:
            raise IngestError(
                f"{path}:{fh.line_number}: the file ends inside a stanza (its last line has no line ending): it was "
                "cut short; re-download it"
            )
    return kept


def _quoted(value: str) -> str:
    match = re.match(r'^"(.*?)"', value)
    return match.group(1) if match else value
