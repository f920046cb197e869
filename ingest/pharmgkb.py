"""PharmGKB clinical annotations: which variants and haplotypes change the response to which drugs.

Upstream (``clinicalAnnotations.zip``, created 2025-01-05), three tab-separated files joined on
``Clinical Annotation ID``:

* ``clinical_annotations.tsv``: one row per annotation: ``Variant/Haplotypes`` (an rs id, or a comma list of
  haplotypes such as ``CYP2D6*1, CYP2D6*4`` or ``HLA-B*57:01``, or named alleles such as ``GSTM1 null``),
  ``Gene`` (``;``-separated symbols), ``Level of Evidence`` (1A ... 4), ``Score``, ``Phenotype Category``,
  ``Drug(s)`` and ``Phenotype(s)`` (``;``-separated).
* ``clinical_ann_evidence.tsv``: the evidence behind each annotation (type and PMID).
* ``clinical_ann_alleles.tsv.gz``: one text per genotype or allele (what a carrier of ``AA`` can expect).

``guidelineAnnotations.json.zip`` (read inside the zip; optional) holds one JSON per dosing guideline (CPIC, DPWG,
RNPGx, CPNDS, ...): its genes, drugs, source body and citations.

``clinicalVariants/clinicalVariants.tsv`` is a projection of the same 5,179 annotations without their ids,
scores or evidence, so it is not read.

Graph mapping:

* rs-id annotations: a ``Variant`` node ``dbSNP:rs…``, ``Variant-IN_GENE-Gene`` for every gene symbol that
  resolves, and ``Variant-AFFECTS_RESPONSE_TO-Drug`` for every drug name that resolves.
* Haplotype and named-allele annotations are not rs variants: they become gene-level
  ``Gene-AFFECTS_RESPONSE_TO-Drug`` edges for the annotation's genes, with the alleles kept in ``haplotypes``.
  An annotation whose genes do not resolve is counted as unresolved.
* Guideline annotations add ``Gene-AFFECTS_RESPONSE_TO-Drug`` for each of their gene x drug pairs, on the
  same edge as that pair's clinical annotations, with ``guideline_ids``, ``guideline_sources`` (the body:
  CPIC, DPWG, RNPGx, ...) and the guideline's PMIDs. Guidelines with ``recommendation: false`` (the body
  reviewed the pair and found nothing actionable) count too; ``guideline_recommendation`` says whether any has one.
* The writer merges edges on (endpoints, type, source), so all annotations of one variant (or gene) and drug
  are folded into one edge: ``clinical_annotation_ids`` and ``levels_of_evidence`` are parallel lists, best
  level first; ``clinical_annotation_id``, ``level_of_evidence`` and ``score`` describe the best annotation
  (lowest level, then highest score); ``phenotype_categories``, ``phenotypes``, ``pmids``, ``haplotypes``
  and ``genotype_annotations`` (``"<genotype>: <text>"``) are unions; ``evidence`` names the evidence types
  (e.g. ``Guideline Annotation; Variant Drug Annotation``) and ``evidence_count`` counts them.

ClinVar owns ``dbSNP:`` Variant nodes (their ``name`` is an HGVS expression), so this job sets only ``rsid``
and ``pharmgkb_genes`` on them: properties ClinVar never writes, so whichever job runs last clobbers nothing.
Drug names are PharmGKB's lower-case names resolved through DrugCentral names (:meth:`Resolver.drug_by_name`).
Two fallbacks, both deterministic: PharmGKB uses a few US adopted names where DrugCentral uses the INN
(``aspirin`` -> ``acetylsalicylic acid``; :data:`NAME_SYNONYMS`), and DrugCentral names some drugs by their
marketed salt or ester (``dabigatran`` -> ``dabigatran etexilate``), taken only when exactly one DrugCentral
drug has a name of the form ``"<name> <suffix>"``. Drug classes (``opioids``, ``Platinum compounds``) and
combinations do not resolve and are counted.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest.base import IngestError, IngestResult, SourceInfo, find_file, read_tsv, sha256_of
from pmkg.ingest.xrefs import Resolver, name_key
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="pharmgkb",
    version="2025-01-05",
    license="CC BY-SA 4.0",
    url="https://www.pharmgkb.org/downloads",
)
ANNOTATION_FILES = ["pharmgkb/clinicalAnnotations/clinical_annotations.tsv"]
EVIDENCE_FILES = ["pharmgkb/clinicalAnnotations/clinical_ann_evidence.tsv"]
ALLELE_FILES = [
    "pharmgkb/clinicalAnnotations/clinical_ann_alleles.tsv.gz",
    "pharmgkb/clinicalAnnotations/clinical_ann_alleles.tsv",  # the name inside the upstream zip
]
GUIDELINE_FILES = ["pharmgkb/guidelineAnnotations.json.zip"]

ANNOTATION_COLUMNS = [
    "Clinical Annotation ID",
    "Variant/Haplotypes",
    "Gene",
    "Level of Evidence",
    "Score",
    "Phenotype Category",
    "Drug(s)",
    "Phenotype(s)",
]
EVIDENCE_COLUMNS = ["Clinical Annotation ID", "Evidence ID", "Evidence Type", "PMID"]
ALLELE_COLUMNS = ["Clinical Annotation ID", "Genotype/Allele", "Annotation Text"]

# Best first: the order PharmGKB ranks its levels of evidence.
LEVELS = ("1A", "1B", "2A", "2B", "3", "4")
# PharmGKB name -> DrugCentral name, where the two naming conventions (USAN vs INN) differ.
NAME_SYNONYMS = {
    "aspirin": "acetylsalicylic acid",
    "acetaminophen": "paracetamol",
    "cyclosporine": "ciclosporin",
    "rifampin": "rifampicin",
    "succinylcholine": "suxamethonium",
    "glyburide": "glibenclamide",
    "chlorthalidone": "chlortalidone",
    "torasemide": "torsemide",
    "zoledronate": "zoledronic acid",
    "albuterol": "salbutamol",
    "meperidine": "pethidine",
    "heroin": "diamorphine",
    "tenofovir disoproxil fumarate": "tenofovir disoproxil",
    "penicillin g": "benzylpenicillin",
    "penicillin v": "phenoxymethylpenicillin",
    "hydroxyurea": "hydroxycarbamide",
    "dipyrone": "metamizole",
    "alendronate": "alendronic acid",
    "clodronate": "clodronic acid",
    "risedronate": "risedronic acid",
    "tiludronate": "tiludronic acid",
    "amphetamine": "amfetamine",
    "methylene blue": "methylthioninium chloride",
    "l-tryptophan": "tryptophan",
}
_RSID = re.compile(r"^rs\d+$")
_ANNOTATION_ID = re.compile(r"^\d+$")


@dataclass
class _Annotation:
    id: str
    level: str
    score: float | None


@dataclass
class _Association:
    """Everything PharmGKB says about one (variant or gene, drug) pair, folded over its annotations."""

    annotations: list[_Annotation] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)
    phenotypes: set[str] = field(default_factory=set)
    populations: set[str] = field(default_factory=set)
    pmids: set[str] = field(default_factory=set)
    evidence: dict[str, str] = field(default_factory=dict)  # evidence id -> evidence type
    haplotypes: set[str] = field(default_factory=set)
    genotype_annotations: list[str] = field(default_factory=list)
    guidelines: dict[str, tuple[str, bool]] = field(default_factory=dict)  # id -> (body, has a recommendation)

    def props(self) -> dict:
        ranked = sorted(
            self.annotations,
            key=lambda a: (LEVELS.index(a.level), -(a.score if a.score is not None else float("-inf")), int(a.id)),
        )
        scores = [a.score for a in self.annotations if a.score is not None]
        guideline_ids = sorted(self.guidelines)
        return {
            "clinical_annotation_id": ranked[0].id if ranked else None,
            "level_of_evidence": ranked[0].level if ranked else None,
            "score": max(scores) if scores else None,
            "clinical_annotation_ids": [a.id for a in ranked],
            "levels_of_evidence": [a.level for a in ranked],
            "phenotype_categories": sorted(self.categories),
            "phenotypes": sorted(self.phenotypes),
            "specialty_populations": sorted(self.populations),
            "pmids": sorted(self.pmids, key=int),
            "evidence": "; ".join(sorted(set(self.evidence.values()))) or None,
            "evidence_count": len(self.evidence),
            "haplotypes": sorted(self.haplotypes),
            "genotype_annotations": self.genotype_annotations,
            "guideline_ids": guideline_ids,
            "guideline_sources": sorted({self.guidelines[g][0] for g in guideline_ids}),
            "guideline_recommendation": any(has for _, has in self.guidelines.values()) if self.guidelines else None,
        }


@dataclass
class _Evidence:
    pmids: set[str] = field(default_factory=set)
    items: dict[str, str] = field(default_factory=dict)  # evidence id -> evidence type


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    resolver = resolver or Resolver.from_data_dir(data_dir)
    result = IngestResult(SOURCE)
    annotations_path = find_file(data_dir, SOURCE, ANNOTATION_FILES)
    evidence_path = find_file(data_dir, SOURCE, EVIDENCE_FILES)
    alleles_path = find_file(data_dir, SOURCE, ALLELE_FILES)
    evidence = _read_evidence(evidence_path, result)
    genotype_texts = _read_alleles(alleles_path, result)
    prov = SOURCE.provenance.as_props()
    drug_names = DrugNames(resolver)

    variant_genes: dict[str, set[str]] = {}
    in_gene: set[tuple[str, str]] = set()
    associations: dict[tuple[str, str, str], _Association] = {}
    for line_number, row in read_tsv(annotations_path, ANNOTATION_COLUMNS, result):
        where = f"{annotations_path}:{line_number}"
        annotation = _parse_annotation(row, where, result)
        if annotation is None:
            continue
        tokens = [t.strip() for t in row["Variant/Haplotypes"].split(",") if t.strip()]
        symbols = [s.strip() for s in row["Gene"].split(";") if s.strip()]
        if not tokens:
            result.skipped["no variant or haplotype"] += 1
            result.warn(where, "Variant/Haplotypes is empty; row skipped")
            continue
        bad = [t for t in tokens if t.lower().startswith("rs") and not _RSID.match(t)]
        if bad:
            result.skipped["malformed rs id"] += 1
            result.warn(where, f"variant {bad[0]!r} is not an rs id (rs followed by digits); row skipped")
            continue
        is_rs = all(_RSID.match(t) for t in tokens)
        if not is_rs and not symbols:
            result.skipped["haplotype annotation without gene"] += 1
            result.warn(where, f"haplotypes {', '.join(tokens)} name no gene in the Gene column; row skipped")
            continue

        genes = list(dict.fromkeys(g for g in (_resolved_gene(resolver, s, result) for s in symbols) if g))
        names = [d.strip() for d in row["Drug(s)"].split(";") if d.strip()]
        drugs = list(dict.fromkeys(d for d in (_resolved_drug(drug_names, n, result) for n in names) if d))
        if not drugs:
            result.note_unresolved("clinical annotation without a resolved drug", annotation.id)

        if is_rs:
            subjects = [("Variant", f"dbSNP:{token}") for token in tokens]
            for _, variant in subjects:
                variant_genes.setdefault(variant, set()).update(symbols)
                in_gene.update((variant, gene) for gene in genes)
        else:
            if not genes:
                result.note_unresolved("haplotype annotation without a resolved gene", annotation.id)
            subjects = [("Gene", gene) for gene in genes]

        extra = evidence.get(annotation.id, _Evidence())
        for subject_label, subject in subjects:
            for drug in drugs:
                assoc = associations.setdefault((subject_label, subject, drug), _Association())
                assoc.annotations.append(annotation)
                assoc.categories.update(c.strip() for c in row["Phenotype Category"].split(";") if c.strip())
                assoc.phenotypes.update(p.strip() for p in row["Phenotype(s)"].split(";") if p.strip())
                if row.get("Specialty Population", "").strip():
                    assoc.populations.add(row["Specialty Population"].strip())
                assoc.pmids.update(extra.pmids)
                assoc.evidence.update(extra.items)
                if not is_rs:
                    assoc.haplotypes.update(tokens)
                assoc.genotype_annotations.extend(genotype_texts.get(annotation.id, []))

    files = [annotations_path, evidence_path, alleles_path]
    guideline_path = _optional_file(data_dir, GUIDELINE_FILES)
    if guideline_path is None:
        missing = data_dir / GUIDELINE_FILES[0]
        result.warn(str(missing), f"not found; guideline annotations skipped (download it from {SOURCE.url})")
    else:
        files.append(guideline_path)
        for guideline in _read_guidelines(guideline_path, result):
            genes = [g for g in (_resolved_gene(resolver, s, result) for s in guideline.genes) if g]
            drugs = [d for d in (_resolved_drug(drug_names, n, result) for n in guideline.drugs) if d]
            if not genes or not drugs:
                result.note_unresolved("guideline without a resolved gene-drug pair", guideline.id)
            for gene in dict.fromkeys(genes):
                for drug in dict.fromkeys(drugs):
                    assoc = associations.setdefault(("Gene", gene, drug), _Association())
                    assoc.guidelines[guideline.id] = (guideline.body, guideline.recommendation)
                    assoc.pmids.update(guideline.pmids)
                    # Same id space as clinical_ann_evidence's Evidence ID, so a guideline is counted once.
                    assoc.evidence[guideline.id] = "Guideline Annotation"

    for variant, symbols in sorted(variant_genes.items()):
        rsid = variant.removeprefix("dbSNP:")
        result.nodes.append(NodeRecord("Variant", variant, {"rsid": rsid, "pharmgkb_genes": sorted(symbols), **prov}))
    for variant, gene in sorted(in_gene):
        result.edges.append(EdgeRecord("IN_GENE", "Variant", variant, "Gene", gene, dict(prov)))
    for (subject_label, subject, drug), assoc in associations.items():
        result.edges.append(
            EdgeRecord("AFFECTS_RESPONSE_TO", subject_label, subject, "Drug", drug, {**prov, **assoc.props()})
        )
    result.files = {str(p): sha256_of(p) for p in files}
    return result


def _resolved_gene(resolver: Resolver, symbol: str, result: IngestResult) -> str | None:
    gene = gene_by_symbol(resolver, symbol)
    if gene is None:
        result.note_unresolved("gene symbol", symbol)
    return gene


def _resolved_drug(drug_names: DrugNames, name: str, result: IngestResult) -> str | None:
    drug = drug_names.resolve(name)
    if drug is None:
        result.note_unresolved("drug name", name)
    return drug


def gene_by_symbol(resolver: Resolver, symbol: str) -> str | None:
    """HGNC symbol -> NCBIGene id; mitochondrial ``MT-RNR1`` is ``RNR1`` (synonym ``MTRNR1``) in NCBI gene_info."""
    gene = resolver.gene_by_symbol(symbol)
    if gene is None and symbol.upper().startswith("MT-"):
        gene = resolver.gene_by_symbol("MT" + symbol[3:])
    return gene


class DrugNames:
    """PharmGKB drug name -> canonical drug id: DrugCentral name, then a USAN->INN synonym, then a unique salt form."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver
        self._cache: dict[str, str | None] = {}
        self._salt_index: dict[str, set[str]] | None = None

    def resolve(self, name: str) -> str | None:
        key = name_key(name)
        if key not in self._cache:
            self._cache[key] = (
                self.resolver.drug_by_name(key)
                or (self.resolver.drug_by_name(NAME_SYNONYMS[key]) if key in NAME_SYNONYMS else None)
                or self._unique_salt_form(key)
            )
        return self._cache[key]

    def _unique_salt_form(self, key: str) -> str | None:
        if self._salt_index is None:
            # "dabigatran etexilate" is indexed under "dabigatran"; several drugs under one stem make it ambiguous.
            self._salt_index = {}
            for name, drug in self.resolver.drug_names.canonical.items():
                stem, _, suffix = name.rpartition(" ")
                if stem and suffix:
                    self._salt_index.setdefault(stem, set()).add(drug)
        drugs = self._salt_index.get(key, set())
        return next(iter(drugs)) if len(drugs) == 1 else None


def _parse_annotation(row: dict[str, str], where: str, result: IngestResult) -> _Annotation | None:
    annotation_id, level = row["Clinical Annotation ID"].strip(), row["Level of Evidence"].strip()
    if not _ANNOTATION_ID.match(annotation_id):
        result.skipped["malformed clinical annotation id"] += 1
        result.warn(where, f"Clinical Annotation ID {annotation_id!r} is not a number; row skipped")
        return None
    if level not in LEVELS:
        result.skipped["unknown level of evidence"] += 1
        result.warn(where, f"Level of Evidence {level!r} is not one of {', '.join(LEVELS)}; row skipped")
        return None
    score: float | None = None
    if row["Score"].strip():
        try:
            score = float(row["Score"])
        except ValueError:
            result.warn(where, f"Score {row['Score']!r} is not a number; annotation kept without a score")
    return _Annotation(annotation_id, level, score)


def _read_evidence(path: Path, result: IngestResult) -> dict[str, _Evidence]:
    """Annotation id -> its PMIDs and evidence items. Evidence without a PMID (labels, guidelines) still counts."""
    evidence: dict[str, _Evidence] = {}
    for line_number, row in read_tsv(path, EVIDENCE_COLUMNS, result):
        annotation_id, evidence_id = row["Clinical Annotation ID"].strip(), row["Evidence ID"].strip()
        pmid = row["PMID"].strip()
        if not _ANNOTATION_ID.match(annotation_id) or not evidence_id or (pmid and not pmid.isdigit()):
            result.skipped["malformed evidence row"] += 1
            result.warn(
                f"{path}:{line_number}",
                "expected a numeric annotation id, an evidence id and a numeric or empty PMID, got "
                f"{annotation_id!r}, {evidence_id!r}, {pmid!r}; row skipped",
            )
            continue
        entry = evidence.setdefault(annotation_id, _Evidence())
        entry.items[evidence_id] = row["Evidence Type"].strip() or "unspecified"
        if pmid:
            entry.pmids.add(pmid)
    return evidence


def _read_alleles(path: Path, result: IngestResult) -> dict[str, list[str]]:
    """Annotation id -> ``"<genotype>: <text>"`` for each genotype or allele the annotation describes."""
    texts: dict[str, list[str]] = {}
    for line_number, row in read_tsv(path, ALLELE_COLUMNS, result):
        annotation_id, genotype = row["Clinical Annotation ID"].strip(), row["Genotype/Allele"].strip()
        if not _ANNOTATION_ID.match(annotation_id) or not genotype:
            result.skipped["malformed genotype row"] += 1
            result.warn(
                f"{path}:{line_number}",
                f"expected a numeric annotation id and a genotype, got {annotation_id!r}, {genotype!r}; row skipped",
            )
            continue
        texts.setdefault(annotation_id, []).append(f"{genotype}: {row['Annotation Text'].strip()}")
    return texts


@dataclass(frozen=True)
class Guideline:
    """One PharmGKB guideline annotation: a body's dosing guideline for some genes and drugs."""

    id: str
    name: str
    body: str
    recommendation: bool
    genes: tuple[str, ...]
    drugs: tuple[str, ...]
    pmids: tuple[str, ...]


def _read_guidelines(path: Path, result: IngestResult) -> Iterator[Guideline]:
    """The guideline JSONs inside the zip, read member by member (the zip is kept whole upstream)."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise IngestError(f"{path}: not a readable zip ({exc}); re-download it from {SOURCE.url}") from exc
    with archive:
        for member in archive.namelist():
            if not member.endswith(".json"):
                continue
            where = f"{path}:{member}"
            try:
                document = json.loads(archive.read(member))
            except (OSError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError, ValueError) as exc:
                message = f"not readable JSON ({exc}); the zip may be damaged, fetch it again"
                raise IngestError(f"{where}: {message}") from exc
            result.rows_read[path.name] += 1
            try:
                yield _guideline(document)
            except (AttributeError, KeyError, TypeError) as exc:
                result.skipped["malformed guideline JSON"] += 1
                result.warn(
                    where,
                    f"expected {{'guideline': {{'id', 'source', 'relatedGenes', 'relatedChemicals'}}, 'citations'}} "
                    f"({type(exc).__name__}: {exc}); member skipped",
                )


def _guideline(document: dict) -> Guideline:
    guideline = document["guideline"]
    if not guideline.get("id"):
        raise KeyError("guideline.id")
    pmids = {
        str(ref["resourceId"])
        for citation in document.get("citations") or []
        for ref in citation.get("crossReferences") or []
        if ref.get("resource") == "PubMed" and str(ref.get("resourceId", "")).isdigit()
    }
    return Guideline(
        id=str(guideline["id"]),
        name=str(guideline.get("name", "")),
        body=str(guideline.get("source") or "unspecified"),
        recommendation=bool(guideline.get("recommendation")),
        genes=tuple(g["symbol"] for g in guideline.get("relatedGenes") or [] if g.get("symbol")),
        drugs=tuple(c["name"] for c in guideline.get("relatedChemicals") or [] if c.get("name")),
        pmids=tuple(sorted(pmids, key=int)),
    )


def _optional_file(data_dir: Path, candidates: list[str]) -> Path | None:
    return next((data_dir / c for c in candidates if (data_dir / c).is_file()), None)
