"""The named query library: headers parse, parameters are checked, and each query returns real rows."""

from __future__ import annotations

import pytest
from pmkg.kg.queries import QueryError, get_query, is_read_only, load_library, parse_query_file, run_query
from pmkg.queries import QUERY_DIR


def test_every_query_file_has_a_complete_header():
    library = load_library()
    assert {"repurposing_candidates", "drug_disease_evidence"} <= set(library)
    for query in library.values():
        assert query.description and query.example.startswith(f"pmkg query {query.name}")
        assert query.columns, f"{query.name} lacks @columns"
        assert is_read_only(query), query.name
        for param in query.params:
            assert f"${param.name}" in query.text, f"{query.name} declares unused parameter {param.name}"


def test_parameters_are_converted_defaulted_and_checked():
    query = get_query("repurposing_candidates")
    assert query.bind({"disease": "DOID:1612"}) == {"disease": "DOID:1612", "k": 10}
    assert query.bind({"disease": "DOID:1612", "k": "3"})["k"] == 3
    with pytest.raises(QueryError, match="has no parameter 'disese'"):
        query.bind({"disese": "DOID:1612"})
    with pytest.raises(QueryError, match="needs --param disease"):
        query.bind({})
    with pytest.raises(QueryError, match=r"expects integer\[1\.\.1000\], got 'ten'"):
        query.bind({"disease": "DOID:1612", "k": "ten"})
    with pytest.raises(QueryError, match="between 1 and 1000"):
        query.bind({"disease": "DOID:1612", "k": "-1"})


def test_unknown_query_lists_the_available_ones():
    with pytest.raises(QueryError, match="available: .*repurposing_candidates"):
        get_query("repurposing")


def test_a_write_clause_is_refused(tmp_path):
    path = tmp_path / "evil.cypher"
    path.write_text("// Deletes everything.\n// @columns n\nMATCH (n) DETACH DELETE n RETURN 1 AS n\n")
    assert not is_read_only(parse_query_file(path))
    harmless = tmp_path / "fine.cypher"
    harmless.write_text("// A literal is not a clause.\n// @columns s\nRETURN 'SET me DELETE you' AS s\n")
    assert is_read_only(parse_query_file(harmless))


def test_evidence_paths_follow_real_edges(store, ingest_outcomes):
    # Fixture rows: Compound::DB00773 CbG Gene::5243 and Disease::DOID:8577 DaG Gene::5243.
    _, rows = run_query(store, "drug_disease_evidence", {"drug": "DRUGBANK:DB00773", "disease": "DOID:8577", "n": "50"})
    assert rows and all(1 <= r["hops"] <= 3 for r in rows)
    assert [r["hops"] for r in rows] == sorted(r["hops"] for r in rows)
    via_target = [r for r in rows if r["node_ids"] == ["DRUGBANK:DB00773", "NCBIGene:5243", "DOID:8577"]]
    assert via_target and via_target[0]["relationships"] == ["TARGETS", "ASSOCIATED_WITH"]
    assert via_target[0]["sources"] == ["hetionet", "hetionet"]
    assert all(not rel.startswith("PREDICTED") for r in rows for rel in r["relationships"])


def test_unknown_disease_returns_no_rows(store, ingest_outcomes):
    _, rows = run_query(store, "repurposing_candidates", {"disease": "DOID:0000000"})
    assert rows == []


def test_query_dir_is_shipped_with_the_package():
    assert (QUERY_DIR / "repurposing_candidates.cypher").is_file()
