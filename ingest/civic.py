"""CIViC (Clinical Interpretation of Variants in Cancer): somatic and germline biomarkers with their evidence, CC0.

Upstream, under ``civic/`` in the data folder: a dated release's TSV summaries (``01-Aug-2024-*.tsv``; the newest
release present is read, ``nightly-*`` files too): ``ClinicalEvidenceSummaries``, ``MolecularProfileSummaries``,
``VariantSummaries`` (all three required), ``AssertionSummaries`` and ``GeneSummaries`` (optional). The VCF and the
variant groups are not read (the VCF's therapy fields are placeholders, and its coordinates are the TSV's).

Graph mapping:

* ``Variant`` ``CIVIC.VID:<id>`` (Bioregistry's prefix): ``name`` ``"BRAF V600E"``, ``civic_name`` ``"V600E"``,
  ``gene_symbol``, ``protein_change`` (:func:`ingest.hgvs.protein_key`, e.g. ``V600E``; absent for amplifications,
  fusions, exon-level and expression variants), ``hgvs`` (CIViC's HGVS expressions), the coordinates as CIViC
  gives them (``chromosome``, ``start``, ``stop``, ``ref``, ``alt``, ``assembly``: GRCh37 for nearly all),
  ``variant_types`` (Sequence Ontology names), ``clinvar_ids``, ``rsids``, ``aliases``, ``allele_registry_id``.
  ``IN_GENE`` to ``NCBIGene:<entrez_id>`` (resolved; unresolved genes are counted). ``CORRESPONDS_TO`` to the
  ``dbSNP:rs…`` variant of each rsID among the aliases (its node gets ``rsid`` if no earlier source made it), and to
  the graph's node for each ClinVar id: ``dbSNP:rs…`` when the ClinVar file in the data folder gives the variation
  an rs number, ``CLINVAR:<id>`` when it lists the variation without one; an id it does not list (or no ClinVar
  file) is counted as unresolved, never guessed.
* ``MolecularProfile`` ``CIVIC.MP:<id>``: ``name`` (``"BRAF V600E AND BRAF V600M"``), ``variant_ids``,
  ``expression`` (the name with variant ids: ``CIVIC.VID:12 AND CIVIC.VID:1405``), ``match_rule`` (``single``,
  ``all`` for AND, ``any`` for OR, ``complex`` with parentheses, ``negated`` with NOT) and ``required_variants``
  (how many of its variants a patient must carry: all for ``single``/``all``, one for ``any``; absent for
  ``complex`` and ``negated``, which only the Python matcher evaluates). ``HAS_COMPONENT`` to each variant.
* Predictive evidence: one typed edge per (profile, significance, therapy) --
  ``PREDICTS_SENSITIVITY_TO`` (Sensitivity/Response), ``PREDICTS_RESISTANCE_TO``, ``PREDICTS_REDUCED_SENSITIVITY_TO``,
  ``PREDICTS_ADVERSE_RESPONSE_TO`` -- to a ``Drug``, or to a ``DrugCombination`` for CIViC's ``Combination``
  (and ``Sequential``) items: ``PMKG.COMBINATION:<drug>+<drug>`` (by name; ``_then_`` in order for sequential),
  named ``"dabrafenib + trametinib"``, with ``HAS_COMPONENT`` to each drug. ``Substitutes`` items (either drug) give
  one edge per drug. The edge keeps every item as parallel lists, one entry per item: ``evidence_ids``
  (``CIVIC.EID:95``), ``evidence_levels`` (A-E), ``evidence_ratings`` (1-5, 0 when CIViC gives none),
  ``evidence_directions`` (``Supports`` / ``Does Not Support``), ``evidence_disease_ids`` (``DOID:…``, ``""``
  without one), ``evidence_disease_names``, ``evidence_origins`` (Somatic, Rare Germline, ...),
  ``evidence_citations`` (``PMID:…``, ``ASCO:…``), ``evidence_interactions`` and ``evidence_flagged``. Summaries
  count supporting items only: ``supported``, ``best_level``, ``supporting_evidence_ids``; ``refuting_evidence_ids``
  lists the ``Does Not Support`` items, which are kept and never read as support. ``pmids`` and ``nct_ids`` as
  everywhere. An assertion (AMP/ASCO/CAP tier, FDA companion test, NCCN guideline, regulatory approval) joins the
  edges that hold its evidence items, again as parallel ``assertion_*`` lists.
* Diagnostic, prognostic and predisposing evidence: ``DIAGNOSTIC_OF``, ``PROGNOSTIC_OF``, ``PREDISPOSES_TO`` to the
  ``Disease``, one edge per (profile, type, disease) with the same item lists plus ``evidence_significances``.
  Items without a DOID, or whose DOID the Disease Ontology in use lacks, are counted and skipped.
* Oncogenic and functional evidence is counted and skipped.
* Therapies are names only: resolved through DrugCentral's names by the shared resolver (the PharmGKB job's
  synonyms, a unique salt form, and a salt or ester word dropped: ``Imatinib Mesylate`` -> imatinib). A therapy that
  does not resolve (newer than DrugCentral 2016, e.g. sotorasib, or a class such as ``Chemotherapy``) becomes a
  ``Drug`` ``PMKG.DRUG:<slug>`` named as CIViC names it, and is counted (``unresolved`` kind
  ``therapy name (PMKG.DRUG node made)``). Drugs DrugCentral lists are that job's nodes.

:func:`load_knowledge` reads the same release into memory for matching a patient's tumour (:mod:`workflows.oncology`).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pmkg.ingest.base import IngestError, IngestResult, SourceInfo, read_tsv, sha256_of
from pmkg.ingest.hgvs import codon_key, protein_key
from pmkg.ingest.pharmgkb import DrugNames
from pmkg.ingest.xrefs import DO_FILES, Resolver
from pmkg.kg.records import EdgeRecord, NodeRecord

log = logging.getLogger(__name__)

SOURCE = SourceInfo(
    name="civic",
    version="unknown",  # replaced by the release date in the file names (e.g. 01-Aug-2024)
    license="CC0 1.0 Universal (public domain dedication); cite Griffith M. et al., Nat Genet 49, 170-174 (2017)",
    url="https://civicdb.org/releases/main",
)
FOLDER = "civic"
FILES = {
    "evidence": "ClinicalEvidenceSummaries.tsv",
    "profiles": "MolecularProfileSummaries.tsv",
    "variants": "VariantSummaries.tsv",
    "assertions": "AssertionSummaries.tsv",
    "genes": "GeneSummaries.tsv",
}
REQUIRED_FILES = ("evidence", "profiles", "variants")
EVIDENCE_COLUMNS = [
    "molecular_profile", "molecular_profile_id", "disease", "doid", "therapies", "therapy_interaction_type",
    "evidence_type", "evidence_direction", "evidence_level", "significance", "citation_id", "source_type",
    "nct_ids", "rating", "evidence_status", "evidence_id", "variant_origin", "is_flagged",
]  # fmt: skip
PROFILE_COLUMNS = ["name", "molecular_profile_id", "variant_ids", "evidence_score", "aliases", "is_flagged"]
VARIANT_COLUMNS = [
    "variant_id", "gene", "entrez_id", "variant", "chromosome", "start", "stop", "reference_bases",
    "variant_bases", "reference_build", "variant_types", "hgvs_descriptions", "clinvar_ids", "variant_aliases",
    "allele_registry_id", "is_flagged", "variant_civic_url",
]  # fmt: skip
ASSERTION_COLUMNS = [
    "molecular_profile_id", "doid", "therapies", "assertion_type", "assertion_direction", "significance",
    "amp_category", "nccn_guideline", "nccn_guideline_version", "regulatory_approval", "fda_companion_test",
    "assertion_id", "evidence_item_ids",
]  # fmt: skip
GENE_COLUMNS = ["name", "entrez_id"]
CLINVAR_FILES = ("clinvar/variant_summary.txt.gz", "clinvar/variant_summary_2021-01_first86362rows.txt.gz")

LEVELS = ("A", "B", "C", "D", "E")
PREDICTIVE = {
    "Sensitivity/Response": "PREDICTS_SENSITIVITY_TO",
    "Resistance": "PREDICTS_RESISTANCE_TO",
    "Reduced Sensitivity": "PREDICTS_REDUCED_SENSITIVITY_TO",
    "Adverse Response": "PREDICTS_ADVERSE_RESPONSE_TO",
}
DISEASE_EVIDENCE = {"Diagnostic": "DIAGNOSTIC_OF", "Prognostic": "PROGNOSTIC_OF", "Predisposing": "PREDISPOSES_TO"}
NOT_MODELLED = ("Oncogenic", "Functional")
EVIDENCE_TEXT = {
    **{relation: f"CIViC predictive evidence ({meaning.lower()})" for meaning, relation in PREDICTIVE.items()},
    **{relation: f"CIViC {kind.lower()} evidence" for kind, relation in DISEASE_EVIDENCE.items()},
}
DIRECTIONS = ("Supports", "Does Not Support", "N/A")
INTERACTIONS = ("", "Combination", "Sequential", "Substitutes")
CITATION_PREFIX = {"PubMed": "PMID", "ASCO": "ASCO", "ASH": "ASH"}
SALT_WORDS = {
    "mesylate", "dimesylate", "hydrochloride", "dihydrochloride", "hcl", "sulfate", "citrate", "maleate", "tosylate",
    "ditosylate", "phosphate", "sodium", "potassium", "acetate", "besylate", "malate", "fumarate", "tartrate",
    "succinate", "bromide", "chloride", "calcium", "mesilate", "lactate",
}  # fmt: skip
UNRESOLVED_THERAPY = "therapy name (PMKG.DRUG node made)"
_DIGITS = re.compile(r"^\d+$")
_RSID = re.compile(r"^RS(\d+)$", re.IGNORECASE)
_RELEASE = re.compile(r"^(?P<release>.+)-ClinicalEvidenceSummaries\.tsv$")


# ---- what a release holds ------------------------------------------------------------------------------------------


@dataclass
class CivicVariant:
    id: int
    gene_symbol: str
    entrez_id: str | None
    gene: str | None  # resolved NCBIGene id
    name: str  # CIViC's variant name, e.g. V600E
    protein: str | None  # protein_key of the name
    chromosome: str | None = None
    start: int | None = None
    stop: int | None = None
    ref: str = ""
    alt: str = ""
    assembly: str | None = None
    hgvs: list[str] = field(default_factory=list)
    clinvar_ids: list[str] = field(default_factory=list)
    rsids: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    variant_types: list[str] = field(default_factory=list)
    allele_registry_id: str | None = None
    url: str | None = None
    flagged: bool = False

    @property
    def curie(self) -> str:
        return f"CIVIC.VID:{self.id}"

    @property
    def full_name(self) -> str:
        return f"{self.gene_symbol} {self.name}".strip()

    @property
    def codon(self) -> str | None:
        """The codon of a codon-level variant (``V600`` for ``BRAF V600``), else None."""
        return self.protein if self.protein and codon_key(self.protein) == self.protein else None


@dataclass
class CivicProfile:
    id: int
    name: str
    variant_ids: list[int]
    expression: tuple | None  # ("var", id) | ("and", [...]) | ("or", [...]) | ("not", x); None if unparsed
    rule: str  # single | all | any | complex | negated | unparsed
    evidence_score: float | None = None
    aliases: list[str] = field(default_factory=list)
    flagged: bool = False

    @property
    def curie(self) -> str:
        return f"CIVIC.MP:{self.id}"

    @property
    def required_variants(self) -> int | None:
        if self.rule in ("single", "all"):
            return len(self.variant_ids)
        return 1 if self.rule == "any" else None

    def matches(self, carried: set[int]) -> bool:
        """Does a tumour carrying the CIViC variants ``carried`` have this profile? NOT is never matched: a
        profile that needs a variant to be absent cannot be told from a tumour's list of what it has."""
        return self.expression is not None and self.rule != "negated" and _evaluate(self.expression, carried)

    def expression_text(self) -> str:
        return _render(self.expression) if self.expression is not None else ""


@dataclass(frozen=True)
class Therapy:
    """What an evidence item's therapies point at: one drug, or a combination of drugs."""

    id: str  # drug id, or PMKG.COMBINATION:...
    label: str  # Drug | DrugCombination
    name: str
    drugs: tuple[str, ...]  # component drug ids (the drug itself for a single drug)
    drug_names: tuple[str, ...]
    interaction: str = ""  # "" | Combination | Sequential | Substitutes


@dataclass
class EvidenceItem:
    id: int
    profile_id: int
    evidence_type: str
    significance: str
    direction: str
    level: str
    rating: int | None
    disease_name: str
    doid: str | None  # DOID:... as CIViC gives it
    disease_id: str | None  # the DOID resolved through the Disease Ontology in use
    origin: str
    citation: str
    therapies: list[Therapy] = field(default_factory=list)
    interaction: str = ""
    nct_ids: list[str] = field(default_factory=list)
    flagged: bool = False

    @property
    def curie(self) -> str:
        return f"CIVIC.EID:{self.id}"

    @property
    def relation(self) -> str | None:
        if self.evidence_type == "Predictive":
            return PREDICTIVE.get(self.significance)
        return DISEASE_EVIDENCE.get(self.evidence_type)

    @property
    def supports(self) -> bool:
        return self.direction == "Supports"


@dataclass
class Assertion:
    id: int
    profile_id: int
    assertion_type: str
    direction: str
    significance: str
    doid: str | None
    amp_category: str
    nccn_guideline: str
    nccn_version: str
    regulatory_approval: bool
    fda_companion_test: bool
    evidence_ids: list[int]
    drug_ids: set[str] = field(default_factory=set)  # the assertion's therapies, as its evidence items resolved them


@dataclass
class CivicRelease:
    """One release parsed, with the accounting of everything left out in ``result``."""

    release: str
    result: IngestResult
    genes: dict[str, str] = field(default_factory=dict)  # symbol (upper) -> NCBIGene id, from CIViC's own files
    variants: dict[int, CivicVariant] = field(default_factory=dict)
    profiles: dict[int, CivicProfile] = field(default_factory=dict)
    evidence: list[EvidenceItem] = field(default_factory=list)
    assertions: list[Assertion] = field(default_factory=list)
    drug_nodes: dict[str, dict] = field(default_factory=dict)  # PMKG.DRUG / new drug id -> props
    combinations: dict[str, Therapy] = field(default_factory=dict)


# ---- the job -------------------------------------------------------------------------------------------------------


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    resolver = resolver or Resolver.from_data_dir(data_dir)
    civic = read_release(data_dir, resolver)
    result = civic.result
    prov = result.source.provenance.as_props()
    clinvar = _clinvar_index(data_dir)
    made_variants: set[str] = set()
    for variant in civic.variants.values():
        result.nodes.append(NodeRecord("Variant", variant.curie, {**_variant_props(variant), **prov}))
        if variant.gene:
            result.edges.append(EdgeRecord("IN_GENE", "Variant", variant.curie, "Gene", variant.gene, dict(prov)))
        for target in _corresponding(variant, clinvar, result):
            if target.startswith("dbSNP:") and target not in made_variants:
                made_variants.add(target)
                result.nodes.append(NodeRecord("Variant", target, {"rsid": target.removeprefix("dbSNP:"), **prov}))
            result.edges.append(EdgeRecord("CORRESPONDS_TO", "Variant", variant.curie, "Variant", target, dict(prov)))
    for profile in civic.profiles.values():
        result.nodes.append(NodeRecord("MolecularProfile", profile.curie, {**_profile_props(profile), **prov}))
        for variant_id in profile.variant_ids:
            edge = EdgeRecord("HAS_COMPONENT", "MolecularProfile", profile.curie, "Variant", f"CIVIC.VID:{variant_id}")
            edge.props.update(prov)
            result.edges.append(edge)
    for drug, props in sorted(civic.drug_nodes.items()):
        result.nodes.append(NodeRecord("Drug", drug, {**props, **prov}))
    for combination in civic.combinations.values():
        props = {"name": combination.name, "interaction_type": combination.interaction,
                 "component_ids": list(combination.drugs), **prov}  # fmt: skip
        result.nodes.append(NodeRecord("DrugCombination", combination.id, props))
        for order, drug in enumerate(combination.drugs, start=1):
            result.edges.append(
                EdgeRecord("HAS_COMPONENT", "DrugCombination", combination.id, "Drug", drug, {"order": order, **prov})
            )
    result.edges.extend(_evidence_edges(civic, prov))
    return result


def read_release(data_dir: Path, resolver: Resolver) -> CivicRelease:
    """Parse the newest release under ``data_dir/civic`` (see the module docstring); bad rows are counted."""
    release, paths = release_files(data_dir)
    source = SourceInfo(SOURCE.name, release, SOURCE.license, SOURCE.url)
    civic = CivicRelease(release, IngestResult(source))
    result = civic.result
    if "genes" in paths:
        civic.genes.update(_read_genes(paths["genes"], result))
    _read_variants(paths["variants"], civic, resolver)
    _read_profiles(paths["profiles"], civic)
    therapies = _TherapyResolver(resolver, civic)
    _read_evidence(paths["evidence"], civic, therapies, resolver)
    if "assertions" in paths:
        _read_assertions(paths["assertions"], civic, therapies)
    result.files = {str(path): sha256_of(path) for path in paths.values()}
    return civic


def release_files(data_dir: Path) -> tuple[str, dict[str, Path]]:
    """``(release, {kind: path})`` of the newest release under ``data_dir/civic`` (``nightly`` counts as newest)."""
    folder = data_dir / FOLDER
    found = (_RELEASE.match(p.name) for p in folder.glob("*-ClinicalEvidenceSummaries.tsv"))
    releases = sorted((match.group("release") for match in found if match), key=_release_order)
    if not releases:
        raise IngestError(
            f"{SOURCE.name}: no *-ClinicalEvidenceSummaries.tsv in {folder}. Download a release's TSVs from "
            f"{SOURCE.url} (e.g. https://civicdb.org/downloads/01-Aug-2024/01-Aug-2024-ClinicalEvidenceSummaries.tsv) "
            "into that folder, or point --data-dir at the folder that holds civic/."
        )
    release = releases[-1]
    paths = {
        kind: folder / f"{release}-{name}" for kind, name in FILES.items() if (folder / f"{release}-{name}").is_file()
    }
    missing = [f"{release}-{FILES[kind]}" for kind in REQUIRED_FILES if kind not in paths]
    if missing:
        raise IngestError(
            f"{SOURCE.name}: release {release} in {folder} lacks {', '.join(missing)}; download them from {SOURCE.url}"
        )
    return release, paths


def _release_order(release: str) -> tuple[int, datetime]:
    try:
        return (0, datetime.strptime(release, "%d-%b-%Y"))
    except ValueError:
        return (1 if release == "nightly" else -1, datetime.min)


# ---- reading the files ---------------------------------------------------------------------------------------------


def _flag(value: str) -> bool:
    return value.strip().lower() == "true"


def _split(value: str, separator: str = ",") -> list[str]:
    return [part.strip() for part in value.split(separator) if part.strip()]


def _read_genes(path: Path, result: IngestResult) -> dict[str, str]:
    genes: dict[str, str] = {}
    for line_number, row in read_tsv(path, GENE_COLUMNS, result):
        symbol, entrez = row["name"].strip(), row["entrez_id"].strip()
        if not symbol or not _DIGITS.match(entrez):
            result.skipped["gene without a symbol or a numeric Entrez id"] += 1
            result.warn(f"{path}:{line_number}", f"expected a gene symbol and an Entrez id, got {symbol!r}, {entrez!r}")
            continue
        genes.setdefault(symbol.upper(), f"NCBIGene:{entrez}")
    return genes


def _read_variants(path: Path, civic: CivicRelease, resolver: Resolver) -> None:
    result = civic.result
    for line_number, row in read_tsv(path, VARIANT_COLUMNS, result):
        where = f"{path}:{line_number}"
        variant_id, entrez = row["variant_id"].strip(), row["entrez_id"].strip()
        if not _DIGITS.match(variant_id):
            result.skipped["variant with a malformed id"] += 1
            result.warn(where, f"variant_id {variant_id!r} is not a number; row skipped")
            continue
        gene = None
        if _DIGITS.match(entrez):
            civic.genes.setdefault(row["gene"].strip().upper(), f"NCBIGene:{entrez}")
            gene = resolver.gene(f"NCBIGene:{entrez}")
            if gene is None:
                result.note_unresolved("gene NCBIGene (Entrez id)", f"NCBIGene:{entrez}")
        else:
            result.note_unresolved("variant gene without an Entrez id", row["gene"].strip() or variant_id)
        name = row["variant"].strip()
        variant = CivicVariant(
            id=int(variant_id),
            gene_symbol=row["gene"].strip(),
            entrez_id=entrez or None,
            gene=gene,
            name=name,
            protein=protein_key(name),
            hgvs=_split(row["hgvs_descriptions"]),
            clinvar_ids=[c for c in _split(row["clinvar_ids"]) if _DIGITS.match(c)],
            rsids=[f"rs{m.group(1)}" for a in _split(row["variant_aliases"]) if (m := _RSID.match(a))],
            aliases=[a for a in _split(row["variant_aliases"]) if not _RSID.match(a)],
            variant_types=[t for t in _split(row["variant_types"]) if t != "N/A"],
            allele_registry_id=row["allele_registry_id"].strip() or None,
            url=row["variant_civic_url"].strip() or None,
            flagged=_flag(row["is_flagged"]),
        )
        chrom, start, stop = row["chromosome"].strip(), row["start"].strip(), row["stop"].strip()
        if chrom and start:
            if _DIGITS.match(start) and (not stop or _DIGITS.match(stop)):
                variant.chromosome, variant.start = chrom.removeprefix("chr"), int(start)
                variant.stop = int(stop) if stop else None
                variant.ref = row["reference_bases"].strip().upper()
                variant.alt = row["variant_bases"].strip().upper()
                variant.assembly = row["reference_build"].strip() or None
            else:
                result.skipped["variant coordinates malformed (variant kept without them)"] += 1
                result.warn(where, f"start/stop {start!r}/{stop!r} are not numbers; variant kept without coordinates")
        civic.variants[variant.id] = variant


def _read_profiles(path: Path, civic: CivicRelease) -> None:
    result = civic.result
    for line_number, row in read_tsv(path, PROFILE_COLUMNS, result):
        where = f"{path}:{line_number}"
        profile_id, name = row["molecular_profile_id"].strip(), row["name"].strip()
        ids = _split(row["variant_ids"])
        if not _DIGITS.match(profile_id) or not ids or not all(_DIGITS.match(i) for i in ids):
            result.skipped["molecular profile with a malformed id or variant ids"] += 1
            result.warn(where, f"expected numeric molecular_profile_id and variant_ids, got {profile_id!r}, {ids}")
            continue
        unknown = [i for i in ids if int(i) not in civic.variants]
        if unknown:
            result.skipped["molecular profile naming a variant the release lacks"] += 1
            result.warn(where, f"variant id(s) {', '.join(unknown)} not in the variant summaries; profile skipped")
            continue
        variant_ids = [int(i) for i in ids]
        expression, rule = parse_profile(name, {v: civic.variants[v].full_name for v in variant_ids})
        if expression is None:
            result.skipped["molecular profile name not read as an expression (kept, never matched)"] += 1
            result.warn(where, "profile name does not combine its variants' names with AND/OR/NOT; never matched")
        score = row["evidence_score"].strip()
        civic.profiles[int(profile_id)] = CivicProfile(
            id=int(profile_id),
            name=name,
            variant_ids=variant_ids,
            expression=expression,
            rule=rule,
            evidence_score=float(score) if re.match(r"^\d+(\.\d+)?$", score) else None,
            aliases=_split(row["aliases"]),
            flagged=_flag(row["is_flagged"]),
        )


def _read_evidence(path: Path, civic: CivicRelease, therapies: _TherapyResolver, resolver: Resolver) -> None:
    result = civic.result
    for line_number, row in read_tsv(path, EVIDENCE_COLUMNS, result):
        where = f"{path}:{line_number}"
        item = _evidence_item(row, where, civic, resolver)
        if item is None:
            continue
        if item.evidence_type in NOT_MODELLED:
            result.skipped[f"{item.evidence_type.lower()} evidence (not modelled)"] += 1
            continue
        if item.relation is None:
            result.skipped[f"{item.evidence_type} evidence of significance {item.significance!r} (not modelled)"] += 1
            continue
        if item.evidence_type == "Predictive":
            names = _split(row["therapies"])
            if not names:
                result.skipped["predictive evidence without a therapy"] += 1
                result.warn(where, "a predictive item names no therapy; skipped")
                continue
            if item.interaction == "" and len(names) > 1:
                result.warn(where, f"{len(names)} therapies without an interaction type; read as substitutes")
                item.interaction = "Substitutes"
            item.therapies = therapies.resolve(names, item.interaction)
        elif item.disease_id is None:
            reason = "no DOID" if item.doid is None else "DOID not in the Disease Ontology in use"
            result.skipped[f"{item.evidence_type.lower()} evidence with {reason}"] += 1
            continue
        civic.evidence.append(item)


def _evidence_item(row: dict[str, str], where: str, civic: CivicRelease, resolver: Resolver) -> EvidenceItem | None:
    result = civic.result
    evidence_id, profile_id = row["evidence_id"].strip(), row["molecular_profile_id"].strip()
    level, direction = row["evidence_level"].strip(), row["evidence_direction"].strip()
    interaction, doid = row["therapy_interaction_type"].strip(), row["doid"].strip()
    rating = row["rating"].strip()
    problem = None
    if not _DIGITS.match(evidence_id) or not _DIGITS.match(profile_id):
        problem = ("malformed evidence or profile id", f"evidence_id {evidence_id!r} / molecular_profile_id "
                   f"{profile_id!r} are not numbers")  # fmt: skip
    elif int(profile_id) not in civic.profiles:
        problem = ("evidence of a profile the release lacks", f"molecular profile {profile_id} is not in the summaries")
    elif level not in LEVELS:
        problem = ("unknown evidence level", f"evidence_level {level!r} is not one of {', '.join(LEVELS)}")
    elif direction not in DIRECTIONS:
        problem = ("unknown evidence direction", f"evidence_direction {direction!r} is not one of {DIRECTIONS}")
    elif interaction not in INTERACTIONS:
        problem = ("unknown therapy interaction type", f"therapy_interaction_type {interaction!r} is not known")
    elif doid and not _DIGITS.match(doid):
        problem = ("malformed DOID", f"doid {doid!r} is not a number")
    elif rating and rating not in ("1", "2", "3", "4", "5"):
        problem = ("malformed rating", f"rating {rating!r} is not 1-5")
    if problem:
        result.skipped[problem[0]] += 1
        result.warn(where, f"{problem[1]}; row skipped")
        return None
    if row["evidence_status"].strip() != "accepted":
        result.skipped["evidence not accepted"] += 1
        return None
    disease_id = None
    if doid:
        disease_id = resolver.disease(f"DOID:{doid}")
        if disease_id is None:
            result.note_unresolved("disease DOID (not in the Disease Ontology in use)", f"DOID:{doid}")
    citation = row["citation_id"].strip()
    prefix = CITATION_PREFIX.get(row["source_type"].strip(), row["source_type"].strip().upper() or "CITATION")
    return EvidenceItem(
        id=int(evidence_id),
        profile_id=int(profile_id),
        evidence_type=row["evidence_type"].strip(),
        significance=row["significance"].strip(),
        direction=direction,
        level=level,
        rating=int(rating) if rating else None,
        disease_name=row["disease"].strip(),
        doid=f"DOID:{doid}" if doid else None,
        disease_id=disease_id,
        origin=row["variant_origin"].strip() or "N/A",
        citation=f"{prefix}:{citation}" if citation else "",
        interaction=interaction,
        nct_ids=_split(row["nct_ids"]),
        flagged=_flag(row["is_flagged"]),
    )


def _read_assertions(path: Path, civic: CivicRelease, therapies: _TherapyResolver) -> None:
    result = civic.result
    for line_number, row in read_tsv(path, ASSERTION_COLUMNS, result):
        where = f"{path}:{line_number}"
        assertion_id, profile_id = row["assertion_id"].strip(), row["molecular_profile_id"].strip()
        evidence_ids = _split(row["evidence_item_ids"])
        if (
            not _DIGITS.match(assertion_id)
            or not _DIGITS.match(profile_id)
            or not all(map(_DIGITS.match, evidence_ids))
        ):
            result.skipped["malformed assertion ids"] += 1
            result.warn(where, "assertion_id, molecular_profile_id and evidence_item_ids must be numbers; row skipped")
            continue
        doid = row["doid"].strip()
        civic.assertions.append(
            Assertion(
                id=int(assertion_id),
                profile_id=int(profile_id),
                assertion_type=row["assertion_type"].strip(),
                direction=row["assertion_direction"].strip(),
                significance=row["significance"].strip(),
                doid=f"DOID:{doid}" if _DIGITS.match(doid) else None,
                amp_category=row["amp_category"].strip(),
                nccn_guideline=row["nccn_guideline"].strip(),
                nccn_version=row["nccn_guideline_version"].strip(),
                regulatory_approval=_flag(row["regulatory_approval"]),
                fda_companion_test=_flag(row["fda_companion_test"]),
                evidence_ids=[int(i) for i in evidence_ids],
                drug_ids={therapies.cache[n][0] for n in _split(row["therapies"]) if n in therapies.cache},
            )
        )


# ---- molecular profile expressions ---------------------------------------------------------------------------------

_KEYWORDS = {"AND", "OR", "NOT", "(", ")"}


def parse_profile(name: str, variant_names: dict[int, str]) -> tuple[tuple | None, str]:
    """``(expression, rule)`` of a profile name over its variants' full names (``"BRAF V600E"``).

    ``"BRAF Amplification AND ( BRAF V600E OR BRAF V600K )"`` -> ``("and", [("var", 1269), ("or", [...])])``,
    rule ``complex``. Only upper-case AND, OR and NOT are operators (``"PIK3CA Exon 10 or Exon 21 Mutation"`` is one
    variant's name); NOT binds tightest, then AND, then OR. A one-variant profile is that variant whatever its name
    says; a name whose atoms are not its variants' names gives ``(None, "unparsed")``.
    """
    by_name = {" ".join(full.split()).upper(): vid for vid, full in variant_names.items()}
    tokens: list[str] = []
    words: list[str] = []
    for word in name.split():
        if word in _KEYWORDS:
            if words:
                tokens.append(" ".join(words))
                words = []
            tokens.append(word)
        else:
            words.append(word)
    if words:
        tokens.append(" ".join(words))
    try:
        expression, rest = _parse_or(tokens, by_name)
    except (KeyError, IndexError, ValueError):
        expression, rest = None, []
    if expression is None or rest:
        if len(variant_names) == 1:
            return ("var", next(iter(variant_names))), "single"
        return None, "unparsed"
    return expression, _rule(expression, tokens)


def _parse_or(tokens: list[str], names: dict[str, int]) -> tuple[tuple, list[str]]:
    left, tokens = _parse_and(tokens, names)
    parts = [left]
    while tokens and tokens[0] == "OR":
        right, tokens = _parse_and(tokens[1:], names)
        parts.append(right)
    return (parts[0] if len(parts) == 1 else ("or", parts)), tokens


def _parse_and(tokens: list[str], names: dict[str, int]) -> tuple[tuple, list[str]]:
    left, tokens = _parse_not(tokens, names)
    parts = [left]
    while tokens and tokens[0] == "AND":
        right, tokens = _parse_not(tokens[1:], names)
        parts.append(right)
    return (parts[0] if len(parts) == 1 else ("and", parts)), tokens


def _parse_not(tokens: list[str], names: dict[str, int]) -> tuple[tuple, list[str]]:
    head = tokens[0]
    if head == "NOT":
        inner, rest = _parse_not(tokens[1:], names)
        return ("not", inner), rest
    if head == "(":
        inner, rest = _parse_or(tokens[1:], names)
        if not rest or rest[0] != ")":
            raise ValueError("unbalanced parenthesis")
        return inner, rest[1:]
    if head in _KEYWORDS:
        raise ValueError(f"unexpected {head}")
    return ("var", names[head.upper()]), tokens[1:]


def _rule(expression: tuple, tokens: list[str]) -> str:
    if "NOT" in tokens:
        return "negated"
    if expression[0] == "var":
        return "single"
    if all(part[0] == "var" for part in expression[1]):
        return "all" if expression[0] == "and" else "any"
    return "complex"


def _evaluate(expression: tuple, carried: set[int]) -> bool:
    kind, value = expression
    if kind == "var":
        return value in carried
    if kind == "not":
        return not _evaluate(value, carried)
    results = (_evaluate(part, carried) for part in value)
    return all(results) if kind == "and" else any(results)


def _render(expression: tuple, top: bool = True) -> str:
    kind, value = expression
    if kind == "var":
        return f"CIVIC.VID:{value}"
    if kind == "not":
        return f"NOT {_render(value, False)}"
    text = f" {kind.upper()} ".join(_render(part, False) for part in value)
    return text if top else f"( {text} )"


# ---- therapies -----------------------------------------------------------------------------------------------------


def therapy_slug(name: str) -> str:
    """``'MEK Inhibitor RO4987655'`` -> ``'mek-inhibitor-ro4987655'``: the local id of a ``PMKG.DRUG``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "unnamed"


class _TherapyResolver:
    """CIViC therapy names -> drug ids (DrugCentral through the resolver, else ``PMKG.DRUG``), and combinations."""

    def __init__(self, resolver: Resolver, civic: CivicRelease):
        self.resolver, self.civic = resolver, civic
        self.names = DrugNames(resolver)
        self.cache: dict[str, tuple[str, str]] = {}

    def drug(self, name: str) -> tuple[str, str]:
        """``(drug id, display name)`` of one therapy name."""
        if name not in self.cache:
            found = self.names.resolve(name)
            words = name.split()
            if found is None and len(words) > 1 and words[-1].lower() in SALT_WORDS:
                found = self.names.resolve(" ".join(words[:-1]))
            display = name.lower() if found else name
            if found is None:
                found = f"PMKG.DRUG:{therapy_slug(name)}"
                self.civic.result.note_unresolved(UNRESOLVED_THERAPY, name)
                props = self.civic.drug_nodes.setdefault(found, {"name": name, "civic_therapy_names": []})
                props["civic_therapy_names"] = sorted({*props["civic_therapy_names"], name})
            elif not self.resolver.drugs.get(found) and not found.startswith("PMKG."):
                # resolved (e.g. a DrugBank id taken as canonical) but not a DrugCentral drug: make its node here
                props = self.civic.drug_nodes.setdefault(found, {"name": name.lower(), "civic_therapy_names": []})
                props["civic_therapy_names"] = sorted({*props["civic_therapy_names"], name})
            self.cache[name] = (found, display)
        return self.cache[name]

    def resolve(self, names: list[str], interaction: str) -> list[Therapy]:
        drugs = [self.drug(name) for name in names]
        if interaction in ("Combination", "Sequential") and len({d for d, _ in drugs}) > 1:
            unique = list(dict.fromkeys(drugs))
            ordered = unique if interaction == "Sequential" else sorted(unique, key=lambda d: (d[1].lower(), d[0]))
            joiner = "_then_" if interaction == "Sequential" else "+"
            local = joiner.join(_local_id(drug) for drug, _ in ordered)
            combo = Therapy(
                id=f"PMKG.COMBINATION:{local}",
                label="DrugCombination",
                name=(" then " if interaction == "Sequential" else " + ").join(n for _, n in ordered),
                drugs=tuple(d for d, _ in ordered),
                drug_names=tuple(n for _, n in ordered),
                interaction=interaction,
            )
            self.civic.combinations.setdefault(combo.id, combo)
            return [combo]
        unique = list(dict.fromkeys(drugs))
        return [Therapy(d, "Drug", n, (d,), (n,), interaction) for d, n in unique]


def _local_id(drug: str) -> str:
    return drug.split(":", 1)[1]


# ---- records -------------------------------------------------------------------------------------------------------


def _variant_props(variant: CivicVariant) -> dict:
    props: dict = {
        "name": variant.full_name,
        "civic_name": variant.name,
        "gene_symbol": variant.gene_symbol,
        "protein_change": variant.protein,
        "hgvs": variant.hgvs,
        "clinvar_ids": variant.clinvar_ids,
        "rsids": variant.rsids,
        "aliases": variant.aliases,
        "variant_types": variant.variant_types,
        "allele_registry_id": variant.allele_registry_id,
        "civic_url": variant.url,
        "flagged": variant.flagged,
        "xrefs": [f"CLINVAR:{c}" for c in variant.clinvar_ids] + [f"dbSNP:{r}" for r in variant.rsids],
    }
    if variant.start is not None:
        props.update(
            chromosome=variant.chromosome, start=variant.start, stop=variant.stop, ref=variant.ref, alt=variant.alt,
            assembly=variant.assembly,
        )  # fmt: skip
    return props


def _profile_props(profile: CivicProfile) -> dict:
    return {
        "name": profile.name,
        "variant_ids": [f"CIVIC.VID:{v}" for v in profile.variant_ids],
        "expression": profile.expression_text() or None,
        "match_rule": profile.rule,
        "required_variants": profile.required_variants,
        "evidence_score": profile.evidence_score,
        "aliases": profile.aliases,
        "flagged": profile.flagged,
    }


def _clinvar_index(data_dir: Path) -> dict[str, str] | None:
    """ClinVar VariationID -> the graph's id for it (``dbSNP:rs…`` or ``CLINVAR:…``), from the ClinVar file if any."""
    path = next((data_dir / name for name in CLINVAR_FILES if (data_dir / name).is_file()), None)
    if path is None:
        return None
    from pmkg.ingest.base import open_text

    index: dict[str, str] = {}
    with open_text(path) as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
        try:
            variation, rs = header.index("VariationID"), header.index("RS# (dbSNP)")
        except ValueError:
            return None
        for line in fh:
            values = line.rstrip("\r\n").split("\t")
            if len(values) != len(header) or not values[variation].isdigit():
                continue
            number = values[rs]
            graph_id = f"dbSNP:rs{number}" if number.isdigit() and number != "-1" else f"CLINVAR:{values[variation]}"
            index.setdefault(values[variation], graph_id)
    return index


def _corresponding(variant: CivicVariant, clinvar: dict[str, str] | None, result: IngestResult) -> list[str]:
    targets = [f"dbSNP:{rsid}" for rsid in variant.rsids]
    for clinvar_id in variant.clinvar_ids:
        found = clinvar.get(clinvar_id) if clinvar is not None else None
        if found is None:
            result.note_unresolved("ClinVar variation id (not in the ClinVar file in use)", f"CLINVAR:{clinvar_id}")
        elif found not in targets:
            targets.append(found)
    return targets


def _evidence_edges(civic: CivicRelease, prov: dict) -> list[EdgeRecord]:
    edges: dict[tuple[str, str, str], dict] = {}
    labels: dict[str, str] = {}
    by_item: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    combination_drugs = {combo.id: combo.drugs for combo in civic.combinations.values()}
    for item in civic.evidence:
        profile = f"CIVIC.MP:{item.profile_id}"
        relation = item.relation
        assert relation is not None
        targets = [(t.id, t.label) for t in item.therapies] if item.therapies else [(item.disease_id, "Disease")]
        for target, label in targets:
            key = (profile, relation, target)
            labels[target] = label
            props = edges.setdefault(key, defaultdict(list))
            props["evidence_ids"].append(item.curie)
            props["evidence_levels"].append(item.level)
            props["evidence_ratings"].append(item.rating or 0)
            props["evidence_directions"].append(item.direction)
            props["evidence_significances"].append(item.significance)
            props["evidence_disease_ids"].append(item.disease_id or item.doid or "")
            props["evidence_disease_names"].append(item.disease_name)
            props["evidence_origins"].append(item.origin)
            props["evidence_citations"].append(item.citation)
            props["evidence_interactions"].append(item.interaction)
            props["evidence_flagged"].append(item.flagged)
            props["nct_ids"].extend(n for n in item.nct_ids if n not in props["nct_ids"])
            by_item[item.id].append(key)
    for assertion in civic.assertions:
        keys = [
            key
            for key in dict.fromkeys(k for e in assertion.evidence_ids for k in by_item.get(e, []))
            if not assertion.drug_ids or set(combination_drugs.get(key[2], (key[2],))) <= assertion.drug_ids
        ]  # a predictive assertion joins the edges of its own therapies, not those its substitutes items name
        if not keys:
            civic.result.skipped[f"{assertion.assertion_type.lower()} assertion without a modelled evidence item"] += 1
            continue
        for key in keys:
            props = edges[key]
            props["assertion_ids"].append(f"CIVIC.AID:{assertion.id}")
            props["assertion_directions"].append(assertion.direction)
            props["assertion_amp_categories"].append(assertion.amp_category)
            props["assertion_disease_ids"].append(assertion.doid or "")
            props["assertion_nccn_guidelines"].append(
                f"{assertion.nccn_guideline} {assertion.nccn_version}".strip() if assertion.nccn_guideline else ""
            )
            props["assertion_fda_companion_tests"].append(assertion.fda_companion_test)
            props["assertion_regulatory_approvals"].append(assertion.regulatory_approval)
    records = []
    for (profile, relation, target), props in edges.items():
        supporting = [i for i, d in enumerate(props["evidence_directions"]) if d == "Supports"]
        levels = sorted(props["evidence_levels"][i] for i in supporting)
        pmids = sorted({c.removeprefix("PMID:") for c in props["evidence_citations"] if c.startswith("PMID:")}, key=int)
        summary = {
            "supported": bool(supporting),
            "best_level": levels[0] if levels else None,
            "supporting_evidence_ids": [props["evidence_ids"][i] for i in supporting],
            "refuting_evidence_ids": [
                e for e, d in zip(props["evidence_ids"], props["evidence_directions"], strict=True)
                if d == "Does Not Support"
            ],
            "evidence_count": len(props["evidence_ids"]),
            "pmids": pmids,
            "evidence": EVIDENCE_TEXT[relation],
        }  # fmt: skip
        if relation in PREDICTIVE.values():
            props.pop("evidence_significances")
        records.append(EdgeRecord(relation, "MolecularProfile", profile, labels[target], target,
                                  {**dict(props), **summary, **prov}))  # fmt: skip
    return records


# ---- in memory, for matching a patient -----------------------------------------------------------------------------


@dataclass
class CivicKnowledge:
    """One release indexed for matching a tumour's variants and ranking its therapies (:mod:`workflows.oncology`)."""

    release: CivicRelease
    disease_parents: dict[str, list[str]]
    disease_names: dict[str, str]
    by_protein: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    by_codon: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    by_position: dict[tuple[str, str, int, str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    by_hgvs: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    profiles_of_variant: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    evidence_of_profile: dict[int, list[EvidenceItem]] = field(default_factory=lambda: defaultdict(list))
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        return self.release.release

    @property
    def genes(self) -> dict[str, str]:
        return self.release.genes

    def variant_gene(self, variant: CivicVariant) -> str | None:
        return f"NCBIGene:{variant.entrez_id}" if variant.entrez_id else None

    def ancestors(self, doid: str) -> frozenset[str]:
        """Every ``is_a`` ancestor of ``doid`` (not itself)."""
        if doid not in self._ancestors:
            seen: set[str] = set()
            stack = list(self.disease_parents.get(doid, []))
            while stack:
                term = stack.pop()
                if term not in seen:
                    seen.add(term)
                    stack.extend(self.disease_parents.get(term, []))
            self._ancestors[doid] = frozenset(seen)
        return self._ancestors[doid]

    def index(self) -> CivicKnowledge:
        for variant in self.release.variants.values():
            gene = self.variant_gene(variant)
            if gene and variant.protein:
                if variant.codon:
                    self.by_codon[(gene, variant.codon)].append(variant.id)
                else:
                    self.by_protein[(gene, variant.protein)].append(variant.id)
            if variant.start is not None and variant.assembly and (variant.ref or variant.alt):
                key = position_key(variant.assembly, variant.chromosome or "", variant.start, variant.ref, variant.alt)
                self.by_position[key].append(variant.id)
            for expression in variant.hgvs:
                self.by_hgvs[expression].append(variant.id)
        for profile in self.release.profiles.values():
            for variant_id in profile.variant_ids:
                self.profiles_of_variant[variant_id].append(profile.id)
        for item in self.release.evidence:
            self.evidence_of_profile[item.profile_id].append(item)
        return self


def position_key(assembly: str, chrom: str, pos: int, ref: str, alt: str) -> tuple[str, str, int, str, str]:
    """A variant's coordinates with the bases both alleles share trimmed (VCF's padding base, CIViC's none), so
    ``7:55242464 AGGAATTAAGAGAAGC>A`` (VCF) and ``7:55242465 GGAATTAAGAGAAGC>-`` (CIViC) give one key."""
    ref, alt = ref.upper().strip("-"), alt.upper().strip("-")
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    build = {"hg19": "GRCh37", "grch37": "GRCh37", "hg38": "GRCh38", "grch38": "GRCh38"}.get(assembly.lower(), assembly)
    return (build, chrom.removeprefix("chr").upper().replace("MT", "M"), pos, ref, alt)


def load_knowledge(data_dir: Path, resolver: Resolver) -> CivicKnowledge:
    """The newest CIViC release under ``data_dir`` and the Disease Ontology's ``is_a`` links, indexed.

    Rows the ingest job would warn about are counted here, not logged one by one (``pmkg ingest --source civic``
    reports them): a service loading this at start-up should not repeat the release's flaws.
    """
    rows_log = logging.getLogger("pmkg.ingest.base")
    level = rows_log.level
    rows_log.setLevel(logging.ERROR)
    try:
        civic = read_release(data_dir, resolver)
    finally:
        rows_log.setLevel(level)
    log.info("CIViC %s: %d rows with problems left out (see pmkg ingest --source civic)", civic.release,
             civic.result.warning_count)  # fmt: skip
    parents, names = read_disease_hierarchy(data_dir)
    return CivicKnowledge(civic, parents, names).index()


def read_disease_hierarchy(data_dir: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """``({DOID: [is_a parents]}, {DOID: name})`` from the Disease Ontology OBO in ``data_dir`` (empty without one)."""
    path = next((data_dir / name for name in DO_FILES if (data_dir / name).is_file()), None)
    parents: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    if path is None:
        return parents, names
    term: str | None = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("["):
                term = None
            elif line.startswith("id: DOID:"):
                term = line[4:].strip()
                parents.setdefault(term, [])
            elif term and line.startswith("name: "):
                names[term] = line[6:].strip()
            elif term and line.startswith("is_a: DOID:"):
                parents[term].append(line[6:].split()[0])
    return parents, names
