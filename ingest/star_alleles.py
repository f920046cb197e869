"""Star-allele and diplotype calling from VCF genotypes, with PharmCAT's allele-definition tables.

Input: ``cpic/pharmcat_allele_definitions/<GENE>_translation.json`` (PharmCAT, MPL-2.0): the gene's defining
positions (``variants``: GRCh38 VCF position, rsid, VCF ``ref`` and ``alts``) and its named alleles
(``namedAlleles``: one allele string per position, in VCF spelling; ``null`` = "the reference named allele's
allele"; single-letter IUPAC codes such as ``R`` = A or G are allowed at SNPs). The first named allele marked
``reference`` (``*1``; ``*38`` for CYP2C19, where GRCh38 carries the rarer allele) is fully specified.

The algorithm (:func:`call_gene`), after PharmCAT's Named Allele Matcher (https://pharmcat.org/methods/):

1. **Positions.** Read the sample's genotype at every defining position. A position absent from the VCF or
   called ``./.`` is *missing* (unless ``absent_as_reference``, then an absent position counts as homozygous
   reference; a ``./.`` stays missing). Missing positions are dropped from every definition and listed in the
   call. A named allele defined at a missing position that, on the remaining positions, equals another named
   allele cannot be told apart from it: it stays in play (its score counts only the positions present, so the
   better-specified allele ranks first) and is listed as ``untestable``. If every position is missing the gene
   is not called.
2. **Definitions.** A named allele's expected allele at each remaining position is its own, or the reference
   named allele's where it has none. Its **score** is the number of positions it defines itself (non-null), so
   the fully specified reference allele scores highest and a specific definition beats a vague one.
3. **Candidates.** A named allele is a candidate only if, at every position, its expected allele is one of the
   sample's two observed alleles.
4. **Diplotypes.** A pair (a, b) of candidates is *consistent* when at every position {a's allele, b's allele}
   equals the observed genotype. Unphased data (any ``/`` at a heterozygous position) allow each position
   either orientation; phased data (``|`` everywhere it matters) require one orientation for all positions.
   A haploid genotype (chrX in males) is matched against single named alleles.
5. **Ranking.** Consistent diplotypes are ranked by the sum of their alleles' scores (then by name), so with
   unphased data the answer is the *set* of consistent diplotypes, best first. The call is the top-scoring
   set; when it holds several diplotypes the call is ambiguous and :class:`GeneCall` says so.
6. **No call.** A genotype that no pair of named alleles explains (a novel variant at a defining position, or
   more variant alleles than two haplotypes carry, e.g. three DPYD variants) gives no diplotype, with the reason.

Known limits (documented in the README): copy-number and structural alleles (CYP2D6 ``*5``, ``xN``
duplications, hybrids) cannot be seen in SNV/indel genotypes, so CYP2D6 calls from a VCF cover only its
sequence-defined alleles (PharmCAT wants an outside call for CYP2D6); DPYD is called as a diplotype of its named
alleles, not with PharmCAT's "two lowest-activity variants" rule; HLA genes are not called.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from pmkg.ingest.base import IngestError
from pmkg.ingest.vcf import Genotype, VcfRecord, normalise_chrom

DEFINITION_DIR = "cpic/pharmcat_allele_definitions"

# IUPAC nucleotide codes PharmCAT uses in SNP definitions.
IUPAC: dict[str, frozenset[str]] = {
    "A": frozenset("A"), "C": frozenset("C"), "G": frozenset("G"), "T": frozenset("T"),
    "R": frozenset("AG"), "Y": frozenset("CT"), "S": frozenset("GC"), "W": frozenset("AT"),
    "K": frozenset("GT"), "M": frozenset("AC"), "B": frozenset("CGT"), "D": frozenset("AGT"),
    "H": frozenset("ACT"), "V": frozenset("ACG"), "N": frozenset("ACGT"),
}  # fmt: skip


@dataclass(frozen=True)
class DefinedPosition:
    chrom: str
    pos: int
    rsid: str | None
    ref: str
    alts: tuple[str, ...]
    hgvs: str | None

    @property
    def key(self) -> tuple[str, int]:
        return (self.chrom, self.pos)


@dataclass(frozen=True)
class NamedAllele:
    name: str
    alleles: tuple[str | None, ...]  # one per position, VCF spelling; None = the reference named allele's
    reference: bool

    @property
    def score(self) -> int:
        return sum(a is not None for a in self.alleles)


@dataclass(frozen=True)
class AlleleDefinitions:
    """One gene's PharmCAT translation table."""

    gene: str
    chromosome: str
    genome_build: str
    version: str | None
    positions: tuple[DefinedPosition, ...]
    alleles: tuple[NamedAllele, ...]  # the reference named allele first
    path: str

    @property
    def reference(self) -> NamedAllele:
        return self.alleles[0]

    def expected(self, allele: NamedAllele, index: int) -> str:
        """The allele ``allele`` carries at position ``index`` (its own, else the reference allele's)."""
        own = allele.alleles[index]
        return own if own is not None else self.reference.alleles[index]  # type: ignore[return-value]

    @cached_property
    def match_table(self) -> MatchTable:
        return _match_table(self)


@dataclass(frozen=True)
class Diplotype:
    alleles: tuple[str, ...]  # two names (one for a haploid call), in the order the pair was found
    score: int

    @property
    def name(self) -> str:
        return "/".join(sorted(self.alleles, key=allele_sort_key))


@dataclass
class GeneCall:
    """The outcome of calling one gene for one sample."""

    gene: str
    diplotypes: list[Diplotype] = field(default_factory=list)  # every consistent diplotype, best first
    missing_positions: list[str] = field(default_factory=list)  # 'chr10:94781859 (rs4244285)'
    untestable_alleles: list[str] = field(default_factory=list)
    phased: bool = False
    reason: str | None = None  # why there is no call

    @property
    def called(self) -> bool:
        return bool(self.diplotypes)

    @property
    def top(self) -> list[Diplotype]:
        """The top-scoring diplotypes: the call (several = ambiguous)."""
        if not self.diplotypes:
            return []
        best = self.diplotypes[0].score
        return [d for d in self.diplotypes if d.score == best]

    @property
    def ambiguous(self) -> bool:
        return len(self.top) > 1

    @property
    def diplotype(self) -> str | None:
        """The call as text: ``'*1/*2'``, or ``'*1/*2 or *1/*3'`` when ambiguous; None when not called."""
        top = self.top
        return " or ".join(d.name for d in top) if top else None


def allele_sort_key(name: str) -> tuple:
    """``*1`` < ``*2`` < ``*10`` < ``*17`` < named alleles; natural order of the digits."""
    parts = re.split(r"(\d+)", name)
    return (0 if name.startswith("*") else 1, [int(p) if p.isdigit() else p for p in parts])


def definition_path(data_dir: Path, gene: str) -> Path:
    return data_dir / DEFINITION_DIR / f"{gene}_translation.json"


def available_genes(data_dir: Path) -> list[str]:
    paths = (data_dir / DEFINITION_DIR).glob("*_translation.json")
    return sorted(p.name.removesuffix("_translation.json") for p in paths)


def load_definitions(data_dir: Path, gene: str) -> AlleleDefinitions:
    """Read ``<GENE>_translation.json``; a missing or malformed file raises :class:`IngestError` naming it."""
    path = definition_path(data_dir, gene)
    if not path.is_file():
        raise IngestError(
            f"{path}: no PharmCAT allele definition for {gene}; genes with one: "
            f"{', '.join(available_genes(data_dir)) or 'none (is --data-dir the folder that holds cpic/?)'}"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IngestError(f"{path}: not readable JSON ({exc}); fetch it again") from exc
    try:
        return parse_definitions(document, str(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise IngestError(
            f"{path}: expected PharmCAT's translation format {{'gene', 'variants': [{{'chromosome', 'position', "
            f"'ref', 'alts'}}], 'namedAlleles': [{{'name', 'alleles', 'reference'}}]}} ({type(exc).__name__}: {exc})"
        ) from exc


def parse_definitions(document: Mapping, path: str = "<definitions>") -> AlleleDefinitions:
    positions = tuple(
        DefinedPosition(
            chrom=normalise_chrom(str(v["chromosome"])),
            pos=int(v["position"]),
            rsid=v.get("rsid"),
            ref=str(v["ref"]),
            alts=tuple(str(a) for a in v.get("alts") or ()),
            hgvs=v.get("chromosomeHgvsName"),
        )
        for v in document["variants"]
    )
    named = []
    for entry in document["namedAlleles"]:
        alleles = tuple(None if a is None else str(a) for a in entry["alleles"])
        if len(alleles) != len(positions):
            raise ValueError(f"named allele {entry['name']} has {len(alleles)} alleles for {len(positions)} positions")
        named.append(NamedAllele(str(entry["name"]), alleles, bool(entry.get("reference"))))
    references = [a for a in named if a.reference] or named[:1]
    reference = references[0]
    if any(a is None for a in reference.alleles):
        raise ValueError(f"reference named allele {reference.name} leaves positions undefined")
    ordered = (reference, *[a for a in named if a is not reference])
    return AlleleDefinitions(
        gene=str(document["gene"]),
        chromosome=normalise_chrom(str(document.get("chromosome") or positions[0].chrom)),
        genome_build=str(document.get("genomeBuild") or "GRCh38"),
        version=document.get("version"),
        positions=positions,
        alleles=ordered,
        path=path,
    )


@dataclass(frozen=True)
class MatchTable:
    """The definitions as bit masks, so that matching is a few array operations instead of Python loops.

    Each position has a vocabulary of concrete alleles (REF, ALTs and every allele a definition names, IUPAC
    codes expanded); ``expected[a, p]`` is the mask of the alleles named allele ``a`` accepts at ``p``.
    """

    vocabulary: tuple[dict[str, int], ...]  # per position: allele string -> bit
    expected: np.ndarray  # int64 (alleles, positions)
    defined: np.ndarray  # bool (alleles, positions): the allele names this position itself (its score)
    distinguishing: np.ndarray  # bool (alleles, positions): defined and different from the reference

    def bit(self, position: int, allele: str | None) -> int:
        """The mask of an observed allele; 0 for an allele no definition knows (it then matches nothing)."""
        if allele is None:
            return 0
        index = self.vocabulary[position].get(allele)
        return 0 if index is None else 1 << index


def _match_table(definitions: AlleleDefinitions) -> MatchTable:
    n_alleles, n_positions = len(definitions.alleles), len(definitions.positions)
    expected = np.zeros((n_alleles, n_positions), dtype=np.int64)
    defined = np.zeros((n_alleles, n_positions), dtype=bool)
    distinguishing = np.zeros((n_alleles, n_positions), dtype=bool)
    vocabulary: list[dict[str, int]] = []
    reference = definitions.reference.alleles
    for p, position in enumerate(definitions.positions):
        words: dict[str, int] = {}
        for allele in (position.ref, *position.alts, *(a.alleles[p] for a in definitions.alleles)):
            for concrete in _concrete_alleles(allele):
                words.setdefault(concrete, len(words))
        if len(words) > 62:
            raise ValueError(f"{definitions.gene} position {position.pos} has more than 62 distinct alleles")
        vocabulary.append(words)
        for a, allele in enumerate(definitions.alleles):
            own = allele.alleles[p]
            for concrete in _concrete_alleles(own if own is not None else reference[p]):
                expected[a, p] |= 1 << words[concrete]
            defined[a, p] = own is not None
            distinguishing[a, p] = own is not None and own != reference[p]
    return MatchTable(tuple(vocabulary), expected, defined, distinguishing)


def _concrete_alleles(allele: str | None) -> tuple[str, ...]:
    if allele is None:
        return ()
    if len(allele) == 1 and allele in IUPAC:
        return tuple(sorted(IUPAC[allele]))
    return (allele,)


def genotypes_at(
    definitions: AlleleDefinitions,
    records: Iterable[tuple[VcfRecord, Genotype]],
    absent_as_reference: bool = False,
) -> list[Genotype | None]:
    """The sample's genotype at each defining position (None = missing), from ``(record, genotype)`` pairs.

    Several records at one position (split multi-allelic sites) are merged: a non-reference call wins over the
    reference call of its sibling line.
    """
    wanted = {p.key: i for i, p in enumerate(definitions.positions)}
    found: list[Genotype | None] = [None] * len(definitions.positions)
    seen: set[int] = set()
    for record, genotype in records:
        index = wanted.get((record.chrom, record.pos))
        if index is None:
            continue
        seen.add(index)
        if genotype.missing:
            continue
        current = found[index]
        ref = definitions.positions[index].ref
        if current is None or all(a == ref for a in current.alleles if a is not None):
            found[index] = genotype
    if absent_as_reference:
        ploidies = [g.ploidy for g in found if g is not None]
        ploidy = max(set(ploidies), key=ploidies.count) if ploidies else 2  # a male's chrX calls stay haploid
        for i, position in enumerate(definitions.positions):
            if i not in seen:
                found[i] = Genotype((position.ref,) * ploidy, phased=False)
    return found


def call_gene(
    definitions: AlleleDefinitions,
    genotypes: list[Genotype | None],
    ignored_alleles: Iterable[str] = (),
) -> GeneCall:
    """Call ``definitions.gene`` from one genotype (or None = missing) per defining position. See the module doc."""
    call = GeneCall(definitions.gene)
    positions = definitions.positions
    present = [i for i, g in enumerate(genotypes) if g is not None]
    call.missing_positions = [
        f"{p.chrom}:{p.pos}" + (f" ({p.rsid})" if p.rsid else "")
        for i, p in enumerate(positions)
        if genotypes[i] is None
    ]
    if not present:
        call.reason = "no defining position was genotyped"
        return call
    observed: list[Genotype] = [g for g in genotypes if g is not None]
    ploidies = {g.ploidy for g in observed}
    if len(ploidies) > 1 or not ploidies <= {1, 2}:
        call.reason = f"unsupported ploidy across the gene's positions ({sorted(ploidies)})"
        return call
    ploidy = ploidies.pop()
    if any(a is None for g in observed for a in g.alleles):
        call.reason = "a half-missing genotype (e.g. ./1) at a defining position"
        return call
    call.phased = ploidy == 1 or all(g.phased for g in observed if len(set(g.alleles)) > 1)

    table = definitions.match_table
    cols = np.asarray(present)
    first = np.array([table.bit(i, g.alleles[0]) for i, g in zip(present, observed, strict=True)], dtype=np.int64)
    second = np.array([table.bit(i, g.alleles[-1]) for i, g in zip(present, observed, strict=True)], dtype=np.int64)

    usable = np.ones(len(definitions.alleles), dtype=bool)
    skip = set(ignored_alleles)
    for index, allele in enumerate(definitions.alleles):
        usable[index] = allele.name not in skip
    expected = table.expected[:, cols]  # (alleles, present positions) bit masks
    hit_first, hit_second = (expected & first) != 0, (expected & second) != 0
    candidate = np.flatnonzero(usable & (hit_first | hit_second).all(axis=1))
    scores = table.defined[:, cols].sum(axis=1)
    missing_cols = np.ones(len(positions), dtype=bool)
    missing_cols[cols] = False
    if missing_cols.any():
        # A named allele defined at a missing position that, on the positions present, looks exactly like another
        # named allele cannot be told apart from it; it stays a candidate (ranked by its lower score) but is listed.
        rows = {}
        for index in np.flatnonzero(usable):
            rows.setdefault(expected[index].tobytes(), []).append(index)
        for index in np.flatnonzero(usable & table.distinguishing[:, missing_cols].any(axis=1)):
            if len(rows[expected[index].tobytes()]) > 1:
                call.untestable_alleles.append(definitions.alleles[index].name)

    names = [a.name for a in definitions.alleles]
    found: list[Diplotype] = []
    if ploidy == 1:
        found = [Diplotype((names[i],), int(scores[i])) for i in candidate if hit_first[i].all()]
    elif candidate.size:
        f, s = hit_first[candidate], hit_second[candidate]  # (C, P)
        straight = f[:, None, :] & s[None, :, :]  # pair (x, y): x carries allele 1, y allele 2
        crossed = s[:, None, :] & f[None, :, :]
        # Phased: one orientation must hold at every position; unphased: each position may pick its own.
        consistent = straight.all(axis=2) | crossed.all(axis=2) if call.phased else (straight | crossed).all(axis=2)
        for x, y in zip(*np.nonzero(np.triu(consistent)), strict=True):
            a, b = candidate[x], candidate[y]
            found.append(Diplotype((names[a], names[b]), int(scores[a] + scores[b])))
    found.sort(key=lambda d: (-d.score, [allele_sort_key(n) for n in sorted(d.alleles, key=allele_sort_key)]))
    call.diplotypes = found
    if not found:
        call.reason = (
            "no pair of named alleles explains the genotype (a variant outside the definitions, or more "
            "variant alleles than two haplotypes carry)"
        )
    return call


def call_sample(
    definitions: Iterable[AlleleDefinitions],
    records: list[tuple[VcfRecord, Genotype]],
    absent_as_reference: bool = False,
    ignored_alleles: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, GeneCall]:
    """Call every gene in ``definitions`` for one sample's ``(record, genotype)`` pairs."""
    ignored_alleles = ignored_alleles or {}
    calls = {}
    for gene_definitions in definitions:
        genotypes = genotypes_at(gene_definitions, records, absent_as_reference)
        calls[gene_definitions.gene] = call_gene(
            gene_definitions, genotypes, ignored_alleles.get(gene_definitions.gene, ())
        )
    return calls


def load_exemptions(data_dir: Path) -> dict[str, list[str]]:
    """Gene -> named alleles PharmCAT's ``exemptions.json`` tells the matcher to ignore (empty if absent)."""
    path = data_dir / DEFINITION_DIR / "exemptions.json"
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return {str(e["gene"]): [str(a) for a in e.get("ignoredAlleles") or []] for e in document}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IngestError(f"{path}: expected a list of {{'gene', 'ignoredAlleles'}} ({exc})") from exc


def haplotype_genotype(definitions: AlleleDefinitions, first: str, second: str | None) -> list[Genotype]:
    """The unphased genotype per position of a sample carrying ``first``/``second`` (``second`` None: haploid).

    The inverse of calling, used by the synthetic cohort and the tests. IUPAC codes resolve to their first
    base in alphabetical order.
    """
    by_name = {a.name: a for a in definitions.alleles}
    chosen = [by_name[first]] + ([by_name[second]] if second is not None else [])
    out = []
    for i in range(len(definitions.positions)):
        calls = tuple(_concrete(definitions.expected(a, i)) for a in chosen)
        out.append(Genotype(calls, phased=False))
    return out


def _concrete(allele: str) -> str:
    if len(allele) == 1 and allele in IUPAC and len(IUPAC[allele]) > 1:
        return sorted(IUPAC[allele])[0]
    return allele
