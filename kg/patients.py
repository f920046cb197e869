"""Patients in the graph: write an ingest, delete a patient, export a cohort, write predictions back.

Privacy rules this module keeps (DESIGN.md section 6):

* Patients are written, exported and deleted by pseudonymous id (``PMKG.PATIENT:…``) only; log lines carry
  ids and counts, never phenotypes, variants or names.
* :func:`delete_patient` removes the patient, every edge of theirs, and the ``Variant`` nodes that only this
  patient's ingest created (a rare variant node would otherwise keep a trace of them).
* The drug-disease training export (:mod:`kg.export`) leaves out ``Patient`` nodes and every node and edge that
  only patient ingest created; the cohort export here is the only way patients reach a model, and it carries
  pseudonyms only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pmkg.kg.export import PATIENT_SOURCE

if TYPE_CHECKING:  # gnn/ imports CohortExport from here and must not pull in the driver
    from pmkg.ingest.patients import PatientIngest
    from pmkg.kg.records import EdgeRecord, NodeRecord
    from pmkg.kg.store import GraphStore
    from pmkg.kg.writer import WriteReport

log = logging.getLogger(__name__)

# Edge kinds of the cohort export: name -> (statement returning pid and target id columns).
_COHORT_EDGES: dict[str, str] = {
    "phenotype": (
        "MATCH (p:Patient)-[r:HAS_PHENOTYPE]->(t:Phenotype) WHERE p.synthetic = $synthetic "
        "AND NOT coalesce(r.excluded, false) RETURN collect(p.id) AS pid, collect(t.id) AS target"
    ),
    "symptom": (
        "MATCH (p:Patient)-[r:HAS_PHENOTYPE]->(t:Symptom) WHERE p.synthetic = $synthetic "
        "AND NOT coalesce(r.excluded, false) RETURN collect(p.id) AS pid, collect(t.id) AS target"
    ),
    "diagnosis": (
        "MATCH (p:Patient)-[r:HAS_DIAGNOSIS]->(t:Disease) WHERE p.synthetic = $synthetic "
        "AND NOT coalesce(r.excluded, false) RETURN collect(p.id) AS pid, collect(t.id) AS target"
    ),
    "variant_gene": (
        "MATCH (p:Patient)-[:CARRIES]->(:Variant)-[:IN_GENE]->(t:Gene) WHERE p.synthetic = $synthetic "
        "RETURN collect(p.id) AS pid, collect(t.id) AS target"
    ),
}
_COHORT_PATIENTS = "MATCH (p:Patient) WHERE p.synthetic = $synthetic RETURN collect(p.id) AS pid"
_COHORT_DIPLOTYPES = (
    "MATCH (p:Patient)-[r:HAS_DIPLOTYPE]->(g:Gene) WHERE p.synthetic = $synthetic "
    "RETURN collect(p.id) AS pid, collect(g.id) AS gene, collect(coalesce(r.gene_symbol, g.id)) AS symbol, "
    "collect(coalesce(r.cpic_lookup_key, r.dpwg_lookup_key, r.phenotype, 'no call')) AS key"
)
_COHORT_TREATMENTS = (
    "MATCH (p:Patient) WHERE p.synthetic = $synthetic AND size(coalesce(p.treatments, [])) > 0 "
    "RETURN collect(p.id) AS pid, collect(p.treatments) AS treatments"
)
# Drug-drug interactions (DrugCentral, stored once per unordered pair) of the given drugs, in either direction.
DRUG_INTERACTIONS = (
    "MATCH (m:Drug)-[i:INTERACTS_WITH]-(d:Drug) WHERE m.id IN $drugs "
    "RETURN collect(m.id) AS medication, collect(d.id) AS drug, collect(i.risk) AS risk, collect(i.risks) AS risks"
)
_COHORT_PGX = (
    "MATCH (p:Patient)-[r:HAS_PGX_RECOMMENDATION]->(d:Drug) WHERE p.synthetic = $synthetic "
    "RETURN collect(p.id) AS pid, collect(d.id) AS drug, collect(coalesce(r.cpic_action, '')) AS cpic, "
    "collect(coalesce(r.action, '')) AS action, collect(coalesce(r.guideline_source, '')) AS body, "
    "collect(coalesce(r.classification, '')) AS classification"
)


def known_ids_statement(label: str) -> str:
    return f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN collect(n.id) AS found"


DELETE_PATIENT = (
    "MATCH (p:Patient {id: $id}) OPTIONAL MATCH (p)-[r]-() WITH p, count(r) AS edges "
    "OPTIONAL MATCH (p)-[:CARRIES]->(v:Variant) WITH p, edges, collect(DISTINCT v.id) AS variants "
    "DETACH DELETE p RETURN variants, edges"
)
# A variant node that only patient ingest made and no patient carries any more goes too.
DELETE_ORPHAN_VARIANTS = (
    "UNWIND $ids AS id MATCH (v:Variant {id: id}) "
    f"WHERE v.source = '{PATIENT_SOURCE}' AND size(coalesce(v.sources, [])) <= 1 "
    "OPTIONAL MATCH (q:Patient)-[:CARRIES]->(v) WITH v, count(q) AS carriers WHERE carriers = 0 "
    "DETACH DELETE v RETURN count(*) AS deleted"
)
COUNT_PATIENT = "MATCH (p:Patient {id: $id}) RETURN count(p) AS n"
# Variants a curated source (PharmGKB, ClinVar, ...) already holds: a patient only links to them.
CURATED_VARIANTS = (
    f"UNWIND $ids AS id MATCH (v:Variant {{id: id}}) WHERE v.source <> '{PATIENT_SOURCE}' RETURN collect(v.id) AS found"
)


@dataclass
class PatientWriteOutcome:
    patients: int
    rows_written: int
    seconds: float
    not_in_graph: dict[str, int] = field(default_factory=dict)  # e.g. 'Phenotype' -> ids the graph lacks
    not_in_graph_examples: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check_targets(store: GraphStore, ingest: PatientIngest) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Count edge targets (phenotypes, diseases, drugs, genes) that the graph lacks; the writer would drop them.

    Examples are ontology/drug ids only, never linked to a patient.
    """
    wanted: dict[str, set[str]] = {}
    for edge in ingest.result.edges:
        if edge.src_label == "Patient":
            wanted.setdefault(edge.dst_label, set()).add(edge.dst)
    wanted.pop("Variant", None)  # written in the same run
    missing, examples = {}, {}
    for label, ids in sorted(wanted.items()):
        found = set(store.columns(known_ids_statement(label), {"ids": sorted(ids)})["found"])
        absent = sorted(ids - found)
        if absent:
            missing[label] = len(absent)
            examples[label] = absent[:5]
    return missing, examples


def write_patients(
    store: GraphStore, ingest: PatientIngest, batch_size: int = 10_000, progress: bool = True
) -> PatientWriteOutcome:
    """Write an ingest's records (and its ``Source`` node); report ids the graph lacks."""
    from pmkg.kg.bulk import writer_for

    store.ensure_schema()
    missing, examples = check_targets(store, ingest)
    nodes, edges = _leave_curated_variants_alone(store, ingest)
    writer = writer_for(store, batch_size=batch_size, progress=progress)
    report: WriteReport = writer.write(nodes, edges, what="patients")
    source = ingest.result.source_node()
    source.props["patients"] = len(ingest.patients)
    source.props["synthetic"] = bool(ingest.synthetic)
    writer.write([source], [], what="patients source node")
    log.info("patients written: %d, %d rows in %.1f s", len(ingest.patients), report.rows_written, report.seconds)
    return PatientWriteOutcome(
        len(ingest.patients), report.rows_written, report.seconds, missing, examples, report.problems()
    )


def _leave_curated_variants_alone(
    store: GraphStore, ingest: PatientIngest
) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """The ingest's records minus its node and ``IN_GENE`` records for variants a curated source holds.

    Writing them would list ``pmkg-patients`` among a curated variant's sources and add a second ``IN_GENE``
    edge: a trace that some patient carries it, which deleting the patient would leave behind.
    """
    ids = sorted({n.id for n in ingest.result.nodes if n.label == "Variant"})
    curated = set(store.columns(CURATED_VARIANTS, {"ids": ids})["found"]) if ids else set()
    if not curated:
        return ingest.result.nodes, ingest.result.edges
    nodes = [n for n in ingest.result.nodes if not (n.label == "Variant" and n.id in curated)]
    edges = [e for e in ingest.result.edges if not (e.type == "IN_GENE" and e.src in curated)]
    return nodes, edges


def delete_patient(store: GraphStore, patient_id: str) -> dict[str, int]:
    """Remove a patient (by pseudonymous id), every edge of theirs, and variant nodes only they had.

    Returns ``{'patients': 0|1, 'edges': n, 'variants': n}``; ``patients`` is 0 when the id is unknown.
    """
    if not store.run(COUNT_PATIENT, {"id": patient_id})[0]["n"]:
        return {"patients": 0, "edges": 0, "variants": 0}
    rows = store.run(DELETE_PATIENT, {"id": patient_id}, write=True)
    variants = rows[0]["variants"] if rows else []
    deleted = store.run(DELETE_ORPHAN_VARIANTS, {"ids": variants}, write=True) if variants else [{"deleted": 0}]
    log.info("patient %s deleted", patient_id)
    return {"patients": 1, "edges": int(rows[0]["edges"]) if rows else 0, "variants": int(deleted[0]["deleted"])}


@dataclass
class CohortExport:
    """One cohort (synthetic or real, never both) as arrays keyed by pseudonymous patient id.

    ``edges[kind]`` is a pair of equal-length lists ``(patient ids, target ids)`` for ``kind`` in phenotype,
    symptom, diagnosis, variant_gene; ``diplotypes`` lists ``(patient, gene id, gene symbol, lookup key)``;
    ``pgx`` lists ``(patient, drug id, CPIC action, most severe action, its guideline body, its classification)``
    of the actionable recommendations.
    """

    synthetic: bool
    patients: list[str]
    edges: dict[str, tuple[list[str], list[str]]]
    diplotypes: list[tuple[str, str, str, str]]
    pgx: list[tuple[str, str, str, str, str, str]]
    treatments: dict[str, list[str]] = field(default_factory=dict)  # current medications (medicalActions agents)

    def index(self) -> dict[str, int]:
        return {pid: i for i, pid in enumerate(self.patients)}


def export_cohort(store: GraphStore, synthetic: bool) -> CohortExport:
    """Read the synthetic (or the real) patients and their edges; ids are the pseudonyms in the graph."""
    params = {"synthetic": synthetic}
    patients = sorted(store.columns(_COHORT_PATIENTS, params)["pid"])
    edges = {}
    for kind, statement in _COHORT_EDGES.items():
        cols = store.columns(statement, params)
        edges[kind] = (list(cols["pid"]), list(cols["target"]))
    cols = store.columns(_COHORT_DIPLOTYPES, params)
    diplotypes = list(zip(cols["pid"], cols["gene"], cols["symbol"], cols["key"], strict=True))
    cols = store.columns(_COHORT_PGX, params)
    pgx = list(
        zip(cols["pid"], cols["drug"], cols["cpic"], cols["action"], cols["body"], cols["classification"], strict=True)
    )
    cols = store.columns(_COHORT_TREATMENTS, params)
    treatments = {pid: list(drugs) for pid, drugs in zip(cols["pid"], cols["treatments"], strict=True)}
    return CohortExport(synthetic, patients, edges, diplotypes, pgx, treatments)


def drug_interactions(store: GraphStore, drugs: Sequence[str]) -> dict[str, list[tuple[str, str, list[str]]]]:
    """Medication -> its interacting drugs as ``(drug, risk, risks)``, read from ``INTERACTS_WITH`` edges."""
    if not drugs:
        return {}
    cols = store.columns(DRUG_INTERACTIONS, {"drugs": sorted(set(drugs))})
    out: dict[str, list[tuple[str, str, list[str]]]] = {}
    rows = zip(cols["medication"], cols["drug"], cols["risk"], cols["risks"], strict=True)
    for medication, drug, risk, risks in rows:
        out.setdefault(medication, []).append((drug, risk, list(risks or [risk])))
    return out


WRITE_PREDICTED_BENEFIT = (
    "UNWIND $rows AS row MATCH (p:Patient {id: row.patient}) MATCH (d:Drug {id: row.drug}) "
    "MERGE (p)-[e:PREDICTED_BENEFIT]->(d) SET e.score = row.score, e.probability = row.probability, "
    "e.rank = row.rank, e.pgx_flags = row.pgx_flags, e.model_version = $model_version, e.sources = row.sources, "
    "e.reasons = row.reasons, e.civic_level = row.civic_level, e.civic_evidence_ids = row.civic_evidence_ids, "
    "e.warning = row.warning, e.interaction_warnings = row.interaction_warnings RETURN count(e) AS written"
)
# Patients of a cohort whose tumour matched CIViC (CARRIES -> CIVIC.VID, written by patient ingest).
PATIENTS_WITH_CIVIC_VARIANTS = (
    "MATCH (p:Patient)-[:CARRIES]->(v:Variant) WHERE p.synthetic = $synthetic AND v.id STARTS WITH 'CIVIC.VID:' "
    "RETURN collect(DISTINCT p.id) AS pid"
)
DELETE_STALE_PREDICTED_BENEFIT = (
    "MATCH (p:Patient)-[e:PREDICTED_BENEFIT]->(:Drug) WHERE p.id IN $patients DELETE e RETURN count(*) AS deleted"
)


@dataclass(frozen=True)
class PredictedBenefit:
    patient: str
    drug: str
    score: float | None  # None for a biomarker-matched drug the model's graph lacks
    probability: float | None
    rank: int
    pgx_flags: Sequence[str]
    sources: Sequence[str] = ()  # why it is listed: civic, model, pgx
    reasons: Sequence[str] = ()
    civic_level: str | None = None  # best CIViC level of its sensitivity evidence
    civic_evidence_ids: Sequence[str] = ()
    warning: str | None = None  # resistance evidence that outranks the sensitivity
    interaction_warnings: Sequence[str] = ()  # 'Critical with warfarin (DrugCentral)', most severe first


def write_predicted_benefit(
    store: GraphStore, links: Sequence[PredictedBenefit], model_version: str, batch_size: int = 10_000
) -> int:
    """``PREDICTED_BENEFIT {score, probability, rank, model_version, pgx_flags}``; replaces the patients' old ones.

    ``pgx_flags`` is a list of strings such as ``'CPIC: avoid (Strong)'``; empty when no guideline applies. A drug
    merged in from the tumour's CIViC evidence also carries ``sources``, ``reasons``, ``civic_level``,
    ``civic_evidence_ids`` and ``warning`` (see :mod:`workflows.oncology`). ``interaction_warnings`` lists the
    drug's interactions with the patient's current medications (:mod:`workflows.interactions`).
    """
    patients = sorted({link.patient for link in links})
    for start in range(0, len(patients), batch_size):
        store.run(DELETE_STALE_PREDICTED_BENEFIT, {"patients": patients[start : start + batch_size]}, write=True)
    rows: list[dict[str, Any]] = [
        {
            "patient": link.patient,
            "drug": link.drug,
            "score": None if link.score is None else float(link.score),
            "probability": None if link.probability is None else float(link.probability),
            "rank": int(link.rank),
            "pgx_flags": list(link.pgx_flags),
            "sources": list(link.sources),
            "reasons": list(link.reasons),
            "civic_level": link.civic_level,
            "civic_evidence_ids": list(link.civic_evidence_ids),
            "warning": link.warning,
            "interaction_warnings": list(link.interaction_warnings),
        }
        for link in links
    ]
    written = 0
    for start in range(0, len(rows), batch_size):
        result = store.run(
            WRITE_PREDICTED_BENEFIT,
            {"rows": rows[start : start + batch_size], "model_version": model_version},
            write=True,
        )
        written += int(result[0]["written"]) if result else 0
    return written


def cohort_from_records(nodes: Sequence, edges: Sequence, synthetic: bool) -> CohortExport:
    """The :class:`CohortExport` that :func:`export_cohort` would read after writing these records.

    Lets a patient be scored straight from ingest records, without storing it, with the same semantics as the
    graph queries above (excluded phenotypes and diagnoses left out, lookup key fallbacks, PGx actions).
    """
    patients = sorted(n.id for n in nodes if n.label == "Patient")
    in_gene: dict[str, list[str]] = {}
    for e in edges:
        if e.type == "IN_GENE":
            in_gene.setdefault(e.src, []).append(e.dst)
    kinds = {("HAS_PHENOTYPE", "Phenotype"): "phenotype", ("HAS_PHENOTYPE", "Symptom"): "symptom",
             ("HAS_DIAGNOSIS", "Disease"): "diagnosis"}  # fmt: skip
    out: dict[str, tuple[list[str], list[str]]] = {kind: ([], []) for kind in _COHORT_EDGES}
    diplotypes, pgx = [], []
    for e in edges:
        if e.src_label != "Patient":
            continue
        kind = kinds.get((e.type, e.dst_label))
        if kind is not None and not e.props.get("excluded"):
            out[kind][0].append(e.src)
            out[kind][1].append(e.dst)
        elif e.type == "CARRIES":
            for gene in in_gene.get(e.dst, []):
                out["variant_gene"][0].append(e.src)
                out["variant_gene"][1].append(gene)
        elif e.type == "HAS_DIPLOTYPE":
            p = e.props
            key = p.get("cpic_lookup_key") or p.get("dpwg_lookup_key") or p.get("phenotype") or "no call"
            diplotypes.append((e.src, e.dst, p.get("gene_symbol") or e.dst, key))
        elif e.type == "HAS_PGX_RECOMMENDATION":
            p = e.props
            pgx.append(
                (e.src, e.dst, p.get("cpic_action") or "", p.get("action") or "", p.get("guideline_source") or "",
                 p.get("classification") or "")
            )  # fmt: skip
    treatments = {n.id: list(n.props.get("treatments") or []) for n in nodes if n.label == "Patient"}
    return CohortExport(synthetic, patients, out, diplotypes, pgx, {k: v for k, v in treatments.items() if v})
