"""When the graph goes away the service says so and answers 503 fast; when it comes back, so does the service.

The service reaches the real embedded graph server through a loopback proxy that can refuse connections
(a stopped server) or swallow every byte (a dead link or hung server: the case that hangs a naive client).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pmkg.kg import embedded

from tests.service_support import client, connector, make_app, trained_for_service
from tests.tcp_proxy import TcpProxy

DEADLINE_S = 1.5  # short, to keep the test quick; long enough for a real query on a busy 2-core CI box
DRUG, DISEASE = "DRUGBANK:DB00773", "DOID:8577"


@pytest.fixture(scope="module")
def proxy(graph_uri, store):
    endpoint = embedded.start_or_attach(Path(graph_uri.removeprefix("embedded://")))
    tcp = TcpProxy(int(endpoint.bolt_uri.rsplit(":", 1)[1]))
    yield tcp, endpoint
    tcp.close()


@pytest.fixture(scope="module")
def api(proxy, store, ingest_outcomes, tmp_path_factory):
    tcp, endpoint = proxy
    trained = trained_for_service(store, tmp_path_factory)
    connect = connector(
        f"bolt://127.0.0.1:{tcp.port}", DEADLINE_S, user=endpoint.user, password=endpoint.password,
        database=endpoint.database,
    )
    app = make_app(connect, trained.model, timeout_s=DEADLINE_S)
    yield client(app)
    app.state.graph.close()


def _timed(call):
    t0 = time.perf_counter()
    response = call()
    return response, time.perf_counter() - t0


def _graph_calls(api):
    evidence = {"params": {"drug": DRUG, "disease": DISEASE}}
    return {
        "readyz": lambda: api.get("/readyz"),
        "explanation": lambda: api.get(f"/v1/pairs/{DRUG}/{DISEASE}/explanation"),
        "query": lambda: api.post("/v1/queries/drug_disease_evidence", json=evidence),
    }


def _assert_down(api, fault):
    for name, call in _graph_calls(api).items():
        response, seconds = _timed(call)
        assert response.status_code == 503, (fault, name, response.text)
        assert seconds < DEADLINE_S + 1.5, (fault, name, seconds)
        if name == "readyz":
            assert response.json()["ready"] is False and response.json()["graph_reachable"] is False
        else:
            assert response.headers["Retry-After"] == "5"
            assert "model-backed endpoints (candidates, scores) still answer" in response.json()["detail"]
    # The model lives in memory: candidates do not need the graph.
    assert api.get(f"/v1/diseases/{DISEASE}/candidates").status_code == 200


def _assert_up(api, within_s: float = 0.0):
    deadline = time.monotonic() + within_s
    while api.get("/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)  # as a readiness probe would
    for name, call in _graph_calls(api).items():
        response = call()
        assert response.status_code == 200, (name, response.text)


def test_a_refused_connection_gives_503_fast_and_the_service_recovers(api, proxy):
    tcp, _ = proxy
    _assert_up(api)
    tcp.refuse()
    _assert_down(api, "refused")
    tcp.forward()
    _assert_up(api, within_s=4 * DEADLINE_S)


def test_a_silent_graph_gives_503_at_the_deadline_not_a_hang_and_the_service_recovers(api, proxy):
    tcp, _ = proxy
    _assert_up(api)
    tcp.blackhole()
    _assert_down(api, "blackhole")
    _assert_down(api, "blackhole, again")  # threads stuck on the dead link were freed, not piled up
    tcp.forward()
    _assert_up(api, within_s=4 * DEADLINE_S)
