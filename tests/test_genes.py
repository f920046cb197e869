"""Genes from NCBI gene_info: fixtures cut from the real 2022 export and 2015 file (tools/fixtures/cut_genes.py)."""

from __future__ import annotations

import gzip
import shutil

import pytest
from pmkg.ingest import genes
from pmkg.ingest.base import IngestError
from pmkg.ingest.xrefs import Resolver
from pmkg.kg.writer import GraphWriter

from tests.conftest import FIXTURES

NEWEST = FIXTURES / "genes/orgHsEg-2022-09-12/Homo_sapiens.gene_info.gz"
OLDER = FIXTURES / "genes/ncbi-2015-06/Homo_sapiens.gene_info.gz"


@pytest.fixture(scope="module")
def result():
    return genes.run(FIXTURES)


@pytest.fixture(scope="module")
def resolver():
    return Resolver.from_data_dir(FIXTURES)


def _gene(result, gene_id):
    return next(n.props for n in result.nodes if n.id == gene_id)


def test_one_node_per_gene_of_the_newest_file_with_the_older_files_xrefs(result):
    assert {n.label for n in result.nodes} == {"Gene"} and len(result.nodes) == 678
    cdk2 = _gene(result, "NCBIGene:1017")
    assert (cdk2["symbol"], cdk2["name"], cdk2["full_name"]) == ("CDK2", "CDK2", "cyclin dependent kinase 2")
    assert cdk2["type_of_gene"] == "protein-coding"
    assert (cdk2["chromosome"], cdk2["map_location"], cdk2["synonyms"]) == ("12", "12q13.2", ["CDKN2", "p33(CDK2)"])
    # Ensembl from the 2022 export; HGNC and the gene MIM only the 2015 NCBI file has.
    assert cdk2["xrefs"] == ["ENSEMBL:ENSG00000123374", "HGNC:1771", "OMIM:116953"]
    assert cdk2["omim_links"] == ["OMIM:116953"]
    assert result.source.version == "2022-09-12; HGNC/OMIM xrefs from gene_info 2015-06-03"
    assert result.skipped["gene only in the older gene_info (discontinued or replaced since)"] == 1
    assert result.skipped["other taxon"] == 1  # a Neanderthal mitochondrial gene in the 2015 file


def test_ids_symbols_and_xrefs_resolve_to_one_ncbi_gene(resolver):
    for alias in ("NCBIGene:1017", "HGNC:1771", "HGNC:HGNC:1771", "MIM:116953", "Ensembl:ENSG00000123374"):
        assert resolver.gene(alias) == "NCBIGene:1017", alias
    assert resolver.gene_by_symbol("cdk2") == resolver.gene_by_symbol("CDKN2") == "NCBIGene:1017"
    # NCBI calls mitochondrial genes ND1, RNR1 ...; HGNC (and DrugCentral, ClinVar) MT-ND1, MT-RNR1.
    assert (resolver.gene_by_symbol("MT-ND1"), resolver.gene_by_symbol("MT-RNR1")) == ("NCBIGene:4535", "NCBIGene:4549")
    assert resolver.gene_by_symbol("PKB") is None  # a synonym of AKT1 and AKT2: ambiguous, never guessed
    assert resolver.gene_by_symbol("ADRA1A") == "NCBIGene:148"  # a symbol beats another gene's synonym
    assert resolver.gene("NCBIGene:100132006") is None  # only in the 2015 file: discontinued since
    # The damaged rows never become aliases: no GeneID 'CDK2', no symbol '-'.
    assert resolver.gene("NCBIGene:CDK2") is None and resolver.gene_by_symbol("-") is None


def test_a_lone_upstream_gene_info_is_the_newest_file(tmp_path):
    # What `pmkg ingest --download` leaves: only genes/Homo_sapiens.gene_info.gz. Every gene in it must resolve
    # (the resolver once kept only the first gene of a file it did not find first in its list).
    (tmp_path / "genes").mkdir()
    shutil.copy(NEWEST, tmp_path / "genes/Homo_sapiens.gene_info.gz")
    resolver = Resolver.from_data_dir(tmp_path)
    assert resolver.gene("NCBIGene:1557") == "NCBIGene:1557" and resolver.gene_by_symbol("CYP2D6") == "NCBIGene:1565"
    assert len(genes.run(tmp_path).nodes) == 678


def test_the_2015_header_style_is_read(tmp_path):
    (tmp_path / "genes").mkdir()
    shutil.copy(OLDER, tmp_path / "genes/Homo_sapiens.gene_info.gz")
    old = genes.run(tmp_path)
    assert len(old.nodes) == 679 and old.skipped == {"other taxon": 1}  # 678 kept genes + one discontinued
    cdk2_2015 = _gene(old, "NCBIGene:1017")
    assert "HGNC:1771" in cdk2_2015["xrefs"] and cdk2_2015["full_name"] == "cyclin-dependent kinase 2"


def test_malformed_rows_are_warned_with_file_and_line_and_the_rest_kept(result):
    assert result.skipped["wrong column count"] == 1
    assert result.skipped["malformed GeneID"] == 1
    assert result.skipped["missing symbol"] == 1
    assert result.skipped["duplicate GeneID"] == 1
    assert result.skipped["malformed GeneID or MIM"] == 2
    assert result.skipped["malformed dbXref"] == 1
    assert result.unresolved_examples == {"gene_omim GeneID not in gene_info": ["NCBIGene:1"]}
    warnings = "\n".join(result.warnings)
    assert f"{NEWEST}:680: expected 16 columns, found 9" in warnings
    assert f"{NEWEST}:681: GeneID 'CDK2' is not a number" in warnings
    assert f"{NEWEST}:682: GeneID 999999901 has no Symbol" in warnings
    assert f"{NEWEST}:683: GeneID 1017 appeared on an earlier line" in warnings
    assert "dbXref 'HGNC' is not PREFIX:ID; xref skipped, gene kept" in warnings
    assert "gene_omim.orgHsEg.tsv:1171: expected numeric GeneID and MIM, found '1017', 'not-a-mim'" in warnings


def test_provenance_and_checksums_on_every_record(result):
    assert len(result.files) == 3 and all(len(digest) == 64 for digest in result.files.values())
    for node in result.nodes:
        assert node.props["source"] == "genes" and node.props["source_version"] == result.source.version
        assert node.props["license"].startswith("NCBI Gene data: no restrictions")


def test_unreadable_files_fail_naming_the_file(tmp_path):
    (tmp_path / "genes/orgHsEg-2022-09-12").mkdir(parents=True)
    target = tmp_path / "genes/orgHsEg-2022-09-12/Homo_sapiens.gene_info.gz"
    target.write_bytes(NEWEST.read_bytes()[:2000])
    with pytest.raises(IngestError, match=r"Homo_sapiens.gene_info.gz:\d+: not a readable file"):
        genes.run(tmp_path)
    target.write_bytes(gzip.compress(b"#tax_id\tGeneID\tSymbol\n9606\t1\tA1BG\n"))
    with pytest.raises(IngestError, match=r"gene_info.gz:1: header lacks gene_info column\(s\) Synonyms"):
        genes.run(tmp_path)
    target.unlink()
    with pytest.raises(IngestError, match=r"Homo_sapiens.gene_info.gz.*ftp.ncbi.nlm.nih.gov"):
        genes.run(tmp_path)


def test_genes_land_in_the_graph_and_a_rewrite_changes_nothing(store, ingest_outcomes, result):
    count = "MATCH (g:Gene) WHERE 'genes' IN g.sources RETURN count(g) AS n"
    before = store.run(count)
    assert before == [{"n": len(result.nodes)}]
    cdk2 = store.run("MATCH (g:Gene {id: 'NCBIGene:1017'}) RETURN g.symbol AS symbol, g.xrefs AS xrefs")
    assert cdk2 == [{"symbol": "CDK2", "xrefs": ["ENSEMBL:ENSG00000123374", "HGNC:1771", "OMIM:116953"]}]
    GraphWriter(store, progress=False).write(result.nodes, [], what="genes again")
    assert store.run(count) == before
