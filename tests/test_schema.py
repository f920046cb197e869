import pytest
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.schema import LABELS, RELATIONSHIPS, SchemaError, curie_prefix, validate_edge, validate_node

PROV = {"source": "test", "source_version": "1", "license": "CC0"}


def test_every_relationship_joins_known_labels():
    for rel in RELATIONSHIPS.values():
        for src, dst in rel.endpoints:
            assert src in LABELS and dst in LABELS, rel.name


def test_valid_records_pass():
    validate_node(NodeRecord("Drug", "DRUGBANK:DB00945", PROV))
    validate_edge(EdgeRecord("TREATS", "Drug", "DRUGBANK:DB00945", "Disease", "DOID:1612", PROV))


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (NodeRecord("Drug", "DB00945", PROV), "not a CURIE"),
        (NodeRecord("Drug", "DOID:1612", PROV), "expected one of"),
        (NodeRecord("Widget", "X:1", PROV), "unknown label"),
        (NodeRecord("Drug", "DRUGBANK:DB00945", {"source": "x"}), "source_version, license"),
    ],
)
def test_bad_nodes_are_rejected_with_a_reason(record, message):
    with pytest.raises(SchemaError, match=message):
        validate_node(record)


def test_edge_endpoints_and_provenance_are_checked():
    with pytest.raises(SchemaError, match="may not join"):
        validate_edge(EdgeRecord("TREATS", "Gene", "NCBIGene:1", "Disease", "DOID:1612", PROV))
    with pytest.raises(SchemaError, match="lacks provenance"):
        validate_edge(EdgeRecord("TREATS", "Drug", "DRUGBANK:DB00945", "Disease", "DOID:1612", {}))
    # Predictions carry model_version instead of source provenance.
    validate_edge(EdgeRecord("PREDICTED_TREATS", "Drug", "DRUGBANK:DB00945", "Disease", "DOID:1612", {}))


def test_curie_prefix():
    assert curie_prefix("CHEMBL.COMPOUND:CHEMBL25") == "CHEMBL.COMPOUND"
    with pytest.raises(SchemaError):
        curie_prefix("no colon")
