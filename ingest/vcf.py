"""A small VCF 4.x reader (and writer) for genotypes: plain or gzipped, one or many samples.

Only what patient ingest needs is read: ``#CHROM`` header with the sample names, and per data line ``CHROM``,
``POS``, ``ID``, ``REF``, ``ALT``, ``FILTER`` and each sample's ``GT`` (the first key of ``FORMAT`` by the
spec, but it is looked up by name). ``INFO`` and the other ``FORMAT`` fields are not parsed.

A genotype keeps its alleles as strings (``REF`` or one of the ``ALT`` s, ``None`` for ``.``), whether it is
phased (``|``) and its ploidy (``1`` for chrX/chrY/chrM calls in males, ``2`` otherwise). Chromosome names are
normalised to ``chr``-prefixed (``10`` and ``chr10`` are one chromosome), since PharmCAT's allele definitions use
``chr10``.

Errors name the file, the line and the field, and say what was expected (:class:`VcfError`). A malformed data
line stops the file: a genotype file with a broken line is not trusted half-way.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

REQUIRED_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
MISSING = -1  # '.' in a GT
ABSENT = -2  # the second slot of a haploid call


class VcfError(ValueError):
    """A VCF that cannot be read; the message names the file, line and field."""


@dataclass(frozen=True, slots=True)
class Genotype:
    alleles: tuple[str | None, ...]  # allele strings, None for a missing call ('.')
    phased: bool

    @property
    def missing(self) -> bool:
        return all(a is None for a in self.alleles)

    @property
    def ploidy(self) -> int:
        return len(self.alleles)


@dataclass(frozen=True, slots=True)
class VcfRecord:
    """One data line. Genotypes are kept as allele indices, so a 10,000-sample cohort costs a few bytes each."""

    chrom: str  # normalised, e.g. 'chr10'
    pos: int
    ids: tuple[str, ...]  # the ID column split on ';' ('.' gives ())
    ref: str
    alts: tuple[str, ...]
    filter: str
    calls: np.ndarray  # int16 (samples, 2): allele index, MISSING for '.', ABSENT for a haploid call's 2nd slot
    phased: np.ndarray  # bool (samples,)
    line: int

    @property
    def alleles(self) -> tuple[str, ...]:
        return (self.ref, *self.alts)

    def genotype(self, sample: int) -> Genotype:
        alleles = self.alleles
        calls = tuple(None if c == MISSING else alleles[c] for c in self.calls[sample] if c != ABSENT)
        return Genotype(calls, bool(self.phased[sample]))

    def is_variant(self, sample: int) -> bool:
        """True when the sample carries a non-reference allele here."""
        return bool((self.calls[sample] > 0).any())


@dataclass
class VcfFile:
    path: str
    samples: list[str]
    records: list[VcfRecord] = field(default_factory=list)
    assembly: str | None = None  # from ##reference or ##contig assembly=, when the header says
    meta: list[str] = field(default_factory=list)  # the '##' header lines

    def genotypes_of(self, sample: str) -> list[tuple[VcfRecord, Genotype]]:
        index = self.samples.index(sample)
        return [(record, record.genotype(index)) for record in self.records]


def normalise_chrom(chrom: str) -> str:
    """``'10'`` / ``'chr10'`` / ``'CHR10'`` -> ``'chr10'``; ``'MT'`` / ``'M'`` -> ``'chrM'``."""
    bare = chrom[3:] if chrom.lower().startswith("chr") else chrom
    if bare.upper() in ("M", "MT"):
        return "chrM"
    return f"chr{bare.upper() if bare.lower() in ('x', 'y') else bare}"


def read_vcf(path: Path, keep: Callable[[str, int], bool] | None = None) -> VcfFile:
    """Read a VCF (plain or ``.gz``/bgzip); ``keep(chrom, pos)`` selects records (default: all).

    Raises :class:`VcfError` naming the file and line.
    """
    try:
        with _open(path) as fh:
            return parse_vcf(fh, str(path), keep)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise VcfError(f"{path}: not a readable VCF ({exc}); is it truncated, or not (b)gzip/plain text?") from exc


def parse_vcf_text(text: str, name: str = "<vcf text>", keep: Callable[[str, int], bool] | None = None) -> VcfFile:
    """Parse VCF content held in memory (e.g. uploaded with a request)."""
    return parse_vcf(io.StringIO(text), name, keep)


def parse_vcf(lines: Iterable[str], name: str, keep: Callable[[str, int], bool] | None = None) -> VcfFile:
    samples: list[str] | None = None
    vcf: VcfFile | None = None
    assembly = None
    fileformat_seen = False
    meta: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line:
            continue
        if line.startswith("##"):
            meta.append(line)
            if number == 1 and line.startswith("##fileformat=VCF"):
                fileformat_seen = True
            lowered = line.lower()
            if assembly is None and lowered.startswith("##reference="):
                assembly = line.split("=", 1)[1]
            elif assembly is None and lowered.startswith("##contig=") and "assembly=" in lowered:
                assembly = line[lowered.index("assembly=") + len("assembly=") :].split(",")[0].rstrip(">")
            continue
        if line.startswith("#"):
            columns = line.split("\t")
            if tuple(columns[:8]) != REQUIRED_COLUMNS:
                raise VcfError(
                    f"{name}:{number}: header line must start with {' '.join(REQUIRED_COLUMNS)} (tab-separated), "
                    f"found {' '.join(columns[:8])!r}"
                )
            if len(columns) > 9 and columns[8] != "FORMAT":
                raise VcfError(f"{name}:{number}: column 9 must be FORMAT, found {columns[8]!r}")
            samples = columns[9:]
            repeated = [i + 10 for i, s in enumerate(samples) if samples.count(s) > 1]
            if repeated:
                # Column numbers, not the names: a sample name is a patient identifier.
                columns_text = ", ".join(map(str, repeated))
                raise VcfError(f"{name}:{number}: sample columns {columns_text} of the header repeat a sample name")
            vcf = VcfFile(name, samples, assembly=assembly, meta=meta)
            continue
        if vcf is None or samples is None:
            hint = "" if fileformat_seen else " (and no ##fileformat=VCF line: is this a VCF?)"
            raise VcfError(f"{name}:{number}: data before the #CHROM header line{hint}")
        if keep is not None:
            chrom, pos = line.split("\t", 2)[:2]
            if not pos.isdigit():
                raise VcfError(f"{name}:{number}: POS must be a positive integer, found {pos!r}")
            if not keep(normalise_chrom(chrom), int(pos)):
                continue
        vcf.records.append(_record(line, number, name, len(samples)))
    if vcf is None:
        raise VcfError(f"{name}: no #CHROM header line; is this a VCF?")
    return vcf


def _record(line: str, number: int, name: str, n_samples: int) -> VcfRecord:
    values = line.split("\t")
    expected = 8 + (1 + n_samples if n_samples else 0)
    if len(values) != expected:
        raise VcfError(f"{name}:{number}: expected {expected} tab-separated columns, found {len(values)}")
    chrom, pos, ids, ref, alt, _qual, filt = values[:7]
    if not pos.isdigit():
        raise VcfError(f"{name}:{number}: POS must be a positive integer, found {pos!r}")
    if not ref or ref == ".":
        raise VcfError(f"{name}:{number}: REF is empty; every record needs its reference allele")
    alts = tuple(a for a in alt.split(",") if a != ".")
    calls = np.full((n_samples, 2), ABSENT, dtype=np.int16)
    phased = np.zeros(n_samples, dtype=bool)
    if n_samples:
        keys = values[8].split(":")
        if "GT" not in keys:
            raise VcfError(f"{name}:{number}: FORMAT {values[8]!r} has no GT; pmkg reads genotypes")
        gt_index = keys.index("GT")
        n_alleles = 1 + len(alts)
        for sample, entry in enumerate(values[9:]):
            fields = entry.split(":") if gt_index else (entry.split(":", 1)[0],)
            gt = fields[gt_index] if gt_index < len(fields) else "."
            cached = _GT_CACHE.get(gt)
            if cached is None:
                cached = _parse_gt(gt)
                if len(_GT_CACHE) < 4096:
                    _GT_CACHE[gt] = cached
            indices, is_phased = cached
            if indices is None or any(i >= n_alleles for i in indices):
                raise VcfError(
                    f"{name}:{number}: sample {sample + 1}'s GT is not a genotype over REF + {len(alts)} ALT "
                    "(expected e.g. 0/1, 1|0, ./., or 1 for a haploid call)"
                )
            calls[sample, : len(indices)] = indices
            phased[sample] = is_phased
    return VcfRecord(
        chrom=normalise_chrom(chrom),
        pos=int(pos),
        ids=tuple(i for i in ids.split(";") if i and i != "."),
        ref=ref,
        alts=alts,
        filter=filt,
        calls=calls,
        phased=phased,
        line=number,
    )


_GT_CACHE: dict[str, tuple[tuple[int, ...] | None, bool]] = {}


def _parse_gt(gt: str) -> tuple[tuple[int, ...] | None, bool]:
    """``'0|1'`` -> ((0, 1), True); ``'./.'`` -> ((MISSING, MISSING), False); None when it is no genotype."""
    parts = gt.replace("|", "/").split("/")
    if not 1 <= len(parts) <= 2:
        return None, False
    indices = []
    for part in parts:
        if part == ".":
            indices.append(MISSING)
        elif part.isdigit():
            indices.append(int(part))
        else:
            return None, False
    return tuple(indices), "|" in gt


def _open(path: Path) -> TextIO:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":  # gzip and bgzip alike, whatever the suffix
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def format_vcf(
    samples: list[str],
    rows: Iterable[tuple[str, int, str, str, tuple[str, ...], list[str]]],
    assembly: str = "GRCh38",
    source: str = "pmkg",
) -> str:
    """VCF 4.2 text: ``rows`` are ``(chrom, pos, id, ref, alts, [GT per sample])``, already sorted."""
    out = [
        "##fileformat=VCFv4.2",
        f"##source={source}",
        f"##reference={assembly}",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join([*REQUIRED_COLUMNS, "FORMAT", *samples]),
    ]
    for chrom, pos, vid, ref, alts, gts in rows:
        out.append("\t".join([chrom, str(pos), vid or ".", ref, ",".join(alts) or ".", ".", "PASS", ".", "GT", *gts]))
    return "\n".join(out) + "\n"
