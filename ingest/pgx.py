"""A patient's pharmacogenomic profile: VCF genotypes -> star alleles -> CPIC/DPWG phenotypes -> recommendations.

The chain, each step a documented table lookup:

1. **Diplotypes** from the genotypes at PharmCAT's defining positions (:mod:`ingest.star_alleles`).
2. **Phenotypes** from the guideline body's diplotype -> phenotype map (``pharmcat_phenotypes/<body>/<GENE>.json``,
   read by :func:`ingest.pharmcat.load_phenotype_map`): e.g. CYP2C19 ``*2/*2`` -> "Poor Metabolizer", CYP2D6
   ``*4/*4`` -> activity score ``0.0``. When the call is ambiguous (several top-scoring diplotypes) and they
   map to one lookup key, that key is used; when they disagree the phenotype is "Indeterminate" and the gene
   yields no recommendation. A diplotype the map does not list gets no phenotype either.
3. **Recommendations** of every guideline whose lookup key (one to three genes) matches the patient's keys
   (:class:`ingest.pharmcat.Recommendation`: text, classification, guideline source). Each is read as an
   :mod:`pmkg.ingest.pgx_actions` action: ``avoid``, ``use alternative``, ``adjust dose``, ``see text``,
   ``standard`` or ``no recommendation``.

:data:`CONTRAINDICATING` (avoid, use alternative) is what the drug-patient ground truth and the model's PGx
flags treat as "do not give this drug". Recommendations resolve their drug to the graph's canonical id the
way the ``cpic`` ingest job does (:func:`ingest.cpic.guideline_drug_resolver`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest import pgx_actions, pharmcat
from pmkg.ingest.base import IngestError
from pmkg.ingest.star_alleles import (
    AlleleDefinitions,
    GeneCall,
    available_genes,
    call_gene,
    genotypes_at,
    load_definitions,
    load_exemptions,
)
from pmkg.ingest.vcf import Genotype, VcfRecord
from pmkg.ingest.xrefs import Resolver

log = logging.getLogger(__name__)

BODIES = ("CPIC", "DPWG")
CONTRAINDICATING = frozenset({"avoid", "use alternative"})
# Most severe first: a drug with several recommendations is flagged with the most severe action.
ACTION_SEVERITY = pgx_actions.ACTIONS
# Actions worth an edge in the graph; "standard" and "no recommendation" would add an edge per drug and patient.
ACTIONABLE = frozenset({"avoid", "use alternative", "adjust dose", "see text"})
INDETERMINATE = "Indeterminate"
_CACHE_SIZE = 200_000  # distinct genotypes per gene are few in a cohort; the cache saves the matcher's work


@dataclass(frozen=True)
class GenePhenotype:
    """One gene's call read through one body's phenotype map."""

    gene: str
    body: str  # CPIC or DPWG
    diplotype: str | None  # the call, '*1/*2' or '*1/*2 or *1/*3'
    phenotype: str | None  # e.g. 'Poor Metabolizer'; INDETERMINATE; None when not called or not in the map
    lookup_key: str | None  # what recommendations are keyed on (phenotype, or activity score)
    activity_score: str | None
    ambiguous: bool


@dataclass(frozen=True)
class DrugRecommendation:
    """A guideline recommendation that applies to the patient, with the graph's id of its drug."""

    drug_name: str
    pharmgkb_id: str
    drug_id: str | None  # canonical graph id; None when it does not resolve
    guideline_source: str  # CPIC or DPWG
    guideline_id: str
    recommendation_id: str
    classification: str | None
    action: str
    text: str
    lookup: tuple[tuple[str, str], ...]  # ((gene, phenotype or activity score), ...)
    population: str | None

    @property
    def severity(self) -> int:
        return ACTION_SEVERITY.index(self.action) if self.action in ACTION_SEVERITY else len(ACTION_SEVERITY)

    @property
    def contraindicating(self) -> bool:
        return self.action in CONTRAINDICATING


@dataclass
class PgxProfile:
    calls: dict[str, GeneCall]
    phenotypes: dict[str, dict[str, GenePhenotype]]  # body -> gene -> phenotype
    recommendations: list[DrugRecommendation] = field(default_factory=list)

    def flags(self, body: str | None = None) -> dict[str, DrugRecommendation]:
        """Drug id -> its most severe recommendation (CPIC before DPWG on ties); ``body`` limits the bodies."""
        best: dict[str, DrugRecommendation] = {}
        for rec in self.recommendations:
            if rec.drug_id is None or (body is not None and rec.guideline_source != body):
                continue
            current = best.get(rec.drug_id)
            rank = (rec.severity, BODIES.index(rec.guideline_source) if rec.guideline_source in BODIES else 9)
            if current is None or rank < (current.severity, BODIES.index(current.guideline_source)):
                best[rec.drug_id] = rec
        return best

    def contraindicated(self, body: str = "CPIC") -> set[str]:
        """Drug ids that a ``body`` recommendation for this patient says to avoid or replace."""
        return {drug for drug, rec in self.flags(body).items() if rec.contraindicating}


class PgxKnowledge:
    """Allele definitions, phenotype maps and guideline recommendations, loaded once and reused per patient."""

    def __init__(
        self,
        definitions: dict[str, AlleleDefinitions],
        phenotype_maps: dict[tuple[str, str], pharmcat.PhenotypeMap],
        recommendations: list[pharmcat.Recommendation],
        drug_ids: Mapping[str, str | None],
        exemptions: Mapping[str, list[str]] | None = None,
        version: str | None = None,
    ):
        self.definitions = definitions
        self.phenotype_maps = phenotype_maps
        self.recommendations = recommendations
        self.drug_ids = dict(drug_ids)
        self.exemptions = dict(exemptions or {})
        self.version = version
        self._calls: dict[tuple, GeneCall] = {}
        self._recommendations: dict[tuple, list[DrugRecommendation]] = {}
        # Recommendations grouped by the genes they key on, so a patient needs one dict lookup per gene group.
        self._by_genes: dict[tuple[str, ...], dict[tuple[tuple[str, str], ...], list[pharmcat.Recommendation]]]
        self._by_genes = defaultdict(lambda: defaultdict(list))
        for rec in recommendations:
            if rec.lookup_key:
                self._by_genes[rec.genes][rec.lookup_key].append(rec)

    @classmethod
    def load(cls, data_dir: Path, resolver: Resolver | None = None, genes: Iterable[str] | None = None) -> PgxKnowledge:
        """Read everything under ``data_dir/cpic``; ``genes`` limits the genes called (default: all defined)."""
        from pmkg.ingest.cpic import guideline_drug_resolver

        wanted = list(genes) if genes is not None else available_genes(data_dir)
        if not wanted:
            raise IngestError(
                f"{data_dir / 'cpic/pharmcat_allele_definitions'}: no allele definitions; point --data-dir at the "
                "folder that holds cpic/"
            )
        definitions = {gene: load_definitions(data_dir, gene) for gene in wanted}
        maps: dict[tuple[str, str], pharmcat.PhenotypeMap] = {}
        for gene in wanted:
            for body in BODIES:
                if pharmcat.phenotype_map_path(data_dir, gene, body).is_file():
                    maps[(body, gene)] = pharmcat.load_phenotype_map(data_dir, gene, body)
        recommendations = pharmcat.load_recommendations(data_dir)
        resolve = guideline_drug_resolver(data_dir, resolver or Resolver.from_data_dir(data_dir))
        drug_ids = {c.pharmgkb_id: resolve(c) for rec in recommendations for c in rec.drugs}
        unresolved = sorted({c.name for rec in recommendations for c in rec.drugs if drug_ids[c.pharmgkb_id] is None})
        if unresolved:
            log.info("PGx: %d guideline drugs have no graph id: %s", len(unresolved), ", ".join(unresolved[:10]))
        versions = sorted({d.version for d in definitions.values() if d.version})
        return cls(definitions, maps, recommendations, drug_ids, load_exemptions(data_dir), ", ".join(versions))

    @property
    def genes(self) -> list[str]:
        return sorted(self.definitions)

    def call(self, records: list[tuple[VcfRecord, Genotype]], absent_as_reference: bool = False) -> dict[str, GeneCall]:
        """Every gene's call for one sample; identical genotypes share one (cached, read-only) call."""
        calls = {}
        for gene, definitions in self.definitions.items():
            genotypes = genotypes_at(definitions, records, absent_as_reference)
            key = (gene, tuple(None if g is None else (g.alleles, g.phased) for g in genotypes))
            call = self._calls.get(key)
            if call is None:
                call = call_gene(definitions, genotypes, self.exemptions.get(gene, ()))
                if len(self._calls) < _CACHE_SIZE:
                    self._calls[key] = call
            calls[gene] = call
        return calls

    def phenotype(self, call: GeneCall, body: str) -> GenePhenotype | None:
        """``call`` read through ``body``'s map for its gene; None when the body has no map for the gene."""
        table = self.phenotype_maps.get((body, call.gene))
        if table is None:
            return None
        if not call.called:
            return GenePhenotype(call.gene, body, None, None, None, None, False)
        rows = [table.lookup(d.name) for d in call.top]
        known = [r for r in rows if r is not None]
        keys = {r.lookup_key for r in known}
        if len(known) < len(rows) or len(keys) != 1:
            phenotype = INDETERMINATE if len(keys) > 1 else None
            return GenePhenotype(call.gene, body, call.diplotype, phenotype, None, None, call.ambiguous)
        row = known[0]
        return GenePhenotype(
            call.gene, body, call.diplotype, row.phenotype, row.lookup_key, row.activity_score, call.ambiguous
        )

    def phenotype_of_diplotype(self, gene: str, diplotype: str, body: str = "CPIC") -> pharmcat.DiplotypePhenotype:
        """The map's row for a diplotype such as ``'*2/*2'`` (a worked example of the CPIC tables)."""
        table = self.phenotype_maps.get((body, gene))
        row = table.lookup(diplotype) if table else None
        if row is None:
            raise KeyError(f"{body} has no phenotype for {gene} {diplotype}")
        return row

    def recommendations_for(self, lookup: Mapping[str, Mapping[str, str]]) -> list[DrugRecommendation]:
        """Recommendations whose every gene key matches ``lookup`` (body -> {gene: lookup key})."""
        out = []
        for genes, by_key in self._by_genes.items():
            for body, keys in lookup.items():
                if not all(g in keys for g in genes):
                    continue
                for rec in by_key.get(tuple((g, keys[g]) for g in genes), ()):
                    if rec.guideline_source.upper() != body:
                        continue
                    action = rec.action
                    for chemical in rec.drugs:
                        out.append(
                            DrugRecommendation(
                                drug_name=chemical.name,
                                pharmgkb_id=chemical.pharmgkb_id,
                                drug_id=self.drug_ids.get(chemical.pharmgkb_id),
                                guideline_source=rec.guideline_source.upper(),
                                guideline_id=rec.guideline_id,
                                recommendation_id=rec.id,
                                classification=rec.classification,
                                action=action,
                                text=rec.text,
                                lookup=rec.lookup_key,
                                population=rec.population,
                            )
                        )
        return out

    def profile(self, calls: dict[str, GeneCall]) -> PgxProfile:
        """Phenotypes per body and every recommendation that applies."""
        phenotypes: dict[str, dict[str, GenePhenotype]] = {body: {} for body in BODIES}
        for call in calls.values():
            for body in BODIES:
                result = self.phenotype(call, body)
                if result is not None:
                    phenotypes[body][call.gene] = result
        lookup = {
            body: {gene: p.lookup_key for gene, p in by_gene.items() if p.lookup_key is not None}
            for body, by_gene in phenotypes.items()
        }
        key = tuple(sorted((body, gene, value) for body, keys in lookup.items() for gene, value in keys.items()))
        recommendations = self._recommendations.get(key)
        if recommendations is None:
            recommendations = self.recommendations_for(lookup)
            if len(self._recommendations) < _CACHE_SIZE:
                self._recommendations[key] = recommendations
        return PgxProfile(calls, phenotypes, list(recommendations))

    def profile_from_records(
        self, records: list[tuple[VcfRecord, Genotype]], absent_as_reference: bool = False
    ) -> PgxProfile:
        return self.profile(self.call(records, absent_as_reference))
