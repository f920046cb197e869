"""Star-allele frequencies for the synthetic cohort, and the documented fallback when a table lacks them.

Where frequencies come from, in order:

1. ``populationFrequency`` of a named allele in PharmCAT's allele-definition file, when the file carries it (the
   2024-03 definitions in ``cpic/pharmcat_allele_definitions`` leave it null for every allele).
2. A frequency table (:func:`load_frequency_table`): by default ``pgx_frequencies_european.tsv`` next to this
   module, approximate European-ancestry frequencies of the common, function-changing alleles, rounded from the
   CPIC allele frequency tables (https://cpicpgx.org/guidelines/, the "<gene> frequency table" file of each
   guideline; PharmGKB republishes them). Those tables are not part of the data bundle, so the numbers were
   entered by hand; they only shape a synthetic cohort and are never used to interpret a real patient. A user
   with another biogeographic group's frequencies passes their own table (``pmkg cohort synth
   --allele-frequencies``); every cohort records which table it was drawn from (:attr:`FrequencyTable.note`).
3. Fallback: any other named allele gets frequency 0 (it is never sampled), and the gene's *wild-type* allele
   (``*1``, or the reference named allele when there is no ``*1``) takes the remaining probability mass.

Genes outside the table are not genotyped by the synthetic cohort (:data:`SYNTHETIC_GENES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pmkg.ingest.star_alleles import AlleleDefinitions

DEFAULT_TABLE = Path(__file__).with_name("pgx_frequencies_european.tsv")
COLUMNS = ("gene", "allele", "frequency", "population")
POPULATION_NOTE = (
    "synthetic genotypes drawn from {population} allele frequencies ({path}); they do not represent other "
    "biogeographic groups: generate a cohort per group with --allele-frequencies to compare"
)


@dataclass(frozen=True)
class FrequencyTable:
    """gene -> {named allele: frequency} for one population; the wild-type allele's share is 1 - the sum."""

    population: str
    frequencies: dict[str, dict[str, float]]
    path: str

    @property
    def note(self) -> str:
        shown = Path(self.path).name if Path(self.path) == DEFAULT_TABLE else self.path
        return POPULATION_NOTE.format(population=self.population, path=shown)


def load_frequency_table(path: Path = DEFAULT_TABLE) -> FrequencyTable:
    """Read a tab-separated table (``gene, allele, frequency, population``; ``#`` lines are comments).

    A malformed row raises ``ValueError`` naming the file, line and field; one table holds one population.
    """
    frequencies: dict[str, dict[str, float]] = {}
    populations: set[str] = set()
    header_seen = False
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if not header_seen:
                if tuple(fields) != COLUMNS:
                    raise ValueError(f"{path}: line {number}: the header must be {chr(9).join(COLUMNS)!r}")
                header_seen = True
                continue
            if len(fields) != len(COLUMNS):
                raise ValueError(f"{path}: line {number}: {len(fields)} fields, expected {len(COLUMNS)}")
            gene, allele, value, population = fields
            try:
                frequency = float(value)
            except ValueError:
                raise ValueError(f"{path}: line {number}, field frequency: not a number") from None
            if not 0.0 <= frequency <= 1.0:
                raise ValueError(f"{path}: line {number}, field frequency: must be between 0 and 1")
            if allele in frequencies.setdefault(gene, {}):
                raise ValueError(f"{path}: line {number}: {gene} {allele} is listed twice")
            frequencies[gene][allele] = frequency
            populations.add(population)
    if not frequencies:
        raise ValueError(f"{path}: no frequency rows")
    if len(populations) > 1:
        raise ValueError(f"{path}: one table holds one population; found {', '.join(sorted(populations))}")
    return FrequencyTable(populations.pop(), frequencies, str(path))


EUROPEAN = load_frequency_table()
EUROPEAN_FREQUENCIES: dict[str, dict[str, float]] = EUROPEAN.frequencies
SYNTHETIC_GENES = tuple(sorted(EUROPEAN_FREQUENCIES))


def wild_type(definitions: AlleleDefinitions) -> str:
    names = [a.name for a in definitions.alleles]
    return "*1" if "*1" in names else definitions.reference.name


def allele_frequencies(
    definitions: AlleleDefinitions,
    population_frequencies: dict[str, float] | None = None,
    table: FrequencyTable = EUROPEAN,
) -> dict[str, float]:
    """Named allele -> frequency for ``definitions.gene`` (see the module docstring for the sources and fallback).

    ``population_frequencies`` (from the definition file, when present) overrides the table. Raises
    ``ValueError`` when a listed allele is not defined or the frequencies sum past 1.
    """
    names = {a.name for a in definitions.alleles}
    table_ = dict(population_frequencies or table.frequencies.get(definitions.gene, {}))
    unknown = sorted(set(table_) - names)
    if unknown:
        raise ValueError(f"{definitions.gene}: frequencies for alleles the definitions lack: {', '.join(unknown)}")
    base = wild_type(definitions)
    table_.pop(base, None)
    rest = 1.0 - sum(table_.values())
    if rest < 0:
        raise ValueError(f"{definitions.gene}: allele frequencies sum to {1 - rest:.3f} > 1")
    return {base: rest, **table_}
