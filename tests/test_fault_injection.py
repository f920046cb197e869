"""Fault injection: the adversarial probes that passed in issue 14, kept as a regression suite.

Bounded (seconds per test) and on loopback only: a real ``pmkg`` HTTP server in a thread on 127.0.0.1, real
embedded graphs in temporary folders, real processes killed with SIGKILL. What each probe checks held on main
at 3d1be0b; a change that breaks one fails CI here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pmkg.kg import embedded
from pmkg.kg.store import GraphStore

from tests.conftest import FIXTURES
from tests.live_service import serving
from tests.service_support import API_KEY, connector, make_app, trained_for_service

REPO = Path(__file__).resolve().parents[1]
DRUG, DISEASE = "DRUGBANK:DB00773", "DOID:8577"
COUNT = "MATCH (n) RETURN count(n) AS n"
PROTECTED = [
    ("GET", f"/v1/diseases/{DISEASE}/candidates", None),
    ("GET", f"/v1/pairs/{DRUG}/{DISEASE}/explanation", None),
    ("GET", "/v1/queries", None),
    ("POST", "/v1/queries/graph_statistics", {"params": {}}),
    ("GET", "/openapi.json", None),
]


@pytest.fixture(scope="module")
def live(graph_uri, store, ingest_outcomes, tmp_path_factory):
    trained = trained_for_service(store, tmp_path_factory)
    app = make_app(connector(graph_uri, 5.0), trained.model)
    with serving(app, app.state.settings) as (base, port):
        yield base, port, app.state.settings


def _raw(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    """Send ``request`` as is on a fresh connection; return everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if b"\r\n\r\n" in received and _complete(received):
                    break
        except TimeoutError:
            pass
    return received


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


# Keys


@pytest.mark.parametrize(
    "headers, params",
    [
        ({}, {}),  # missing
        ({"X-API-Key": "wrong-key-0123456789abcdef"}, {}),  # wrong
        ({"X-API-Key": API_KEY[:-1]}, {}),  # a prefix of a real key
        ({"X-API-Key": API_KEY + "x"}, {}),  # a real key plus a character
        ({"Authorization": f"Bearer {API_KEY}"}, {}),  # misplaced: another header
        ({}, {"api_key": API_KEY}),  # misplaced: the query string
        ({"Cookie": f"X-API-Key={API_KEY}"}, {}),  # misplaced: a cookie
    ],
)
def test_every_wrong_missing_or_misplaced_key_gets_401(live, headers, params):
    base, _, _ = live
    with httpx.Client(base_url=base, timeout=10) as http:
        for method, path, body in PROTECTED:
            response = http.request(method, path, headers=headers, params=params, json=body)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert API_KEY not in response.text


def test_health_needs_no_key_and_a_right_key_opens_the_rest(live):
    base, _, _ = live
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.get("/healthz").status_code == 200
        for method, path, body in PROTECTED:
            response = http.request(method, path, headers={"X-API-Key": API_KEY}, json=body)
            assert response.status_code == 200, (method, path, response.text)


# Body limits


def test_an_oversized_declared_body_gets_413_before_authentication(live):
    _, port, settings = live
    length = settings.max_body_bytes + 1
    request = (
        f"POST /v1/queries/graph_statistics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    response = _raw(port, request)  # no key, and not a byte of the body sent
    assert _status(response) == 413, response[:300]


def test_a_chunked_body_over_the_limit_gets_413(live):
    _, port, settings = live
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(settings.max_body_bytes // len(chunk) + 2))
    request = (
        "POST /v1/queries/graph_statistics HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {API_KEY}\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    response = _raw(port, request + body + b"0\r\n\r\n")
    assert _status(response) == 413, response[:300]


# Nested and malformed JSON


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000 + b"]" * 50_000,  # deep nesting inside the body limit
        b'{"params": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_000 + b"}",
        b'{"params": {"name": "\\ud800"}}',  # a lone surrogate
        b'{"params": ',  # truncated
        b"\xff\xfe\x00\x00",  # not UTF-8
        b'{"params": {"name": 1e999999}}',
    ],
)
def test_nested_or_malformed_json_is_a_4xx_never_a_5xx(live, body):
    base, _, _ = live
    with httpx.Client(base_url=base, headers={"X-API-Key": API_KEY}, timeout=30) as http:
        response = http.post("/v1/queries/find_drug", content=body, headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
        assert "Traceback" not in response.text
        assert http.get("/healthz").status_code == 200


# Path traversal


@pytest.mark.parametrize(
    "path",
    [
        "/v1/queries/..%2F..%2F..%2Fetc%2Fpasswd",
        "/v1/queries/../../../etc/passwd",
        "/v1/queries/%2e%2e%2fqueries%2fprovenance",
        "/v1/diseases/..%2F..%2Fetc%2Fpasswd/candidates",
        "/../../../../etc/passwd",
        "/static/../../pyproject.toml",
        "/v1/queries/graph_statistics%00.cypher",
    ],
)
def test_path_traversal_reads_no_file(live, path):
    _, port, _ = live
    response = _raw(port, f"GET {path} HTTP/1.1\r\nHost: x\r\nX-API-Key: {API_KEY}\r\n\r\n".encode())
    status = _status(response)
    assert status in (400, 404, 405, 422), response[:300]
    assert b"root:" not in response and b"[project]" not in response and b"MATCH" not in response


# Cypher injection through parameters


@pytest.mark.parametrize(
    "name",
    [
        "x' }) DETACH DELETE n //",
        'x"}) MATCH (n) DETACH DELETE n RETURN 1 //',
        "') RETURN 1 UNION MATCH (n) DETACH DELETE n //",
        "aspirin\\' OR 1=1 //",
        "$name",
        "`Drug`",
    ],
)
def test_cypher_injection_through_a_parameter_changes_nothing(live, store, name):
    base, _, _ = live
    before = store.run(COUNT)[0]["n"]
    with httpx.Client(base_url=base, headers={"X-API-Key": API_KEY}, timeout=30) as http:
        response = http.post("/v1/queries/find_drug", json={"params": {"name": name}})
        assert response.status_code in (200, 422), response.text
        assert http.post("/v1/queries/find_disease", json={"params": {"name": name, "k": 3}}).status_code in (200, 422)
    assert store.run(COUNT)[0]["n"] == before


# The embedded store: secrets and ports


def _listening(port: int) -> list[str]:
    """The local addresses (hex, as /proc/net/tcp* write them) with a socket listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the listening sockets from Linux's procfs")
def test_the_store_keeps_its_secrets_0600_and_listens_on_loopback_only(graph_uri, store):
    root = Path(graph_uri.removeprefix("embedded://")).resolve()
    for name in ("server.json", "root-password"):
        assert stat.S_IMODE((root / name).stat().st_mode) == 0o600, name
    descriptor = json.loads((root / "server.json").read_text())
    for port in (descriptor["bolt_port"], descriptor["http_port"]):
        addresses = _listening(port)
        assert addresses, port
        loopback = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}
        assert set(addresses) <= loopback, (port, addresses)


# kill -9 during an ingest, then resume


SOURCES = ["pharmacotherapydb"]  # one small source: the property, not the volume, is under test


def _ingest(graph: Path, report: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "from pmkg.cli import main; main()", "ingest", "--data-dir", str(FIXTURES)]
    command += ["-s", SOURCES[0], "-g", f"embedded://{graph}", "--report", str(report)]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _ingest_here(graph: Path) -> dict[str, int]:
    """Ingest in this process (a stale descriptor of a killed owner is taken over); return the graph's counts."""
    from pmkg.workflows.ingest import ingest_sources

    try:
        with GraphStore.connect(f"embedded://{graph}") as store:
            outcomes = ingest_sources(store, FIXTURES, SOURCES, progress=False)
            assert all(o.ok for o in outcomes), [o.error for o in outcomes]
            nodes = store.run("MATCH (n) RETURN labels(n)[0] AS kind, count(n) AS n")
            edges = store.run("MATCH ()-[e]->() RETURN type(e) AS kind, count(e) AS n")
    finally:
        embedded.stop(graph)
    return {row["kind"]: row["n"] for row in [*nodes, *edges]}


def test_an_ingest_killed_with_sigkill_resumes_to_the_same_graph(tmp_path):
    killed = _ingest(tmp_path / "killed", tmp_path / "killed.json")
    while "started embedded ArcadeDB" not in killed.stderr.readline():  # the server is up: the writes follow
        assert killed.poll() is None, "the ingest ended before its server started"
    time.sleep(0.5)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    assert _ingest_here(tmp_path / "killed") == _ingest_here(tmp_path / "clean")
