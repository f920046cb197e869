"""SIDER 4.1 ingest from fixtures cut from the real files (tools/fixtures/cut_sider.py)."""

from __future__ import annotations

import gzip
import shutil

import pytest
from pmkg.ingest import drugcentral, sider
from pmkg.ingest.base import IngestError
from pmkg.kg.writer import GraphWriter

from pmkg.workflows.ingest import ingest_sources
from tests.conftest import FIXTURES

SIDER = FIXTURES / "sider"
LICENSE = "CC BY-NC-SA 4.0 (Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International)"


@pytest.fixture(scope="module")
def result():
    # The default resolver reads the DrugCentral identifiers fixture, which holds these compounds' PubChem CIDs.
    return sider.run(FIXTURES)


def edges_of(result, drug):
    return {e.dst: e for e in result.edges if e.src == drug}


def gz_rows(name):
    with gzip.open(SIDER / name, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for line in fh]


def gz_line_of(name, text):
    with gzip.open(SIDER / name, "rt", encoding="utf-8") as fh:
        return next(number for number, line in enumerate(fh, start=1) if text in line)


def test_stitch_compounds_resolve_through_pubchem_to_canonical_drugs(result):
    aspirin = edges_of(result, "DRUGBANK:DB00945")  # CID 2244
    assert set(aspirin) == {"UMLS:C0002064", "UMLS:C0002792", "UMLS:C0002871", "UMLS:C0002994", "UMLS:C0004096"}
    assert aspirin["UMLS:C0004096"].props["stitch_ids"] == ["CID000002244", "CID100002244"]
    # the stereo CID names the compound on the label: levalbuterol (CHEMBL1002), not salbutamol (flat CID 2083)
    levalbuterol = edges_of(result, "CHEMBL.COMPOUND:CHEMBL1002")
    assert levalbuterol["UMLS:C0004096"].props["stitch_ids"] == ["CID000123600", "CID100002083"]
    assert "UMLS:C0004096" not in edges_of(result, "DRUGBANK:DB01001")
    assert "UMLS:C0006277" in edges_of(result, "DRUGBANK:DB01001")  # salbutamol's own label, stereo CID 2083
    # DrugCentral lacks betaxolol's stereo CID 60656: the flat CID 2369 resolves it
    betaxolol = edges_of(result, "DRUGBANK:DB00195")
    assert betaxolol["UMLS:C0002170"].props["stitch_ids"] == ["CID000060656", "CID100002369"]
    assert betaxolol["UMLS:C0011570"].props["stitch_ids"] == ["CID000002369", "CID100002369"]


def test_one_edge_per_drug_and_preferred_term(result):
    pairs = [(e.src, e.dst) for e in result.edges]
    assert len(pairs) == len(set(pairs)) == 40
    # Carvedilol's label terms "Angina pectoris" and "Angina unstable" both fall under the PT Angina pectoris.
    angina = edges_of(result, "DRUGBANK:DB01136")["UMLS:C0002962"]
    assert angina.props["label_terms"] == ["UMLS:C0002962", "UMLS:C0002965"]
    # "Abdominal pain" on a label has two PTs, so two edges
    estradiol = edges_of(result, "DRUGBANK:DB00783")
    assert {"UMLS:C0000737", "UMLS:C0687713"} <= set(estradiol)
    assert estradiol["UMLS:C0687713"].props["label_terms"] == ["UMLS:C0000737"]
    llt_rows = sum(row[3] == "LLT" for row in gz_rows("meddra_all_se.tsv.gz")) + sum(
        len(row) == 10 and row[7] == "LLT" for row in gz_rows("meddra_freq.tsv.gz")
    )
    assert result.skipped[sider.SKIP_LLT] == llt_rows == 238
    assert result.skipped[sider.SKIP_NO_TERM] == 4  # estradiol's and carvedilol's MedDRA group-term rows


def test_frequencies_and_placebo_frequencies_are_kept_apart(result):
    carvedilol = edges_of(result, "DRUGBANK:DB01136")
    albuminuria = carvedilol["UMLS:C0001925"].props
    assert albuminuria["frequency"] == ["1.6%"]
    assert (albuminuria["frequency_lower"], albuminuria["frequency_upper"]) == (0.016, 0.016)
    assert albuminuria["placebo_frequency"] == ["1.1%"]
    assert (albuminuria["placebo_frequency_lower"], albuminuria["placebo_frequency_upper"]) == (0.011, 0.011)
    angina = carvedilol["UMLS:C0002962"].props
    assert angina["frequency"] == ["0.1%", "1.1%", "2%", "2.7%", "4.1%", "5.5%", "6%"]
    assert (angina["frequency_lower"], angina["frequency_upper"]) == (0.001, 0.06)
    assert (angina["placebo_frequency_lower"], angina["placebo_frequency_upper"]) == (0.001, 0.041)
    postmarketing = edges_of(result, "DRUGBANK:DB00783")["UMLS:C0000731"].props  # estradiol, abdominal distension
    assert "postmarketing" in postmarketing["frequency"] and postmarketing["frequency_upper"] == 1.0
    no_frequency = edges_of(result, "DRUGBANK:DB00945")["UMLS:C0002994"].props  # aspirin's label gives none
    assert not {"frequency", "placebo_frequency"} & set(no_frequency)
    assert no_frequency["evidence"] == "drug label"


def test_side_effect_nodes_are_umls_preferred_terms_with_names(result):
    names = {n.id: n.props["name"] for n in result.nodes}
    assert {n.label for n in result.nodes} == {"SideEffect"}
    assert names["UMLS:C0687713"] == "Gastrointestinal pain"
    assert names["UMLS:C0002962"] == "Angina pectoris"
    assert {e.dst for e in result.edges} <= set(names)
    assert len(names) == len(result.nodes) == 28


def test_unresolved_compounds_are_counted_once_with_examples(result):
    assert result.unresolved == {sider.UNRESOLVED_KIND: 1}
    assert result.unresolved_examples[sider.UNRESOLVED_KIND] == [
        "PUBCHEM.COMPOUND:143 (CID000000143, flat CID100000143)"
    ]
    pt_rows_of_143 = sum(row[0] == "CID100000143" and row[3] == "PT" for row in gz_rows("meddra_all_se.tsv.gz"))
    pt_rows_of_143 += sum(row[0] == "CID100000143" and row[7] == "PT" for row in gz_rows("meddra_freq.tsv.gz"))
    assert result.skipped[sider.SKIP_UNRESOLVED] == pt_rows_of_143 > 0
    assert not [e for e in result.edges if "CID100000143" in e.props["stitch_ids"]]


def test_every_record_has_provenance(result):
    for record in [*result.nodes, *result.edges]:
        assert (record.props["source"], record.props["source_version"]) == ("sider", "4.1")
        assert record.props["license"] == LICENSE
    names = ["meddra_all_se.tsv.gz", "meddra_freq.tsv.gz", "side-effect-terms.tsv"]
    assert set(result.files) == {str(SIDER / name) for name in names}
    assert result.rows_read == {"meddra_all_se.tsv.gz": 94, "meddra_freq.tsv.gz": 470, "side-effect-terms.tsv": 30}


def test_malformed_rows_are_warned_with_file_and_line_and_skipped(result):
    expected = {
        "wrong column count": 3,
        "malformed STITCH id": 1,
        "unknown MedDRA concept type": 1,
        "malformed UMLS CUI": 1,
        "malformed frequency bound": 1,
        "unknown placebo flag": 1,
        "frequency bounds out of order or outside 0..1": 1,
        "frequency of a pair meddra_all_se lacks": 1,
        "malformed side-effect term": 1,
    }
    assert {reason: result.skipped[reason] for reason in expected} == expected
    se, freq = SIDER / "meddra_all_se.tsv.gz", SIDER / "meddra_freq.tsv.gz"
    warnings = "\n".join(result.warnings)
    assert f"{se}:{gz_line_of(se.name, 'CID1002244')}: expected STITCH ids" in warnings
    assert f"{se}:{gz_line_of(se.name, 'HLT')}: MedDRA concept type 'HLT'" in warnings
    assert f"{freq}:{gz_line_of(freq.name, '1-0%')}: frequency bounds 0.01..0" in warnings  # a real SIDER row
    assert f"{freq}:{gz_line_of(freq.name, 'Crystalluria')}: CID100002244/CID000002244 and C0152175" in warnings
    assert f"{SIDER / 'side-effect-terms.tsv'}:31: expected a UMLS CUI and a name" in warnings
    assert "UMLS:C0002994" in edges_of(result, "DRUGBANK:DB00945")  # the drug's good rows are kept


def test_truncated_gzip_or_foreign_file_raises_naming_the_file(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(SIDER, data / "sider")
    se = data / "sider" / "meddra_all_se.tsv.gz"
    se.write_bytes(se.read_bytes()[: se.stat().st_size // 2])
    with pytest.raises(IngestError, match=r"meddra_all_se\.tsv\.gz:\d+: not a readable file"):
        sider.run(data)
    shutil.copy(SIDER / "meddra_all_se.tsv.gz", se)
    freq = data / "sider" / "meddra_freq.tsv.gz"
    with gzip.open(freq, "wt", encoding="utf-8") as fh:  # a headed file where SIDER has none
        fh.write("stitch_id\tumls_cui\tfrequency\n")
    with pytest.raises(IngestError, match=r"meddra_freq\.tsv\.gz:1: does not look like SIDER meddra_freq"):
        sider.run(data)


def test_edges_land_in_the_graph_and_rewriting_changes_nothing(store, ingest_outcomes):
    writer = GraphWriter(store, progress=False)
    # The pipeline runs drugcentral before sider: its Drug nodes (CHEMBL1002 ...) are the edges' sources.
    writer.write([n for n in drugcentral.run(FIXTURES).nodes if n.label == "Drug"], [], what="drugcentral drugs")
    result = sider.run(FIXTURES)
    report = writer.write(result.nodes, result.edges, what="sider")
    assert not any(stats.invalid or stats.dangling for stats in [*report.nodes.values(), *report.edges.values()])
    pairs = [{"src": e.src, "dst": e.dst} for e in result.edges]
    count = (
        "UNWIND $pairs AS p MATCH (:Drug {id: p.src})-[r:CAUSES_SIDE_EFFECT {source: 'sider'}]->"
        "(:SideEffect {id: p.dst}) RETURN count(r) AS n"
    )
    assert store.run(count, {"pairs": pairs}) == [{"n": 40}]
    totals = "MATCH ()-[r:CAUSES_SIDE_EFFECT {source: 'sider'}]->() RETURN count(r) AS n"
    before = store.run(totals)
    writer.write(result.nodes, result.edges, what="sider")
    assert store.run(totals) == before
    angina = store.run(
        "MATCH (:Drug {id: 'DRUGBANK:DB01136'})-[r:CAUSES_SIDE_EFFECT {source: 'sider'}]->"
        "(s:SideEffect {id: 'UMLS:C0002962'}) RETURN r.frequency_upper AS upper, s.name AS name"
    )
    assert angina == [{"upper": 0.06, "name": "Angina pectoris"}]
    # Restore the pipeline's order (drugcentral, then hetionet whose names win) for the tests that follow.
    ingest_sources(store, FIXTURES, ["hetionet"], progress=False)
