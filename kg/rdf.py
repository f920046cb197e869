"""The graph as RDF: a streamed Turtle export (:func:`export_rdf`) and a reader for such files (:func:`read_rdf`).

Mapping (one file, Turtle 1.1, UTF-8; ``.gz`` output is gzipped):

* **Entities.** A node is the resource ``https://bioregistry.io/{CURIE}`` (``DOID:1612`` ->
  ``https://bioregistry.io/DOID:1612``). Every CURIE prefix of the schema is bound to its Bioregistry
  namespace (``@prefix DOID: <https://bioregistry.io/DOID:>``), so the Turtle reads ``DOID:1612`` just as the
  graph does. The node's label is its class (``a pmkg:Disease``), ``name`` is ``rdfs:label`` and every
  other property ``key`` is ``pmkg:key``, ``id`` included, in the vocabulary ``https://w3id.org/pmkg/vocab/``.
* **Edges.** ``(a)-[:TREATS {props}]->(b)`` is the triple ``a pmkg:TREATS b`` plus, for its properties and
  provenance, a standard RDF reification: a blank ``rdf:Statement`` with ``rdf:subject a``,
  ``rdf:predicate pmkg:TREATS``, ``rdf:object b`` and the edge's properties as above. Two sources asserting
  the same edge are two edges in the graph, hence one triple and two statements. RDF-star would be terser,
  but rdflib 7 cannot serialise it; reification is plain RDF 1.1 that every triple store loads.
* **Values.** Strings are plain literals (RDF 1.1: ``xsd:string``); integers, floats and booleans are typed
  ``xsd:integer``, ``xsd:double``, ``xsd:boolean``; dates ``xsd:date``/``xsd:dateTime``. A list is repeated
  triples, one per element: RDF has no order and no duplicates, so a list comes back sorted and deduplicated.
* **Vocabulary.** The file ends with the terms it used: each label an ``owl:Class`` and each relationship type
  an ``owl:ObjectProperty`` (with the schema's description), each property key an ``owl:DatatypeProperty``,
  also an ``owl:FunctionalProperty`` when it never held a list. That is how :func:`read_rdf` tells a
  one-element list from a single value.

Excluded: ``Patient`` nodes and every edge that touches one (DESIGN.md §6: patients never leave the graph).
Everything else goes out, ``Source`` nodes and ``PREDICTED_*`` edges included.

Streaming: nodes are read label by label in pages keyed on ``id`` (``WHERE n.id > $after ORDER BY n.id
LIMIT``, so no page costs an ever-growing ``SKIP``); each page's outgoing edges are fetched through the id
index in chunks of about ``EDGE_CHUNK`` edges (a single node with more edges than that is one chunk), and
written at once. Memory is bounded by the page size and the largest node degree, not by the graph. The
Turtle is written line by line with rdflib's term encoders rather than through ``Graph.serialize``, which
would need the whole graph, reified statements and all, in memory.

A resource has one IRI, so the same CURIE under two labels (a MeSH id that is a Disease and a Symptom)
becomes one resource with two classes and the union of both nodes' properties; :func:`read_rdf` then
returns one node per class, each with that union.
"""

from __future__ import annotations

import gzip
import os
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import unquote

from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.schema import LABELS, RELATIONSHIPS
from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef

if TYPE_CHECKING:
    from pmkg.kg.store import GraphStore

PMKG = Namespace("https://w3id.org/pmkg/vocab/")
BIOREGISTRY = "https://bioregistry.io/"
EXCLUDED_LABELS = frozenset({"Patient"})
NODE_PAGE = 5_000
EDGE_CHUNK = 20_000

_PN_PREFIX = re.compile(r"^[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_PN_LOCAL = re.compile(r"^[A-Za-z0-9_:]([A-Za-z0-9_.:-]*[A-Za-z0-9_:-])?$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Characters Turtle forbids inside <IRI>; they are percent-encoded.
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_FIXED_PREFIXES = {"rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "owl": str(OWL), "pmkg": str(PMKG)}


@dataclass
class RdfExportReport:
    """What :func:`export_rdf` wrote: counts per label and per ``Src-TYPE-Dst``, and what it left out."""

    path: Path
    nodes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    edges: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    triples: int = 0
    bytes: int = 0
    seconds: float = 0.0
    patients_excluded: int = 0
    patient_edges_excluded: int = 0
    nodes_without_id: int = 0  # counted, not exported: a resource needs an id for its IRI
    mixed_keys: list[str] = field(default_factory=list)  # list in some records, scalar in others

    @property
    def node_count(self) -> int:
        return sum(self.nodes.values())

    @property
    def edge_count(self) -> int:
        return sum(self.edges.values())

    def summary(self) -> str:
        return (
            f"{self.path}: {self.node_count:,} nodes, {self.edge_count:,} edges, {self.triples:,} triples, "
            f"{self.bytes / 1e6:.1f} MB in {self.seconds:.1f} s; left out {self.patients_excluded} patients and "
            f"{self.patient_edges_excluded} patient edges"
        )


def entity_iri(curie: str) -> URIRef:
    """``'DOID:1612'`` -> ``https://bioregistry.io/DOID:1612`` (characters illegal in an IRI percent-encoded)."""
    return URIRef(BIOREGISTRY + _IRI_UNSAFE.sub(_percent, curie))


def curie_of(iri: str) -> str | None:
    """The CURIE of a Bioregistry IRI, or ``None`` for any other IRI."""
    return unquote(iri[len(BIOREGISTRY) :]) if iri.startswith(BIOREGISTRY) else None


def _percent(match: re.Match) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8"))


# --- export ----------------------------------------------------------------------------------------------------


def label_count_statement() -> str:
    return "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n"


def patient_statements(patient: str) -> tuple[str, str]:
    return (
        f"MATCH (p:{patient}) RETURN count(p) AS n",
        f"MATCH (p:{patient})-[e]-() RETURN count(DISTINCT e) AS n",
    )


def node_page_statement(label: str) -> str:
    return (
        f"MATCH (n:{label}) WHERE n.id > $after WITH n ORDER BY n.id LIMIT $limit "
        "RETURN collect(n.id) AS ids, collect(properties(n)) AS props"
    )


def degree_statement(label: str, excluded: Iterable[str]) -> str:
    return (
        f"UNWIND $ids AS id MATCH (a:{label} {{id: id}})-[e]->(b){_not_excluded('b', excluded)} "
        "WITH id, count(e) AS degree RETURN collect(id) AS ids, collect(degree) AS degrees"
    )


def edge_chunk_statement(label: str, excluded: Iterable[str]) -> str:
    return (
        f"UNWIND $ids AS id MATCH (a:{label} {{id: id}})-[e]->(b){_not_excluded('b', excluded)} "
        "RETURN collect(a.id) AS src, collect(type(e)) AS types, collect(head(labels(b))) AS dst_labels, "
        "collect(b.id) AS dst, collect(properties(e)) AS props"
    )


def _not_excluded(var: str, excluded: Iterable[str]) -> str:
    conditions = [f"NOT {var}:{_cypher_name(label)}" for label in sorted(excluded)]
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _cypher_name(name: str) -> str:
    # Labels found in the database are spliced into Cypher, so anything unusual is backtick-quoted.
    return name if _IDENTIFIER.match(name) else "`" + name.replace("`", "``") + "`"


def export_rdf(
    store: GraphStore,
    out: Path,
    progress: bool = True,
    page_size: int = NODE_PAGE,
    edge_chunk: int = EDGE_CHUNK,
) -> RdfExportReport:
    """Write every node and edge of ``store`` except patients to ``out`` as Turtle (gzipped for ``.gz``).

    Nodes are read ``page_size`` at a time and their outgoing edges about ``edge_chunk`` at a time. The file
    appears only when complete: it is written beside ``out`` and renamed at the end.
    """
    from tqdm import tqdm

    t0 = time.perf_counter()
    report = RdfExportReport(out)
    counts = {row["label"]: int(row["n"]) for row in store.run(label_count_statement())}
    labels = [label for label in LABELS if label in counts] + sorted(set(counts) - set(LABELS))
    excluded = [label for label in EXCLUDED_LABELS if label in counts]
    for label in excluded:
        nodes_query, edges_query = patient_statements(_cypher_name(label))
        report.patients_excluded += int(store.run(nodes_query)[0]["n"])
        report.patient_edges_excluded += int(store.run(edges_query)[0]["n"])
    exported = [label for label in labels if label not in EXCLUDED_LABELS]
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    try:
        with (
            _open_out(partial) as handle,
            tqdm(
                total=sum(counts[label] for label in exported),
                desc="exporting RDF",
                unit="node",
                disable=None if progress else True,
                leave=False,
            ) as bar,
        ):
            writer = TurtleWriter(handle, _curie_prefixes(exported))
            for label in exported:
                written = 0
                for ids, props in _node_pages(store, label, page_size):
                    writer.nodes(label, ids, props)
                    for src, types, dst_labels, dst, edge_props in _edge_chunks(
                        store, label, ids, excluded, edge_chunk
                    ):
                        writer.edges(src, types, dst, edge_props)
                        for rel_type, dst_label in zip(types, dst_labels, strict=True):
                            report.edges[f"{label}-{rel_type}-{dst_label}"] += 1
                    written += len(ids)
                    bar.update(len(ids))
                report.nodes[label] = written
                report.nodes_without_id += counts[label] - written
            writer.vocabulary(exported)
            report.triples = writer.triples
            report.mixed_keys = sorted(writer.list_keys & writer.scalar_keys)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    report.bytes = out.stat().st_size
    report.seconds = time.perf_counter() - t0
    return report


def _open_out(path: Path) -> TextIO:
    if path.name.endswith(".gz.part"):
        return gzip.open(path, "wt", encoding="utf-8", compresslevel=6)
    return open(path, "w", encoding="utf-8")


def _curie_prefixes(labels: Iterable[str]) -> set[str]:
    # Only the exported labels' prefixes are declared: not even the patient id namespace appears in the file.
    return {prefix for label in labels if label in LABELS for prefix in LABELS[label].prefixes}


def _node_pages(store: GraphStore, label: str, page_size: int) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
    statement = node_page_statement(_cypher_name(label))
    after = ""
    while True:
        page = store.columns(statement, {"after": after, "limit": page_size})
        ids = page["ids"]
        if not ids:
            return
        yield ids, page["props"]
        # Any id sorts after "", so the first page starts at the beginning; later pages resume after the last id.
        after = ids[-1]
        if len(ids) < page_size:
            return


def _edge_chunks(
    store: GraphStore, label: str, ids: list[str], excluded: list[str], edge_chunk: int
) -> Iterator[tuple[list[str], list[str], list[str], list[str], list[dict[str, Any]]]]:
    name = _cypher_name(label)
    degrees = store.columns(degree_statement(name, excluded), {"ids": ids})
    chunk: list[str] = []
    size = 0
    statement = edge_chunk_statement(name, excluded)
    for node_id, degree in zip(degrees["ids"], degrees["degrees"], strict=True):
        if chunk and size + degree > edge_chunk:
            yield _edge_chunk(store, statement, chunk)
            chunk, size = [], 0
        chunk.append(node_id)
        size += degree
    if chunk:
        yield _edge_chunk(store, statement, chunk)


def _edge_chunk(store: GraphStore, statement: str, ids: list[str]):
    cols = store.columns(statement, {"ids": ids})
    # Sorted so the same graph always gives the same file.
    order = sorted(
        range(len(cols["src"])),
        key=lambda i: (cols["src"][i], cols["types"][i], cols["dst"][i], str(cols["props"][i].get("source", ""))),
    )
    return tuple([cols[key][i] for i in order] for key in ("src", "types", "dst_labels", "dst", "props"))


class TurtleWriter:
    """Writes nodes, reified edges and the vocabulary as Turtle to an open text handle."""

    def __init__(self, handle: TextIO, prefixes: Iterable[str]):
        self.handle = handle
        self.triples = 0
        self.list_keys: set[str] = set()
        self.scalar_keys: set[str] = set()
        self.labels_used: set[str] = set()
        self.types_used: set[str] = set()
        # Ids whose prefix is not declared here are written as full <IRI>s.
        self.prefixes = {p for p in prefixes if _PN_PREFIX.match(p) and p not in _FIXED_PREFIXES}
        lines = ["# pmkg knowledge graph (patients excluded); edge properties as rdf:Statement reifications"]
        lines += [f"@prefix {name}: <{iri}> ." for name, iri in _FIXED_PREFIXES.items()]
        lines += [f"@prefix {p}: <{BIOREGISTRY}{p}:> ." for p in sorted(self.prefixes)]
        handle.write("\n".join(lines) + "\n\n")

    def entity(self, curie: str) -> str:
        prefix, sep, local = curie.partition(":")
        if sep and prefix in self.prefixes and _PN_LOCAL.match(local):
            return curie
        return f"<{entity_iri(curie)}>"

    def nodes(self, label: str, ids: list[str], props: list[dict[str, Any]]) -> None:
        self.labels_used.add(label)
        cls = _vocab(label)
        parts = []
        for node_id, node_props in zip(ids, props, strict=True):
            lines = [f"{self.entity(node_id)} a {cls}"] + self._properties(node_props)
            self.triples += len(lines)
            parts.append(" ;\n    ".join(lines) + " .\n")
        self.handle.write("".join(parts))

    def edges(self, src: list[str], types: list[str], dst: list[str], props: list[dict[str, Any]]) -> None:
        parts = []
        last = None
        for s, rel_type, o, edge_props in zip(src, types, dst, props, strict=True):
            self.types_used.add(rel_type)
            subject, predicate, obj = self.entity(s), _vocab(rel_type), self.entity(o)
            if (s, rel_type, o) != last:  # sources asserting the same edge share its triple
                parts.append(f"{subject} {predicate} {obj} .\n")
                self.triples += 1
                last = (s, rel_type, o)
            lines = ["[] a rdf:Statement", f"rdf:subject {subject}", f"rdf:predicate {predicate}", f"rdf:object {obj}"]
            lines += self._properties(edge_props)
            self.triples += len(lines)
            parts.append(" ;\n    ".join(lines) + " .\n")
        self.handle.write("".join(parts))

    def vocabulary(self, labels: Iterable[str] = ()) -> None:
        """Declare the classes, relationship types and property keys the file used."""
        parts = ["\n# vocabulary\n"]
        for label in [*labels, *sorted(self.labels_used - set(labels))]:
            spec = LABELS.get(label)
            comment = f" ;\n    rdfs:comment {_string(spec.description)}" if spec else ""
            parts.append(f"{_vocab(label)} a owl:Class{comment} .\n")
        for rel_type in sorted(self.types_used):
            spec = RELATIONSHIPS.get(rel_type)
            comment = f" ;\n    rdfs:comment {_string(spec.description)}" if spec else ""
            parts.append(f"{_vocab(rel_type)} a owl:ObjectProperty{comment} .\n")
        for key in sorted((self.list_keys | self.scalar_keys) - {"name"}):
            functional = "" if key in self.list_keys else ", owl:FunctionalProperty"
            parts.append(f"{_vocab(key)} a owl:DatatypeProperty{functional} .\n")
        self.triples += len(parts) - 1
        self.handle.write("".join(parts))

    def _properties(self, props: dict[str, Any]) -> list[str]:
        lines = []
        for key in sorted(props):
            value = props[key]
            if value is None:
                continue
            predicate = "rdfs:label" if key == "name" else _vocab(key)
            if isinstance(value, list | tuple):
                self.list_keys.add(key)
                if not value:
                    continue
                lines.append(f"{predicate} {', '.join(_literal(v) for v in value)}")
                self.triples += len(value) - 1
            else:
                self.scalar_keys.add(key)
                lines.append(f"{predicate} {_literal(value)}")
        return lines


def _vocab(name: str) -> str:
    return f"pmkg:{name}" if _PN_LOCAL.match(name) and ":" not in name else f"<{PMKG}{_IRI_UNSAFE.sub(_percent, name)}>"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if hasattr(value, "to_native"):  # neo4j.time Date / DateTime / Time
        value = value.to_native()
    return Literal(value).n3(_NAMESPACES)


@lru_cache(maxsize=1 << 16)
def _string(value: str) -> str:
    # Provenance strings repeat on every record; encoding each distinct one once is most of the export's speed.
    return Literal(value).n3()


def _namespace_graph() -> Graph:
    graph = Graph(bind_namespaces="none")
    for name, iri in _FIXED_PREFIXES.items():
        graph.bind(name, iri)
    return graph


_NAMESPACES = _namespace_graph().namespace_manager


# --- read back -------------------------------------------------------------------------------------------------


def read_rdf(path: Path) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """Read a Turtle file written by :func:`export_rdf` back into records (sorted by label/type and id).

    The whole file is parsed into memory with rdflib, so this is for checks and for graphs of moderate size.
    """
    graph = Graph()
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            graph.parse(source=handle, format="turtle")
    else:
        graph.parse(path, format="turtle")
    functional = set(graph.subjects(RDF.type, OWL.FunctionalProperty))
    declared = set(graph.subjects(RDF.type, OWL.DatatypeProperty))
    statements = set(graph.subjects(RDF.type, RDF.Statement))

    labels: dict[URIRef, list[str]] = defaultdict(list)
    for subject, cls in graph.subject_objects(RDF.type):
        if isinstance(subject, URIRef) and str(cls).startswith(str(PMKG)):
            labels[subject].append(unquote(cls[len(PMKG) :]))
    ids: dict[URIRef, str] = {}
    nodes = []
    for subject, subject_labels in labels.items():
        props = _read_properties(graph, subject, functional, declared)
        node_id = props.pop("id", None) or curie_of(str(subject)) or str(subject)
        ids[subject] = node_id
        nodes.extend(NodeRecord(label, node_id, dict(props)) for label in sorted(subject_labels))

    edges = []
    reified = set()
    for statement in statements:
        s, p, o = (graph.value(statement, term) for term in (RDF.subject, RDF.predicate, RDF.object))
        rel_type = unquote(p[len(PMKG) :])
        reified.add((s, p, o))
        props = _read_properties(graph, statement, functional, declared)
        edges.append(_edge(rel_type, s, o, props, labels, ids))
    for s, p, o in graph.triples((None, None, None)):
        if str(p).startswith(str(PMKG)) and s in labels and o in labels and (s, p, o) not in reified:
            edges.append(_edge(unquote(p[len(PMKG) :]), s, o, {}, labels, ids))
    nodes.sort(key=lambda n: (n.label, n.id))
    edges.sort(key=lambda e: (e.type, e.src, e.dst, str(e.props.get("source", ""))))
    return nodes, edges


_STRUCTURAL = frozenset({RDF.type, RDF.subject, RDF.predicate, RDF.object})


def _read_properties(graph: Graph, subject: URIRef | BNode, functional: set, declared: set) -> dict[str, Any]:
    values: dict[URIRef, list[Any]] = defaultdict(list)
    for predicate, obj in graph.predicate_objects(subject):
        if predicate in _STRUCTURAL or not isinstance(obj, Literal):
            continue
        if predicate == RDFS.label or str(predicate).startswith(str(PMKG)):
            values[predicate].append(_python(obj))
    props = {}
    for predicate, found in values.items():
        key = "name" if predicate == RDFS.label else unquote(predicate[len(PMKG) :])
        scalar = predicate in functional or (predicate not in declared and len(found) == 1)
        props[key] = found[0] if scalar else sorted(found, key=lambda v: (type(v).__name__, v))
    return props


def _python(literal: Literal) -> Any:
    value = literal.toPython()
    return str(value) if isinstance(value, Literal) else value


def _edge(rel_type: str, s, o, props: dict[str, Any], labels: dict, ids: dict) -> EdgeRecord:
    src_labels, dst_labels = labels.get(s, ["?"]), labels.get(o, ["?"])
    spec = RELATIONSHIPS.get(rel_type)
    # A resource with two classes (one CURIE under two labels): the schema says which end the edge means.
    pair = next(
        ((a, b) for a in src_labels for b in dst_labels if spec and (a, b) in spec.endpoints),
        (src_labels[0], dst_labels[0]),
    )
    src = ids.get(s) or curie_of(str(s)) or str(s)
    dst = ids.get(o) or curie_of(str(o)) or str(o)
    return EdgeRecord(rel_type, pair[0], src, pair[1], dst, props)
