"""The synthetic cohort: a seeded generative model over the real graph, written as Phenopackets and one VCF.

Generative model, per patient ``i`` (all draws from ``numpy.random.default_rng([seed, i])``, so patient ``i``
is the same whatever ``n`` is):

1. **Disease** ``d``: uniform over the graph's *treatable* diseases, those with at least one PharmacotherapyDB
   ``TREATS`` indication and at least one phenotype source (step 2).
2. **Phenotypes.**
   * If ``d`` has HPO annotations (``Disease-HAS_PHENOTYPE-Phenotype``: HPO's ``phenotype.hpoa`` rows whose
     OMIM/Orphanet/DECIPHER id the resolver maps, through MONDO or the Disease Ontology's xrefs, to ``d``):
     each annotated term is observed independently with its HPO frequency (``frequency_value``; annotations
     without one use ``default_frequency`` = 0.5).
   * Otherwise each of Hetionet's ``Disease-PRESENTS-Symptom`` MeSH symptoms of ``d`` is observed with
     ``symptom_probability`` = 0.5 (Hetionet gives no frequencies).
   * Clinical imprecision: each observed HP term is replaced by one of its ``IS_A`` parents with probability
     ``imprecision`` = 0.2.
   * Noise: ``Poisson(noise)`` (mean 1) extra terms drawn from the background (every term annotated to a
     treatable disease, weighted by how many diseases carry it), excluding ``d``'s own.
   * At least ``min_terms`` = 2 observed terms (topped up from ``d``'s annotations, frequency-weighted) and at
     most ``max_terms`` = 15 (a random subset).
   * ``excluded`` terms: ``Uniform{0..2}`` background terms not annotated to ``d``, recorded as absent.
3. **Diagnosis**: ``d`` (its DOID), in the phenopacket's ``diseases``.
4. **Genotypes**: for each gene of :data:`ingest.pgx_frequencies.SYNTHETIC_GENES`, two haplotypes drawn
   independently from the allele frequencies (Hardy-Weinberg; see :mod:`ingest.pgx_frequencies` for their
   source and fallback), written as an **unphased** genotype at every defining position, so the calls go
   through the same star-allele matcher as a real VCF.
5. **Subject**: sex uniform over female/male, age uniform in 18-90 years.
6. **Tumour** (only with ``tumour_fraction`` > 0, from a second stream ``default_rng([seed, i, 1])`` so the draws
   above never change): with probability ``tumour_fraction`` the patient is a tumour patient. A (molecular profile,
   disease) pair is drawn uniformly from CIViC's supporting predictive evidence in the graph (profiles of one
   variant, or several joined by AND, whose variants all have a gene and a concrete protein change; diseases the
   graph holds). The disease replaces ``d`` (phenotypes then come from it when it has any, else none), and the
   profile's variants become the phenopacket's variant interpretations (``hgvs.p`` expressions such as
   ``BRAF:p.V600E``) on a tumour biosample whose histology is the disease.

Output (``write_cohort``): ``phenopackets/SYN-<seed>-<i>.json`` (valid Phenopacket v2, marked synthetic with
the external reference :data:`ingest.phenopackets.SYNTHETIC_REFERENCE`), ``cohort.vcf.gz`` (one sample per
patient, header line ``##pmkg_synthetic=true``), ``truth.tsv`` (disease and sampled diplotypes per patient)
and ``cohort.json`` (configuration, seed, counts, frequency sources).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pmkg.ingest.patients import SYNTHETIC_VCF_HEADER
from pmkg.ingest.pgx_frequencies import EUROPEAN, SYNTHETIC_GENES, allele_frequencies, load_frequency_table
from pmkg.ingest.phenopackets import SYNTHETIC_REFERENCE
from pmkg.ingest.star_alleles import IUPAC, AlleleDefinitions, allele_sort_key
from pmkg.ingest.vcf import format_vcf

from pmkg import __version__


@dataclass
class CohortSource:
    """Tables of the graph the generator needs; every list is sorted so that a seed reproduces a cohort."""

    indications: dict[str, list[str]]  # disease -> drugs that TREAT it (PharmacotherapyDB)
    phenotypes: dict[str, list[tuple[str, float | None]]]  # disease -> (HP term, HPO frequency or None)
    symptoms: dict[str, list[str]]  # disease -> Hetionet MeSH symptoms (PRESENTS)
    parents: dict[str, list[str]]  # HP term -> its IS_A parents
    disease_names: dict[str, str] = field(default_factory=dict)
    # (CIViC molecular profile, disease) pairs of supporting predictive evidence, and each profile's variants as
    # (gene symbol, protein change): what a synthetic tumour is drawn from (empty without CIViC in the graph)
    tumour_pairs: list[tuple[str, str]] = field(default_factory=list)
    tumour_variants: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def diseases(self) -> list[str]:
        """Diseases a patient can be drawn with: at least one indication and one phenotype or symptom."""
        return sorted(d for d in self.indications if self.phenotypes.get(d) or self.symptoms.get(d))


@dataclass
class SynthConfig:
    n: int = 10_000
    seed: int = 0
    default_frequency: float = 0.5
    symptom_probability: float = 0.5
    imprecision: float = 0.2
    noise: float = 1.0
    min_terms: int = 2
    max_terms: int = 15
    max_excluded: int = 2
    genes: tuple[str, ...] = SYNTHETIC_GENES
    tumour_fraction: float = 0.0  # share of tumour patients (step 6); 0 keeps every cohort as it was
    allele_frequencies: str | None = None  # a frequency table (ingest.pgx_frequencies); None = the European default


@dataclass
class SynthPatient:
    id: str
    disease: str
    observed: list[str]
    excluded: list[str]
    sex: str
    age: int
    haplotypes: dict[str, tuple[str, str]] = field(default_factory=dict)
    tumour_profile: str | None = None  # CIVIC.MP:... of a tumour patient
    somatic: list[tuple[str, str]] = field(default_factory=list)  # (gene symbol, protein change)


class CohortGenerator:
    def __init__(self, source: CohortSource, definitions: dict[str, AlleleDefinitions], config: SynthConfig):
        self.source = source
        self.config = config
        self.definitions = {g: definitions[g] for g in config.genes if g in definitions}
        missing = sorted(set(config.genes) - set(self.definitions))
        if missing:
            raise ValueError(f"no allele definitions for {', '.join(missing)}; is --data-dir the folder with cpic/?")
        path = config.allele_frequencies
        self.frequency_table = load_frequency_table(Path(path)) if path else EUROPEAN
        self.frequencies = {
            g: allele_frequencies(d, table=self.frequency_table) for g, d in self.definitions.items()
        }
        self.diseases = source.diseases
        if not self.diseases:
            raise ValueError(
                "the graph has no disease with both an indication (TREATS) and phenotypes (HPO HAS_PHENOTYPE or "
                "Hetionet PRESENTS): ingest pharmacotherapydb, hetionet and hpo first"
            )
        terms: Counter[str] = Counter()
        symptoms: Counter[str] = Counter()
        for disease in self.diseases:
            terms.update(t for t, _ in source.phenotypes.get(disease, []))
            symptoms.update(source.symptoms.get(disease, []))
        self._background = {
            "HP": (sorted(terms), np.array([terms[t] for t in sorted(terms)], dtype=float)),
            "MESH": (sorted(symptoms), np.array([symptoms[t] for t in sorted(symptoms)], dtype=float)),
        }

    def patient(self, index: int) -> SynthPatient:
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, index])
        disease = self.diseases[int(rng.integers(len(self.diseases)))]
        tumour = self._tumour(index)
        if tumour is not None:
            disease = tumour[1]
        if tumour is not None and not (self.source.phenotypes.get(disease) or self.source.symptoms.get(disease)):
            observed, excluded = [], []  # a cancer the graph knows no phenotypes of: the tumour speaks for itself
        else:
            observed, excluded = self._phenotypes(disease, rng)
        patient = SynthPatient(
            id=f"SYN-{cfg.seed}-{index:06d}",
            disease=disease,
            observed=observed,
            excluded=excluded,
            sex=("FEMALE", "MALE")[int(rng.integers(2))],
            age=int(rng.integers(18, 91)),
        )
        for gene, frequencies in self.frequencies.items():
            names = list(frequencies)
            drawn = rng.choice(len(names), size=2, p=np.array(list(frequencies.values())))
            patient.haplotypes[gene] = (names[drawn[0]], names[drawn[1]])
        if tumour is not None:
            patient.tumour_profile, patient.somatic = tumour[0], list(self.source.tumour_variants[tumour[0]])
        return patient

    def _phenotypes(self, disease: str, rng: np.random.Generator) -> tuple[list[str], list[str]]:
        """Step 2: observed and excluded terms of a patient with ``disease``."""
        cfg = self.config
        annotations = self.source.phenotypes.get(disease, [])
        if annotations:
            kind = "HP"
            own = [t for t, _ in annotations]
            p = np.array([cfg.default_frequency if f is None else f for _, f in annotations])
            observed = [t for t, keep in zip(own, rng.random(len(own)) < p, strict=True) if keep]
            observed = [self._imprecise(t, rng) for t in observed]
        else:
            kind = "MESH"
            own = self.source.symptoms[disease]
            observed = [t for t, keep in zip(own, rng.random(len(own)) < cfg.symptom_probability, strict=True) if keep]
            p = np.full(len(own), cfg.symptom_probability)
        observed += self._background_terms(kind, int(rng.poisson(cfg.noise)), set(own), rng)
        if len(set(observed)) < cfg.min_terms:
            weights = p / p.sum() if p.sum() > 0 else None
            extra = rng.choice(len(own), size=min(len(own), cfg.min_terms), replace=False, p=weights)
            observed += [own[i] for i in extra]
        observed = list(dict.fromkeys(observed))
        if len(observed) > cfg.max_terms:
            observed = [observed[i] for i in sorted(rng.choice(len(observed), cfg.max_terms, replace=False))]
        excluded = self._background_terms(kind, int(rng.integers(cfg.max_excluded + 1)), set(own) | set(observed), rng)
        return observed, excluded

    def _tumour(self, index: int) -> tuple[str, str] | None:
        """Step 6: (profile, disease) of a tumour patient, or None; its own stream leaves the other draws alone."""
        pairs = self.source.tumour_pairs
        if self.config.tumour_fraction <= 0 or not pairs:
            return None
        rng = np.random.default_rng([self.config.seed, index, 1])
        if rng.random() >= self.config.tumour_fraction:
            return None
        return pairs[int(rng.integers(len(pairs)))]

    def _imprecise(self, term: str, rng: np.random.Generator) -> str:
        parents = self.source.parents.get(term)
        if parents and rng.random() < self.config.imprecision:
            return parents[int(rng.integers(len(parents)))]
        return term

    def _background_terms(self, kind: str, k: int, avoid: set[str], rng: np.random.Generator) -> list[str]:
        terms, weights = self._background[kind]
        if k <= 0 or not terms:
            return []
        picked = rng.choice(len(terms), size=min(len(terms), 4 * k + 4), replace=False, p=weights / weights.sum())
        return [terms[i] for i in picked if terms[i] not in avoid][:k]

    def generate(self) -> list[SynthPatient]:
        return [self.patient(i) for i in range(self.config.n)]


def phenopacket_of(patient: SynthPatient, config: SynthConfig, vcf_name: str, disease_name: str | None) -> dict:
    """A Phenopacket v2 document for one synthetic patient."""
    features = [{"type": {"id": t}} for t in patient.observed] + [
        {"type": {"id": t}, "excluded": True} for t in patient.excluded
    ]
    disease = {"id": patient.disease, **({"label": disease_name} if disease_name else {})}
    return {
        "id": patient.id,
        "subject": {
            "id": patient.id,
            "sex": patient.sex,
            "timeAtLastEncounter": {"age": {"iso8601duration": f"P{patient.age}Y"}},
        },
        "phenotypicFeatures": features,
        "diseases": [{"term": disease}],
        **_tumour_parts(patient, disease),
        "files": [
            {
                "uri": vcf_name,
                "individualToFileIdentifiers": {patient.id: patient.id},
                "fileAttributes": {"genomeAssembly": "GRCh38", "fileFormat": "vcf"},
            }
        ],
        "metaData": {
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "createdBy": f"pmkg cohort synth {__version__}",
            "phenopacketSchemaVersion": "2.0",
            "resources": [
                _resource("hp", "human phenotype ontology", "HP", "http://purl.obolibrary.org/obo/HP_"),
                _resource("doid", "Human Disease Ontology", "DOID", "http://purl.obolibrary.org/obo/DOID_"),
                _resource("mesh", "Medical Subject Headings", "MESH", "http://id.nlm.nih.gov/mesh/"),
            ],
            "externalReferences": [
                {
                    "id": SYNTHETIC_REFERENCE,
                    "description": f"synthetic: true; pmkg cohort synth, seed {config.seed}; not a real person",
                }
            ],
        },
    }


def _tumour_parts(patient: SynthPatient, disease: dict) -> dict:
    """The tumour biosample and its variant interpretations (``hgvs.p``) of a tumour patient; nothing otherwise."""
    if not patient.somatic:
        return {}
    sample = f"{patient.id}-tumour"
    genomic = [
        {
            "subjectOrBiosampleId": sample,
            "interpretationStatus": "CONTRIBUTORY",
            "variantInterpretation": {
                "variationDescriptor": {
                    "id": f"{patient.id}-somatic-{i}",
                    "geneContext": {"symbol": gene},
                    "expressions": [{"syntax": "hgvs.p", "value": f"{gene}:p.{protein}"}],
                }
            },
        }
        for i, (gene, protein) in enumerate(patient.somatic)
    ]
    return {
        "biosamples": [
            {
                "id": sample,
                "individualId": patient.id,
                "tumorProgression": {"id": "NCIT:C84509", "label": "Primary Malignant Neoplasm"},
                "histologicalDiagnosis": disease,
            }
        ],
        "interpretations": [
            {
                "id": f"{patient.id}-tumour-profile",
                "progressStatus": "SOLVED",
                "diagnosis": {"disease": disease, "genomicInterpretations": genomic},
            }
        ],
    }


def _resource(rid: str, name: str, prefix: str, iri: str) -> dict:
    return {"id": rid, "name": name, "namespacePrefix": prefix, "iriPrefix": iri, "url": iri, "version": "pmkg"}


def vcf_rows(patients: list[SynthPatient], definitions: dict[str, AlleleDefinitions]):
    """(chrom, pos, id, ref, alts, GTs) for every defining position of the patients' genes, sorted."""
    rows = []
    seen: set[tuple[str, int]] = set()
    for gene, table in definitions.items():
        if not any(gene in p.haplotypes for p in patients):
            continue
        by_name = {a.name: a for a in table.alleles}
        for index, position in enumerate(table.positions):
            if position.key in seen:
                continue
            seen.add(position.key)
            alleles = [position.ref, *position.alts]
            gts = []
            for patient in patients:
                pair = patient.haplotypes.get(gene)
                if pair is None:
                    gts.append("./.")
                    continue
                calls = []
                for name in pair:
                    allele = _concrete(table.expected(by_name[name], index))
                    if allele not in alleles:
                        alleles.append(allele)
                    calls.append(str(alleles.index(allele)))
                gts.append("/".join(calls))
            rows.append((position.chrom, position.pos, position.rsid or ".", position.ref, tuple(alleles[1:]), gts))
    rows.sort(key=lambda r: (_chrom_order(r[0]), r[1]))
    return rows


def _concrete(allele: str) -> str:
    return sorted(IUPAC[allele])[0] if len(allele) == 1 and allele in IUPAC else allele


def _chrom_order(chrom: str) -> tuple[int, str]:
    bare = chrom.removeprefix("chr")
    return (int(bare), "") if bare.isdigit() else (100, bare)


@dataclass
class CohortFiles:
    out_dir: Path
    phenopackets: Path
    vcf: Path
    truth: Path
    manifest: Path
    patients: int


def write_cohort(generator: CohortGenerator, out_dir: Path, progress: bool = True) -> CohortFiles:
    """Generate ``config.n`` patients and write phenopackets, the VCF, the truth table and the manifest."""
    from tqdm import tqdm

    config = generator.config
    packets_dir = out_dir / "phenopackets"
    packets_dir.mkdir(parents=True, exist_ok=True)
    vcf_path = out_dir / "cohort.vcf.gz"
    patients = []
    for index in tqdm(range(config.n), desc="synthesising", unit="patient", disable=None if progress else True):
        patient = generator.patient(index)
        patients.append(patient)
        document = phenopacket_of(patient, config, vcf_path.name, generator.source.disease_names.get(patient.disease))
        (packets_dir / f"{patient.id}.json").write_text(json.dumps(document, indent=1))
    text = format_vcf([p.id for p in patients], vcf_rows(patients, generator.definitions), source="pmkg cohort synth")
    header, _, body = text.partition("\n")
    with gzip.open(vcf_path, "wt", encoding="utf-8") as fh:
        fh.write(header + "\n" + SYNTHETIC_VCF_HEADER + "\n" + body)
    truth = out_dir / "truth.tsv"
    tumours = config.tumour_fraction > 0  # the tumour column is last, so the genes' columns keep their places
    with open(truth, "w") as fh:
        genes = sorted(generator.definitions)
        fh.write("\t".join(["patient", "disease", *genes, *(["tumour_profile"] if tumours else [])]) + "\n")
        for p in patients:
            pairs = ["/".join(sorted(p.haplotypes[g], key=allele_sort_key)) for g in genes]
            extra = [p.tumour_profile or ""] if tumours else []
            fh.write("\t".join([p.id, p.disease, *pairs, *extra]) + "\n")
    manifest = out_dir / "cohort.json"
    manifest.write_text(
        json.dumps(
            {
                "synthetic": True,
                "generator": f"pmkg cohort synth {__version__}",
                "config": asdict(config),
                "patients": len(patients),
                "diseases": len(generator.diseases),
                "diseases_with_hpo_annotations": sum(
                    1 for d in generator.diseases if generator.source.phenotypes.get(d)
                ),
                "allele_frequencies": generator.frequencies,
                "population": generator.frequency_table.population,
                "frequency_source": generator.frequency_table.path,
                "population_note": generator.frequency_table.note,
            },
            indent=1,
        )
    )
    return CohortFiles(out_dir, packets_dir, vcf_path, truth, manifest, len(patients))
