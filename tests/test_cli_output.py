"""The command line as a reader meets it: its module layout, tables that keep ids whole, options every command
takes, one JSON document per ``--format json``, and a clear refusal of an empty graph.

Everything runs against real embedded stores (the session graph, or a fresh empty one); nothing is mocked.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.cli.output import SHORTENED_CAPTION, column_kind, render

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "pmkg" / "cli"
runner = CliRunner()

DRUG, DISEASE = "DRUGBANK:DB00195", "DOID:10763"  # betaxolol, hypertension: in the test fixtures
ID_TOKEN = re.compile(r"[A-Za-z][\w.]*:[^\s|│┃]+")


def _commands() -> dict[tuple[str, ...], object]:
    """Every command a user can run, by its words: the leaves, and groups that run without a subcommand."""
    found: dict[tuple[str, ...], object] = {}

    def walk(path: tuple[str, ...], command) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is None or getattr(command, "invoke_without_command", False):
            found[path] = command
        for name, sub in (subcommands or {}).items():
            walk((*path, name), sub)

    walk((), typer.main.get_command(app))
    return found


def _options(command) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", [])}


# --- the package layout -----------------------------------------------------------------------------------------


def _cli_imports() -> list[tuple[str, int, str, list[str]]]:
    found = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pmkg.cli"):
                found.append((path.name, node.lineno, node.module, [a.name for a in node.names]))
    return found


def test_cli_modules_share_only_public_names_and_never_import_each_other():
    problems = []
    for name, line, module, names in _cli_imports():
        private = [n for n in names if n.startswith("_")]
        if private:
            problems.append(f"{name}:{line} imports private {private} from {module}")
        if name != "__init__.py" and module not in ("pmkg.cli.common", "pmkg.cli.output"):
            problems.append(f"{name}:{line}: a command group imports {module} (only common and output are shared)")
    assert not problems, "\n".join(problems)
    for path in CLI.glob("*.py"):
        assert "E402" not in path.read_text(), f"{path.name}: an import after code (a bottom-of-file import circle)"


def test_shared_options_are_declared_once():
    declared: dict[str, list[str]] = {}
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in ("--graph", "--quiet", "--format"):
                declared.setdefault(node.value, []).append(f"{path.name}:{node.lineno}")
    assert {k: len(v) for k, v in declared.items()} == {"--graph": 1, "--quiet": 1, "--format": 1}, declared
    assert all(where[0].startswith("common.py") for where in declared.values())


def test_main_is_the_entry_point_and_help_runs():
    assert 'pmkg = "pmkg.cli:main"' in (ROOT / "pyproject.toml").read_text()
    run = subprocess.run(
        [sys.executable, "-c", "from pmkg.cli import main; main()", "--help"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    for command in ("ingest", "stats", "export", "query", "explain", "train", "predict", "patients", "serve"):
        assert command in run.stdout


# --- tables ----------------------------------------------------------------------------------------------------

LONG_TEXT = "a free-text description that is far too long to fit beside the ids in an eighty-column terminal"
ROWS = [
    {"rank": i, "drug_id": f"DRUGBANK:DB0019{i}", "score": 0.25 * i,
     "node_ids": ["DRUGBANK:DB00195", "NCBIGene:1565", "MONDO:0005044"], "meaning": LONG_TEXT}
    for i in range(1, 4)
]  # fmt: skip
BOX = set("┏┃┡│└┌├")


def _ids_of(rows: list[dict]) -> set[str]:
    ids = set()
    for row in rows:
        for value in row.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and ID_TOKEN.fullmatch(item):
                    ids.add(item)
    return ids


def _assert_ids_whole(text: str, ids: set[str], width: int) -> None:
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width, "\n".join(line for line in lines if len(line) > width)
    on_lines = {token for line in lines for token in ID_TOKEN.findall(line)}
    assert ids <= on_lines, f"ids broken or cut: {sorted(ids - on_lines)}"
    assert on_lines <= ids, f"id fragments: {sorted(on_lines - ids)}"


@pytest.mark.parametrize("width", [80, 120])
def test_a_table_keeps_every_id_whole_and_shortens_only_free_text(width):
    text = render(ROWS, "table", title="candidates", width=width)
    _assert_ids_whole(text, _ids_of(ROWS), width)
    assert "one block each" not in text  # still a table
    assert "…" in text and SHORTENED_CAPTION in text and LONG_TEXT not in text
    assert LONG_TEXT[:8] in text  # cut, not dropped
    wide = render(ROWS, "table", title="candidates", width=300)
    assert LONG_TEXT in wide and "…" not in wide and "DRUGBANK:DB00195 | NCBIGene:1565 | MONDO:0005044" in wide


def test_json_and_csv_carry_the_full_values():
    assert json.loads(render(ROWS, "json", width=40)) == ROWS
    csv_text = render(ROWS, "csv", width=40)
    assert LONG_TEXT in csv_text and "DRUGBANK:DB00195 | NCBIGene:1565 | MONDO:0005044" in csv_text


def test_rows_whose_ids_alone_overflow_become_blocks_of_lines():
    wide = [{f"{name}_id": f"{prefix}:{'1' * 20}" for name, prefix in (("a", "DOID"), ("b", "HP"), ("c", "GO"))}]
    wide[0]["model_version"] = "gnn-20260101T000000Z-abcdef12"
    text = render(wide, "table", width=80)
    _assert_ids_whole(text, _ids_of(wide), 80)
    assert "one block each" in text
    assert render([], "table", columns=list(wide[0]), title="t", width=30).startswith("t: no rows (columns: a_id")


def test_column_kinds():
    assert column_kind("id", ["anything at all"]) == "fixed"
    assert column_kind("patient_id", [None]) == "fixed"
    assert column_kind("name", ["DOID:1612", "HP:0000001", None]) == "fixed"  # CURIE-like values
    assert column_kind("score", [0.5, 3, None]) == "fixed"
    assert column_kind("node_ids", [["DOID:1", "HP:2"]]) == "ids"
    assert column_kind("path", [["DOID:1", "HP:2"], ["GO:3"]]) == "ids"
    assert column_kind("name", ["breast cancer", "DOID:1612"]) == "text"
    assert column_kind("description", ["model: a sentence with a colon"]) == "text"
    assert column_kind("name", ["evidence_paths"], id_columns={"name"}) == "fixed"


def test_query_and_explain_tables_keep_ids_whole_at_80_columns(graph_uri, ingest_outcomes):
    query = [
        "query",
        "drug_disease_evidence",
        "-g",
        graph_uri,
        "-p",
        "drug=DRUGBANK:DB00773",
        "-p",
        "disease=DOID:8577",
    ]
    rows = json.loads(runner.invoke(app, [*query, "--format", "json"]).stdout)
    assert rows
    table = runner.invoke(app, query, env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    _assert_ids_whole(table.stdout, {i for row in rows for i in row["node_ids"]}, 80)
    explain = ["explain", "-g", graph_uri, "--drug", DRUG, "--disease", DISEASE, "-n", "5"]
    result = runner.invoke(app, explain, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    table_lines = [line for line in result.stdout.splitlines() if line[:1] in BOX]
    assert len(table_lines) > 10 and max(len(line) for line in table_lines) <= 80
    assert f"{DRUG} (Betaxolol) -> {DISEASE} (hypertension)" in result.stdout
    listed = runner.invoke(app, ["query", "--list"], env={"COLUMNS": "80"})
    assert "drugs_targeting_disease_genes" in listed.stdout  # query names are ids too


# --- options every command takes ---------------------------------------------------------------------------------


def test_every_command_accepts_quiet():
    commands = _commands()
    assert {("ingest",), ("ingest", "patients"), ("patients", "predict"), ("serve",), ("query",)} <= set(commands)
    missing = []
    for path, command in commands.items():
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        if "--quiet" not in result.output or not {"--quiet", "-q"} <= _options(command):
            missing.append(" ".join(path))
    assert not missing, f"commands without --quiet/-q: {missing}"


def test_patients_predict_takes_quiet(tmp_path, graph_uri, ingest_outcomes):
    result = runner.invoke(app, ["patients", "predict", "-q", "-g", graph_uri, "--models-dir", str(tmp_path)])
    assert result.exit_code == 2 and "no drug-patient model in" in result.output, result.output


# Every command with --format json, with a run of it on the session graph.
JSON_RUNS = {
    ("stats",): [["stats"]],
    ("query",): [
        ["query", "drug_disease_evidence", "-p", "drug=DRUGBANK:DB00773", "-p", "disease=DOID:8577"],
        ["query", "provenance"],
        ["query", "--list"],
    ],
    ("explain",): [["explain", "--drug", DRUG, "--disease", DISEASE, "-n", "3"]],
}
# Needs a trained patient model rather than the graph; tests/test_patient_model.py parses its JSON the same way.
JSON_ELSEWHERE = {("patients", "score")}


FILE_FORMATS = {("export", "kgx")}  # --format names the files written (tsv | jsonl), not what is printed


def test_every_format_json_prints_one_json_document(graph_uri, ingest_outcomes):
    with_format = {path for path, command in _commands().items() if "--format" in _options(command)}
    assert with_format - FILE_FORMATS == set(JSON_RUNS) | JSON_ELSEWHERE
    for runs in JSON_RUNS.values():
        for args in runs:
            graph = [] if "--list" in args else ["-g", graph_uri]
            result = runner.invoke(app, [*args, *graph, "--format", "json", "-q"])
            assert result.exit_code == 0, (args, result.output)
            document = json.loads(result.stdout)
            assert document, args
    stats = json.loads(runner.invoke(app, ["stats", "-g", graph_uri, "-f", "json"]).stdout)
    assert set(stats) == {"nodes", "edges"}
    assert {"from": "Drug", "type": "TREATS", "to": "Disease", "source": "pharmacotherapydb", "count": 306} in stats[
        "edges"
    ]


def test_an_unknown_format_is_a_usage_error(graph_uri):
    result = runner.invoke(app, ["stats", "-g", graph_uri, "--format", "xml"])
    assert result.exit_code == 2 and "xml" in result.output and "Traceback" not in result.output


# --- an empty graph ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty_graph(tmp_path_factory) -> str:
    from pmkg.kg.store import GraphStore

    uri = f"embedded://{tmp_path_factory.mktemp('empty') / 'g'}"
    with GraphStore.connect(uri) as store:  # a fresh store, as `pmkg` finds a default path nobody ingested into
        assert store.run("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    return uri


EMPTY_GRAPH_RUNS = [
    ["query", "find_drug", "-p", "name=aspirin"],
    ["query", "provenance", "--format", "json"],
    ["explain", "--drug", DRUG, "--disease", DISEASE],
    ["predict", "repurposing", "--models-dir", "{tmp}"],
    ["train", "--epochs", "1", "--models-dir", "{tmp}"],
]


@pytest.mark.parametrize("args", EMPTY_GRAPH_RUNS, ids=lambda args: " ".join(args[:2]))
def test_an_empty_graph_is_refused_with_what_to_do(empty_graph, tmp_path, args):
    result = runner.invoke(app, [str(tmp_path) if a == "{tmp}" else a for a in args] + ["-g", empty_graph])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "is empty" in lines[0] and "pmkg ingest" in lines[0] and "-g embedded://pmkg-data/demo-graph" in lines[0]


def test_a_fresh_default_graph_is_refused_from_a_real_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMKG_GRAPH")}
    run = subprocess.run(
        [sys.executable, "-c", "from pmkg.cli import main; main()", "query", "find_drug", "-p", "name=aspirin"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    message = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert message == [
        "error: the graph at embedded://pmkg-data/graph is empty (no Source node): build it with `pmkg ingest`, "
        "or run `pmkg demo` and pass -g embedded://pmkg-data/demo-graph"
    ]
