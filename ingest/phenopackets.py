"""GA4GH Phenopacket v2 JSON: validation against the schema, then the parts pmkg uses.

Validation has two layers, and a file that fails either is rejected with a :class:`PhenopacketError` that names
the file and the field (``phenotypicFeatures[1].type``) but never a field's value, so that an error message
cannot leak clinical content:

1. **Schema.** The JSON is parsed into the official ``org.phenopackets.schema.v2.Phenopacket`` protobuf message
   (PyPI ``phenopackets``): unknown fields, wrong types and invalid enum values are errors, as in every
   Phenopacket v2 implementation.
2. **What pmkg needs.** ``id`` is set; ``metaData.phenopacketSchemaVersion`` starts with ``2``; every ontology
   class pmkg reads (phenotypic feature ``type``, disease ``term``, treatment ``agent``) has a CURIE id; every
   ``vcfRecord`` has ``chrom``, ``pos``, ``ref`` and ``alt``.

Read parts (:class:`Phenopacket`): subject (sex, age at last encounter), phenotypic features (with
``excluded``), diseases (with ``excluded``), interpretations (the diagnosis disease and each genomic
interpretation's variant: VCF record, gene, zygosity from ``allelicState``, ACMG class, HGVS ``expressions``
checked by :func:`ingest.hgvs.parse_expression`, somatic when ``subjectOrBiosampleId`` names a tumour biosample),
tumour biosamples (their ``histologicalDiagnosis`` is a diagnosis too), medical actions (treatment agents) and
``files[].individualToFileIdentifiers`` (which VCF sample is this individual).

A phenopacket made by ``pmkg cohort synth`` carries the external reference :data:`SYNTHETIC_REFERENCE`
(``metaData.externalReferences``), which is how ingest knows to mark the patient ``synthetic: true``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SYNTHETIC_REFERENCE = "pmkg:synthetic-cohort"
# GENO allelic states -> the zygosity pmkg stores on CARRIES.
ZYGOSITY = {
    "GENO:0000135": "heterozygous",
    "GENO:0000136": "homozygous",
    "GENO:0000134": "hemizygous",
    "GENO:0000137": "unspecified",
    "GENO:0000402": "compound heterozygous",
}
_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*:\S+$")
_ISO_YEARS = re.compile(r"^P(?:(\d+)Y)?")


class PhenopacketError(ValueError):
    """A phenopacket that cannot be used; the message names the file and field, never a value."""


@dataclass(frozen=True)
class Feature:
    id: str  # an HPO CURIE for real phenopackets
    excluded: bool
    onset: str | None  # onset ontology class id, when given


@dataclass(frozen=True)
class DiseaseTerm:
    id: str  # OMIM:, MONDO:, ORPHA:, DOID: ...
    excluded: bool
    source: str  # 'diseases', 'interpretation' or 'biosample' (a tumour biosample's histologicalDiagnosis)
    status: str | None = None  # interpretation progressStatus (SOLVED, ...)


@dataclass(frozen=True)
class PacketVariant:
    gene_symbol: str | None
    gene_id: str | None  # HGNC:... from geneContext.valueId
    assembly: str | None
    chrom: str | None
    pos: int | None
    ref: str | None
    alt: str | None
    rsid: str | None  # from the VCF record's id or a dbSNP expression, when present
    zygosity: str | None
    acmg: str | None
    interpretation_status: str | None
    # For matching a tumour to CIViC (ingest.tumour): the checked HGVS expressions, their protein changes, whether
    # subjectOrBiosampleId names a tumour biosample (None: not stated), and the field the variant came from.
    hgvs: tuple[str, ...] = ()
    proteins: tuple[str, ...] = ()
    somatic: bool | None = None
    where: str = ""


@dataclass(frozen=True)
class Treatment:
    agent_id: str
    response: str | None  # responseToTreatment id, if given
    status: str | None  # treatmentTermination / target are ignored; this is the regimen status if given


@dataclass
class Phenopacket:
    id: str
    subject_id: str | None
    sex: str | None
    age_years: int | None
    features: list[Feature] = field(default_factory=list)
    diseases: list[DiseaseTerm] = field(default_factory=list)
    variants: list[PacketVariant] = field(default_factory=list)
    treatments: list[Treatment] = field(default_factory=list)
    vcf_samples: list[str] = field(default_factory=list)  # sample names this individual has in VCF files
    tumour_samples: list[str] = field(default_factory=list)  # ids of biosamples that are tumour samples
    tumour_diagnoses: list[str] = field(default_factory=list)  # tumour biosamples' histologicalDiagnosis ids
    synthetic: bool = False
    schema_version: str = "2"
    path: str = ""


def read_phenopacket(path: Path) -> Phenopacket:
    """Read and validate one Phenopacket v2 JSON file (see the module docstring)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PhenopacketError(f"{path}: cannot be read ({type(exc).__name__}); is it a UTF-8 JSON file?") from exc
    return parse_phenopacket(text, str(path))


def parse_phenopacket(text: str | dict, name: str = "<phenopacket>") -> Phenopacket:
    """Validate and read a phenopacket given as JSON text or as an already-decoded dict."""
    if isinstance(text, dict):
        document = text
    else:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PhenopacketError(
                f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                "a phenopacket is one JSON object"
            ) from None
    if not isinstance(document, dict):
        raise PhenopacketError(f"{name}: expected a JSON object (a Phenopacket), found {type(document).__name__}")
    _check_schema(document, name)
    return _read(document, name)


def _check_schema(document: dict, name: str) -> None:
    from google.protobuf.json_format import ParseDict, ParseError
    from phenopackets import Phenopacket as PhenopacketMessage

    try:
        ParseDict(document, PhenopacketMessage())
    except ParseError as exc:
        where, problem = describe_parse_error(str(exc))
        raise PhenopacketError(
            f"{name}: field {where} does not follow the Phenopacket v2 schema ({problem}); "
            "see https://phenopacket-schema.readthedocs.io/ for the field's type"
        ) from None


def describe_parse_error(message: str) -> tuple[str, str]:
    """(field path, problem) from a protobuf ``ParseError``; the offending value is never repeated."""
    chain = re.findall(r"Failed to parse (\w+) field", message)
    located = re.search(r"at \"?Phenopacket\.([\w.\[\]]+?)\"?(?:\.\.|\.?\s|\.?$)", message)
    where = located.group(1) if located else ".".join(chain)
    unknown = re.search(r'has no field named "([^"]+)"', message)
    allowed = re.search(r"Available Fields\(except extensions\): \"(\[[^\]]*\])\"", message)
    enum = re.search(r"for enum type [\w.]*?(\w+) at", message)
    if unknown:
        where = f"{where}.{unknown.group(1)}" if where else unknown.group(1)
        problem = "unknown field" + (f"; allowed here: {allowed.group(1)}" if allowed else "")
    elif enum:
        problem = f"not one of the {enum.group(1)} values"
    elif "Expected true or false" in message:
        problem = "expected true or false (a JSON boolean)"
    elif "int()" in message or "Couldn't parse integer" in message:
        problem = "expected an integer"
    elif re.search(r"repeated field \w+ must be in \[\]", message):
        problem = "expected a list ([...])"
    elif "Expected" in message and "object" in message.lower():
        problem = "expected an object ({...})"
    else:
        problem = "wrong type or value"
    return where or "(top level)", problem


def _curie(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str) or not _CURIE.match(value.strip()):
        raise PhenopacketError(f"{name}: field {where} must be a CURIE such as HP:0001250 (PREFIX:ID)")
    return value.strip()


def _read(document: dict, name: str) -> Phenopacket:
    packet_id = document.get("id")
    if not isinstance(packet_id, str) or not packet_id.strip():
        raise PhenopacketError(f"{name}: field id is required (a unique phenopacket id)")
    meta = document.get("metaData")
    if not isinstance(meta, dict):
        raise PhenopacketError(f"{name}: field metaData is required (with phenopacketSchemaVersion '2.0')")
    version = str(meta.get("phenopacketSchemaVersion") or "")
    if not version.startswith("2"):
        raise PhenopacketError(
            f"{name}: field metaData.phenopacketSchemaVersion must be 2.x; v1 phenopackets need converting first "
            "(e.g. with phenopacket-tools convert)"
        )
    subject = document.get("subject") or {}
    packet = Phenopacket(
        id=packet_id.strip(),
        subject_id=subject.get("id"),
        sex=subject.get("sex"),
        age_years=_age_years(subject),
        schema_version=version,
        path=name,
        synthetic=any(ref.get("id") == SYNTHETIC_REFERENCE for ref in meta.get("externalReferences") or []),
    )
    for i, feature in enumerate(document.get("phenotypicFeatures") or []):
        term = _curie((feature.get("type") or {}).get("id"), f"phenotypicFeatures[{i}].type.id", name)
        onset = ((feature.get("onset") or {}).get("ontologyClass") or {}).get("id")
        packet.features.append(Feature(term, bool(feature.get("excluded", False)), onset))
    for i, disease in enumerate(document.get("diseases") or []):
        term = _curie((disease.get("term") or {}).get("id"), f"diseases[{i}].term.id", name)
        packet.diseases.append(DiseaseTerm(term, bool(disease.get("excluded", False)), "diseases"))
    from pmkg.ingest.tumour import tumour_biosamples

    tumours = tumour_biosamples(document)
    packet.tumour_samples = sorted(tumours)
    for i, sample in enumerate(document.get("biosamples") or []):
        diagnosis = (sample.get("histologicalDiagnosis") or {}) if isinstance(sample, dict) else {}
        if diagnosis and str(sample.get("id")) in tumours:
            term = _curie(diagnosis.get("id"), f"biosamples[{i}].histologicalDiagnosis.id", name)
            packet.tumour_diagnoses.append(term)
            packet.diseases.append(DiseaseTerm(term, False, "biosample"))  # the tumour's histology is a diagnosis
    for i, interpretation in enumerate(document.get("interpretations") or []):
        diagnosis = interpretation.get("diagnosis") or {}
        if diagnosis.get("disease"):
            term = _curie(diagnosis["disease"].get("id"), f"interpretations[{i}].diagnosis.disease.id", name)
            status = interpretation.get("progressStatus")
            packet.diseases.append(DiseaseTerm(term, False, "interpretation", status))
        for j, genomic in enumerate(diagnosis.get("genomicInterpretations") or []):
            where = f"interpretations[{i}].diagnosis.genomicInterpretations[{j}]"
            variant = _variant(genomic, where, name, tumours)
            if variant is not None:
                packet.variants.append(variant)
    for i, action in enumerate(document.get("medicalActions") or []):
        treatment = action.get("treatment")
        if treatment:
            agent = _curie((treatment.get("agent") or {}).get("id"), f"medicalActions[{i}].treatment.agent.id", name)
            response = (action.get("responseToTreatment") or {}).get("id")
            packet.treatments.append(Treatment(agent, response, None))
    for entry in document.get("files") or []:
        for individual, sample in (entry.get("individualToFileIdentifiers") or {}).items():
            if individual in (packet.id, packet.subject_id) and sample:
                packet.vcf_samples.append(str(sample))
    return packet


def _variant(genomic: dict, where: str, name: str, tumours: set[str] = frozenset()) -> PacketVariant | None:
    interpretation = genomic.get("variantInterpretation")
    if not interpretation:
        return None  # a gene-only interpretation (geneDescriptor) carries no variant
    descriptor = interpretation.get("variationDescriptor") or {}
    record = descriptor.get("vcfRecord") or {}
    if record:
        missing = [key for key in ("chrom", "pos", "ref", "alt") if not record.get(key)]
        if missing:
            raise PhenopacketError(
                f"{name}: field {where}.variantInterpretation.variationDescriptor.vcfRecord lacks "
                f"{', '.join(missing)}; a VCF record needs chrom, pos, ref and alt"
            )
    state = descriptor.get("allelicState") or {}
    zygosity = ZYGOSITY.get(state.get("id", "")) or (state.get("label") or None)
    gene = descriptor.get("geneContext") or {}
    rsid = _rsid(record.get("id")) or next(
        (_rsid(e.get("value")) for e in descriptor.get("expressions") or [] if e.get("syntax") == "dbsnp"), None
    )
    from pmkg.ingest.tumour import packet_variant_fields

    try:
        hgvs, proteins = packet_variant_fields(descriptor, f"{where}.variantInterpretation", name)
    except ValueError as exc:
        raise PhenopacketError(str(exc)) from None
    subject = genomic.get("subjectOrBiosampleId")
    return PacketVariant(
        gene_symbol=gene.get("symbol"),
        gene_id=gene.get("valueId"),
        assembly=record.get("genomeAssembly"),
        chrom=record.get("chrom"),
        pos=int(record["pos"]) if record.get("pos") else None,
        ref=record.get("ref"),
        alt=record.get("alt"),
        rsid=rsid,
        zygosity=zygosity,
        acmg=interpretation.get("acmgPathogenicityClassification"),
        interpretation_status=genomic.get("interpretationStatus"),
        hgvs=hgvs,
        proteins=proteins,
        somatic=True if subject in tumours else None,
        where=f"{where}.variantInterpretation.variationDescriptor",
    )


def _rsid(value: Any) -> str | None:
    if isinstance(value, str):
        match = re.search(r"\brs(\d+)\b", value)
        if match:
            return f"rs{match.group(1)}"
    return None


def _age_years(subject: dict) -> int | None:
    duration = ((subject.get("timeAtLastEncounter") or {}).get("age") or {}).get("iso8601duration")
    if isinstance(duration, str):
        match = _ISO_YEARS.match(duration)
        if match:
            return int(match.group(1) or 0)
    return None
