"""PharmGKB ingest from fixtures cut from the real 2025-01-05 files by tools/fixtures/cut_pharmgkb.py."""

from __future__ import annotations

import gzip
import shutil
import zipfile

import pytest
from pmkg.ingest import pharmgkb
from pmkg.ingest.base import IngestError
from pmkg.ingest.pharmgkb import DrugNames
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.writer import GraphWriter

from tests.conftest import FIXTURES

# The real NCBI gene ids and DrugCentral-canonical drug ids of the fixture's genes and drugs. CES1 is left out on
# purpose: an unresolved gene symbol. NCBI names the mitochondrial genes RNR1/ND1 with synonyms MTRNR1/MTND1.
GENE_SYMBOLS = {
    "CFTR": "NCBIGene:1080",
    "SLCO1B1": "NCBIGene:10599",
    "CYP2C19": "NCBIGene:1557",
    "CYP2D6": "NCBIGene:1565",
    "VKORC1": "NCBIGene:79001",
    "CYP2C9": "NCBIGene:1559",
    "HLA-B": "NCBIGene:3106",
    "GP1BA": "NCBIGene:2811",
    "MTRNR1": "NCBIGene:4549",
    "MTND1": "NCBIGene:4535",
    "G6PD": "NCBIGene:2539",
    "OPRM1": "NCBIGene:4988",
}
DRUG_NAMES = {
    "ivacaftor": "DRUGBANK:DB08820",
    "mercaptopurine": "DRUGBANK:DB01033",
    "methotrexate": "DRUGBANK:DB00563",
    "fluvastatin": "DRUGBANK:DB01095",
    "rosuvastatin": "DRUGBANK:DB01098",
    "atorvastatin": "DRUGBANK:DB01076",
    "rifampicin": "DRUGBANK:DB01045",
    "acetylsalicylic acid": "DRUGBANK:DB00945",
    "dabigatran etexilate": "DRUGBANK:DB06695",
    "clopidogrel": "DRUGBANK:DB00758",
    "codeine": "DRUGBANK:DB00318",
    "warfarin": "DRUGBANK:DB00682",
    "abacavir": "DRUGBANK:DB01048",
    "gentamicin": "DRUGBANK:DB00798",
    "micronomicin": "CHEMBL.COMPOUND:CHEMBL373081",
    "rasburicase": "DRUGBANK:DB00049",
}
ANNOTATIONS = FIXTURES / "pharmgkb/clinicalAnnotations/clinical_annotations.tsv"


@pytest.fixture(scope="module")
def result():
    return pharmgkb.run(FIXTURES, Resolver.from_tables(gene_symbols=GENE_SYMBOLS, drug_names=DRUG_NAMES))


def edge(result, src, dst, rel_type="AFFECTS_RESPONSE_TO"):
    found = [e for e in result.edges if (e.type, e.src, e.dst) == (rel_type, src, dst)]
    assert len(found) == 1, f"{rel_type} {src}->{dst}: {len(found)} edges"
    return found[0]


def test_rs_annotation_becomes_variant_in_gene_affecting_a_drug(result):
    variant = next(n for n in result.nodes if n.id == "dbSNP:rs75527207")
    assert variant.label == "Variant"
    # ClinVar owns dbSNP nodes: PharmGKB sets only properties ClinVar never writes.
    assert {k: v for k, v in variant.props.items() if k not in ("source", "source_version", "license")} == {
        "rsid": "rs75527207",
        "pharmgkb_genes": ["CFTR"],
    }
    edge(result, "dbSNP:rs75527207", "NCBIGene:1080", "IN_GENE")
    ivacaftor = edge(result, "dbSNP:rs75527207", "DRUGBANK:DB08820")
    assert (ivacaftor.src_label, ivacaftor.dst_label) == ("Variant", "Drug")
    props = ivacaftor.props
    assert props["clinical_annotation_id"] == "981755803"
    assert props["level_of_evidence"] == "1A"
    assert props["score"] == 234.875
    assert props["phenotype_categories"] == ["Efficacy"]
    assert props["phenotypes"] == ["Cystic Fibrosis"]
    assert props["specialty_populations"] == ["Pediatric"]
    # The fixture keeps 6 of the annotation's evidence rows; the guideline and label rows have no PMID.
    assert props["pmids"] == ["21083385", "22047557", "23590265", "23757361"]
    assert props["evidence_count"] == 6
    assert "Guideline Annotation" in props["evidence"] and "Label Annotation" in props["evidence"]
    assert [text[:3] for text in props["genotype_annotations"]] == ["AA:", "AG:", "GG:"]
    assert props["genotype_annotations"][0].startswith("AA: Patients with the rs75527207 AA genotype")


def test_annotations_of_one_pair_fold_into_one_edge_best_level_first(result):
    rosuvastatin = edge(result, "dbSNP:rs4149056", "DRUGBANK:DB01098").props
    assert rosuvastatin["clinical_annotation_ids"] == ["1451357200", "1451358900"]
    assert rosuvastatin["levels_of_evidence"] == ["1A", "4"]
    assert (rosuvastatin["clinical_annotation_id"], rosuvastatin["level_of_evidence"]) == ("1451357200", "1A")
    assert rosuvastatin["score"] == 105.5  # the 1A annotation's; the level-4 one scores -3.0
    assert rosuvastatin["phenotype_categories"] == ["Efficacy", "Toxicity"]
    # one row, two drugs: two edges with the same annotation
    for drug in ("DRUGBANK:DB01033", "DRUGBANK:DB00563"):
        assert edge(result, "dbSNP:rs4149056", drug).props["clinical_annotation_ids"] == ["1449311190"]


def test_haplotype_annotations_are_gene_level_edges(result):
    assert not [n for n in result.nodes if "*" in n.id], "star alleles are not Variant nodes"
    clopidogrel = edge(result, "NCBIGene:1557", "DRUGBANK:DB00758")
    assert (clopidogrel.src_label, clopidogrel.dst_label) == ("Gene", "Drug")
    props = clopidogrel.props
    assert props["clinical_annotation_ids"] == ["1451282340", "1043858794"]  # both 1A, higher score first
    assert {"CYP2C19*1", "CYP2C19*2", "CYP2C19*17"} <= set(props["haplotypes"])
    assert any(text.startswith("*2: The CYP2C19*2 allele") for text in props["genotype_annotations"])
    # the guideline annotations of three bodies land on the same edge
    assert props["guideline_sources"] == ["CPIC", "DPWG", "RNPGx"]
    assert "PA166104948" in props["guideline_ids"] and props["guideline_recommendation"] is True
    assert edge(result, "NCBIGene:3106", "DRUGBANK:DB01048").props["haplotypes"] == ["HLA-B*57:01"]
    g6pd = edge(result, "NCBIGene:2539", "DRUGBANK:DB00049").props
    assert "G6PD A- 202A_376G" in g6pd["haplotypes"] and "Dallas" in g6pd["haplotypes"]


def test_a_guideline_without_clinical_annotations_still_makes_an_edge(result):
    vkorc1 = edge(result, "NCBIGene:79001", "DRUGBANK:DB00682").props
    assert vkorc1["guideline_sources"] == ["CPNDS", "DPWG"]
    assert vkorc1["clinical_annotation_ids"] == [] and vkorc1["level_of_evidence"] is None
    assert vkorc1["evidence"] == "Guideline Annotation"


def test_drug_names_resolve_through_inn_synonyms_and_unique_salt_forms(result):
    edge(result, "dbSNP:rs4149056", "DRUGBANK:DB01045")  # rifampin -> rifampicin
    edge(result, "dbSNP:rs6065", "DRUGBANK:DB00945")  # aspirin -> acetylsalicylic acid
    edge(result, "dbSNP:rs2244613", "DRUGBANK:DB06695")  # dabigatran -> dabigatran etexilate
    names = DrugNames(
        Resolver.from_tables(
            drug_names={"lithium carbonate": "DRUGBANK:DB14509", "lithium citrate": "DRUGBANK:DB14507"}
        )
    )
    assert names.resolve("lithium") is None, "two salts under one stem are ambiguous"
    assert names.resolve("Lithium Carbonate") == "DRUGBANK:DB14509"


def test_unresolved_ids_are_counted_with_examples(result):
    assert result.unresolved == {
        "drug name": 2,
        "clinical annotation without a resolved drug": 2,
        "gene symbol": 1,
    }
    assert result.unresolved_examples["drug name"] == ["opioids", "lovastatin acid"]
    assert result.unresolved_examples["clinical annotation without a resolved drug"] == ["1451351160", "1451244680"]
    assert result.unresolved_examples["gene symbol"] == ["CES1"]
    # the variant of an unresolved gene is kept, without IN_GENE; MT-RNR1 and MT-ND1 resolve through NCBI synonyms
    assert next(n for n in result.nodes if n.id == "dbSNP:rs2244613").props["pharmgkb_genes"] == ["CES1"]
    assert not [e for e in result.edges if e.type == "IN_GENE" and e.src == "dbSNP:rs2244613"]
    assert {e.dst for e in result.edges if e.type == "IN_GENE" and e.src == "dbSNP:rs267606619"} == {
        "NCBIGene:4549",
        "NCBIGene:4535",
    }
    # an rs annotation with an empty Gene column: a Variant with no genes, still affecting warfarin
    edge(result, "dbSNP:rs12777823", "DRUGBANK:DB00682")


def test_malformed_rows_are_warned_with_file_and_line_and_skipped(result):
    assert result.skipped == {
        "wrong column count": 3,
        "malformed evidence row": 1,
        "malformed genotype row": 1,
        "malformed clinical annotation id": 1,
        "unknown level of evidence": 1,
        "malformed rs id": 1,
        "haplotype annotation without gene": 1,
        "no variant or haplotype": 1,
        "malformed guideline JSON": 1,
    }
    warnings = "\n".join(result.warnings)
    assert "clinical_annotations.tsv:23: expected 15 columns, found 3" in warnings
    assert "clinical_annotations.tsv:24: Clinical Annotation ID 'CA999000002' is not a number" in warnings
    assert "clinical_annotations.tsv:25: Level of Evidence '5'" in warnings
    assert "clinical_annotations.tsv:26: variant 'rs42x85' is not an rs id" in warnings
    assert "clinical_ann_evidence.tsv:89:" in warnings and "'PMC12345'" in warnings
    assert "clinical_ann_alleles.tsv.gz:73:" in warnings
    assert "Annotation_of_broken_fixture_guideline.json" in warnings
    assert result.rows_read == {
        "clinical_annotations.tsv": 27,
        "clinical_ann_evidence.tsv": 88,
        "clinical_ann_alleles.tsv.gz": 72,
        "guidelineAnnotations.json.zip": 7,
    }
    # the 21 real annotations all survive: 8 rs variants and their edges
    assert len([n for n in result.nodes if n.label == "Variant"]) == 8


def test_every_record_carries_provenance_and_every_file_a_checksum(result):
    for record in [*result.nodes, *result.edges]:
        assert record.props["source"] == "pharmgkb"
        assert record.props["source_version"] == "2025-01-05"
        assert record.props["license"] == "CC BY-SA 4.0"
    assert len(result.files) == 4 and all(len(digest) == 64 for digest in result.files.values())


def _copy(tmp_path):
    shutil.copytree(FIXTURES / "pharmgkb", tmp_path / "pharmgkb")
    return tmp_path / "pharmgkb"


def test_truncated_gzip_fails_with_the_file_named(tmp_path):
    alleles = _copy(tmp_path) / "clinicalAnnotations/clinical_ann_alleles.tsv.gz"
    alleles.write_bytes(gzip.compress(gzip.decompress(alleles.read_bytes()))[:300])
    with pytest.raises(IngestError, match=r"clinical_ann_alleles.tsv.gz:\d+: not a readable file"):
        pharmgkb.run(tmp_path, Resolver.from_tables())


def test_wrong_header_fails_with_the_file_and_line_named(tmp_path):
    annotations = _copy(tmp_path) / "clinicalAnnotations/clinical_annotations.tsv"
    annotations.write_text("Variant\tGene\nrs1\tX\n")
    with pytest.raises(
        IngestError, match=r"clinical_annotations.tsv:1: header lacks column\(s\) Clinical Annotation ID"
    ):
        pharmgkb.run(tmp_path, Resolver.from_tables())


def test_corrupt_guideline_zip_fails_and_a_missing_one_is_warned(tmp_path):
    folder = _copy(tmp_path)
    (folder / "guidelineAnnotations.json.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(IngestError, match=r"guidelineAnnotations.json.zip: not a readable zip"):
        pharmgkb.run(tmp_path, Resolver.from_tables())
    with zipfile.ZipFile(folder / "guidelineAnnotations.json.zip", "w") as archive:
        archive.writestr("Annotation_of_truncated.json", '{"guideline": {"id": ')
    with pytest.raises(IngestError, match=r"Annotation_of_truncated.json: not readable JSON"):
        pharmgkb.run(tmp_path, Resolver.from_tables())
    (folder / "guidelineAnnotations.json.zip").unlink()
    result = pharmgkb.run(tmp_path, Resolver.from_tables(gene_symbols=GENE_SYMBOLS, drug_names=DRUG_NAMES))
    assert any("guidelineAnnotations.json.zip: not found" in w for w in result.warnings)
    assert "guideline_ids" not in {k for e in result.edges for k, v in e.props.items() if v}


def test_records_land_in_the_graph_and_a_rewrite_changes_nothing(store, ingest_outcomes):
    # The resolver the pipeline uses on the committed fixtures, so these are the records a wired-in job writes.
    records = pharmgkb.run(FIXTURES, Resolver.from_data_dir(FIXTURES))
    writer = GraphWriter(store, progress=False)
    report = writer.write(records.nodes, records.edges, what="pharmgkb")
    for stats in [*report.nodes.values(), *report.edges.values()]:
        assert stats.invalid == 0 and stats.written + stats.dangling == stats.rows
    counts = (
        "MATCH (v:Variant) WHERE 'pharmgkb' IN v.sources WITH count(v) AS variants "
        "OPTIONAL MATCH ()-[r:AFFECTS_RESPONSE_TO {source: 'pharmgkb'}]->() RETURN variants, count(r) AS edges"
    )
    before = store.run(counts)
    assert before[0]["variants"] == 8
    assert before[0]["edges"] == sum(s.written for k, s in report.edges.items() if "AFFECTS_RESPONSE_TO" in k)
    cftr = store.run("MATCH (v:Variant {id: 'dbSNP:rs75527207'}) RETURN v.rsid AS rsid, v.pharmgkb_genes AS genes")
    assert cftr == [{"rsid": "rs75527207", "genes": ["CFTR"]}]
    writer.write(records.nodes, records.edges, what="pharmgkb again")
    assert store.run(counts) == before
