"""OWL releases of OBO ontologies (RDF/XML ``.owl``/``.rdf``/``.xml`` or Turtle ``.ttl``, optionally gzipped).

Parsed with rdflib into an in-memory graph, then read back through the OBO-to-OWL mapping that ROBOT and
the OWL API use, so :func:`read_owl` returns the same :class:`~ingest.ontology.Ontology` as
:func:`~ingest.ontology.read_obo` does for the OBO release of the same ontology:

============================================  ====================================================
OWL                                           ``OntologyTerm``
============================================  ====================================================
``owl:Class`` ``obo:DOID_1612``               ``id`` ``DOID:1612``
``rdfs:label``                                ``name``
``obo:IAO_0000115``                           ``definition``
``oboInOwl:hasOBONamespace``                  ``namespace``
``oboInOwl:has{Exact,Related,Broad,Narrow}Synonym``  ``synonyms``
``oboInOwl:hasDbXref``                        ``xrefs``
``oboInOwl:hasAlternativeId``                 ``alt_ids``
``rdfs:subClassOf`` a named class             ``parents`` (``is_a``)
``rdfs:subClassOf`` ``[owl:onProperty P; owl:someValuesFrom C]``  ``relations`` ``(P's OBO shorthand, C)``
``owl:deprecated true``                       ``obsolete``
``obo:IAO_0100001``                           ``replaced_by``
``owl:versionIRI`` ``.../releases/V/x.owl``   ``Ontology.version`` ``V`` (else ``owl:versionInfo``)
============================================  ====================================================

Only classes with an OBO PURL IRI (``http://purl.obolibrary.org/obo/PREFIX_LOCAL``) are terms. A class the
file only declares (``<owl:Class rdf:about=.../>``, as the OWL API writes for every class it references)
is no term, just as obonet's empty nodes for undefined ``is_a`` targets are none. Lists come out sorted:
RDF has no triple order. rdflib holds the whole file in memory (roughly 1 KB per triple), which suits
ontologies up to GO's size; OWL/XML and functional-syntax files are refused with a ``robot convert`` hint.
"""

from __future__ import annotations

import gzip
import logging
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.sax import SAXException

from pmkg.ingest.base import IngestError
from pmkg.ingest.ontology import Ontology, OntologyTerm
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.exceptions import ParserError

log = logging.getLogger(__name__)

OBO = Namespace("http://purl.obolibrary.org/obo/")
OBO_IN_OWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")
DEFINITION = OBO["IAO_0000115"]
REPLACED_BY = OBO["IAO_0100001"]
SYNONYM_PROPERTIES = tuple(OBO_IN_OWL[f"has{scope}Synonym"] for scope in ("Exact", "Related", "Broad", "Narrow"))
# Relations whose property the file does not declare with an oboInOwl:shorthand still get their OBO name.
KNOWN_SHORTHANDS = {
    "BFO:0000050": "part_of",
    "BFO:0000051": "has_part",
    "BFO:0000066": "occurs_in",
    "RO:0002211": "regulates",
    "RO:0002212": "negatively_regulates",
    "RO:0002213": "positively_regulates",
}

_OBO_IRI = re.compile(r"^http://purl\.obolibrary\.org/obo/(?P<prefix>[A-Za-z][A-Za-z0-9.]*)_(?P<local>[^/#_]\S*)$")
_RELEASE = re.compile(r"/releases/(?P<version>[^/]+)/")
_SNIFF_BYTES = 4096


def obo_curie(iri: str) -> str | None:
    """``'http://purl.obolibrary.org/obo/DOID_1612'`` -> ``'DOID:1612'``; ``None`` for any other IRI."""
    match = _OBO_IRI.match(iri)
    return f"{match.group('prefix')}:{match.group('local')}" if match else None


def read_owl(path: Path) -> Ontology:
    """Read an OWL ontology in RDF/XML or Turtle; a damaged or empty file raises :class:`IngestError`."""
    graph = _parse(path)
    terms: dict[str, OntologyTerm] = {}
    not_obo = 0
    for cls in set(graph.subjects(RDF.type, OWL.Class)):
        if isinstance(cls, BNode):
            continue  # anonymous class expressions belong to the axioms of named classes
        curie = obo_curie(str(cls))
        if curie is None:
            not_obo += 1
            continue
        term = _term(graph, cls, curie)
        if term is not None:
            terms[curie] = term
    if not_obo:
        log.info("%s: %d named classes without an OBO PURL IRI are not terms", path, not_obo)
    if not terms:
        raise IngestError(
            f"{path}: parsed, but it has no owl:Class with an OBO PURL IRI (http://purl.obolibrary.org/obo/X_N); "
            "is this the ontology's OWL release?"
        )
    return Ontology(terms, _version(graph))


def _parse(path: Path) -> Graph:
    fmt = _format(path)
    graph = Graph()
    try:
        with _open_binary(path) as handle:
            graph.parse(source=handle, format=fmt, publicID=path.resolve().as_uri())
    except (SAXException, SyntaxError, ParserError, ValueError, OSError, EOFError, zlib.error) as exc:
        kind = "RDF/XML" if fmt == "xml" else "Turtle"
        raise IngestError(
            f"{path}: not a readable {kind} file ({type(exc).__name__}: {exc}); it may be truncated or corrupt, "
            "re-download it"
        ) from exc
    return graph


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _format(path: Path) -> str:
    """rdflib's parser name for ``path``: by suffix, but a file's first bytes overrule a misleading ``.owl``."""
    try:
        with _open_binary(path) as handle:
            head = handle.read(_SNIFF_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    except (OSError, EOFError, zlib.error) as exc:
        raise IngestError(
            f"{path}: not a readable file ({exc}); it may be truncated or corrupt, re-download it"
        ) from exc
    if head.startswith(("Prefix(", "Ontology(")) or ("<Ontology" in head and "rdf:RDF" not in head):
        raise IngestError(
            f"{path}: OWL functional syntax or OWL/XML, which rdflib cannot read; convert it to RDF/XML with "
            f"`robot convert --input {path.name} --output {path.stem}.rdf.owl --format owl` and point the job at that"
        )
    if head.startswith(("@prefix", "@base", "PREFIX", "BASE")):
        return "turtle"
    name = path.name.lower().removesuffix(".gz")
    return "turtle" if name.endswith(".ttl") else "xml"


def _term(graph: Graph, cls: URIRef, curie: str) -> OntologyTerm | None:
    term = OntologyTerm(id=curie)
    labels: list[Literal] = []
    described = False
    for predicate, value in graph.predicate_objects(cls):
        described |= predicate != RDF.type
        if predicate == RDFS.label:
            labels.append(value)
        elif predicate == DEFINITION:
            term.definition = str(value)
        elif predicate == OBO_IN_OWL.hasOBONamespace:
            term.namespace = str(value)
        elif predicate in SYNONYM_PROPERTIES:
            term.synonyms.append(str(value))
        elif predicate == OBO_IN_OWL.hasDbXref:
            term.xrefs.append(str(value))
        elif predicate == OBO_IN_OWL.hasAlternativeId:
            term.alt_ids.append(str(value))
        elif predicate == RDFS.subClassOf:
            _superclass(graph, value, term)
        elif predicate == OWL.deprecated:
            term.obsolete = str(value).lower() == "true"
        elif predicate == REPLACED_BY:
            term.replaced_by.append(_curie_or_text(value))
    if not described:
        return None  # only declared: a reference to a class defined elsewhere
    term.name = _label(labels)
    for values in (term.synonyms, term.xrefs, term.alt_ids, term.parents, term.replaced_by):
        values.sort()
    term.relations.sort()
    return term


def _label(labels: list[Literal]) -> str | None:
    # Some ontologies carry a label per language; an untagged or English one is the OBO name.
    preferred = sorted(str(x) for x in labels if getattr(x, "language", None) in (None, "en"))
    return (preferred or sorted(str(x) for x in labels) or [None])[0]


def _superclass(graph: Graph, value: object, term: OntologyTerm) -> None:
    if isinstance(value, URIRef):
        if value != OWL.Thing:
            term.parents.append(_curie_or_text(value))
        return
    if (value, RDF.type, OWL.Restriction) not in graph:
        return  # unions, intersections: not is_a or relationship lines in OBO either
    prop = graph.value(value, OWL.onProperty)
    target = graph.value(value, OWL.someValuesFrom)
    if isinstance(prop, URIRef) and isinstance(target, URIRef):
        term.relations.append((_relation_name(graph, prop), _curie_or_text(target)))


def _relation_name(graph: Graph, prop: URIRef) -> str:
    shorthand = graph.value(prop, OBO_IN_OWL.shorthand)
    if shorthand is not None:
        return str(shorthand)
    curie = obo_curie(str(prop))
    if curie in KNOWN_SHORTHANDS:
        return KNOWN_SHORTHANDS[curie]
    return curie or str(prop)


def _curie_or_text(value: object) -> str:
    return (obo_curie(str(value)) or str(value)) if isinstance(value, URIRef) else str(value)


def _version(graph: Graph) -> str | None:
    for ontology in _ontologies(graph):
        version_iri = graph.value(ontology, OWL.versionIRI)
        if version_iri is not None:
            match = _RELEASE.search(str(version_iri))
            if match:
                return match.group("version")
        version_info = graph.value(ontology, OWL.versionInfo)
        if version_info is not None:
            return str(version_info)
    return None


def _ontologies(graph: Graph) -> Iterator[URIRef]:
    for ontology in graph.subjects(RDF.type, OWL.Ontology):
        if isinstance(ontology, URIRef):
            yield ontology
