"""Neo4j cluster and Aura URIs: ``neo4j://``/``neo4j+s://`` are accepted and reads go through the driver's routing.

ArcadeDB's Bolt plugin answers the routing request a ``neo4j://`` driver sends first (one server: it is its own
leader and reader), so a routed store on the embedded server's Bolt port runs the real routing protocol here:
writes with ``RoutingControl.WRITE``, the export and queries with ``RoutingControl.READ``.
"""

from __future__ import annotations

import socket

import pytest
from neo4j import RoutingControl
from pmkg.kg import embedded
from pmkg.kg.export import export_graph
from pmkg.kg.records import EdgeRecord, NodeRecord
from pmkg.kg.store import NEO4J_SCHEMES, GraphStore, GraphUnavailable
from pmkg.kg.writer import GraphWriter

PROV = {"source": "test", "source_version": "1", "license": "CC0"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("scheme", ["neo4j", "neo4j+s", "neo4j+ssc", "bolt+s", "bolt+ssc"])
def test_cluster_and_tls_schemes_are_accepted(scheme: str) -> None:
    assert f"{scheme}://" in NEO4J_SCHEMES
    with pytest.raises(GraphUnavailable) as caught:
        GraphStore.connect(f"{scheme}://127.0.0.1:{_closed_port()}", password="x",
                           driver_options={"connection_timeout": 1, "max_transaction_retry_time": 0})
    # Refused for being unreachable, not for its scheme: the driver was built and tried the server.
    assert "cannot reach the graph" in str(caught.value) and "unsupported" not in str(caught.value)


def test_an_unknown_scheme_names_the_cluster_schemes() -> None:
    with pytest.raises(GraphUnavailable, match=r"neo4j\+s://"):
        GraphStore.connect("http://127.0.0.1:7474")


def test_routed_store_writes_to_the_leader_and_exports_through_reads(tmp_path) -> None:
    path = tmp_path / "db"
    with GraphStore.connect(f"embedded://{path}") as owner:
        owner.ensure_schema()
        endpoint = embedded.start_or_attach(path)
        routed_uri = endpoint.bolt_uri.replace("bolt://", "neo4j://")
        with GraphStore.connect(routed_uri, endpoint.user, endpoint.password, endpoint.database) as routed:
            assert routed.embedded_path is None  # a routed store takes the plain MERGE path, as on a cluster
            nodes = [NodeRecord("Gene", f"NCBIGene:{i}", {"name": f"G{i}", **PROV}) for i in range(3)]
            edges = [EdgeRecord("INTERACTS_WITH", "Gene", "NCBIGene:0", "Gene", "NCBIGene:1", dict(PROV))]
            report = GraphWriter(routed, progress=False).write(nodes, edges)
            assert report.rows_written == 4
            export = export_graph(routed, progress=False)
            assert sorted(export.node_ids["Gene"]) == ["NCBIGene:0", "NCBIGene:1", "NCBIGene:2"]
            assert export.edges[("Gene", "INTERACTS_WITH", "Gene")].shape == (2, 1)
            reader = routed.driver.execute_query(
                "MATCH (g:Gene) RETURN count(g) AS n", database_=routed.database, routing_=RoutingControl.READ
            )
            assert reader.records[0]["n"] == 3
