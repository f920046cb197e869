"""The little of HGVS that matching a tumour's variants to CIViC needs: protein changes, and expressions checked.

* :func:`protein_key` turns a protein change in any common spelling into one key: ``p.Val600Glu``,
  ``p.(Val600Glu)``, ``V600E`` and ``val600glu`` all give ``V600E``; ``p.Gly12Ter``, ``G12*`` and ``G12X`` give
  ``G12*``; a frameshift keeps its first changed residue (``p.Trp288CysfsTer12`` -> ``W288FS``, as CIViC names
  it ``W288fs``); ranges, deletions, insertions and duplications keep their residues (``E746_A750DEL``,
  ``A763_Y764INSFQEA``). A CIViC variant name such as ``L1196M (c.3586C>A)`` is keyed by its first word.
* :func:`codon_key` is the codon a change starts at (``V600E`` -> ``V600``): CIViC's codon-level variants
  (``BRAF V600``) are keyed so.
* :func:`parse_expression` checks an HGVS expression (``NP_004324.2:p.Val600Glu``, ``NM_005228.4:c.2573T>G``,
  ``NC_000007.13:g.140453136A>T``) and returns its parts; one that does not parse raises :class:`HgvsError`.
  A ``g.`` substitution on a RefSeq chromosome (``NC_0000NN.V``) also gives its assembly and coordinates, from
  the accession's version (:data:`CHROMOSOME_ACCESSIONS`).

Not a full HGVS parser (no uncertain positions, no alleles ``[...;...]``, no RNA): what it refuses is refused with
a message that says what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AMINO_ACIDS = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G", "His": "H",
    "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W",
    "Tyr": "Y", "Val": "V", "Ter": "*", "Sec": "U", "Pyl": "O", "Xaa": "X",
}  # fmt: skip
_THREE = re.compile("|".join(sorted(AMINO_ACIDS, key=len, reverse=True)), re.IGNORECASE)
_ONE = "ACDEFGHIKLMNPQRSTVWYUOX*"
# After 3->1 conversion and upper-casing: first residue and position, optional range end, then the change.
_PROTEIN = re.compile(
    rf"^(?P<ref>[{_ONE}])(?P<pos>\d+)(?:_(?P<ref2>[{_ONE}])(?P<pos2>\d+))?"
    rf"(?P<change>[{_ONE}]|=|\?|[{_ONE[:-1]}]?FS.*|DELINS[{_ONE[:-1]}]+|DEL|DUP|INS[{_ONE[:-1]}]+|[{_ONE}]?EXT.*)?$"
)
_ACCESSION = r"[A-Za-z][A-Za-z0-9_]*(?:\.\d+)?(?:\([A-Za-z0-9_.\-]+\))?"
_EXPRESSION = re.compile(rf"^(?P<reference>{_ACCESSION}):(?P<kind>[cgmnp])\.(?P<change>\S+)$")
# A nucleotide change: a position (or range) then a substitution, deletion, duplication, insertion, inversion or '='.
_POSITION = r"[*\-]?\d+(?:[+\-]\d+)?"
_NUCLEOTIDE = re.compile(
    rf"^\(?{_POSITION}(?:_{_POSITION})?"
    r"(?:[ACGTN]>[ACGTN]|=|del[ACGTN]*|dup[ACGTN]*|ins[ACGTN]+|delins[ACGTN]+|inv)\)?$"
)
# HGVS's protein changes that name no residue change to match: unknown (p.?), no protein (p.0), an uncertain
# consequence (p.Met1?, p.(Met1?)). Case reports (phenopacket-store) write them for splice and start-loss variants.
_UNKNOWN_PROTEIN = re.compile(r"^\(?(?:\?|0|[A-Z][a-z]{2}\d+\?)\)?$")
_G_SUBSTITUTION = re.compile(r"^(?P<pos>\d+)(?P<ref>[ACGT])>(?P<alt>[ACGT])$")

# RefSeq chromosome accession -> (assembly, chromosome), for the versions GRCh37 and GRCh38 use.
_GRCH37_VERSIONS = (10, 11, 11, 11, 9, 11, 13, 10, 11, 10, 9, 11, 10, 8, 9, 9, 10, 9, 9, 10, 8, 10, 10, 9)
_GRCH38_VERSIONS = (11, 12, 12, 12, 10, 12, 14, 11, 12, 11, 10, 12, 11, 9, 10, 10, 11, 10, 10, 11, 9, 11, 11, 10)
_CHROMOSOMES = [str(i) for i in range(1, 23)] + ["X", "Y"]
CHROMOSOME_ACCESSIONS: dict[str, tuple[str, str]] = {
    f"NC_{i + 1:06d}.{version}": (assembly, chrom)
    for assembly, versions in (("GRCh37", _GRCH37_VERSIONS), ("GRCh38", _GRCH38_VERSIONS))
    for i, (chrom, version) in enumerate(zip(_CHROMOSOMES, versions, strict=True))
}


class HgvsError(ValueError):
    """An HGVS expression or protein change that does not parse; the message says what was expected."""


@dataclass(frozen=True)
class Expression:
    """A parsed HGVS expression: ``reference`` (accession), ``kind`` (c, g, m, n or p) and the change."""

    text: str
    reference: str
    kind: str
    change: str
    protein: str | None = None  # protein_key of a p. expression
    genomic: tuple[str, str, int, str, str] | None = None  # (assembly, chrom, pos, ref, alt) of a g. substitution


def to_one_letter(text: str) -> str:
    """Three-letter amino acids to one letter (``Val600Glu`` -> ``V600E``); one-letter text is left as it is."""
    return _THREE.sub(lambda m: AMINO_ACIDS[m.group(0)[0].upper() + m.group(0)[1:].lower()], text)


def protein_key(text: str) -> str | None:
    """The normalised protein change (see the module docstring), or None when ``text`` is not one."""
    value = text.strip().split()[0] if text.strip() else ""
    if ":" in value:
        value = value.rsplit(":", 1)[1]
    value = value.removeprefix("p.").removeprefix("P.")
    if value.startswith("(") and value.endswith(")"):
        value = value[1:-1]
    if not value or not value[0].isalpha():
        return None
    converted = to_one_letter(value) if re.match(r"^[A-Za-z]{3}\d", value) else value
    match = _PROTEIN.match(converted.upper())
    if not match:
        return None
    change = match.group("change") or ""
    if "FS" in change:
        change = "FS"
    elif "EXT" in change:
        change = "EXT"
    elif change == "X":
        change = "*"
    start = f"{match.group('ref')}{match.group('pos')}"
    end = f"_{match.group('ref2')}{match.group('pos2')}" if match.group("ref2") else ""
    return f"{start}{end}{change}"


def codon_key(key: str) -> str | None:
    """``V600E`` -> ``V600``: the residue and position a single-residue change starts at (None for ranges)."""
    match = _PROTEIN.match(key)
    if not match or match.group("ref2"):
        return None
    return f"{match.group('ref')}{match.group('pos')}"


def parse_expression(text: str) -> Expression:
    """Check an HGVS expression and return its parts; :class:`HgvsError` says what was expected."""
    value = text.strip() if isinstance(text, str) else ""
    match = _EXPRESSION.match(value)
    if not match:
        raise HgvsError(
            "not an HGVS expression: expected REFERENCE:TYPE.CHANGE, e.g. NP_004324.2:p.Val600Glu or "
            "NM_005228.4:c.2573T>G"
        )
    reference, kind, change = match.group("reference"), match.group("kind"), match.group("change")
    if kind == "p":
        if _UNKNOWN_PROTEIN.match(change):
            return Expression(value, reference, kind, change)
        protein = protein_key(change)
        if protein is None or protein.endswith("?") or not re.match(r"^\(?[A-Z][a-z]{0,2}\d", change):
            raise HgvsError(
                "not an HGVS protein change: expected p. then amino acid, position and change, e.g. p.Val600Glu, "
                "p.(Leu858Arg), p.Gly12Cys or p.Glu746_Ala750del"
            )
        return Expression(value, reference, kind, change, protein=protein)
    if not _NUCLEOTIDE.match(change):
        raise HgvsError(
            f"not an HGVS {kind}. change: expected a position and a change, e.g. {kind}.2573T>G, {kind}.2235_2249del "
            f"or {kind}.2300_2301insCCA"
        )
    genomic = None
    substitution = _G_SUBSTITUTION.match(change)
    if kind == "g" and substitution and reference in CHROMOSOME_ACCESSIONS:
        assembly, chrom = CHROMOSOME_ACCESSIONS[reference]
        genomic = (
            assembly,
            chrom,
            int(substitution.group("pos")),
            substitution.group("ref"),
            substitution.group("alt"),
        )
    return Expression(value, reference, kind, change, genomic=genomic)
