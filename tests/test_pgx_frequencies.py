"""The synthetic cohort's allele frequencies are a documented, replaceable table, and every cohort names its own."""

from __future__ import annotations

import json

import pytest
from pmkg.ingest.pgx_frequencies import DEFAULT_TABLE, EUROPEAN, load_frequency_table
from pmkg.ingest.star_alleles import load_definitions
from pmkg.ingest.synthetic import CohortGenerator, SynthConfig, write_cohort

from pmkg.workflows.cohort import read_cohort_source
from tests.conftest import FIXTURES

HEADER = "gene\tallele\tfrequency\tpopulation\n"


def test_the_default_table_is_the_bundled_european_approximation():
    assert EUROPEAN.population == "European (approximate)" and EUROPEAN.path == str(DEFAULT_TABLE)
    assert EUROPEAN.frequencies["CYP2C19"] == {"*2": 0.15, "*3": 0.002, "*17": 0.21}
    assert "do not represent other biogeographic groups" in EUROPEAN.note


def test_a_population_table_replaces_the_default_and_the_cohort_records_it(store, ingest_outcomes, tmp_path):
    table = tmp_path / "east-asian.tsv"
    rows = ["CYP2C19\t*2\t0.30\tEast Asian (example)\n", "CYP2C19\t*3\t0.07\tEast Asian (example)\n"]
    table.write_text("# illustrative\n" + HEADER + "".join(rows))
    source = read_cohort_source(store)
    definitions = {"CYP2C19": load_definitions(FIXTURES, "CYP2C19")}

    def poor_share(config: SynthConfig) -> float:
        generator = CohortGenerator(source, definitions, config)
        poor = sum(
            all(a in ("*2", "*3") for a in generator.patient(i).haplotypes["CYP2C19"]) for i in range(2000)
        )
        return poor / 2000

    default = SynthConfig(n=2000, seed=1, genes=("CYP2C19",))
    custom = SynthConfig(n=2000, seed=1, genes=("CYP2C19",), allele_frequencies=str(table))
    assert poor_share(default) < 0.05 < 0.10 < poor_share(custom)  # HWE: 0.023 vs 0.137
    files = write_cohort(CohortGenerator(source, definitions, SynthConfig(**{**custom.__dict__, "n": 5})),
                         tmp_path / "cohort", progress=False)  # fmt: skip
    manifest = json.loads(files.manifest.read_text())
    assert manifest["population"] == "East Asian (example)" and manifest["frequency_source"] == str(table)
    assert manifest["population_note"].startswith("synthetic genotypes drawn from East Asian (example)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gene\tallele\tfreq\tpopulation\n", r"line 1: the header must be"),
        (HEADER + "CYP2C19\t*2\tmany\tX\n", r"line 2, field frequency: not a number"),
        (HEADER + "CYP2C19\t*2\t1.5\tX\n", r"line 2, field frequency: must be between 0 and 1"),
        (HEADER + "CYP2C19\t*2\t0.1\tX\nCYP2C19\t*3\t0.1\tY\n", r"one table holds one population"),
        (HEADER + "CYP2C19\t*2\n", r"line 2: 2 fields, expected 4"),
    ],
)
def test_a_malformed_table_names_file_line_and_field(tmp_path, text, message):
    path = tmp_path / "table.tsv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_frequency_table(path)
