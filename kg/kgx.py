"""The graph as KGX (Biolink-typed nodes and edges files): a streamed export and a reader back into pmkg records.

:func:`export_kgx` writes, into one folder,

* ``pmkg_nodes.tsv`` and ``pmkg_edges.tsv`` (or ``.jsonl``): KGX's format (biolink/kgx ``docs/kgx_format.md``).
  TSV lists are ``|``-separated; JSON Lines has one JSON object per line with arrays for lists;
* ``manifest.json``: what was written (rows, bytes and sha256 per file; counts per category and predicate), the
  Biolink version, the sources with their infores ids, versions and licences, what was left out, and each column's
  value types (so a TSV reads back with its numbers and lists);
* ``pmkg-kgx.tar.gz``: the three files in one bundle, as KG-Hub ships ``merged-kg.tar.gz``.

Mapping: :mod:`pmkg.kg.biolink` (``kg/biolink.yaml``). A node's ``category`` is its label's Biolink category,
``name``/``description``/``xref``/``synonym`` come from ``name``/``definition``/``xrefs``/``synonyms``, and
``provided_by`` lists the infores ids of every source that asserted it. An edge gets its Biolink ``predicate`` and
qualifier columns, ``primary_knowledge_source`` (the source's infores; pmkg's own for model predictions),
``aggregator_knowledge_source`` (pmkg), ``knowledge_level``, ``agent_type`` and ``publications`` (``pmids`` as
``PMID:`` CURIEs). Where Biolink's canonical predicate runs the other way (``reverse`` in the table: a Disease
ASSOCIATED_WITH a Gene is Gene ``gene_associated_with_condition`` Disease), subject and object swap and
``pmkg_reversed`` is true. pmkg's own provenance (``source``, ``source_version``, ``license``) and every other property
stay as columns of their own; ``pmkg_label``/``pmkg_type`` record the label and relationship type, so
:func:`read_kgx` restores the records exactly. A pmkg property whose name KGX reserves (an edge's ``category``)
is written as ``pmkg_<name>``. Edge ids are ``urn:uuid:`` UUIDv5s of (subject, type, object, source): stable
across exports. Empty values and empty lists are not written.

Excluded: ``Patient`` nodes and every edge touching one (DESIGN.md §6), and ``Source`` nodes, which the manifest
describes instead. One CURIE under two labels (a MeSH id that is a Disease and a Symptom) is one KGX node with
both categories, both labels and the union of the properties (the first label's value wins a conflict).

Streaming: as :func:`pmkg.kg.rdf.export_rdf`, nodes label by label in pages keyed on ``id`` and each page's
outgoing edges in chunks; memory is bounded by the page size and the largest degree. For TSV the header needs the
property keys first: one ``keys()`` pass per label precedes the export.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tarfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pmkg.kg.biolink import BiolinkMapping, PredicateMap, biolink_mapping
from pmkg.kg.rdf import (
    EDGE_CHUNK,
    NODE_PAGE,
    _cypher_name,
    _node_pages,
    _not_excluded,
    degree_statement,
    label_count_statement,
    patient_statements,
)
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.schema import LABELS, RELATIONSHIPS

from pmkg import __version__

if TYPE_CHECKING:
    from pmkg.kg.store import GraphStore

FORMATS = ("tsv", "jsonl")
BASENAME = "pmkg"
MANIFEST = "manifest.json"
BUNDLE = "pmkg-kgx.tar.gz"
EDGE_NAMESPACE = uuid.UUID("6f1d6a3e-2f0c-5d1e-9a57-8a4b3c2d1e0f")  # UUIDv5 namespace of pmkg's KGX edge ids
LIST_SEPARATOR = "|"

NODE_COLUMNS = ("id", "category", "name", "description", "xref", "synonym", "provided_by", "pmkg_label")
EDGE_COLUMNS = (
    "id", "subject", "predicate", "object", "primary_knowledge_source", "aggregator_knowledge_source",
    "knowledge_level", "agent_type", "publications", "pmkg_type", "pmkg_reversed",
)  # fmt: skip
# pmkg node properties written under a KGX column name; every other property keeps its own name.
NODE_RENAMED = {"name": "name", "definition": "description", "xrefs": "xref", "synonyms": "synonym"}
# Names KGX or Biolink give a meaning to: a pmkg property so named goes out as pmkg_<name>.
RESERVED = frozenset(
    {*NODE_COLUMNS, *EDGE_COLUMNS, "category", "relation", "original_predicate", "original_subject",
     "original_object", "knowledge_source", "qualifiers", "description", "xref", "synonym", "provided_by",
     # Biolink slots pmkg uses for something else: `kgx validate` checks a property so named against Biolink's
     # type (HPO's disease `inheritance` is a list, its `frequency_value` a number where Biolink's is a string).
     "inheritance", "frequency_value"}
)  # fmt: skip


@dataclass
class KgxExportReport:
    """What :func:`export_kgx` wrote."""

    out_dir: Path
    fmt: str
    nodes: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # per category
    edges: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # per predicate
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    bundle: Path | None = None
    seconds: float = 0.0
    patients_excluded: int = 0
    patient_edges_excluded: int = 0
    source_nodes_excluded: int = 0
    merged_ids: int = 0  # CURIEs under more than one label, written once
    unmapped: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # "TYPE Src->Dst" -> edges

    @property
    def node_count(self) -> int:
        return sum(self.nodes.values())

    @property
    def edge_count(self) -> int:
        return sum(self.edges.values())

    @property
    def rows_per_second(self) -> float:
        return (self.node_count + self.edge_count) / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        size = sum(f["bytes"] for f in self.files.values())
        return (
            f"{self.out_dir}: KGX {self.fmt}, {self.node_count:,} nodes and {self.edge_count:,} edges "
            f"({size / 1e6:.1f} MB) in {self.seconds:.1f} s ({self.rows_per_second:,.0f} rows/s); bundle "
            f"{self.bundle.name if self.bundle else 'not written'}; left out {self.patients_excluded} patients, "
            f"{self.patient_edges_excluded} patient edges and {self.source_nodes_excluded} Source nodes (in "
            f"{MANIFEST})"
            + (f"; {sum(self.unmapped.values())} edges without a Biolink mapping" if self.unmapped else "")
        )


def file_names(fmt: str) -> tuple[str, str]:
    return f"{BASENAME}_nodes.{fmt}", f"{BASENAME}_edges.{fmt}"


# --- statements -----------------------------------------------------------------------------------------------


def node_keys_statement(label: str) -> str:
    return f"MATCH (n:{label}) UNWIND keys(n) AS key RETURN collect(DISTINCT key) AS keys"


def edge_keys_statement(label: str, excluded: Iterable[str]) -> str:
    return (
        f"MATCH (a:{label})-[e]->(b){_not_excluded('b', excluded)} UNWIND keys(e) AS key "
        "RETURN collect(DISTINCT key) AS keys"
    )


def shared_ids_statement(excluded: Iterable[str]) -> str:
    """Ids that more than one exported node uses (one CURIE under two labels)."""
    return (
        f"MATCH (n){_not_excluded('n', excluded)} WITH n.id AS id, count(*) AS copies "
        "WHERE id IS NOT NULL AND copies > 1 "
        "RETURN collect(id) AS ids"
    )


def nodes_by_id_statement(label: str) -> str:
    return (
        f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN collect(n.id) AS ids, collect(properties(n)) AS props"
    )


def edge_chunk_statement(label: str, excluded: Iterable[str], object_keys: Iterable[str]) -> str:
    """A chunk's outgoing edges, with the object properties a by-property predicate needs (GO's namespace)."""
    # collect() drops nulls, which would shift the column against the others: a missing value is "".
    extra = "".join(f", collect(coalesce(b.{key}, '')) AS dst_{key}" for key in object_keys)
    return (
        f"UNWIND $ids AS id MATCH (a:{label} {{id: id}})-[e]->(b){_not_excluded('b', excluded)} "
        "RETURN collect(a.id) AS src, collect(type(e)) AS types, collect(head(labels(b))) AS dst_labels, "
        f"collect(b.id) AS dst, collect(properties(e)) AS props{extra}"
    )


def sources_statement() -> str:
    return (
        "MATCH (s:Source) RETURN s.name AS name, s.source_version AS version, s.license AS license, s.url AS url "
        "ORDER BY name"
    )


# --- export ---------------------------------------------------------------------------------------------------


def export_kgx(
    store: GraphStore,
    out_dir: Path,
    fmt: str = "tsv",
    progress: bool = True,
    page_size: int = NODE_PAGE,
    edge_chunk: int = EDGE_CHUNK,
    bundle: bool = True,
    mapping: BiolinkMapping | None = None,
) -> KgxExportReport:
    """Write every node and edge of ``store`` except patients and Source nodes into ``out_dir`` as KGX ``fmt``.

    The files appear only when complete (written as ``*.part`` and renamed), then the manifest, then the bundle.
    """
    from tqdm import tqdm

    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: KGX is written as one of {', '.join(FORMATS)}")
    mapping = mapping or biolink_mapping()
    t0 = time.perf_counter()
    report = KgxExportReport(out_dir, fmt)
    counts = {row["label"]: int(row["n"]) for row in store.run(label_count_statement())}
    labels = [label for label in LABELS if label in counts] + sorted(set(counts) - set(LABELS))
    excluded = [label for label in labels if not mapping.exported(label)]
    exported = [label for label in labels if mapping.exported(label)]
    for label in excluded:
        nodes_query, edges_query = patient_statements(_cypher_name(label))
        if label == "Source":
            report.source_nodes_excluded += int(store.run(nodes_query)[0]["n"])
        else:
            report.patients_excluded += int(store.run(nodes_query)[0]["n"])
            report.patient_edges_excluded += int(store.run(edges_query)[0]["n"])
    shared = set(store.run(shared_ids_statement(excluded))[0]["ids"])
    object_keys = sorted({row.by_object_property[0] for row in mapping.predicates.values() if row.by_object_property})
    writer_cls = TsvWriter if fmt == "tsv" else JsonlWriter
    node_name, edge_name = file_names(fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    node_path, edge_path = out_dir / node_name, out_dir / edge_name
    partial = [path.with_name(path.name + ".part") for path in (node_path, edge_path)]
    builder = RowBuilder(mapping)
    try:
        node_columns, edge_columns = (
            _tsv_columns(store, exported, excluded, mapping) if fmt == "tsv" else (list(NODE_COLUMNS), [])
        )
        with (
            writer_cls(partial[0], node_columns) as node_out,
            writer_cls(partial[1], edge_columns) as edge_out,
            tqdm(
                total=sum(counts[label] for label in exported), desc="exporting KGX", unit="node",
                disable=None if progress else True, leave=False,
            ) as bar,
        ):  # fmt: skip
            written_shared: set[str] = set()
            for label in exported:
                name = _cypher_name(label)
                for ids, props in _node_pages(store, label, page_size):
                    for node_id, node_props in zip(ids, props, strict=True):
                        if node_id in shared:
                            if node_id in written_shared:
                                continue
                            written_shared.add(node_id)
                            row = builder.merged_node(store, label, node_id, node_props, exported)
                            report.merged_ids += 1
                        else:
                            row = builder.node(label, node_id, node_props)
                        node_out.write(row)
                        for category in row["category"]:
                            report.nodes[category] += 1
                    for chunk in _edge_chunks(store, name, ids, excluded, edge_chunk, object_keys):
                        for edge_row, key in builder.edges(label, chunk, object_keys):
                            edge_out.write(edge_row)
                            report.edges[edge_row["predicate"]] += 1
                            if key is not None:
                                report.unmapped[key] += 1
                    bar.update(len(ids))
        for path, final in zip(partial, (node_path, edge_path), strict=True):
            os.replace(path, final)
        report.files = {
            p.name: _file_facts(p, rows) for p, rows in ((node_path, node_out.rows), (edge_path, edge_out.rows))
        }
        manifest = _manifest(store, report, mapping, node_out.types, edge_out.types, builder.renamed)
        (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        if bundle:
            report.bundle = _bundle(out_dir, [node_path, edge_path, out_dir / MANIFEST])
    finally:
        for path in partial:
            path.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - t0
    return report


def _tsv_columns(
    store: GraphStore, exported: list[str], excluded: list[str], mapping: BiolinkMapping
) -> tuple[list[str], list[str]]:
    node_keys: set[str] = set()
    edge_keys: set[str] = set()
    for label in exported:
        name = _cypher_name(label)
        node_keys.update(store.run(node_keys_statement(name))[0]["keys"])
        edge_keys.update(store.run(edge_keys_statement(name, excluded))[0]["keys"])
    qualifiers = sorted({_column(q) for row in mapping.predicates.values() for q, _ in row.qualifiers})
    node_extra = sorted({_node_key(k) for k in node_keys} - set(NODE_COLUMNS) - {None})
    edge_extra = sorted({_edge_key(k) for k in edge_keys} - set(EDGE_COLUMNS) - {None})
    return [*NODE_COLUMNS, *node_extra], [*EDGE_COLUMNS, *qualifiers, *edge_extra]


def _edge_chunks(
    store: GraphStore, name: str, ids: list[str], excluded: list[str], edge_chunk: int, object_keys: list[str]
) -> Iterator[dict[str, list[Any]]]:
    degrees = store.columns(degree_statement(name, excluded), {"ids": ids})
    statement = edge_chunk_statement(name, excluded, object_keys)
    chunk: list[str] = []
    size = 0
    for node_id, degree in zip(degrees["ids"], degrees["degrees"], strict=True):
        if chunk and size + degree > edge_chunk:
            yield store.columns(statement, {"ids": chunk})
            chunk, size = [], 0
        chunk.append(node_id)
        size += degree
    if chunk:
        yield store.columns(statement, {"ids": chunk})


def _column(qualifier: str) -> str:
    return qualifier.removeprefix("biolink:")


def _node_key(key: str) -> str | None:
    if key in ("id", "sources"):
        return None  # the id column; provided_by
    if key in NODE_RENAMED:
        return NODE_RENAMED[key]
    return f"pmkg_{key}" if key in RESERVED else key


def _edge_key(key: str) -> str | None:
    if key == "pmids":
        return None  # publications
    return f"pmkg_{key}" if key in RESERVED else key


class RowBuilder:
    """Turns graph nodes and edges into KGX rows (plain dicts, lists for multivalued fields)."""

    def __init__(self, mapping: BiolinkMapping) -> None:
        self.mapping = mapping
        self.renamed: dict[str, str] = {}  # KGX column -> pmkg property, where they differ

    def infores(self, source: str) -> str:
        return self.mapping.source_infores(source) or f"infores:{source}"

    def node(self, label: str, node_id: str, props: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.mapping.curie_out(label, node_id),
            "category": [self.mapping.category(label, props)],
            "pmkg_label": label,
        }
        sources = props.get("sources") or ([props["source"]] if props.get("source") else [])
        if sources:
            row["provided_by"] = [self.infores(s) for s in sources]
        for key, value in props.items():
            column = _node_key(key)
            if column is None or value is None:
                continue
            if column != key:
                self.renamed[column] = key
            row[column] = _plain(value)
        return row

    def merged_node(
        self, store: GraphStore, label: str, node_id: str, props: dict[str, Any], labels: list[str]
    ) -> dict[str, Any]:
        row = self.node(label, node_id, props)
        others = [x for x in labels if x != label]
        found = [label]
        for other in others:
            cols = store.columns(nodes_by_id_statement(_cypher_name(other)), {"ids": [node_id]})
            for other_props in cols["props"]:
                found.append(other)
                extra = self.node(other, node_id, other_props)
                row["category"] += [c for c in extra["category"] if c not in row["category"]]
                for key, value in extra.items():
                    if key not in row:
                        row[key] = value
                    elif isinstance(value, list) and isinstance(row[key], list) and key != "category":
                        row[key] += [v for v in value if v not in row[key]]
        row["pmkg_label"] = found
        return row

    def edges(
        self, label: str, cols: dict[str, list[Any]], object_keys: list[str]
    ) -> Iterator[tuple[dict[str, Any], str | None]]:
        for i, (src, rel_type, dst_label, dst, props) in enumerate(
            zip(cols["src"], cols["types"], cols["dst_labels"], cols["dst"], cols["props"], strict=True)
        ):
            row_map = self.mapping.edge(rel_type, label, dst_label)
            object_props = {key: cols[f"dst_{key}"][i] for key in object_keys}
            yield self.edge(label, src, rel_type, dst_label, dst, props, row_map, object_props)

    def edge(
        self,
        src_label: str,
        src: str,
        rel_type: str,
        dst_label: str,
        dst: str,
        props: dict[str, Any],
        row_map: PredicateMap | None,
        object_props: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        source = props.get("source")
        provenance = self.mapping.provenance(row_map, source)
        key = None if row_map else f"{rel_type} {src_label}->{dst_label}"
        row: dict[str, Any] = {
            "id": edge_id(src_label, src, rel_type, dst_label, dst, source),
            "subject": self.mapping.curie_out(src_label, src),
            "predicate": row_map.predicate_for(object_props) if row_map else "biolink:related_to",
            "object": self.mapping.curie_out(dst_label, dst),
            "primary_knowledge_source": provenance.primary_knowledge_source,
            "knowledge_level": provenance.knowledge_level,
            "agent_type": provenance.agent_type,
            "pmkg_type": rel_type,
        }
        if row_map is not None and row_map.reverse:  # Biolink's canonical predicate runs object -> subject
            row["subject"], row["object"] = row["object"], row["subject"]
            row["pmkg_reversed"] = True
        if provenance.primary_knowledge_source != self.mapping.infores:
            row["aggregator_knowledge_source"] = [self.mapping.infores]
        for qualifier, value in row_map.qualifiers if row_map else ():
            row[_column(qualifier)] = value
        pmids = props.get("pmids")
        if pmids:
            row["publications"] = [f"PMID:{p}" for p in (pmids if isinstance(pmids, list) else [pmids])]
        for prop, value in props.items():
            column = _edge_key(prop)
            if column is None or value is None:
                continue
            if column != prop:
                self.renamed[column] = prop
            row[column] = _plain(value)
        return row, key


def edge_id(src_label: str, src: str, rel_type: str, dst_label: str, dst: str, source: str | None) -> str:
    """A stable id for one source's assertion of one edge: ``urn:uuid:`` + UUIDv5."""
    key = "|".join((src_label, src, rel_type, dst_label, dst, source or ""))
    return f"urn:uuid:{uuid.uuid5(EDGE_NAMESPACE, key)}"


def _plain(value: Any) -> Any:
    if hasattr(value, "to_native"):  # neo4j.time Date / DateTime
        value = value.to_native()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --- writers --------------------------------------------------------------------------------------------------


_TYPE_NAMES = {str: "str", bool: "bool", int: "int", float: "float", dt.datetime: "datetime", dt.date: "date"}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), "str")


class _Writer:
    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        self.rows = 0
        # label or relationship type -> column -> {"int", "list[str]", ...}
        self.types: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.handle: IO[str] | None = None

    def __enter__(self):
        self.handle = open(self.path, "w", encoding="utf-8", newline="")
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.handle is not None
        self.handle.close()

    def start(self) -> None:
        pass

    def note_types(self, row: dict[str, Any]) -> None:
        # Per label or relationship type and source: GO's `evidence` is a list where SIDER's is a string, and a TSV
        # cell cannot tell a one-element list from a string.
        types = self.types[_group(row.get("pmkg_type") or row["pmkg_label"], row.get("source"))]
        for key, value in row.items():
            kind = type(value)
            if kind is list:
                inner = {_TYPE_NAMES.get(type(v), "str") for v in value}
                types[key].add("list[" + "|".join(sorted(inner)) + "]" if len(inner) > 1 else f"list[{inner.pop()}]")
            else:
                types[key].add(_TYPE_NAMES.get(kind, "str"))


class TsvWriter(_Writer):
    """KGX TSV: a header of every column, then one row per record; lists joined with ``|``."""

    def start(self) -> None:
        self.index = {column: i for i, column in enumerate(self.columns)}
        self.handle.write("\t".join(self.columns) + "\n")

    def write(self, row: dict[str, Any]) -> None:
        cells = [""] * len(self.columns)
        kept = {}
        index = self.index
        for key, value in row.items():
            if value is None or value == "" or value == []:
                continue
            position = index.get(key)
            if position is None:
                raise ValueError(f"column {key!r} was not in the key scan; the graph changed during the export")
            cells[position] = _tsv_cell(value)
            kept[key] = value
        self.note_types(kept)
        self.handle.write("\t".join(cells) + "\n")
        self.rows += 1


# A tab or line break would end the cell or the row: they become spaces.
_TSV_SAFE = str.maketrans({"\t": " ", "\r": " ", "\n": " "})


def _tsv_cell(value: Any) -> str:
    if type(value) is str:
        return value.translate(_TSV_SAFE)
    if type(value) is list:
        return LIST_SEPARATOR.join(_tsv_scalar(v) for v in value)
    return _tsv_scalar(value)


def _tsv_scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value.translate(_TSV_SAFE)
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).translate(_TSV_SAFE)


class JsonlWriter(_Writer):
    """KGX JSON Lines: one JSON object per line, arrays for lists."""

    def write(self, row: dict[str, Any]) -> None:
        clean = {k: v for k, v in row.items() if v is not None and v != [] and v != ""}
        self.note_types(clean)
        self.handle.write(json.dumps(clean, ensure_ascii=False, default=_json_default, separators=(",", ":")) + "\n")
        self.rows += 1


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to KGX JSON Lines")


# --- manifest and bundle --------------------------------------------------------------------------------------


def _file_facts(path: Path, rows: int) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"rows": rows, "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _manifest(
    store: GraphStore,
    report: KgxExportReport,
    mapping: BiolinkMapping,
    node_types: dict[str, dict[str, set[str]]],
    edge_types: dict[str, dict[str, set[str]]],
    renamed: dict[str, str],
) -> dict[str, Any]:
    sources = []
    for row in store.run(sources_statement()):
        spec = mapping.sources.get(row["name"])
        sources.append({
            "name": row["name"], "infores": spec.infores if spec else None, "version": row["version"],
            "license": row["license"], "url": row["url"],
        })  # fmt: skip
    node_name, edge_name = file_names(report.fmt)
    return {
        "name": "pmkg knowledge graph",
        "format": "kgx",
        "kgx_format": report.fmt,
        "files": {"nodes": node_name, "edges": edge_name},
        "biolink_version": mapping.biolink_version,
        "pmkg_version": __version__,
        "infores": mapping.infores,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "counts": {
            "nodes": report.node_count,
            "edges": report.edge_count,
            "categories": dict(sorted(report.nodes.items())),
            "predicates": dict(sorted(report.edges.items())),
        },  # fmt: skip
        "excluded": {
            "patients": report.patients_excluded,
            "patient_edges": report.patient_edges_excluded,
            "source_nodes": report.source_nodes_excluded,
            "reason": "patients never leave the graph (DESIGN.md 6); Source nodes are listed under 'sources'",
        },  # fmt: skip
        "merged_ids": report.merged_ids,
        "unmapped_edges": dict(sorted(report.unmapped.items())),
        "sources": sources,
        # Value types per "label source" (nodes) and "TYPE source" (edges), so a TSV reads back typed; a column
        # with two kinds in one group (a list on some records, a string on others) reads back as written text.
        "columns": {
            "nodes": {g: {k: sorted(v) for k, v in sorted(cols.items())} for g, cols in sorted(node_types.items())},
            "edges": {g: {k: sorted(v) for k, v in sorted(cols.items())} for g, cols in sorted(edge_types.items())},
        },
        "renamed": dict(sorted(renamed.items())),
        "file_facts": report.files,
    }


def _bundle(out_dir: Path, paths: list[Path]) -> Path:
    target = out_dir / BUNDLE
    partial = target.with_name(target.name + ".part")
    try:
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            for path in paths:
                tar.add(path, arcname=path.name)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


# --- read back ------------------------------------------------------------------------------------------------


def read_kgx(path: Path, mapping: BiolinkMapping | None = None) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """Read a folder (or a ``pmkg-kgx.tar.gz``) written by :func:`export_kgx` back into pmkg records.

    Sorted as :func:`pmkg.kg.rdf.read_rdf` sorts. Reads everything into memory: for checks and moderate graphs.
    """
    mapping = mapping or biolink_mapping()
    if path.is_file():
        with tarfile.open(path, "r:gz") as tar:
            files = {m.name: tar.extractfile(m).read().decode("utf-8") for m in tar.getmembers() if m.isfile()}
    else:
        files = {p.name: p.read_text(encoding="utf-8") for p in path.iterdir() if p.is_file() and p.suffix != ".gz"}
    manifest = json.loads(files[MANIFEST])
    fmt = manifest["kgx_format"]
    node_rows = _rows(files[manifest["files"]["nodes"]], fmt, manifest["columns"]["nodes"], "pmkg_label")
    edge_rows = _rows(files[manifest["files"]["edges"]], fmt, manifest["columns"]["edges"], "pmkg_type")
    renamed = manifest.get("renamed", {})
    reverse_sources = mapping.infores_to_source

    def source_name(infores: str) -> str:
        return reverse_sources.get(infores) or infores.removeprefix("infores:")

    nodes: list[NodeRecord] = []
    labels_of: dict[str, list[str]] = {}
    ids_of: dict[str, str] = {}
    for row in node_rows:
        labels = row.pop("pmkg_label")
        labels = labels if isinstance(labels, list) else [labels]
        kgx_id = row.pop("id")
        row.pop("category")
        provided = row.pop("provided_by", None)
        props = {renamed.get(k, k): v for k, v in row.items()}
        if provided:
            props["sources"] = [source_name(p) for p in provided]
        labels_of[kgx_id] = labels
        ids_of[kgx_id] = mapping.curie_in(kgx_id, labels[0])
        props["id"] = ids_of[kgx_id]
        nodes.extend(NodeRecord(label, ids_of[kgx_id], dict(props)) for label in labels)

    edges = []
    qualifier_columns = {_column(q) for row in mapping.predicates.values() for q, _ in row.qualifiers}
    dropped = {"id", "subject", "predicate", "object", "primary_knowledge_source", "aggregator_knowledge_source",
               "knowledge_level", "agent_type", "pmkg_type", "pmkg_reversed", "publications",
               *qualifier_columns}  # fmt: skip
    for row in edge_rows:
        rel_type = row["pmkg_type"]
        if row.get("pmkg_reversed"):
            row["subject"], row["object"] = row["object"], row["subject"]
        src_labels, dst_labels = labels_of.get(row["subject"], ["?"]), labels_of.get(row["object"], ["?"])
        spec = RELATIONSHIPS.get(rel_type)
        pair = next(
            ((a, b) for a in src_labels for b in dst_labels if spec and (a, b) in spec.endpoints),
            (src_labels[0], dst_labels[0]),
        )
        props = {renamed.get(k, k): v for k, v in row.items() if k not in dropped}
        if "publications" in row:
            props["pmids"] = [p.removeprefix("PMID:") for p in row["publications"]]
        src = ids_of.get(row["subject"]) or mapping.curie_in(row["subject"], pair[0])
        dst = ids_of.get(row["object"]) or mapping.curie_in(row["object"], pair[1])
        edges.append(EdgeRecord(rel_type, pair[0], src, pair[1], dst, props))
    nodes.sort(key=lambda n: (n.label, n.id))
    edges.sort(key=lambda e: (e.type, e.src, e.dst, str(e.props.get("source", ""))))
    return nodes, edges


def _rows(text: str, fmt: str, types: dict[str, dict[str, list[str]]], group_key: str) -> list[dict[str, Any]]:
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        return [_typed_json(row, types.get(_group(row[group_key], row.get("source")), {})) for row in rows]
    lines = text.split("\n")
    header = lines[0].split("\t")
    position, source = header.index(group_key), header.index("source") if "source" in header else None
    rows = []
    for line in lines[1:]:
        if not line:
            continue
        cells = line.split("\t")
        kinds = types.get(_group(cells[position], cells[source] if source is not None else None), {})
        rows.append(
            {key: _parse(cell, kinds.get(key, ["str"])) for key, cell in zip(header, cells, strict=True) if cell}
        )
    return rows


def _group(value: str | list[str], source: str | None) -> str:
    """The manifest's key for a record's column types: its label (or labels) or type, and its source."""
    return f"{value if isinstance(value, str) else '|'.join(value)} {source or ''}".rstrip()


def _typed_json(row: dict[str, Any], types: dict[str, list[str]]) -> dict[str, Any]:
    for key, value in row.items():
        kinds = types.get(key, [])
        if isinstance(value, str) and kinds in (["date"], ["datetime"]):
            row[key] = _scalar(value, kinds[0])
        elif isinstance(value, list) and len(kinds) == 1 and kinds[0] in ("list[date]", "list[datetime]"):
            row[key] = [_scalar(v, kinds[0][5:-1]) for v in value]
    return row


def _parse(cell: str, kinds: list[str]) -> Any:
    if len(kinds) == 1 and kinds[0].startswith("list["):
        inner = kinds[0][5:-1]
        return [_scalar(v, inner) for v in cell.split(LIST_SEPARATOR)]
    if len(kinds) == 1:
        return _scalar(cell, kinds[0])
    if set(kinds) == {"int", "float"}:
        return float(cell)
    return cell  # mixed kinds: the text as written


def _scalar(text: str, kind: str) -> Any:
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        return text == "true"
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "datetime":
        return dt.datetime.fromisoformat(text)
    return text
