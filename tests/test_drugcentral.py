"""DrugCentral ingest from fixtures cut from the real 2016 tables (tools/fixtures/cut_drugcentral.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pmkg.ingest import drugcentral
from pmkg.ingest.base import IngestError
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.writer import GraphWriter

from pmkg.workflows.ingest import ingest_sources
from tests.conftest import FIXTURES

DRUGCENTRAL = FIXTURES / "drugcentral"


def hetionet_gene_symbols() -> dict[str, str]:
    """Symbol -> NCBIGene from the Hetionet fixture's Gene nodes, whose names are HGNC symbols."""
    symbols = {}
    with open(FIXTURES / "hetionet" / "hetionet-v1.0-nodes.tsv", encoding="utf-8") as fh:
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 3 and fields[2] == "Gene":  # the fixture ends with malformed rows
                symbols[fields[1]] = f"NCBIGene:{fields[0].removeprefix('Gene::')}"
    return symbols


def fixture_resolver() -> Resolver:
    """The drug aliases of the DrugCentral fixture, and gene symbols of the genes the test graph has."""
    drugs = Resolver.from_data_dir(FIXTURES).drugs.canonical
    return Resolver.from_tables(drugs=dict(drugs), gene_symbols=hetionet_gene_symbols())


def line_of(path: Path, text: str) -> int:
    """1-based number of the first line of ``path`` that contains ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


@pytest.fixture(scope="module")
def result():
    return drugcentral.run(FIXTURES, fixture_resolver())


def node(result, curie):
    return next(n for n in result.nodes if n.id == curie)


def edge(result, rel_type, src, dst):
    return next(e for e in result.edges if (e.type, e.src, e.dst) == (rel_type, src, dst))


def test_drug_nodes_under_canonical_ids_with_names_and_xrefs(result):
    aspirin = node(result, "DRUGBANK:DB00945")
    assert aspirin.label == "Drug"
    assert aspirin.props["name"] == "acetylsalicylic acid"
    assert aspirin.props["drugcentral_id"] == "74"
    assert {
        "CHEMBL.COMPOUND:CHEMBL25",
        "PUBCHEM.COMPOUND:2244",
        "UMLS:C0004057",
        "MESH:D001241",
        "UNII:4995924SMK",
        "CHEBI:15365",  # upstream writes CHEBI:CHEBI:15365's local part with its prefix; collapsed once
        "DRUGCENTRAL:74",
    } <= set(aspirin.props["xrefs"])
    assert aspirin.props["xrefs"] == sorted(aspirin.props["xrefs"])
    # DrugCentral also lists salicylic acid's DB00936 under aspirin; it resolves to salicylic acid, not here.
    assert "DRUGBANK:DB00936" not in aspirin.props["xrefs"]
    assert node(result, "DRUGBANK:DB00936").props["name"] == "salicylic acid"
    # Product codes (NDDF, VUID ...) are not drug aliases.
    assert not any(x.startswith(("NDDF:", "VUID:", "NUI:")) for x in aspirin.props["xrefs"])
    assert len({n.id for n in result.nodes if n.label == "Drug"}) == len([n for n in result.nodes if n.label == "Drug"])


def test_drugs_sharing_a_canonical_id_become_one_node_named_after_the_parent(result):
    indometacin = node(result, "DRUGBANK:DB00328")  # acemetacin (47) is indomethacin's ester; both list DB00328
    assert indometacin.props["name"] == "indomethacin"
    assert indometacin.props["drugcentral_id"] == "1440"
    assert indometacin.props["drugcentral_ids"] == ["47", "1440"]
    assert indometacin.props["synonyms"] == ["acemetacin"]
    assert {"DRUGCENTRAL:47", "DRUGCENTRAL:1440"} <= set(indometacin.props["xrefs"])


def test_targets_carry_action_family_evidence_and_references(result):
    tolcapone = edge(result, "TARGETS", "DRUGBANK:DB00323", "NCBIGene:1312")  # tolcapone -> COMT
    assert tolcapone.props["action_type"] == "INHIBITOR"
    assert tolcapone.props["target_class"] == "Enzyme"
    assert tolcapone.props["evidence"] == "CHEMBL"
    assert tolcapone.props["chembl_id"] == "CHEMBL1324"
    assert tolcapone.props["uniprot"] == ["P21964"]
    assert tolcapone.props["target_name"] == ["Catechol O-methyltransferase"]
    assert tolcapone.props["reference"] == ["https://www.ebi.ac.uk/chembl/compound/inspect/CHEMBL1324"]
    assert tolcapone.props["pmids"] == []
    # alacepril's ACE row cites a PubMed URL; alacepril and captopril share DB01197
    ace = edge(result, "TARGETS", "DRUGBANK:DB01197", "NCBIGene:1636")
    assert ace.props["pmids"] == ["3000389"]
    assert ace.props["evidence"] == "SCIENTIFIC LITERATURE"


def test_a_row_naming_several_genes_gives_one_edge_per_gene(result):
    olsalazine = [e for e in result.edges if e.type == "TARGETS" and e.src == "DRUGBANK:DB01250"]
    genes = {e.dst for e in olsalazine}
    assert {"NCBIGene:5742", "NCBIGene:5743", "NCBIGene:5468"} <= genes  # PTGS1|PTGS2 row, and PPARG
    assert edge(result, "TARGETS", "DRUGBANK:DB01250", "NCBIGene:5742").props["uniprot"] == ["P23219", "P35354"]


def test_rows_of_one_drug_and_gene_merge_into_one_edge(result):
    # acemetacin (KEGG DRUG) and indomethacin (CHEMBL) both inhibit PTGS1 and resolve to DB00328
    ptgs1 = [e for e in result.edges if (e.type, e.src, e.dst) == ("TARGETS", "DRUGBANK:DB00328", "NCBIGene:5742")]
    assert len(ptgs1) == 1
    assert ptgs1[0].props["evidence"] == "KEGG DRUG; CHEMBL"
    assert ptgs1[0].props["reference"] == [
        "http://www.kegg.jp/entry/D01582",
        "https://www.ebi.ac.uk/chembl/compound/inspect/CHEMBL6",
    ]


def test_non_human_targets_are_counted_and_unresolved_symbols_reported(result):
    assert result.skipped["non-human target"] == 1  # trimethoprim -> E. coli folA
    assert not [e for e in result.edges if e.type == "TARGETS" and e.src == "DRUGBANK:DB00440"]
    assert result.unresolved["gene symbol"] == 2
    assert sorted(result.unresolved_examples["gene symbol"]) == ["ALOX5", "IGF1R"]  # not among the graph's genes
    assert {e.dst for e in result.edges if e.type == "TARGETS"} <= set(hetionet_gene_symbols().values())


def test_pharmacologic_classes_get_prefixes_by_source(result):
    fda = node(result, "NDFRT:N0000175884")
    assert fda.label == "PharmacologicClass"
    assert fda.props["name"] == "Cholinergic Receptor Agonist"
    assert (fda.props["class_type"], fda.props["class_source"]) == ("EPC", "FDA")
    mesh = node(result, "MESH:D000759")
    assert (mesh.props["name"], mesh.props["class_type"]) == ("Adjuvants, Anesthesia", "PA")
    chebi = node(result, "CHEBI:35610")
    assert (chebi.props["name"], chebi.props["class_type"]) == ("antineoplastic agent", "has role")
    pilocarpine = edge(result, "IN_CLASS", "DRUGBANK:DB01085", "NDFRT:N0000175884")
    assert pilocarpine.props["evidence"] == "FDA"
    prefixes = {n.id.split(":")[0] for n in result.nodes if n.label == "PharmacologicClass"}
    assert prefixes == {"NDFRT", "MESH", "CHEBI"}
    memberships = [e for e in result.edges if e.type in ("IN_CLASS", "IN_THERAPEUTIC_CLASS")]
    assert len(memberships) == 60  # every real class row of the fixture


def test_therapeutic_use_classes_get_their_own_relationship(result):
    """A use class restates indications: it must not reach the model as an ordinary class membership."""
    chebi = node(result, "CHEBI:35610")
    assert chebi.props["use"] == "therapeutic_use"
    assert node(result, "NDFRT:N0000175884").props["use"] == "mechanism"
    uses = {n.id: n.props["use"] for n in result.nodes if n.label == "PharmacologicClass"}
    for e in result.edges:
        if e.type == "IN_THERAPEUTIC_CLASS":
            assert uses[e.dst] == "therapeutic_use"
        elif e.type == "IN_CLASS":
            assert uses[e.dst] == "mechanism"
    assert any(e.type == "IN_THERAPEUTIC_CLASS" for e in result.edges)


def test_every_record_has_provenance_and_every_file_a_checksum(result):
    for record in [*result.nodes, *result.edges]:
        assert record.props["source"] == "drugcentral"
        assert record.props["source_version"] == "2016-05-09"
        assert record.props["license"] == "Creative Commons Attribution 4.0 International (CC BY 4.0)"
    names = ["identifiers.tsv", "idtype.tsv", "drug_target.tsv", "pharm_class.tsv"]
    assert set(result.files) == {str(DRUGCENTRAL / name) for name in names}
    assert all(len(digest) == 64 for digest in result.files.values())
    assert result.rows_read["drug_target.tsv"] == 51 and result.rows_read["pharm_class.tsv"] == 64


def test_malformed_rows_are_warned_with_file_and_line_and_skipped(result):
    identifiers, targets = DRUGCENTRAL / "identifiers.tsv", DRUGCENTRAL / "drug_target.tsv"
    classes = DRUGCENTRAL / "pharm_class.tsv"
    expected = {
        "wrong column count": 3,
        "malformed DRUG_ID": 2,
        "ID_TYPE not in idtype.tsv": 1,
        "empty IDENTIFIER": 1,
        "human target without a gene symbol": 1,
        "unknown class SOURCE": 1,
        "malformed class id": 1,
    }
    assert {reason: result.skipped[reason] for reason in expected} == expected
    warnings = "\n".join(result.warnings)
    assert f"{identifiers}:{line_of(identifiers, 'X74')}: DRUG_ID 'X74' is not a number" in warnings
    assert f"{identifiers}:{line_of(identifiers, 'FAVOURITE_ID')}: ID_TYPE 'FAVOURITE_ID' is not listed" in warnings
    assert f"{targets}:{line_of(targets, 'unknown drug')}: DRUG_ID 999999 is not in identifiers.tsv" in warnings
    assert f"{classes}:{line_of(classes, 'unknown drug')}: DRUG_ID 999999 is not in identifiers.tsv" in warnings
    assert "class SOURCE 'WHO' is not one of MeSH, FDA, CHEBI" in warnings
    assert result.unresolved["drug DrugCentral id"] == 2  # the 999999 rows of drug_target and pharm_class
    # the rest of the drug's rows are kept
    assert node(result, "DRUGBANK:DB00945").props["drugcentral_id"] == "74"


def test_wrong_header_or_missing_file_raises_naming_the_file(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DRUGCENTRAL, data / "drugcentral")
    target = data / "drugcentral" / "drug_target.tsv"
    lines = target.read_text(encoding="utf-8").splitlines()
    target.write_text("\n".join(["DRUG\tTARGET", *lines[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"drug_target\.tsv:1: header lacks column\(s\) DRUG_ID"):
        drugcentral.run(data, fixture_resolver())
    (data / "drugcentral" / "idtype.tsv").unlink()
    with pytest.raises(IngestError, match=r"idtype\.tsv"):
        drugcentral.run(data, fixture_resolver())


def test_records_land_in_the_graph_and_rewriting_changes_nothing(store, ingest_outcomes):
    result = drugcentral.run(FIXTURES, fixture_resolver())
    writer = GraphWriter(store, progress=False)
    report = writer.write(result.nodes, result.edges, what="drugcentral")
    assert not any(stats.invalid for stats in [*report.nodes.values(), *report.edges.values()])
    targets = [{"src": e.src, "dst": e.dst} for e in result.edges if e.type == "TARGETS"]
    landed = store.run(
        "UNWIND $pairs AS p MATCH (:Drug {id: p.src})-[r:TARGETS {source: 'drugcentral'}]->(:Gene {id: p.dst}) "
        "RETURN count(r) AS n",
        {"pairs": targets},
    )
    assert landed[0]["n"] == len(targets)  # every gene is one of the fixture graph's
    counts = (
        "MATCH (d:Drug) WHERE 'drugcentral' IN d.sources WITH count(d) AS drugs "
        "MATCH ()-[r {source: 'drugcentral'}]->() RETURN drugs, count(r) AS edges"
    )
    before = store.run(counts)
    assert before[0]["drugs"] >= len({n.id for n in result.nodes if n.label == "Drug"})
    writer.write(result.nodes, result.edges, what="drugcentral")
    assert store.run(counts) == before
    shared = store.run("MATCH (c:PharmacologicClass {id: 'NDFRT:N0000000069'}) RETURN c.sources AS s")
    assert {"hetionet", "drugcentral"} <= set(shared[0]["s"])
    # The pipeline runs drugcentral before hetionet so Hetionet's names win; restore that order for later tests.
    ingest_sources(store, FIXTURES, ["hetionet"], progress=False)
    assert store.run("MATCH (d:Drug {id: 'DRUGBANK:DB00945'}) RETURN d.name AS name") == [
        {"name": "Acetylsalicylic acid"}
    ]
