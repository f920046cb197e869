"""Response bodies of the triage page's own endpoints (``/v1/ui/...``)."""

from __future__ import annotations

from typing import Literal

from pmkg.service.schemas import Probability
from pydantic import BaseModel, Field

MAX_SEARCH_TEXT = 200
MAX_SEARCH_K = 100


class SearchHit(BaseModel):
    id: str
    name: str | None
    matched: str | None = Field(description="The id, cross-reference, name or synonym that matched.")
    matched_by: Literal["id", "xref", "name", "synonym"]
    treats: int = Field(description="Known disease-modifying indications (TREATS edges).")
    palliates: int = Field(description="Known symptomatic indications (PALLIATES edges).")
    zero_shot: bool = Field(
        description="No TREATS edge: the model never saw a drug for it (for a disease: no known drug; for a drug: "
        "no known disease)."
    )
    scored: bool = Field(description="The served model scores it (a drug must be a candidate drug).")


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]


class KnownIndication(BaseModel):
    id: str = Field(description="The other end: a drug for a disease card, a disease for a drug card.")
    name: str | None
    kind: Literal["treats", "palliates"]
    sources: list[str]
    rank: int | None = Field(description="The drug's rank among all candidate drugs for the disease; null if unscored.")
    probability: Probability
    score: float | None


class NodeCard(BaseModel):
    id: str
    name: str | None
    label: Literal["Disease", "Drug"]
    synonyms: list[str]
    xrefs: list[str]
    zero_shot: bool = Field(description="No TREATS edge.")
    scored: bool
    model_version: str
    indications: list[KnownIndication] = Field(description="TREATS first, then PALLIATES.")


class ExternalFigure(BaseModel):
    auroc: float | None
    auroc_lo: float | None
    auroc_hi: float | None
    degree_prior_auroc: float | None
    positives: int | None
    pairs: int | None
    universe: str | None
    diseases: int | None
    indication_list: str | None = Field(description="Format of the independent indication list (e.g. sider).")


class ModelCard(BaseModel):
    model_version: str
    calibrated: bool
    drugs: int
    diseases: int
    graph_matches_training: bool
    external: ExternalFigure | None = Field(description="From external-validation.json (pmkg evaluate --external).")
    cross_validation: dict[str, float | int | dict[str, float]] | None = Field(
        description="Release model: mean and sd over folds of AUROC, AUPRC, MRR, Recall@100 (metrics.json)."
    )
    test: dict[str, float] | None = Field(description="Held-out test metrics of a non-release model (metrics.json).")
    patient_model: str | None = Field(description="The patient model's version; null when none is loaded.")
    notice: str
