"""The offline bulk path for Neo4j 5: CSV files for ``neo4j-admin database import full`` plus the command to run.

For graphs of millions of edges the transactional writer (``kg/writer.py``, about 40k rows/s over Bolt) is the
slow part; Neo4j's offline importer writes the store files directly. This module turns the same records the
writer takes into the importer's input, with the writer's MERGE semantics applied up front, because the importer
has no MERGE: a duplicate node id or a relationship to a missing node fails the import.

Output (all under ``out_dir``; Neo4j 5 operations manual, "Import" and "CSV header format")::

    nodes/<Label>.header.csv          id:ID(<Label>),:LABEL,source:string,...,name:string,...,sources:string[]
    nodes/<Label>.csv                 one row per (label, id)
    relationships/<Src>-<TYPE>-<Dst>.header.csv   :START_ID(<Src>),:END_ID(<Dst>),:TYPE,source:string,...
    relationships/<Src>-<TYPE>-<Dst>.csv          one row per (src, type, dst, source)
    schema.cypher                     the uniqueness constraints and indexes, to run once the server is up
    import.sh                         the exact neo4j-admin command (run it with Neo4j stopped)
    IMPORT.md                         the steps, for a local install and for this repo's docker-compose.yml

Format decisions:

* One ID space per label (``:ID(Gene)`` / ``:START_ID(Gene)``): CURIEs are unique per label, not across labels
  (``UMLS:`` ids name both side effects and drugs), which is exactly the uniqueness constraint on ``(label, id)``.
* One header type per property per file, inferred from every value seen: ``boolean``, ``long``, ``double``
  (ints mixed with floats), ``string``, and ``[]`` arrays of those; any other mix becomes ``string``. The text of
  a value does not depend on the inferred type, so rows go to disk before the header is known. A property that is
  a list in some records and a scalar in others becomes an array column (the scalar a one-element array).
* Arrays are joined with U+001F (ASCII unit separator, ``--array-delimiter=U+001F``), which no upstream text uses;
  a record whose text contains it is rejected as invalid rather than silently split.
* Strings are always quoted (quotes doubled, RFC 4180) so empty strings and edge whitespace survive; an absent
  property is an empty unquoted field, which the importer stores as no property. Numbers and booleans are bare.
  ``--multiline-fields=true`` (slow) is added only when some value contains a line break.
* Nodes keep the provenance of the first record for their id and the properties of all records, later ones
  winning, plus ``sources``: every source that emitted the node, in order (what ``ingest_sources`` leaves in the
  graph). Edges keep one row per ``(src, type, dst, source)`` with later properties winning. Edges whose endpoint
  is not among the nodes are counted as dangling and left out, like the writer does.

Rows are spooled to disk (pickled batches) as they arrive and the CSV is written once all columns are known, so
memory holds only the keys needed for de-duplication, never a second copy of the records.
"""

from __future__ import annotations

import logging
import math
import pickle
import re
import shlex
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pmkg.kg.dialect import NEO4J
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.schema import (
    OWNER_PROPERTIES,
    PROVENANCE_PROPERTIES,
    SchemaError,
    owner_may_set,
    validate_edge,
    validate_node,
)
from tqdm import tqdm

log = logging.getLogger(__name__)

ARRAY_DELIMITER = "\x1f"
ARRAY_DELIMITER_OPTION = "U+001F"  # the importer's own spelling of a Unicode delimiter, no shell quoting needed
DOCKER_IMPORT_DIR = "/pmkg-import"  # where the docker variant mounts out_dir; not the image's /import, which
# docker-compose.yml already binds to ./pmkg-data/neo4j-import
DEFAULT_READ_BUFFER = 4 * 1024 * 1024  # neo4j-admin's --read-buffer-size default: the largest single field it reads

_SPOOL_BATCH = 10_000
_MAX_EXAMPLES = 5
_MAX_LONG = 2**63 - 1
# Header fields are "<name>:<type>", so a property key with ':', '(' or ',' cannot be expressed.
_PROPERTY_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NODE_RESERVED = frozenset({"id", "sources"})  # written from the record's id and the merged source list

Kind = Literal["boolean", "long", "double", "string"]


class UnsupportedValue(ValueError):
    """A property value the CSV format cannot carry faithfully (nested list, map, null inside a list, U+001F)."""


@dataclass
class GroupCounts:
    """What happened to the records of one node label or one ``Src-TYPE-Dst`` relationship group."""

    records: int = 0
    written: int = 0
    invalid: int = 0
    duplicates: int = 0
    dangling: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if len(self.examples) < _MAX_EXAMPLES:
            self.examples.append(message)


@dataclass(frozen=True)
class ImportFile:
    """One ``--nodes`` or ``--relationships`` data source: a header file and a data file."""

    kind: Literal["nodes", "relationships"]
    group: str  # "Gene" or "Drug-TREATS-Disease"
    name: str  # the label or the relationship type
    header: Path
    data: Path
    rows: int
    columns: tuple[str, ...]


@dataclass
class ImportPlan:
    """The files written, what was counted on the way, and the commands that load them."""

    out_dir: Path
    database: str
    files: list[ImportFile]
    nodes: dict[str, GroupCounts]
    edges: dict[str, GroupCounts]
    arguments: list[str]  # after ``neo4j-admin``; file paths relative to out_dir
    command: str  # run from anywhere: cd into out_dir, then neo4j-admin
    docker_command: str  # run beside docker-compose.yml, with the neo4j service stopped
    schema_statements: list[str]
    script: Path
    instructions: Path
    schema_file: Path
    multiline_fields: bool
    seconds: float = 0.0

    @property
    def rows(self) -> dict[str, int]:
        """Rows per data file, keyed by the path relative to ``out_dir``."""
        return {str(f.data.relative_to(self.out_dir)): f.rows for f in self.files}

    @property
    def node_rows(self) -> int:
        return sum(f.rows for f in self.files if f.kind == "nodes")

    @property
    def relationship_rows(self) -> int:
        return sum(f.rows for f in self.files if f.kind == "relationships")

    def summary(self) -> str:
        """A few lines for the command line: what was written, what was left out, what to run next."""
        duplicates = sum(c.duplicates for c in [*self.nodes.values(), *self.edges.values()])
        lines = [
            f"wrote {self.node_rows:,} nodes and {self.relationship_rows:,} relationships "
            f"({len(self.files)} header+data pairs, {duplicates:,} duplicate records merged) to {self.out_dir} "
            f"in {self.seconds:.1f} s",
            *(f"left out: {problem}" for problem in self.problems()),
            f"with Neo4j stopped, run {self.script} (or see {self.instructions} for docker compose), then start it "
            f"and run {self.schema_file.name}",
        ]
        return "\n".join(lines)

    def problems(self) -> list[str]:
        lines = []
        for kind, groups in (("nodes", self.nodes), ("relationships", self.edges)):
            for name, counts in sorted(groups.items()):
                if counts.invalid or counts.dangling:
                    lines.append(
                        f"{kind} {name}: {counts.invalid} invalid, {counts.dangling} with an endpoint missing from "
                        f"the import; e.g. {'; '.join(counts.examples)}"
                    )
        return lines


# ---------------------------------------------------------------------------------------------------- values


def _scalar_kind(value: Any) -> Kind:
    # bool before int: True is an int to Python but a boolean to Neo4j.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        # Beyond 64 bits Bolt fails too; as text the value at least survives.
        return "long" if -_MAX_LONG - 1 <= value <= _MAX_LONG else "string"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        if ARRAY_DELIMITER in value:
            raise UnsupportedValue("text contains U+001F, the array delimiter")
        return "string"
    raise UnsupportedValue(f"a {type(value).__name__} is not a Neo4j property value")


def _scalar_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"  # Java's spelling, not Python's "inf"
        return repr(value)
    return str(value)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def format_field(value: Any) -> str:
    """One CSV field: absent -> empty, strings (and arrays holding any) quoted, numbers and booleans bare."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, list | tuple):
        text = ARRAY_DELIMITER.join(_scalar_text(element) for element in value)
        return _quote(text) if any(isinstance(element, str) for element in value) else text
    return _scalar_text(value)


def _csv_line(row: list[Any]) -> str:
    # format_field with the common cases inlined: this runs once per value of every row written.
    parts = []
    for value in row:
        kind = type(value)
        if kind is str:
            parts.append('"' + value.replace('"', '""') + '"' if '"' in value else '"' + value + '"')
        elif value is None:
            parts.append("")
        elif kind is int:
            parts.append(str(value))
        else:
            parts.append(format_field(value))
    return ",".join(parts)


def _column_type(kinds: set[Kind]) -> Kind:
    if kinds <= {"long"}:
        return "long"
    if kinds <= {"long", "double"}:
        return "double"
    if kinds == {"boolean"}:
        return "boolean"
    return "string"


_FAST_KINDS: dict[type, Kind] = {str: "string", bool: "boolean", int: "long", float: "double"}


def _clean_props(props: dict[str, Any], columns: _Columns, drop: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``props`` without nulls and empty lists (the writer's rule: they never overwrite), kinds noted in ``columns``.

    Raises SchemaError for a key or value the CSV cannot carry; the kinds of a rejected record are not noted.
    This runs once per record, so the common case (a known column, a kind already seen) does no more than look.
    """
    clean: dict[str, Any] = {}
    new: list[tuple[str, Kind | frozenset[Kind]]] = []
    known = columns.kinds
    for key, value in props.items():
        if value is None or key in drop:
            continue
        kind: Kind | frozenset[Kind] | None = _FAST_KINDS.get(type(value))
        if kind == "string":
            if ARRAY_DELIMITER in value:
                raise SchemaError(f"property {key!r}: text contains U+001F, the array delimiter")
        elif kind != "double" and kind != "boolean":
            kind = _slow_kind(key, value)
            if kind is None:
                continue
        clean[key] = value
        kinds = known.get(key)
        if kinds is None or kind not in kinds:
            if kinds is None and not _PROPERTY_KEY.match(key):
                raise SchemaError(f"property key {key!r} cannot be a CSV header field (expected letters, digits, _)")
            new.append((key, kind))
    for key, kind in new:
        kinds = known.setdefault(key, set())
        if isinstance(kind, frozenset):
            kinds.update(kind)
            columns.arrays.add(key)
        else:
            kinds.add(kind)
    return clean


def _slow_kind(key: str, value: Any) -> Kind | frozenset[Kind] | None:
    """The kind of an int (range-checked), a list (its element kinds) or anything unusual; None for an empty list."""
    try:
        if isinstance(value, list | tuple):
            return frozenset(_scalar_kind(element) for element in value) if value else None
        return _scalar_kind(value)
    except UnsupportedValue as exc:
        raise SchemaError(f"property {key!r}: {exc}") from exc


class _Columns:
    """Every property seen in one output file, with the kinds of its values."""

    def __init__(self) -> None:
        self.kinds: dict[str, set[Kind]] = {}
        self.arrays: set[str] = set()

    def header_field(self, key: str) -> str:
        kind = _column_type(self.kinds[key])
        return f"{key}:{kind}[]" if key in self.arrays else f"{key}:{kind}"


# ---------------------------------------------------------------------------------------------------- spooling


class _Spool:
    """The rows of one output file, pickled in batches until every column and its type is known."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns = _Columns()
        self.rows = 0
        self._buffer: list[tuple] = []
        self._fh: BinaryIO | None = open(path, "wb")  # noqa: SIM115 - closed by flush_all/close

    def add(self, row: tuple) -> None:
        self._buffer.append(row)
        self.rows += 1
        if len(self._buffer) >= _SPOOL_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._buffer and self._fh is not None:
            pickle.dump(self._buffer, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
            self._buffer = []

    def close(self) -> None:
        self._flush()
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __iter__(self) -> Iterator[tuple]:
        self.close()
        with open(self.path, "rb") as fh:
            while True:
                try:
                    batch = pickle.load(fh)
                except EOFError:
                    return
                yield from batch


# ---------------------------------------------------------------------------------------------------- writer


class _Group:
    """One output file in the making: its counts, spool, columns, de-duplication keys and merged-in updates."""

    def __init__(self, name: str, spool_path: Path) -> None:
        self.name = name
        self.counts = GroupCounts()
        self.columns = _Columns()
        self.spool_path = spool_path
        self.spool: _Spool | None = None  # opened on the first valid record: no empty files for invalid groups
        self.ids: dict[str, str] = {}  # node groups: id -> the same str object, to share it with edge keys
        self.edge_keys: set[tuple[str, str, str]] = set()  # relationship groups: (src, dst, source)
        self.updates: dict = {}  # key -> what later duplicates of that key bring
        self.owner: dict[str, str] = {}  # node groups: id -> the first record's source
        self.named: set[tuple[str, str]] = set()  # node groups: (id, OWNER_PROPERTIES key) already set


class ImportWriter:
    """Collects records (in any order, in as many ``add`` calls as wanted) and writes the import files on ``close``.

    Use :func:`write_import_files` for one batch of records, or this class to stream one ingest job at a time.
    """

    def __init__(self, out_dir: Path, database: str = NEO4J.default_database, progress: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.database = database
        self.progress = progress
        self._t0 = time.perf_counter()
        self._prepare_out_dir()
        self._spool_dir = self.out_dir / ".spool"
        self._spool_dir.mkdir()
        self._node_groups: dict[str, _Group] = {}
        self._edge_groups: dict[tuple[str, str, str], _Group] = {}
        self._closed = False

    @property
    def nodes(self) -> dict[str, GroupCounts]:
        return {label: group.counts for label, group in self._node_groups.items()}

    @property
    def edges(self) -> dict[str, GroupCounts]:
        return {group.name: group.counts for group in self._edge_groups.values()}

    def _prepare_out_dir(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        # Files of an earlier run would linger unreferenced by the new command; only what this module writes goes.
        for sub in ("nodes", "relationships"):
            for old in (self.out_dir / sub).glob("*.csv"):
                old.unlink()
        shutil.rmtree(self.out_dir / ".spool", ignore_errors=True)

    # -- intake

    def add(self, nodes: Iterable[NodeRecord] = (), edges: Iterable[EdgeRecord] = ()) -> None:
        if self._closed:
            raise RuntimeError("ImportWriter.add after close(): the import files are already written")
        for record in nodes:
            self._add_node(record)
        for record in edges:
            self._add_edge(record)

    def _add_node(self, record: NodeRecord) -> None:
        group = self._node_groups.get(record.label)
        if group is None:
            group = self._node_groups[record.label] = _Group(record.label, self._spool_dir / f"{record.label}.nodes")
        group.counts.records += 1
        try:
            validate_node(record)
            props = _clean_props(record.props, group.columns, _NODE_RESERVED)
        except SchemaError as exc:
            group.counts.invalid += 1
            group.counts.note(str(exc))
            return
        if record.id not in group.ids:
            group.ids[record.id] = record.id
            group.owner[record.id] = props["source"]
            group.named.update((record.id, key) for key in OWNER_PROPERTIES if key in props)
            if group.spool is None:
                group.spool = _Spool(group.spool_path)
            group.spool.add((record.id, props))
            return
        # Same (label, id) again: MERGE keeps the first provenance, lets only the owner (the first source)
        # replace OWNER_PROPERTIES, and lets later properties win otherwise.
        group.counts.duplicates += 1
        update = group.updates.get(record.id)
        if update is None:
            update = group.updates[record.id] = ({}, [])
        named = {key for key in OWNER_PROPERTIES if (record.id, key) in group.named}
        props = owner_may_set(props, props["source"], group.owner[record.id], named)
        group.named.update((record.id, key) for key in OWNER_PROPERTIES if key in props)
        update[0].update({k: v for k, v in props.items() if k not in PROVENANCE_PROPERTIES})
        if props["source"] not in update[1]:
            update[1].append(props["source"])

    def _add_edge(self, record: EdgeRecord) -> None:
        key = (record.type, record.src_label, record.dst_label)
        group = self._edge_groups.get(key)
        if group is None:
            name = _edge_group_name(key)
            group = self._edge_groups[key] = _Group(name, self._spool_dir / f"{name}.relationships")
        group.counts.records += 1
        try:
            validate_edge(record)
            props = _clean_props(record.props, group.columns)
        except SchemaError as exc:
            group.counts.invalid += 1
            group.counts.note(str(exc))
            return
        if "source" not in props:
            # The writer MERGEs on {source: ...} and so always sets it; model predictions carry none of their own.
            props["source"] = "pmkg"
            group.columns.kinds.setdefault("source", set()).add("string")
        src, dst = self._shared_id(record.src_label, record.src), self._shared_id(record.dst_label, record.dst)
        edge = (src, dst, str(props["source"]))
        if edge not in group.edge_keys:
            group.edge_keys.add(edge)
            if group.spool is None:
                group.spool = _Spool(group.spool_path)
            group.spool.add((src, dst, props))
            return
        group.counts.duplicates += 1
        group.updates.setdefault(edge, {}).update(props)

    def _shared_id(self, label: str, node_id: str) -> str:
        # The node's own id string when it is known: millions of edge keys then hold references, not copies.
        nodes = self._node_groups.get(label)
        return nodes.ids.get(node_id, node_id) if nodes is not None else node_id

    # -- output

    def close(self) -> ImportPlan:
        """Write the CSV files, ``schema.cypher``, ``import.sh`` and ``IMPORT.md``; return what was written."""
        if self._closed:
            raise RuntimeError("ImportWriter.close() called twice")
        self._closed = True
        groups = [*self._node_groups.values(), *self._edge_groups.values()]
        total = sum(group.spool.rows for group in groups if group.spool)
        files: list[ImportFile] = []
        widest = 0
        multiline = False
        with tqdm(
            total=total, desc="writing neo4j-admin CSVs", unit="row", disable=None if self.progress else True
        ) as bar:
            for label in sorted(self._node_groups):
                if self._node_groups[label].spool:
                    f, width, breaks = self._write_nodes(self._node_groups[label], bar)
                    files.append(f)
                    widest, multiline = max(widest, width), multiline or breaks
            for key in sorted(self._edge_groups):
                if self._edge_groups[key].spool:
                    f, width, breaks = self._write_edges(key, self._edge_groups[key], bar)
                    files.append(f)
                    widest, multiline = max(widest, width), multiline or breaks
        shutil.rmtree(self._spool_dir, ignore_errors=True)
        # Free the de-duplication keys now: they are the one big structure this class holds.
        for group in groups:
            group.ids, group.edge_keys, group.updates = {}, set(), {}
        return self._finish(files, widest, multiline)

    def __enter__(self) -> ImportWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            for group in [*self._node_groups.values(), *self._edge_groups.values()]:
                if group.spool:
                    group.spool.close()
            shutil.rmtree(self._spool_dir, ignore_errors=True)

    def _write_nodes(self, group: _Group, bar: tqdm) -> tuple[ImportFile, int, bool]:
        label, spool, updates = group.name, group.spool, group.updates
        assert spool is not None
        keys = _ordered_keys(group.columns, first=PROVENANCE_PROPERTIES)
        header = [f"id:ID({label})", ":LABEL", *(group.columns.header_field(k) for k in keys), "sources:string[]"]

        def rows() -> Iterator[list[Any]]:
            for node_id, props in spool:
                sources = [props["source"]]
                update = updates.get(node_id) if updates else None
                if update is not None:
                    props = {**props, **update[0]}
                    sources += [s for s in update[1] if s != sources[0]]
                yield [node_id, label, *[props.get(k) for k in keys], sources]

        data = self.out_dir / "nodes" / f"{label}.csv"
        written, width, breaks = _write_csv(data, rows(), bar)
        group.counts.written = written
        return _import_file("nodes", label, label, data, header, written), width, breaks

    def _write_edges(self, key: tuple[str, str, str], group: _Group, bar: tqdm) -> tuple[ImportFile, int, bool]:
        rel_type, src_label, dst_label = key
        spool, updates, counts = group.spool, group.updates, group.counts
        assert spool is not None
        keys = _ordered_keys(group.columns, first=PROVENANCE_PROPERTIES)
        header = [f":START_ID({src_label})", f":END_ID({dst_label})", ":TYPE"]
        header += [group.columns.header_field(k) for k in keys]
        src_ids = self._node_groups[src_label].ids if src_label in self._node_groups else {}
        dst_ids = self._node_groups[dst_label].ids if dst_label in self._node_groups else {}

        def rows() -> Iterator[list[Any]]:
            for src, dst, props in spool:
                if src not in src_ids or dst not in dst_ids:
                    # Checked here, not on arrival: a later job may still have brought the endpoint.
                    counts.dangling += 1
                    missing = f"{src_label} {src}" if src not in src_ids else f"{dst_label} {dst}"
                    counts.note(f"{src}->{dst}: no {missing} among the nodes")
                    bar.update(1)
                    continue
                update = updates.get((src, dst, str(props["source"]))) if updates else None
                if update is not None:
                    props = {**props, **update}
                yield [src, dst, rel_type, *[props.get(k) for k in keys]]

        data = self.out_dir / "relationships" / f"{group.name}.csv"
        written, width, breaks = _write_csv(data, rows(), bar)
        counts.written = written
        return _import_file("relationships", group.name, rel_type, data, header, written), width, breaks

    def _finish(self, files: list[ImportFile], widest: int, multiline: bool) -> ImportPlan:
        arguments = import_arguments(files, self.out_dir, self.database, multiline, widest)
        docker_arguments = import_arguments(files, self.out_dir, self.database, multiline, widest, DOCKER_IMPORT_DIR)
        command = f"cd {shlex.quote(str(self.out_dir.resolve()))} && {shlex.join(['neo4j-admin', *arguments])}"
        docker_command = shlex.join(
            [
                "docker", "compose", "run", "--rm", "--no-deps",
                "-v", f"{self.out_dir.resolve()}:{DOCKER_IMPORT_DIR}:ro",
                "neo4j", "neo4j-admin", *docker_arguments,
            ]
        )  # fmt: skip
        statements = NEO4J.schema_statements()
        schema_file = self.out_dir / "schema.cypher"
        schema_file.write_text("".join(f"{statement};\n" for statement in statements))
        plan = ImportPlan(
            out_dir=self.out_dir,
            database=self.database,
            files=files,
            nodes=self.nodes,
            edges=self.edges,
            arguments=arguments,
            command=command,
            docker_command=docker_command,
            schema_statements=statements,
            script=self.out_dir / "import.sh",
            instructions=self.out_dir / "IMPORT.md",
            schema_file=schema_file,
            multiline_fields=multiline,
        )
        plan.script.write_text(_script(plan))
        plan.script.chmod(0o755)
        plan.seconds = time.perf_counter() - self._t0
        plan.instructions.write_text(_instructions(plan))
        for problem in plan.problems():
            log.warning("%s", problem)
        return plan


def _edge_group_name(group: tuple[str, str, str]) -> str:
    rel_type, src_label, dst_label = group
    return f"{src_label}-{rel_type}-{dst_label}"


def _ordered_keys(columns: _Columns, first: Iterable[str]) -> list[str]:
    first = [key for key in first if key in columns.kinds]
    return first + sorted(key for key in columns.kinds if key not in first)


def _write_csv(path: Path, rows: Iterator[list[Any]], bar: tqdm) -> tuple[int, int, bool]:
    """Write the data rows (no header: it lives in its own file); return rows, longest line, any line break."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = longest = 0
    breaks = False
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for row in rows:
            line = _csv_line(row)
            if not breaks and ("\n" in line or "\r" in line):
                breaks = True
            # The line bounds its longest field, which is what --read-buffer-size must hold.
            longest = max(longest, len(line))
            fh.write(line + "\n")
            written += 1
            if written % 10_000 == 0:
                bar.update(10_000)
        bar.update(written % 10_000)
    return written, longest, breaks


def _import_file(
    kind: Literal["nodes", "relationships"], group: str, name: str, data: Path, header: list[str], rows: int
) -> ImportFile:
    header_path = data.with_name(f"{data.stem}.header.csv")
    header_path.write_text(",".join(header) + "\n", encoding="utf-8")
    return ImportFile(kind, group, name, header_path, data, rows, tuple(header))


# ---------------------------------------------------------------------------------------------------- commands


def import_arguments(
    files: list[ImportFile],
    out_dir: Path,
    database: str = NEO4J.default_database,
    multiline_fields: bool = False,
    widest_field: int = 0,
    prefix: str = "",
) -> list[str]:
    """The arguments after ``neo4j-admin``; file paths relative to ``out_dir``, or under ``prefix`` when given.

    ``widest_field`` is an upper bound on the longest CSV field (the longest line does); past the importer's 4 MiB
    read buffer the command raises ``--read-buffer-size``.

    The database name comes right after ``full``: ``--nodes`` takes several values, and since Neo4j 5.19 a trailing
    database name is swallowed as one more file (manual, "Using both a multi-value option and a positional
    parameter").
    """

    def path(p: Path) -> str:
        relative = p.relative_to(out_dir).as_posix()
        return f"{prefix.rstrip('/')}/{relative}" if prefix else relative

    arguments = [
        "database", "import", "full", database,
        "--overwrite-destination",
        "--id-type=string",
        f"--array-delimiter={ARRAY_DELIMITER_OPTION}",
    ]  # fmt: skip
    if multiline_fields:
        arguments.append("--multiline-fields=true")
    if widest_field >= DEFAULT_READ_BUFFER:
        arguments.append(f"--read-buffer-size={2 * widest_field}")
    for f in files:
        option = "--nodes" if f.kind == "nodes" else "--relationships"
        arguments.append(f"{option}={f.name}={path(f.header)},{path(f.data)}")
    return arguments


def _script(plan: ImportPlan) -> str:
    lines = " \\\n  ".join(shlex.quote(argument) for argument in plan.arguments[4:])
    return f"""#!/usr/bin/env bash
# Written by pmkg (kg/neo4j_import.py): bulk-load the CSV files beside this script into Neo4j 5.
# The server must be STOPPED (Community Edition: `neo4j stop`); --overwrite-destination replaces the
# '{plan.database}' database. Afterwards start the server and run schema.cypher (see IMPORT.md).
# Set NEO4J_HOME to use $NEO4J_HOME/bin/neo4j-admin instead of the one on PATH.
set -euo pipefail
cd "$(dirname "$0")"
"${{NEO4J_HOME:+$NEO4J_HOME/bin/}}neo4j-admin" database import full {shlex.quote(plan.database)} \\
  {lines}
"""


def _wrapped(words: list[str]) -> str:
    """A shell command with one option per line, for humans to read and copy."""
    lines = [shlex.quote(words[0])]
    for word in words[1:]:
        if word.startswith("-") or len(lines[-1]) > 60:
            lines.append(shlex.quote(word))
        else:
            lines[-1] += " " + shlex.quote(word)
    return " \\\n  ".join(lines)


def _instructions(plan: ImportPlan) -> str:
    table = "\n".join(f"| `{f.data.relative_to(plan.out_dir).as_posix()}` | {f.rows:,} |" for f in plan.files)
    problems = "\n".join(f"- {p}" for p in plan.problems()) or "- none"
    duplicates = sum(c.duplicates for c in [*plan.nodes.values(), *plan.edges.values()])
    schema = plan.schema_file.name
    return f"""# Neo4j bulk import ({plan.node_rows:,} nodes, {plan.relationship_rows:,} relationships)

Written by pmkg in {plan.seconds:.1f} s. `neo4j-admin database import full` builds a new store offline, so:

- Neo4j 5 must be **stopped**; Community Edition has one user database, `{plan.database}`, and
  `--overwrite-destination` replaces it (take a dump first if it holds anything you need).
- The constraints and indexes are created **afterwards**, once the server is up: `{schema}`.

## Local install

```bash
neo4j stop
cd {shlex.quote(str(plan.out_dir.resolve()))}
{_wrapped(["neo4j-admin", *plan.arguments])}
neo4j start
cypher-shell -u neo4j -p "$NEO4J_PASSWORD" -d {plan.database} -f {shlex.quote(str(plan.schema_file.resolve()))}
```

`./import.sh` runs the same import from this folder (it uses `$NEO4J_HOME/bin/neo4j-admin` when `NEO4J_HOME`
is set).

## docker compose (this repository's `docker-compose.yml`, image `neo4j:5.26-community`)

Run from the folder that holds `docker-compose.yml`. The one-off container shares the service's `neo4j-data`
volume (`/data`), mounts this folder read-only at `{DOCKER_IMPORT_DIR}`, and the image's entrypoint runs
neo4j-admin as the `neo4j` user, so the new store is owned correctly.

```bash
docker compose stop neo4j
{_wrapped(shlex.split(plan.docker_command))}
docker compose up -d neo4j
docker compose exec -T neo4j cypher-shell -u neo4j -p "${{NEO4J_PASSWORD:-pmkg-change-me}}" \\
  < {shlex.quote(str(plan.schema_file.resolve()))}
```

## Files

| data file | rows |
|---|---:|
{table}

Header files sit beside the data files (`*.header.csv`). Arrays use U+001F as the delimiter
(`--array-delimiter={ARRAY_DELIMITER_OPTION}`); every node has `sources`, the list of sources that emitted it.
{duplicates:,} duplicate records were merged as the transactional writer's MERGE would.

## Left out

{problems}
"""


# ---------------------------------------------------------------------------------------------------- entry points


def write_import_files(
    nodes: Iterable[NodeRecord],
    edges: Iterable[EdgeRecord],
    out_dir: Path,
    database: str = NEO4J.default_database,
    progress: bool = False,
) -> ImportPlan:
    """Write ``neo4j-admin database import full`` input for these records into ``out_dir``."""
    with ImportWriter(out_dir, database, progress) as writer:
        writer.add(nodes, edges)
        return writer.close()
