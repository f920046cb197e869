"""TRAPI 1.5 (the NCATS Biomedical Data Translator's Reasoner API) over pmkg's graph and model.

One-hop queries only, the shapes the Biolink mapping table (``kg/biolink.yaml``) marks with ``trapi``:

* ``Drug -biolink:treats-> Disease``: ``knowledge_type: lookup`` answers with the stored PharmacotherapyDB
  indications; ``inferred`` with the model's predictions (calibrated probability, model version, and the evidence
  paths of the top predictions as support graphs) plus those lookup answers; ``PALLIATES`` as
  ``biolink:ameliorates_condition``;
* ``SequenceVariant``/``Gene -biolink:associated_with_response_to-> Drug``: pharmacogenomic associations (PharmGKB,
  CPIC);
* ``Drug -biolink:directly_physically_interacts_with-> Gene``: drug targets (DrugCentral, Hetionet).

A query matches a row when its categories and predicates are the row's or Biolink ancestors of them
(``biolink:ChemicalEntity``, ``biolink:related_to``; ``biolink:SmallMolecule`` is read as ``biolink:Drug``), and at
least one end is pinned by ``ids``. Query CURIEs are normalised to pmkg's ids: Biolink's prefix spellings
(``DBSNP:``), prefix synonyms (``MSH:``, ``CHEMBL:``), the ingest id resolver when the service has the mapping
sources (``--patient-data-dir``), and the graph's own ``xrefs``.

Anything else (more than one edge, no pinned end, constraints, sets, other workflow operations) is answered with
HTTP 200, no results, ``status: QueryNotTraversable`` and a log entry saying why; a body that is not a TRAPI Query is
a 400 with a JSON string, as the TRAPI spec has it. Nothing here raises into a 500.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pmkg.ingest.xrefs import normalise_curie
from pmkg.kg.biolink import BiolinkMapping, PredicateMap, biolink_mapping
from pmkg.kg.kgx import edge_id
from pmkg.kg.schema import LABELS
from pmkg.service.graph import GraphDown, GraphQueryFailed
from pmkg.service.model import ServingModel, UnknownNode

if TYPE_CHECKING:
    from pmkg.ingest.xrefs import Resolver
    from pmkg.kg.explain import EvidencePath
    from pmkg.kg.store import GraphStore
    from pmkg.service.graph import GraphGateway

log = logging.getLogger(__name__)

TRAPI_VERSION = "1.5.0"
MAX_LOOKUP_EDGES = 1000  # per query row; more are cut, with a warning in the logs
MAX_PREDICTIONS = 50  # model predictions for a pinned disease (or drug), best first
SUPPORT_GRAPH_PREDICTIONS = 5  # the top predictions that get evidence paths as support graphs
SUPPORT_PATHS = 3  # evidence paths per predicted edge
SUPPORTED_OPERATIONS = frozenset({"lookup"})
SUPPORTED = (
    "one-hop queries with at least one end pinned by ids: Drug -treats-> Disease (lookup, inferred), "
    "SequenceVariant/Gene -associated_with_response_to-> Drug (lookup), Drug -directly_physically_interacts_with-> "
    "Gene (lookup); see GET /trapi/meta_knowledge_graph"
)
_HOP = re.compile(r"(<-\[:(\w+)\]-|-\[:(\w+)\]->)")


def complete_reasoner_models() -> None:
    """reasoner-pydantic 6.0 types ``Attribute.attributes`` as ``HashableSequence["Attribute"]``, a forward reference
    that pydantic 2.14 leaves unresolved, so FastAPI cannot build the OpenAPI schema of a TRAPI model; resolve it."""
    import typing

    from reasoner_pydantic.shared import Attribute

    annotation = Attribute.model_fields["attributes"].annotation
    for inner in typing.get_args(annotation):
        if isinstance(inner, type) and hasattr(inner, "model_rebuild") and not inner.__pydantic_complete__:
            inner.model_rebuild(force=True, _types_namespace={"Attribute": Attribute})


complete_reasoner_models()


class NotTraversable(Exception):
    """A well-formed query pmkg cannot answer; the response says why (``QueryNotTraversable``)."""


@dataclass
class Plan:
    """What a one-hop query asks for, matched against the mapping rows."""

    subject_key: str
    object_key: str
    edge_key: str
    knowledge_type: str
    rows: list[PredicateMap]  # lookup rows (stored edges)
    inferred: list[PredicateMap]  # model rows (inferred queries only)
    subject_ids: list[str] | None
    object_ids: list[str] | None


@dataclass
class Logs:
    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, level: str, message: str, code: str | None = None) -> None:
        entry: dict[str, Any] = {"timestamp": _now(), "level": level, "message": message}
        if code:
            entry["code"] = code
        self.entries.append(entry)
        log.log(logging.WARNING if level in ("ERROR", "WARNING") else logging.INFO, "TRAPI: %s", message)

    def keep_from(self, level: Any) -> None:
        """TRAPI's ``log_level``: only entries at that level or above go back."""
        name = getattr(level, "value", level)
        if name in _LEVELS:
            self.entries = [e for e in self.entries if _LEVELS.get(e["level"], 0) >= _LEVELS[name]]


_LEVELS = {"DEBUG": 0, "INFO": 1, "WARNING": 2, "ERROR": 3}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- meta knowledge graph -------------------------------------------------------------------------------------


def meta_knowledge_graph(mapping: BiolinkMapping | None = None) -> dict[str, Any]:
    """The categories and one-hop shapes ``POST /trapi/query`` answers, as a TRAPI MetaKnowledgeGraph."""
    from reasoner_pydantic import MetaKnowledgeGraph

    mapping = mapping or biolink_mapping()
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in mapping.trapi_rows():
        for label in (row.subject, row.object):
            category = mapping.category(label)
            prefixes = nodes.setdefault(category, {"id_prefixes": []})["id_prefixes"]
            for prefix in LABELS[label].prefixes:
                spelt = mapping.curie_out(label, f"{prefix}:x").partition(":")[0]
                if spelt not in prefixes:
                    prefixes.append(spelt)
        key = (mapping.category(row.subject), row.predicate, mapping.category(row.object))
        edge = edges.setdefault(
            key,
            {"subject": key[0], "predicate": key[1], "object": key[2], "knowledge_types": [], "attributes": [
                {"attribute_type_id": "biolink:knowledge_level"}, {"attribute_type_id": "biolink:agent_type"},
            ]},
        )  # fmt: skip
        if row.trapi not in edge["knowledge_types"]:
            edge["knowledge_types"].append(row.trapi)
        if row.trapi == "inferred":
            edge["attributes"] += [
                {"attribute_type_id": "biolink:has_confidence_score", "original_attribute_names": ["probability"]},
                {"attribute_type_id": "biolink:support_graphs"},
            ]
        if row.qualifiers:
            edge["qualifiers"] = [{"qualifier_type_id": q, "applicable_values": [v]} for q, v in row.qualifiers]
    document = {"nodes": nodes, "edges": list(edges.values())}
    meta = MetaKnowledgeGraph.model_validate(document).model_dump(mode="json", exclude_none=True)
    # The schema allows more properties here: the versions this service implements, as in every Response.
    return {**meta, "schema_version": TRAPI_VERSION, "biolink_version": mapping.biolink_version}


# --- planning -------------------------------------------------------------------------------------------------


def plan_query(query: Any, mapping: BiolinkMapping, logs: Logs) -> Plan:
    """Match a parsed ``reasoner_pydantic.Query`` against the mapping rows, or raise :class:`NotTraversable`."""
    workflow = getattr(query, "workflow", None)
    if workflow:
        ids = [getattr(step, "id", None) for step in workflow]
        unsupported = [i for i in ids if i not in SUPPORTED_OPERATIONS]
        if unsupported:
            raise NotTraversable(f"workflow operations {unsupported} are not supported; pmkg runs only 'lookup'")
    qgraph = query.message.query_graph
    if qgraph is None or not hasattr(qgraph, "edges"):
        raise NotTraversable(f"the message has no one-hop query_graph; pmkg answers {SUPPORTED}")
    qnodes, qedges = dict(qgraph.nodes), dict(qgraph.edges)
    if len(qedges) != 1 or len(qnodes) != 2:
        raise NotTraversable(
            f"the query graph has {len(qnodes)} nodes and {len(qedges)} edges; pmkg answers {SUPPORTED}"
        )
    ((edge_key, qedge),) = qedges.items()
    if qedge.subject not in qnodes or qedge.object not in qnodes or qedge.subject == qedge.object:
        raise NotTraversable(f"edge {edge_key} must join the two query nodes")
    if qedge.attribute_constraints:
        raise NotTraversable(f"edge {edge_key}: attribute_constraints are not supported")
    subject, obj = qnodes[qedge.subject], qnodes[qedge.object]
    for key, qnode in ((qedge.subject, subject), (qedge.object, obj)):
        if qnode.constraints:
            raise NotTraversable(f"node {key}: constraints are not supported")
        interpretation = getattr(qnode.set_interpretation, "value", qnode.set_interpretation)
        if interpretation not in (None, "BATCH"):
            raise NotTraversable(f"node {key}: set_interpretation {interpretation} is not supported (only BATCH)")
    subject_ids = list(subject.ids) if subject.ids else None
    object_ids = list(obj.ids) if obj.ids else None
    if subject_ids is None and object_ids is None:
        raise NotTraversable(f"neither end of {edge_key} is pinned by ids; pmkg answers {SUPPORTED}")
    knowledge_type = getattr(qedge.knowledge_type, "value", qedge.knowledge_type) or "lookup"
    predicates = list(qedge.predicates) if qedge.predicates else None
    subject_categories = list(subject.categories) if subject.categories else None
    object_categories = list(obj.categories) if obj.categories else None

    def matches(row: PredicateMap) -> bool:
        return (
            mapping.category_matches(subject_categories, mapping.category(row.subject))
            and mapping.category_matches(object_categories, mapping.category(row.object))
            and mapping.predicate_matches(predicates, row.predicate)
        )

    candidates = [row for row in mapping.trapi_rows() if matches(row)]
    lookup = [row for row in candidates if row.trapi == "lookup"]
    inferred = [row for row in candidates if row.trapi == "inferred"] if knowledge_type == "inferred" else []
    if knowledge_type == "inferred":
        # "inferred" includes what is known: the lookup rows with the same predicate and ends as a model row.
        lookup = [r for r in lookup if any((r.predicate, r.subject, r.object) == (m.predicate, m.subject, m.object)
                                           for m in inferred)]  # fmt: skip
        if not inferred:
            raise NotTraversable(f"edge {edge_key}: only Drug -biolink:treats-> Disease is answered as 'inferred'")
    if not lookup and not inferred:
        raise NotTraversable(
            f"no supported pattern matches {_describe(subject, predicates, obj)}; pmkg answers {SUPPORTED}"
        )
    constraints = list(qedge.qualifier_constraints or [])
    if constraints:
        lookup = [row for row in lookup if _qualifiers_match(row, constraints)]
        inferred = [row for row in inferred if _qualifiers_match(row, constraints)]
        if not lookup and not inferred:
            logs.add("INFO", f"edge {edge_key}: no pmkg edge carries the qualifiers asked for", "NoMatchingQualifiers")
    return Plan(qedge.subject, qedge.object, edge_key, knowledge_type, lookup, inferred, subject_ids, object_ids)


def _describe(subject: Any, predicates: list[str] | None, obj: Any) -> str:
    return f"{list(subject.categories or ['any'])} -{predicates or ['any']}-> {list(obj.categories or ['any'])}"


def _qualifiers_match(row: PredicateMap, constraints: Iterable[Any]) -> bool:
    # A qualifier constraint is satisfied when every qualifier of one of its sets is on the edge.
    present = set(row.qualifiers)
    for constraint in constraints:
        wanted = {(q.qualifier_type_id, q.qualifier_value) for q in constraint.qualifier_set}
        if wanted <= present:
            return True
    return False


# --- identifiers ----------------------------------------------------------------------------------------------


def candidate_ids(curie: str, label: str, mapping: BiolinkMapping, resolver: Resolver | None) -> list[str]:
    """pmkg spellings a query CURIE may have for ``label``, most direct first."""
    found: list[str] = []

    def add(value: str | None) -> None:
        if value and value not in found:
            found.append(value)

    add(curie)
    add(mapping.curie_in(curie, label))
    for value in list(found):
        add(normalise_curie(value))
    if resolver is not None:
        lookup = {"Disease": resolver.disease, "Drug": resolver.drug, "Gene": resolver.gene}.get(label)
        if lookup is not None:
            for value in list(found):
                try:
                    add(lookup(value))
                except Exception:  # a damaged mapping file must not break a query
                    log.warning("id resolver failed on %s", type(value).__name__)
    return found


def resolve_in_graph(
    store: GraphStore, label: str, curies: list[str], mapping: BiolinkMapping, resolver: Resolver | None
) -> dict[str, list[str]]:
    """query CURIE -> pmkg ids of ``label`` nodes: by id in any accepted spelling, else through node ``xrefs``."""
    name = _name(label)
    candidates = {c: candidate_ids(c, label, mapping, resolver) for c in curies}
    every = sorted({x for values in candidates.values() for x in values})
    present = {
        r["id"] for r in store.run(f"UNWIND $ids AS id MATCH (n:{name} {{id: id}}) RETURN n.id AS id", {"ids": every})
    }
    resolved = {c: [x for x in values if x in present][:1] for c, values in candidates.items()}
    missing = [c for c, ids in resolved.items() if not ids]
    if missing:
        wanted = sorted({x for c in missing for x in candidates[c]})
        rows = store.run(
            f"MATCH (n:{name}) WHERE any(x IN coalesce(n.xrefs, []) WHERE x IN $ids) "
            "RETURN n.id AS id, [x IN n.xrefs WHERE x IN $ids] AS hits ORDER BY id",
            {"ids": wanted},
        )
        for c in missing:
            aliases = set(candidates[c])
            resolved[c] = [r["id"] for r in rows if aliases & set(r["hits"])]
    return resolved


def resolve_in_model(
    model: ServingModel, label: str, curies: list[str], mapping: BiolinkMapping
) -> dict[str, list[str]]:
    known = set(model.drug_ids if label == "Drug" else model.disease_ids)
    return {c: [x for x in candidate_ids(c, label, mapping, None) if x in known][:1] for c in curies}


def _name(label: str) -> str:
    return label if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", label) else "`" + label.replace("`", "``") + "`"


# --- graph work -----------------------------------------------------------------------------------------------


@dataclass
class LookupEdge:
    row: PredicateMap
    subject: str
    subject_name: str | None
    object: str
    object_name: str | None
    props: dict[str, Any]


def lookup_statement(row: PredicateMap, pin_subject: bool, pin_object: bool) -> str:
    conditions = [c for c, on in (("a.id IN $subjects", pin_subject), ("b.id IN $objects", pin_object)) if on]
    return (
        f"MATCH (a:{_name(row.subject)})-[e:{_name(row.type)}]->(b:{_name(row.object)}) "
        f"WHERE {' AND '.join(conditions)} "
        "RETURN a.id AS s, coalesce(a.name, a.symbol, a.rsid, a.id) AS s_name, b.id AS o, "
        "coalesce(b.name, b.symbol, b.rsid, b.id) AS o_name, properties(e) AS props "
        "ORDER BY s, o LIMIT $limit"
    )


def run_lookup(
    store: GraphStore, row: PredicateMap, subjects: list[str] | None, objects: list[str] | None, logs: Logs
) -> list[LookupEdge]:
    statement = lookup_statement(row, subjects is not None, objects is not None)
    params = {"subjects": subjects or [], "objects": objects or [], "limit": MAX_LOOKUP_EDGES + 1}
    rows = store.run(statement, params)
    if len(rows) > MAX_LOOKUP_EDGES:
        logs.add("WARNING", f"{row.type} {row.subject}->{row.object}: more than {MAX_LOOKUP_EDGES} edges; cut there",
                 "ResultsTruncated")  # fmt: skip
        rows = rows[:MAX_LOOKUP_EDGES]
    return [LookupEdge(row, r["s"], r["s_name"], r["o"], r["o_name"], r["props"]) for r in rows]


# --- the response ---------------------------------------------------------------------------------------------


class ResponseBuilder:
    """Collects knowledge-graph nodes and edges, auxiliary graphs and results, then writes the TRAPI Response."""

    def __init__(self, mapping: BiolinkMapping, plan: Plan | None, query_graph: Any) -> None:
        self.mapping = mapping
        self.plan = plan
        self.query_graph = query_graph
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[str, dict[str, Any]] = {}
        self.aux: dict[str, dict[str, Any]] = {}
        self.results: dict[tuple[str, str], dict[str, Any]] = {}
        self.query_ids: dict[str, dict[str, str]] = {}  # query node key -> kg id -> the query CURIE it came from

    def node(self, label: str, pmkg_id: str, name: str | None, props: dict[str, Any] | None = None) -> str:
        kg_id = self.mapping.curie_out(label, pmkg_id)
        entry = self.nodes.get(kg_id)
        category = self.mapping.category(label, props)
        if entry is None:
            entry = self.nodes[kg_id] = {"categories": [category], "attributes": []}
        elif category not in entry["categories"]:
            entry["categories"].append(category)
        if name and "name" not in entry:
            entry["name"] = name
        return kg_id

    def _sources(self, primary: str) -> list[dict[str, Any]]:
        sources = [{"resource_id": primary, "resource_role": "primary_knowledge_source"}]
        if primary != self.mapping.infores:
            sources.append({"resource_id": self.mapping.infores, "resource_role": "aggregator_knowledge_source",
                            "upstream_resource_ids": [primary]})  # fmt: skip
        return sources

    def stored_edge(
        self, row: PredicateMap | None, rel_type: str, s_label: str, s_id: str, o_label: str, o_id: str,
        props: dict[str, Any],
    ) -> str:  # fmt: skip
        """A stored graph edge (a lookup answer or a hop of an evidence path)."""
        source = props.get("source")
        key = edge_id(s_label, s_id, rel_type, o_label, o_id, source)
        if key in self.edges:
            return key
        provenance = self.mapping.provenance(row, source)
        attributes = [
            {"attribute_type_id": "biolink:knowledge_level", "value": provenance.knowledge_level},
            {"attribute_type_id": "biolink:agent_type", "value": provenance.agent_type},
        ]
        pmids = props.get("pmids")
        if pmids:
            values = pmids if isinstance(pmids, list) else [pmids]
            attributes.append({"attribute_type_id": "biolink:publications", "value": [f"PMID:{p}" for p in values]})
        edge: dict[str, Any] = {
            "subject": self.mapping.curie_out(s_label, s_id),
            "object": self.mapping.curie_out(o_label, o_id),
            "predicate": row.predicate_for(None) if row else "biolink:related_to",
            "sources": self._sources(provenance.primary_knowledge_source),
            "attributes": attributes,
        }
        if row and row.qualifiers:
            edge["qualifiers"] = [{"qualifier_type_id": q, "qualifier_value": v} for q, v in row.qualifiers]
        if row and row.reverse:  # Biolink's canonical predicate runs the other way
            edge["subject"], edge["object"] = edge["object"], edge["subject"]
        self.edges[key] = edge
        return key

    def predicted_edge(
        self, row: PredicateMap, drug: str, disease: str, score: Any, model_version: str, support: list[str],
        supporting_sources: list[str],
    ) -> str:  # fmt: skip
        key = edge_id("Drug", drug, "PREDICTED_TREATS", "Disease", disease, None)
        attributes = [
            {"attribute_type_id": "biolink:knowledge_level", "value": "prediction"},
            {"attribute_type_id": "biolink:agent_type", "value": "computational_model"},
            {"attribute_type_id": "pmkg:model_version", "value": model_version,
             "original_attribute_name": "model_version", "description": "the pmkg model that made this prediction"},
            {"attribute_type_id": "pmkg:score", "value": score.score, "original_attribute_name": "score",
             "description": "model score (logit): higher means more likely"},
            {"attribute_type_id": "pmkg:rank", "value": score.rank, "original_attribute_name": "rank",
             "description": "the drug's rank among all candidate drugs for this disease (1 = best)"},
        ]  # fmt: skip
        if score.probability is not None:
            attributes.append({
                "attribute_type_id": "biolink:has_confidence_score", "value": score.probability,
                "original_attribute_name": "probability",
                "description": "calibrated probability that the drug treats the disease (the model's calibration, "
                "fitted on held-out evidence at the real prevalence of indications; see its model card)",
            })  # fmt: skip
        if support:
            attributes.append({"attribute_type_id": "biolink:support_graphs", "value": support})
        sources = [{"resource_id": self.mapping.infores, "resource_role": "primary_knowledge_source"}]
        sources += [{"resource_id": s, "resource_role": "supporting_data_source"} for s in supporting_sources]
        self.edges[key] = {
            "subject": self.mapping.curie_out("Drug", drug),
            "object": self.mapping.curie_out("Disease", disease),
            "predicate": row.predicate,
            "sources": sources,
            "attributes": attributes,
        }
        return key

    def support_graph(self, drug: str, disease: str, path: EvidencePath) -> tuple[str, list[str]] | None:
        """One evidence path as an auxiliary graph of stored edges; returns its id and the hops' primary sources."""
        hops = _HOP.findall(path.cypher)
        if len(hops) != len(path.relationships):
            return None
        edge_ids, primaries = [], []
        for h, (arrow, backward, forward) in enumerate(hops):
            rel_type = backward or forward
            u, v = h, h + 1
            s, o = (u, v) if arrow.endswith("->") else (v, u)
            s_label, o_label = path.node_labels[s], path.node_labels[o]
            self.node(s_label, path.node_ids[s], path.node_names[s])
            self.node(o_label, path.node_ids[o], path.node_names[o])
            row = self.mapping.edge(rel_type, s_label, o_label)
            for asserted in (path.sources[h] or "").split("; "):
                source = asserted.split(" ", 1)[0] if asserted else None
                key = self.stored_edge(row, rel_type, s_label, path.node_ids[s], o_label, path.node_ids[o],
                                       {"source": source})  # fmt: skip
                edge_ids.append(key)
                primaries.append(self.edges[key]["sources"][0]["resource_id"])
        aux_id = f"pmkg:support:{self.mapping.curie_out('Drug', drug)}:{disease}:{path.rank}"
        self.aux[aux_id] = {
            "edges": edge_ids,
            "attributes": [
                {"attribute_type_id": "pmkg:metapath", "value": path.metapath, "description": path.meaning},
                {"attribute_type_id": "pmkg:contribution", "value": path.contribution,
                 "description": "share of the pair's degree-weighted path count carried by this path"},
            ],
        }  # fmt: skip
        return aux_id, primaries

    def bind(self, s_kg: str, o_kg: str, edge_key: str, score: float | None = None) -> None:
        result = self.results.setdefault((s_kg, o_kg), {"edges": [], "score": None})
        if edge_key not in result["edges"]:
            result["edges"].append(edge_key)
        if score is not None:
            result["score"] = score

    def response(self, status: str, description: str, logs: Logs) -> dict[str, Any]:
        from reasoner_pydantic import Response

        results = []
        plan = self.plan
        ordered = sorted(self.results.items(), key=lambda item: (-(item[1]["score"] or -1.0), item[0]))
        for (s_kg, o_kg), found in ordered:
            analysis: dict[str, Any] = {
                "resource_id": self.mapping.infores,
                "edge_bindings": {plan.edge_key: [{"id": e, "attributes": []} for e in found["edges"]]},
            }
            if found["score"] is not None:
                analysis["score"] = found["score"]
                analysis["scoring_method"] = "pmkg model: calibrated probability of the treats prediction"
            results.append({
                "node_bindings": {
                    plan.subject_key: [self._binding(plan.subject_key, s_kg)],
                    plan.object_key: [self._binding(plan.object_key, o_kg)],
                },
                "analyses": [analysis],
            })  # fmt: skip
        message: dict[str, Any] = {
            "query_graph": self.query_graph,
            "knowledge_graph": {"nodes": self.nodes, "edges": self.edges},
            "results": results,
        }
        if self.aux:
            message["auxiliary_graphs"] = self.aux
        document = {
            "message": message,
            "status": status,
            "description": description,
            "logs": logs.entries,
            "schema_version": TRAPI_VERSION,
            "biolink_version": self.mapping.biolink_version,
        }
        # Through reasoner-pydantic's models (without their edge-id hashing), so what leaves is a valid TRAPI Response.
        model = Response.model_validate(document, context={"normalize": False})
        return model.model_dump(mode="json", exclude_none=True)

    def _binding(self, key: str, kg_id: str) -> dict[str, Any]:
        binding: dict[str, Any] = {"id": kg_id, "attributes": []}
        query_id = self.query_ids.get(key, {}).get(kg_id)
        if query_id is not None and query_id != kg_id:
            binding["query_id"] = query_id
        return binding


# --- answering ------------------------------------------------------------------------------------------------


@dataclass
class Context:
    model: ServingModel
    graph: GraphGateway
    resolver: Resolver | None = None
    mapping: BiolinkMapping = field(default_factory=biolink_mapping)


def not_traversable(query: Any, reason: str, mapping: BiolinkMapping | None = None) -> dict[str, Any]:
    mapping = mapping or biolink_mapping()
    logs = Logs()
    logs.add("ERROR", reason, "QueryNotTraversable")
    builder = ResponseBuilder(mapping, None, _query_graph(query))
    return builder.response("QueryNotTraversable", reason, logs)


def _query_graph(query: Any) -> Any:
    qgraph = getattr(getattr(query, "message", None), "query_graph", None)
    return qgraph.model_dump(mode="json", exclude_none=True) if qgraph is not None else None


async def answer(query: Any, ctx: Context) -> dict[str, Any]:
    """The TRAPI Response to a parsed ``reasoner_pydantic.Query`` (a dict ready for JSON)."""
    logs = Logs()
    mapping = ctx.mapping
    try:
        plan = plan_query(query, mapping, logs)
    except NotTraversable as exc:
        return not_traversable(query, str(exc), mapping)
    builder = ResponseBuilder(mapping, plan, _query_graph(query))
    graph_ok = True
    try:
        resolved = await ctx.graph.call(lambda store: _resolve_all(store, plan, mapping, ctx.resolver))
    except (GraphDown, GraphQueryFailed) as exc:
        if not plan.inferred:
            raise
        graph_ok = False
        logs.add("WARNING", f"the graph is unavailable ({exc}); model predictions only, without the stored "
                 "indications and without support graphs", "GraphUnavailable")  # fmt: skip
        resolved = _resolve_in_model(ctx.model, plan, mapping)
    _note_unresolved(plan, resolved, logs)
    lookups: list[LookupEdge] = []
    if graph_ok and plan.rows:
        try:
            lookups = await ctx.graph.call(lambda store: _lookups(store, plan, resolved, logs))
        except (GraphDown, GraphQueryFailed) as exc:
            if not plan.inferred:
                raise
            graph_ok = False
            logs.add("WARNING", f"the graph failed during the lookup ({exc}); model predictions only",
                     "GraphUnavailable")  # fmt: skip
    if lookups:
        for found in lookups:
            s_kg = builder.node(found.row.subject, found.subject, found.subject_name)
            o_kg = builder.node(found.row.object, found.object, found.object_name)
            _remember(builder, plan, resolved, found.row, found.subject, found.object, s_kg, o_kg)
            key = builder.stored_edge(found.row, found.row.type, found.row.subject, found.subject, found.row.object,
                                      found.object, found.props)  # fmt: skip
            builder.bind(s_kg, o_kg, key)
    for row in plan.inferred:
        await _predict(builder, ctx, plan, row, resolved, logs, graph_ok)
    count = len(builder.results)
    logs.keep_from(getattr(query, "log_level", None))
    return builder.response("Success", f"Success. {count} result{'s' if count != 1 else ''}.", logs)


def _resolve_all(store: GraphStore, plan: Plan, mapping: BiolinkMapping, resolver: Resolver | None) -> dict:
    resolved: dict[tuple[str, str], dict[str, list[str]]] = {}
    for row in [*plan.rows, *plan.inferred]:
        for side, label, curies in (
            ("subject", row.subject, plan.subject_ids),
            ("object", row.object, plan.object_ids),
        ):
            if curies is not None and (side, label) not in resolved:
                resolved[(side, label)] = resolve_in_graph(store, label, curies, mapping, resolver)
    return resolved


def _resolve_in_model(model: ServingModel, plan: Plan, mapping: BiolinkMapping) -> dict:
    resolved: dict[tuple[str, str], dict[str, list[str]]] = {}
    for row in plan.inferred:
        for side, label, curies in (
            ("subject", row.subject, plan.subject_ids),
            ("object", row.object, plan.object_ids),
        ):
            if curies is not None:
                resolved[(side, label)] = resolve_in_model(model, label, curies, mapping)
    return resolved


def _note_unresolved(plan: Plan, resolved: dict, logs: Logs) -> None:
    for side, curies in (("subject", plan.subject_ids), ("object", plan.object_ids)):
        if curies is None:
            continue
        known = {c for (s, _), by_curie in resolved.items() if s == side for c, ids in by_curie.items() if ids}
        for curie in curies:
            if curie not in known:
                logs.add("WARNING", f"{curie} is not a node pmkg knows for this query ({side})", "UnknownIdentifier")


def _ids(resolved: dict, side: str, label: str, curies: list[str] | None) -> list[str] | None:
    if curies is None:
        return None
    by_curie = resolved.get((side, label), {})
    return sorted({x for c in curies for x in by_curie.get(c, [])})


def _lookups(store: GraphStore, plan: Plan, resolved: dict, logs: Logs) -> list[LookupEdge]:
    found = []
    for row in plan.rows:
        subjects = _ids(resolved, "subject", row.subject, plan.subject_ids)
        objects = _ids(resolved, "object", row.object, plan.object_ids)
        if subjects == [] or objects == []:
            continue  # a pinned end that resolved to nothing: no edge can match
        found += run_lookup(store, row, subjects, objects, logs)
    return found


def _remember(builder: ResponseBuilder, plan: Plan, resolved: dict, row: PredicateMap, s: str, o: str,
              s_kg: str, o_kg: str) -> None:  # fmt: skip
    for key, side, label, pmkg_id, kg_id, curies in (
        (plan.subject_key, "subject", row.subject, s, s_kg, plan.subject_ids),
        (plan.object_key, "object", row.object, o, o_kg, plan.object_ids),
    ):
        if curies is None:
            continue
        for curie, ids in resolved.get((side, label), {}).items():
            if pmkg_id in ids:
                builder.query_ids.setdefault(key, {}).setdefault(kg_id, curie)
                break


async def _predict(builder: ResponseBuilder, ctx: Context, plan: Plan, row: PredicateMap, resolved: dict,
                   logs: Logs, graph_ok: bool) -> None:  # fmt: skip
    model = ctx.model
    drugs = _ids(resolved, "subject", row.subject, plan.subject_ids)
    diseases = _ids(resolved, "object", row.object, plan.object_ids)
    scored = []
    try:
        if drugs is not None and diseases is not None:
            pairs = [(d, x) for d in drugs for x in diseases]
            scored = [p for p in model.score_pairs(pairs) if not isinstance(p, UnknownNode)]
        elif diseases is not None:
            for disease in diseases:
                scored += _known_to_model(lambda d=disease: model.candidates(d, MAX_PREDICTIONS), disease, logs)
        elif drugs is not None:
            for drug in drugs:
                scored += _known_to_model(lambda d=drug: model.diseases_for_drug(d, MAX_PREDICTIONS), drug, logs)
    except UnknownNode as exc:  # pragma: no cover - _known_to_model catches per id
        logs.add("WARNING", str(exc), "UnknownIdentifier")
    scored.sort(key=lambda p: (-(p.probability if p.probability is not None else p.score), p.drug, p.disease))
    supported = scored[:SUPPORT_GRAPH_PREDICTIONS] if graph_ok else []
    paths = await _explanations(ctx, supported, logs) if supported else {}
    for pair in scored:
        support, primaries = [], []
        for path in paths.get((pair.drug, pair.disease), []):
            made = builder.support_graph(pair.drug, pair.disease, path)
            if made:
                support.append(made[0])
                primaries += [p for p in made[1] if p not in primaries]
        s_kg = builder.node("Drug", pair.drug, model.name(pair.drug))
        o_kg = builder.node("Disease", pair.disease, model.name(pair.disease))
        _remember(builder, plan, resolved, row, pair.drug, pair.disease, s_kg, o_kg)
        key = builder.predicted_edge(row, pair.drug, pair.disease, pair, model.model_version, support, primaries)
        builder.bind(s_kg, o_kg, key, pair.probability if pair.probability is not None else None)
    logs.add("INFO", f"model {model.model_version}: {len(scored)} predictions, support graphs for the top "
             f"{len(paths)}", "ModelPredictions")  # fmt: skip


def _known_to_model(fn, curie: str, logs: Logs) -> list:
    try:
        return fn()
    except UnknownNode as exc:
        logs.add("WARNING", str(exc), "UnknownIdentifier")
        return []


async def _explanations(ctx: Context, pairs: list, logs: Logs) -> dict[tuple[str, str], list[EvidencePath]]:
    from pmkg.service.evidence import explain_pair

    async def one(pair) -> tuple[tuple[str, str], list[EvidencePath]]:
        try:
            explanation = await ctx.graph.call(
                lambda store: explain_pair(store, pair.drug, pair.disease, SUPPORT_PATHS)
            )
        except Exception as exc:  # noqa: BLE001 - a missing support graph is logged, never a failed query
            logs.add("WARNING", f"no support graph for {pair.drug} -> {pair.disease}: {type(exc).__name__}",
                     "SupportGraphUnavailable")  # fmt: skip
            return (pair.drug, pair.disease), []
        return (pair.drug, pair.disease), explanation.paths

    return dict(await asyncio.gather(*(one(p) for p in pairs)))
