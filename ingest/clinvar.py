"""ClinVar ``variant_summary.txt.gz``: variants, their genes, their conditions and their variant class.

Upstream format: one gzipped TSV, header line ``#AlleleID Type Name GeneID GeneSymbol HGNC_ID ...``, one row
per ClinVar variation *per assembly* (usually a GRCh37 and a GRCh38 row; ``na`` or ``NCBI36`` for some).

Mapping to the graph:

* ``Variant`` nodes. The canonical id is ``dbSNP:rs<RS#>`` where the row has an rs number, else
  ``CLINVAR:<VariationID>``.
  * Assemblies: the rows of one VariationID become one node. ``chromosome``/``start``/``stop`` and
    ``position_vcf`` come from the GRCh38 row; the GRCh37 row adds ``grch37_chromosome``/``grch37_start``/
    ``grch37_stop``/``grch37_position_vcf``. ``ref``/``alt`` are the VCF-style alleles anchored at
    ``position_vcf``, from GRCh38, else GRCh37 when ClinVar has no GRCh38 row. Pseudo-autosomal variants have
    an X and a Y row per assembly; the first (X) is kept. ``na``/``NCBI36`` rows add no coordinates.
  * Several VariationIDs can share one rs number (other alleles at the same site). They become one node whose
    scalar properties come from the *lead* variation: the best review status (most stars), then the lowest
    VariationID. ``xrefs`` lists ``CLINVAR:<VariationID>`` of every variation behind an rs-keyed node.
* ``Variant-IN_GENE-Gene`` from ``GeneID`` through ``resolver.gene``. ClinVar writes ``GeneID -1`` when a
  variant overlaps several genes (``GeneSymbol`` is then ``A;B``) or many (``subset of 82 genes: CRKL:TBX1``,
  naming the dosage-sensitive ones, or ``covers 11 genes, none of which ...``). Named symbols resolve through
  ``resolver.gene_by_symbol``, one edge each; a variant with no gene named gets no edge and is counted in
  ``skipped``.
* ``Variant-ASSOCIATED_WITH-Disease``. ``PhenotypeIDS`` holds condition groups separated by ``|`` (aligned
  with ``PhenotypeList``), conditions within a group separated by ``;``, and each condition's ids separated
  by ``,`` (``MONDO:MONDO:0013342,MedGen:C3150901,OMIM:613647,Orphanet:306511``). A condition's ids are tried
  most trusted first (MONDO, OMIM, Orphanet, MeSH, EFO, then MedGen concept ids as the UMLS CUIs they are);
  the first that reaches a DOID wins, else the first that reaches a MONDO id. "not provided", "not
  specified", conditions without ids and lists abbreviated to "N conditions" are counted in ``skipped``;
  conditions whose ids map nowhere are counted in ``unresolved`` by their most trusted id. Edges are kept
  whatever the clinical significance (benign included): filter on ``clinical_significance``/``clin_sig_simple``.
  When several variations of one rs name the same disease, the edge carries the lead variation's assertion
  and lists every contributing VariationID.
* ``Disease`` nodes for the MONDO-keyed diseases these edges reach (a DOID is the disease-ontology job's node):
  ``name`` is MONDO's label, ``clinvar_condition_names``/``clinvar_condition_ids`` what ClinVar called it.
* ``Variant-HAS_VARIANT_TYPE-SequenceFeature`` from ``Type`` through :data:`VARIANT_TYPE_TO_SO`; a type
  without an SO term is counted in ``unresolved``. SequenceFeature nodes belong to the sequence-ontology job.

The file carries no PMIDs (they are in ClinVar's ``var_citations.txt``), so no record has ``pmids``.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from pmkg.ingest.base import IngestError, IngestResult, SourceInfo, find_file, read_tsv, sha256_of
from pmkg.ingest.xrefs import Resolver, normalise_curie
from pmkg.kg.records import EdgeRecord, NodeRecord

log = logging.getLogger(__name__)

SOURCE = SourceInfo(
    name="clinvar",
    version="unknown",  # replaced by the release named in the file name (or the file's date) when it is read
    license=(
        'ClinVar data: public domain / no restrictions — NCBI: "NCBI itself places no restrictions on the use or '
        'distribution of the data contained therein" (https://www.ncbi.nlm.nih.gov/home/about/policies/). '
        "Individual submitters may hold rights in their submissions (same policy page)."
    ),
    url="https://ftp.ncbi.nlm.nih.gov/pub/clinvar/tab_delimited/variant_summary.txt.gz",
)
FILES = ["clinvar/variant_summary.txt.gz", "clinvar/variant_summary_2021-01_first86362rows.txt.gz"]

REQUIRED_COLUMNS = [
    "#AlleleID",
    "Type",
    "Name",
    "GeneID",
    "GeneSymbol",
    "HGNC_ID",
    "ClinicalSignificance",
    "ClinSigSimple",
    "LastEvaluated",
    "RS# (dbSNP)",
    "PhenotypeIDS",
    "PhenotypeList",
    "Origin",
    "Assembly",
    "Chromosome",
    "Start",
    "Stop",
    "Cytogenetic",
    "ReviewStatus",
    "NumberSubmitters",
    "VariationID",
    "PositionVCF",
    "ReferenceAlleleVCF",
    "AlternateAlleleVCF",
]

# ClinVar ``Type`` -> Sequence Ontology term (ids checked against so.obo, 2024-11-18). ClinVar's "Indel" is a
# deletion-insertion (SO "delins"); its generic "Variation" is SO's root of sequence alterations.
VARIANT_TYPE_TO_SO: dict[str, str] = {
    "single nucleotide variant": "SO:0001483",  # SNV
    "deletion": "SO:0000159",  # deletion
    "duplication": "SO:1000035",  # duplication
    "tandem duplication": "SO:1000173",  # tandem_duplication
    "insertion": "SO:0000667",  # insertion
    "indel": "SO:1000032",  # delins
    "copy number gain": "SO:0001742",  # copy_number_gain
    "copy number loss": "SO:0001743",  # copy_number_loss
    "microsatellite": "SO:0000289",  # microsatellite
    "inversion": "SO:1000036",  # inversion
    "translocation": "SO:0000199",  # translocation
    "fusion": "SO:0000806",  # fusion
    "complex": "SO:0001784",  # complex_structural_alteration
    "variation": "SO:0001059",  # sequence_alteration
}

# ClinVar's review status as its gold stars; the lead variation of an rs and of an edge is the best reviewed.
REVIEW_STARS: dict[str, int] = {
    "practice guideline": 4,
    "reviewed by expert panel": 3,
    "criteria provided, multiple submitters, no conflicts": 2,
    "criteria provided, conflicting interpretations": 1,
    "criteria provided, single submitter": 1,
}

# Integer columns -> whether the value must be a positive integer (identifiers every row has).
INTEGER_COLUMNS: dict[str, bool] = {
    "VariationID": True,
    "#AlleleID": True,
    "RS# (dbSNP)": False,
    "GeneID": False,
    "ClinSigSimple": False,
    "NumberSubmitters": False,
}
NOT_PROVIDED = {"MEDGEN:CN517202", "NOT PROVIDED"}
NOT_SPECIFIED = {"MEDGEN:CN169374", "NOT SPECIFIED"}
# A condition's ids, most trusted first; prefixes are as normalise_curie spells them.
CONDITION_PREFIX_ORDER = ("MONDO", "OMIM", "OMIMPS", "ORPHANET", "MESH", "EFO", "UMLS", "HP")
_SUBSET_OF_GENES = re.compile(r"^subset of \d+ genes: (\S+)$")
_ABBREVIATED = re.compile(r"^\d+ conditions$")
_RELEASE_IN_NAME = re.compile(r"(\d{4}-\d{2}(?:-\d{2})?)")
_MISSING = {"", "-", "na", "-1"}


@dataclass
class _Location:
    chromosome: str | None
    start: int | None
    stop: int | None
    position_vcf: int | None
    ref: str | None
    alt: str | None


@dataclass
class _Variation:
    """The assembly-independent content of one ClinVar VariationID, plus its locations."""

    variation_id: int
    canonical: str
    stars: int
    props: dict
    so_term: str | None
    genes: list[str]
    diseases: dict[str, dict]  # disease id -> edge props
    grch38: _Location | None = None
    grch37: _Location | None = None

    @property
    def lead_key(self) -> tuple[int, int]:
        return (-self.stars, self.variation_id)


class _MalformedRow(ValueError):
    """A row whose identifiers or coordinates cannot be read; the message is the skip reason."""


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    resolver = resolver or Resolver.from_data_dir(data_dir)
    path = find_file(data_dir, SOURCE, FILES)
    source = SourceInfo(SOURCE.name, _release_of(path), SOURCE.license, SOURCE.url)
    result = IngestResult(source)
    prov = source.provenance.as_props()
    mapper = _ConditionMapper(resolver)
    variations: dict[int, _Variation] = {}
    for line_number, row in read_tsv(path, REQUIRED_COLUMNS, result):
        where = f"{path}:{line_number}"
        try:
            # Every row is checked, not only a variation's first: a damaged GRCh37 row is no less damaged.
            numbers = _numbers(row)
            location = _location(row)
        except _MalformedRow as exc:
            result.skipped[str(exc)] += 1
            result.warn(where, f"{exc}; row skipped")
            continue
        variation = variations.get(numbers["VariationID"])
        if variation is None:
            variation = variations[numbers["VariationID"]] = _parse_variation(row, numbers, where, mapper, result, prov)
        _add_location(variation, row["Assembly"], location)
    result.files[str(path)] = sha256_of(path)
    _emit(variations.values(), result, prov)
    result.nodes.extend(_mondo_disease_nodes(variations.values(), resolver, prov))
    log.info(
        "clinvar: %d rows, %d variations, %d Variant nodes, %d edges",
        sum(result.rows_read.values()),
        len(variations),
        len(result.nodes),
        len(result.edges),
    )
    return result


def _release_of(path: Path) -> str:
    """The release named in the file name (``variant_summary_2021-01_...``), else the file's own date."""
    named = _RELEASE_IN_NAME.search(path.name)
    if named:
        return named.group(1)
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read the file's date ({exc})") from exc


# ---- one row ---------------------------------------------------------------------------------------------


def _numbers(row: dict[str, str]) -> dict[str, int | None]:
    """The integer columns; ``-1``/``-`` (ClinVar's "none") read as None, anything else unreadable raises."""
    return {column: _integer(row, column, positive) for column, positive in INTEGER_COLUMNS.items()}


def _parse_variation(
    row: dict[str, str],
    numbers: dict[str, int | None],
    where: str,
    mapper: _ConditionMapper,
    result: IngestResult,
    prov: dict,
) -> _Variation:
    variation_id = cast(int, numbers["VariationID"])  # a positive column is never None
    rs, gene_id, clin_sig_simple = numbers["RS# (dbSNP)"], numbers["GeneID"], numbers["ClinSigSimple"]
    review_status = row["ReviewStatus"].strip()
    stars = REVIEW_STARS.get(review_status, 0)
    clinical_significance = _text(row["ClinicalSignificance"])
    variant_type = row["Type"].strip()
    so_term = VARIANT_TYPE_TO_SO.get(variant_type.lower())
    if so_term is None:
        result.note_unresolved("variant type (no SO term)", variant_type or "(empty)")
    canonical = f"dbSNP:rs{rs}" if rs is not None and rs > 0 else f"CLINVAR:{variation_id}"
    props = {
        "name": _text(row["Name"]) or canonical,
        "clinvar_variation_id": str(variation_id),
        "allele_id": str(numbers["#AlleleID"]),
        "variant_type": variant_type,
        "clinical_significance": clinical_significance,
        "clin_sig_simple": clin_sig_simple,
        "review_status": review_status,
        "review_stars": stars,
        "number_submitters": numbers["NumberSubmitters"],
        "last_evaluated": _date(row["LastEvaluated"], where, result),
        "hgnc_id": _text(row["HGNC_ID"]),
        "gene_symbol": _text(row["GeneSymbol"]),
        "cytogenetic": _text(row["Cytogenetic"]),
    }
    assertion = {
        "clinical_significance": clinical_significance,
        "clin_sig_simple": clin_sig_simple,
        "review_status": review_status,
        "review_stars": stars,
        "evidence": review_status,
        "origin": [o for o in row["Origin"].split(";") if o and o != "-"],
        "last_evaluated": props["last_evaluated"],
        **prov,
    }
    return _Variation(
        variation_id=variation_id,
        canonical=canonical,
        stars=stars,
        props=props,
        so_term=so_term,
        genes=_genes(gene_id, row["GeneSymbol"], mapper.resolver, result),
        diseases=_diseases(row["PhenotypeIDS"], row["PhenotypeList"], assertion, mapper, result),
    )


def _genes(gene_id: int | None, symbols: str, resolver: Resolver, result: IngestResult) -> list[str]:
    if gene_id is not None and gene_id > 0:
        gene = resolver.gene(f"NCBIGene:{gene_id}")
        if gene is None:
            result.note_unresolved("gene NCBIGene", f"NCBIGene:{gene_id}")
            return []
        return [gene]
    subset = _SUBSET_OF_GENES.match(symbols.strip())
    # "subset of 82 genes: CRKL:TBX1" names the dosage-sensitive genes among the many a large variant covers.
    listed = subset.group(1).split(":") if subset else [s.strip() for s in symbols.split(";") if s.strip()]
    if not listed or listed == ["-"]:
        result.skipped["IN_GENE: no gene given (GeneID -1, GeneSymbol -)"] += 1
        return []
    if len(listed) == 1 and " " in listed[0]:
        # "covers 11 genes, none of which curated to show dosage sensitivity": no gene to link.
        result.skipped["IN_GENE: variant covers many genes, none named (GeneID -1)"] += 1
        return []
    genes = []
    for symbol in listed:
        gene = resolver.gene_by_symbol(symbol)
        if gene is None:
            result.note_unresolved("gene symbol", symbol)
        elif gene not in genes:
            genes.append(gene)
    return genes


@dataclass(frozen=True)
class _Outcome:
    """What one condition of ClinVar's PhenotypeIDS comes to: a disease, a skip reason, or an unresolved id."""

    disease: str | None = None
    via: str | None = None
    skipped: str | None = None
    unresolved_kind: str | None = None
    example: str | None = None


class _ConditionMapper:
    """Classifies conditions, caching by their ids and name: the same few thousand recur on most rows."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver
        self.cache: dict[tuple[str, str], _Outcome] = {}

    def classify(self, ids: str, name: str) -> _Outcome:
        key = (ids, name)
        outcome = self.cache.get(key)
        if outcome is None:
            outcome = self.cache[key] = self._classify(ids, name)
        return outcome

    def _classify(self, ids: str, name: str) -> _Outcome:
        raw = [i.strip() for i in ids.split(",") if i.strip() and i.strip() != "-"]
        curies = [c for c in (_condition_curie(i) for i in raw) if c]
        keys = {c.upper() for c in curies} | {name.upper()}
        if keys & NOT_PROVIDED:
            return _Outcome(skipped="condition 'not provided'")
        if keys & NOT_SPECIFIED:
            return _Outcome(skipped="condition 'not specified'")
        if not curies:
            abbreviated = any(_ABBREVIATED.match(i) for i in raw) or _ABBREVIATED.match(name)
            return _Outcome(
                skipped="condition list abbreviated to 'N conditions'" if abbreviated else "condition without ids"
            )
        disease, via = _resolve_condition(curies, self.resolver)
        if disease is None:
            kind, example = _unresolved_kind(curies)
            return _Outcome(unresolved_kind=kind, example=f"{example} ({name})" if name else example)
        return _Outcome(disease=disease, via=via)


def _diseases(
    phenotype_ids: str, phenotype_names: str, assertion: dict, mapper: _ConditionMapper, result: IngestResult
) -> dict[str, dict]:
    """Disease id -> edge props for every condition of one variation that maps to a DOID or MONDO id."""
    found: dict[str, dict] = {}
    for ids, name in _conditions(phenotype_ids, phenotype_names):
        outcome = mapper.classify(ids, name)
        if outcome.skipped:
            result.skipped[outcome.skipped] += 1
        elif outcome.disease is None:
            result.note_unresolved(outcome.unresolved_kind or "disease", outcome.example or ids)
        elif outcome.disease not in found:
            found[outcome.disease] = {**assertion, "condition_name": name or None, "condition_id": outcome.via}
    return found


def _conditions(phenotype_ids: str, phenotype_names: str) -> list[tuple[str, str]]:
    """(comma-separated ids, name) per condition; names pair with ids when ClinVar's two columns split alike."""
    id_groups, name_groups = phenotype_ids.split("|"), phenotype_names.split("|")
    if phenotype_ids.strip() in ("", "-"):
        names = phenotype_names.replace("|", ";").split(";")
        return [("", name.strip()) for name in names if name.strip() not in ("", "-")]
    conditions = []
    for index, group in enumerate(id_groups):
        members = group.split(";")
        group_name = name_groups[index] if len(name_groups) == len(id_groups) else ""
        names = group_name.split(";")
        for position, member in enumerate(members):
            name = names[position] if len(names) == len(members) else group_name
            conditions.append((member.strip(), name.strip()))
    return conditions


def _condition_curie(value: str) -> str | None:
    """ClinVar's spelling of a condition id as a pmkg CURIE (``MedGen:C3150901`` -> ``UMLS:C3150901``)."""
    if value.startswith("Human Phenotype Ontology:"):
        value = value.removeprefix("Human Phenotype Ontology:")
    curie = normalise_curie(value)
    if curie is None:
        return None
    prefix, local = curie.split(":", 1)
    if prefix == "OMIM" and local.startswith("PS"):
        return f"OMIMPS:{local[2:]}"  # a phenotypic series, as MONDO's omimps mappings spell it
    if prefix == "EFO":
        return f"EFO:{local.removeprefix('EFO_')}"
    if prefix.upper() == "MEDGEN":
        # MedGen concepts C... are UMLS CUIs; CN... are MedGen's own and map nowhere.
        return f"UMLS:{local}" if re.fullmatch(r"C\d+", local) else f"MEDGEN:{local}"
    return curie


def _resolve_condition(curies: list[str], resolver: Resolver) -> tuple[str | None, str | None]:
    """The first id (most trusted first) that reaches a DOID, else the first that reaches a MONDO id."""
    fallback: tuple[str | None, str | None] = (None, None)
    for curie in sorted(curies, key=_trust):
        disease = resolver.disease(curie)
        if disease is None:
            continue
        if disease.startswith("DOID:"):
            return disease, curie
        if fallback[0] is None:
            fallback = (disease, curie)
    return fallback


def _trust(curie: str) -> int:
    prefix = curie.split(":", 1)[0]
    return CONDITION_PREFIX_ORDER.index(prefix) if prefix in CONDITION_PREFIX_ORDER else len(CONDITION_PREFIX_ORDER)


def _unresolved_kind(curies: list[str]) -> tuple[str, str]:
    best = min(curies, key=_trust)
    prefix = best.split(":", 1)[0]
    if any(c.startswith("HP:") for c in curies) and prefix in ("UMLS", "HP"):
        # HPO terms (with the MedGen concept of the same feature): a phenotype, which is not a Disease.
        return "condition is an HPO phenotype", min(c for c in curies if c.startswith("HP:"))
    if prefix in ("UMLS", "MEDGEN"):
        return "disease MedGen-only", best
    return f"disease {prefix}", best


def _location(row: dict[str, str]) -> _Location:
    return _Location(
        chromosome=_text(row["Chromosome"]),
        start=_coordinate(row, "Start"),
        stop=_coordinate(row, "Stop"),
        position_vcf=_coordinate(row, "PositionVCF"),
        ref=_text(row["ReferenceAlleleVCF"]),
        alt=_text(row["AlternateAlleleVCF"]),
    )


def _add_location(variation: _Variation, assembly: str, location: _Location) -> None:
    # First row wins: pseudo-autosomal variants list X before Y.
    if assembly == "GRCh38" and variation.grch38 is None:
        variation.grch38 = location
    elif assembly == "GRCh37" and variation.grch37 is None:
        variation.grch37 = location


# ---- values ----------------------------------------------------------------------------------------------


def _text(value: str) -> str | None:
    value = value.strip()
    return None if value in _MISSING else value


def _integer(row: dict[str, str], column: str, positive: bool = False) -> int | None:
    value = row[column].strip()
    if not positive and value in ("-1", "-", ""):
        return None
    if not value.isdigit() or (positive and int(value) == 0):
        raise _MalformedRow(f"malformed {column} (expected {'a positive ' if positive else 'an '}integer)")
    return int(value)


def _coordinate(row: dict[str, str], column: str) -> int | None:
    value = row[column].strip()
    if value in _MISSING:
        return None
    if not value.isdigit():
        raise _MalformedRow(f"malformed {column} (expected an integer position, -1 or na)")
    return int(value)


def _date(value: str, where: str, result: IngestResult) -> str | None:
    value = value.strip()
    if value in _MISSING:
        return None
    try:
        return _iso_date(value)
    except ValueError:
        result.warn(where, f"LastEvaluated {value!r} is not a date like 'Jun 29, 2010'; kept without a date")
        return None


@functools.lru_cache(maxsize=8192)
def _iso_date(value: str) -> str:
    return datetime.strptime(value, "%b %d, %Y").date().isoformat()


# ---- records ---------------------------------------------------------------------------------------------


def _emit(variations: Iterable[_Variation], result: IngestResult, prov: dict) -> None:
    variants: dict[str, list[_Variation]] = {}
    for variation in variations:
        variants.setdefault(variation.canonical, []).append(variation)
    for canonical, sharing in variants.items():
        members = sorted(sharing, key=lambda v: v.lead_key)
        result.nodes.append(NodeRecord("Variant", canonical, {**_node_props(canonical, members), **prov}))
        genes = dict.fromkeys(g for v in members for g in v.genes)
        for gene in genes:
            result.edges.append(EdgeRecord("IN_GENE", "Variant", canonical, "Gene", gene, dict(prov)))
        for so_term in sorted({v.so_term for v in members if v.so_term}):
            result.edges.append(
                EdgeRecord("HAS_VARIANT_TYPE", "Variant", canonical, "SequenceFeature", so_term, dict(prov))
            )
        diseases: dict[str, list[_Variation]] = {}
        for member in members:
            for disease in member.diseases:
                diseases.setdefault(disease, []).append(member)
        for disease, asserting in diseases.items():
            props = {
                **asserting[0].diseases[disease],
                "clinvar_variation_id": str(asserting[0].variation_id),
                "clinvar_variation_ids": [str(v.variation_id) for v in sorted(asserting, key=lambda v: v.variation_id)],
            }
            result.edges.append(EdgeRecord("ASSOCIATED_WITH", "Variant", canonical, "Disease", disease, props))


def _mondo_disease_nodes(variations: Iterable[_Variation], resolver: Resolver, prov: dict) -> list[NodeRecord]:
    """A ``Disease`` node for each MONDO-keyed disease an edge points to: no other source may create it.

    DOIDs are the disease-ontology job's nodes. A disease that maps to MONDO only (MONDO has no DOID for it)
    is named by MONDO's label, as the hpo job names its MONDO-keyed diseases, else by ClinVar's condition
    name; ClinVar's own names and ids stay under ``clinvar_``-prefixed keys so another source's are kept.
    """
    conditions: dict[str, tuple[set[str], set[str]]] = {}
    for variation in variations:
        for disease, props in variation.diseases.items():
            if disease.startswith("DOID:"):
                continue
            names, ids = conditions.setdefault(disease, (set(), set()))
            if props.get("condition_name"):
                names.add(props["condition_name"])
            if props.get("condition_id"):
                ids.add(props["condition_id"])
    nodes = []
    for disease, (names, ids) in sorted(conditions.items()):
        name = resolver.disease_label(disease) or min(names, default=disease)
        props = {"name": name, "clinvar_condition_names": sorted(names), "clinvar_condition_ids": sorted(ids)}
        nodes.append(NodeRecord("Disease", disease, {**props, **prov}))
    return nodes


def _node_props(canonical: str, members: list[_Variation]) -> dict:
    lead = members[0]
    props = dict(lead.props)
    grch38, grch37 = lead.grch38, lead.grch37
    if grch38:
        props.update(
            chromosome=grch38.chromosome, start=grch38.start, stop=grch38.stop, position_vcf=grch38.position_vcf
        )
    if grch37:
        props.update(
            grch37_chromosome=grch37.chromosome,
            grch37_start=grch37.start,
            grch37_stop=grch37.stop,
            grch37_position_vcf=grch37.position_vcf,
        )
    alleles = grch38 if grch38 and grch38.ref else grch37
    if alleles:
        props.update(ref=alleles.ref, alt=alleles.alt)
    props["xrefs"] = (
        [f"CLINVAR:{v.variation_id}" for v in sorted(members, key=lambda v: v.variation_id)]
        if canonical.startswith("dbSNP:")
        else []
    )
    return props
