"""Star-allele frequencies for the synthetic cohort, and the documented fallback when a table lacks them.

Where frequencies come from, in order:

1. ``populationFrequency`` of a named allele in PharmCAT's allele-definition file, when the file carries it (the
   2024-03 definitions in ``cpic/pharmcat_allele_definitions`` leave it null for every allele).
2. :data:`EUROPEAN_FREQUENCIES` below: approximate European-ancestry frequencies of the common, function-
   changing alleles, rounded from the CPIC allele frequency tables (https://cpicpgx.org/guidelines/, the
   "<gene> frequency table" file of each guideline; PharmGKB republishes them). Those tables are not part of
   the data bundle, so the numbers were entered by hand; they only shape a synthetic cohort and are never used
   to interpret a real patient.
3. Fallback: any other named allele gets frequency 0 (it is never sampled), and the gene's *wild-type* allele
   (``*1``, or the reference named allele when there is no ``*1``) takes the remaining probability mass.

Genes outside the table are not genotyped by the synthetic cohort (:data:`SYNTHETIC_GENES`).
"""

from __future__ import annotations

from pmkg.ingest.star_alleles import AlleleDefinitions

# gene -> {named allele: frequency}; the wild-type allele's share is 1 - the sum.
EUROPEAN_FREQUENCIES: dict[str, dict[str, float]] = {
    "CYP2C19": {"*2": 0.15, "*3": 0.002, "*17": 0.21},
    "CYP2C9": {"*2": 0.13, "*3": 0.07, "*5": 0.001, "*8": 0.002, "*11": 0.002},
    "CYP2D6": {"*2": 0.27, "*3": 0.015, "*4": 0.185, "*6": 0.01, "*9": 0.02, "*10": 0.03, "*41": 0.09},
    "CYP3A5": {"*3": 0.92, "*6": 0.002, "*7": 0.001},
    "CYP2B6": {"*4": 0.02, "*6": 0.23, "*9": 0.01, "*18": 0.001},
    "DPYD": {
        "c.1905+1G>A (*2A)": 0.006,
        "c.2846A>T": 0.005,
        "c.1679T>G (*13)": 0.001,
        "c.1129-5923C>G, c.1236G>A (HapB3)": 0.02,
    },
    "NUDT15": {"*2": 0.001, "*3": 0.002},
    "TPMT": {"*2": 0.002, "*3A": 0.034, "*3B": 0.001, "*3C": 0.004},
    "SLCO1B1": {"*5": 0.02, "*15": 0.14, "*37": 0.25},
    "UGT1A1": {"*6": 0.005, "*28": 0.01, "*80": 0.02, "*80+*28": 0.30},
}
SYNTHETIC_GENES = tuple(sorted(EUROPEAN_FREQUENCIES))


def wild_type(definitions: AlleleDefinitions) -> str:
    names = [a.name for a in definitions.alleles]
    return "*1" if "*1" in names else definitions.reference.name


def allele_frequencies(
    definitions: AlleleDefinitions, population_frequencies: dict[str, float] | None = None
) -> dict[str, float]:
    """Named allele -> frequency for ``definitions.gene`` (see the module docstring for the sources and fallback).

    ``population_frequencies`` (from the definition file, when present) overrides the table. Raises
    ``ValueError`` when a listed allele is not defined or the frequencies sum past 1.
    """
    names = {a.name for a in definitions.alleles}
    table = dict(population_frequencies or EUROPEAN_FREQUENCIES.get(definitions.gene, {}))
    unknown = sorted(set(table) - names)
    if unknown:
        raise ValueError(f"{definitions.gene}: frequencies for alleles the definitions lack: {', '.join(unknown)}")
    base = wild_type(definitions)
    table.pop(base, None)
    rest = 1.0 - sum(table.values())
    if rest < 0:
        raise ValueError(f"{definitions.gene}: allele frequencies sum to {1 - rest:.3f} > 1")
    return {base: rest, **table}
