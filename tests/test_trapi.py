"""TRAPI 1.5 under /trapi, against the fixture graph and the small service model; every response a test produces
goes through NCATS's reasoner-validator (4.2.x, offline on the pinned schema and model: tests/trapi_validation.py)
and must have no errors and no critical errors."""

from __future__ import annotations

import copy
import json

import pytest
from pmkg.kg.kgx import edge_id

from tests.service_support import client, connector, make_app, trained_for_service
from tests.trapi_validation import validate_component, validate_response

pytest.importorskip("reasoner_validator", reason="reasoner-validator 4.2 needs Python < 3.12")

ALZHEIMERS = "DOID:10652"
DONEPEZIL = "DRUGBANK:DB00843"  # treats Alzheimer's disease in the fixture indications
CYP2C19 = "NCBIGene:1557"
CLOPIDOGREL = "DRUGBANK:DB00758"
WARFARIN_VARIANT = "dbSNP:rs12777823"  # PharmGKB: rs12777823 - warfarin
CYCLOSPORINE = "DRUGBANK:DB00091"  # 13 Hetionet targets in the fixture
RIVASTIGMINE = "DRUGBANK:DB00989"
WARNINGS_SEEN: dict[str, set[str]] = {}


@pytest.fixture(scope="module")
def trained(store, ingest_outcomes, tmp_path_factory):
    return trained_for_service(store, tmp_path_factory)


@pytest.fixture(scope="module")
def app(graph_uri, trained):
    return make_app(connector(graph_uri, 30.0), trained.model, timeout_s=30.0)


@pytest.fixture(scope="module")
def api(app):
    return client(app)


def one_hop(subject: dict, obj: dict, predicates=("biolink:treats",), knowledge_type: str | None = None) -> dict:
    edge = {"subject": "n0", "object": "n1"}
    if predicates:
        edge["predicates"] = list(predicates)
    if knowledge_type:
        edge["knowledge_type"] = knowledge_type
    return {"message": {"query_graph": {"nodes": {"n0": subject, "n1": obj}, "edges": {"e0": edge}}}}


def post(api, body: dict) -> dict:
    response = api.post("/trapi/query", json=body)
    assert response.status_code == 200, response.text[:2000]
    document = response.json()
    result = validate_response(document)
    assert result.ok, json.dumps({"errors": result.errors, "critical": result.critical}, default=str)[:4000]
    for code, where in result.warnings.items():
        found = {str(k) for scope in (where or {}).values() for k in (scope or {})}
        WARNINGS_SEEN.setdefault(code, set()).update(found or {document["status"]})
    return document


def edges_of(document: dict, result: dict) -> list[dict]:
    kg = document["message"]["knowledge_graph"]["edges"]
    return [kg[b["id"]] for analysis in result["analyses"] for bs in analysis["edge_bindings"].values() for b in bs]


def attributes(edge: dict) -> dict[str, object]:
    return {a["attribute_type_id"]: a["value"] for a in edge.get("attributes", [])}


def primary(edge: dict) -> str:
    (found,) = [s["resource_id"] for s in edge["sources"] if s["resource_role"] == "primary_knowledge_source"]
    return found


def bound(document: dict, key: str) -> set[str]:
    return {b["id"] for r in document["message"]["results"] for b in r["node_bindings"][key]}


# --- meta knowledge graph and spec ----------------------------------------------------------------------------


def test_meta_knowledge_graph_lists_what_the_query_answers(app, api):
    from reasoner_pydantic import MetaKnowledgeGraph

    assert client(app, key=None).get("/trapi/meta_knowledge_graph").status_code == 401
    response = api.get("/trapi/meta_knowledge_graph")
    assert response.status_code == 200
    meta = response.json()
    MetaKnowledgeGraph.model_validate(meta)
    assert (meta["schema_version"], meta["biolink_version"]) == ("1.5.0", "4.4.6")
    assert validate_component(meta, "MetaKnowledgeGraph") == {}
    broken = {**meta, "edges": [{**meta["edges"][0], "predicate": "treats"}]}
    assert validate_component(broken, "MetaKnowledgeGraph")  # the schema check bites
    edges = {(e["subject"], e["predicate"], e["object"]): e for e in meta["edges"]}
    treats = edges[("biolink:Drug", "biolink:treats", "biolink:Disease")]
    assert sorted(treats["knowledge_types"]) == ["inferred", "lookup"]
    assert ("biolink:SequenceVariant", "biolink:associated_with_response_to", "biolink:Drug") in edges
    assert ("biolink:Gene", "biolink:associated_with_response_to", "biolink:Drug") in edges
    assert ("biolink:Drug", "biolink:directly_physically_interacts_with", "biolink:Gene") in edges
    assert "DBSNP" in meta["nodes"]["biolink:SequenceVariant"]["id_prefixes"]
    assert "DOID" in meta["nodes"]["biolink:Disease"]["id_prefixes"]


def test_the_spec_carries_the_trapi_schema_and_smartapi_metadata(api):
    spec = api.get("/openapi.json").json()
    assert spec["info"]["x-trapi"]["version"] == "1.5.0"
    assert spec["info"]["x-translator"]["component"] == "KP"
    assert spec["info"]["x-translator"]["infores"] == "infores:pmkg"
    query = spec["paths"]["/trapi/query"]["post"]
    assert query["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Query")
    assert "422" not in query["responses"] and query["responses"]["400"]["content"]["application/json"]["schema"] == {
        "type": "string"
    }
    assert "/trapi/meta_knowledge_graph" in spec["paths"]


# --- lookup ---------------------------------------------------------------------------------------------------


def test_lookup_treats_for_a_disease_gives_pharmacotherapydb_indications(api):
    document = post(
        api, one_hop({"categories": ["biolink:Drug"]}, {"ids": [ALZHEIMERS], "categories": ["biolink:Disease"]})
    )
    assert document["status"] == "Success" and document["schema_version"] == "1.5.0"
    assert DONEPEZIL in bound(document, "n0") and bound(document, "n1") == {ALZHEIMERS}
    predicates = set()
    for result in document["message"]["results"]:
        for edge in edges_of(document, result):
            predicates.add(edge["predicate"])
            assert primary(edge) == "infores:pharmacotherapydb"
            assert attributes(edge)["biolink:knowledge_level"] == "knowledge_assertion"
            assert attributes(edge)["biolink:agent_type"] == "manual_agent"
            aggregator = [s for s in edge["sources"] if s["resource_role"] == "aggregator_knowledge_source"]
            assert aggregator == [{"resource_id": "infores:pmkg", "resource_role": "aggregator_knowledge_source",
                                   "upstream_resource_ids": ["infores:pharmacotherapydb"]}]  # fmt: skip
    # Biolink's ameliorates_condition has treats as a mixin: symptomatic (PALLIATES) indications answer too.
    assert predicates == {"biolink:treats", "biolink:ameliorates_condition"}
    # The same stable edge id as the KGX export uses.
    assert (
        edge_id("Drug", DONEPEZIL, "TREATS", "Disease", ALZHEIMERS, "pharmacotherapydb")
        in (document["message"]["knowledge_graph"]["edges"])
    )


def test_lookup_with_the_drug_pinned_and_small_molecule_asked(api):
    document = post(
        api, one_hop({"ids": [DONEPEZIL], "categories": ["biolink:SmallMolecule"]}, {"categories": ["biolink:Disease"]})
    )
    assert ALZHEIMERS in bound(document, "n1")
    node = document["message"]["knowledge_graph"]["nodes"][DONEPEZIL]
    assert node["categories"] == ["biolink:Drug"] and node["name"] == "Donepezil"


def test_query_curies_in_other_vocabularies_are_normalised(api):
    # Alzheimer's by its MeSH id (a Disease Ontology xref) and donepezil by ChEMBL: bound with query_id.
    document = post(api, one_hop({"ids": ["CHEMBL.COMPOUND:CHEMBL502"]}, {"ids": ["MESH:D000544"]}, predicates=None))
    (result,) = [r for r in document["message"]["results"] if r["node_bindings"]["n0"][0]["id"] == DONEPEZIL]
    assert result["node_bindings"]["n0"][0]["query_id"] == "CHEMBL.COMPOUND:CHEMBL502"
    assert result["node_bindings"]["n1"] == [{"id": ALZHEIMERS, "query_id": "MESH:D000544", "attributes": []}]


def test_query_curies_resolve_through_the_ingest_resolver(graph_uri, trained):
    """With the mapping sources (`pmkg serve --patient-data-dir`), a MONDO id reaches the DOID node."""
    from pmkg.ingest.xrefs import Resolver

    app = make_app(connector(graph_uri, 30.0), trained.model, timeout_s=30.0)
    app.state.id_resolver = Resolver.from_tables(diseases={"MONDO:0004975": ALZHEIMERS})
    document = post(client(app), one_hop({"categories": ["biolink:Drug"]}, {"ids": ["MONDO:0004975"]}))
    assert DONEPEZIL in bound(document, "n0")
    queried = {b.get("query_id") for r in document["message"]["results"] for b in r["node_bindings"]["n1"]}
    assert queried == {"MONDO:0004975"}


def test_pharmacogenomics_gene_and_variant_to_drug(api):
    gene = post(
        api,
        one_hop({"ids": ["HGNC:2621"], "categories": ["biolink:Gene"]}, {"categories": ["biolink:Drug"]},
                predicates=["biolink:associated_with_response_to"]),
    )  # fmt: skip
    assert CLOPIDOGREL in bound(gene, "n1")
    (result,) = [r for r in gene["message"]["results"] if r["node_bindings"]["n1"][0]["id"] == CLOPIDOGREL]
    assert result["node_bindings"]["n0"][0] == {"id": CYP2C19, "query_id": "HGNC:2621", "attributes": []}
    sources = {primary(e) for e in edges_of(gene, result)}
    assert sources == {"infores:cpic", "infores:pharmgkb"}  # two sources, two edges, one result
    for edge in edges_of(gene, result):
        assert edge["qualifiers"] == [
            {"qualifier_type_id": "biolink:response_target_context_qualifier", "qualifier_value": "individual"}
        ]
    variant = post(
        api,
        one_hop({"ids": ["DBSNP:rs12777823"], "categories": ["biolink:SequenceVariant"]},
                {"categories": ["biolink:ChemicalEntity"]}, predicates=["biolink:related_to"]),
    )  # fmt: skip
    assert "DRUGBANK:DB00682" in bound(variant, "n1")  # warfarin
    assert bound(variant, "n0") == {"DBSNP:rs12777823"}  # Biolink's prefix spelling; the query's own


def test_drug_targets(api):
    document = post(
        api,
        one_hop({"ids": [CYCLOSPORINE]}, {"categories": ["biolink:Gene"]}, predicates=["biolink:interacts_with"]),
    )
    assert len(bound(document, "n1")) == 13
    edge = next(iter(document["message"]["knowledge_graph"]["edges"].values()))
    assert edge["predicate"] == "biolink:directly_physically_interacts_with" and primary(edge) == "infores:hetionet"


# --- inferred -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inferred(api) -> dict:
    return post(
        api,
        one_hop({"categories": ["biolink:Drug"]}, {"ids": [ALZHEIMERS], "categories": ["biolink:Disease"]},
                knowledge_type="inferred"),
    )  # fmt: skip


def test_inferred_treats_are_model_predictions_with_probability_version_and_support_graphs(inferred, trained):
    message = inferred["message"]
    kg_edges, aux = message["knowledge_graph"]["edges"], message.get("auxiliary_graphs", {})
    predicted = [e for e in kg_edges.values() if attributes(e).get("biolink:knowledge_level") == "prediction"]
    assert len(predicted) == min(50, len(trained.model.drug_ids))
    with_support = 0
    for edge in predicted:
        found = attributes(edge)
        assert edge["predicate"] == "biolink:treats" and primary(edge) == "infores:pmkg"
        assert found["biolink:agent_type"] == "computational_model"
        assert found["pmkg:model_version"] == trained.model.model_version
        assert 0.0 <= found["biolink:has_confidence_score"] <= 1.0
        for graph_id in found.get("biolink:support_graphs", []):
            with_support += 1
            assert aux[graph_id]["edges"] and all(e in kg_edges for e in aux[graph_id]["edges"])
            supporting = {s["resource_id"] for s in edge["sources"] if s["resource_role"] == "supporting_data_source"}
            assert supporting and supporting <= {primary(kg_edges[e]) for e in aux[graph_id]["edges"]}
    # Results are ordered by the calibrated probability, best first.
    scores = [r["analyses"][0].get("score") for r in message["results"]]
    assert scores == sorted(scores, key=lambda s: -(s if s is not None else -1))


def test_inferred_includes_the_lookup_answers(inferred):
    results = {r["node_bindings"]["n0"][0]["id"]: r for r in inferred["message"]["results"]}
    donepezil = results[DONEPEZIL]
    levels = {attributes(e)["biolink:knowledge_level"] for e in edges_of(inferred, donepezil)}
    assert "knowledge_assertion" in levels  # the PharmacotherapyDB indication, bound beside any prediction
    for indication in ("DRUGBANK:DB00674", "DRUGBANK:DB01043", "DRUGBANK:DB00989"):
        assert indication in results


def test_inferred_with_both_ends_pinned_scores_the_pair_with_its_evidence_paths(api):
    # Rivastigmine -TARGETS-> NCBIGene:590 <-ASSOCIATED_WITH- Alzheimer's: the fixture pair with an evidence path.
    document = post(api, one_hop({"ids": [RIVASTIGMINE]}, {"ids": [ALZHEIMERS]}, knowledge_type="inferred"))
    (result,) = document["message"]["results"]
    found = edges_of(document, result)
    assert {attributes(e)["biolink:knowledge_level"] for e in found} == {"prediction", "knowledge_assertion"}
    (predicted,) = [e for e in found if attributes(e)["biolink:knowledge_level"] == "prediction"]
    (support,) = attributes(predicted)["biolink:support_graphs"]
    aux = document["message"]["auxiliary_graphs"][support]
    hops = [document["message"]["knowledge_graph"]["edges"][e] for e in aux["edges"]]
    assert sorted((h["subject"], h["predicate"], h["object"], primary(h)) for h in hops) == [
        (RIVASTIGMINE, "biolink:directly_physically_interacts_with", "NCBIGene:590", "infores:drugcentral"),
        ("NCBIGene:590", "biolink:gene_associated_with_condition", ALZHEIMERS, "infores:hetionet"),  # canonical way
    ]
    supporting = {s["resource_id"] for s in predicted["sources"] if s["resource_role"] == "supporting_data_source"}
    assert supporting == {"infores:drugcentral", "infores:hetionet"}
    assert {a["attribute_type_id"]: a["value"] for a in aux["attributes"]}["pmkg:metapath"] == "CbGaD"


# --- what is not answered -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (one_hop({"categories": ["biolink:Drug"]}, {"categories": ["biolink:Disease"]}), "neither end"),
        (one_hop({"categories": ["biolink:Protein"]}, {"ids": [ALZHEIMERS]}), "no supported pattern"),
        (
            one_hop(
                {"ids": [CYP2C19]},
                {"categories": ["biolink:Drug"]},
                ["biolink:associated_with_response_to"],
                "inferred",
            ),
            "only Drug -biolink:treats-> Disease",
        ),  # fmt: skip
        (
            {
                "message": {
                    "query_graph": {
                        "nodes": {"a": {"ids": [DONEPEZIL]}, "b": {}, "c": {}},
                        "edges": {"x": {"subject": "a", "object": "b"}, "y": {"subject": "b", "object": "c"}},
                    }
                }
            },
            "3 nodes and 2 edges",
        ),
        (one_hop({"ids": [DONEPEZIL], "set_interpretation": "MANY", "member_ids": [DONEPEZIL]}, {}), "MANY"),
        ({**one_hop({"ids": [DONEPEZIL]}, {}), "workflow": [{"id": "fill"}]}, "workflow operations"),
    ],
    ids=["unpinned", "unknown-category", "inferred-pgx", "two-hop", "set-many", "workflow"],
)
def test_unsupported_queries_are_not_traversable_with_a_log_never_a_500(api, body, reason):
    document = post(api, body)
    assert document["status"] == "QueryNotTraversable" and document["message"]["results"] == []
    assert reason in document["description"]
    assert document["logs"][0]["level"] == "ERROR" and document["logs"][0]["code"] == "QueryNotTraversable"


def test_log_level_keeps_only_the_entries_asked_for(api):
    body = one_hop({"categories": ["biolink:Drug"]}, {"ids": [ALZHEIMERS]}, knowledge_type="inferred")
    assert any(log["level"] == "INFO" for log in post(api, body)["logs"])
    assert not any(log["level"] == "INFO" for log in post(api, {**body, "log_level": "WARNING"})["logs"])


def test_unknown_identifiers_give_no_results_and_say_so(api):
    document = post(api, one_hop({"categories": ["biolink:Drug"]}, {"ids": ["DOID:0000000"]}))
    assert document["status"] == "Success" and document["message"]["results"] == []
    assert any(log["code"] == "UnknownIdentifier" and "DOID:0000000" in log["message"] for log in document["logs"])


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"{}",
        b'{"message": {"query_graph": {"nodes": {"n0": {"ids": []}}, "edges": {}}}}',
        b'{"message": {"query_graph": {"nodes": {"n0": {"categories": ["Drug"]}}, "edges": {}}}}',
        b'{"message": {"query_graph": {"nodes": {}, "edges": {"e": {"subject": "a"}}}}}',
        b"[1, 2]",
        b'{"message": {}}',
    ],
    ids=["not-json", "no-message", "empty-ids", "bad-category", "edge-without-object", "array", "no-query-graph"],
)
def test_a_body_that_is_not_a_trapi_query_is_a_400_string(api, raw):
    response = api.post("/trapi/query", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert isinstance(response.json(), str) and response.json().startswith(("invalid TRAPI Query", "the body"))


def test_trapi_routes_need_the_key_and_respect_the_body_limit(app, graph_uri, trained):
    body = one_hop({"categories": ["biolink:Drug"]}, {"ids": [ALZHEIMERS]})
    assert client(app, key=None).post("/trapi/query", json=body).status_code == 401
    small = make_app(connector(graph_uri, 30.0), trained.model, timeout_s=30.0, max_body_bytes=1024)
    padded = {**body, "padding": "x" * 2000}
    assert client(small).post("/trapi/query", json=padded).status_code == 413


def test_graph_down_inferred_still_answers_from_the_model_and_lookup_is_503(trained):
    def refuse():
        from pmkg.kg.store import GraphUnavailable

        raise GraphUnavailable("down for the test")

    down = client(make_app(refuse, trained.model, timeout_s=2.0))
    document = post(down, one_hop({"categories": ["biolink:Drug"]}, {"ids": [ALZHEIMERS]}, knowledge_type="inferred"))
    assert document["message"]["results"] and any(log["code"] == "GraphUnavailable" for log in document["logs"])
    levels = {
        attributes(e)["biolink:knowledge_level"] for e in document["message"]["knowledge_graph"]["edges"].values()
    }
    assert levels == {"prediction"}
    lookup = down.post("/trapi/query", json=one_hop({"categories": ["biolink:Drug"]}, {"ids": [ALZHEIMERS]}))
    assert lookup.status_code == 503 and lookup.headers["Retry-After"]


# --- the validator itself -------------------------------------------------------------------------------------


def test_the_validator_rejects_a_broken_response(inferred):
    """The offline validator is not a rubber stamp: breaking a real response gives errors."""
    broken = copy.deepcopy(inferred)
    edges = broken["message"]["knowledge_graph"]["edges"]
    first = next(iter(edges.values()))
    first["predicate"] = "biolink:treatz"
    first["sources"] = [s for s in first["sources"] if s["resource_role"] != "primary_knowledge_source"]
    next(iter(broken["message"]["knowledge_graph"]["nodes"].values()))["categories"] = ["biolink:Drugz"]
    result = validate_response(broken)
    assert not result.ok
    codes = set(result.errors) | set(result.critical)
    assert "error.knowledge_graph.edge.predicate.unknown" in codes
    assert "error.knowledge_graph.edge.provenance.missing_primary" in codes
    missing = copy.deepcopy(inferred)
    del missing["message"]["results"][0]["node_bindings"]
    assert not validate_response(missing).ok  # schema level: a result without node bindings


def test_warnings_the_validator_raised_are_the_documented_ones():
    """The docs' Interoperability page lists the validator's warnings; nothing else may appear."""
    documented = {
        # pmkg:model_version, pmkg:score, pmkg:rank on predictions: Biolink has no slot for them
        "warning.knowledge_graph.edge.attribute.type_id.non_biolink_prefix",
        # the tests ask some queries with a non-canonical predicate on purpose (the client's choice, echoed)
        "warning.query_graph.edge.predicate.non_canonical",
        # QueryNotTraversable answers and unknown identifiers: an empty knowledge graph and no results
        "warning.trapi.response.message.knowledge_graph.empty",
        "warning.trapi.response.message.results.empty",
    }
    assert set(WARNINGS_SEEN) <= documented, WARNINGS_SEEN
    print({code: sorted(found)[:10] for code, found in WARNINGS_SEEN.items()})


def test_a_query_graph_the_response_model_refuses_is_a_400_not_a_500(api):
    """Found by the schema fuzz: constraints the request accepts but a TRAPI Response cannot echo back."""
    body = {
        "message": {
            "query_graph": {
                "nodes": {"n0": {"constraints": [{"operator": "===", "value": {}, "name": "x", "id": "y"}]}},
                "paths": {"p0": {"subject": "n0", "object": "n0", "constraints": [{"intermediate_categories": None}]}},
            }
        }
    }
    response = api.post("/trapi/query", json=body)
    assert response.status_code == 400, response.text[:500]
    assert response.json().startswith("invalid TRAPI Query: ") and "Traceback" not in response.text


def test_auxiliary_graphs_naming_unknown_edges_are_a_400_not_a_500(api):
    """Found by the schema fuzz: reasoner-pydantic raises a bare Exception while normalising such a message."""
    query_graph = {"nodes": {"n0": {"ids": ["DOID:1612"]}, "n1": {"categories": ["biolink:Drug"]}},
                   "edges": {"e0": {"subject": "n1", "object": "n0", "predicates": ["biolink:treats"]}}}  # fmt: skip
    for aux in ({"a0": {"edges": ["no-such-edge"], "attributes": []}}, {"a0": {"edges": [], "attributes": []}}):
        body = {"message": {"query_graph": query_graph, "knowledge_graph": {"nodes": {}, "edges": {}},
                            "auxiliary_graphs": aux}}  # fmt: skip
        response = api.post("/trapi/query", json=body)
        assert response.status_code == 400, response.text[:500]
        assert response.json().startswith("invalid TRAPI Query: body.message: ") and "Traceback" not in response.text
