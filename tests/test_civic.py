"""CIViC ingest from fixtures cut from the real 01-Aug-2024 release (tools/fixtures/cut_civic.py)."""

from __future__ import annotations

import shutil

import pytest
from pmkg.ingest import civic
from pmkg.ingest.base import IngestError
from pmkg.ingest.hgvs import HgvsError, parse_expression, protein_key

from tests.conftest import FIXTURES

CIVIC = FIXTURES / "civic"
EVIDENCE = CIVIC / "01-Aug-2024-ClinicalEvidenceSummaries.tsv"
VEMURAFENIB, DABRAFENIB, TRAMETINIB = "DRUGBANK:DB08881", "DRUGBANK:DB08912", "DRUGBANK:DB08911"
ERLOTINIB, GEFITINIB, OSIMERTINIB = "DRUGBANK:DB00530", "DRUGBANK:DB00317", "DRUGBANK:DB09330"


@pytest.fixture(scope="module")
def result():
    return civic.run(FIXTURES)


def node(result, node_id):
    return next(n for n in result.nodes if n.id == node_id)


def edge(result, rel, src, dst):
    return next(e for e in result.edges if (e.type, e.src, e.dst) == (rel, src, dst))


def items(edge_record):
    """The edge's evidence items as dicts, from its parallel lists."""
    keys = [k for k in edge_record.props if k.startswith("evidence_") and k != "evidence_count"]
    count = len(edge_record.props["evidence_ids"])
    return [{k.removeprefix("evidence_"): edge_record.props[k][i] for k in keys} for i in range(count)]


def test_variants_keep_protein_change_hgvs_coordinates_and_link_to_gene_and_dbsnp(result):
    v600e = node(result, "CIVIC.VID:12").props
    assert v600e["name"] == "BRAF V600E" and v600e["protein_change"] == "V600E" and v600e["gene_symbol"] == "BRAF"
    assert (v600e["assembly"], v600e["chromosome"], v600e["start"], v600e["ref"], v600e["alt"]) == (
        "GRCh37", "7", 140453136, "A", "T",
    )  # fmt: skip
    assert "NP_004324.2:p.Val600Glu" in v600e["hgvs"] and v600e["rsids"] == ["rs113488022"]
    assert v600e["clinvar_ids"] == ["13961", "376069"] and "CLINVAR:13961" in v600e["xrefs"]
    assert edge(result, "IN_GENE", "CIVIC.VID:12", "NCBIGene:673")
    assert edge(result, "CORRESPONDS_TO", "CIVIC.VID:12", "dbSNP:rs113488022")
    assert node(result, "dbSNP:rs113488022").props["rsid"] == "rs113488022"
    # the codon-level variant has no protein change of its own beyond its codon, and no alleles to match on
    v600 = node(result, "CIVIC.VID:17").props
    assert v600["protein_change"] == "V600" and v600["ref"] == "" and v600["alt"] == ""
    # ClinVar ids the ClinVar file in use does not list are counted, never guessed
    assert "CLINVAR:13961" in result.unresolved_examples["ClinVar variation id (not in the ClinVar file in use)"]


def test_molecular_profiles_combine_variants_and_say_how_many_a_patient_needs(result):
    profiles = [n for n in result.nodes if n.label == "MolecularProfile"]
    rules = {n.id: (n.props["match_rule"], n.props.get("required_variants")) for n in profiles}
    assert rules["CIVIC.MP:12"] == ("single", 1)
    assert rules["CIVIC.MP:4170"] == ("all", 2)  # BRAF V600E AND BRAF V600M
    assert rules["CIVIC.MP:4432"] == ("any", 1)  # EGFR L858R OR EGFR Exon 19 Deletion
    assert rules["CIVIC.MP:4174"] == ("complex", None)  # BRAF Amplification AND ( BRAF V600E OR BRAF V600K )
    assert rules["CIVIC.MP:4353"] == ("negated", None)  # NOT KIT D816V
    assert node(result, "CIVIC.MP:4174").props["expression"] == "CIVIC.VID:1269 AND ( CIVIC.VID:12 OR CIVIC.VID:563 )"
    components = {e.dst for e in result.edges if e.type == "HAS_COMPONENT" and e.src == "CIVIC.MP:4170"}
    assert components == {"CIVIC.VID:12", "CIVIC.VID:1405"}


def test_profile_expressions_match_only_when_their_logic_holds():
    names = {1269: "BRAF Amplification", 12: "BRAF V600E", 563: "BRAF V600K"}
    expression, rule = civic.parse_profile("BRAF Amplification AND ( BRAF V600E OR BRAF V600K )", names)
    profile = civic.CivicProfile(4174, "x", list(names), expression, rule)
    assert profile.matches({1269, 563}) and profile.matches({1269, 12})
    assert not profile.matches({12, 563}) and not profile.matches({1269})
    negated = civic.CivicProfile(4353, "NOT KIT D816V", [65], *civic.parse_profile("NOT KIT D816V", {65: "KIT D816V"}))
    assert negated.rule == "negated" and not negated.matches(set()) and not negated.matches({65})
    # lower-case 'and'/'or' belong to a variant's name, and a one-variant profile is its variant
    one = civic.parse_profile("PIK3CA Exon 10 or Exon 21 Mutation", {3311: "PIK3CA Exon 10 and 21"})
    assert one == (("var", 3311), "single")
    assert civic.parse_profile("A X AND B Y", {1: "A X", 2: "C Z"}) == (None, "unparsed")


def test_predictive_evidence_is_a_typed_edge_with_every_item_qualified(result):
    sensitivity = edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:12", VEMURAFENIB)
    by_id = {item["ids"]: item for item in items(sensitivity)}
    # CIViC files the level A item under skin melanoma (DOID:8923)
    assert by_id["CIVIC.EID:1409"] == {
        "ids": "CIVIC.EID:1409", "levels": "A", "ratings": 5, "directions": "Supports", "disease_ids": "DOID:8923",
        "disease_names": "Skin Melanoma", "origins": "Somatic", "citations": "PMID:21639808", "interactions": "",
        "flagged": False,
    }  # fmt: skip
    assert sensitivity.props["best_level"] == "A" and sensitivity.props["supported"] is True
    assert "21639808" in sensitivity.props["pmids"] and sensitivity.props["source"] == "civic"
    assert sensitivity.props["source_version"] == "01-Aug-2024"


def test_does_not_support_is_kept_and_never_read_as_support(result):
    vemurafenib = edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:12", VEMURAFENIB).props
    assert "CIVIC.EID:1405" in vemurafenib["refuting_evidence_ids"]  # colorectal cancer, Does Not Support
    assert "CIVIC.EID:1405" not in vemurafenib["supporting_evidence_ids"]
    # dabrafenib alone in colorectal cancer: only a Does Not Support item, so the edge supports nothing
    dabrafenib = edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:12", DABRAFENIB).props
    assert dabrafenib["supported"] is False and dabrafenib["best_level"] is None
    assert set(dabrafenib["evidence_directions"]) == {"Does Not Support"}


def test_combinations_are_their_own_node_and_substitutes_one_edge_per_drug(result):
    combo = f"PMKG.COMBINATION:{DABRAFENIB.split(':')[1]}+{TRAMETINIB.split(':')[1]}"
    assert node(result, combo).props["name"] == "dabrafenib + trametinib"
    assert node(result, combo).props["interaction_type"] == "Combination"
    assert {e.dst for e in result.edges if e.type == "HAS_COMPONENT" and e.src == combo} == {DABRAFENIB, TRAMETINIB}
    together = edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:12", combo).props
    assert {"CIVIC.EID:95", "CIVIC.EID:6178"} <= set(together["evidence_ids"])
    assert (
        "CIVIC.EID:95" not in edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:12", DABRAFENIB).props["evidence_ids"]
    )
    # an assertion (AMP tier, FDA companion test, NCCN guideline) joins the edge of its own therapy
    assert together["assertion_ids"] == ["CIVIC.AID:7"] and together["assertion_amp_categories"] == ["Tier I - Level A"]
    assert together["assertion_fda_companion_tests"] == [True]
    assert together["assertion_nccn_guidelines"] == ["Melanoma 2.2018"]
    # EID 229: erlotinib or gefitinib (Substitutes) -> one edge each; erlotinib's assertion stays on erlotinib's
    erlotinib = edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:33", ERLOTINIB).props
    gefitinib = edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:33", GEFITINIB).props
    assert "CIVIC.EID:229" in erlotinib["evidence_ids"] and "CIVIC.EID:229" in gefitinib["evidence_ids"]
    assert "Substitutes" in erlotinib["evidence_interactions"]
    assert "CIVIC.AID:5" in erlotinib["assertion_ids"] and "CIVIC.AID:5" not in gefitinib["assertion_ids"]
    # EID 642: AEE788, then gefitinib (Sequential), in order
    sequential = next(n for n in result.nodes if n.label == "DrugCombination" and "_then_" in n.id)
    assert sequential.props["interaction_type"] == "Sequential"
    assert sequential.props["name"] == "Multikinase Inhibitor AEE788 then gefitinib"


def test_resistance_and_the_other_significances_have_their_own_relations(result):
    resistance = edge(result, "PREDICTS_RESISTANCE_TO", "CIVIC.MP:34", ERLOTINIB).props  # EGFR T790M
    assert "CIVIC.EID:238" in resistance["supporting_evidence_ids"] and resistance["best_level"] == "A"
    assert edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:34", OSIMERTINIB).props["best_level"] == "A"
    types = {e.type for e in result.edges}
    assert {"PREDICTS_ADVERSE_RESPONSE_TO", "PREDICTS_REDUCED_SENSITIVITY_TO"} <= types
    diagnostic = edge(result, "DIAGNOSTIC_OF", "CIVIC.MP:78", "DOID:1324").props  # KRAS G12C, lung cancer
    assert diagnostic["evidence_ids"] == ["CIVIC.EID:227"] and diagnostic["evidence_significances"] == ["Positive"]
    assert edge(result, "PROGNOSTIC_OF", "CIVIC.MP:12", "DOID:1909").props["evidence_significances"] == ["Poor Outcome"]
    assert any(e.type == "PREDISPOSES_TO" for e in result.edges)
    assert result.skipped["oncogenic evidence (not modelled)"] == 1
    assert result.skipped["functional evidence (not modelled)"] == 1


def test_therapies_resolve_by_name_and_the_rest_become_counted_pmkg_drug_nodes(result):
    targets = {e.dst for e in result.edges if e.type.startswith("PREDICTS_") and e.dst_label == "Drug"}
    assert {VEMURAFENIB, DABRAFENIB, TRAMETINIB, ERLOTINIB, GEFITINIB, OSIMERTINIB} <= targets
    sotorasib = node(result, "PMKG.DRUG:sotorasib")
    assert sotorasib.label == "Drug" and sotorasib.props["name"] == "Sotorasib"
    assert edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:78", "PMKG.DRUG:sotorasib").props["best_level"] == "A"
    unresolved = result.unresolved_examples[civic.UNRESOLVED_THERAPY]
    assert result.unresolved[civic.UNRESOLVED_THERAPY] == 11 and "Vemurafenib" not in unresolved
    # DrugCentral's drugs are the drugcentral job's nodes
    assert not any(n.id == VEMURAFENIB for n in result.nodes)


def test_items_without_a_usable_doid_are_counted_and_the_disease_kept_on_predictive_edges(result):
    # anaplastic thyroid carcinoma (DOID:0080522) is newer than the Disease Ontology 2016 in use
    assert result.unresolved_examples["disease DOID (not in the Disease Ontology in use)"] == ["DOID:0080522"]
    combo = f"PMKG.COMBINATION:{DABRAFENIB.split(':')[1]}+{TRAMETINIB.split(':')[1]}"
    together = {i["ids"]: i for i in items(edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:12", combo))}
    assert together["CIVIC.EID:6975"]["disease_ids"] == "DOID:0080522"
    adagrasib = edge(result, "PREDICTS_SENSITIVITY_TO", "CIVIC.MP:78", "PMKG.DRUG:adagrasib").props
    assert adagrasib["evidence_disease_ids"] == [""] and adagrasib["evidence_disease_names"] == ["Solid Tumor"]


def test_malformed_rows_are_warned_with_file_and_line_and_counted(result):
    warnings = "\n".join(result.warnings)
    assert f"{EVIDENCE}:106: expected 25 columns, found 5" in warnings
    assert f"{EVIDENCE}:107: evidence_level 'Z' is not one of A, B, C, D, E" in warnings
    assert f"{EVIDENCE}:108: molecular profile 999999 is not in the summaries" in warnings
    assert f"{EVIDENCE}:109: doid 'melanoma' is not a number" in warnings
    assert f"{EVIDENCE}:110: a predictive item names no therapy" in warnings
    assert "VariantSummaries.tsv:18: variant_id 'V12' is not a number" in warnings
    assert "VariantSummaries.tsv:19: start/stop '140,453,136'/'140453136' are not numbers" in warnings
    assert "MolecularProfileSummaries.tsv:17: variant id(s) 999999 not in the variant summaries" in warnings
    assert result.skipped["wrong column count"] == 3  # evidence, variants, genes
    assert result.skipped["unknown evidence level"] == result.skipped["malformed DOID"] == 1
    assert result.skipped["malformed assertion ids"] == 1
    assert "CIVIC.VID:999002" in {n.id for n in result.nodes}  # kept, without its coordinates
    assert "start" not in node(result, "CIVIC.VID:999002").props


def test_every_record_has_provenance_and_the_job_is_idempotent(result):
    for record in [*result.nodes, *result.edges]:
        assert record.props["source"] == "civic" and record.props["source_version"] == "01-Aug-2024"
        assert record.props["license"].startswith("CC0 1.0")
    assert len(result.files) == 5 and all(len(digest) == 64 for digest in result.files.values())
    again = civic.run(FIXTURES)
    assert [(n.label, n.id, n.props) for n in again.nodes] == [(n.label, n.id, n.props) for n in result.nodes]
    edges = [(e.type, e.src, e.dst, e.props) for e in result.edges]
    assert [(e.type, e.src, e.dst, e.props) for e in again.edges] == edges


def test_a_missing_release_names_the_folder_and_where_to_download(tmp_path):
    with pytest.raises(IngestError, match="ClinicalEvidenceSummaries.tsv in .*civic.*civicdb.org"):
        civic.run(tmp_path)
    (tmp_path / "civic").mkdir()
    shutil.copy(EVIDENCE, tmp_path / "civic" / EVIDENCE.name)
    with pytest.raises(IngestError, match="lacks 01-Aug-2024-MolecularProfileSummaries.tsv"):
        civic.run(tmp_path)


def test_the_session_graph_holds_the_evidence_paths(store, ingest_outcomes):
    outcome = next(o for o in ingest_outcomes if o.name == "civic")
    assert outcome.ok and not outcome.write_problems, outcome.write_problems
    rows = store.run(
        "MATCH (v:Variant {id: 'CIVIC.VID:34'})<-[:HAS_COMPONENT]-(mp:MolecularProfile)-[e:PREDICTS_RESISTANCE_TO]->"
        "(d:Drug) WHERE e.supported RETURN d.id AS drug, e.best_level AS level ORDER BY drug"
    )
    assert {(r["drug"], r["level"]) for r in rows} >= {(ERLOTINIB, "A"), (GEFITINIB, "B")}
    assert store.run("MATCH (v:Variant {id: 'CIVIC.VID:12'})-[:IN_GENE]->(g:Gene) RETURN g.name AS n")[0]["n"] == "BRAF"


@pytest.mark.parametrize(
    ("text", "key"),
    [("p.Val600Glu", "V600E"), ("p.(Leu858Arg)", "L858R"), ("G12C", "G12C"), ("p.Gly12Ter", "G12*"),
     ("p.Trp288CysfsTer12", "W288FS"), ("E746_A750del", "E746_A750DEL"), ("L1196M (c.3586C>A)", "L1196M"),
     ("Amplification", None), ("EML4::ALK", None)],
)  # fmt: skip
def test_protein_changes_have_one_key_whatever_the_spelling(text, key):
    assert protein_key(text) == key


def test_hgvs_expressions_are_checked_and_a_chromosome_substitution_gives_coordinates():
    assert parse_expression("NP_004324.2:p.Val600Glu").protein == "V600E"
    assert parse_expression("NC_000007.13:g.140453136A>T").genomic == ("GRCh37", "7", 140453136, "A", "T")
    assert parse_expression("NC_000007.14:g.140753336A>T").genomic == ("GRCh38", "7", 140753336, "A", "T")
    for bad in ("BRAF V600E", "NP_004324.2:p.Foo600Bar", "NM_004333.4:c.V600E", "NM_004333.4:c.1799T"):
        with pytest.raises(HgvsError):
            parse_expression(bad)
