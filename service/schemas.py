"""Request and response bodies: the service's OpenAPI contract."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from service.curies import DiseaseCurie, DrugCurie

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
    hops: int
    node_ids: list[str]
    node_names: list[str]
    relationships: list[str]
    sources: list[str | None]


class ExplanationResponse(BaseModel):
    drug_id: str
    disease_id: str
    model_version: str
    score: float
    probability: Probability
    rank: int
    known: bool
    method: str = Field(description="How the evidence was found.")
    paths: list[EvidencePath]


class QueryParameter(BaseModel):
    name: str
    type: str
    default: str | None
    help: str


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
    ready: bool
    model_loaded: bool
    graph_reachable: bool


class ModelInfo(BaseModel):
    model_version: str
    drugs: int
    diseases: int
    calibrated: bool
    graph_matches_training: bool
