"""``pmkg serve`` as a user runs it: refuses to start without keys, and serves over real HTTP when it starts."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
from typer.testing import CliRunner

from pmkg.cli import app
from tests.conftest import FIXTURES
from tests.service_support import API_KEY, patient_model_for_service, trained_for_service


def test_serve_refuses_to_start_without_api_keys(monkeypatch, tmp_path):
    monkeypatch.delenv("PMKG_API_KEYS", raising=False)
    monkeypatch.delenv("PMKG_API_KEYS_FILE", raising=False)
    result = CliRunner().invoke(app, ["serve", "--models-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "no API keys: set PMKG_API_KEYS" in result.output and "Traceback" not in result.output
    monkeypatch.setenv("PMKG_API_KEYS", API_KEY)
    result = CliRunner().invoke(app, ["serve", "--models-dir", str(tmp_path)])
    assert result.exit_code == 2 and "no trained model in" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_over_http_from_a_second_process(graph_uri, store, ingest_outcomes, tmp_path_factory):
    trained = trained_for_service(store, tmp_path_factory)
    patients = patient_model_for_service(store, tmp_path_factory)
    port = _free_port()
    env = {**os.environ, "PMKG_API_KEYS": API_KEY, "OMP_WAIT_POLICY": "PASSIVE",
           "PMKG_PATIENT_MODEL_DIR": str(patients.model_dir), "PMKG_PATIENT_DATA_DIR": str(FIXTURES)}
    command = [sys.executable, "-c", "from pmkg.cli import main; main()", "serve", "--port", str(port),
               "--graph", graph_uri, "--model", str(trained.model_dir)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "pmkg serve did not become ready in 120 s"
            time.sleep(0.5)
        response = httpx.get(f"{base}/v1/diseases/DOID:10652/candidates?k=3", headers={"X-API-Key": API_KEY})
        assert response.status_code == 200
        assert response.json()["model_version"] == trained.model.model_version
        assert httpx.get(f"{base}/v1/model").status_code == 401
        ready = httpx.get(f"{base}/readyz").json()
        assert ready["patient_model"] == "loaded" and ready["patient_model_version"] == patients.patients.model_version
        packet = json.loads(sorted(patients.cohort.phenopackets.glob("*.json"))[0].read_text())
        scored = httpx.post(
            f"{base}/v1/patients/recommendations", json={"phenopacket": packet}, headers={"X-API-Key": API_KEY}
        )
        assert scored.status_code == 200 and len(scored.json()["drugs"]) == 10
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert "GET /v1/diseases/{curie}/candidates 200" in output  # route templates, not the request's values
    assert API_KEY not in output and "Traceback" not in output
    assert "POST /v1/patients/recommendations 200" in output and packet["id"] not in output
