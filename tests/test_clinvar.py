"""ClinVar ingest from a fixture cut from the real January 2021 variant_summary head (tools/fixtures/cut_clinvar.py)."""

from __future__ import annotations

import gzip
import shutil

import pytest
from pmkg.ingest import clinvar
from pmkg.ingest.base import IngestError
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.writer import GraphWriter

from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "clinvar" / "variant_summary_2021-01_first86362rows.txt.gz"

# Explicit mappings, so each resolution route is tested on its own terms.
TABLES = Resolver.from_tables(
    diseases={
        "MONDO:0005105": "DOID:1909",  # melanoma, through MONDO (ClinVar writes MONDO:MONDO:0005105)
        "MESH:D001943": "DOID:1612",  # breast cancer, through MeSH
        "OMIM:612251": "DOID:9074",  # systemic lupus erythematosus, through OMIM
        "MONDO:0013342": "MONDO:0013342",  # spastic paraplegia 48: MONDO knows it, DO does not ...
        "OMIM:613647": "DOID:2476",  # ... but its OMIM id reaches a DOID, which wins
        "MONDO:0005233": "DOID:3908",  # named by all three KRAS variations of rs121913530
        "UMLS:C0011860": "DOID:9352",  # type 2 diabetes, through a MedGen concept id (a UMLS CUI)
    },
    genes={f"NCBIGene:{g}": f"NCBIGene:{g}" for g in (9907, 3077, 5728, 3845, 3663, 208, 6473, 3784)},
    gene_symbols={"PUS3": "NCBIGene:83480", "HYLS1": "NCBIGene:219844", "GATA4": "NCBIGene:2626"},
    known_doids=["DOID:1909", "DOID:1612", "DOID:9074", "DOID:2476", "DOID:3908", "DOID:9352"],
)


@pytest.fixture(scope="module")
def result():
    return clinvar.run(FIXTURES, TABLES)


def _node(result, node_id):
    matches = [n for n in result.nodes if n.id == node_id]
    assert len(matches) == 1, f"{node_id}: {len(matches)} nodes"
    return matches[0].props


def _edges(result, rel_type, src=None):
    return {e.dst: e.props for e in result.edges if e.type == rel_type and (src is None or e.src == src)}


def test_both_assemblies_make_one_node_with_grch38_coordinates(result):
    ap5z1 = _node(result, "dbSNP:rs397704705")  # VariationID 2, the file's first two rows
    assert ap5z1["name"] == "NM_014855.3(AP5Z1):c.80_83delinsTGCTGTAAACTGTAACTGTAAA (p.Arg27_Ile28delinsLeuLeuTer)"
    assert (ap5z1["clinvar_variation_id"], ap5z1["allele_id"], ap5z1["variant_type"]) == ("2", "15041", "Indel")
    assert (ap5z1["clinical_significance"], ap5z1["clin_sig_simple"]) == ("Pathogenic", 1)
    assert ap5z1["review_status"] == "no assertion criteria provided" and ap5z1["number_submitters"] == 1
    assert ap5z1["last_evaluated"] == "2010-06-29"
    assert ap5z1["hgnc_id"] == "HGNC:22197"
    assert (ap5z1["chromosome"], ap5z1["start"], ap5z1["stop"]) == ("7", 4781213, 4781216)
    assert ap5z1["position_vcf"] == 4781213
    assert (ap5z1["grch37_start"], ap5z1["grch37_stop"]) == (4820844, 4820847)
    assert (ap5z1["ref"], ap5z1["alt"]) == ("GGAT", "TGCTGTAAACTGTAACTGTAAA")
    assert ap5z1["xrefs"] == ["CLINVAR:2"]


def test_several_variations_on_one_rs_are_one_node_led_by_the_best_reviewed(result):
    kras = _node(result, "dbSNP:rs121913530")
    assert kras["xrefs"] == ["CLINVAR:12578", "CLINVAR:12579", "CLINVAR:12584"]
    # 12584 has two stars (multiple submitters); 12578 and 12579 have none.
    assert (kras["clinvar_variation_id"], kras["review_stars"]) == ("12584", 2)
    assert kras["name"] == "NM_004985.5(KRAS):c.34G>A (p.Gly12Ser)"
    edge = _edges(result, "ASSOCIATED_WITH", "dbSNP:rs121913530")["DOID:3908"]
    assert edge["clinvar_variation_ids"] == ["12578", "12579", "12584"]
    assert edge["clinvar_variation_id"] == "12584"


def test_variants_without_rs_and_without_coordinates(result):
    irf5 = _node(result, "CLINVAR:3395")  # assembly 'na': no coordinates at all
    assert irf5["name"] == "IRF5, 5-BP INS, PROMOTER REGION"
    assert "chromosome" not in irf5 and "grch37_start" not in irf5 and irf5["xrefs"] == []
    foxp1 = _node(result, "CLINVAR:18427")  # NCBI36 only
    assert "start" not in foxp1 and "grch37_start" not in foxp1
    shox = _node(result, "dbSNP:rs137852552")  # pseudo-autosomal: X and Y rows in each assembly
    assert (shox["chromosome"], shox["start"], shox["grch37_chromosome"]) == ("X", 641037, "X")
    assert len({n.id for n in result.nodes}) == len(result.nodes)


def test_genes_by_gene_id_by_listed_symbols_and_the_rest_counted(result):
    assert list(_edges(result, "IN_GENE", "dbSNP:rs397704705")) == ["NCBIGene:9907"]
    # GeneID -1 with "PUS3;HYLS1": one edge per symbol
    assert set(_edges(result, "IN_GENE", "dbSNP:rs104894232")) == {"NCBIGene:83480", "NCBIGene:219844"}
    # GeneID -1, "subset of 42 genes: GATA4": the dosage-sensitive gene ClinVar names
    assert list(_edges(result, "IN_GENE", "CLINVAR:31974")) == ["NCBIGene:2626"]
    assert result.skipped["IN_GENE: variant covers many genes, none named (GeneID -1)"] == 2
    assert result.skipped["IN_GENE: no gene given (GeneID -1, GeneSymbol -)"] == 1
    # 16 fixture variations name a GeneID outside TABLES (LOC107986532 is outside every gene_info too)
    assert result.unresolved["gene NCBIGene"] == 16
    assert "NCBIGene:26090" in result.unresolved_examples["gene NCBIGene"]
    assert not any(e.dst == "NCBIGene:107986532" for e in result.edges)


def test_conditions_resolve_to_doid_with_the_assertion_on_the_edge(result):
    melanoma = _edges(result, "ASSOCIATED_WITH", "dbSNP:rs121909232")["DOID:1909"]
    assert melanoma["condition_id"] == "MONDO:0005105"  # doubled MONDO:MONDO: prefix collapsed
    breast = _edges(result, "ASSOCIATED_WITH", "dbSNP:rs121909219")["DOID:1612"]
    assert breast["clinical_significance"] == "Pathogenic"
    assert breast["review_status"] == breast["evidence"] == "criteria provided, multiple submitters, no conflicts"
    assert breast["origin"] == ["germline", "somatic", "unknown"]
    assert (breast["condition_name"], breast["condition_id"]) == ("Breast neoplasm", "MESH:D001943")
    assert _edges(result, "ASSOCIATED_WITH", "CLINVAR:3395")["DOID:9074"]["clinical_significance"] == "risk factor"
    assert "DOID:9352" in _edges(result, "ASSOCIATED_WITH", "dbSNP:rs121434593")  # MedGen:C0011860 as UMLS
    # A DOID reached through any of a condition's ids beats a MONDO id without one.
    assert set(_edges(result, "ASSOCIATED_WITH", "dbSNP:rs397704705")) == {"DOID:2476"}
    assert all(e.dst.startswith(("DOID:", "MONDO:")) for e in result.edges if e.type == "ASSOCIATED_WITH")


def test_conditions_that_map_nowhere_are_counted_with_examples(result):
    assert result.skipped["condition 'not provided'"] == 11
    assert result.skipped["condition 'not specified'"] == 2
    assert result.skipped["condition list abbreviated to 'N conditions'"] == 2
    assert result.skipped["condition without ids"] == 14
    assert "HP:0010473 (Porphyrinuria)" in result.unresolved_examples["condition is an HPO phenotype"]
    assert result.unresolved_examples["disease FOO"] == ["FOO:123 (Made-up condition)"]
    assert "UMLS:C3150862 (Hemochromatosis, juvenile, digenic)" in result.unresolved_examples["disease MedGen-only"]
    assert "MONDO:0021001 (Hemochromatosis type 1)" in result.unresolved_examples["disease MONDO"]
    # CYP2C19 rs3758581 names only "not provided": a node, no disease edge
    assert _node(result, "dbSNP:rs3758581") and not _edges(result, "ASSOCIATED_WITH", "dbSNP:rs3758581")


@pytest.mark.parametrize(
    ("clinvar_id", "curie"),
    [
        ("MONDO:MONDO:0013342", "MONDO:0013342"),
        ("OMIM:PS191100", "OMIMPS:191100"),
        ("EFO:EFO_0000407", "EFO:0000407"),
        ("MedGen:C0011860", "UMLS:C0011860"),
        ("MedGen:CN517202", "MEDGEN:CN517202"),
        ("Human Phenotype Ontology:HP:0000556", "HP:0000556"),
        ("Orphanet:306511", "ORPHANET:306511"),
        ("MeSH:D001943", "MESH:D001943"),
    ],
)
def test_clinvar_condition_ids_become_pmkg_curies(clinvar_id, curie):
    assert clinvar._condition_curie(clinvar_id) == curie


def test_variant_types_become_sequence_ontology_terms(result):
    types = {e.src: e.dst for e in result.edges if e.type == "HAS_VARIANT_TYPE"}
    assert types["dbSNP:rs397704705"] == "SO:1000032"  # Indel -> delins
    assert types["dbSNP:rs1800562"] == "SO:0001483"  # single nucleotide variant -> SNV
    assert types["CLINVAR:3395"] == "SO:0000667"  # Insertion
    assert types["CLINVAR:18427"] == "SO:0000159"  # Deletion
    assert set(types.values()) >= {"SO:0001742", "SO:0001743", "SO:0000289", "SO:1000035", "SO:1000036"}
    assert sorted(result.unresolved_examples["variant type (no SO term)"]) == ["protein only", "structural oddity"]


def test_every_record_carries_provenance(result):
    assert result.source.version == "2021-01"
    assert "NCBI itself places no restrictions" in result.source.license
    for record in [*result.nodes, *result.edges]:
        assert record.props["source"] == "clinvar"
        assert record.props["source_version"] and record.props["license"]
    assert result.files == {str(FIXTURE): clinvar.sha256_of(FIXTURE)}
    assert result.rows_read[FIXTURE.name] == 65  # 58 real rows, 7 damaged


def test_malformed_rows_are_warned_with_file_and_line_and_skipped(result):
    for line, reason in [
        (60, "expected 34 columns, found 20"),
        (61, "malformed VariationID"),
        (62, "malformed RS# (dbSNP)"),
        (63, "malformed GeneID"),
        (64, "malformed Start"),
    ]:
        assert any(w.startswith(f"{FIXTURE}:{line}: {reason}") and "row skipped" in w for w in result.warnings)
    assert result.skipped["wrong column count"] == 1
    assert result.skipped["malformed GeneID (expected an integer)"] == 1
    # The damaged copies of VariationID 2's row changed nothing of it ...
    assert _node(result, "dbSNP:rs397704705")["grch37_start"] == 4820844
    assert list(_edges(result, "IN_GENE", "dbSNP:rs397704705")) == ["NCBIGene:9907"]
    assert not any("VCV" in n.props["clinvar_variation_id"] for n in result.nodes)
    # ... and a row with an unreadable date is kept, without the date.
    assert any(f"{FIXTURE}:65: LastEvaluated '2010-06-29'" in w for w in result.warnings)
    assert _node(result, "CLINVAR:99999901")["last_evaluated"] is None


def test_truncated_gzip_and_wrong_header_fail_naming_the_file(tmp_path):
    folder = tmp_path / "clinvar"
    folder.mkdir()
    target = folder / FIXTURE.name
    target.write_bytes(FIXTURE.read_bytes()[:-200])
    with pytest.raises(IngestError, match=rf"{target}:\d+: not a readable file"):
        clinvar.run(tmp_path, TABLES)
    with gzip.open(target, "wt") as fh:
        fh.write("AlleleID\tType\tName\n1\tDeletion\tx\n")
    with pytest.raises(IngestError, match=rf"{target}:1: header lacks column\(s\) #AlleleID"):
        clinvar.run(tmp_path, TABLES)


def test_upstream_file_name_is_accepted(tmp_path):
    (tmp_path / "clinvar").mkdir()
    shutil.copy(FIXTURE, tmp_path / "clinvar" / "variant_summary.txt.gz")
    upstream = clinvar.run(tmp_path, TABLES)
    assert len(upstream.nodes) == len(clinvar.run(FIXTURES, TABLES).nodes)
    assert upstream.source.version[:4].isdigit()  # the file's date, there being no release in its name


def test_fixture_mapping_files_resolve_conditions():
    resolved = clinvar.run(FIXTURES, Resolver.from_data_dir(FIXTURES))
    disease_edges = {(e.src, e.dst) for e in resolved.edges if e.type == "ASSOCIATED_WITH"}
    # Through the Disease Ontology fixture's own xrefs (MeSH, OMIM); MONDO mappings may add more.
    assert {("dbSNP:rs121909219", "DOID:1612"), ("CLINVAR:3395", "DOID:9074")} <= disease_edges
    assert ("dbSNP:rs1800562", "DOID:10652") in disease_edges  # HFE C282Y and Alzheimer disease
    assert ("dbSNP:rs121909219", "NCBIGene:5728") in {(e.src, e.dst) for e in resolved.edges if e.type == "IN_GENE"}


def test_mondo_only_diseases_get_a_node_named_by_mondo():
    # MONDO has no DOID for these, so no other source makes their node; without one, the edges would dangle.
    resolved = clinvar.run(FIXTURES, Resolver.from_data_dir(FIXTURES))
    diseases = {n.id: n.props for n in resolved.nodes if n.label == "Disease"}
    targets = {e.dst for e in resolved.edges if e.type == "ASSOCIATED_WITH" and not e.dst.startswith("DOID:")}
    assert len(targets) >= 5 and set(diseases) == targets
    assert all(props["source"] == "clinvar" and props["name"] for props in diseases.values())
    hereditary_cancer = diseases["MONDO:0015356"]  # named by MONDO's label from the fixture's mapping files
    assert hereditary_cancer["name"] == "hereditary neoplastic syndrome"
    assert hereditary_cancer["clinvar_condition_names"] == ["Hereditary cancer-predisposing syndrome"]
    assert diseases["MONDO:0005434"]["clinvar_condition_ids"] == ["UMLS:C0349506"]


def test_records_land_in_the_graph_and_rewriting_changes_nothing(store, ingest_outcomes):
    resolved = clinvar.run(FIXTURES, Resolver.from_data_dir(FIXTURES))
    writer = GraphWriter(store, progress=False)
    report = writer.write(resolved.nodes, resolved.edges, what="clinvar")
    variants = [n for n in resolved.nodes if n.label == "Variant"]
    assert report.nodes["Variant"].invalid == 0 and report.nodes["Variant"].written == len(variants)
    assert not report.problems(), "every edge lands: MONDO-only diseases come with their node"
    counts = (
        "MATCH (v:Variant) WHERE 'clinvar' IN v.sources WITH count(v) AS variants "
        "OPTIONAL MATCH (:Variant)-[r:ASSOCIATED_WITH {source: 'clinvar'}]->(:Disease) "
        "WITH variants, count(r) AS links "
        "OPTIONAL MATCH (:Variant)-[g:IN_GENE {source: 'clinvar'}]->(:Gene) "
        "RETURN variants, links, count(g) AS genes"
    )
    before = store.run(counts)
    assert before[0]["variants"] == len(variants)
    assert before[0]["links"] >= 2 and before[0]["genes"] >= 1
    breast = store.run(
        "MATCH (v:Variant {id: 'dbSNP:rs121909219'})-[r:ASSOCIATED_WITH]->(d:Disease {id: 'DOID:1612'}) "
        "RETURN r.clinical_significance AS sig, r.evidence AS evidence, v.chromosome AS chromosome"
    )
    assert breast == [
        {"sig": "Pathogenic", "evidence": "criteria provided, multiple submitters, no conflicts", "chromosome": "10"}
    ]
    writer.write(resolved.nodes, resolved.edges, what="clinvar again")
    assert store.run(counts) == before
