"""Explanations: why the graph links a drug to a disease (or a patient to a drug), as ranked evidence paths.

The ranking is the metapath decomposition of :mod:`kg.metapaths` (Rephetio's degree-weighted path counts): each
path's contribution is its path-degree product over the pair's total DWPC. The work happens in the named queries
``evidence_paths`` and ``patient_drug_evidence``, so the CLI, the HTTP service and a researcher in Neo4j Browser
get the same answer; this module adds the pair's context (names, known indication, model prediction) and returns
plain data.

Public API (stable; the HTTP service serves it):

* :func:`explain_drug_disease` and :func:`explain_patient_drug` return an :class:`Explanation`;
* :meth:`Explanation.to_dict` gives JSON-ready data;
* :func:`resolve_node` turns an id or an exact name into an id, with a clear error when it cannot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pmkg.kg.metapaths import DEFAULT_DAMPING, METAPATHS
from pmkg.kg.queries import QueryError, run_query
from pmkg.kg.schema import LABELS

if TYPE_CHECKING:
    from pmkg.kg.store import GraphStore

MAX_PATHS = 1000

_FIND_BY_ID = "MATCH (n:{label} {{id: $id}}) RETURN n.id AS id, n.name AS name"
# Exact name first (index-backed), then case-insensitive (a scan of one label).
_FIND_BY_NAME = "MATCH (n:{label} {{name: $name}}) RETURN n.id AS id, n.name AS name ORDER BY id"
_FIND_BY_LOWER_NAME = (
    "MATCH (n:{label}) WHERE toLower(n.name) = toLower($name) RETURN n.id AS id, n.name AS name ORDER BY id"
)
_NAMED_LABELS = ("Drug", "Disease")
_PAIR_CONTEXT = """\
MATCH (c:Drug {id: $drug})
MATCH (d:Disease {id: $disease})
RETURN EXISTS { (c)-[:TREATS]->(d) } AS treats, EXISTS { (c)-[:PALLIATES]->(d) } AS palliates,
       [(c)-[p:PREDICTED_TREATS]->(d) | {score: p.score, probability: p.probability, rank: p.rank,
                                         model_version: p.model_version}] AS predictions"""


class ExplainError(ValueError):
    """The pair cannot be explained as asked (unknown id, ambiguous name); the message says what to do."""


@dataclass(frozen=True)
class EvidencePath:
    """One path, its weight and its provenance; ``cypher`` returns the same path from the graph."""

    rank: int
    metapath: str
    meaning: str
    contribution: float  # pdp / (sum of every metapath's dwpc for the pair); sums to 1 over all paths
    pdp: float  # path-degree product: prod over edges of (deg(u) * deg(v)) ** -damping
    dwpc: float  # the metapath's degree-weighted path count for the pair (sum of its paths' pdp)
    path: str
    node_ids: list[str]
    node_names: list[str]
    node_labels: list[str]
    relationships: list[str]
    sources: list[str]  # per hop: "source version" of every edge that asserts it, "; "-separated
    cypher: str


@dataclass(frozen=True)
class MetapathShare:
    metapath: str
    meaning: str
    paths: int
    dwpc: float
    share: float  # dwpc / sum of every metapath's dwpc


@dataclass
class Explanation:
    """Everything known about one pair: its names, status, the model's prediction and the ranked evidence."""

    kind: str  # "drug-disease" | "patient-drug"
    source_id: str
    source_name: str | None
    target_id: str
    target_name: str | None
    damping: float
    paths: list[EvidencePath]
    metapaths: list[MetapathShare]
    known: str | None = None  # "treats" | "palliates" | None (drug-disease only)
    prediction: dict[str, Any] | None = None  # PREDICTED_TREATS {score, probability, rank, model_version}
    notes: list[str] = field(default_factory=list)
    # patient-drug only: the CIViC evidence paths (rows of the named query patient_biomarker_therapies) whose
    # therapy holds the drug, each with its evidence id, level, direction and disease fit
    biomarker_evidence: list[dict[str, Any]] = field(default_factory=list)
    # patient-drug only: the drug's interactions with the patient's current medications (named query
    # patient_drug_interactions), most severe first
    interaction_evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total_dwpc(self) -> float:
        return sum(m.dwpc for m in self.metapaths)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_dwpc"] = self.total_dwpc
        return data


def resolve_node(store: GraphStore, label: str, text: str) -> tuple[str, str | None]:
    """``(id, name)`` of the ``label`` node whose id is ``text``, else whose name is ``text`` (case-insensitive)."""
    if label not in LABELS:
        raise ExplainError(f"unknown label {label!r}; known labels: {', '.join(sorted(LABELS))}")
    rows = store.run(_FIND_BY_ID.format(label=label), {"id": text})
    if rows:
        return rows[0]["id"], rows[0]["name"]
    if label in _NAMED_LABELS:
        rows = store.run(_FIND_BY_NAME.format(label=label), {"name": text}) or store.run(
            _FIND_BY_LOWER_NAME.format(label=label), {"name": text}
        )
        if len(rows) == 1:
            return rows[0]["id"], rows[0]["name"]
        if len(rows) > 1:
            choices = ", ".join(f"{r['id']} ({r['name']})" for r in rows[:10])
            raise ExplainError(f"{len(rows)} {label} nodes are named {text!r}: {choices}; pass the id instead")
    finder = {"Drug": "find_drug", "Disease": "find_disease"}.get(label)
    hint = f"; search with `pmkg query {finder} --param name=...`" if finder else ""
    raise ExplainError(f"no {label} with id or name {text!r} in the graph{hint}")


def _evidence(store: GraphStore, query: str, params: dict[str, Any]) -> tuple[list[EvidencePath], list[MetapathShare]]:
    try:
        _, rows = run_query(store, query, params)
    except QueryError as exc:
        raise ExplainError(str(exc)) from exc
    paths = [
        EvidencePath(meaning=METAPATHS[row["metapath"]].meaning, **{k: v for k, v in row.items() if k != "metapaths"})
        for row in rows
    ]
    breakdown = rows[0]["metapaths"] if rows else []  # the same on every row
    return paths, [MetapathShare(meaning=METAPATHS[m["metapath"]].meaning, **m) for m in breakdown]


def _check_n(n: int) -> None:
    if not 1 <= n <= MAX_PATHS:
        raise ExplainError(f"n must be between 1 and {MAX_PATHS}, got {n}")


def explain_drug_disease(
    store: GraphStore, drug: str, disease: str, n: int = 10, damping: float = DEFAULT_DAMPING
) -> Explanation:
    """The top-``n`` evidence paths linking ``drug`` to ``disease`` (ids or exact names), ranked by contribution.

    The direct TREATS/PALLIATES edge of a known indication is reported in ``known``, never as a path, and model
    predictions never count as evidence.
    """
    _check_n(n)
    drug_id, drug_name = resolve_node(store, "Drug", drug)
    disease_id, disease_name = resolve_node(store, "Disease", disease)
    paths, metapaths = _evidence(store, "evidence_paths", {"drug": drug_id, "disease": disease_id, "n": n,
                                                           "damping": damping})  # fmt: skip
    context = store.run(_PAIR_CONTEXT, {"drug": drug_id, "disease": disease_id})[0]
    known = "treats" if context["treats"] else "palliates" if context["palliates"] else None
    predictions = context["predictions"]
    explanation = Explanation(
        kind="drug-disease",
        source_id=drug_id,
        source_name=drug_name,
        target_id=disease_id,
        target_name=disease_name,
        damping=damping,
        paths=paths,
        metapaths=metapaths,
        known=known,
        prediction=predictions[0] if predictions else None,
    )
    if not paths:
        explanation.notes.append("no path of the metapath catalogue links this pair (see kg/metapaths.py)")
    return explanation


def explain_patient_drug(
    store: GraphStore, patient: str, drug: str, n: int = 10, damping: float = DEFAULT_DAMPING
) -> Explanation:
    """The top-``n`` evidence paths from a patient's diagnoses, phenotypes, diplotypes and variants to ``drug``.

    Beside the metapath paths, ``biomarker_evidence`` holds the CIViC evidence paths (``Patient-CARRIES-Variant
    <-HAS_COMPONENT-MolecularProfile-PREDICTS_*->Drug``, through a combination too) with each item's evidence id and
    level, from the named query ``patient_biomarker_therapies``; ``interaction_evidence`` the drug's interactions
    with the patient's current medications (``patient_drug_interactions``). Only ids and ontology term names are
    returned, never free-text patient data.
    """
    _check_n(n)
    patient_id, _ = resolve_node(store, "Patient", patient)
    drug_id, drug_name = resolve_node(store, "Drug", drug)
    params = {"patient": patient_id, "drug": drug_id, "n": n, "damping": damping}
    paths, metapaths = _evidence(store, "patient_drug_evidence", params)
    explanation = Explanation(
        kind="patient-drug",
        source_id=patient_id,
        source_name=None,
        target_id=drug_id,
        target_name=drug_name,
        damping=damping,
        paths=paths,
        metapaths=metapaths,
    )
    if not paths:
        explanation.notes.append("no path of the patient metapath catalogue links this pair (see kg/metapaths.py)")
    try:
        _, rows = run_query(store, "patient_biomarker_therapies", {"patient": patient_id, "k": MAX_PATHS})
    except QueryError as exc:
        raise ExplainError(str(exc)) from exc
    explanation.biomarker_evidence = [row for row in rows if drug_id in row["drug_ids"]][:n]
    try:
        _, rows = run_query(store, "patient_drug_interactions", {"patient": patient_id, "drug": drug_id})
    except QueryError as exc:
        raise ExplainError(str(exc)) from exc
    explanation.interaction_evidence = rows
    if rows:
        explanation.notes.append(
            f"interacts with {len(rows)} current medication(s) (DrugCentral, class-level); "
            f"most severe: {rows[0]['risk']}"
        )
    if explanation.biomarker_evidence:
        explanation.notes.append(
            "biomarker evidence (CIViC) is research evidence, not clinical decision support; 'Does Not Support' "
            "rows are evidence against, resistance rows are warnings"
        )
    return explanation
