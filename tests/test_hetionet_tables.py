"""Hetionet's compiled CbG and DaG tables replace the edge file's 5,000-edge samples of those metaedges."""

from __future__ import annotations

import shutil

import pytest
from pmkg.ingest import hetionet

from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def result():
    return hetionet.run(FIXTURES)


def test_binding_edges_come_complete_from_the_table_with_their_evidence(result):
    targets = [e for e in result.edges if e.type == "TARGETS"]
    assert len(targets) == 141  # every fixture row with both ends in the nodes file (one outside is skipped)
    assert all(e.props["metaedge"] == "CbG" and e.props["evidence"] for e in targets)
    aspirin = [e for e in targets if e.src == "DRUGBANK:DB00945" and e.dst == "NCBIGene:5742"]
    assert aspirin and "affinity_nM" not in aspirin[-1].props  # 'strong' is not a number: left out, warned
    assert any("affinity_nM 'strong' is not a number" in w for w in result.warnings)
    assert any(e.props.get("pmids") for e in targets) and any(e.props.get("affinity_nM") for e in targets)
    assert result.skipped["CbG table row outside Hetionet's nodes"] == 1
    assert result.skipped["CbG (read complete from its compiled table)"] > 0


def test_association_edges_keep_each_rows_licence(result):
    assoc = [e for e in result.edges if e.type == "ASSOCIATED_WITH" and e.src_label == "Disease"]
    assert len(assoc) == 140 and all(e.props["metaedge"] == "DaG" for e in assoc)
    assert {e.props["license"] for e in assoc} >= {"ODbL 1.0"}
    assert result.skipped["DaG table row outside Hetionet's nodes"] == 1
    assert any(str(p).endswith("DaG-association.tsv") for p in result.files)


def test_without_the_tables_the_edge_file_sample_is_read(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "hetionet", data / "hetionet")
    (data / "hetionet" / "CbG-binding.tsv").unlink()
    (data / "hetionet" / "DaG-association.tsv").unlink()
    plain = hetionet.run(data)
    cbg = [e for e in plain.edges if e.props.get("metaedge") == "CbG"]
    assert cbg and all("evidence" not in e.props for e in cbg)
