"""Readers for PharmCAT's guideline and phenotype files: genotype -> phenotype -> drug recommendation.

Upstream: PharmCAT commit 30f8cfb (2024-05-29), data stamp 2024-03-25, as laid out under ``cpic/`` in the data folder:

* ``pharmcat_guidelines/<BODY>_<drugs>_and_<genes>.json``: one CPIC or DPWG guideline as annotated by PharmGKB:
  ``guideline`` (id, name, source body, url, ``relatedGenes``, ``relatedChemicals``), ``recommendations`` (each
  keyed by ``lookupKey`` = {gene: phenotype or activity score}, with ``classification.term`` such as Strong /
  Moderate / Optional / No recommendation, HTML ``text``, ``implications`` and the flags
  ``alternateDrugAvailable`` / ``dosingInformation``), ``citations`` (PMIDs) and ``version``.
* ``pharmcat_phenotypes/<body>/<GENE>.json``: ``haplotypes`` (allele -> function) and ``diplotypes``
  (``*1/*2`` -> ``generesult`` phenotype and ``lookupkey``, the key recommendations use: the phenotype for most
  genes, the activity score for CYP2D6, CYP2C9 and DPYD).

These are plain functions returning frozen dataclasses; the ``cpic`` ingest job builds its graph edges from
:func:`read_guideline`, and patient-level code (issue C) chains :func:`load_phenotype_map` ->
:meth:`PhenotypeMap.lookup` -> :func:`recommendations_for`. The ``action`` of a recommendation follows the
stated rule of :mod:`pmkg.ingest.pgx_actions` (structured fields first, a curated table, keywords last);
``classification`` and ``text`` stay the authoritative fields.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pmkg.ingest import pgx_actions
from pmkg.ingest.base import IngestError

log = logging.getLogger(__name__)

GUIDELINE_DIR = "cpic/pharmcat_guidelines"
PHENOTYPE_DIR = "cpic/pharmcat_phenotypes"
BODIES = ("cpic", "dpwg")

# Strongest first; DPWG grades nothing, so its actionable recommendations say "N/A".
CLASSIFICATION_ORDER = ("Strong", "Moderate", "Optional", "No recommendation", "N/A")

_TAG = re.compile(r"<[^>]+>")
# Block-level tags end a line, so the first line of ``text`` is the recommendation's first paragraph.
_BLOCK_END = re.compile(r"</(?:p|h\d|li|div)>|<br\s*/?>|<(?:h\d|li|p|ul|ol)(?:\s[^>]*)?>", re.IGNORECASE)
@dataclass(frozen=True)
class Chemical:
    pharmgkb_id: str  # PharmGKB accession, e.g. PA449053
    name: str


@dataclass(frozen=True)
class Recommendation:
    """One recommendation of one guideline, for one combination of gene phenotypes."""

    id: str
    guideline_id: str
    guideline_source: str  # CPIC or DPWG
    drugs: tuple[Chemical, ...]
    lookup_key: tuple[tuple[str, str], ...]  # ((gene, phenotype or activity score), ...), sorted by gene
    population: str | None
    classification: str | None
    text: str  # plain text of the upstream HTML
    implications: tuple[str, ...]
    alternate_drug_available: bool
    dosing_information: bool
    normal: bool = False  # every gene of the lookup key has a normal result (see :mod:`pmkg.ingest.pgx_actions`)

    @property
    def genes(self) -> tuple[str, ...]:
        return tuple(gene for gene, _ in self.lookup_key)

    @property
    def action(self) -> str:
        return pgx_actions.read_action(
            pgx_actions.RecommendationFacts(
                self.id,
                self.text,
                self.classification,
                self.lookup_key,
                self.dosing_information,
                self.alternate_drug_available,
                self.normal,
            )
        )


@dataclass(frozen=True)
class GuidelineFile:
    """One PharmCAT guideline JSON."""

    id: str
    name: str
    source: str
    url: str | None
    genes: tuple[str, ...]
    chemicals: tuple[Chemical, ...]
    recommendations: tuple[Recommendation, ...]
    pmids: tuple[str, ...]
    version: str | None
    path: Path


@dataclass(frozen=True)
class DiplotypePhenotype:
    gene: str
    diplotype: str
    phenotype: str  # PharmCAT's generesult, e.g. "Poor Metabolizer"
    lookup_key: str  # what recommendations are keyed on: the phenotype or the activity score
    activity_score: str | None


@dataclass(frozen=True)
class PhenotypeMap:
    """A gene's diplotype -> phenotype table for one guideline body."""

    gene: str
    body: str
    version: str | None
    haplotype_functions: Mapping[str, str]
    diplotypes: Mapping[str, DiplotypePhenotype]  # keyed by :func:`diplotype_key`

    def lookup(self, diplotype: str) -> DiplotypePhenotype | None:
        """``'*2/*1'`` and ``'*1/*2'`` find the same entry; None for a diplotype the table does not list."""
        return self.diplotypes.get(diplotype_key(diplotype))


def diplotype_key(diplotype: str) -> str:
    """Order-insensitive key: ``'*2/*1'`` -> ``'*1/*2'``; a haploid call (``'Reference'``) is kept as is."""
    return "/".join(sorted(part.strip() for part in diplotype.split("/")))


def html_to_text(markup: str) -> str:
    """Plain text, one line per paragraph, heading or list item."""
    lines = html.unescape(_TAG.sub(" ", _BLOCK_END.sub("\n", markup))).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def action_of(text: str, classification: str | None = None) -> str:
    """The keyword reading of a recommendation's text alone; :attr:`Recommendation.action` is the full rule."""
    return pgx_actions.keyword_action(text, classification)


def strongest(classifications: Iterable[str | None]) -> str | None:
    ranked = [c for c in CLASSIFICATION_ORDER if c in set(classifications)]
    return ranked[0] if ranked else None


def _load_json(path: Path) -> object:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IngestError(f"{path}: not readable JSON ({exc}); it may be truncated, fetch it again") from exc


def guideline_files(data_dir: Path) -> list[Path]:
    """The guideline JSONs under ``data_dir``, sorted by name."""
    return sorted((data_dir / GUIDELINE_DIR).glob("*.json"))


NormalKeys = Mapping[tuple[str, str], frozenset[str]]  # (body, gene) -> lookup keys the body's map calls normal


def read_guideline(path: Path, normal_keys: NormalKeys | None = None) -> GuidelineFile:
    """Parse one guideline JSON; unreadable JSON raises :class:`IngestError`, a wrong shape raises ``ValueError``.

    ``normal_keys`` (from :func:`normal_lookup_keys`) tells which activity scores are normal; without it only keys
    that name a normal result (``'Normal Metabolizer'``) count.
    """
    document = _load_json(path)
    try:
        return _guideline(document, path, normal_keys or {})
    except (AttributeError, KeyError, TypeError) as exc:
        raise ValueError(
            f"expected {{'guideline': {{'id', 'source', 'relatedGenes', 'relatedChemicals'}}, 'recommendations': "
            f"[...]}} ({type(exc).__name__}: {exc})"
        ) from exc


def _guideline(document: dict, path: Path, normal_keys: NormalKeys) -> GuidelineFile:
    guideline = document["guideline"]
    source = str(guideline["source"])
    body = source.lower()
    chemicals = tuple(_chemical(c) for c in guideline["relatedChemicals"])
    recommendations = tuple(
        Recommendation(
            id=str(rec["id"]),
            guideline_id=str(guideline["id"]),
            guideline_source=source,
            drugs=tuple(_chemical(c) for c in rec.get("relatedChemicals") or []) or chemicals,
            lookup_key=tuple(sorted((str(g), str(v)) for g, v in (rec.get("lookupKey") or {}).items())),
            population=rec.get("population"),
            classification=(rec.get("classification") or {}).get("term"),
            text=html_to_text((rec.get("text") or {}).get("html") or ""),
            implications=tuple(rec.get("implications") or ()),
            alternate_drug_available=bool(rec.get("alternateDrugAvailable")),
            dosing_information=bool(rec.get("dosingInformation")),
            normal=_all_normal(rec.get("lookupKey") or {}, body, normal_keys),
        )
        for rec in document.get("recommendations") or []
    )
    pmids = sorted({str(c["pmid"]) for c in document.get("citations") or [] if str(c.get("pmid", "")).isdigit()})
    return GuidelineFile(
        id=str(guideline["id"]),
        name=str(guideline.get("name") or guideline["id"]),
        source=source,
        url=guideline.get("url"),
        genes=tuple(str(g["symbol"]) for g in guideline["relatedGenes"]),
        chemicals=chemicals,
        recommendations=recommendations,
        pmids=tuple(sorted(pmids, key=int)),
        version=document.get("version"),
        path=path,
    )


def _all_normal(lookup_key: Mapping, body: str, normal_keys: NormalKeys) -> bool:
    return bool(lookup_key) and all(
        pgx_actions.is_normal_key(str(value), normal_keys.get((body, str(gene)), frozenset()))
        for gene, value in lookup_key.items()
    )


def normal_lookup_keys(data_dir: Path) -> dict[tuple[str, str], frozenset[str]]:
    """(body, gene) -> the lookup keys (mostly activity scores) whose phenotype the body's map calls normal."""
    keys: dict[tuple[str, str], frozenset[str]] = {}
    for body in BODIES:
        for path in sorted((data_dir / PHENOTYPE_DIR / body).glob("*.json")):
            table = load_phenotype_map(data_dir, path.stem, body)
            keys[(body, table.gene)] = frozenset(
                row.lookup_key for row in table.diplotypes.values() if row.phenotype in pgx_actions.NORMAL_RESULTS
            )
    return keys


def _chemical(entry: dict) -> Chemical:
    return Chemical(str(entry["id"]), str(entry["name"]))


def load_recommendations(data_dir: Path) -> list[Recommendation]:
    """Every recommendation of every guideline file (CPIC and DPWG) under ``data_dir``.

    A file of the wrong shape is logged and left out (the ``cpic`` job counts it); unreadable JSON raises.
    """
    recommendations: list[Recommendation] = []
    normal_keys = normal_lookup_keys(data_dir)
    for path in guideline_files(data_dir):
        try:
            recommendations.extend(read_guideline(path, normal_keys).recommendations)
        except ValueError as exc:
            log.warning("%s: %s; file left out", path, exc)
    return recommendations


def recommendations_for(
    recommendations: Iterable[Recommendation],
    drug: str,
    lookup: Mapping[str, str],
    source: str | None = None,
) -> list[Recommendation]:
    """Recommendations for ``drug`` (name, any case) whose every gene key matches ``lookup`` ({gene: lookup key}).

    ``lookup`` values are :attr:`DiplotypePhenotype.lookup_key` (e.g. ``'Poor Metabolizer'``, or ``'1.0'`` for
    CYP2D6). ``source`` limits the answer to one body (``'CPIC'`` or ``'DPWG'``).
    """
    wanted = drug.strip().lower()
    return [
        rec
        for rec in recommendations
        if any(c.name.lower() == wanted for c in rec.drugs)
        and (source is None or rec.guideline_source.upper() == source.upper())
        and rec.lookup_key
        and all(lookup.get(gene) == key for gene, key in rec.lookup_key)
    ]


def phenotype_map_path(data_dir: Path, gene: str, body: str = "cpic") -> Path:
    # PharmCAT names MT-RNR1's file MT_RNR1.json.
    return data_dir / PHENOTYPE_DIR / body.lower() / f"{gene.replace('-', '_')}.json"


def load_phenotype_map(data_dir: Path, gene: str, body: str = "cpic") -> PhenotypeMap:
    """The diplotype -> phenotype table for ``gene`` (e.g. ``CYP2C19``) and ``body`` (``cpic`` or ``dpwg``)."""
    path = phenotype_map_path(data_dir, gene, body)
    if not path.is_file():
        raise IngestError(f"{path}: no {body} phenotype map for {gene} (PharmCAT has maps for the genes it calls)")
    document = _load_json(path)
    try:
        symbol = str(document["gene"])
        diplotypes = {}
        for entry in document["diplotypes"]:
            row = DiplotypePhenotype(
                gene=symbol,
                diplotype=str(entry["diplotype"]),
                phenotype=str(entry.get("generesult") or entry.get("phenotype")),
                lookup_key=str(entry.get("lookupkey") or entry.get("generesult")),
                activity_score=entry.get("activityScore"),
            )
            diplotypes.setdefault(diplotype_key(row.diplotype), row)
        return PhenotypeMap(
            gene=symbol,
            body=body.lower(),
            version=document.get("version"),
            haplotype_functions={str(k): str(v) for k, v in (document.get("haplotypes") or {}).items()},
            diplotypes=diplotypes,
        )
    except (AttributeError, KeyError, TypeError) as exc:
        raise IngestError(
            f"{path}: expected {{'gene', 'haplotypes', 'diplotypes': [{{'diplotype', 'generesult', 'lookupkey'}}]}} "
            f"({type(exc).__name__}: {exc}); is this a PharmCAT phenotype file?"
        ) from exc
