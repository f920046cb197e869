"""Named-query parameters: every ``@param`` states its range, and one validator enforces it for the CLI and HTTP.

Issue 14, item 8: ``damping`` of NaN, Infinity, 1e400 or -5 on ``evidence_paths`` answered 200 with nulls or
values near 6e46, and ``pgx_annotations_for_gene`` refused the gene symbol its own header promises.
"""

from __future__ import annotations

import math

import httpx
import pytest
from pmkg.kg import metapaths
from pmkg.kg.queries import QueryError, load_library, parse_query_file
from typer.testing import CliRunner

from pmkg.cli import app as cli
from tests.live_service import serving
from tests.service_support import API_KEY, connector, make_app, trained_for_service

BAD_DAMPING = ["NaN", "nan", "Infinity", "-inf", "1e400", "-5", "1.5"]
PAIR = {"drug": "DRUGBANK:DB00773", "disease": "DOID:8577"}


def test_every_numeric_parameter_declares_a_range_that_the_validator_enforces():
    for name, query in load_library().items():
        for param in query.params:
            if param.type not in ("integer", "float"):
                continue
            assert param.minimum is not None and param.maximum is not None, (name, param.name)
            step = 1 if param.type == "integer" else 1e-9 * max(1.0, abs(param.maximum))
            for inside in (param.minimum, param.maximum):
                assert param.convert(str(inside)) == inside, (name, param.name, inside)
            for outside in (param.minimum - step, param.maximum + step):
                with pytest.raises(QueryError, match=param.name):
                    param.convert(str(outside))
            if param.type == "float":
                for bad in BAD_DAMPING[:5]:
                    with pytest.raises(QueryError, match="finite"):
                        param.convert(bad)
            if param.default is not None:  # a default is a value like any other
                assert param.minimum <= param.convert(param.default) <= param.maximum


def test_string_parameters_declare_curie_labels_or_bounded_text():
    library = load_library()
    drug = next(p for p in library["evidence_paths"].params if p.name == "drug")
    assert drug.label == "Drug"
    with pytest.raises(QueryError, match="Drug CURIE prefix"):
        drug.convert("DOID:8577")
    with pytest.raises(QueryError, match="control character"):
        drug.convert("DRUGBANK:DB00773\x00")
    gene = next(p for p in library["pgx_annotations_for_gene"].params if p.name == "gene")
    assert gene.label is None and gene.convert("CYP2C19") == "CYP2C19"  # "Gene CURIE or symbol", as it says
    name = next(p for p in library["find_drug"].params if p.name == "name")
    with pytest.raises(QueryError, match="at most"):
        name.convert("x" * (name.max_length + 1))


def test_the_damping_range_is_the_one_the_explanation_endpoint_and_the_header_use():
    damping = next(p for p in load_library()["evidence_paths"].params if p.name == "damping")
    assert (damping.minimum, damping.maximum) == metapaths.DAMPING_RANGE


def test_a_header_without_a_range_is_refused(tmp_path):
    path = tmp_path / "bad.cypher"
    path.write_text("// Counts.\n// @param k integer = 3  How many\n// @columns n\nRETURN $k AS n\n")
    with pytest.raises(QueryError, match=r"integer\[MIN\.\.MAX\]"):
        parse_query_file(path)
    path.write_text("// Counts.\n// @param k integer[1..5] = 9  How many\n// @columns n\nRETURN $k AS n\n")
    with pytest.raises(QueryError, match="default"):
        parse_query_file(path)


@pytest.mark.parametrize("value", BAD_DAMPING)
def test_the_cli_refuses_bad_damping_before_the_graph_runs_it(graph_uri, store, ingest_outcomes, value):
    args = ["query", "evidence_paths", "-g", graph_uri, "--param", f"drug={PAIR['drug']}"]
    result = CliRunner().invoke(cli, [*args, "--param", f"disease={PAIR['disease']}", "--param", f"damping={value}"])
    assert result.exit_code == 2, result.output
    assert "damping" in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def live(graph_uri, store, ingest_outcomes, tmp_path_factory):
    trained = trained_for_service(store, tmp_path_factory)
    app = make_app(connector(graph_uri, 5.0), trained.model)
    with (
        serving(app, app.state.settings) as (base, _),
        httpx.Client(base_url=base, headers={"X-API-Key": API_KEY}, timeout=30) as http,
    ):
        yield http


def test_http_refuses_the_same_damping_values_as_the_cli(live):
    # JSON as a client may send it: Python's json (and so FastAPI) reads NaN and Infinity, and 1e400 overflows.
    literals = ["NaN", "Infinity", "-Infinity", "1e400", "-5", "1.5", *(f'"{value}"' for value in BAD_DAMPING)]
    for literal in literals:
        body = f'{{"params": {{"drug": "{PAIR["drug"]}", "disease": "{PAIR["disease"]}", "damping": {literal}}}}}'
        response = live.post("/v1/queries/evidence_paths", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, (literal, response.text)
        assert response.json()["errors"][0]["field"] == "body.params.damping", (literal, response.text)
    ok = live.post("/v1/queries/evidence_paths", json={"params": {**PAIR, "damping": 0.4}})
    assert ok.status_code == 200 and all(math.isfinite(r["pdp"]) for r in ok.json()["rows"])


def test_pgx_annotations_accept_a_gene_symbol_over_http(live):
    response = live.post("/v1/queries/pgx_annotations_for_gene", json={"params": {"gene": "CYP2C19"}})
    assert response.status_code == 200, response.text
    by_curie = live.post("/v1/queries/pgx_annotations_for_gene", json={"params": {"gene": "NCBIGene:1557"}})
    assert by_curie.json()["rows"] == response.json()["rows"]
    bad = live.post("/v1/queries/pgx_annotations_for_gene", json={"params": {"gene": "CYP2C19\u0000"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.params.gene"
