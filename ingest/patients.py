"""Patients from Phenopacket v2 JSON and VCF files -> Patient nodes and their edges (records only, no database).

What one run reads and makes:

* every ``*.json`` under the given paths is a phenopacket (:mod:`ingest.phenopackets`), every ``*.vcf`` /
  ``*.vcf.gz`` a genotype file (:mod:`ingest.vcf`). A file that fails validation is reported with its name and
  field and skipped; the other files still load.
* One ``Patient`` per phenopacket, and per VCF sample. A VCF sample is the same patient as the phenopacket whose
  ``id`` (or whose ``files[].individualToFileIdentifiers``) names it; otherwise it is a genotype-only patient.
* The patient id is a pseudonym, ``PMKG.PATIENT:`` + the first 20 hex digits of HMAC-SHA256(key, original id)
  (:class:`Pseudonymiser`). The original id, names and file names are not stored. The same key gives the same
  pseudonym, so re-ingesting a patient updates it instead of duplicating it.
* ``HAS_PHENOTYPE`` (``excluded``, ``onset``) to ``Phenotype`` (HP terms) or ``Symptom`` (MeSH terms, used by
  synthetic patients of diseases without HPO annotations); ``HAS_DIAGNOSIS`` (``excluded``, ``origin``) to
  ``Disease``, ids resolved through :class:`ingest.xrefs.Resolver` (OMIM/Orphanet/MONDO -> DOID; what does not
  reach a DOID is counted as unresolved); ``CARRIES {zygosity, genotype, origin}`` to ``Variant`` (dbSNP id
  where known, else ``PMKG.VARIANT:GRCh38-chr10-94781859-G-A``), with ``IN_GENE`` for the variant;
  ``HAS_DIPLOTYPE`` to the pharmacogene (diplotype, phenotype, activity score, candidates, missing positions);
  ``HAS_PGX_RECOMMENDATION`` to each drug with an actionable CPIC/DPWG recommendation (text, classification,
  action, guideline source and id), see :mod:`ingest.pgx`.
* From a VCF, ``CARRIES`` is made for non-reference calls at pharmacogene defining positions (and, with
  ``all_variants``, for every non-reference call).
* Every record's provenance is ``source: pmkg-patients``; synthetic patients (``pmkg cohort synth``) carry
  ``synthetic: true``. Real and synthetic patients are never ingested in one run.

Logging and errors name patients by pseudonym only, files by path, never phenotypes, variants or names.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.ingest.base import IngestResult, SourceInfo
from pmkg.ingest.phenopackets import Phenopacket, PhenopacketError, read_phenopacket
from pmkg.ingest.tumour import TumourInputError
from pmkg.ingest.vcf import Genotype, VcfError, VcfFile, VcfRecord, read_vcf
from pmkg.ingest.xrefs import Resolver, normalise_curie
from pmkg.kg.records import EdgeRecord, NodeRecord

from pmkg import __version__

log = logging.getLogger(__name__)

SOURCE_NAME = "pmkg-patients"
PATIENT_PREFIX = "PMKG.PATIENT"
DEFAULT_LICENSE = "patient data: restricted, use only as the data provider's consent and agreements allow"
SYNTHETIC_LICENSE = "synthetic (pmkg cohort synth): CC0 1.0"
SYNTHETIC_VCF_HEADER = "##pmkg_synthetic=true"
ASSEMBLIES = {"hg38": "GRCh38", "grch38": "GRCh38", "hg19": "GRCh37", "grch37": "GRCh37", "b37": "GRCh37"}


class PatientIngestError(ValueError):
    """The run as a whole cannot proceed (e.g. real and synthetic patients mixed); nothing was written."""


class Pseudonymiser:
    """Original patient id -> ``PMKG.PATIENT:<hex>`` with a secret key (HMAC-SHA256), stable across runs."""

    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("the pseudonymisation key must be at least 16 bytes")
        self._key = key

    @classmethod
    def from_key_file(cls, path: Path) -> Pseudonymiser:
        """Read the key at ``path``, creating a random one (mode 0600) on first use."""
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        return cls(bytes.fromhex(path.read_text().strip()))

    def pseudonym(self, original_id: str) -> str:
        digest = hmac.new(self._key, original_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{PATIENT_PREFIX}:{digest[:20]}"


@dataclass
class PatientSummary:
    """What was made for one patient, by pseudonym (safe to log and report)."""

    id: str
    synthetic: bool
    phenotypes: int = 0
    excluded_phenotypes: int = 0
    diagnoses: int = 0
    variants: int = 0
    diplotypes: int = 0
    recommendations: int = 0
    contraindicated: int = 0
    tumour_variants: int = 0  # tumour variants matched to CIViC variants
    tumour_unmatched: int = 0  # tumour variants that match no CIViC variant (counted, not stored)
    biomarker_profiles: int = 0  # CIViC molecular profiles the tumour has


@dataclass
class PatientIngest:
    """Records to write plus the accounting: per-file errors, unresolved ids, per-patient summaries."""

    result: IngestResult
    patients: list[PatientSummary] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)  # 'file: field ...: problem'
    files_read: int = 0
    tumours: dict = field(default_factory=dict)  # pseudonym -> ingest.tumour.TumourMatch (CIViC matches)

    @property
    def synthetic(self) -> bool | None:
        kinds = {p.synthetic for p in self.patients}
        return kinds.pop() if len(kinds) == 1 else None


@dataclass
class PatientIngestOptions:
    absent_as_reference: bool = False  # VCF: a defining position with no record counts as homozygous reference
    all_variants: bool = False  # VCF: CARRIES for every non-reference call, not only at pharmacogene positions
    license: str = DEFAULT_LICENSE


def patient_files(paths: Iterable[Path]) -> tuple[list[Path], list[Path], list[str]]:
    """(phenopacket files, VCF files, problems) under ``paths`` (files or folders, searched recursively)."""
    packets, vcfs, problems = [], [], []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            found = [path]
        else:
            problems.append(f"{path}: no such file or folder")
            continue
        for file in found:
            name = file.name.lower()
            if name.endswith(".json"):
                packets.append(file)
            elif name.endswith((".vcf", ".vcf.gz", ".vcf.bgz")):
                vcfs.append(file)
            elif path.is_file():
                problems.append(f"{file}: neither a phenopacket (.json) nor a VCF (.vcf, .vcf.gz); not read")
    return packets, vcfs, problems


def variant_id(chrom: str, pos: int, ref: str, alt: str, rsid: str | None, assembly: str | None = "GRCh38") -> str:
    """``dbSNP:rs…`` when an rs id is known, else ``PMKG.VARIANT:GRCh38-chr10-94781859-G-A``."""
    if rsid:
        return f"dbSNP:{rsid}"
    build = ASSEMBLIES.get((assembly or "GRCh38").lower(), assembly or "GRCh38")
    chrom = chrom if chrom.startswith("chr") else f"chr{chrom}"
    return f"PMKG.VARIANT:{build}-{chrom}-{pos}-{ref}-{alt}"


class PatientRecordBuilder:
    """Turns parsed phenopackets and VCF samples into records; one instance per ingest run."""

    def __init__(
        self,
        resolver: Resolver,
        pseudonymiser: Pseudonymiser,
        pgx=None,  # ingest.pgx.PgxKnowledge, or None when no VCF is read
        gene_ids: dict[str, str] | None = None,
        options: PatientIngestOptions | None = None,
        synthetic: bool = False,
        civic=None,  # ingest.civic.CivicKnowledge: match tumour variants to CIViC (CARRIES -> CIVIC.VID)
    ):
        self.resolver = resolver
        self.civic = civic
        self.tumours: dict = {}  # pseudonym -> ingest.tumour.TumourMatch
        self.pseudonymiser = pseudonymiser
        self.pgx = pgx
        self.gene_ids = dict(gene_ids or {})
        self.options = options or PatientIngestOptions()
        self.synthetic = synthetic
        license_ = SYNTHETIC_LICENSE if synthetic else self.options.license
        self.result = IngestResult(SourceInfo(SOURCE_NAME, __version__, license_, "local files"))
        self.prov = self.result.source.provenance.as_props()
        self._variants: set[str] = set()
        self._pgx_positions: dict[tuple[str, int], tuple[str, str | None]] = {}  # -> (gene, rsid)
        if pgx is not None:
            for gene, definitions in pgx.definitions.items():
                for position in definitions.positions:
                    self._pgx_positions[position.key] = (gene, position.rsid)

    # ---- ids ---------------------------------------------------------------------------------------------

    def gene(self, symbol: str | None, curie: str | None = None) -> str | None:
        if curie and (found := self.resolver.gene(curie)):
            return found
        if symbol:
            return self.gene_ids.get(symbol) or self.resolver.gene_by_symbol(symbol)
        return None

    def disease(self, curie: str) -> str:
        """Canonical disease id; an id that reaches no DOID is kept (as MONDO or its own) and counted."""
        resolved = self.resolver.disease(curie)
        if resolved and resolved.startswith("DOID:"):
            return resolved
        kind = (normalise_curie(curie) or curie).split(":")[0]
        self.result.note_unresolved(f"disease {kind} (no DOID)", curie)
        return resolved or normalise_curie(curie) or curie

    def wants_position(self, chrom: str, pos: int) -> bool:
        return self.options.all_variants or (chrom, pos) in self._pgx_positions

    # ---- one patient -------------------------------------------------------------------------------------

    def add_patient(
        self,
        original_id: str,
        packet: Phenopacket | None,
        genotypes: list[tuple[VcfRecord, Genotype]] | None,
        tumour_vcf=None,  # ingest.tumour.TumourVcf
    ) -> PatientSummary:
        """Records for one patient. Raises ``ingest.tumour.TumourInputError`` (nothing recorded) for a tumour
        variant in a gene nobody knows."""
        pid = self.pseudonymiser.pseudonym(original_id)
        summary = PatientSummary(pid, self.synthetic)
        tumour = self._match_tumour(packet, tumour_vcf)
        props = {
            **self.prov,
            "synthetic": self.synthetic,
            "has_phenopacket": packet is not None,
            "has_genotypes": genotypes is not None,
        }
        if packet is not None:
            props.update(sex=packet.sex, age_years=packet.age_years, phenopacket_schema=packet.schema_version)
            self._phenotypes(pid, packet, summary)
            self._diagnoses(pid, packet, summary)
            self._packet_variants(pid, packet, summary)
            props["treatments"] = self._treatments(packet)
        if genotypes is not None:
            self._vcf_variants(pid, genotypes, summary)
            if self.pgx is not None:
                profile = self.pgx.profile_from_records(genotypes, self.options.absent_as_reference)
                self._pgx(pid, profile, summary)
                props["pgx_genes_called"] = sorted(g for g, c in profile.calls.items() if c.called)
        if tumour is not None:
            self._tumour(pid, tumour, summary)
            props["tumour_variants_unmatched"] = summary.tumour_unmatched
        self.result.nodes.append(NodeRecord("Patient", pid, props))
        self.result.rows_read["patients"] += 1
        return summary

    def _match_tumour(self, packet: Phenopacket | None, tumour_vcf):
        from pmkg.ingest.tumour import match_variants, variants_of_packet

        variants = (variants_of_packet(packet) if packet is not None else []) + list(
            tumour_vcf.variants if tumour_vcf is not None else []
        )
        if self.civic is None or not variants:
            return None
        return match_variants(variants, self.civic, self.resolver)

    def _tumour(self, pid: str, match, summary: PatientSummary) -> None:
        """``CARRIES`` to each CIViC variant the tumour matched (``matched_by``, ``variant_origin``)."""
        self.tumours[pid] = match
        carried: set[int] = set()
        for found in match.matches:
            for civic_id in found.civic_ids:
                if civic_id in carried:
                    continue
                carried.add(civic_id)
                vid = f"CIVIC.VID:{civic_id}"
                if vid not in self._variants:
                    self._variants.add(vid)
                    self.result.nodes.append(NodeRecord("Variant", vid, dict(self.prov)))
                    gene = self.civic.variant_gene(self.civic.release.variants[civic_id])
                    if gene:
                        self.result.edges.append(EdgeRecord("IN_GENE", "Variant", vid, "Gene", gene, dict(self.prov)))
                somatic = found.variant.somatic
                props = {
                    **self.prov,
                    "origin": found.variant.source,
                    "variant_origin": "somatic" if somatic else "germline" if somatic is False else "unknown",
                    "matched_by": found.matched_by,
                    "civic_release": self.civic.version,
                }
                self.result.edges.append(EdgeRecord("CARRIES", "Patient", pid, "Variant", vid, props))
        summary.tumour_variants = len(carried)
        summary.tumour_unmatched = sum(match.unmatched.values())
        summary.biomarker_profiles = len(match.profiles)
        for reason, count in match.unmatched.items():
            self.result.skipped[f"tumour variant: {reason}"] += count

    def _phenotypes(self, pid: str, packet: Phenopacket, summary: PatientSummary) -> None:
        for feature in packet.features:
            prefix = feature.id.split(":")[0].upper()
            label = {"HP": "Phenotype", "MESH": "Symptom"}.get(prefix)
            if label is None:
                self.result.note_unresolved(f"phenotype {prefix} (not HP or MESH)", feature.id)
                continue
            term = "HP:" + feature.id.split(":", 1)[1] if label == "Phenotype" else normalise_curie(feature.id)
            props = {**self.prov, "excluded": feature.excluded, "onset": feature.onset}
            self.result.edges.append(EdgeRecord("HAS_PHENOTYPE", "Patient", pid, label, term, props))
            if feature.excluded:
                summary.excluded_phenotypes += 1
            else:
                summary.phenotypes += 1

    def _diagnoses(self, pid: str, packet: Phenopacket, summary: PatientSummary) -> None:
        seen: dict[str, dict] = {}
        resolved: dict[str, str] = {}
        for disease in packet.diseases:
            if disease.id not in resolved:  # one patient's diseases[] and interpretation often repeat an id
                resolved[disease.id] = self.disease(disease.id)
            canonical = resolved[disease.id]
            props = seen.setdefault(canonical, {**self.prov, "excluded": disease.excluded, "origin": []})
            props["excluded"] = props["excluded"] and disease.excluded
            props["origin"].append(disease.source)
            if disease.status:
                props["interpretation_status"] = disease.status
            props["xrefs"] = sorted({*props.get("xrefs", []), disease.id})
        for canonical, props in seen.items():
            props["origin"] = sorted(set(props["origin"]))
            self.result.edges.append(EdgeRecord("HAS_DIAGNOSIS", "Patient", pid, "Disease", canonical, props))
            summary.diagnoses += 0 if props["excluded"] else 1

    def _packet_variants(self, pid: str, packet: Phenopacket, summary: PatientSummary) -> None:
        for variant in packet.variants:
            positional = None not in (variant.chrom, variant.pos, variant.ref, variant.alt)
            if not positional and not variant.rsid:
                self.result.skipped["phenopacket variant without a VCF record or rs id"] += 1
                continue
            gene = self.gene(variant.gene_symbol, variant.gene_id)
            if gene is None and (variant.gene_symbol or variant.gene_id):
                self.result.note_unresolved("variant gene", variant.gene_id or variant.gene_symbol or "")
            vid = self._variant_node(
                variant.chrom, variant.pos, variant.ref, variant.alt, variant.rsid, variant.assembly, gene
            )
            props = {
                **self.prov,
                "zygosity": variant.zygosity,
                "acmg": variant.acmg,
                "interpretation_status": variant.interpretation_status,
                "origin": "phenopacket",
            }
            self.result.edges.append(EdgeRecord("CARRIES", "Patient", pid, "Variant", vid, props))
            summary.variants += 1

    def _vcf_variants(self, pid: str, genotypes: list[tuple[VcfRecord, Genotype]], summary: PatientSummary) -> None:
        for record, genotype in genotypes:
            if genotype.missing or not self.wants_position(record.chrom, record.pos):
                continue
            carried = [a for a in dict.fromkeys(genotype.alleles) if a is not None and a != record.ref]
            gene_symbol, rsid = self._pgx_positions.get((record.chrom, record.pos), (None, None))
            rs_from_id = next((i for i in record.ids if i.startswith("rs")), None)
            for alt in carried:
                copies = sum(a == alt for a in genotype.alleles)
                zygosity = "hemizygous" if genotype.ploidy == 1 else "homozygous" if copies == 2 else "heterozygous"
                # An rs id names a position; with several ALTs only the first keeps it, the others are positional.
                rs = (rs_from_id or rsid) if alt == record.alts[0] else None
                gene = self.gene(gene_symbol) if gene_symbol else None
                vid = self._variant_node(record.chrom, record.pos, record.ref, alt, rs, "GRCh38", gene)
                gt = ("|" if genotype.phased else "/").join(
                    "." if a is None else str(record.alleles.index(a)) for a in genotype.alleles
                )
                props = {**self.prov, "zygosity": zygosity, "genotype": gt, "origin": "vcf"}
                self.result.edges.append(EdgeRecord("CARRIES", "Patient", pid, "Variant", vid, props))
                summary.variants += 1

    def _variant_node(
        self,
        chrom: str | None,
        pos: int | None,
        ref: str | None,
        alt: str | None,
        rsid: str | None,
        assembly: str | None,
        gene: str | None,
    ) -> str:
        vid = variant_id(chrom or "", pos or 0, ref or "", alt or "", rsid, assembly)
        if vid not in self._variants:
            self._variants.add(vid)
            props = {**self.prov, "chrom": chrom, "pos": pos, "ref": ref, "alt": alt}
            props["assembly"] = ASSEMBLIES.get((assembly or "").lower(), assembly)
            self.result.nodes.append(NodeRecord("Variant", vid, props))
            if gene:
                self.result.edges.append(EdgeRecord("IN_GENE", "Variant", vid, "Gene", gene, dict(self.prov)))
        return vid

    def _treatments(self, packet: Phenopacket) -> list[str]:
        drugs = []
        for treatment in packet.treatments:
            drug = self.resolver.drug(treatment.agent_id)
            if drug is None:
                self.result.note_unresolved("treatment agent", treatment.agent_id)
            else:
                drugs.append(drug)
        return sorted(set(drugs))

    def _pgx(self, pid: str, profile, summary: PatientSummary) -> None:
        from pmkg.ingest.pgx import ACTIONABLE, BODIES

        for gene, call in profile.calls.items():
            gene_id = self.gene(gene)
            if gene_id is None:
                self.result.note_unresolved("pharmacogene symbol", gene)
                continue
            if not call.called and len(call.missing_positions) == len(self.pgx.definitions[gene].positions):
                continue  # the gene was not genotyped at all: no edge, rather than a "not called" one
            props = {
                **self.prov,
                "gene_symbol": gene,
                "diplotype": call.diplotype,
                "candidates": [d.name for d in call.diplotypes[:10]],
                "ambiguous": call.ambiguous,
                "phased": call.phased,
                "missing_positions": len(call.missing_positions),
                "untestable_alleles": call.untestable_alleles,
                "no_call_reason": call.reason,
                "allele_definitions": self.pgx.version,
            }
            for body in BODIES:
                phenotype = profile.phenotypes.get(body, {}).get(gene)
                if phenotype is not None:
                    prefix = body.lower()
                    props[f"{prefix}_phenotype"] = phenotype.phenotype
                    props[f"{prefix}_lookup_key"] = phenotype.lookup_key
                    props[f"{prefix}_activity_score"] = phenotype.activity_score
            props["phenotype"] = props.get("cpic_phenotype") or props.get("dpwg_phenotype")
            self.result.edges.append(EdgeRecord("HAS_DIPLOTYPE", "Patient", pid, "Gene", gene_id, props))
            summary.diplotypes += 1
        by_drug: dict[str, dict[str, object]] = {}
        for body in BODIES:
            for drug, rec in profile.flags(body).items():
                if rec.action not in ACTIONABLE:
                    continue
                props = by_drug.setdefault(drug, {**self.prov})
                prefix = body.lower()
                props[f"{prefix}_action"] = rec.action
                props[f"{prefix}_classification"] = rec.classification
                props[f"{prefix}_text"] = rec.text
                props[f"{prefix}_guideline_id"] = rec.guideline_id
                props[f"{prefix}_recommendation_id"] = rec.recommendation_id
                props[f"{prefix}_lookup"] = [f"{gene}: {key}" for gene, key in rec.lookup]
                if "action" not in props or rec.severity < _severity(str(props["action"])):
                    props.update(
                        action=rec.action,
                        classification=rec.classification,
                        text=rec.text,
                        guideline_source=rec.guideline_source,
                        guideline_id=rec.guideline_id,
                        drug_name=rec.drug_name,
                    )
        for drug, props in by_drug.items():
            props["contraindicated_by_cpic"] = props.get("cpic_action") in ("avoid", "use alternative")
            self.result.edges.append(EdgeRecord("HAS_PGX_RECOMMENDATION", "Patient", pid, "Drug", drug, props))
            summary.recommendations += 1
            summary.contraindicated += bool(props["contraindicated_by_cpic"])


def _severity(action: str) -> int:
    from pmkg.ingest.pgx import ACTION_SEVERITY

    return ACTION_SEVERITY.index(action) if action in ACTION_SEVERITY else len(ACTION_SEVERITY)


def build_patients(
    paths: Iterable[Path],
    resolver: Resolver,
    pseudonymiser: Pseudonymiser,
    data_dir: Path | None = None,
    options: PatientIngestOptions | None = None,
    pgx=None,
    progress: bool = False,
    civic=None,
) -> PatientIngest:
    """Read every phenopacket and VCF under ``paths`` and build the records (see the module docstring).

    ``data_dir`` (the folder holding ``cpic/``) is needed for VCFs: star-allele calling and recommendations.
    With ``civic`` (:func:`ingest.civic.load_knowledge`), phenopacket variant interpretations are matched to CIViC's
    variants (:mod:`ingest.tumour`); a patient with a tumour variant in an unknown gene is a file error.
    Raises :class:`PatientIngestError` when the run mixes real and synthetic patients, or has VCFs but no
    ``cpic/`` data.
    """
    from tqdm import tqdm

    options = options or PatientIngestOptions()
    packet_paths, vcf_paths, problems = patient_files(paths)
    errors = list(problems)
    packets: list[Phenopacket] = []
    for path in tqdm(packet_paths, desc="reading phenopackets", unit="file", disable=None if progress else True):
        try:
            packets.append(read_phenopacket(path))
        except PhenopacketError as exc:
            errors.append(str(exc))
    if vcf_paths and pgx is None:
        if data_dir is None:
            raise PatientIngestError(
                "VCF files need the PharmCAT allele definitions and CPIC tables: pass --data-dir, the folder "
                "that holds cpic/"
            )
        from pmkg.ingest.pgx import PgxKnowledge

        pgx = PgxKnowledge.load(data_dir, resolver)
    gene_ids: dict[str, str] = {}
    if pgx is not None and data_dir is not None:
        from pmkg.ingest.cpic import pharmacogene_ids

        gene_ids = pharmacogene_ids(data_dir, resolver)
    vcfs: list[tuple[VcfFile, bool]] = []
    keep_position = None
    if pgx is not None and not options.all_variants:
        wanted = {p.key for d in pgx.definitions.values() for p in d.positions}

        def keep_position(chrom: str, pos: int) -> bool:
            return (chrom, pos) in wanted

    for path in vcf_paths:
        try:
            vcf = read_vcf(path, keep_position)
            vcfs.append((vcf, SYNTHETIC_VCF_HEADER in vcf.meta))
        except VcfError as exc:
            errors.append(str(exc))

    kinds = {p.synthetic for p in packets} | {synthetic for _, synthetic in vcfs}
    if len(kinds) > 1:
        raise PatientIngestError(
            "these files mix synthetic (pmkg cohort synth) and real patients; ingest them in separate runs "
            "(synthetic patients never share a run, an export or a cohort with real ones)"
        )
    synthetic = kinds.pop() if kinds else False
    builder = PatientRecordBuilder(resolver, pseudonymiser, pgx, gene_ids, options, synthetic, civic)
    ingest = PatientIngest(
        builder.result, file_errors=errors, files_read=len(packet_paths) + len(vcf_paths), tumours=builder.tumours
    )
    for message in errors:
        builder.result.warn("patients", message)
        builder.result.skipped["unreadable or invalid file"] += 1

    by_sample: dict[str, tuple[VcfFile, int]] = {}
    for vcf, _ in vcfs:
        for index, sample in enumerate(vcf.samples):
            if sample in by_sample:
                builder.result.warn(vcf.path, f"sample {index + 1} also appears in {by_sample[sample][0].path}; kept")
                builder.result.skipped["duplicate VCF sample"] += 1
                continue
            by_sample[sample] = (vcf, index)
    used: set[str] = set()
    ids_seen: set[str] = set()
    total = len(packets) + len(by_sample)
    bar = tqdm(total=total, desc="building patients", unit="patient", disable=None if progress else True)
    for packet in packets:
        if packet.id in ids_seen:
            builder.result.warn(packet.path, "a second phenopacket with the same id; skipped")
            builder.result.skipped["duplicate phenopacket id"] += 1
            continue
        ids_seen.add(packet.id)
        sample = next((s for s in (*packet.vcf_samples, packet.id) if s in by_sample), None)
        genotypes = None
        if sample is not None:
            vcf, index = by_sample[sample]
            used.add(sample)
            genotypes = [(record, record.genotype(index)) for record in vcf.records]
        try:
            ingest.patients.append(builder.add_patient(packet.id, packet, genotypes))
        except TumourInputError as exc:
            message = f"{packet.path}: {exc}"
            ingest.file_errors.append(message)
            builder.result.warn("patients", message)
            builder.result.skipped["unreadable or invalid file"] += 1
        bar.update()
    for sample, (vcf, index) in by_sample.items():
        if sample in used:
            continue
        if sample in ids_seen:
            # Its name is a phenopacket's id, but that phenopacket named another sample: two people, one id.
            builder.result.warn(
                vcf.path, f"sample {index + 1} has the id of a phenopacket that names another sample; skipped"
            )
            builder.result.skipped["VCF sample named like another patient's phenopacket"] += 1
            continue
        genotypes = [(record, record.genotype(index)) for record in vcf.records]
        ingest.patients.append(builder.add_patient(sample, None, genotypes))
        bar.update()
    bar.close()
    counts = Counter(p.synthetic for p in ingest.patients)
    log.info("patients: %d built (%d synthetic); %d files with errors", len(ingest.patients), counts[True], len(errors))
    return ingest
