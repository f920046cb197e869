"""``pmkg export kgx``: the KGX files checked field by field against the KGX format spec and the Biolink Model, the
bundle and manifest, patients left out, and a round trip back into exactly the graph's records.

KGX's own tool (``kgx validate``/``kgx transform``, PyPI ``kgx``) pins pyarrow < 16 and with it numpy < 2, which
this project's torch stack cannot take, so it runs from a side environment (tests/kgx_env.py: ``$PMKG_KGX_PYTHON``, or
``.venv-kgx/`` made on first use): ``test_kgx_own_validator_and_transform_accept_the_export`` runs KGX's validator and
transform through tools/kgx_offline.py (offline: the Biolink Model from the wheel, nothing downloaded).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from pmkg.kg.biolink import biolink_mapping
from pmkg.kg.kgx import BUNDLE, MANIFEST, export_kgx, file_names, read_kgx
from typer.testing import CliRunner

from tests.explain_world import PATIENT
from tests.kgx_env import kgx_python
from tests.trapi_validation import biolink_toolkit

CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*:[^\s|]+$")
GRAPH_NODES = (
    "MATCH (n) WHERE NOT n:Patient AND NOT n:Source RETURN head(labels(n)) AS label, n.id AS id, properties(n) AS props"
)
GRAPH_EDGES = (
    "MATCH (a)-[e]->(b) WHERE NOT a:Patient AND NOT b:Patient AND NOT a:Source AND NOT b:Source "
    "RETURN type(e) AS type, head(labels(a)) AS src_label, a.id AS src, head(labels(b)) AS dst_label, b.id AS dst, "
    "properties(e) AS props"
)


@pytest.fixture(scope="module")
def exported(store, ingest_outcomes, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("kgx")
    for fmt in ("tsv", "jsonl"):
        report = export_kgx(store, root / fmt, fmt, progress=False)
        assert report.node_count > 2000 and report.edge_count > 3000, report.summary()
        assert not report.unmapped, report.unmapped
    return {"tsv": root / "tsv", "jsonl": root / "jsonl"}


def _plain(value: Any) -> Any:
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _clean(props: dict[str, Any], fmt: str) -> dict[str, Any]:
    out = {}
    for key, value in props.items():
        value = _plain(value)
        if value is None or value == [] or value == "":
            continue
        if fmt == "tsv" and value == [""]:
            continue  # a TSV cell cannot hold a list of one empty string: it is not written (docs/interoperability)
        if fmt == "tsv" and isinstance(value, str):
            value = value.replace("\t", " ").replace("\r", " ").replace("\n", " ")
        out[key] = value
    return out


def _edge_order(edge: tuple) -> tuple:
    rel_type, src_label, src, dst_label, dst, props = edge
    return (
        rel_type,
        src,
        dst,
        str(props.get("source", "")),
        src_label,
        dst_label,
        json.dumps(props, default=str, sort_keys=True),
    )


def _graph_records(store, fmt: str) -> tuple[list[tuple], list[tuple]]:
    nodes = sorted((r["label"], r["id"], _clean(r["props"], fmt)) for r in store.run(GRAPH_NODES))
    edges = sorted(
        ((r["type"], r["src_label"], r["src"], r["dst_label"], r["dst"], _clean(r["props"], fmt))
         for r in store.run(GRAPH_EDGES)),
        key=_edge_order,
    )  # fmt: skip
    return nodes, edges


def _read_records(path: Path, fmt: str) -> tuple[list[tuple], list[tuple]]:
    nodes, edges = read_kgx(path)
    node_rows = sorted((n.label, n.id, _clean(n.props, fmt)) for n in nodes)
    edge_rows = sorted(
        ((e.type, e.src_label, e.src, e.dst_label, e.dst, _clean(e.props, fmt)) for e in edges),
        key=_edge_order,
    )  # fmt: skip
    return node_rows, edge_rows


@pytest.mark.parametrize("fmt", ["tsv", "jsonl"])
def test_the_export_reads_back_into_exactly_the_graphs_records(store, exported, fmt):
    graph_nodes, graph_edges = _graph_records(store, fmt)
    nodes, edges = _read_records(exported[fmt], fmt)
    assert len(nodes) == len(graph_nodes) and len(edges) == len(graph_edges)
    node_diff = [(a, b) for a, b in zip(nodes, graph_nodes, strict=True) if a != b]
    assert not node_diff, node_diff[:3]
    edge_diff = [(a, b) for a, b in zip(edges, graph_edges, strict=True) if a != b]
    assert not edge_diff, edge_diff[:3]
    # The bundle holds the same files.
    assert _read_records(exported[fmt] / BUNDLE, fmt) == (nodes, edges)


def _kgx_rows(folder: Path, fmt: str) -> tuple[list[dict], list[dict], list[str], list[str]]:
    node_file, edge_file = (folder / name for name in file_names(fmt))
    if fmt == "jsonl":
        nodes = [json.loads(line) for line in node_file.read_text().splitlines()]
        edges = [json.loads(line) for line in edge_file.read_text().splitlines()]
        return nodes, edges, [], []
    tables = []
    for path in (node_file, edge_file):
        lines = path.read_text(encoding="utf-8").split("\n")
        assert lines[-1] == "", f"{path.name} must end with a newline"
        header = lines[0].split("\t")
        assert len(header) == len(set(header)), f"{path.name}: duplicate columns"
        rows = []
        for number, line in enumerate(lines[1:-1], start=2):
            cells = line.split("\t")
            assert len(cells) == len(header), f"{path.name}:{number}: {len(cells)} cells for {len(header)} columns"
            rows.append({k: (v.split("|") if k in MULTIVALUED else v) for k, v in zip(header, cells, strict=True) if v})
        tables.append((rows, header))
    (nodes, node_header), (edges, edge_header) = tables
    return nodes, edges, node_header, edge_header


MULTIVALUED = {"category", "xref", "synonym", "provided_by", "aggregator_knowledge_source", "publications"}


@pytest.mark.parametrize("fmt", ["tsv", "jsonl"])
def test_nodes_and_edges_follow_the_kgx_spec_field_by_field(exported, fmt):
    """biolink/kgx docs/kgx_format.md: required node fields id + category, edge fields subject, predicate, object,
    knowledge_level, agent_type, provenance through knowledge_source slots, publications as CURIEs; TSV lists
    |-separated, JSON Lines arrays; Biolink terms that exist and are current."""
    toolkit = biolink_toolkit()
    levels = {str(v) for v in toolkit.view.get_enum("KnowledgeLevelEnum").permissible_values}
    agents = {str(v) for v in toolkit.view.get_enum("AgentTypeEnum").permissible_values}
    nodes, edges, node_header, edge_header = _kgx_rows(exported[fmt], fmt)
    if fmt == "tsv":
        assert node_header[:2] == ["id", "category"] and edge_header[:4] == ["id", "subject", "predicate", "object"]
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)), "a node id appears twice"
    categories_ok: dict[str, bool] = {}
    for node in nodes:
        assert CURIE.match(node["id"]), node["id"]
        assert isinstance(node["category"], list) and node["category"], node
        for category in node["category"]:
            if category not in categories_ok:
                element = toolkit.get_element(category)
                categories_ok[category] = bool(
                    element and toolkit.is_category(category) and not element.mixin and not element.abstract
                )
            assert categories_ok[category], category
        for key in ("xref", "provided_by", "synonym"):
            assert isinstance(node.get(key, []), list), (key, node)
        assert all(p.startswith("infores:") for p in node.get("provided_by", [])), node
        assert all(CURIE.match(x) for x in node.get("xref", [])), node["xref"]
    known = set(ids)
    edge_ids = [e["id"] for e in edges]
    assert len(edge_ids) == len(set(edge_ids)), "an edge id appears twice"
    predicates_ok: dict[str, bool] = {}
    for edge in edges:
        assert re.match(r"^urn:uuid:[0-9a-f-]{36}$", edge["id"]), edge["id"]
        assert edge["subject"] in known and edge["object"] in known, edge
        predicate = edge["predicate"]
        if predicate not in predicates_ok:
            element = toolkit.get_element(predicate)
            predicates_ok[predicate] = bool(element and toolkit.is_predicate(predicate) and not element.deprecated)
        assert predicates_ok[predicate], predicate
        assert edge["knowledge_level"] in levels and edge["agent_type"] in agents, edge
        assert edge["primary_knowledge_source"].startswith("infores:"), edge
        assert all(a.startswith("infores:") for a in edge.get("aggregator_knowledge_source", [])), edge
        assert all(re.match(r"^PMID:\d+$", p) for p in edge.get("publications", [])), edge["publications"]
        for qualifier in ("object_aspect_qualifier", "object_direction_qualifier", "response_target_context_qualifier"):
            if qualifier in edge:
                assert toolkit.validate_qualifier(f"biolink:{qualifier}", edge[qualifier]), (qualifier, edge)
    by_type = {e["pmkg_type"]: e for e in edges}
    treats = by_type["TREATS"]
    assert treats["predicate"] == "biolink:treats"
    assert treats["primary_knowledge_source"] == "infores:pharmacotherapydb"
    assert treats["aggregator_knowledge_source"] == ["infores:pmkg"]
    assert treats["knowledge_level"] == "knowledge_assertion" and treats["agent_type"] == "manual_agent"
    assert treats["pmkg_category"] == "DM"  # PharmacotherapyDB's own category, kept apart from KGX's
    (upregulates, *_) = [e for e in edges if e["pmkg_type"] == "UPREGULATES" and e["subject"].startswith("DRUGBANK:")]
    assert upregulates["qualified_predicate"] == "biolink:causes"
    assert upregulates["object_direction_qualifier"] == "increased"
    assert any(
        e["pmkg_type"] == "AFFECTS_RESPONSE_TO" and e["primary_knowledge_source"] == "infores:cpic" for e in edges
    )


@pytest.mark.parametrize("fmt", ["tsv", "jsonl"])
def test_manifest_describes_the_files_sources_and_exclusions(exported, fmt):
    folder = exported[fmt]
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["kgx_format"] == fmt and manifest["biolink_version"] == biolink_mapping().biolink_version
    for name, facts in manifest["file_facts"].items():
        data = (folder / name).read_bytes()
        assert facts["bytes"] == len(data) and facts["sha256"] == hashlib.sha256(data).hexdigest()
        assert facts["rows"] == data.count(b"\n") - (1 if fmt == "tsv" else 0)
    assert manifest["counts"]["nodes"] == manifest["file_facts"][manifest["files"]["nodes"]]["rows"]
    infores = {s["name"]: s["infores"] for s in manifest["sources"]}
    assert infores["pharmacotherapydb"] == "infores:pharmacotherapydb" and infores["genes"] == "infores:ncbi-gene"
    assert all(s["version"] and s["license"] for s in manifest["sources"])
    assert manifest["excluded"]["source_nodes"] == len(manifest["sources"])
    with tarfile.open(folder / BUNDLE) as tar:
        assert sorted(tar.getnames()) == sorted([*file_names(fmt), MANIFEST])


def test_patients_never_leave_and_predictions_say_what_they_are(world_store, tmp_path):
    """The explain world holds one patient with five edges, and a prediction written here."""
    world_store.run(
        "MATCH (c:Drug {id: 'DRUGBANK:DB00758'}) MATCH (d:Disease {id: 'DOID:14330'}) "
        "MERGE (c)-[p:PREDICTED_TREATS]->(d) SET p.score = 1.5, p.probability = 0.25, p.rank = 3, "
        "p.model_version = 'kgx-test'",
        write=True,
    )
    try:
        report = export_kgx(world_store, tmp_path / "world", "jsonl", progress=False)
    finally:
        world_store.run("MATCH ()-[p:PREDICTED_TREATS {model_version: 'kgx-test'}]->() DELETE p", write=True)
    assert report.patients_excluded == 1 and report.patient_edges_excluded == 5
    for path in (tmp_path / "world").iterdir():
        if path.suffix == ".gz":
            with tarfile.open(path) as tar:
                data = b"".join(tar.extractfile(m).read() for m in tar.getmembers())
        else:
            data = path.read_bytes()
        assert PATIENT.encode() not in data and b"PMKG.PATIENT" not in data and b"zygosity" not in data, path.name
    edges = [json.loads(line) for line in (tmp_path / "world" / file_names("jsonl")[1]).read_text().splitlines()]
    (predicted,) = [e for e in edges if e["pmkg_type"] == "PREDICTED_TREATS"]
    assert predicted["predicate"] == "biolink:treats" and predicted["knowledge_level"] == "prediction"
    assert predicted["agent_type"] == "computational_model" and predicted["primary_knowledge_source"] == "infores:pmkg"
    assert "aggregator_knowledge_source" not in predicted
    assert predicted["probability"] == 0.25 and predicted["model_version"] == "kgx-test"
    nodes = {json.loads(line)["id"] for line in (tmp_path / "world" / file_names("jsonl")[0]).read_text().splitlines()}
    assert "DBSNP:rs4244285" in nodes and "dbSNP:rs4244285" not in nodes  # Biolink's prefix spelling
    back, _ = read_kgx(tmp_path / "world")
    assert "dbSNP:rs4244285" in {n.id for n in back if n.label == "Variant"}


def test_cli_writes_the_bundle_and_refuses_an_unknown_format(graph_uri, store, ingest_outcomes, tmp_path):
    from pmkg.cli import app

    runner = CliRunner()
    bad = runner.invoke(app, ["export", "kgx", "--out", str(tmp_path / "x"), "--format", "csv", "-g", graph_uri, "-q"])
    assert bad.exit_code == 2 and "'csv' is not one of tsv, jsonl" in bad.output
    assert not (tmp_path / "x").exists()


KGX_OFFLINE = Path(__file__).resolve().parent.parent / "tools" / "kgx_offline.py"
UNKNOWN_PREFIX = re.compile(
    r"with a CURIE prefix '([^']+)' (that )?is not represented in Biolink Model JSON-LD context"
)


def kgx_errors(report: dict) -> tuple[dict[str, int], list[str]]:
    """KGX's ERROR messages: ids under a prefix Biolink lacks (counted per prefix), and everything else."""
    prefixes: dict[str, int] = {}
    other = []
    for error_type, messages in report.get("ERROR", {}).items():
        for message, where in messages.items():
            found = UNKNOWN_PREFIX.search(message)
            if found and error_type in ("INVALID_NODE_PROPERTY_VALUE", "INVALID_EDGE_PROPERTY_VALUE"):
                prefixes[found.group(1)] = prefixes.get(found.group(1), 0) + len(where)
            else:
                other.append(f"{error_type}: {message} {where[:3]}")
    return prefixes, other


@pytest.fixture(scope="module")
def kgx() -> str:
    return kgx_python()


@pytest.mark.parametrize("fmt", ["tsv", "jsonl"])
def test_kgx_own_validator_and_transform_accept_the_export(exported, kgx, fmt, tmp_path):
    """KGX's validator, offline (tools/kgx_offline.py): no error except ids under the prefixes the mapping lists as
    unknown to Biolink; and KGX's transform reads the files and writes them out again, every row kept."""
    folder = exported[fmt]
    inputs = [str(folder / name) for name in file_names(fmt)]
    report_file = tmp_path / "report.json"
    run = subprocess.run(
        [kgx, str(KGX_OFFLINE), "validate", "-i", fmt, "-o", str(report_file), *inputs],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr[-3000:]
    report = json.loads(report_file.read_text() or "{}")
    prefixes, other = kgx_errors(report)
    assert not other, other[:10]
    assert set(prefixes) <= set(biolink_mapping().non_biolink_prefixes), prefixes
    assert run.returncode == (1 if prefixes else 0)
    transform = subprocess.run(
        [kgx, str(KGX_OFFLINE), "transform", "-i", fmt, "-f", "jsonl", "-o", str(tmp_path / "out"), *inputs],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert transform.returncode == 0, transform.stderr[-3000:]
    # KGX keys an edge by (subject, predicate, object): two sources asserting one triple become one edge there.
    _, edges, _, _ = _kgx_rows(folder, fmt)
    triples = {(e["subject"], e["predicate"], e["object"]) for e in edges}
    out_nodes = (tmp_path / "out_nodes.jsonl").read_text().splitlines()
    out_edges = [json.loads(line) for line in (tmp_path / "out_edges.jsonl").read_text().splitlines()]
    manifest = json.loads((folder / MANIFEST).read_text())
    assert len(out_nodes) == manifest["counts"]["nodes"]
    assert {(e["subject"], e["predicate"], e["object"]) for e in out_edges} == triples
