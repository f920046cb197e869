"""Human Phenotype Ontology: the ``Phenotype`` hierarchy, disease annotations and gene-phenotype links.

Three upstream files (gzipped or not):

* ``hp.obo`` - every current ``HP:`` term becomes a ``Phenotype`` node (``name``, ``definition``, ``synonyms``,
  ``xrefs``, ``alt_ids`` and ``category``, the top-level branch: "Phenotypic abnormality", "Mode of inheritance",
  "Clinical modifier", ...); ``is_a`` becomes ``IS_A``. Obsolete terms are counted, and annotations that still
  use an ``alt_id`` or an obsolete id with a ``replaced_by`` are moved to the current term.
* ``phenotype.hpoa`` - ``#`` metadata lines (``#version: 2025-01-16``), a header, then one row per disease
  annotation. By ``aspect``:

  - ``P`` (phenotypic abnormality) -> ``Disease-HAS_PHENOTYPE-Phenotype`` with ``frequency`` (the raw value:
    an HPO frequency term's label, ``n/m`` or ``x%``), ``frequency_value`` (a float in [0, 1]; HPO frequency
    terms map to the middle of the range their definition gives), ``evidence``, ``onset``, ``sex``,
    ``modifier``, ``pmids``, ``biocuration`` and ``database_ids`` (the hpoa ids behind the edge).
    ``NOT`` rows state that a disease lacks a phenotype: they are counted and never become edges.
  - ``I`` (mode of inheritance) and ``C`` (clinical course: onset, progression) describe the disease as a
    whole, so their term labels are stored on the disease as ``inheritance`` and ``clinical_course``.
  - ``M`` (clinical modifier) and ``H`` (past medical history) are a few hundred rows; they are counted as
    skipped with their reason.

  ``database_id`` (``OMIM:``, ``ORPHA:``, ``DECIPHER:``) goes through the resolver. A disease that resolves to a
  DOID is the disease-ontology job's node: it gets edges and, for DOIDs that job creates, a property-only
  record with ``inheritance`` and ``clinical_course`` (no name, so nothing of the DO's is overwritten). Any
  other disease is this job's ``Disease`` node, under its MONDO id or else its own normalised id (counted as
  unresolved), named by MONDO's label (from the mapping files) or else from ``disease_name``.
* ``genes_to_phenotype.txt`` - ``Gene-ASSOCIATED_WITH-Phenotype``, one edge per (gene, phenotype), with
  ``frequency``, ``frequency_value`` and ``disease_id`` (the canonical ids of the diseases behind it). Rows
  whose term is not a phenotypic abnormality (inheritance, modifiers) are counted as skipped, as hpoa's
  ``I``/``C``/``M`` aspects are.

Several rows can land on one edge: one disease annotated twice, or OMIM and Orphanet ids that resolve to one
canonical disease. They merge into one edge: ``frequency`` joins the distinct raw values with ``"; "``,
``frequency_value`` is the mean of the values that can be derived, ``evidence`` is the strongest code
(PCS > TAS > IEA), ``pmids``, ``onset``, ``modifier``, ``biocuration`` and ``database_ids`` are unions, and
``sex`` is kept only when every row agrees. Merged disease nodes prefer the Orphanet name (OMIM titles are
often upper case) when MONDO has no label for them, keep the other names as ``synonyms`` and every hpoa id in
``xrefs``.

Unresolved ids (diseases, genes, HPO terms) are counted once per distinct id; the rows they cost are counted
in ``skipped``.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest.base import IngestError, IngestResult, SourceInfo, find_file, open_text, read_tsv, sha256_of
from pmkg.ingest.ontology import Ontology, OntologyTerm, read_ontology
from pmkg.ingest.xrefs import Resolver, normalise_curie
from pmkg.kg.records import EdgeRecord, NodeRecord

SOURCE = SourceInfo(
    name="hpo",
    version="unknown",  # replaced by the release date the files carry
    license=(
        "HPO license (custom, not open source): https://hpo.jax.org/app/license - acknowledge and cite the HPO "
        "Consortium, display the HPO version used, do not alter HPO content"
    ),
    url="http://purl.obolibrary.org/obo/hp.obo",
)
ONTOLOGY_FILES = ["hpo/hp.obo.gz", "hpo/hp.obo"]
ANNOTATION_FILES = ["hpo/phenotype.hpoa.gz", "hpo/phenotype.hpoa"]
GENE_FILES = ["hpo/genes_to_phenotype.txt.gz", "hpo/genes_to_phenotype.txt"]

HPOA_COLUMNS = [
    "database_id",
    "disease_name",
    "qualifier",
    "hpo_id",
    "reference",
    "evidence",
    "onset",
    "frequency",
    "sex",
    "modifier",
    "aspect",
    "biocuration",
]
GENE_COLUMNS = ["ncbi_gene_id", "gene_symbol", "hpo_id", "frequency", "disease_id"]

ROOT = "HP:0000001"
PHENOTYPIC_ABNORMALITY = "HP:0000118"
# Middle of the range each HPO frequency term's definition gives ("Present in 80% to 99% of the cases").
FREQUENCY_TERMS: dict[str, float] = {
    "HP:0040280": 1.0,  # Obligate: 100%
    "HP:0040281": 0.895,  # Very frequent: 80-99%
    "HP:0040282": 0.545,  # Frequent: 30-79%
    "HP:0040283": 0.17,  # Occasional: 5-29%
    "HP:0040284": 0.025,  # Very rare: 1-4%
    "HP:0040285": 0.0,  # Excluded: 0%
}
EVIDENCE_RANK = {"PCS": 0, "TAS": 1, "IEA": 2}  # published clinical study > author statement > electronic
DISEASE_PREFIXES = {"OMIM": "OMIM", "ORPHA": "ORPHANET", "DECIPHER": "DECIPHER"}
NAME_PREFERENCE = ("ORPHANET", "OMIM", "DECIPHER")
SKIPPED_ASPECTS = {
    "M": "aspect M (clinical modifier) row: not modelled",
    "H": "aspect H (past medical history) row: not modelled",
}
DISEASE_ASPECTS = {"I": "inheritance", "C": "clinical_course"}

_HP_ID = re.compile(r"^HP:\d{7}$")
_DISEASE_ID = re.compile(r"^(?P<prefix>OMIM|ORPHA|DECIPHER):(?P<local>\d+)$")
_RATIO = re.compile(r"^(?P<n>\d+)/(?P<m>\d+)$")
_PERCENT = re.compile(r"^(?P<p>\d+(?:\.\d+)?)\s*%$")
_PMID = re.compile(r"^PMID:(?P<n>\d+)$")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def run(data_dir: Path, resolver: Resolver | None = None) -> IngestResult:
    resolver = resolver or Resolver.from_data_dir(data_dir)
    obo = find_file(data_dir, SOURCE, ONTOLOGY_FILES)
    hpoa = find_file(data_dir, SOURCE, ANNOTATION_FILES)
    genes = find_file(data_dir, SOURCE, GENE_FILES)
    ontology = read_ontology(obo)
    annotation_version = hpoa_metadata(hpoa).get("version")
    result = IngestResult(_source(ontology, annotation_version))
    ontology.report_to(result)
    prov = result.source.provenance.as_props()
    terms = HpoTerms.from_ontology(ontology, obo, result)
    result.nodes.extend(terms.nodes(prov))
    result.edges.extend(terms.is_a_edges(prov, obo, result))
    diseases = DiseaseIndex(resolver, result)
    _annotate_diseases(hpoa, terms, diseases, result, prov)
    result.nodes.extend(diseases.nodes(prov))
    _link_genes(genes, terms, diseases, resolver, result, prov)
    result.files = {str(path): sha256_of(path) for path in (obo, hpoa, genes)}
    return result


def _source(ontology: Ontology, annotation_version: str | None) -> SourceInfo:
    """The release date: ``hp/releases/2025-01-16`` -> ``2025-01-16``; both dates when hpoa is another release."""
    match = _DATE.search(ontology.version or "")
    version = match.group(0) if match else ontology.version or "unknown"
    if annotation_version and annotation_version != version:
        version = f"{version} (annotations {annotation_version})"
    return SourceInfo(SOURCE.name, version, SOURCE.license, SOURCE.url)


# ---- the ontology --------------------------------------------------------------------------------------


@dataclass
class HpoTerms:
    """Current HPO terms, their top-level branch, and the retired ids that annotations may still use."""

    current: dict[str, OntologyTerm]  # current terms only
    aliases: dict[str, str]  # alt_id or obsolete id with a replacement -> current id
    category: dict[str, str]  # id -> label of its top-level branch
    unknown: set[str] = field(default_factory=set)  # ids already reported as unresolved
    # Half a million rows use a few thousand distinct ids and frequencies: each is worked out once.
    _resolved: dict[str, str] = field(default_factory=dict)
    _frequencies: dict[str, tuple[str | None, float | None, str | None]] = field(default_factory=dict)

    @classmethod
    def from_ontology(cls, ontology: Ontology, path: Path, result: IngestResult) -> HpoTerms:
        current = {}
        for term in ontology.terms.values():
            result.rows_read[path.name] += 1
            if not _HP_ID.match(term.id):
                result.skipped["term id is not HP:NNNNNNN"] += 1
                result.warn(f"{path}: term {term.id}", "id is not HP:NNNNNNN; term skipped")
            elif term.obsolete:
                result.skipped["obsolete term"] += 1
            else:
                current[term.id] = term
        aliases: dict[str, str] = {}
        for term in current.values():
            for alt in term.alt_ids:
                aliases.setdefault(alt, term.id)
        for term in ontology.terms.values():
            replacement = next((r for r in term.replaced_by if r in current), None)
            if term.obsolete and replacement:
                aliases.setdefault(term.id, replacement)
        return cls(current, aliases, _categories(current))

    def resolve(self, hp_id: str) -> str | None:
        """The current term for a current, alternative or replaced id; None for an unknown or retired one."""
        return hp_id if hp_id in self.current else self.aliases.get(hp_id)

    def frequency(self, raw: str) -> tuple[str | None, float | None, str | None]:
        if raw not in self._frequencies:
            self._frequencies[raw] = parse_frequency(raw, self)
        return self._frequencies[raw]

    def label(self, hp_id: str) -> str | None:
        term = self.current.get(self.resolve(hp_id) or "")
        return term.name if term is not None else None

    def is_phenotypic_abnormality(self, hp_id: str) -> bool:
        return self.category.get(hp_id) == self.current[PHENOTYPIC_ABNORMALITY].name

    def nodes(self, prov: dict[str, str]) -> Iterator[NodeRecord]:
        for term in self.current.values():
            xrefs = sorted({normalise_curie(x) or x for x in term.xrefs})
            yield NodeRecord(
                "Phenotype",
                term.id,
                {
                    "name": term.name or term.id,
                    "definition": term.definition,
                    "synonyms": sorted(set(term.synonyms)),
                    "xrefs": xrefs,
                    "alt_ids": sorted(term.alt_ids),
                    "category": self.category.get(term.id),
                    **prov,
                },
            )

    def is_a_edges(self, prov: dict[str, str], path: Path, result: IngestResult) -> Iterator[EdgeRecord]:
        for term in self.current.values():
            for parent in term.parents:
                if parent not in self.current:
                    result.note_unresolved("is_a parent obsolete or missing", parent)
                    result.warn(f"{path}: term {term.id}", f"is_a {parent}, which is obsolete or not in the file")
                    continue
                yield EdgeRecord("IS_A", "Phenotype", term.id, "Phenotype", parent, dict(prov))


def _categories(current: dict[str, OntologyTerm]) -> dict[str, str]:
    """Each term's top-level branch (a child of HP:0000001), preferring "Phenotypic abnormality" if several."""
    branches: dict[str, set[str]] = {}

    def visit(term_id: str) -> set[str]:
        if term_id not in branches:
            branches[term_id] = set()  # guards against a cycle in a damaged file
            parents = [p for p in current[term_id].parents if p in current]
            found = {term_id} if ROOT in parents else set()
            for parent in parents:
                if parent != ROOT:
                    found |= visit(parent)
            branches[term_id] = found
        return branches[term_id]

    category = {}
    for term_id in current:
        found = visit(term_id) if term_id != ROOT else set()
        if found:
            best = PHENOTYPIC_ABNORMALITY if PHENOTYPIC_ABNORMALITY in found else min(found)
            category[term_id] = current[best].name
    return category


# ---- frequencies ----------------------------------------------------------------------------------------


def parse_frequency(raw: str, terms: HpoTerms) -> tuple[str | None, float | None, str | None]:
    """``(display, value, problem)`` for an hpoa or genes_to_phenotype frequency.

    ``'HP:0040281'`` -> ``('Very frequent', 0.895, None)``; ``'3/4'`` -> ``('3/4', 0.75, None)``;
    ``'12%'`` -> ``('12%', 0.12, None)``; empty or ``'-'`` -> ``(None, None, None)``. A value that cannot be
    read keeps its raw text and explains why in ``problem``.
    """
    raw = raw.strip()
    if raw in ("", "-"):
        return None, None, None
    if raw.startswith("HP:"):
        current = terms.resolve(raw)
        if current not in FREQUENCY_TERMS:
            return raw, None, f"frequency {raw!r} is not an HPO frequency term (HP:0040280-HP:0040285)"
        return terms.label(current), FREQUENCY_TERMS[current], None
    if match := _RATIO.match(raw):
        n, m = int(match.group("n")), int(match.group("m"))
        if m == 0 or n > m:
            return raw, None, f"frequency {raw!r} is not n/m with 0 <= n <= m and m > 0"
        return raw, n / m, None
    if match := _PERCENT.match(raw):
        percent = float(match.group("p"))
        if percent > 100:
            return raw, None, f"frequency {raw!r} is above 100%"
        return raw, percent / 100, None
    return raw, None, f"frequency {raw!r} is neither an HPO term, n/m nor x%"


@dataclass
class _Merged:
    """What several rows say about one edge."""

    frequencies: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def add_frequency(self, display: str | None, value: float | None) -> None:
        if display is not None and display not in self.frequencies:
            self.frequencies.append(display)
        if value is not None:
            self.values.append(value)

    def frequency_props(self) -> dict[str, object]:
        return {
            "frequency": "; ".join(self.frequencies) if self.frequencies else None,
            "frequency_value": round(sum(self.values) / len(self.values), 4) if self.values else None,
        }


@dataclass
class _Annotation(_Merged):
    database_ids: set[str] = field(default_factory=set)
    evidence: set[str] = field(default_factory=set)
    pmids: set[str] = field(default_factory=set)
    onset: list[str] = field(default_factory=list)
    modifier: list[str] = field(default_factory=list)
    sexes: set[str] = field(default_factory=set)
    biocuration: list[str] = field(default_factory=list)

    def props(self) -> dict[str, object]:
        return {
            **self.frequency_props(),
            "evidence": min(self.evidence, key=lambda code: (EVIDENCE_RANK.get(code, 9), code), default=None),
            "onset": self.onset,
            # One row without a sex restriction means the phenotype is not restricted to a sex.
            "sex": next(iter(self.sexes)) if len(self.sexes) == 1 and "" not in self.sexes else None,
            "modifier": self.modifier,
            "pmids": sorted(self.pmids, key=int),
            "biocuration": self.biocuration,
            "database_ids": sorted(self.database_ids),
        }


@dataclass
class _GeneLink(_Merged):
    diseases: set[str] = field(default_factory=set)


def _extend_unique(target: list[str], values: list[str]) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)


# ---- diseases -------------------------------------------------------------------------------------------


@dataclass
class _DiseaseFacts:
    names: dict[str, str] = field(default_factory=dict)  # hpoa id (normalised) -> disease_name
    facts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # property -> labels


class DiseaseIndex:
    """hpoa disease ids -> canonical ids, and the facts (names, inheritance) gathered for each canonical id."""

    def __init__(self, resolver: Resolver, result: IngestResult):
        self.resolver = resolver
        self.result = result
        self.canonical: dict[str, str] = {}  # normalised hpoa id -> canonical id
        self.by_raw: dict[str, tuple[str, str]] = {}  # id as written -> (normalised, canonical)
        self.facts: dict[str, _DiseaseFacts] = defaultdict(_DiseaseFacts)
        self.used: set[str] = set()  # canonical ids with an edge or a fact; a NOT-only disease gets no node

    def resolve(self, database_id: str) -> tuple[str, str] | None:
        """``(normalised id, canonical id)``; None when ``database_id`` is not OMIM/ORPHA/DECIPHER:digits."""
        if database_id in self.by_raw:
            return self.by_raw[database_id]
        match = _DISEASE_ID.match(database_id.strip())
        if not match:
            return None
        prefix = DISEASE_PREFIXES[match.group("prefix")]
        original = f"{prefix}:{match.group('local')}"
        if original not in self.canonical:
            found = self.resolver.disease(original)
            if found is None:
                self.result.note_unresolved(f"disease {prefix}", original)
            self.canonical[original] = found or original
        self.by_raw[database_id] = (original, self.canonical[original])
        return self.by_raw[database_id]

    def note(self, original: str, canonical: str, name: str) -> None:
        names = self.facts[canonical].names
        if name:
            names.setdefault(original, name)

    def add_fact(self, canonical: str, prop: str, label: str) -> None:
        _extend_unique(self.facts[canonical].facts[prop], [label])
        self.used.add(canonical)

    def nodes(self, prov: dict[str, str]) -> Iterator[NodeRecord]:
        known_doids = self.resolver.known_doids
        for canonical, facts in self.facts.items():
            if canonical not in self.used:
                continue
            extra = {prop: sorted(labels) for prop, labels in facts.facts.items()}
            if canonical.startswith("DOID:"):
                # The disease-ontology job owns DOID nodes: add facts only to nodes it creates, never a name.
                if extra and known_doids is not None and canonical in known_doids:
                    yield NodeRecord("Disease", canonical, {**extra, **prov})
                continue
            ranked = [facts.names[i] for i in sorted(facts.names, key=lambda i: (_name_rank(i), i))]
            # MONDO's own label where there is one, so this job and ClinVar name a MONDO-keyed disease alike.
            label = self.resolver.disease_label(canonical) if canonical.startswith("MONDO:") else None
            name = label or (ranked[0] if ranked else canonical)
            synonyms = sorted(set(ranked) - {name})
            yield NodeRecord(
                "Disease",
                canonical,
                {"name": name, "synonyms": synonyms, "xrefs": sorted(facts.names), **extra, **prov},
            )


def _name_rank(original: str) -> int:
    prefix = original.split(":", 1)[0]
    return NAME_PREFERENCE.index(prefix) if prefix in NAME_PREFERENCE else len(NAME_PREFERENCE)


# ---- phenotype.hpoa -------------------------------------------------------------------------------------


def hpoa_metadata(path: Path) -> dict[str, str]:
    """The ``#key: value`` lines that open an hpoa file (``version``, ``hpo-version``, ...)."""
    metadata = {}
    try:
        with open_text(path) as fh:
            for line in fh:
                if not line.startswith("#"):
                    break
                key, _, value = line[1:].partition(":")
                metadata[key.strip()] = value.strip()
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise IngestError(
            f"{path}: not a readable file ({exc}); it may be truncated or corrupt, re-download it"
        ) from exc
    return metadata


def read_hpoa(path: Path, result: IngestResult) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` after the ``#`` metadata lines and the header, which must match hpoa's."""
    try:
        with open_text(path, result) as fh:
            header_number, line = 1, fh.readline()
            while line.startswith("#"):
                header_number, line = header_number + 1, fh.readline()
            header = line.rstrip("\r\n").split("\t")
            if header != HPOA_COLUMNS:
                raise IngestError(
                    f"{path}:{header_number}: expected the hpoa header {HPOA_COLUMNS}, found {header[:12]}. "
                    "Is this phenotype.hpoa from an HPO release of 2021 or later?"
                )
            for line_number, line in enumerate(fh, start=header_number + 1):
                if not line.strip():
                    continue
                result.rows_read[path.name] += 1
                values = line.rstrip("\r\n").split("\t")
                if len(values) != len(HPOA_COLUMNS):
                    result.skipped["wrong column count"] += 1
                    result.warn(
                        f"{path}:{line_number}",
                        f"expected {len(HPOA_COLUMNS)} columns, found {len(values)}; row skipped",
                    )
                    continue
                yield line_number, dict(zip(HPOA_COLUMNS, values, strict=True))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise IngestError(
            f"{path}: not a readable file ({exc}); it may be truncated or corrupt, re-download it"
        ) from exc


def _annotate_diseases(
    path: Path, terms: HpoTerms, diseases: DiseaseIndex, result: IngestResult, prov: dict[str, str]
) -> None:
    annotations: dict[tuple[str, str], _Annotation] = defaultdict(_Annotation)
    for line_number, row in read_hpoa(path, result):
        where = f"{path}:{line_number}"
        ids = diseases.resolve(row["database_id"])
        if ids is None:
            result.skipped["malformed disease id"] += 1
            result.warn(
                where, f"database_id {row['database_id']!r} is not OMIM:, ORPHA: or DECIPHER:<digits>; row skipped"
            )
            continue
        term = _term(row["hpo_id"], terms, where, result)
        if term is None:
            continue
        aspect, qualifier = row["aspect"], row["qualifier"]
        if qualifier not in ("", "NOT"):
            result.skipped["unknown qualifier"] += 1
            result.warn(where, f"qualifier {qualifier!r} is neither empty nor NOT; row skipped")
            continue
        if aspect not in ("P", *DISEASE_ASPECTS, *SKIPPED_ASPECTS):
            result.skipped["unknown aspect"] += 1
            result.warn(where, f"aspect {aspect!r} is not one of P, I, C, M, H; row skipped")
            continue
        original, canonical = ids
        diseases.note(original, canonical, row["disease_name"].strip())
        if qualifier == "NOT":
            result.skipped["NOT-qualified annotation (the disease lacks the phenotype): no edge"] += 1
        elif aspect in SKIPPED_ASPECTS:
            result.skipped[SKIPPED_ASPECTS[aspect]] += 1
        elif aspect in DISEASE_ASPECTS:
            diseases.add_fact(canonical, DISEASE_ASPECTS[aspect], terms.label(term) or term)
        else:
            _merge_annotation(annotations[(canonical, term)], original, row, terms, where, result)
            diseases.used.add(canonical)
    for (disease, phenotype), annotation in annotations.items():
        result.edges.append(
            EdgeRecord("HAS_PHENOTYPE", "Disease", disease, "Phenotype", phenotype, {**annotation.props(), **prov})
        )


def _term(raw: str, terms: HpoTerms, where: str, result: IngestResult) -> str | None:
    """The current term for an annotation's HPO id; a malformed or unknown id is reported and yields None."""
    if raw in terms._resolved:
        return terms._resolved[raw]
    hp_id = raw.strip()
    if not _HP_ID.match(hp_id):
        result.skipped["malformed HPO id"] += 1
        result.warn(where, f"hpo_id {raw!r} is not HP:<7 digits>; row skipped")
        return None
    current = terms.resolve(hp_id)
    if current is None:
        result.skipped["HPO term unknown or obsolete without replacement"] += 1
        if hp_id not in terms.unknown:
            terms.unknown.add(hp_id)
            result.note_unresolved("HPO term", hp_id)
        result.warn(where, f"{hp_id} is not a current HPO term, alt_id or replaced term; row skipped")
    else:
        terms._resolved[raw] = current
    return current


def _merge_annotation(
    annotation: _Annotation, original: str, row: dict[str, str], terms: HpoTerms, where: str, result: IngestResult
) -> None:
    display, value, problem = terms.frequency(row["frequency"])
    if problem:
        result.warn(where, f"{problem}; edge kept without frequency_value")
    annotation.add_frequency(display, value)
    annotation.database_ids.add(original)
    if row["evidence"]:
        annotation.evidence.add(row["evidence"])
    for reference in row["reference"].split(";"):
        if reference.startswith("PMID:") and (match := _PMID.match(reference.strip())):
            annotation.pmids.add(match.group("n"))
    if row["onset"]:
        _extend_unique(annotation.onset, [_qualifier_label(row["onset"], terms, where, result)])
    if row["modifier"]:
        labels = [_qualifier_label(m, terms, where, result) for m in row["modifier"].split(";")]
        _extend_unique(annotation.modifier, labels)
    annotation.sexes.add(row["sex"].strip().lower())
    _extend_unique(annotation.biocuration, [b.strip() for b in row["biocuration"].split(";")])


def _qualifier_label(raw: str, terms: HpoTerms, where: str, result: IngestResult) -> str:
    """An onset or modifier term's label; an id the ontology lacks is kept as is and reported."""
    raw = raw.strip()
    if not raw:
        return ""
    label = terms.label(raw)
    if label is None:
        result.note_unresolved("HPO qualifier term", raw)
        result.warn(where, f"onset/modifier {raw!r} is not a current HPO term; kept as the raw id")
    return label or raw


# ---- genes_to_phenotype ---------------------------------------------------------------------------------


def _link_genes(
    path: Path,
    terms: HpoTerms,
    diseases: DiseaseIndex,
    resolver: Resolver,
    result: IngestResult,
    prov: dict[str, str],
) -> None:
    links: dict[tuple[str, str], _GeneLink] = defaultdict(_GeneLink)
    genes: dict[str, str | None] = {}
    for line_number, row in read_tsv(path, GENE_COLUMNS, result):
        where = f"{path}:{line_number}"
        raw_gene = row["ncbi_gene_id"].strip()
        if not raw_gene.isdigit():
            result.skipped["malformed gene id"] += 1
            result.warn(where, f"ncbi_gene_id {raw_gene!r} is not an NCBI Gene number; row skipped")
            continue
        if raw_gene not in genes:
            genes[raw_gene] = resolver.gene(f"NCBIGene:{raw_gene}")
            if genes[raw_gene] is None:
                result.note_unresolved("gene NCBIGene", f"NCBIGene:{raw_gene}")
        gene = genes[raw_gene]
        term = _term(row["hpo_id"], terms, where, result)
        if gene is None or term is None:
            if gene is None:
                result.skipped["gene does not resolve"] += 1
            continue
        if not terms.is_phenotypic_abnormality(term):
            result.skipped["term is not a phenotypic abnormality (inheritance, modifier, history)"] += 1
            continue
        link = links[(gene, term)]
        display, value, problem = terms.frequency(row["frequency"])
        if problem:
            result.warn(where, f"{problem}; edge kept without frequency_value")
        link.add_frequency(display, value)
        ids = diseases.resolve(row["disease_id"])
        if ids is None:
            result.warn(
                where, f"disease_id {row['disease_id']!r} is not OMIM:, ORPHA: or DECIPHER:<digits>; not listed"
            )
        else:
            link.diseases.add(ids[1])
    for (gene, phenotype), link in links.items():
        props = {**link.frequency_props(), "disease_id": sorted(link.diseases), **prov}
        result.edges.append(EdgeRecord("ASSOCIATED_WITH", "Gene", gene, "Phenotype", phenotype, props))
