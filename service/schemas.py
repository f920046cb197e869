"""Request and response bodies: the service's OpenAPI contract."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pmkg.service.curies import DiseaseCurie, DrugCurie
from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH_PAIRS = 1000
MAX_K = 1000
MAX_QUERY_PARAMS = 32

Probability = Annotated[float | None, Field(description="Calibrated probability of the link (Platt scaling).")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorField(BaseModel):
    field: str = Field(description="Where the bad value is, e.g. body.pairs.3.drug or query.k.")
    message: str


class ErrorBody(BaseModel):
    detail: str
    errors: list[ErrorField] = Field(default_factory=list)


class Candidate(BaseModel):
    rank: int = Field(description="Rank among all candidate drugs for this disease (1 = best).")
    drug_id: str
    drug_name: str | None
    score: float = Field(description="Model logit (DistMult, plus the path term of a hybrid model).")
    probability: Probability
    known: bool = Field(description="Already an indication (TREATS edge) in the graph.")


class CandidatesResponse(BaseModel):
    disease_id: str
    disease_name: str | None
    model_version: str
    candidates: list[Candidate]


class DiseaseScore(BaseModel):
    disease_id: str
    disease_name: str | None
    score: float
    probability: Probability
    rank: int = Field(description="This drug's rank among all candidate drugs for the disease (1 = best).")
    known: bool


class DrugDiseasesResponse(BaseModel):
    drug_id: str
    drug_name: str | None
    model_version: str
    diseases: list[DiseaseScore]


class Pair(Strict):
    drug: DrugCurie = Field(examples=["DRUGBANK:DB00945"])
    disease: DiseaseCurie = Field(examples=["DOID:1612"])


class ScoreRequest(Strict):
    pairs: list[Pair] = Field(min_length=1, max_length=MAX_BATCH_PAIRS)


class PairResult(BaseModel):
    drug_id: str
    disease_id: str
    found: bool = Field(description="False when the drug or disease is not in the model's graph (see detail).")
    score: float | None = None
    probability: float | None = None
    rank: int | None = None
    known: bool | None = None
    detail: str | None = None


class ScoreResponse(BaseModel):
    model_version: str
    results: list[PairResult] = Field(description="One per requested pair, in request order.")


class EvidencePath(BaseModel):
    rank: int = Field(description="1 = the largest contribution.")
    metapath: str = Field(description="Metapath abbreviation, e.g. CbGaD (README 'Explanations: evidence paths').")
    meaning: str
    contribution: float = Field(description="pdp / the pair's total DWPC; sums to 1 over all the pair's paths.")
    pdp: float = Field(description="Path-degree product.")
    dwpc: float = Field(description="The metapath's degree-weighted path count for this pair.")
    hops: int
    node_ids: list[str]
    node_names: list[str | None]
    node_labels: list[str]
    relationships: list[str]
    sources: list[str | None] = Field(description="Per hop: 'source version' of each edge asserting it.")
    cypher: str = Field(description="Returns this path in Neo4j Browser.")


class MetapathShare(BaseModel):
    metapath: str
    meaning: str
    paths: int
    dwpc: float
    share: float = Field(description="This metapath's DWPC over the pair's total.")


class ExplanationResponse(BaseModel):
    drug_id: str
    drug_name: str | None
    disease_id: str
    disease_name: str | None
    model_version: str
    score: float
    probability: Probability
    rank: int
    known: bool = Field(description="Already an indication (TREATS edge) in the model's graph.")
    indication: Literal["treats", "palliates"] | None = Field(description="The graph's direct edge, if any.")
    method: str = Field(description="How the evidence was found.")
    damping: float
    total_dwpc: float
    paths: list[EvidencePath]
    metapaths: list[MetapathShare]
    notes: list[str]


class QueryParameter(BaseModel):
    name: str
    type: str = Field(description="integer, float, boolean or string")
    default: str | None
    help: str
    minimum: float | None = Field(None, description="Smallest value an integer or float parameter takes.")
    maximum: float | None = Field(None, description="Largest value an integer or float parameter takes.")
    curie_of: str | None = Field(None, description="For a CURIE parameter: the node label whose prefixes it takes.")
    max_length: int | None = Field(None, description="For a free-text parameter: its most characters.")


class QueryInfo(BaseModel):
    name: str
    description: str
    parameters: list[QueryParameter]
    columns: list[str]


class QueryList(BaseModel):
    queries: list[QueryInfo]


ParamValue = Annotated[str, Field(max_length=1000)] | int | float | bool


class QueryRequest(Strict):
    params: dict[Annotated[str, Field(max_length=64)], ParamValue] = Field(
        default_factory=dict, max_length=MAX_QUERY_PARAMS, examples=[{"disease": "DOID:1612", "k": 10}]
    )


class QueryResponse(BaseModel):
    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = Field(description="True when rows were cut at PMKG_API_MAX_QUERY_ROWS.")


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    ready: bool = Field(description="The link-prediction model is loaded and the graph reachable.")
    model_loaded: bool
    graph_reachable: bool
    patient_model: Literal["loaded", "not configured"] = Field(
        description="The optional drug-patient model behind /v1/patients/recommendations; it does not affect ready."
    )
    patient_model_version: str | None = None


class ModelInfo(BaseModel):
    model_version: str
    drugs: int
    diseases: int
    calibrated: bool
    graph_matches_training: bool


MAX_PATIENT_K = 500
MAX_MEDICATIONS = 100  # current medications per request


# The spec states what every phenopacket needs; the rest of the Phenopacket v2 schema (protobuf JSON) is checked
# by the ingest path, which answers 422 naming the field.
PHENOPACKET_MINIMUM = {
    "required": ["id", "metaData"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "metaData": {
            "type": "object",
            "required": ["phenopacketSchemaVersion"],
            "properties": {"phenopacketSchemaVersion": {"type": "string", "pattern": "^2"}},
        },
    },
}


class PatientRequest(Strict):
    phenopacket: dict[str, Any] = Field(
        description="A GA4GH Phenopacket v2 as JSON (phenotypicFeatures, diseases, interpretations, files, ...); "
        "validated against the Phenopacket v2 schema, a violation is a 422 naming the field.",
        json_schema_extra=PHENOPACKET_MINIMUM,
        examples=[
            {
                "id": "patient-1",
                "metaData": {"phenopacketSchemaVersion": "2.0"},
                "phenotypicFeatures": [{"type": {"id": "HP:0001250"}}],
                "diseases": [{"term": {"id": "DOID:1826"}}],
            }
        ],
    )
    vcf: str | None = Field(
        default=None,
        description="The patient's VCF as text (single sample, or the sample the phenopacket names); only "
        "pharmacogene positions are read. Star alleles, phenotypes and CPIC/DPWG recommendations come from it.",
    )
    tumour_vcf: str | None = Field(
        default=None,
        description="The tumour's somatic VCF as text, matched to CIViC by coordinates on its assembly (PASS records "
        "the tumour sample carries; snpEff ANN / VEP CSQ protein changes too). Needs the service's patient data "
        "folder to hold civic/.",
    )
    assembly: Literal["GRCh37", "GRCh38"] | None = Field(
        default=None,
        description="Genome build of tumour_vcf when its header (##reference, ##assembly, ##contig assembly=) does "
        "not state it; a VCF on an unstated build is refused, never guessed.",
    )
    medications: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=MAX_MEDICATIONS,
        description="Current medications beside the phenopacket's medicalActions: drug ids (DRUGBANK:DB00682) or "
        "names. Every ranked drug is checked against them (DrugCentral interactions); a contraindicated one leaves "
        "the top k, with the reason. An unknown drug is a 422 naming its index.",
        examples=[["DRUGBANK:DB00682"]],
    )


class PgxRecommendation(BaseModel):
    guideline_source: str = Field(description="CPIC or DPWG.")
    action: str | None
    classification: str | None
    text: str | None
    guideline_id: str | None


class InteractionWarning(BaseModel):
    medication: str = Field(description="The current medication's drug id.")
    medication_name: str
    risk: str = Field(description="DrugCentral's risk class, the most severe of risks: Contraindicated, Critical, "
                      "Avoid combination, Significant, Potentially significant.")  # fmt: skip
    risks: list[str]
    source: str
    evidence: str
    text: str = Field(description="e.g. 'Critical with warfarin (DrugCentral)'.")


class PatientDrug(BaseModel):
    rank: int
    drug_id: str
    drug_name: str | None
    score: float | None = Field(description="Model logit for this patient and drug; null for a drug the model's "
                                "graph lacks (a therapy only CIViC names).")  # fmt: skip
    probability: float | None = Field(description="Calibrated (Platt scaling on the validation patients).")
    pgx_flags: list[str] = Field(description="e.g. 'CPIC: avoid (Strong)'; empty when no guideline applies.")
    recommendations: list[PgxRecommendation]
    sources: list[str] = Field(default_factory=list, description="Why it is listed: civic, model, pgx.")
    reasons: list[str] = Field(default_factory=list, description="One line per source, in words.")
    biomarker: dict[str, Any] | None = Field(
        default=None,
        description="CIViC evidence for this drug: best_level, evidence_ids, therapies, resistance_evidence_ids, "
        "warnings, resistance_outranks.",
    )
    warning: str | None = Field(
        default=None,
        description="Resistance evidence that outranks the sensitivity, or why the drug was held back from the top k "
        "(a CPIC/DPWG avoid or use-alternative recommendation, a contraindicated interaction).",
    )
    interactions: list[InteractionWarning] = Field(
        default_factory=list, description="Interactions with the current medications, most severe first."
    )


class DiagnosisCandidate(BaseModel):
    disease_id: str
    name: str | None
    probability: float | None = Field(
        description="The model's own probability; null for a recorded diagnosis outside the model's candidates."
    )
    status: str = Field(
        default="suggested by the model",
        description="'recorded' (from the phenopacket; always listed first, the model cannot overrule it) or "
        "'suggested by the model'.",
    )


class PgxCall(BaseModel):
    gene: str
    diplotype: str | None = None
    phenotype: str | None = None
    cpic_lookup_key: str | None = None
    ambiguous: bool | None = None
    missing_positions: int | None = None


class StoredPatient(BaseModel):
    patient_id: str = Field(description="Pseudonymous id (PMKG.PATIENT:...); the original id is not stored.")
    rows_written: int
    not_in_graph: dict[str, int] = Field(description="Ids per label the graph lacks (those edges were not written).")


class PatientRecommendations(BaseModel):
    model_version: str
    drugs: list[PatientDrug] = Field(description="Best first.")
    differential: list[DiagnosisCandidate] = Field(
        description="Recorded diagnoses first, then the diseases the model would add, each with its status."
    )
    pgx: list[PgxCall] = Field(description="Star-allele calls from the VCF, one per pharmacogene.")
    unmapped: dict[str, int] = Field(description="Patient terms the model's graph does not know, by relation.")
    used_diagnosis: bool
    medications: list[dict[str, str]] = Field(
        default_factory=list, description="The current medications every drug was checked against: drug_id, name."
    )
    differential_scope: str = Field(
        default="", description="Which diseases the model's differential can name at all (not a diagnosis)."
    )
    notes: list[str] = Field(default_factory=list, description="What the reader should know about this result.")
    interactions_checked: bool = Field(
        default=False,
        description="False when the service has no interaction table (drugcentral-ddi/ in --patient-data-dir).",
    )
    stored: bool = Field(description="True only when store=true was asked and the patient was written.")
    stored_patient: StoredPatient | None = None
    biomarker_therapies: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Every therapy (drug or combination) with CIViC predictive evidence for the tumour's molecular "
        "profiles, best first: its sensitivity, resistance and against evidence items with level, disease fit and "
        "CIViC evidence ids.",
    )
    tumour: dict[str, Any] | None = Field(
        default=None, description="CIViC variants and molecular profiles the tumour matched; unmatched counts."
    )
    notice: str = Field(default="", description="pmkg is research software, not clinical decision support.")
