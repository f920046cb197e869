"""The graph schema: node labels, relationship types, CURIE prefixes and required provenance.

Follows DESIGN.md §2. The schema is data, so the writer, the dialect's DDL, the exporter and the
documentation all read the same definitions.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from pmkg.kg.records import EdgeRecord, NodeRecord

PROVENANCE_PROPERTIES: tuple[str, ...] = ("source", "source_version", "license")
# Node properties that belong to the node's owner, the source that created it (as its provenance does): other
# sources only fill them in when missing. Ingest runs the most authoritative source of each label first (NCBI
# gene_info for genes, the Disease Ontology for diseases, Hetionet's DrugBank names for drugs), so a later
# source's spelling ("clopidogrel") does not rename the node; a newer release of the owner still can.
OWNER_PROPERTIES: tuple[str, ...] = ("name",)


def owner_may_set(props: dict[str, Any], source: str, owner: str | None, present: Container[str]) -> dict[str, Any]:
    """``props`` minus the OWNER_PROPERTIES that ``source`` may not set on a node ``owner`` created: those already
    ``present``, unless ``source`` is the owner. The Cypher MERGE (``kg.writer.node_merge_statement``) applies the
    same rule in the database; the bulk diff, the in-batch merge and the neo4j-admin files apply it here."""
    if source == owner:
        return props
    return {key: value for key, value in props.items() if key not in OWNER_PROPERTIES or key not in present}


@dataclass(frozen=True)
class LabelSpec:
    name: str
    prefixes: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class RelSpec:
    name: str
    endpoints: frozenset[tuple[str, str]]
    description: str


def _label(name: str, prefixes: tuple[str, ...], description: str) -> LabelSpec:
    return LabelSpec(name, prefixes, description)


LABELS: dict[str, LabelSpec] = {
    spec.name: spec
    for spec in (
        _label("Gene", ("NCBIGene", "HGNC"), "A human gene; canonical id NCBIGene"),
        _label(
            "Variant",
            ("dbSNP", "CLINVAR", "PHARMGKB", "PMKG.VARIANT", "CIVIC.VID"),
            "A sequence variant; dbSNP rs id where known, else PMKG.VARIANT:<assembly>-<chrom>-<pos>-<ref>-<alt>; "
            "CIViC's variants (CIVIC.VID) are their own nodes, linked to these by CORRESPONDS_TO",
        ),
        _label(
            "Drug",
            ("DRUGBANK", "CHEMBL.COMPOUND", "DRUGCENTRAL", "MESH", "UMLS", "PHARMGKB", "PMKG.DRUG"),
            "A compound or drug; canonical id DrugBank, else ChEMBL, else DrugCentral; a therapy only CIViC names "
            "(newer than DrugCentral 2016, or a class such as 'Chemotherapy') is PMKG.DRUG:<name-slug>",
        ),
        _label(
            "Disease",
            ("DOID", "MONDO", "OMIM", "ORPHANET", "MESH", "DECIPHER"),
            "A disease; canonical id DOID, else MONDO, else the source's own id (counted as unresolved)",
        ),
        _label("Phenotype", ("HP",), "An HPO phenotypic abnormality"),
        _label("GOTerm", ("GO",), "A Gene Ontology term; 'namespace' holds the GO aspect"),
        _label("Pathway", ("PATHWAYCOMMONS", "WIKIPATHWAYS", "REACT"), "A biological pathway"),
        _label("SideEffect", ("UMLS",), "A side effect (SIDER, UMLS CUI)"),
        _label("Symptom", ("MESH",), "A symptom (MeSH)"),
        _label("PharmacologicClass", ("NDFRT", "ATC", "MESH", "FDA.EPC", "CHEBI"), "A pharmacologic class"),
        _label("Anatomy", ("UBERON",), "An anatomical structure"),
        _label("SequenceFeature", ("SO",), "A Sequence Ontology term (variant consequences)"),
        _label(
            "MolecularProfile",
            ("CIVIC.MP",),
            "A CIViC molecular profile: one variant, or several combined (AND, OR, NOT); evidence attaches to it",
        ),
        _label(
            "DrugCombination",
            ("PMKG.COMBINATION",),
            "Drugs given together (CIViC 'Combination', or 'Sequential' in order); evidence is about the whole",
        ),
        _label("Patient", ("PMKG.PATIENT",), "A pseudonymous patient"),
        _label("Source", ("PMKG.SOURCE",), "An ingested upstream source with its version and licence"),
    )
}


def _rel(name: str, description: str, *endpoints: tuple[str, str]) -> RelSpec:
    return RelSpec(name, frozenset(endpoints), description)


RELATIONSHIPS: dict[str, RelSpec] = {
    spec.name: spec
    for spec in (
        _rel("TREATS", "Disease-modifying indication", ("Drug", "Disease")),
        _rel("PALLIATES", "Symptomatic indication", ("Drug", "Disease")),
        _rel("TARGETS", "Drug binds or acts on a gene product", ("Drug", "Gene")),
        _rel("CAUSES_SIDE_EFFECT", "Drug causes a side effect", ("Drug", "SideEffect")),
        _rel("RESEMBLES", "Chemical or clinical similarity", ("Drug", "Drug"), ("Disease", "Disease")),
        _rel("IN_CLASS", "Drug belongs to a mechanism or structure class", ("Drug", "PharmacologicClass")),
        _rel(
            "IN_THERAPEUTIC_CLASS",
            "Drug belongs to a therapeutic-use class (MeSH/ChEBI uses that restate indications)",
            ("Drug", "PharmacologicClass"),
        ),
        _rel(
            "UPREGULATES",
            "Perturbation raises a gene's expression",
            ("Drug", "Gene"),
            ("Disease", "Gene"),
            ("Anatomy", "Gene"),
        ),
        _rel(
            "DOWNREGULATES",
            "Perturbation lowers a gene's expression",
            ("Drug", "Gene"),
            ("Disease", "Gene"),
            ("Anatomy", "Gene"),
        ),
        _rel(
            "ASSOCIATED_WITH",
            "Association (GWAS, curated, ClinVar)",
            ("Disease", "Gene"),
            ("Gene", "Phenotype"),
            ("Variant", "Disease"),
        ),
        _rel("LOCALIZES_TO", "Disease localises to an anatomy", ("Disease", "Anatomy")),
        _rel("PRESENTS", "Disease presents a symptom", ("Disease", "Symptom")),
        _rel("EXPRESSES", "Anatomy expresses a gene", ("Anatomy", "Gene")),
        _rel(
            "INTERACTS_WITH",
            "Protein-protein interaction; drug-drug interaction (DrugCentral, undirected, with its risk class)",
            ("Gene", "Gene"),
            ("Drug", "Drug"),
        ),
        _rel("COVARIES_WITH", "Evolutionary covariation", ("Gene", "Gene")),
        _rel("REGULATES", "Knock-down signature regulation", ("Gene", "Gene")),
        _rel("ANNOTATED_WITH", "Gene annotated with a GO term", ("Gene", "GOTerm")),
        _rel("PARTICIPATES_IN", "Gene participates in a pathway", ("Gene", "Pathway")),
        _rel(
            "IS_A",
            "Ontology subclass",
            ("Disease", "Disease"),
            ("Phenotype", "Phenotype"),
            ("GOTerm", "GOTerm"),
            ("SequenceFeature", "SequenceFeature"),
        ),
        _rel("PART_OF", "Ontology part_of", ("GOTerm", "GOTerm"), ("Anatomy", "Anatomy")),
        _rel(
            "HAS_PHENOTYPE",
            "Disease or patient has a phenotype (a patient's may be 'excluded'; symptoms are Hetionet MeSH terms)",
            ("Disease", "Phenotype"),
            ("Patient", "Phenotype"),
            ("Patient", "Symptom"),
        ),
        _rel("IN_GENE", "Variant lies in a gene", ("Variant", "Gene")),
        _rel("HAS_CONSEQUENCE", "Variant consequence", ("Variant", "SequenceFeature")),
        _rel("HAS_VARIANT_TYPE", "Variant class (SNV, deletion, ...) as an SO term", ("Variant", "SequenceFeature")),
        _rel("AFFECTS_RESPONSE_TO", "Pharmacogenomic association", ("Variant", "Drug"), ("Gene", "Drug")),
        _rel("HAS_DIAGNOSIS", "Patient diagnosis", ("Patient", "Disease")),
        _rel("CARRIES", "Patient carries a variant (with zygosity)", ("Patient", "Variant")),
        _rel("HAS_DIPLOTYPE", "Patient's star-allele diplotype for a gene", ("Patient", "Gene")),
        _rel("HAS_PGX_RECOMMENDATION", "CPIC/DPWG recommendation for the patient's genotype", ("Patient", "Drug")),
        _rel(
            "HAS_COMPONENT",
            "A molecular profile's variants; a drug combination's drugs",
            ("MolecularProfile", "Variant"),
            ("DrugCombination", "Drug"),
        ),
        _rel(
            "CORRESPONDS_TO", "A CIViC variant and the ClinVar/dbSNP variant CIViC names for it", ("Variant", "Variant")
        ),
        *(
            _rel(
                name,
                f"CIViC predictive evidence: {meaning} (items, levels, directions on the edge)",
                ("MolecularProfile", "Drug"),
                ("MolecularProfile", "DrugCombination"),
            )
            for name, meaning in (
                ("PREDICTS_SENSITIVITY_TO", "sensitivity/response"),
                ("PREDICTS_RESISTANCE_TO", "resistance"),
                ("PREDICTS_REDUCED_SENSITIVITY_TO", "reduced sensitivity"),
                ("PREDICTS_ADVERSE_RESPONSE_TO", "adverse response"),
            )
        ),
        _rel("DIAGNOSTIC_OF", "CIViC diagnostic evidence for a disease", ("MolecularProfile", "Disease")),
        _rel("PROGNOSTIC_OF", "CIViC prognostic evidence in a disease", ("MolecularProfile", "Disease")),
        _rel("PREDISPOSES_TO", "CIViC predisposing evidence for a disease", ("MolecularProfile", "Disease")),
        _rel("PREDICTED_TREATS", "Model prediction: repurposing candidate", ("Drug", "Disease")),
        _rel("PREDICTED_BENEFIT", "Model prediction: drug suits patient", ("Patient", "Drug")),
    )
}

# Edges written by the model, not by ingest: they carry model_version instead of source provenance.
PREDICTION_RELATIONSHIPS = frozenset({"PREDICTED_TREATS", "PREDICTED_BENEFIT"})

_CURIE = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9._-]*):(?P<local>\S+)$")


class SchemaError(ValueError):
    """A record that does not fit the schema; the message says which rule it broke."""


def curie_prefix(curie: str) -> str:
    match = _CURIE.match(curie)
    if not match:
        raise SchemaError(f"{curie!r} is not a CURIE (expected PREFIX:LOCAL_ID, e.g. DOID:1612)")
    return match.group("prefix")


def validate_node(record: NodeRecord) -> None:
    spec = LABELS.get(record.label)
    if spec is None:
        raise SchemaError(f"unknown label {record.label!r}; known labels: {', '.join(sorted(LABELS))}")
    prefix = curie_prefix(record.id)
    if prefix not in spec.prefixes:
        raise SchemaError(
            f"{record.label} id {record.id!r} has prefix {prefix!r}; expected one of {', '.join(spec.prefixes)}"
        )
    _require_provenance(record)


def validate_edge(record: EdgeRecord) -> None:
    spec = RELATIONSHIPS.get(record.type)
    if spec is None:
        raise SchemaError(f"unknown relationship type {record.type!r}")
    if (record.src_label, record.dst_label) not in spec.endpoints:
        allowed = ", ".join(f"{s}->{d}" for s, d in sorted(spec.endpoints))
        raise SchemaError(f"{record.type} may not join {record.src_label}->{record.dst_label}; allowed: {allowed}")
    if record.type not in PREDICTION_RELATIONSHIPS:
        _require_provenance(record)


def _require_provenance(record: NodeRecord | EdgeRecord) -> None:
    missing = [key for key in PROVENANCE_PROPERTIES if not record.props.get(key)]
    if missing:
        # Named only here: this runs for every record of an ingest, and most have their provenance.
        if type(record) is NodeRecord:
            what = f"{record.label} {record.id}"
        else:
            what = f"{record.type} {record.src}->{record.dst}"
        raise SchemaError(f"{what} lacks provenance properties: {', '.join(missing)}")
