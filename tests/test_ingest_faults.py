"""Damaged upstream files: each bad record is an error with ``file:line``, a source fails alone, the report is written.

Issue 14, items 1, 2, 6 and 7, each tried as the probe did: on copies of the committed fixtures, damaged in one
way, ingested by ``pmkg ingest`` into a fresh embedded graph.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
from pathlib import Path

import pytest
from pmkg.ingest import base, disease_ontology, hetionet
from pmkg.kg import embedded, limits
from pmkg.kg.records import NodeRecord
from pmkg.kg.store import GraphStore
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.workflows.ingest import GraphSink
from tests.conftest import FIXTURES

NODES = "hetionet/hetionet-v1.0-nodes.tsv"
EDGES = "hetionet/hetionet-v1.0-edges.sif"


@pytest.fixture
def data(tmp_path) -> Path:
    """A data folder with copies of the hetionet, pharmacotherapydb and disease-ontology fixtures."""
    root = tmp_path / "data"
    for source in ("hetionet", "pharmacotherapydb", "disease-ontology"):
        shutil.copytree(FIXTURES / source, root / source)
    return root


@pytest.fixture
def ingest(tmp_path):
    """Run ``pmkg ingest`` into a fresh graph; return (exit code, output, report JSON, graph path)."""
    graphs = []

    def run(data_dir: Path, *sources: str, graph: Path | None = None):
        graph = graph or tmp_path / f"graph{len(graphs)}"
        graphs.append(graph)
        report = tmp_path / f"report{len(graphs)}.json"
        args = ["ingest", "--data-dir", str(data_dir), "-g", f"embedded://{graph}", "--report", str(report), "-q"]
        for source in sources:
            args += ["-s", source]
        result = CliRunner().invoke(app, args)
        document = json.loads(report.read_text()) if report.exists() else None
        return result, document, graph

    yield run
    for graph in graphs:
        embedded.stop(graph)


def _replace_line(path: Path, number: int, new: bytes) -> bytes:
    lines = path.read_bytes().split(b"\n")
    old = lines[number - 1]
    lines[number - 1] = new
    path.write_bytes(b"\n".join(lines))
    return old


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if line.startswith(text))


def _source(document: dict, name: str) -> dict:
    return next(s for s in document["sources"] if s["name"] == name)


def _count(graph: Path, query: str) -> int:
    with GraphStore.connect(f"embedded://{graph}") as store:
        return store.run(query)[0]["n"]


# Item 1: one oversized field


def test_a_50_mb_name_is_one_skipped_row_and_every_other_source_still_ingests(data, ingest):
    nodes = data / NODES
    line = _line_of(nodes, "Disease::DOID:1612\t")
    _replace_line(nodes, line, b"Disease::DOID:1612\t" + b"x" * 50_000_000 + b"\tDisease")
    result, document, graph = ingest(data, "hetionet", "pharmacotherapydb")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and document is not None
    het = _source(document, "hetionet")
    assert het["status"] == "ok" and het["skipped"]["over-long line"] == 1
    assert any(w.startswith(f"{nodes}:{line}: ") and "over" in w for w in het["warnings"]), het["warnings"]
    assert _source(document, "pharmacotherapydb")["status"] == "ok"
    assert _count(graph, "MATCH (s:Source) RETURN count(s) AS n") == 2
    assert _count(graph, "MATCH (d:Disease {id: 'DOID:1612'}) RETURN count(d) AS n") == 1  # pharmacotherapydb's


def test_a_name_over_the_documented_limit_is_rejected_before_the_write(data, ingest):
    nodes = data / NODES
    line = _line_of(nodes, "Disease::DOID:1612\t")
    long_name = "y" * (limits.MAX_NAME_CHARS + 1)
    _replace_line(nodes, line, f"Disease::DOID:1612\t{long_name}\tDisease".encode())
    result, document, graph = ingest(data, "hetionet")
    assert result.exit_code == 0, result.output
    het = _source(document, "hetionet")
    warning = next(w for w in het["warnings"] if "over the limit" in w)
    assert warning.startswith(f"{nodes}:{line}: Disease DOID:1612: property 'name' has 2,001 characters"), warning
    assert het["skipped"]["value over a limit or with a control character"] == 1
    assert _count(graph, "MATCH (d:Disease) WHERE size(d.name) > 2000 RETURN count(d) AS n") == 0


def test_a_record_the_store_refuses_is_counted_with_its_file_and_line_and_the_rest_is_written(
    data, ingest, monkeypatch
):
    # Raise pmkg's own limits so that the store itself refuses the value (ArcadeDB: an indexed key over ~256 KB).
    for module, name in ((limits, "MAX_NAME_CHARS"), (limits, "MAX_TEXT_CHARS"), (base, "MAX_TEXT_CHARS")):
        monkeypatch.setattr(module, name, 10_000_000)
    nodes = data / NODES
    line = _line_of(nodes, "Disease::DOID:1612\t")
    _replace_line(nodes, line, b"Disease::DOID:1612\t" + b"z" * 900_000 + b"\tDisease")
    result, document, graph = ingest(data, "hetionet", "pharmacotherapydb")
    assert result.exit_code == 0, result.output
    het = _source(document, "hetionet")
    assert het["status"] == "ok" and het["skipped"]["refused by the graph store"] == 1
    refused = next(w for w in het["warnings"] if "refused by the graph store" in w)
    assert refused.startswith(f"{nodes}:{line}: Disease DOID:1612"), refused
    diseases = sum(1 for row in nodes.read_text().splitlines() if row.endswith("\tDisease"))
    assert _count(graph, "MATCH (d:Disease {source: 'hetionet'}) RETURN count(d) AS n") == diseases - 1
    assert _count(graph, "MATCH (s:Source) RETURN count(s) AS n") == 2


def test_a_failing_write_fails_its_source_alone_and_the_report_is_still_written(tmp_path, data, monkeypatch):
    """A write error that is not one record's (here: the bulk API raising) fails that source; the loop goes on."""
    from pmkg.workflows.ingest import ingest_sources

    calls = {"n": 0}
    original = GraphSink.write

    def flaky(self, name, result):
        calls["n"] += 1
        if name == "hetionet":
            raise RuntimeError("disk full")
        return original(self, name, result)

    monkeypatch.setattr(GraphSink, "write", flaky)
    graph = tmp_path / "g"
    try:
        with GraphStore.connect(f"embedded://{graph}") as store:
            outcomes = ingest_sources(store, data, ["hetionet", "pharmacotherapydb"], progress=False)
    finally:
        embedded.stop(graph)
    by_name = {o.name: o for o in outcomes}
    assert by_name["hetionet"].status == "failed" and "disk full" in by_name["hetionet"].error
    assert by_name["pharmacotherapydb"].status == "ok" and calls["n"] == 2


# Item 2: a truncated ontology, lost records, degraded sources


def test_an_ontology_cut_inside_a_stanza_fails_that_source_with_the_reason(data, ingest):
    obo = data / "disease-ontology" / "doid.obo"
    text = obo.read_bytes()
    obo.write_bytes(text[: len(text) // 2])
    result, document, _ = ingest(data, "disease-ontology", "hetionet")
    assert result.exit_code == 1, result.output
    do = _source(document, "disease-ontology")
    assert do["status"] == "failed" and "ends inside a stanza" in do["error"] and f"{obo}:" in do["error"]
    assert _source(document, "hetionet")["status"] == "ok"


def test_a_source_that_lost_most_of_its_records_since_the_last_ingest_of_its_version_fails(data, ingest, tmp_path):
    obo = data / "disease-ontology" / "doid.obo"
    result, document, graph = ingest(data, "disease-ontology")
    assert result.exit_code == 0 and _source(document, "disease-ontology")["status"] == "ok"
    stanzas = obo.read_text().split("\n\n")
    obo.write_text("\n\n".join(stanzas[: len(stanzas) // 3]) + "\n")  # cut at a stanza boundary
    result, document, _ = ingest(data, "disease-ontology", graph=graph)
    assert result.exit_code == 1, result.output
    error = _source(document, "disease-ontology")["error"]
    assert "lost" in error and "same version" in error, error


def test_a_source_whose_warnings_exceed_the_stated_share_is_degraded_with_exit_code_3(data, ingest):
    nodes = data / NODES
    lines = nodes.read_text().splitlines()
    for i in range(1, len(lines), 4):  # a quarter of the rows lose their kind column
        lines[i] = lines[i].rsplit("\t", 1)[0]
    nodes.write_text("\n".join(lines) + "\n")
    result, document, _ = ingest(data, "hetionet", "pharmacotherapydb")
    assert result.exit_code == 3, result.output
    assert _source(document, "hetionet")["status"] == "degraded"
    assert _source(document, "pharmacotherapydb")["status"] == "ok"
    assert "degraded" in result.output


# Item 6: NUL and control characters


def test_an_id_with_a_nul_is_rejected_with_its_line_and_never_stored(data, ingest):
    nodes = data / NODES
    line = _line_of(nodes, "Anatomy::UBERON:0000010\t")
    _replace_line(nodes, line, b"Anatomy::UBERON:0000010\x00\tperipheral nervous system\tAnatomy")
    name_line = _line_of(nodes, "Disease::DOID:1612\t")
    _replace_line(nodes, name_line, b"Disease::DOID:1612\tbreast\x00cancer\tDisease")
    result, document, graph = ingest(data, "hetionet")
    het = _source(document, "hetionet")
    for number in (line, name_line):
        assert any(w.startswith(f"{nodes}:{number}: ") and "U+0000" in w for w in het["warnings"]), het["warnings"]
    assert het["skipped"]["control character"] == 2
    nul = "MATCH (n) WHERE n.id CONTAINS '\\u0000' OR n.name CONTAINS '\\u0000' RETURN count(n) AS n"
    assert _count(graph, nul) == 0


def test_control_characters_in_other_text_are_rejected_by_the_stated_rule():
    with pytest.raises(limits.SchemaError, match="U\\+0007"):
        limits.check_record(NodeRecord("Disease", "DOID:1", {"name": "bell\x07", "source": "x"}))
    with pytest.raises(limits.SchemaError, match="U\\+0000"):
        limits.check_record(NodeRecord("Disease", "DOID:1", {"definition": "a\x00b"}))
    limits.check_record(NodeRecord("Disease", "DOID:1", {"definition": "two\nlines\tand a tab"}))  # layout is text


# Item 7: truncated gzip, invalid UTF-8, binary blobs


def test_a_value_remembered_as_within_the_limits_is_still_refused_where_its_limit_is_smaller():
    """Texts that passed are remembered (most repeat); the remembered answer must not outlive its own limit."""
    long_text = "x" * (limits.MAX_NAME_CHARS + 1)
    assert len(long_text) > limits._TEXT_OK_LONGEST  # too long to remember: checked every time
    short = "evidence code IEA"
    limits.check_record(NodeRecord("Disease", "DOID:1", {"definition": short, "codes": [short, "TAS"]}))
    assert short in limits._TEXT_OK
    with pytest.raises(limits.SchemaError, match="over the limit"):
        limits.check_record(NodeRecord("Disease", "DOID:1", {"definition": long_text, "name": long_text}))
    with pytest.raises(limits.SchemaError, match="control character"):
        limits.check_record(NodeRecord("Disease", "DOID:1", {"codes": [short, short + "\x07"]}))
    with pytest.raises(limits.SchemaError, match="lists"):
        limits.check_record(NodeRecord("Disease", "DOID:1", {"codes": [short] * (limits.MAX_LIST_ITEMS + 1)}))


def test_a_truncated_gzip_names_the_line_and_the_byte_offset(data):
    edges = data / EDGES
    packed = gzip.compress(edges.read_bytes())
    (data / "hetionet" / "hetionet-v1.0-edges.sif.gz").write_bytes(packed[: len(packed) * 2 // 3])
    where = r"edges\.sif\.gz:\d+: .*ends early.* byte [\d,]+ of the uncompressed data"
    with pytest.raises(base.IngestError, match=where):
        hetionet.run(data)


def test_invalid_utf8_skips_that_line_with_its_byte_offset_and_keeps_the_rest(data):
    nodes = data / NODES
    before = len(hetionet.run(data).nodes)
    line = _line_of(nodes, "Disease::DOID:1612\t")
    _replace_line(nodes, line, b"Disease::DOID:1612\tbreast \xff\xfe cancer\tDisease")
    result = hetionet.run(data)
    assert len(result.nodes) == before - 1
    warning = next(w for w in result.warnings if "UTF-8" in w)
    before_line = sum(len(row) + 1 for row in nodes.read_bytes().split(b"\n")[: line - 1])
    offset = before_line + len("Disease::DOID:1612\tbreast ")
    assert warning.startswith(f"{nodes}:{line}: ") and f"byte {offset:,}" in warning, warning


def test_a_binary_blob_inside_a_file_is_skipped_line_by_line_and_the_rest_is_kept(data):
    nodes = data / NODES
    rows = nodes.read_bytes().split(b"\n")
    blob = random.Random(14).randbytes(4096)
    middle = len(rows) // 2
    nodes.write_bytes(b"\n".join([*rows[:middle], blob, *rows[middle:]]))
    result = hetionet.run(data)
    blob_lines = range(middle + 1, middle + 2 + blob.count(b"\n"))
    located = [w for w in result.warnings if any(w.startswith(f"{nodes}:{n}: ") for n in blob_lines)]
    assert located and all(n.id.isprintable() for n in result.nodes)
    assert len(result.nodes) >= 1603 - 2  # the rows around the blob may lose their line ending, nothing else


def test_an_over_long_line_is_skipped_without_reading_it_whole(data):
    nodes = data / NODES
    line = _line_of(nodes, "Disease::DOID:1612\t")
    _replace_line(nodes, line, b"Disease::DOID:1612\t" + b"w" * (3 * base.MAX_LINE_BYTES) + b"\tDisease")
    result = hetionet.run(data)
    assert result.skipped["over-long line"] == 1
    assert any(w.startswith(f"{nodes}:{line}: ") for w in result.warnings)


def test_an_ontology_line_with_a_control_character_drops_its_stanza_with_the_line(data):
    obo = data / "disease-ontology" / "doid.obo"
    lines = obo.read_text().splitlines()
    number = next(i for i, text in enumerate(lines, start=1) if text == "id: DOID:1612") + 1  # its name: line
    lines[number - 1] = "name: breast\x00cancer"
    obo.write_text("\n".join(lines) + "\n")
    result = disease_ontology.run(data)
    assert "DOID:1612" not in {n.id for n in result.nodes}
    assert any(w.startswith(f"{obo}:{number}: ") and "U+0000" in w for w in result.warnings), result.warnings[:5]
