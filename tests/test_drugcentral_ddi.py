"""DrugCentral interactions: ingest (undirected, merged, damaged rows named), the graph, and the model's exclusion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pmkg.gnn.patient_train import PatientTrainConfig
from pmkg.gnn.train import TrainConfig, model_inputs, without_relations
from pmkg.ingest import drugcentral_ddi
from pmkg.ingest.base import IngestError
from pmkg.kg.export import GraphExport

from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "drugcentral-ddi" / "drug_interactions.csv"
WARFARIN = "DRUGBANK:DB00682"


def _data_dir(tmp_path: Path, text: str) -> Path:
    (tmp_path / "drugcentral-ddi").mkdir()
    (tmp_path / "drugcentral-ddi" / "drug_interactions.csv").write_text(text)
    return tmp_path


def test_the_fixture_ingests_as_undirected_edges_with_risk_and_provenance():
    result = drugcentral_ddi.run(FIXTURES)
    assert result.skipped == {drugcentral_ddi.SKIP_SELF: 1, drugcentral_ddi.SKIP_MALFORMED: 3}
    assert all(e.type == "INTERACTS_WITH" and e.src < e.dst for e in result.edges)  # one edge per unordered pair
    assert len({(e.src, e.dst) for e in result.edges}) == len(result.edges)
    edge = next(e for e in result.edges if WARFARIN in (e.src, e.dst))
    assert edge.props["source"] == "drugcentral-ddi" and edge.props["license"].startswith("CC BY-SA")
    assert edge.props["directed"] is False and edge.props["risk"] in drugcentral_ddi.RISK_ORDER
    assert result.files and sum(result.rows_read.values()) == 396


def test_damaged_rows_are_named_by_file_line_and_field():
    result = drugcentral_ddi.run(FIXTURES)
    assert [w.split(": ", 1)[0] for w in result.warnings] == [f"{FIXTURE}:{n}" for n in (395, 396, 397)]
    assert "field id1 is not a DrugBank id" in result.warnings[1]
    assert "field ddi_risk is not one of" in result.warnings[2]


def test_both_orders_and_several_risks_of_one_pair_merge_to_the_most_severe(tmp_path):
    text = "id1,id2,ddi_risk\nDB00945,DB00682,Significant\nDB00682,DB00945,Critical\nDB00682,DB00945,Significant\n"
    result = drugcentral_ddi.run(_data_dir(tmp_path, text))
    (edge,) = result.edges
    assert (edge.src, edge.dst) == ("DRUGBANK:DB00682", "DRUGBANK:DB00945")
    assert edge.props["risk"] == "Critical" and edge.props["risks"] == ["Critical", "Significant"]
    assert edge.props["rows"] == 3


def test_a_wrong_header_is_refused_with_the_file_and_what_it_expected(tmp_path):
    with pytest.raises(IngestError, match=r"drug_interactions.csv: line 1: expected the header id1,id2,ddi_risk"):
        drugcentral_ddi.run(_data_dir(tmp_path, "a,b,c\nDB00945,DB00682,Critical\n"))


def test_the_graph_holds_the_interactions_and_an_undirected_query_finds_both_sides(store, ingest_outcomes):
    rows = store.run(
        "MATCH (a:Drug)-[i:INTERACTS_WITH]->(b:Drug) RETURN count(i) AS n, count(DISTINCT i.source) AS sources"
    )
    expected = len(drugcentral_ddi.run(FIXTURES).edges)
    assert rows[0]["n"] == expected and rows[0]["sources"] == 1  # every pair's two drugs are in the graph
    either = store.run(
        "MATCH (w:Drug {id: $w})-[i:INTERACTS_WITH]-(d:Drug) RETURN count(DISTINCT d) AS n", {"w": WARFARIN}
    )
    table = drugcentral_ddi.load_interactions(FIXTURES)
    assert either[0]["n"] == len(table.by_drug[WARFARIN]) > 0


def test_the_repurposing_model_leaves_drug_interactions_out_but_keeps_protein_interactions():
    export = GraphExport(
        node_ids={"Drug": ["a", "b"], "Gene": ["g", "h"]},
        edges={
            ("Drug", "INTERACTS_WITH", "Drug"): np.array([[0], [1]]),
            ("Gene", "INTERACTS_WITH", "Gene"): np.array([[0], [1]]),
        },
    )
    view = model_inputs(export, TrainConfig())
    assert list(view.edges) == [("Gene", "INTERACTS_WITH", "Gene")]
    patient_view = without_relations(export, PatientTrainConfig().exclude_relations)  # the patient model too
    assert list(patient_view.edges) == [("Gene", "INTERACTS_WITH", "Gene")]
