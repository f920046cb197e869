"""CPIC/DPWG guideline ingest and the PharmCAT readers, from fixtures cut by tools/fixtures/cut_cpic.py."""

from __future__ import annotations

import shutil

import pytest
from pmkg.ingest import cpic, pharmcat
from pmkg.ingest.base import IngestError
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.writer import GraphWriter

from tests.conftest import FIXTURES

# gene.tsv's NCBI ids, as the genes job knows them (NOTAGENE1, a damaged row, resolves nowhere).
GENES = {f"NCBIGene:{n}": f"NCBIGene:{n}" for n in (1557, 3106, 4549, 8529, 79001, 10599, 1565, 1559, 7124)}
# Aminoglycosides newer than the 2020 drug.tsv resolve by name (plazomicin nowhere). clopidogrel's name maps
# elsewhere on purpose: the DrugBank id drug.tsv gives for its PharmGKB accession must win.
DRUG_NAMES = {
    "clopidogrel": "CHEMBL.COMPOUND:CHEMBL1771",
    "gentamicin": "DRUGBANK:DB00798",
    "amikacin": "DRUGBANK:DB00479",
    "kanamycin": "DRUGBANK:DB01172",
    "paromomycin": "DRUGBANK:DB01421",
    "streptomycin": "DRUGBANK:DB01082",
    "tobramycin": "DRUGBANK:DB00684",
}
LICENSE = "CPIC content CC0 1.0; PharmCAT files MPL-2.0; DPWG guideline annotations (PharmGKB) CC BY-SA 4.0"


@pytest.fixture(scope="module")
def result():
    return cpic.run(FIXTURES, Resolver.from_tables(genes=GENES, drug_names=DRUG_NAMES))


def edge(result, gene, drug):
    found = [e for e in result.edges if (e.src, e.dst) == (gene, drug)]
    assert len(found) == 1, f"{gene}->{drug}: {len(found)} edges"
    assert (found[0].type, found[0].src_label, found[0].dst_label) == ("AFFECTS_RESPONSE_TO", "Gene", "Drug")
    return found[0].props


def test_pharmacogenes_get_only_pharmacogenomic_properties(result):
    genes = {n.id: n.props for n in result.nodes if n.label == "Gene"}
    assert len(genes) == 9
    cyp2c19 = genes["NCBIGene:1557"]
    assert cyp2c19["pharmacogene"] is True
    assert (cyp2c19["cpic_chromosome"], cyp2c19["cpic_hgnc_id"], cyp2c19["cpic_pharmgkb_id"]) == (
        "chr10",
        "HGNC:2621",
        "PA124",
    )
    assert cyp2c19["cpic_refseqgene"] == "NG_008384.2"
    assert cyp2c19["cpic_guideline_sources"] == ["CPIC", "DPWG"]
    assert genes["NCBIGene:10599"]["cpic_guideline_sources"] == []  # SLCO1B1: no guideline in the fixture
    assert genes["NCBIGene:4549"]["cpic_chromosome"] == "chrM"  # MT-RNR1 by its NCBI id
    assert not {"name", "symbol", "xrefs"} & {key for props in genes.values() for key in props}


def test_drugs_no_other_source_lists_get_a_node_from_the_drug_table(result):
    # These tables have no DrugCentral drugs: every drug of an edge needs this job's node, or its edges dangle.
    drugs = {n.id: n.props for n in result.nodes if n.label == "Drug"}
    assert set(drugs) == {e.dst for e in result.edges}
    clopidogrel = drugs["DRUGBANK:DB00758"]
    assert (clopidogrel["name"], clopidogrel["pharmgkb_id"]) == ("clopidogrel", "PA449053")
    assert clopidogrel["xrefs"] == ["PHARMGKB.DRUG:PA449053", "RXNORM:32968"]
    assert drugs["DRUGBANK:DB00798"]["name"] == "gentamicin"  # newer than drug.tsv: the guideline's name
    # A drug DrugCentral lists is the drugcentral job's node: no second name is written over its own.
    known = Resolver.from_tables(genes=GENES, drug_names=DRUG_NAMES, drugs={"DRUGBANK:DB00758": "DRUGBANK:DB00758"})
    with_drugcentral = cpic.run(FIXTURES, known)
    assert "DRUGBANK:DB00758" not in {n.id for n in with_drugcentral.nodes if n.label == "Drug"}
    assert len([n for n in with_drugcentral.nodes if n.label == "Drug"]) == len(drugs) - 1


def test_the_upstream_seed_sql_reads_like_its_tsv_extracts(result, tmp_path):
    # Upstream publishes only V2__initial_data.sql (what --download fetches); gene.tsv/drug.tsv are cut from it.
    shutil.copytree(FIXTURES / "cpic", tmp_path / "cpic")
    for extract in ("gene.tsv", "drug.tsv"):
        (tmp_path / "cpic/cpic-data" / extract).unlink()
    from_sql = cpic.run(tmp_path, Resolver.from_tables(genes=GENES, drug_names=DRUG_NAMES))
    assert sorted(map(repr, from_sql.nodes)) == sorted(map(repr, result.nodes))
    assert sorted(map(repr, from_sql.edges)) == sorted(map(repr, result.edges))
    assert from_sql.skipped == result.skipped
    assert "V2__initial_data.sql:21: expected 10 columns, found 3" in "\n".join(from_sql.warnings)
    sql = tmp_path / "cpic/cpic-data/V2__initial_data.sql"
    sql.write_text(sql.read_text().rsplit("\\.", 1)[0])  # cut before the gene block's end
    with pytest.raises(IngestError, match=r"V2__initial_data.sql: the COPY gene block has no closing"):
        cpic.run(tmp_path, Resolver.from_tables())


def test_copy_text_format_is_decoded():
    assert cpic.copy_value("\\N") is None
    assert cpic.copy_value("2\\.") == "2."  # the upstream TNF row's version
    assert cpic.copy_value("a\\tb\\\\c") == "a\tb\\c"
    assert cpic.copy_value("") is None


def test_cpic_and_dpwg_guidelines_of_one_pair_share_an_edge(result):
    clopidogrel = edge(result, "NCBIGene:1557", "DRUGBANK:DB00758")  # drug.tsv's DrugBank id, not the name's
    assert clopidogrel["guideline_sources"] == ["CPIC", "DPWG"]
    assert clopidogrel["cpic_guideline_id"] == "PA166104948"
    assert clopidogrel["cpic_guideline_name"] == "Annotation of CPIC Guideline for clopidogrel and CYP2C19"
    assert clopidogrel["cpic_guideline_url"] == "https://www.pharmgkb.org/guidelineAnnotation/PA166104948"
    assert clopidogrel["dpwg_guideline_id"] == "PA166104956"
    assert (clopidogrel["cpic_recommendation_count"], clopidogrel["dpwg_recommendation_count"]) == (24, 4)
    assert clopidogrel["recommendation_count"] == 28
    assert clopidogrel["cpic_classifications"] == ["Strong", "Moderate", "No recommendation"]
    assert clopidogrel["dpwg_classifications"] == ["No recommendation", "N/A"]
    assert clopidogrel["classification"] == "Strong"
    assert {"avoid", "standard"} <= set(clopidogrel["actions"])
    assert {"35034351", "21412232"} <= set(clopidogrel["pmids"])  # the CPIC 2022 update and the DPWG paper
    assert clopidogrel["evidence"] == "CPIC guideline; DPWG guideline"


def test_multi_gene_and_multi_drug_guidelines(result):
    for gene in ("NCBIGene:1559", "NCBIGene:8529", "NCBIGene:79001"):  # warfarin: CYP2C9, CYP4F2, VKORC1
        warfarin = edge(result, gene, "DRUGBANK:DB00682")
        assert warfarin["recommendation_count"] == 0 and warfarin["classification"] is None  # a dosing algorithm
    aminoglycosides = {e.dst for e in result.edges if e.src == "NCBIGene:4549"}
    assert aminoglycosides == {
        "DRUGBANK:DB00798",
        "DRUGBANK:DB00479",
        "DRUGBANK:DB01172",
        "DRUGBANK:DB01421",
        "DRUGBANK:DB01082",
        "DRUGBANK:DB00684",
    }
    assert edge(result, "NCBIGene:4549", "DRUGBANK:DB00798")["cpic_classifications"] == ["Strong", "Optional"]
    assert len(result.edges) == 12


def test_unresolved_and_malformed_are_counted_and_warned(result):
    assert result.unresolved == {"drug": 1, "gene symbol": 1}
    assert result.unresolved_examples == {"drug": ["plazomicin (PA166228921)"], "gene symbol": ["NOTAGENE1"]}
    assert result.skipped == {
        "wrong column count": 2,
        "gene row without symbol": 1,
        "drug row without PharmGKB accession": 1,
        "malformed guideline JSON": 1,
    }
    warnings = "\n".join(result.warnings)
    assert "gene.tsv:11: expected 10 columns, found 3" in warnings
    assert "gene.tsv:12: symbol is empty" in warnings
    assert "gene.tsv:13: ncbiid 'abc' is not a number" in warnings
    assert "drug.tsv:7: pharmgkbid None is not a PA accession" in warnings
    assert "CPIC_broken_fixture_guideline.json" in warnings and "relatedChemicals" in warnings
    assert result.rows_read == {"gene.tsv": 12, "drug.tsv": 6, "pharmcat_guidelines/*.json": 8}


def test_provenance_version_and_checksums(result):
    assert result.source.version == "2024-03-25-16-13"  # read from the guideline files
    for record in [*result.nodes, *result.edges]:
        assert (record.props["source"], record.props["source_version"], record.props["license"]) == (
            "cpic",
            "2024-03-25-16-13",
            LICENSE,
        )
    assert len(result.files) == 10 and all(len(digest) == 64 for digest in result.files.values())


def test_unreadable_files_fail_with_the_file_named(tmp_path):
    shutil.copytree(FIXTURES / "cpic", tmp_path / "cpic")
    guideline = tmp_path / "cpic/pharmcat_guidelines/CPIC_abacavir_and_HLA_B.json"
    guideline.write_text(guideline.read_text()[:500])
    with pytest.raises(IngestError, match=r"CPIC_abacavir_and_HLA_B.json: not readable JSON"):
        cpic.run(tmp_path, Resolver.from_tables())
    (tmp_path / "cpic/cpic-data/gene.tsv").write_text("gene\tchromosome\nCYP2C19\tchr10\n")
    with pytest.raises(IngestError, match=r"gene.tsv:1: header lacks column\(s\) symbol"):
        cpic.run(tmp_path, Resolver.from_tables())
    shutil.rmtree(tmp_path / "cpic/pharmcat_guidelines")
    with pytest.raises(IngestError, match=r"no guideline JSONs in .*pharmcat_guidelines"):
        cpic.run(tmp_path, Resolver.from_tables())


# ---- PharmCAT readers: genotype -> phenotype -> recommendation -------------------------------------------------


@pytest.fixture(scope="module")
def recommendations():
    return pharmcat.load_recommendations(FIXTURES)


def test_diplotype_to_phenotype_ignores_allele_order():
    cyp2c19 = pharmcat.load_phenotype_map(FIXTURES, "CYP2C19")
    assert cyp2c19.lookup("*2/*1") == cyp2c19.lookup("*1/*2")
    poor = cyp2c19.lookup("*2/*2")
    assert (poor.phenotype, poor.lookup_key, poor.activity_score) == ("Poor Metabolizer", "Poor Metabolizer", None)
    assert cyp2c19.lookup("*17/*17").phenotype == "Ultrarapid Metabolizer"
    assert cyp2c19.haplotype_functions["*17"] == "Increased function"
    assert cyp2c19.lookup("*1/*99") is None
    cyp2d6 = pharmcat.load_phenotype_map(FIXTURES, "CYP2D6")
    ultra = cyp2d6.lookup("*1x2/*1")
    assert (ultra.phenotype, ultra.lookup_key) == ("Ultrarapid Metabolizer", "3.0")  # keyed by activity score
    assert pharmcat.load_phenotype_map(FIXTURES, "CYP2C19", "dpwg").body == "dpwg"
    with pytest.raises(IngestError, match=r"no cpic phenotype map for TPMT"):
        pharmcat.load_phenotype_map(FIXTURES, "TPMT")


def test_poor_metabolizer_gets_avoid_clopidogrel(recommendations):
    poor = pharmcat.load_phenotype_map(FIXTURES, "CYP2C19").lookup("*2/*2")
    found = pharmcat.recommendations_for(recommendations, "Clopidogrel", {"CYP2C19": poor.lookup_key})
    assert {(r.guideline_source, r.population) for r in found} == {
        ("CPIC", "CVI ACS PCI"),
        ("CPIC", "NVI"),
        ("CPIC", "CVI non-ACS non-PCI"),
        ("DPWG", None),
    }
    acs = next(r for r in found if r.population == "CVI ACS PCI")
    assert acs.classification == "Strong" and acs.action == "avoid"
    assert acs.text.startswith("Avoid clopidogrel if possible. Use prasugrel or ticagrelor")
    assert acs.drugs == (pharmcat.Chemical("PA449053", "clopidogrel"),)
    assert all(r.action == "avoid" for r in found)
    assert pharmcat.recommendations_for(recommendations, "clopidogrel", {"CYP2C19": "Poor Metabolizer"}, "dpwg")


def test_codeine_by_activity_score(recommendations):
    cyp2d6 = pharmcat.load_phenotype_map(FIXTURES, "CYP2D6")
    ultra = pharmcat.recommendations_for(recommendations, "codeine", {"CYP2D6": cyp2d6.lookup("*1/*1x2").lookup_key})
    assert {(r.guideline_source, r.action) for r in ultra} == {("CPIC", "avoid"), ("DPWG", "avoid")}
    normal = pharmcat.recommendations_for(
        recommendations, "codeine", {"CYP2D6": cyp2d6.lookup("*1/*1").lookup_key}, source="CPIC"
    )
    assert [(r.classification, r.action) for r in normal] == [("Strong", "standard")]
    abacavir = pharmcat.recommendations_for(recommendations, "abacavir", {"HLA-B": "*57:01 positive"})
    assert [(r.text, r.action) for r in abacavir] == [("Abacavir is not recommended", "avoid")]


def test_action_reading_of_recommendation_text():
    assert pharmcat.action_of("No recommendation", "No recommendation") == "no recommendation"
    assert pharmcat.action_of("Initiate therapy with recommended starting dose.") == "standard"
    assert pharmcat.action_of("Consider a 25% reduction of recommended starting dose. Utilize TDM.") == "adjust dose"
    assert pharmcat.action_of("Select alternative drug not predominantly metabolized by CYP2D6.") == "use alternative"
    assert pharmcat.action_of("There is no need to avoid prescribing of atazanavir.") == "standard"
    assert (
        pharmcat.action_of("DOSES HIGHER THAN 20 mg:\nCodeine is contra-indicated. Select an alternative.") == "avoid"
    )
    assert pharmcat.action_of("xN is not a valid input for CYP2D6 copy number alleles.") == "see text"
    assert pharmcat.html_to_text("<p>Use &lt;50 mg</p>\n<h4>Other</h4><p>x</p>") == "Use <50 mg\nOther\nx"


def test_guidelines_land_in_the_graph_and_a_rewrite_changes_nothing(store, ingest_outcomes):
    # The resolver the pipeline uses on the committed fixtures, so these are the records a wired-in job writes.
    records = cpic.run(FIXTURES, Resolver.from_data_dir(FIXTURES))
    writer = GraphWriter(store, progress=False)
    report = writer.write(records.nodes, records.edges, what="cpic")
    for stats in [*report.nodes.values(), *report.edges.values()]:
        assert stats.invalid == 0 and stats.written + stats.dangling == stats.rows
    counts = (
        "MATCH (g:Gene {pharmacogene: true}) WITH count(g) AS genes "
        "OPTIONAL MATCH (:Gene)-[r:AFFECTS_RESPONSE_TO {source: 'cpic'}]->(:Drug) RETURN genes, count(r) AS edges"
    )
    before = store.run(counts)
    assert before[0]["genes"] == len([n for n in records.nodes if n.label == "Gene"]) and before[0]["edges"] >= 1
    # CYP2C19 and clopidogrel are in the Hetionet fixture, so this edge always lands.
    pair = store.run(
        "MATCH (:Gene {id: $gene})-[r:AFFECTS_RESPONSE_TO {source: 'cpic'}]->(:Drug {id: $drug}) "
        "RETURN r.guideline_sources AS bodies, r.cpic_recommendation_count AS n",
        {"gene": "NCBIGene:1557", "drug": "DRUGBANK:DB00758"},
    )
    assert pair == [{"bodies": ["CPIC", "DPWG"], "n": 24}]
    writer.write(records.nodes, records.edges, what="cpic again")
    assert store.run(counts) == before
