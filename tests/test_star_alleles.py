"""Star-allele calling and the CPIC chain on PharmCAT's real tables (fixtures cut by tools/fixtures/cut_patients.py)."""

from __future__ import annotations

import gzip

import pytest
from pmkg.ingest.base import IngestError
from pmkg.ingest.pgx import CONTRAINDICATING, PgxKnowledge
from pmkg.ingest.star_alleles import call_gene, genotypes_at, haplotype_genotype, load_definitions
from pmkg.ingest.vcf import Genotype, VcfError, parse_vcf_text, read_vcf
from pmkg.ingest.xrefs import Resolver

from tests.conftest import FIXTURES

VCF = FIXTURES / "patients" / "genotypes.vcf"
GENES = {f"NCBIGene:{n}": f"NCBIGene:{n}" for n in (1557, 1565)}
DRUG_NAMES = {"clopidogrel": "DRUGBANK:DB00758", "codeine": "DRUGBANK:DB00318"}


@pytest.fixture(scope="module")
def cyp2c19():
    return load_definitions(FIXTURES, "CYP2C19")


@pytest.fixture(scope="module")
def pgx():
    return PgxKnowledge.load(
        FIXTURES, Resolver.from_tables(genes=GENES, drug_names=DRUG_NAMES), genes=["CYP2C19", "CYP2D6", "UGT1A1"]
    )


def unphased(definitions, first, second):
    return haplotype_genotype(definitions, first, second)


@pytest.mark.parametrize(
    ("first", "second"), [("*1", "*1"), ("*1", "*2"), ("*2", "*2"), ("*2", "*3"), ("*1", "*17"), ("*17", "*17")]
)
def test_unphased_genotypes_of_known_diplotypes_are_called_back(cyp2c19, first, second):
    call = call_gene(cyp2c19, unphased(cyp2c19, first, second))
    assert call.diplotype == f"{first}/{second}"
    assert not call.ambiguous and not call.missing_positions
    assert call.phased == (first == second)  # phase only matters where a position is heterozygous


def test_the_reference_named_allele_is_not_star_one_for_cyp2c19(cyp2c19):
    # GRCh38 carries CYP2C19*38 (rs3758581 A); *1 differs from it there, and blanks mean "as *38".
    assert cyp2c19.reference.name == "*38"
    all_reference = [Genotype((p.ref, p.ref), False) for p in cyp2c19.positions]
    assert call_gene(cyp2c19, all_reference).diplotype == "*38/*38"


def test_missing_positions_are_reported_and_alleles_they_define_become_untestable(cyp2c19):
    genotypes = unphased(cyp2c19, "*1", "*2")
    index = [p.rsid for p in cyp2c19.positions].index("rs4986893")  # the *3 SNP
    genotypes[index] = None
    call = call_gene(cyp2c19, genotypes)
    # Without rs4986893, *3 looks like *1; *1 defines more of the positions present, so it ranks first.
    assert call.diplotype == "*1/*2" and not call.ambiguous
    assert "*2/*3" in [d.name for d in call.diplotypes]
    assert call.missing_positions == [f"chr10:{cyp2c19.positions[index].pos} (rs4986893)"]
    assert "*3" in call.untestable_alleles


def test_phase_decides_between_diplotypes_that_unphased_data_cannot_separate():
    ugt1a1 = load_definitions(FIXTURES, "UGT1A1")
    # *80 (rs887829 T) and *28 (TA8) together: unphased, *1/*80+*28 and *28/*80 both fit.
    genotypes = unphased(ugt1a1, "*28", "*80")
    unphased_call = call_gene(ugt1a1, genotypes)
    assert {d.name for d in unphased_call.diplotypes} >= {"*28/*80", "*1/*80+*28"}
    phased = [Genotype(g.alleles, True) for g in genotypes]
    assert call_gene(ugt1a1, phased).diplotype == "*28/*80"


def test_a_variant_no_definition_knows_gives_no_call_with_the_reason(cyp2c19):
    genotypes = unphased(cyp2c19, "*1", "*1")
    genotypes[5] = Genotype((cyp2c19.positions[5].ref, "N" * 7), False)
    call = call_gene(cyp2c19, genotypes)
    assert not call.called and "no pair of named alleles" in call.reason


def test_cpic_worked_examples_diplotype_to_phenotype(pgx):
    assert pgx.phenotype_of_diplotype("CYP2C19", "*2/*2").phenotype == "Poor Metabolizer"
    assert pgx.phenotype_of_diplotype("CYP2C19", "*17/*1").phenotype == "Rapid Metabolizer"
    assert pgx.phenotype_of_diplotype("CYP2C19", "*17/*17").phenotype == "Ultrarapid Metabolizer"
    cyp2d6 = pgx.phenotype_of_diplotype("CYP2D6", "*4/*4")
    assert (cyp2d6.phenotype, cyp2d6.activity_score, cyp2d6.lookup_key) == ("Poor Metabolizer", "0.0", "0.0")


def test_clopidogrel_for_a_cyp2c19_poor_metaboliser_is_an_alternative_drug(pgx):
    vcf = read_vcf(VCF)
    profile = pgx.profile_from_records(vcf.genotypes_of("PMID_24573067_CASE_REPORT"))
    assert profile.calls["CYP2C19"].diplotype == "*2/*2"
    assert profile.phenotypes["CPIC"]["CYP2C19"].phenotype == "Poor Metabolizer"
    clopidogrel = [r for r in profile.recommendations if r.drug_name == "clopidogrel" and r.guideline_source == "CPIC"]
    assert clopidogrel and all(r.action in CONTRAINDICATING for r in clopidogrel)
    strongest = next(r for r in clopidogrel if r.classification == "Strong")
    assert "prasugrel or ticagrelor" in strongest.text and strongest.drug_id == "DRUGBANK:DB00758"
    assert "DRUGBANK:DB00758" in profile.contraindicated("CPIC")
    assert profile.flags()["DRUGBANK:DB00758"].guideline_source == "CPIC"
    # CYP2D6 *4/*4 (activity 0): CPIC says avoid codeine.
    assert profile.phenotypes["CPIC"]["CYP2D6"].lookup_key == "0.0"
    assert "DRUGBANK:DB00318" in profile.contraindicated("CPIC")


def test_a_normal_metaboliser_gets_no_contraindication_and_missing_positions_are_kept(pgx):
    vcf = read_vcf(VCF)
    profile = pgx.profile_from_records(vcf.genotypes_of("PMID_16546111_A_IV_5"))
    call = profile.calls["CYP2C19"]
    assert call.diplotype == "*1/*17" and len(call.missing_positions) == 1
    assert profile.phenotypes["CPIC"]["CYP2C19"].phenotype == "Rapid Metabolizer"
    assert "DRUGBANK:DB00758" not in profile.contraindicated("CPIC")


def test_absent_positions_are_missing_unless_asked_to_count_as_reference(cyp2c19):
    # A variant-only VCF of a *1/*2 sample: only its non-reference calls are written.
    text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
    written = 0
    for position, genotype in zip(cyp2c19.positions, unphased(cyp2c19, "*1", "*2"), strict=True):
        alleles = [position.ref, *position.alts]
        if set(genotype.alleles) != {position.ref}:
            gt = "/".join(str(alleles.index(a)) for a in genotype.alleles)
            text += f"chr10\t{position.pos}\t.\t{position.ref}\t{','.join(position.alts)}\t.\tPASS\t.\tGT\t{gt}\n"
            written += 1
    records = parse_vcf_text(text).genotypes_of("S1")
    sparse = call_gene(cyp2c19, genotypes_at(cyp2c19, records))
    assert len(sparse.missing_positions) == len(cyp2c19.positions) - written
    assert sparse.untestable_alleles  # alleles defined at the absent positions cannot be told apart
    as_reference = call_gene(cyp2c19, genotypes_at(cyp2c19, records, absent_as_reference=True))
    assert as_reference.diplotype == "*1/*2" and not as_reference.missing_positions


def test_vcf_reader_handles_gzip_multi_sample_and_haploid_calls(tmp_path):
    text = (
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n"
        "10\t100\trs1;x\tG\tA,T\t.\tPASS\t.\tGT:DP\t0|2:10\t1/1:3\t./.:0\n"
        "chrX\t5\t.\tC\tG\t.\tPASS\t.\tGT\t1\t0\t.\n"
    )
    path = tmp_path / "cohort.vcf.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(text)
    vcf = read_vcf(path)
    assert vcf.samples == ["A", "B", "C"] and [r.chrom for r in vcf.records] == ["chr10", "chrX"]
    first = vcf.records[0]
    assert first.ids == ("rs1", "x")
    assert first.genotype(0) == Genotype(("G", "T"), True)
    assert first.genotype(1) == Genotype(("A", "A"), False) and first.genotype(2).missing
    assert vcf.records[1].genotype(0) == Genotype(("G",), False)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("10\t100\t.\tG\tA\t.\tPASS\t.\tGT\t0/3", "VCF:3: sample 1's GT is not a genotype over REF + 1 ALT"),
        ("10\tabc\t.\tG\tA\t.\tPASS\t.\tGT\t0/1", "VCF:3: POS must be a positive integer"),
        ("10\t100\t.\tG\tA\t.\tPASS\t.", "VCF:3: expected 10 tab-separated columns, found 8"),
    ],
)
def test_bad_vcf_lines_name_the_file_line_and_field(line, message):
    text = f"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n{line}\n"
    with pytest.raises(VcfError, match=message.replace("+", r"\+")):
        parse_vcf_text(text, "VCF")


def test_a_repeated_sample_name_is_reported_by_column_never_by_name():
    text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tJane\tBob\tJane\n"
    with pytest.raises(VcfError, match=r"VCF:2: sample columns 10, 12 of the header repeat a sample name") as info:
        parse_vcf_text(text, "VCF")
    assert "Jane" not in str(info.value)


def test_a_gene_without_definitions_is_a_clear_error():
    with pytest.raises(IngestError, match="no PharmCAT allele definition for NOTAGENE.*CYP2C19"):
        load_definitions(FIXTURES, "NOTAGENE")


@pytest.mark.parametrize(
    ("text", "action"),
    [
        # CPIC tamoxifen, CYP2D6 normal metabolisers: the "avoid" is about co-medication, not tamoxifen.
        ("Avoid moderate and strong CYP2D6 inhibitors. Initiate therapy with recommended standard of care dosing "
         "(tamoxifen 20 mg/day).", "standard"),
        # CPIC fluoropyrimidines, DPYD activity 2.0.
        ("Based on genotype, there is no indication to change dose or therapy. Use label-recommended dosage and "
         "administration.", "standard"),
        # CPIC statins, normal function.
        ("Prescribe desired starting dose and adjust doses based on disease-specific guidelines.", "standard"),
        ("No reason to avoid based on G6PD status", "standard"),
        ("Avoid clopidogrel if possible. Use prasugrel or ticagrelor at standard dose.", "avoid"),
    ],
)  # fmt: skip
def test_recommendation_actions_that_flag_patients_read_the_real_cpic_wording(text, action):
    from pmkg.ingest.pharmcat import action_of

    assert action_of(text) == action
