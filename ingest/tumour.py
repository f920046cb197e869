"""A tumour's variants in (phenopacket interpretations, a tumour VCF) and matched to CIViC's variants.

Where the variants come from:

* **Phenopacket.** Every ``interpretations[].diagnosis.genomicInterpretations[].variantInterpretation`` (see
  :mod:`ingest.phenopackets`): its gene (``geneContext``), its HGVS ``expressions`` (``hgvs``, ``hgvs.c``,
  ``hgvs.g``, ``hgvs.p``; checked, one that does not parse is refused naming the field) and its ``vcfRecord``
  (on the record's ``genomeAssembly``). A variant whose ``subjectOrBiosampleId`` names a tumour biosample
  (``tumorProgression``, ``histologicalDiagnosis`` or material sample ``EFO:0009655`` abnormal sample) is somatic.
* **Tumour VCF** (:func:`read_tumour_vcf`): a VCF whose assembly the header states (``##reference=``,
  ``##assembly=`` or ``##contig=<…,assembly=…>``: GRCh37/hg19/b37 or GRCh38/hg38) or the caller gives
  (``--assembly``); a VCF on an unstated or unknown build is refused, never guessed, as is a flag that contradicts
  the header. PASS (or ``.``) records the tumour sample carries are read: the only sample, else the one named
  ``TUMOR``/``TUMOUR`` or by a tumour biosample's id; a sites-only VCF's records all count. Gene and protein change
  come from snpEff ``ANN`` or VEP ``CSQ`` annotations when present. Every such variant is somatic.

Matching (:func:`match_variants`) against :class:`ingest.civic.CivicKnowledge`, in order of trust: the
coordinates on the variant's own assembly (CIViC's are GRCh37, two GRCh38), an HGVS expression CIViC lists, a
``g.`` substitution on a RefSeq chromosome, then build-independently the gene + protein change (``BRAF V600E``),
and the codon (``V600E`` also matches CIViC's codon-level ``BRAF V600``). A tumour (somatic) variant in a gene
neither CIViC nor the gene tables know is refused (:class:`TumourInputError`, naming the field); a variant not stated
to be somatic (a germline finding) is only counted. Variants that match nothing are counted, never dropped silently.

Messages name fields and lines, never a patient's values.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pmkg.ingest.hgvs import HgvsError, codon_key, parse_expression, protein_key
from pmkg.ingest.vcf import REQUIRED_COLUMNS, VcfError, _parse_gt, normalise_chrom

if TYPE_CHECKING:
    from pmkg.ingest.civic import CivicKnowledge
    from pmkg.ingest.phenopackets import Phenopacket
    from pmkg.ingest.xrefs import Resolver

ASSEMBLY_PATTERNS = (
    ("GRCh38", re.compile(r"grch38|hg38|\bhs38|b38\b|_38\b", re.IGNORECASE)),
    ("GRCh37", re.compile(r"grch37|hg19|\bb37\b|hs37|g1k_v37|human_g1k|_37\b|grch37-lite", re.IGNORECASE)),
)
ASSEMBLIES = ("GRCh37", "GRCh38")
TUMOUR_SAMPLE_NAMES = {"TUMOR", "TUMOUR", "TUMOR_SAMPLE", "TUMOUR_SAMPLE"}
ABNORMAL_SAMPLE = "EFO:0009655"
HGVS_SYNTAXES = {"hgvs", "hgvs.c", "hgvs.g", "hgvs.p", "hgvs.n", "hgvs.m"}


class TumourInputError(ValueError):
    """A tumour variant or VCF that cannot be used; ``field`` locates it, the message never repeats a value."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class TumourVariant:
    """One variant of the tumour (or of the patient, when no tumour biosample says it is somatic)."""

    where: str  # the field or VCF line it came from, for messages
    source: str  # "phenopacket" | "tumour vcf"
    gene_symbol: str | None = None
    gene_id: str | None = None  # e.g. HGNC:1097, from geneContext.valueId
    proteins: tuple[str, ...] = ()  # protein_key values (from hgvs.p or an annotation)
    hgvs: tuple[str, ...] = ()
    position: tuple[str, str, int, str, str] | None = None  # (assembly, chrom, pos, ref, alt)
    somatic: bool | None = None  # True: from a tumour sample; None: not stated


@dataclass(frozen=True)
class VariantMatch:
    variant: TumourVariant
    civic_ids: tuple[int, ...]
    matched_by: str  # "coordinates GRCh37" | "hgvs" | "protein change" | "codon"
    gene: str | None


@dataclass
class TumourMatch:
    """Which CIViC variants and molecular profiles a tumour has; counts of what matched nothing."""

    matches: list[VariantMatch] = field(default_factory=list)
    unmatched: Counter = field(default_factory=Counter)  # reason -> count
    profiles: list[int] = field(default_factory=list)  # CIViC molecular profile ids, all of whose logic holds
    genes: set[str] = field(default_factory=set)  # NCBIGene ids of every variant with a known gene, matched or not

    @property
    def civic_variant_ids(self) -> set[int]:
        return {vid for m in self.matches for vid in m.civic_ids}

    def origin_of(self, civic_id: int) -> bool | None:
        """True if a somatic variant matched ``civic_id``, False if only a germline one, None if unknown."""
        kinds = {m.variant.somatic for m in self.matches if civic_id in m.civic_ids}
        return True if True in kinds else (None if None in kinds else False)


@dataclass
class TumourVcf:
    assembly: str
    variants: list[TumourVariant]
    skipped: Counter = field(default_factory=Counter)


# ---- from a phenopacket --------------------------------------------------------------------------------------------


def tumour_biosamples(document: dict) -> set[str]:
    """Ids of the phenopacket's biosamples that are tumour samples."""
    found = set()
    for sample in document.get("biosamples") or []:
        if not isinstance(sample, dict) or not sample.get("id"):
            continue
        material = (sample.get("materialSample") or {}).get("id")
        if sample.get("tumorProgression") or sample.get("histologicalDiagnosis") or material == ABNORMAL_SAMPLE:
            found.add(str(sample["id"]))
    return found


def packet_variant_fields(descriptor: dict, where: str, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(checked HGVS expressions, protein keys)`` of a variation descriptor; a bad expression raises ValueError
    naming ``where``'s field (the caller's error type wraps it)."""
    hgvs, proteins = [], []
    for k, expression in enumerate(descriptor.get("expressions") or []):
        if not isinstance(expression, dict) or str(expression.get("syntax", "")).lower() not in HGVS_SYNTAXES:
            continue
        try:
            parsed = parse_expression(expression.get("value"))
        except HgvsError as exc:
            raise ValueError(f"{name}: field {where}.variationDescriptor.expressions[{k}].value: {exc}") from None
        hgvs.append(parsed.text)
        if parsed.protein:
            proteins.append(parsed.protein)
    return tuple(hgvs), tuple(dict.fromkeys(proteins))


def variants_of_packet(packet: Phenopacket) -> list[TumourVariant]:
    """The phenopacket's variant interpretations as :class:`TumourVariant` (parsed by :mod:`ingest.phenopackets`)."""
    out = []
    for variant in packet.variants:
        position = None
        if None not in (variant.chrom, variant.pos, variant.ref, variant.alt):
            assembly = assembly_of(variant.assembly or "")
            if assembly is not None:
                position = (assembly, normalise_chrom(variant.chrom or ""), variant.pos, variant.ref, variant.alt)
        out.append(
            TumourVariant(
                where=variant.where,
                source="phenopacket",
                gene_symbol=variant.gene_symbol,
                gene_id=variant.gene_id,
                proteins=variant.proteins,
                hgvs=variant.hgvs,
                position=position,  # type: ignore[arg-type]
                somatic=variant.somatic,
            )
        )
    return out


# ---- from a tumour VCF ---------------------------------------------------------------------------------------------


def assembly_of(text: str) -> str | None:
    """``'GRCh37'`` for hg19/b37/GRCh37-lite..., ``'GRCh38'`` for hg38...; None when the text names neither."""
    for assembly, pattern in ASSEMBLY_PATTERNS:
        if pattern.search(text):
            return assembly
    return None


def read_tumour_vcf(
    text: str, name: str = "tumour_vcf", assembly: str | None = None, tumour_samples: Iterable[str] = ()
) -> TumourVcf:
    """The carried, PASS variants of a tumour VCF given as text (see the module docstring)."""
    if assembly is not None and assembly not in ASSEMBLIES:
        raise TumourInputError("assembly", f"must be one of {', '.join(ASSEMBLIES)}")
    stated: list[str] = []
    csq_format: list[str] | None = None
    samples: list[str] | None = None
    sample_index: int | None = None
    variants: list[TumourVariant] = []
    skipped: Counter = Counter()
    for number, raw in enumerate(io.StringIO(text), start=1):
        line = raw.rstrip("\r\n")
        if not line:
            continue
        if line.startswith("##"):
            lowered = line.lower()
            if lowered.startswith(("##reference=", "##assembly=")):
                stated.append(line.split("=", 1)[1])
            elif lowered.startswith("##contig=") and "assembly=" in lowered:
                stated.append(line[lowered.index("assembly=") + len("assembly=") :].split(",")[0].rstrip(">"))
            elif lowered.startswith("##info=<id=csq,") and "format:" in lowered:
                csq_format = line[lowered.index("format:") + len("format:") :].strip().rstrip('">').split("|")
                csq_format = [f.strip() for f in csq_format]
            continue
        if line.startswith("#"):
            columns = line.split("\t")
            if tuple(columns[:8]) != REQUIRED_COLUMNS:
                raise VcfError(f"{name}:{number}: header line must start with {' '.join(REQUIRED_COLUMNS)}")
            samples = columns[9:]
            assembly = _check_assembly(name, stated, assembly)
            sample_index = _tumour_sample(name, samples, set(tumour_samples))
            continue
        if samples is None:
            raise VcfError(f"{name}:{number}: data before the #CHROM header line; is this a VCF?")
        values = line.split("\t")
        if len(values) < 8 or (samples and len(values) != 9 + len(samples)):
            raise VcfError(f"{name}:{number}: expected {9 + len(samples) if samples else 8} tab-separated columns")
        chrom, pos, _ids, ref, alt, _qual, filt, info = values[:8]
        if not pos.isdigit() or not re.fullmatch(r"[ACGTNacgtn]+", ref):
            raise VcfError(f"{name}:{number}: POS must be a positive integer and REF bases (A, C, G, T, N)")
        if filt not in ("PASS", "."):
            skipped["not PASS"] += 1
            continue
        alts = [a for a in alt.split(",") if a not in (".", "*")]
        carried = _carried_alts(values, sample_index, alts, name, number)
        if not carried:
            skipped["not carried by the tumour sample"] += 1
            continue
        annotations = _annotations(info, csq_format)
        for allele in carried:
            genes = [g for a, g, _ in annotations if a in (allele, "")]
            proteins = tuple(dict.fromkeys(p for a, _, p in annotations if a in (allele, "") and p))
            variants.append(
                TumourVariant(
                    where=f"{name}:{number}",
                    source="tumour vcf",
                    gene_symbol=genes[0] if genes else None,
                    proteins=proteins,
                    position=(assembly, normalise_chrom(chrom), int(pos), ref.upper(), allele.upper()),
                    somatic=True,
                )
            )
    if samples is None:
        raise VcfError(f"{name}: no #CHROM header line; is this a VCF?")
    return TumourVcf(assembly, variants, skipped)  # type: ignore[arg-type]


def _check_assembly(name: str, stated: list[str], flag: str | None) -> str:
    found = {a for a in (assembly_of(s) for s in stated) if a}
    if len(found) > 1:
        raise TumourInputError(name, "the header names both GRCh37 and GRCh38; fix the ##reference/##contig lines")
    header = found.pop() if found else None
    if flag and header and flag != header:
        raise TumourInputError(
            "assembly", f"says {flag} but the {name} header says {header}; drop the flag or fix the header"
        )
    if not (flag or header):
        unknown = " names no build pmkg knows" if stated else " states no genome assembly"
        raise TumourInputError(
            name,
            f"the header{unknown} (##reference=, ##assembly= or ##contig=<...,assembly=...>); give it with "
            "--assembly GRCh37 or GRCh38 (HTTP: the assembly field). The build is never guessed",
        )
    return flag or header  # type: ignore[return-value]


def _tumour_sample(name: str, samples: list[str], tumour_ids: set[str]) -> int | None:
    if not samples:
        return None
    if len(samples) == 1:
        return 0
    named = [i for i, s in enumerate(samples) if s.upper() in TUMOUR_SAMPLE_NAMES or s in tumour_ids]
    if len(named) == 1:
        return named[0]
    raise TumourInputError(
        name,
        f"{len(samples)} samples and not exactly one is the tumour (named TUMOR/TUMOUR or by a tumour biosample id "
        "of the phenopacket); send a single-sample or tumour-named VCF",
    )


def _carried_alts(values: list[str], index: int | None, alts: list[str], name: str, number: int) -> list[str]:
    if index is None:
        return alts
    keys = values[8].split(":")
    if "GT" not in keys:
        return alts  # a caller's VCF without GT (e.g. only AF): every ALT is the tumour's
    entry = values[9 + index].split(":")
    gt = entry[keys.index("GT")] if keys.index("GT") < len(entry) else "."
    indices, _ = _parse_gt(gt)
    if indices is None or any(i > len(alts) for i in indices):
        raise VcfError(f"{name}:{number}: the tumour sample's GT is not a genotype over REF + {len(alts)} ALT")
    return [alts[i - 1] for i in dict.fromkeys(indices) if i > 0]


def _annotations(info: str, csq_format: list[str] | None) -> list[tuple[str, str, str | None]]:
    """``(allele, gene symbol, protein key)`` from snpEff ANN or VEP CSQ in an INFO column."""
    out = []
    for entry in info.split(";"):
        key, _, value = entry.partition("=")
        if key == "ANN":
            for annotation in value.split(","):
                parts = annotation.split("|")
                if len(parts) > 10 and parts[3]:
                    out.append((parts[0], parts[3], protein_key(parts[10]) if parts[10] else None))
        elif key == "CSQ" and csq_format:
            column = {f: i for i, f in enumerate(csq_format)}
            for annotation in value.split(","):
                parts = annotation.split("|")
                symbol = parts[column["SYMBOL"]] if "SYMBOL" in column and column["SYMBOL"] < len(parts) else ""
                hgvsp = parts[column["HGVSp"]] if "HGVSp" in column and column["HGVSp"] < len(parts) else ""
                allele = parts[column["Allele"]] if "Allele" in column else ""
                if symbol:
                    out.append((allele, symbol, protein_key(hgvsp.replace("%3D", "=")) if hgvsp else None))
    return out


# ---- matching ------------------------------------------------------------------------------------------------------


def match_variants(variants: list[TumourVariant], civic: CivicKnowledge, resolver: Resolver) -> TumourMatch:
    """Match each variant to CIViC variants (see the module docstring), then the profiles they complete."""
    from pmkg.ingest.civic import position_key

    result = TumourMatch()
    for variant in variants:
        gene = _gene(variant, civic, resolver)
        found: dict[int, str] = {}
        if variant.position is not None:
            assembly, chrom, pos, ref, alt = variant.position
            for vid in civic.by_position.get(position_key(assembly, chrom, pos, ref, alt), []):
                found.setdefault(vid, f"coordinates {assembly}")
        for expression in variant.hgvs:
            for vid in civic.by_hgvs.get(expression, []):
                found.setdefault(vid, "hgvs")
            genomic = parse_expression(expression).genomic
            if genomic is not None:
                for vid in civic.by_position.get(position_key(*genomic), []):
                    found.setdefault(vid, f"coordinates {genomic[0]}")
        proteins = set(variant.proteins)
        if gene:
            result.genes.add(gene)
        for vid in list(found):  # a variant matched by position has CIViC's gene and protein change
            known = civic.release.variants[vid]
            gene = gene or civic.variant_gene(known)
            if known.protein and not known.codon:
                proteins.add(known.protein)
        if gene:
            result.genes.add(gene)
            for protein in proteins:
                for vid in civic.by_protein.get((gene, protein), []):
                    found.setdefault(vid, "protein change")
                codon = codon_key(protein)
                for vid in civic.by_codon.get((gene, codon or ""), []):
                    found.setdefault(vid, "codon")
        if not found:
            reason = "no protein change or coordinates to match on" if not (proteins or variant.position) else (
                "matches no CIViC variant"
            )  # fmt: skip
            result.unmatched[reason] += 1
            continue
        for how in dict.fromkeys(found.values()):
            ids = tuple(sorted(v for v, h in found.items() if h == how))
            result.matches.append(VariantMatch(variant, ids, how, gene))
    carried = result.civic_variant_ids
    candidates = sorted({p for vid in carried for p in civic.profiles_of_variant.get(vid, [])})
    result.profiles = [p for p in candidates if civic.release.profiles[p].matches(carried)]
    return result


def _gene(variant: TumourVariant, civic: CivicKnowledge, resolver: Resolver) -> str | None:
    if not (variant.gene_symbol or variant.gene_id):
        return None
    gene = resolver.gene(variant.gene_id) if variant.gene_id else None
    symbol = (variant.gene_symbol or "").strip().upper()
    gene = gene or civic.genes.get(symbol) or (resolver.gene_by_symbol(symbol) if symbol else None)
    if gene is None and variant.somatic:
        field_name = "geneContext" if variant.source == "phenopacket" else "INFO gene annotation"
        raise TumourInputError(
            f"{variant.where}.{field_name}" if variant.source == "phenopacket" else variant.where,
            f"{field_name} names a gene that neither CIViC nor the gene tables know; give its HGNC symbol or id",
        )
    return gene
