"""The Neo4j offline bulk path: CSV files for ``neo4j-admin database import full`` built from the real fixture ingest.

The files are read back with an independent reader that follows the importer's rules (RFC 4180 quoting, an empty
unquoted field is no property, arrays split on the array delimiter, values cast by the header type), and compared
with the writer's MERGE semantics and with what the embedded store holds after the session ingest.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pmkg.ingest import disease_ontology, hetionet, pharmacotherapydb
from pmkg.ingest.registry import JOBS
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.dialect import NEO4J
from pmkg.kg.neo4j_import import (
    ARRAY_DELIMITER,
    DOCKER_IMPORT_DIR,
    ImportFile,
    ImportPlan,
    write_import_files,
)
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.writer import GraphWriter, WriteReport

from pmkg.workflows.ingest import import_sources
from tests.conftest import FIXTURES

PROV = {"source": "import-test", "source_version": "1", "license": "CC0 1.0"}

# ------------------------------------------------------------------------------------------ an independent reader


def _fields(text: str) -> Iterator[list[str | None]]:
    """Rows of RFC 4180 CSV; an empty *unquoted* field is None (no property), a quoted one is a string."""
    row: list[str | None] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            value, i = [], i + 1
            while True:
                j = text.index('"', i)
                value.append(text[i:j])
                if j + 1 < n and text[j + 1] == '"':
                    value.append('"')
                    i = j + 2
                else:
                    i = j + 1
                    break
            row.append("".join(value))
        else:
            j = i
            while j < n and text[j] not in ",\n":
                j += 1
            row.append(text[i:j] or None)
            i = j
        if i >= n or text[i] == "\n":
            yield row
            row = []
        i += 1


def _cast(kind: str, text: str | None) -> Any:
    if text is None:
        return None
    if kind.endswith("[]"):
        return [_cast(kind[:-2], element) for element in text.split(ARRAY_DELIMITER)]
    if kind == "long":
        return int(text)
    if kind == "double":
        return float(text)
    if kind == "boolean":
        return text == "true"  # the importer's rule: exactly "true", anything else is false
    return text


def _header(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1, f"{path}: a header file holds exactly one line"
    return lines[0].split(",")


def read_rows(f: ImportFile) -> list[dict[str, Any]]:
    """The data rows of one import source as dicts keyed by the header names (``:LABEL``, ``:START_ID`` ...)."""
    header = _header(f.header)
    columns = []
    for spec in header:
        name, _, kind = spec.partition(":")
        if not name:  # :LABEL, :TYPE, :START_ID(Gene), :END_ID(Gene)
            columns.append((f":{kind.split('(')[0]}", "string"))
        elif kind.startswith("ID("):
            columns.append((name, "string"))
        else:
            columns.append((name, kind or "string"))
    rows = []
    with open(f.data, encoding="utf-8", newline="") as fh:  # newline="": a \r inside a value is data
        text = fh.read()
    for values in _fields(text):
        assert len(values) == len(columns), f"{f.data}: {values} does not match {header}"
        rows.append({name: _cast(kind, value) for (name, kind), value in zip(columns, values, strict=True)})
    return rows


def _props(row: dict[str, Any], drop: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v is not None and k not in drop}


# ------------------------------------------------------------------------------------------ the fixture import


def _fixture_records() -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """The three fixture sources in registry order, each followed by its Source node, as ``ingest_sources`` writes."""
    nodes, edges = [], []
    for job in (disease_ontology, hetionet, pharmacotherapydb):
        result = job.run(FIXTURES)
        nodes += [*result.nodes, result.source_node()]
        edges += result.edges
    return nodes, edges


@pytest.fixture(scope="module")
def records() -> tuple[list[NodeRecord], list[EdgeRecord]]:
    return _fixture_records()


@pytest.fixture(scope="module")
def plan(records, tmp_path_factory) -> ImportPlan:
    nodes, edges = records
    return write_import_files(nodes, edges, tmp_path_factory.mktemp("neo4j-import"))


def _file(plan: ImportPlan, group: str) -> ImportFile:
    return next(f for f in plan.files if f.group == group)


def test_headers_declare_id_spaces_types_labels_and_types(plan):
    assert _header(_file(plan, "Drug").header) == [
        "id:ID(Drug)", ":LABEL", "source:string", "source_version:string", "license:string", "name:string",
        "sources:string[]",
    ]  # fmt: skip
    assert _header(_file(plan, "Drug-TREATS-Disease").header) == [
        ":START_ID(Drug)", ":END_ID(Disease)", ":TYPE", "source:string", "source_version:string", "license:string",
        "category:string", "n_curators:long", "n_resources:long",
    ]  # fmt: skip
    disease = _header(_file(plan, "Disease").header)
    assert {"alt_ids:string[]", "xrefs:string[]", "definition:string"} <= set(disease)
    source = _header(_file(plan, "Source").header)
    assert {"nodes:long", "edges:long", "rows_read:long", "sha256:string[]", "files:string[]"} <= set(source)
    for f in plan.files:
        header = _header(f.header)
        if f.kind == "nodes":
            assert header[:2] == [f"id:ID({f.name})", ":LABEL"]
            assert all(row[":LABEL"] == f.name for row in read_rows(f))
        else:
            src, rel_type, dst = f.group.split("-")
            assert header[:3] == [f":START_ID({src})", f":END_ID({dst})", ":TYPE"]
            assert all(row[":TYPE"] == rel_type for row in read_rows(f))


def test_values_of_real_rows_round_trip(plan, records):
    diseases = {row["id"]: row for row in read_rows(_file(plan, "Disease"))}
    breast = diseases["DOID:1612"]
    do_record = next(n for n in records[0] if n.id == "DOID:1612" and n.props["source"] == "disease-ontology")
    assert breast["xrefs"] == do_record.props["xrefs"] and "MESH:D001943" in breast["xrefs"]
    assert breast["alt_ids"] == ["DOID:1648", "DOID:4241"]
    assert breast["definition"] == "A thoracic cancer that originates in the mammary gland."
    # The first source to emit a node owns its provenance; every source that did is listed.
    assert (breast["source"], breast["source_version"]) == ("disease-ontology", "2016-09-01")
    assert breast["sources"] == ["disease-ontology", "hetionet", "pharmacotherapydb"]
    treats = {(r[":START_ID"], r[":END_ID"]): r for r in read_rows(_file(plan, "Drug-TREATS-Disease"))}
    aspirin = treats[("DRUGBANK:DB00945", "DOID:3393")]
    assert (aspirin["category"], aspirin["n_curators"], aspirin["n_resources"]) == ("DM", 3, 2)
    assert aspirin["source"] == "pharmacotherapydb" and aspirin["license"] == "CC0 1.0"


def test_ids_are_unique_per_label_and_every_endpoint_exists(plan):
    ids: dict[str, set[str]] = {}
    for f in plan.files:
        if f.kind == "nodes":
            rows = [row["id"] for row in read_rows(f)]
            assert len(rows) == len(set(rows)) == f.rows, f.group
            ids[f.name] = set(rows)
    for f in plan.files:
        if f.kind == "relationships":
            src, _, dst = f.group.split("-")
            rows = read_rows(f)
            assert len(rows) == f.rows
            assert {r[":START_ID"] for r in rows} <= ids[src] and {r[":END_ID"] for r in rows} <= ids[dst], f.group


def test_provenance_is_on_every_row(plan):
    for f in plan.files:
        for row in read_rows(f):
            assert row["source"] and row["source_version"] and row["license"], (f.group, row)
            if f.kind == "nodes":
                assert row["source"] == row["sources"][0]


def test_counts_and_properties_follow_the_writers_merge_semantics(plan, records):
    nodes, edges = records
    report = WriteReport()
    merged_nodes = GraphWriter._group_nodes(nodes, report)
    merged_edges = GraphWriter._group_edges(edges, report)
    expected_sources: dict[tuple[str, str], list[str]] = {}
    for n in nodes:
        sources = expected_sources.setdefault((n.label, n.id), [])
        if n.props["source"] not in sources:
            sources.append(n.props["source"])
    for label, rows in merged_nodes.items():
        written = {row["id"]: row for row in read_rows(_file(plan, label))}
        assert len(written) == len(rows) == plan.nodes[label].written
        for row in rows:
            got = written[row["id"]]
            expected = {k: row[k] for k in ("id", "source", "source_version", "license")} | row["props"]
            assert _props(got, (":LABEL", "sources")) == expected
            assert got["sources"] == expected_sources[(label, row["id"])]
    for (rel_type, src, dst), rows in merged_edges.items():
        f = _file(plan, f"{src}-{rel_type}-{dst}")
        written = {(r[":START_ID"], r[":END_ID"], r["source"]): r for r in read_rows(f)}
        assert len(written) == len(rows) == f.rows
        for row in rows:
            got = written[(row["src"], row["dst"], row["source"])]
            assert _props(got, (":START_ID", ":END_ID", ":TYPE")) == row["props"]
    assert plan.nodes["Drug"].duplicates == sum(n.label == "Drug" for n in nodes) - len(merged_nodes["Drug"]) > 0
    assert not plan.problems()


def test_quotes_newlines_delimiters_and_types_round_trip(tmp_path):
    tricky = 'He said "stop", then;\nleft\r\n  and came back  '
    nodes = [
        NodeRecord(
            "Drug",
            "DRUGBANK:DB90001",
            {
                "name": tricky,
                "synonyms": ["a,b", 'c"d', "e;f", " padded ", "Müller–β"],
                "empty": "",
                "count": 3,
                "big": -(2**62),
                "score": 0.5,
                "flag": True,
                "active": True,
                "doses": [1, 2.5],
                "ids": [7, 8],
                "gone": None,
                "none_listed": [],
                **PROV,
            },
        ),
        NodeRecord(
            "Drug",
            "DRUGBANK:DB90002",
            {"name": "plain", "count": 2.25, "flag": "yes", "active": False, "score": float("inf"), **PROV},
        ),
    ]
    plan = write_import_files(nodes, [], tmp_path)
    f = _file(plan, "Drug")
    header = set(_header(f.header))
    # One type per column: ints with floats -> double, a boolean mixed with text -> string.
    assert {"count:double", "big:long", "score:double", "flag:string", "active:boolean"} <= header
    assert {"synonyms:string[]", "doses:double[]", "ids:long[]", "empty:string"} <= header
    assert not {h for h in header if h.startswith(("gone", "none_listed"))}, "null and [] are no property"
    rows = {row["id"]: row for row in read_rows(f)}
    first, second = rows["DRUGBANK:DB90001"], rows["DRUGBANK:DB90002"]
    assert first["name"] == tricky and second["name"] == "plain"
    assert first["synonyms"] == ["a,b", 'c"d', "e;f", " padded ", "Müller–β"]
    assert first["empty"] == "" and second["empty"] is None  # a quoted "" is a value, an empty field is none
    assert (first["count"], second["count"], first["big"]) == (3.0, 2.25, -(2**62))
    assert (first["flag"], second["flag"]) == ("true", "yes")
    assert (first["active"], second["active"]) == (True, False)
    assert (first["doses"], first["ids"], second["synonyms"]) == ([1.0, 2.5], [7, 8], None)
    assert second["score"] == float("inf")
    # A line break inside a value needs the (slower) multiline mode; the plan asks for it only then.
    assert plan.multiline_fields and "--multiline-fields=true" in plan.arguments
    plain = write_import_files([NodeRecord("Drug", "DRUGBANK:DB90003", {"name": "x", **PROV})], [], tmp_path / "p")
    assert not plain.multiline_fields and not any("multiline" in a for a in plain.arguments)


def test_invalid_duplicate_and_dangling_records_are_counted_not_dropped_silently(tmp_path):
    later = {**PROV, "source": "later-source", "source_version": "2"}
    nodes = [
        NodeRecord("Drug", "DRUGBANK:DB90001", {"name": "first", "note": "kept", **PROV}),
        NodeRecord("Drug", "DRUGBANK:DB90001", {"name": "second", "extra": 1, **later}),  # merged into the first
        NodeRecord("Drug", "DB90009", {"name": "no prefix", **PROV}),  # not a CURIE
        NodeRecord("Spaceship", "X:1", {**PROV}),  # unknown label
        NodeRecord("Drug", "DRUGBANK:DB90003", {"name": "no licence", "source": "x", "source_version": "1"}),
        NodeRecord("Drug", "DRUGBANK:DB90004", {"bad key": 1, **PROV}),
        NodeRecord("Drug", "DRUGBANK:DB90005", {"nested": [[1, 2]], **PROV}),
        NodeRecord("Drug", "DRUGBANK:DB90006", {"name": f"unit{ARRAY_DELIMITER}separator", **PROV}),
        NodeRecord("Disease", "DOID:1612", {"name": "breast cancer", **PROV}),
    ]
    edges = [
        EdgeRecord("TREATS", "Drug", "DRUGBANK:DB90001", "Disease", "DOID:1612", {"n": 1, **PROV}),
        EdgeRecord("TREATS", "Drug", "DRUGBANK:DB90001", "Disease", "DOID:1612", {"n": 2, **PROV}),  # same source
        EdgeRecord("TREATS", "Drug", "DRUGBANK:DB90001", "Disease", "DOID:1612", {"n": 3, **later}),  # another one
        EdgeRecord("TREATS", "Drug", "DRUGBANK:DB99999", "Disease", "DOID:1612", dict(PROV)),  # no such drug
        EdgeRecord("TREATS", "Drug", "DRUGBANK:DB90001", "Disease", "DOID:1612", {}),  # no provenance
        EdgeRecord("TREATS", "Disease", "DOID:1612", "Drug", "DRUGBANK:DB90001", dict(PROV)),  # wrong direction
    ]
    plan = write_import_files(nodes, edges, tmp_path)
    drugs = plan.nodes["Drug"]
    assert (drugs.records, drugs.written, drugs.invalid, drugs.duplicates) == (7, 1, 5, 1)
    assert plan.nodes["Spaceship"].invalid == 1 and "Spaceship" not in {f.group for f in plan.files}
    row = read_rows(_file(plan, "Drug"))[0]
    assert (row["name"], row["note"], row["extra"]) == ("first", "kept", 1)  # the owner's name stays
    assert (row["source"], row["source_version"], row["sources"]) == (
        "import-test",
        "1",
        ["import-test", "later-source"],
    )
    treats = plan.edges["Drug-TREATS-Disease"]
    assert (treats.records, treats.written, treats.invalid, treats.duplicates, treats.dangling) == (5, 2, 1, 1, 1)
    assert plan.edges["Disease-TREATS-Drug"].invalid == 1
    rels = {r["source"]: r for r in read_rows(_file(plan, "Drug-TREATS-Disease"))}
    assert (rels["import-test"]["n"], rels["later-source"]["n"], rels["later-source"]["source_version"]) == (2, 3, "2")
    problems = "\n".join(plan.problems())
    for expected in ("DB90009", "Spaceship", "lacks provenance", "bad key", "nested", "U+001F", "DRUGBANK:DB99999"):
        assert expected in problems, expected


def test_the_command_and_the_script_name_every_file(plan, tmp_path):
    on_disk = {p for p in plan.out_dir.rglob("*.csv")}
    words = shlex.split(plan.command)
    assert words[:4] == ["cd", str(plan.out_dir.resolve()), "&&", "neo4j-admin"]
    assert words[4:9] == ["database", "import", "full", "neo4j", "--overwrite-destination"]
    assert {"--id-type=string", "--array-delimiter=U+001F"} <= set(words)
    named = set()
    for word in words:
        if word.startswith(("--nodes=", "--relationships=")):
            name, _, paths = word.split("=", 1)[1].partition("=")
            header, data = (plan.out_dir / p for p in paths.split(","))
            f = next(f for f in plan.files if f.data == data)
            assert (f.name, f.header) == (name, header)
            named |= {header, data}
    assert named == on_disk and len(on_disk) == 2 * len(plan.files)
    docker = shlex.split(plan.docker_command)
    assert docker[:7] == [
        "docker",
        "compose",
        "run",
        "--rm",
        "--no-deps",
        "-v",
        f"{plan.out_dir.resolve()}:/pmkg-import:ro",
    ]
    assert docker[7:13] == ["neo4j", "neo4j-admin", "database", "import", "full", "neo4j"]
    assert sum(w.count(f"{DOCKER_IMPORT_DIR}/") for w in docker) == len(on_disk)
    assert plan.schema_file.read_text().splitlines() == [f"{s};" for s in NEO4J.schema_statements()]
    assert plan.schema_statements == NEO4J.schema_statements()
    # import.sh hands neo4j-admin exactly the plan's arguments, from any working directory.
    fake = tmp_path / "bin" / "neo4j-admin"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$PWD" "$@" > "$ARGS_OUT"\n')
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "NEO4J_HOME"}
    env |= {"PATH": f"{fake.parent}:{env['PATH']}", "ARGS_OUT": str(tmp_path / "args")}
    subprocess.run(["bash", str(plan.script)], cwd=tmp_path, env=env, check=True)
    cwd, *arguments = (tmp_path / "args").read_text().splitlines()
    assert Path(cwd) == plan.out_dir.resolve() and arguments == plan.arguments
    summary = plan.summary()
    assert f"{plan.node_rows:,} nodes" in summary and str(plan.script) in summary and "left out" not in summary
    instructions = plan.instructions.read_text()
    assert "docker compose stop neo4j" in instructions and "schema.cypher" in instructions


def test_writing_twice_gives_identical_files(plan, records, tmp_path):
    before = {p: p.read_bytes() for p in plan.out_dir.rglob("*") if p.is_file() and p.name != "IMPORT.md"}
    again = write_import_files(*records, plan.out_dir)
    after = {p: p.read_bytes() for p in plan.out_dir.rglob("*") if p.is_file() and p.name != "IMPORT.md"}
    assert after == before, "IMPORT.md aside (it states the seconds taken), a rerun rewrites the same bytes"
    assert again.rows == plan.rows and again.arguments == plan.arguments
    assert not list(plan.out_dir.glob(".spool*")), "the spool is removed once the CSVs are written"


def test_import_sources_runs_the_jobs_like_the_live_ingest(plan, tmp_path):
    fixture_plan, outcomes = import_sources(
        FIXTURES, tmp_path / "all", ["hetionet", "disease-ontology", "pharmacotherapydb"], progress=False
    )
    assert [(o.name, o.ok) for o in outcomes] == [  # registry order, whatever order they are asked in
        ("disease-ontology", True),
        ("hetionet", True),
        ("pharmacotherapydb", True),
    ]
    assert fixture_plan.rows == plan.rows
    assert (
        outcomes[2].skipped["NOT (non-indication)"] == 109
        and outcomes[2].unresolved["malformed DOID or DrugBank id"] == 1
    )
    # A source whose file is corrupt fails alone, as in the live ingest; the others still make an import.
    shutil.copytree(FIXTURES, tmp_path / "data")
    (tmp_path / "data/pharmacotherapydb/indications.tsv").write_text("a\tb\nx\ty\n")
    broken_plan, outcomes = import_sources(tmp_path / "data", tmp_path / "broken", progress=False)
    failed = {o.name: o.error for o in outcomes if not o.ok}
    assert list(failed) == ["pharmacotherapydb"] and "indications.tsv:1: header lacks" in failed["pharmacotherapydb"]
    assert "Drug-TREATS-Disease" not in {f.group for f in broken_plan.files} and broken_plan.nodes["Disease"].written
    with pytest.raises(ValueError, match="unknown source"):
        import_sources(FIXTURES, tmp_path / "none", ["nope"], progress=False)


def test_node_and_relationship_counts_equal_the_embedded_store(store, ingest_outcomes, tmp_path):
    """The import holds what the live ingest wrote: same ids per label, same relationship counts per type."""
    names = [o.name for o in ingest_outcomes if o.ok]
    resolver = Resolver.from_data_dir(FIXTURES)
    nodes, edges = [], []
    for name in names:
        result = JOBS[name][1](FIXTURES, resolver)
        nodes += [*result.nodes, result.source_node()]
        edges += result.edges
    plan = write_import_files(nodes, edges, tmp_path)
    assert plan.node_rows > 1000 and plan.relationship_rows > 1000
    for f in plan.files:
        if f.kind == "nodes":
            graph = store.run(f"MATCH (n:{f.name}) RETURN n.id AS id, n.sources AS sources")
            ours = [g["id"] for g in graph if set(g["sources"] or []) & set(names)]
            count = store.run(f"MATCH (n:{f.name}) RETURN count(n) AS n")[0]["n"]
            assert len(ours) == f.rows <= count, f.name
            assert set(ours) == {row["id"] for row in read_rows(f)}, f.name
        else:
            src, rel_type, dst = f.group.split("-")
            graph = store.run(
                f"MATCH (:{src})-[r:{rel_type}]->(:{dst}) WHERE r.source IN $names RETURN count(r) AS n",
                {"names": names},
            )
            assert graph[0]["n"] == f.rows, f.group
    aspirin = store.run("MATCH (n:Drug {id: 'DRUGBANK:DB00945'}) RETURN n.name AS name, n.sources AS sources")[0]
    row = next(r for r in read_rows(_file(plan, "Drug")) if r["id"] == "DRUGBANK:DB00945")
    assert (row["name"], sorted(row["sources"])) == (aspirin["name"], sorted(aspirin["sources"]))
